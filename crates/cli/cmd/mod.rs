//! One file per subcommand: its clap arguments and a `run` that turns them into library calls.

pub mod compare;
pub mod detect;
pub mod download;
pub mod eval;
pub mod export;
pub mod features;
pub mod mix;
pub mod predict;
pub mod render;
pub mod robustness;
pub mod spot;
pub mod train;
