//! The file names inside a run folder.

use std::path::{Path, PathBuf};

/// The standard file names inside a run folder.
#[derive(Debug, Clone)]
pub struct RunPaths {
    /// The run folder.
    pub dir: PathBuf,
}

impl RunPaths {
    /// Paths under `dir`.
    pub fn new(dir: &Path) -> Self {
        RunPaths {
            dir: dir.to_path_buf(),
        }
    }
    /// `config.json`: the resolved configuration.
    pub fn config(&self) -> PathBuf {
        self.dir.join("config.json")
    }
    /// `metrics.csv`: one row per epoch.
    pub fn metrics(&self) -> PathBuf {
        self.dir.join("metrics.csv")
    }
    /// `last.ckpt`: the checkpoint after the latest epoch.
    pub fn last(&self) -> PathBuf {
        self.dir.join("last.ckpt")
    }
    /// `best.ckpt`: the checkpoint with the best validation accuracy.
    pub fn best(&self) -> PathBuf {
        self.dir.join("best.ckpt")
    }
    /// `report.md`: a short human-readable summary.
    pub fn report(&self) -> PathBuf {
        self.dir.join("report.md")
    }
    /// `train.lock`: held while a training process uses the folder.
    pub fn lock(&self) -> PathBuf {
        self.dir.join("train.lock")
    }
    /// `eval_<split>.json`: the result of `randommix eval`.
    pub fn eval(&self, split: &str) -> PathBuf {
        self.dir.join(format!("eval_{split}.json"))
    }
    /// `eval_<split>@<folder>-<hash>.json`: the result of `randommix eval --data <data>` on a
    /// folder other than the run's own; the hash (of the absolute path) keeps two folders of
    /// the same name apart.
    pub fn eval_on(&self, split: &str, data: &Path) -> PathBuf {
        self.dir
            .join(format!("eval_{split}{}.json", data_suffix(data)))
    }
    /// The stem of the `randommix detect` files, `detect_<split>` (`.json`, `.csv`,
    /// `_det.png` follow), with the `@<folder>-<hash>` of [`RunPaths::eval_on`] for a data
    /// folder other than the run's own.
    pub fn detect_stem(&self, split: &str, other_data: Option<&Path>) -> PathBuf {
        let suffix = other_data.map(data_suffix).unwrap_or_default();
        self.dir.join(format!("detect_{split}{suffix}"))
    }
}

/// `@<folder>-<hash8>`: a data folder's name (made file-name safe) and the first 8 hex digits
/// of the SHA-1 of its absolute path.
fn data_suffix(data: &Path) -> String {
    let abs = absolute(data);
    let name: String = abs
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "data".into())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = sha1_smol::Sha1::from(abs.to_string_lossy().as_bytes())
        .digest()
        .to_string();
    format!("@{name}-{}", &hash[..8])
}

/// `p` as an absolute path (relative to the working directory; symbolic links kept).
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
