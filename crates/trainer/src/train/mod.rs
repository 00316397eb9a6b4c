//! The training loop and the run folder it writes.
//!
//! A run folder holds `config.json` (the resolved [`TrainConfig`]), `metrics.csv`,
//! `last.ckpt` and `best.ckpt` (see [`crate::checkpoint`]), `report.md` and, after `eval`,
//! `eval_<split>.json`. Every file is written atomically; a `train.lock` file is locked while a
//! training process uses the folder.

mod lock;
mod progress;
mod report;
mod run;
mod run_dir;

pub use crate::checkpoint::{Checkpoint, EpochMetrics, RunPaths, TrainState};
pub use crate::config::TrainConfig;
pub use crate::error::TrainError;
pub use progress::Progress;
pub use run::{TrainSummary, epoch_rng, train};
pub use run_dir::default_run_dir;
