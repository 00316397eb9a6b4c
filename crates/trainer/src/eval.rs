//! Evaluation: accuracy, per-class accuracy and the confusion matrix.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use ndarray::{Array2, Array4, s};
use serde::{Deserialize, Serialize};

use crate::data::pipeline::clean_features;
use crate::data::{AudioStore, DatasetIndex, Item, Split, Task, TaskSpec};
use crate::error::TrainError;
use crate::io::atomic_write_bytes;
use crate::model::KwsModel;
use crate::run::LoadedRun;
use crate::run::RunPaths;

/// Raw counts of an evaluation.
#[derive(Debug, Clone)]
pub struct EvalCounts {
    /// Mean cross-entropy against the hard labels.
    pub loss: f64,
    /// Fraction correct.
    pub accuracy: f64,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<usize>>,
}

/// Accuracy of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassAccuracy {
    /// Class name.
    pub class: String,
    /// Fraction of this class's samples predicted correctly.
    pub accuracy: f64,
    /// Number of samples of this class.
    pub samples: usize,
}

/// The result of evaluating a run on a split (what `randommix eval --json` prints).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The split.
    pub split: String,
    /// Fraction correct over all samples.
    pub accuracy: f64,
    /// Mean cross-entropy.
    pub loss: f64,
    /// Number of samples.
    pub samples: usize,
    /// Class names in label order.
    pub classes: Vec<String>,
    /// Accuracy per class.
    pub per_class: Vec<ClassAccuracy>,
    /// `confusion[true][predicted]`, in the order of `classes`.
    pub confusion: Vec<Vec<usize>>,
    /// What was evaluated: data folder, task, checkpoint and date (absent in files written
    /// before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<EvalSource>,
}

/// Where an evaluation's figures come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalSource {
    /// The Speech Commands folder, as an absolute path.
    pub data: PathBuf,
    /// The classification task.
    pub task: TaskSpec,
    /// The checkpoint file evaluated.
    pub checkpoint: PathBuf,
    /// The epoch that checkpoint was saved after.
    pub checkpoint_epoch: usize,
    /// When the evaluation ran (RFC 3339, UTC).
    pub date: String,
}

impl EvalSource {
    /// The source of an evaluation running now.
    pub fn now(data: &Path, task: &TaskSpec, checkpoint: &Path, checkpoint_epoch: usize) -> Self {
        EvalSource {
            data: crate::run::absolute(data),
            task: task.clone(),
            checkpoint: crate::run::absolute(checkpoint),
            checkpoint_epoch,
            date: jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string()),
        }
    }
}

impl EvalReport {
    /// Builds the report from counts.
    pub fn new(classes: &[String], split: &str, c: EvalCounts) -> EvalReport {
        let per_class = classes
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let row = &c.confusion[i];
                let n: usize = row.iter().sum();
                ClassAccuracy {
                    class: name.clone(),
                    accuracy: if n == 0 {
                        0.0
                    } else {
                        row[i] as f64 / n as f64
                    },
                    samples: n,
                }
            })
            .collect();
        EvalReport {
            split: split.to_string(),
            accuracy: c.accuracy,
            loss: c.loss,
            samples: c.confusion.iter().map(|r| r.iter().sum::<usize>()).sum(),
            classes: classes.to_vec(),
            per_class,
            confusion: c.confusion,
            source: None,
        }
    }

    /// The report with its source recorded.
    pub fn with_source(mut self, source: EvalSource) -> EvalReport {
        self.source = Some(source);
        self
    }

    /// Writes the report as JSON, atomically.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let json = serde_json::to_vec_pretty(self).map_err(|cause| TrainError::Json {
            path: path.to_path_buf(),
            cause,
        })?;
        atomic_write_bytes(path, &json)?;
        Ok(())
    }

    /// A plain-text table: accuracy, per-class accuracy and the confusion matrix.
    pub fn to_text(&self) -> String {
        let of = self
            .source
            .as_ref()
            .map(|src| format!(" of {}", src.data.display()))
            .unwrap_or_default();
        let mut s = format!(
            "{} split{of}: accuracy {:.4} ({} samples), loss {:.4}\n\nper class:\n",
            self.split, self.accuracy, self.samples, self.loss
        );
        for c in &self.per_class {
            s.push_str(&format!(
                "  {:<12} {:.4}  ({} samples)\n",
                c.class, c.accuracy, c.samples
            ));
        }
        s.push_str("\nconfusion (rows: true, columns: predicted):\n");
        let short: Vec<String> = self
            .classes
            .iter()
            .map(|c| c.chars().take(6).collect())
            .collect();
        s.push_str(&format!("{:<12}", ""));
        for c in &short {
            s.push_str(&format!("{c:>7}"));
        }
        s.push('\n');
        for (i, row) in self.confusion.iter().enumerate() {
            s.push_str(&format!("{:<12}", self.classes[i]));
            for v in row {
                s.push_str(&format!("{v:>7}"));
            }
            s.push('\n');
        }
        s
    }
}

/// Logits of a model for normalised features `[B, 1, mels, frames]`, checked to be finite:
/// [`TrainError::NonFiniteOutput`] naming `model_name` (the checkpoint, or the training run)
/// otherwise.
pub fn logits(
    model: &KwsModel,
    device: &Device,
    x: Array4<f32>,
    model_name: &str,
) -> Result<Array2<f32>, TrainError> {
    let (b, _, _, _) = x.dim();
    let t = crate::tensor::tensor4(x, device);
    let z = model.forward(t);
    let k = z.dims()[1];
    finite_rows(z, b, k, model_name)
}

/// The `[b, k]` values of a network's output tensor, checked to be finite.
pub(crate) fn finite_rows(
    z: burn::tensor::Tensor<2>,
    b: usize,
    k: usize,
    model_name: &str,
) -> Result<Array2<f32>, TrainError> {
    let broken = || TrainError::NonFiniteOutput {
        model: model_name.to_string(),
        inputs: b,
    };
    let v: Vec<f32> = z.into_data().try_to_vec::<f32>().map_err(|_| broken())?;
    if v.iter().any(|x| !x.is_finite()) {
        return Err(broken());
    }
    Array2::from_shape_vec((b, k), v).map_err(|_| broken())
}

/// Evaluates `model` (in evaluation mode, on a device without autodiff) on precomputed
/// features; `model_name` names the network in errors (its outputs must be finite).
pub fn evaluate_features(
    model: &KwsModel,
    device: &Device,
    feats: &[Array2<f32>],
    items: &[Item],
    n_classes: usize,
    batch: usize,
    model_name: &str,
) -> Result<EvalCounts, TrainError> {
    evaluate_batched(
        model,
        device,
        items,
        n_classes,
        batch,
        model_name,
        |start, end| {
            let (h, w) = feats[start].dim();
            let mut x = Array4::<f32>::zeros((end - start, 1, h, w));
            for (j, f) in feats[start..end].iter().enumerate() {
                x.slice_mut(s![j, 0, .., ..]).assign(f);
            }
            x
        },
    )
}

/// Loss, accuracy and confusion of `model` on `items`, whose inputs `batch_of(start, end)`
/// gives `batch` at a time: the one batched evaluation loop.
pub(crate) fn evaluate_batched(
    model: &KwsModel,
    device: &Device,
    items: &[Item],
    n_classes: usize,
    batch: usize,
    model_name: &str,
    batch_of: impl Fn(usize, usize) -> Array4<f32>,
) -> Result<EvalCounts, TrainError> {
    let mut confusion = vec![vec![0usize; n_classes]; n_classes];
    let mut loss = 0.0f64;
    let mut correct = 0usize;
    for start in (0..items.len()).step_by(batch.max(1)) {
        let end = (start + batch.max(1)).min(items.len());
        let z = logits(model, device, batch_of(start, end), model_name)?;
        for (j, row) in z.outer_iter().enumerate() {
            let label = items[start + j].label;
            let m = row.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
            let lse = m + row.iter().map(|v| (v - m).exp()).sum::<f32>().ln();
            loss += (lse - row[label]) as f64;
            let pred = argmax(row.as_slice().unwrap_or(&[]));
            confusion[label][pred] += 1;
            if pred == label {
                correct += 1;
            }
        }
    }
    let n = items.len().max(1) as f64;
    Ok(EvalCounts {
        loss: loss / n,
        accuracy: correct as f64 / n,
        confusion,
    })
}

/// Index of the largest value (the first one on ties).
pub fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// The run's task over a dataset: the run's own classes, in its label order.
///
/// A folder may hold only some of the run's words (a user's own recordings of two keywords,
/// say): the missing classes have no samples and their accuracy is not measured. It must hold
/// at least one of them, and for the all-words task no word the run was not trained on.
pub fn run_task(run: &LoadedRun, index: &DatasetIndex) -> Result<Task, TrainError> {
    let classes = &run.config.classes;
    let problem = match &run.config.task {
        TaskSpec::Twelve { words, .. } => {
            (!words.iter().any(|w| index.words.contains(w))).then(|| {
                format!(
                    "holds none of the run's words ({}); words there: {}",
                    words.join(" "),
                    index.words.join(" ")
                )
            })
        }
        TaskSpec::All => {
            let unknown: Vec<&str> = index
                .words
                .iter()
                .filter(|w| !classes.contains(w))
                .map(String::as_str)
                .collect();
            (!unknown.is_empty()).then(|| {
                format!(
                    "holds words the run was not trained on ({}); the run's classes: {}",
                    unknown.join(" "),
                    classes.join(" ")
                )
            })
        }
    };
    if let Some(problem) = problem {
        return Err(TrainError::RunDir {
            path: index.root.clone(),
            problem,
        });
    }
    Ok(Task {
        spec: run.config.task.clone(),
        classes: classes.clone(),
    })
}

/// The items of a split of a dataset, as the run defines them (same task, same seed).
pub fn split_items(
    run: &LoadedRun,
    index: &DatasetIndex,
    split: Split,
) -> Result<(Task, Vec<Item>), TrainError> {
    let task = run_task(run, index)?;
    let items = task.items(index, split, run.config.seed)?;
    Ok((task, items))
}

/// Evaluates a loaded run on `items` of `index`, silence noise seeded as in training.
pub fn evaluate_items(
    run: &LoadedRun,
    index: &DatasetIndex,
    items: &[Item],
    split: Split,
) -> Result<EvalReport, TrainError> {
    let store = AudioStore::load(index, &[items], run.config.clip_samples)?;
    let feats = clean_features(
        &store,
        items,
        &run.frontend,
        &run.config.augment,
        Some(&run.norm),
        crate::data::seeds::eval_seed(run.config.seed, split),
    )?;
    let c = evaluate_features(
        &run.model,
        &run.device,
        &feats,
        items,
        run.classes().len(),
        run.config.eval_batch_size,
        &run.checkpoint_name(),
    )?;
    Ok(EvalReport::new(run.classes(), split.name(), c))
}

/// `randommix eval`: evaluates the best checkpoint of the run in `dir` on a split of `data`
/// (the run's own data folder when `None`) and writes the report into the run folder:
/// `eval_<split>.json` for the run's own data, a file named after the other folder otherwise
/// ([`RunPaths::eval_on`]), so that the run's own results are never overwritten.
/// Returns the report and the file written.
pub fn evaluate(
    dir: &Path,
    data: Option<&Path>,
    split: Split,
) -> Result<(EvalReport, PathBuf), TrainError> {
    let run = LoadedRun::open(dir, false)?;
    let (index, own) = run.index_for(data)?;
    let root = index.root.clone();
    let (_task, items) = split_items(&run, &index, split)?;
    let paths = RunPaths::new(dir);
    let report = evaluate_items(&run, &index, &items, split)?.with_source(EvalSource::now(
        &root,
        &run.config.task,
        &paths.best(),
        run.checkpoint_epoch,
    ));
    let out = if own {
        paths.eval(split.name())
    } else {
        paths.eval_on(split.name(), &root)
    };
    report.save(&out)?;
    Ok((report, out))
}
