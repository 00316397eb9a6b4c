//! The run folder: every command that reads or writes a run goes through this module.
//!
//! A run folder holds `config.json` (the resolved [`TrainConfig`](crate::config::TrainConfig)),
//! `metrics.csv`, `last.ckpt` and `best.ckpt` ([`Checkpoint`]), `report.md`, the `eval_*`,
//! `detect_*` files of later commands and, while a training process uses it, a locked
//! `train.lock`. One idea per file:
//!
//! - `paths.rs`: the file names ([`RunPaths`]) and [`absolute`];
//! - `name.rs`: the name of a new run folder ([`default_run_dir`]);
//! - `lock.rs`: one training process per folder;
//! - `state.rs`: the training state and per-epoch metrics a checkpoint carries;
//! - `checkpoint.rs`: the checkpoint file format, and whether a run has finished;
//! - `config_file.rs`: reading `config.json` and checking its parts agree;
//! - `folders.rs`: the data folders a run names, found again from anywhere;
//! - `weights.rs`: checkpoint bytes into a network, never a panic, finite weights only;
//! - `loaded.rs`: a finished run opened for evaluation and inference ([`LoadedRun`]).

mod checkpoint;
mod config_file;
mod folders;
mod loaded;
mod lock;
mod name;
mod paths;
mod state;
mod weights;

pub use checkpoint::{Checkpoint, finished};
pub(crate) use config_file::{check_run_config, read_config};
pub use folders::{data_root, eval_index, extra_data_roots, run_index};
pub use loaded::LoadedRun;
pub(crate) use lock::lock_run;
pub use name::default_run_dir;
pub use paths::{RunPaths, absolute};
pub use state::{EpochMetrics, RngState, TrainState};
pub(crate) use weights::load_model;
