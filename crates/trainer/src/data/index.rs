//! Indexing a Speech Commands folder: words, speakers, splits and the list files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use super::DataError;

/// Name of the folder with long background-noise recordings.
pub const BACKGROUND_NOISE_DIR: &str = "_background_noise_";
/// The list of validation files, relative to the dataset root.
pub const VALIDATION_LIST: &str = "validation_list.txt";
/// The list of test files, relative to the dataset root.
pub const TESTING_LIST: &str = "testing_list.txt";
/// The optional list of in-domain test files (new speakers of the training voices), relative to
/// the dataset root. Not part of Speech Commands; the bundled set has it, beside test lists of
/// held-out voices.
pub const INDOMAIN_LIST: &str = "testing_indomain_list.txt";

/// One of the three dataset splits.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Split {
    /// Files in neither list.
    Train,
    /// Files named in `validation_list.txt`.
    Valid,
    /// Files named in `testing_list.txt`.
    Test,
    /// Files named in the optional `testing_indomain_list.txt` (an in-domain test beside a test
    /// of held-out voices; empty on Speech Commands itself).
    Indomain,
}

impl Split {
    /// The lower-case name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Valid => "valid",
            Split::Test => "test",
            Split::Indomain => "indomain",
        }
    }
}

impl std::str::FromStr for Split {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "train" | "training" => Ok(Split::Train),
            "valid" | "validation" | "val" => Ok(Split::Valid),
            "test" | "testing" => Ok(Split::Test),
            "indomain" | "test-indomain" | "testing_indomain" => Ok(Split::Indomain),
            other => Err(format!(
                "unknown split {other:?} (expected train, valid, test or indomain)"
            )),
        }
    }
}

impl std::fmt::Display for Split {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The Speech Commands hash rule (TensorFlow's `which_set`): the part of the file name before
/// `_nohash_` is hashed with SHA-1, so that all clips of one speaker land in the same split.
///
/// `validation_pct` and `testing_pct` are percentages (10 and 10 in the dataset).
pub fn which_set(file_name: &str, validation_pct: f64, testing_pct: f64) -> Split {
    let pct = hash_percentage(file_name);
    if pct < validation_pct {
        Split::Valid
    } else if pct < validation_pct + testing_pct {
        Split::Test
    } else {
        Split::Train
    }
}

/// The percentage in [0, 100] that the hash rule assigns to a file name (see [`which_set`]).
pub fn hash_percentage(file_name: &str) -> f64 {
    const MAX_NUM_WAVS_PER_CLASS: u128 = (1 << 27) - 1;
    let base = file_name.rsplit('/').next().unwrap_or(file_name);
    let hash_name = match base.find("_nohash_") {
        Some(i) => &base[..i],
        None => base,
    };
    let digest = sha1_smol::Sha1::from(hash_name.as_bytes()).digest().bytes();
    // int(hexdigest, 16) % (MAX + 1): the low 27 bits of the 160-bit big-endian number.
    let low = u128::from_be_bytes(digest[4..20].try_into().unwrap_or([0; 16]));
    let value = low % (MAX_NUM_WAVS_PER_CLASS + 1);
    value as f64 * (100.0 / MAX_NUM_WAVS_PER_CLASS as f64)
}

/// One clip of the dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the dataset root, with `/` separators (`yes/0a7c2a8d_nohash_0.wav`).
    pub rel_path: String,
    /// The word (the folder name).
    pub word: String,
    /// The speaker id (the file name before `_nohash_`).
    pub speaker: String,
    /// The split this clip belongs to.
    pub split: Split,
    /// The folder it was found in: 0 for [`DatasetIndex::root`], `k` for
    /// `extra_roots[k - 1]`.
    pub root: usize,
}

/// How the splits were decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitSource {
    /// From `validation_list.txt` and `testing_list.txt`.
    ListFiles,
    /// The list files were missing: the SHA-1 hash rule with 10 % / 10 %.
    HashRule,
}

/// An index of a Speech Commands folder (v0.01 or v0.02 layout).
#[derive(Debug, Clone)]
pub struct DatasetIndex {
    /// The dataset root: the folder whose validation and test splits judge a run.
    pub root: PathBuf,
    /// Further folders whose training clips (and background noise) join the training split
    /// ([`DatasetIndex::open_many`]); empty for a single folder.
    pub extra_roots: Vec<PathBuf>,
    /// All clips, sorted by relative path.
    pub entries: Vec<Entry>,
    /// The word folders found, sorted.
    pub words: Vec<String>,
    /// Long noise recordings under `_background_noise_/`, sorted.
    pub noise_files: Vec<PathBuf>,
    /// How the splits were decided.
    pub split_source: SplitSource,
    /// Things worth telling the user that do not stop training (e.g. a missing noise folder).
    pub warnings: Vec<String>,
}

/// Checks one line of a list file: a relative path inside the root, `word/file.wav`.
pub fn check_list_entry(line: &str) -> Result<String, String> {
    let entry = line.trim().replace('\\', "/");
    if entry.is_empty() {
        return Err("empty entry".into());
    }
    let p = Path::new(&entry);
    if p.is_absolute() || entry.starts_with('/') {
        return Err(format!(
            "{entry:?} is an absolute path; entries must be relative to the dataset root"
        ));
    }
    for c in p.components() {
        match c {
            Component::Normal(_) => {}
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "{entry:?} leaves the dataset root (`..` or a prefix)"
                ));
            }
        }
    }
    let parts: Vec<&str> = entry
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if parts.len() != 2 {
        return Err(format!("{entry:?} is not of the form word/file.wav"));
    }
    // Whitespace around the whole line is ignored, but not around a folder or file name: such
    // a name is almost surely a damaged line (and trimming it would name another file).
    if let Some(p) = parts.iter().find(|p| p.trim() != **p) {
        return Err(format!(
            "{entry:?}: the name {p:?} starts or ends with white space"
        ));
    }
    Ok(parts.join("/"))
}

/// Parses the text of a list file into checked relative paths.
///
/// `list` names the file in error messages. Blank lines are skipped.
pub fn parse_list(text: &str, list: &Path) -> Result<Vec<String>, DataError> {
    Ok(parse_list_lines(text, list)?
        .into_iter()
        .map(|(_, e)| e)
        .collect())
}

/// [`parse_list`] with the 1-based line number of every entry.
pub fn parse_list_lines(text: &str, list: &Path) -> Result<Vec<(usize, String)>, DataError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let e = check_list_entry(line).map_err(|problem| DataError::List {
            path: list.to_path_buf(),
            line: i + 1,
            problem,
        })?;
        out.push((i + 1, e));
    }
    Ok(out)
}

fn speaker_of(file: &str) -> String {
    match file.find("_nohash_") {
        Some(i) => file[..i].to_string(),
        None => file.trim_end_matches(".wav").to_string(),
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, DataError> {
    let rd = fs::read_dir(dir).map_err(|source| DataError::Io {
        path: dir.to_path_buf(),
        cause: source,
    })?;
    let mut v = Vec::new();
    for e in rd {
        let e = e.map_err(|source| DataError::Io {
            path: dir.to_path_buf(),
            cause: source,
        })?;
        v.push(e.path());
    }
    v.sort();
    Ok(v)
}

/// Whether two paths name the same folder (after resolving links where both exist).
pub fn same_folder(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => match (std::path::absolute(a), std::path::absolute(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => a == b,
        },
    }
}

fn is_wav(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("wav"))
}

impl DatasetIndex {
    /// Indexes the Speech Commands folder at `root`.
    ///
    /// Word folders are the sub-folders whose names do not start with `_`; their `*.wav` files
    /// are the clips. The split of each clip comes from `validation_list.txt` and
    /// `testing_list.txt` (clips in neither are training); when both lists are missing the
    /// SHA-1 hash rule decides, and a warning says so. Clips named in the optional
    /// `testing_indomain_list.txt` form the [`Split::Indomain`] split.
    pub fn open(root: &Path) -> Result<DatasetIndex, DataError> {
        if !root.is_dir() {
            let problem = if root.exists() {
                "not a folder".to_string()
            } else {
                let here = std::env::current_dir()
                    .map(|d| format!(" (looked in {})", d.join(root).display()))
                    .unwrap_or_default();
                format!("no such folder{here}")
            };
            return Err(DataError::NotADataset {
                path: root.to_path_buf(),
                problem,
            });
        }
        let mut warnings = Vec::new();
        let mut words = Vec::new();
        let mut files: Vec<(String, String)> = Vec::new(); // (word, file name)
        let mut noise_files = Vec::new();
        for p in read_dir_sorted(root)? {
            if !p.is_dir() {
                if is_wav(&p) {
                    warnings.push(format!("{}: not in a word folder; ignored", p.display()));
                }
                continue;
            }
            let Some(name) = p.file_name().and_then(|n| n.to_str()).map(str::to_string) else {
                warnings.push(format!(
                    "{}: folder name is not UTF-8; skipped",
                    p.display()
                ));
                continue;
            };
            if name == BACKGROUND_NOISE_DIR {
                noise_files = read_dir_sorted(&p)?
                    .into_iter()
                    .filter(|f| is_wav(f))
                    .collect();
                continue;
            }
            if name.starts_with('_') || name.starts_with('.') {
                warnings.push(format!(
                    "{}: folder ignored (not a word folder)",
                    p.display()
                ));
                continue;
            }
            let mut n = 0usize;
            for f in read_dir_sorted(&p)? {
                if !is_wav(&f) || !f.is_file() {
                    continue;
                }
                let Some(fname) = f.file_name().and_then(|n| n.to_str()) else {
                    warnings.push(format!("{}: file name is not UTF-8; skipped", f.display()));
                    continue;
                };
                files.push((name.clone(), fname.to_string()));
                n += 1;
            }
            if n == 0 {
                warnings.push(format!(
                    "{}: word folder holds no .wav files; ignored",
                    p.display()
                ));
                continue;
            }
            words.push(name);
        }
        if words.is_empty() {
            return Err(DataError::NotADataset {
                path: root.to_path_buf(),
                problem: "no word folders with .wav files (expected word/<speaker>_nohash_<n>.wav)"
                    .into(),
            });
        }
        if noise_files.is_empty() {
            warnings.push(format!(
                "{}: no {BACKGROUND_NOISE_DIR}/ folder with .wav files; training runs without background noise and `_silence_` clips are digital silence",
                root.display()
            ));
        }

        let val_path = root.join(VALIDATION_LIST);
        let test_path = root.join(TESTING_LIST);
        let read_list = |p: &Path| -> Result<Option<Vec<(usize, String)>>, DataError> {
            if !p.exists() {
                return Ok(None);
            }
            let text = fs::read_to_string(p).map_err(|source| DataError::Io {
                path: p.to_path_buf(),
                cause: source,
            })?;
            parse_list_lines(&text, p).map(Some)
        };
        let val = read_list(&val_path)?;
        let test = read_list(&test_path)?;
        let indomain_path = root.join(INDOMAIN_LIST);
        let indomain = read_list(&indomain_path)?;
        let split_source = match (&val, &test) {
            (None, None) => {
                warnings.push(format!(
                    "{}: no {VALIDATION_LIST} / {TESTING_LIST}; splits follow the Speech Commands hash rule (10 % / 10 %)",
                    root.display()
                ));
                SplitSource::HashRule
            }
            (Some(_), None) | (None, Some(_)) => {
                let missing = if val.is_none() { &val_path } else { &test_path };
                return Err(DataError::NotADataset {
                    path: missing.clone(),
                    problem: "missing, while the other list file exists; give both or neither"
                        .into(),
                });
            }
            _ => SplitSource::ListFiles,
        };

        let mut split_of: BTreeMap<String, Split> = BTreeMap::new();
        let existing: std::collections::HashSet<String> =
            files.iter().map(|(w, f)| format!("{w}/{f}")).collect();
        for (list, path, split) in [
            (&val, &val_path, Split::Valid),
            (&test, &test_path, Split::Test),
            (&indomain, &indomain_path, Split::Indomain),
        ] {
            if let Some(list) = list {
                let mut missing: Vec<(usize, String)> = Vec::new();
                for (line, e) in list {
                    if !existing.contains(e) {
                        missing.push((*line, e.clone()));
                        continue;
                    }
                    if let Some(prev) = split_of.insert(e.clone(), split)
                        && prev != split
                    {
                        return Err(DataError::List {
                            path: path.clone(),
                            line: *line,
                            problem: format!("{e} is in both the {prev} and the {split} list"),
                        });
                    }
                }
                if let Some(&(line, _)) = missing.first() {
                    return Err(DataError::MissingFiles {
                        list: path.clone(),
                        line,
                        count: missing.len(),
                        first: missing.into_iter().take(3).map(|(_, e)| e).collect(),
                    });
                }
            }
        }

        let mut entries: Vec<Entry> = files
            .into_iter()
            .map(|(word, file)| {
                let rel_path = format!("{word}/{file}");
                let split = match split_source {
                    SplitSource::ListFiles => {
                        split_of.get(&rel_path).copied().unwrap_or(Split::Train)
                    }
                    SplitSource::HashRule => match split_of.get(&rel_path) {
                        Some(&Split::Indomain) => Split::Indomain,
                        _ => which_set(&file, 10.0, 10.0),
                    },
                };
                Entry {
                    speaker: speaker_of(&file),
                    rel_path,
                    word,
                    split,
                    root: 0,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
        Ok(DatasetIndex {
            root: root.to_path_buf(),
            extra_roots: Vec::new(),
            entries,
            words,
            noise_files,
            split_source,
            warnings,
        })
    }

    /// Indexes `root` as [`DatasetIndex::open`] does, then adds the training clips of every
    /// folder in `extra` to the training split.
    ///
    /// `root` is the folder a run is judged on: its validation split selects the checkpoint
    /// and its test split is the report's headline. The clips an extra folder's own lists
    /// name (its validation, test and in-domain splits) are left out, so that they stay
    /// unheard; its background-noise recordings join the noise pool and its words the word
    /// list. A speaker of an extra folder's training clips who also speaks in `root`'s
    /// validation or test split is an error: the splits must stay speaker-disjoint.
    pub fn open_many(root: &Path, extra: &[PathBuf]) -> Result<DatasetIndex, DataError> {
        let mut index = DatasetIndex::open(root)?;
        if extra.is_empty() {
            return Ok(index);
        }
        let held_out: BTreeMap<&str, (Split, &str)> = index
            .entries
            .iter()
            .filter(|e| e.split != Split::Train)
            .map(|e| (e.speaker.as_str(), (e.split, e.rel_path.as_str())))
            .collect();
        let mut added = Vec::new();
        let mut words: Vec<String> = index.words.clone();
        let mut noise = Vec::new();
        let mut warnings = Vec::new();
        for (k, folder) in extra.iter().enumerate() {
            if same_folder(folder, root) || index.extra_roots.iter().any(|r| same_folder(folder, r))
            {
                return Err(DataError::NotADataset {
                    path: folder.clone(),
                    problem: "given twice as a data folder".into(),
                });
            }
            let other = DatasetIndex::open(folder)?;
            for e in other
                .entries
                .into_iter()
                .filter(|e| e.split == Split::Train)
            {
                if let Some((split, clip)) = held_out.get(e.speaker.as_str()) {
                    return Err(DataError::NotADataset {
                        path: folder.join(&e.rel_path),
                        problem: format!(
                            "speaker {} trains here but speaks in the {split} split of {}                              ({clip}); the splits must stay speaker-disjoint",
                            e.speaker,
                            root.display()
                        ),
                    });
                }
                added.push(Entry { root: k + 1, ..e });
            }
            for w in other.words {
                if !words.contains(&w) {
                    words.push(w);
                }
            }
            noise.extend(other.noise_files);
            warnings.extend(other.warnings);
            index.extra_roots.push(folder.clone());
        }
        words.sort();
        index.words = words;
        index.entries.extend(added);
        index.noise_files.extend(noise);
        index.warnings.extend(warnings);
        Ok(index)
    }

    /// The path of an entry.
    pub fn path_of(&self, e: &Entry) -> PathBuf {
        match e.root {
            0 => self.root.join(&e.rel_path),
            k => self.extra_roots[k - 1].join(&e.rel_path),
        }
    }

    /// The folder an entry was found in, for messages.
    pub fn root_of(&self, e: &Entry) -> &Path {
        match e.root {
            0 => &self.root,
            k => &self.extra_roots[k - 1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_rule_matches_hand_computed_sha1() {
        // Values computed with Python: (int(sha1(name).hexdigest(), 16) % 2**27) * 100 / (2**27 - 1).
        let cases = [
            ("0a7c2a8d_nohash_0.wav", 56.836387193474074, Split::Train),
            ("1a073312_nohash_0.wav", 27.981600373846295, Split::Train),
            ("00000000_nohash_0.wav", 9.5557, Split::Valid),
            ("9e3779b1_nohash_4.wav", 1.7014, Split::Valid),
            ("be1e0823_nohash_0.wav", 16.8293, Split::Test),
            ("c6ef3620_nohash_1.wav", 14.5808, Split::Test),
            ("daa66d13_nohash_0.wav", 79.2702, Split::Train),
        ];
        for (name, pct, split) in cases {
            assert!(
                (hash_percentage(name) - pct).abs() < 1e-3,
                "{name}: {}",
                hash_percentage(name)
            );
            assert_eq!(which_set(name, 10.0, 10.0), split, "{name}");
            assert_eq!(
                which_set(&format!("yes/{name}"), 10.0, 10.0),
                split,
                "{name}"
            );
        }
    }

    #[test]
    fn list_entries_are_checked() {
        assert_eq!(
            check_list_entry("yes/a_nohash_0.wav").unwrap(),
            "yes/a_nohash_0.wav"
        );
        assert_eq!(
            check_list_entry("./yes/a_nohash_0.wav\r").unwrap(),
            "yes/a_nohash_0.wav"
        );
        assert!(
            check_list_entry("/etc/passwd")
                .unwrap_err()
                .contains("absolute")
        );
        assert!(
            check_list_entry("../yes/a.wav")
                .unwrap_err()
                .contains("leaves")
        );
        assert!(
            check_list_entry("yes/../../a.wav")
                .unwrap_err()
                .contains("leaves")
        );
        assert!(check_list_entry("a.wav").is_err());
        // Found by fuzzing (tests/data/fuzz/dataset_list): a padded name was accepted, and
        // checking the accepted entry again refused it.
        assert!(
            check_list_entry("od\x0c\\\x0c\x0c/")
                .unwrap_err()
                .contains("white space")
        );
        assert!(check_list_entry("yes/ a.wav").is_err());
        assert!(check_list_entry("yes /a.wav").is_err());
        assert_eq!(check_list_entry(" yes/a b.wav ").unwrap(), "yes/a b.wav");
    }

    #[test]
    fn parse_list_names_file_and_line() {
        let e = parse_list(
            "yes/a.wav\n\n../x/y.wav\n",
            Path::new("/d/testing_list.txt"),
        )
        .unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("testing_list.txt") && s.contains("line 3"),
            "{s}"
        );
    }
}
