//! The training state a checkpoint carries beside the weights, and the per-epoch metrics.

use serde::{Deserialize, Serialize};

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
