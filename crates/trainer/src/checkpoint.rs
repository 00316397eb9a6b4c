//! Checkpoints: one file holding the model weights, the optimizer state and the training
//! state, written to a temporary file and renamed.
//!
//! Layout: the magic `RMXCKPT2`, then three sections, each a little-endian `u64` length
//! followed by that many bytes: the state (JSON), the model (burnpack), the optimizer
//! (burnpack); then the SHA-1 of everything before it (20 bytes), so that flipped bytes are
//! detected before any section is decoded. Lengths are checked against the file size before
//! anything is allocated. Files with the first magic, `RMXCKPT1` (no checksum), still load.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::io::atomic_write;

const MAGIC: &[u8; 8] = b"RMXCKPT2";
const MAGIC_V1: &[u8; 8] = b"RMXCKPT1";
const CHECKSUM_LEN: usize = 20;

/// One row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean soft-target cross-entropy over the epoch's training batches.
    pub train_loss: f64,
    /// Accuracy of the argmax against each training sample's own (unmixed) label.
    pub train_acc: f64,
    /// Cross-entropy on the validation split.
    pub valid_loss: f64,
    /// Accuracy on the validation split.
    pub valid_acc: f64,
    /// Learning rate at the end of the epoch.
    pub lr: f64,
    /// Training samples per second (forward + backward + optimizer step + waiting for data).
    pub samples_per_s: f64,
    /// Share of the epoch's training time spent waiting for the data pipeline.
    pub data_wait_share: f64,
    /// Wall time of the epoch in seconds, validation included.
    pub seconds: f64,
}

/// The training state saved beside the weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainState {
    /// Epochs completed.
    pub epoch: usize,
    /// Optimizer steps taken.
    pub step: usize,
    /// Best validation accuracy so far.
    pub best_valid_acc: f64,
    /// The epoch (1-based) that reached it.
    pub best_epoch: usize,
    /// Metrics of every completed epoch.
    pub history: Vec<EpochMetrics>,
    /// How the random streams are derived: every epoch's data order, augmentation and mixing
    /// come from `ChaCha8(seed, epoch)` and the device RNG is reseeded with `seed + epoch`, so
    /// this pair is the whole RNG state at an epoch boundary.
    pub rng: RngState,
}

/// The RNG state at an epoch boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RngState {
    /// The run's seed.
    pub seed: u64,
    /// The next epoch (0-based) to draw from.
    pub next_epoch: usize,
}

/// A checkpoint in memory.
pub struct Checkpoint {
    /// Training state.
    pub state: TrainState,
    /// burnpack bytes of the model record.
    pub model: Vec<u8>,
    /// burnpack bytes of the optimizer record.
    pub optim: Vec<u8>,
}

impl Checkpoint {
    /// Writes the checkpoint atomically.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let state = serde_json::to_vec_pretty(&self.state).map_err(|e| TrainError::Checkpoint {
            path: path.to_path_buf(),
            problem: format!("cannot serialise state: {e}"),
        })?;
        atomic_write(path, |w| {
            let mut sha = sha1_smol::Sha1::new();
            let mut put = |w: &mut dyn std::io::Write, b: &[u8]| {
                sha.update(b);
                w.write_all(b)
            };
            put(w, MAGIC)?;
            for sec in [&state[..], &self.model[..], &self.optim[..]] {
                put(w, &(sec.len() as u64).to_le_bytes())?;
                put(w, sec)?;
            }
            w.write_all(&sha.digest().bytes())?;
            Ok(())
        })?;
        Ok(())
    }

    /// Reads a checkpoint, checking its structure.
    pub fn load(path: &Path) -> Result<Checkpoint, TrainError> {
        let bad = |problem: String| TrainError::Checkpoint {
            path: path.to_path_buf(),
            problem,
        };
        let bytes = std::fs::read(path).map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            cause: source,
        })?;
        let magic = bytes.get(..8);
        let checksummed = magic == Some(&MAGIC[..]);
        if !checksummed && magic != Some(&MAGIC_V1[..]) {
            return Err(bad("not a randommix checkpoint (bad magic)".into()));
        }
        let trailer = if checksummed { CHECKSUM_LEN } else { 0 };
        let mut pos = 8usize;
        let mut secs: Vec<Vec<u8>> = Vec::new();
        for name in ["state", "model", "optimizer"] {
            if bytes.len() < pos + 8 {
                return Err(bad(format!("truncated before the {name} section")));
            }
            let mut len8 = [0u8; 8];
            len8.copy_from_slice(&bytes[pos..pos + 8]);
            let len = u64::from_le_bytes(len8);
            pos += 8;
            let remaining = bytes.len().saturating_sub(pos + trailer) as u64;
            if len > remaining {
                return Err(bad(format!(
                    "{name} section claims {len} bytes but only {remaining} remain (truncated or corrupt)"
                )));
            }
            let len = len as usize;
            secs.push(bytes[pos..pos + len].to_vec());
            pos += len;
        }
        if bytes.len() < pos + trailer {
            return Err(bad("checksum cut off (truncated or corrupt)".into()));
        }
        if pos + trailer != bytes.len() {
            return Err(bad(format!(
                "{} unexpected trailing bytes",
                bytes.len() - pos - trailer
            )));
        }
        if checksummed {
            let stored = &bytes[pos..];
            let computed = sha1_smol::Sha1::from(&bytes[..pos]).digest().bytes();
            if stored != computed {
                return Err(bad(format!(
                    "checksum mismatch: the file is damaged (stored SHA-1 {}, content hashes to {})",
                    hex(stored),
                    hex(&computed)
                )));
            }
        }
        let optim = secs.pop().unwrap_or_default();
        let model = secs.pop().unwrap_or_default();
        let state_bytes = secs.pop().unwrap_or_default();
        let state: TrainState = serde_json::from_slice(&state_bytes)
            .map_err(|e| bad(format!("corrupt state section: {e}")))?;
        Ok(Checkpoint {
            state,
            model,
            optim,
        })
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

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
    let abs = crate::loaded::absolute(data);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            state: TrainState {
                epoch: 3,
                step: 30,
                best_valid_acc: 0.5,
                best_epoch: 2,
                history: vec![],
                rng: RngState {
                    seed: 1,
                    next_epoch: 3,
                },
            },
            model: vec![1, 2, 3],
            optim: vec![4, 5],
        }
    }

    #[test]
    fn round_trip() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.ckpt");
        sample().save(&p).unwrap();
        let c = Checkpoint::load(&p).unwrap();
        assert_eq!(c.state, sample().state);
        assert_eq!(c.model, vec![1, 2, 3]);
        assert_eq!(c.optim, vec![4, 5]);
    }

    #[test]
    fn flipped_bytes_fail_the_checksum_and_v1_files_still_load() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.ckpt");
        sample().save(&p).unwrap();
        let full = std::fs::read(&p).unwrap();
        // A byte of the state, of the model, of the optimizer, of the checksum; and a length.
        for at in [17, full.len() - 32, full.len() - 21, full.len() - 1, 8] {
            let mut b = full.clone();
            b[at] ^= 0x10;
            std::fs::write(&p, &b).unwrap();
            let e = Checkpoint::load(&p).err().expect("must fail").to_string();
            assert!(e.contains("a.ckpt"), "{e}");
            if at != 8 {
                assert!(e.contains("checksum mismatch"), "byte {at}: {e}");
            }
        }
        // The first format: same sections, no checksum.
        let mut v1 = full[..full.len() - CHECKSUM_LEN].to_vec();
        v1[..8].copy_from_slice(MAGIC_V1);
        std::fs::write(&p, &v1).unwrap();
        let c = Checkpoint::load(&p).unwrap();
        assert_eq!(c.state, sample().state);
        assert_eq!(c.model, vec![1, 2, 3]);
    }

    #[test]
    fn corrupt_files_are_errors_naming_the_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("a.ckpt");
        sample().save(&p).unwrap();
        let full = std::fs::read(&p).unwrap();
        for cut in [0, 5, 12, full.len() - 1] {
            std::fs::write(&p, &full[..cut]).unwrap();
            let e = Checkpoint::load(&p).err().expect("must fail").to_string();
            assert!(e.contains("a.ckpt"), "{e}");
        }
        let mut huge = full.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        std::fs::write(&p, &huge).unwrap();
        assert!(
            Checkpoint::load(&p)
                .err()
                .unwrap()
                .to_string()
                .contains("claims")
        );
    }
}
