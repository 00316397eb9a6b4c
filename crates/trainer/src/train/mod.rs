//! The training loop and the run folder it writes.
//!
//! A run folder holds `config.json` (the resolved [`TrainConfig`]), `metrics.csv`,
//! `last.ckpt` and `best.ckpt` (see [`crate::run`]), `report.md` and, after `eval`,
//! `eval_<split>.json`. Every file is written atomically; a `train.lock` file is locked while a
//! training process uses the folder.

mod progress;
mod report;
mod run;
mod summary;

pub use crate::config::TrainConfig;
pub use crate::error::TrainError;
pub use crate::run::{Checkpoint, EpochMetrics, RunPaths, TrainState, default_run_dir};
pub use progress::Progress;
pub use run::{epoch_rng, train};
pub use summary::TrainSummary;
