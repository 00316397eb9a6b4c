//! Classification tasks over a Speech Commands index: the 12-class task (silence, unknown and
//! ten command words) and the all-words task.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::DataError;
use super::index::{DatasetIndex, Split};

/// Label name of the silence class.
pub const SILENCE: &str = "_silence_";
/// Label name of the unknown-word class.
pub const UNKNOWN: &str = "_unknown_";

/// The ten command words of the standard 12-class task.
pub const DEFAULT_WORDS: [&str; 10] = [
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
];

/// Which classification task to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TaskSpec {
    /// `_silence_`, `_unknown_` and the given words (12 classes with the default words).
    Twelve {
        /// The command words.
        words: Vec<String>,
        /// Silence clips per split, as a percentage of the command-word clips (10).
        silence_pct: f64,
        /// Unknown-word clips per split, as a percentage of the command-word clips (10).
        unknown_pct: f64,
    },
    /// Every word folder is a class (35 classes on v0.02, 30 on v0.01).
    All,
}

impl Default for TaskSpec {
    fn default() -> Self {
        TaskSpec::Twelve {
            words: TaskSpec::default_words(),
            silence_pct: TaskSpec::DEFAULT_EXTRA_PCT,
            unknown_pct: TaskSpec::DEFAULT_EXTRA_PCT,
        }
    }
}

impl TaskSpec {
    /// Silence and unknown clips per split of the 12-class task, as a percentage of the
    /// command-word clips (TensorFlow's trainer: 10 % each).
    pub const DEFAULT_EXTRA_PCT: f64 = 10.0;

    /// The task named on the command line: `12` (silence, unknown and `words`) or `all` (`35`
    /// is accepted as a synonym: every word folder is a class).
    pub fn parse(task: &str, words: &[String]) -> Result<TaskSpec, DataError> {
        match task.trim() {
            "12" => Ok(TaskSpec::Twelve {
                words: words.to_vec(),
                silence_pct: Self::DEFAULT_EXTRA_PCT,
                unknown_pct: Self::DEFAULT_EXTRA_PCT,
            }),
            "all" | "35" => Ok(TaskSpec::All),
            other => Err(DataError::Task(format!(
                "unknown task {other:?} (expected 12 or all)"
            ))),
        }
    }

    /// [`DEFAULT_WORDS`] as owned strings.
    pub fn default_words() -> Vec<String> {
        DEFAULT_WORDS.iter().map(|s| s.to_string()).collect()
    }
}

/// Where a sample's audio comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The clip at this index of [`DatasetIndex::entries`].
    Clip(usize),
    /// A silence sample: background noise only.
    Silence,
}

/// One labelled sample of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    /// Its audio.
    pub source: Source,
    /// Its class index.
    pub label: usize,
}

/// A task resolved against a dataset: the class names in label order.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// The specification.
    pub spec: TaskSpec,
    /// Class names; the label of a sample is its index here.
    pub classes: Vec<String>,
}

impl Task {
    /// Resolves `spec` against the words of `index`.
    ///
    /// The 12-class task needs every command word to exist as a folder; the all-words task
    /// takes the folders as they are.
    pub fn resolve(spec: &TaskSpec, index: &DatasetIndex) -> Result<Task, DataError> {
        let classes = match spec {
            TaskSpec::Twelve { words, .. } => {
                if words.is_empty() {
                    return Err(DataError::Task("the word list is empty".into()));
                }
                let mut seen = std::collections::HashSet::new();
                for w in words {
                    if !seen.insert(w) {
                        return Err(DataError::Task(format!("word {w:?} is listed twice")));
                    }
                    if w == SILENCE || w == UNKNOWN {
                        return Err(DataError::Task(format!("{w:?} is a reserved class name")));
                    }
                    if !index.words.contains(w) {
                        let folder = index.root.join(w);
                        return Err(DataError::Task(if folder.is_dir() {
                            format!(
                                "word {w:?}: its folder {} holds no .wav files",
                                folder.display()
                            )
                        } else {
                            format!(
                                "word {w:?} has no folder in {} (words there: {})",
                                index.root.display(),
                                index.words.join(" ")
                            )
                        }));
                    }
                }
                let mut c = vec![SILENCE.to_string(), UNKNOWN.to_string()];
                c.extend(words.iter().cloned());
                c
            }
            TaskSpec::All => index.words.clone(),
        };
        Ok(Task {
            spec: spec.clone(),
            classes,
        })
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// Checks that every class has samples in every split.
    ///
    /// A word class without training samples cannot be learnt: that is an error. A class
    /// without validation or test samples, and `_unknown_` or `_silence_` without training
    /// samples (a data set with no other words, say), only make some numbers unmeasured: those
    /// come back as warnings.
    pub fn check_splits(
        &self,
        index: &DatasetIndex,
        splits: &[(Split, &[Item])],
    ) -> Result<Vec<String>, DataError> {
        let mut warnings = Vec::new();
        for &(split, items) in splits {
            let mut count = vec![0usize; self.classes.len()];
            for it in items {
                if let Some(c) = count.get_mut(it.label) {
                    *c += 1;
                }
            }
            for (name, _) in self.classes.iter().zip(&count).filter(|(_, n)| **n == 0) {
                let reserved = name == SILENCE || name == UNKNOWN;
                if split == Split::Train && !reserved {
                    return Err(DataError::Task(format!(
                        "class {name:?} has no samples in the train split of {} (are all its \
                         clips in the validation or testing list?); it could not be learnt",
                        index.root.display()
                    )));
                }
                let why = if name == UNKNOWN {
                    " (no clips of other words there)"
                } else {
                    ""
                };
                warnings.push(format!(
                    "class {name:?} has no samples in the {split} split of {}{why}; its \
                     accuracy there is not measured",
                    index.root.display()
                ));
            }
        }
        Ok(warnings)
    }

    /// The samples of `split`, in a fixed order.
    ///
    /// For the 12-class task, unknown words are drawn at random (with `seed`) up to
    /// `unknown_pct` % of the command-word clips of that split, and `silence_pct` % silence
    /// samples are added; the same seed gives the same selection.
    pub fn items(
        &self,
        index: &DatasetIndex,
        split: Split,
        seed: u64,
    ) -> Result<Vec<Item>, DataError> {
        let mut items = Vec::new();
        match &self.spec {
            TaskSpec::All => {
                for (i, e) in index.entries.iter().enumerate() {
                    if e.split == split
                        && let Some(label) = self.classes.iter().position(|c| *c == e.word)
                    {
                        items.push(Item {
                            source: Source::Clip(i),
                            label,
                        });
                    }
                }
            }
            TaskSpec::Twelve {
                silence_pct,
                unknown_pct,
                ..
            } => {
                let mut unknown = Vec::new();
                for (i, e) in index.entries.iter().enumerate() {
                    if e.split != split {
                        continue;
                    }
                    match self.classes[2..].iter().position(|c| *c == e.word) {
                        Some(p) => items.push(Item {
                            source: Source::Clip(i),
                            label: p + 2,
                        }),
                        None => unknown.push(i),
                    }
                }
                let n_known = items.len();
                let salt = match split {
                    Split::Train => 1,
                    Split::Valid => 2,
                    Split::Test => 3,
                    Split::Indomain => 4,
                };
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (0x5eed_0000 + salt));
                unknown.shuffle(&mut rng);
                let n_unknown =
                    ((n_known as f64 * unknown_pct / 100.0).ceil() as usize).min(unknown.len());
                let mut chosen: Vec<usize> = unknown[..n_unknown].to_vec();
                chosen.sort_unstable();
                items.extend(chosen.into_iter().map(|i| Item {
                    source: Source::Clip(i),
                    label: 1,
                }));
                let n_silence = (n_known as f64 * silence_pct / 100.0).ceil() as usize;
                items.extend((0..n_silence).map(|_| Item {
                    source: Source::Silence,
                    label: 0,
                }));
            }
        }
        if items.is_empty() {
            return Err(DataError::Task(format!(
                "the {split} split of {} has no samples for this task",
                index.root.display()
            )));
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::index::{Entry, SplitSource};

    fn fake_index() -> DatasetIndex {
        let mut entries = Vec::new();
        let words = ["bed", "cat", "go", "no", "yes"];
        for w in words {
            for s in 0..40 {
                entries.push(Entry {
                    rel_path: format!("{w}/{s:08x}_nohash_0.wav"),
                    word: w.to_string(),
                    speaker: format!("{s:08x}"),
                    split: if s % 10 == 0 {
                        Split::Valid
                    } else {
                        Split::Train
                    },
                    root: 0,
                });
            }
        }
        DatasetIndex {
            root: "/fake".into(),
            extra_roots: vec![],
            entries,
            words: words.iter().map(|s| s.to_string()).collect(),
            noise_files: vec![],
            split_source: SplitSource::ListFiles,
            warnings: vec![],
        }
    }

    fn spec(words: &[&str]) -> TaskSpec {
        TaskSpec::Twelve {
            words: words.iter().map(|s| s.to_string()).collect(),
            silence_pct: 10.0,
            unknown_pct: 10.0,
        }
    }

    #[test]
    fn twelve_class_labels() {
        let idx = fake_index();
        let t = Task::resolve(&spec(&["yes", "no", "go"]), &idx).unwrap();
        assert_eq!(t.classes, ["_silence_", "_unknown_", "yes", "no", "go"]);
        let items = t.items(&idx, Split::Train, 7).unwrap();
        for it in &items {
            match it.source {
                Source::Silence => assert_eq!(it.label, 0),
                Source::Clip(i) => {
                    let w = &idx.entries[i].word;
                    let want = t.classes.iter().position(|c| c == w).unwrap_or(1);
                    assert_eq!(it.label, want, "{w}");
                }
            }
        }
    }

    #[test]
    fn silence_and_unknown_proportions() {
        let idx = fake_index();
        let t = Task::resolve(&spec(&["yes", "no", "go"]), &idx).unwrap();
        let items = t.items(&idx, Split::Train, 7).unwrap();
        let count = |l| items.iter().filter(|i| i.label == l).count();
        let known = 3 * 36;
        assert_eq!(items.len() - count(0) - count(1), known);
        // ceil(10 % of the command-word clips) each.
        assert_eq!(count(0), 11);
        assert_eq!(count(1), 11);
        // Same seed, same choice; another seed, another choice of unknown clips.
        assert_eq!(items, t.items(&idx, Split::Train, 7).unwrap());
        assert_ne!(items, t.items(&idx, Split::Train, 8).unwrap());
    }

    #[test]
    fn missing_word_is_an_error() {
        let idx = fake_index();
        let e = Task::resolve(&spec(&["yes", "left"]), &idx).unwrap_err();
        assert!(e.to_string().contains("\"left\""), "{e}");
    }

    #[test]
    fn all_words_task() {
        let idx = fake_index();
        let t = Task::resolve(&TaskSpec::All, &idx).unwrap();
        assert_eq!(t.n_classes(), 5);
        assert_eq!(t.items(&idx, Split::Valid, 0).unwrap().len(), 20);
    }
}
