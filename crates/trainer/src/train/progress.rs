//! What training reports while it runs.

use crate::run::EpochMetrics;

/// What training reports while it runs.
pub trait Progress {
    /// A line of information (warnings, set-up, per-epoch summaries).
    fn message(&mut self, line: &str);
    /// An epoch starts with `steps` optimizer steps.
    fn epoch_start(&mut self, _epoch: usize, _epochs: usize, _steps: usize) {}
    /// A step ended with this running loss, accuracy and throughput.
    fn step(&mut self, _step: usize, _loss: f64, _acc: f64, _samples_per_s: f64) {}
    /// The epoch ended.
    fn epoch_end(&mut self, _m: &EpochMetrics) {}
}

/// A progress sink that ignores everything (for tests and library use).
impl Progress for () {
    fn message(&mut self, _line: &str) {}
}
