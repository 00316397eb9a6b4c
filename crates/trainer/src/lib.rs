//! randommix: keyword spotting on Speech Commands with RandomMix.
//!
//! This crate holds the parts that need burn: the data pipeline, the models, training,
//! evaluation, inference and the paper's experiments. The mixing modes live in
//! [`randommix_mix`] and the audio front end in [`randommix_frontend`], both without burn;
//! they are re-exported here as [`mix`], [`audio`], [`features`] and [`io`].
#![warn(missing_docs)]

pub use randommix_frontend::{audio, features, io};
pub use randommix_mix as mix;

pub mod charts;
pub mod config;
mod csv_out;
pub mod data;
pub mod detect;
pub mod error;
pub mod eval;
pub mod experiments;
pub mod export;
pub mod infer;
pub mod model;
pub mod run;
pub mod stream;
pub mod tensor;
pub mod train;

pub use error::TrainError;
pub use run::LoadedRun;
