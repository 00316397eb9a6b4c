//! Checkpoints: one file holding the model weights, the optimizer state and the training
//! state, written to a temporary file and renamed.
//!
//! Layout: the magic `RMXCKPT2`, then three sections, each a little-endian `u64` length
//! followed by that many bytes: the state (JSON), the model (burnpack), the optimizer
//! (burnpack); then the SHA-1 of everything before it (20 bytes), so that flipped bytes are
//! detected before any section is decoded. Lengths are checked against the file size before
//! anything is allocated. Files with the first magic, `RMXCKPT1` (no checksum), still load.

use std::path::Path;

use super::paths::RunPaths;
use super::state::TrainState;
use crate::error::TrainError;
use crate::io::atomic_write;

const MAGIC: &[u8; 8] = b"RMXCKPT2";
const MAGIC_V1: &[u8; 8] = b"RMXCKPT1";
const CHECKSUM_LEN: usize = 20;
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

/// The training state of the run in `paths` when it has finished `epochs` epochs and its test
/// split was scored (`eval_test.json`); `None` otherwise (not started, stopped, or unreadable).
pub fn finished(paths: &RunPaths, epochs: usize) -> Option<TrainState> {
    if !paths.eval("test").exists() {
        return None;
    }
    let ck = Checkpoint::load(&paths.last()).ok()?;
    (ck.state.epoch >= epochs).then_some(ck.state)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::RngState;

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
