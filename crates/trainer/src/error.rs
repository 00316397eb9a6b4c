//! The error type of training, evaluation and inference.

use std::path::PathBuf;

/// Errors of training and evaluation. Every variant names the file, folder or setting.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A setting (a command-line value or a configuration field) outside its allowed range.
    #[error("{setting} {value} is out of range: it must be {expected}")]
    OutOfRange {
        /// The setting, as the user gives it (e.g. `--eps`).
        setting: String,
        /// The value given.
        value: String,
        /// The allowed range, in words.
        expected: String,
    },
    /// A setting that cannot be used, with what is wrong and what would do.
    #[error("{setting}: {problem}")]
    Setting {
        /// The setting, as the user gives it (e.g. `--threshold-for`).
        setting: String,
        /// What is wrong, in a full sentence.
        problem: String,
    },
    /// An audio stream (standard input or a recording) that cannot be read on.
    #[error("{name}: {problem}")]
    Stream {
        /// The stream (`standard input` or the file).
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A report's chart could not be drawn or written ([`crate::charts::ChartSink`]).
    #[error("cannot draw {}: {cause}", path.display())]
    Chart {
        /// The chart's file.
        path: PathBuf,
        /// What the chart sink reported.
        #[source]
        cause: crate::charts::ChartError,
    },
    /// Backpropagation gave no usable gradient with respect to the input (FGSM).
    #[error("{model}: no gradient with respect to the input for the FGSM attack ({problem})")]
    NoGradient {
        /// The network: its checkpoint file.
        model: String,
        /// What was missing.
        problem: String,
    },
    /// An output that exists and is kept, because replacing it was not asked for.
    #[error("{} exists; pass --force to overwrite it", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// A result that cannot be written as JSON.
    #[error("{}: cannot write the result as JSON: {cause}", path.display())]
    Json {
        /// The file it was meant for.
        path: PathBuf,
        /// What serde_json said.
        cause: serde_json::Error,
    },
    /// The thread that prepares training batches stopped before the epoch was complete.
    #[error("the data pipeline stopped after {made} of the epoch's {steps} batches")]
    PipelineStopped {
        /// Batches received.
        made: usize,
        /// Batches the epoch has.
        steps: usize,
    },
    /// A file or folder could not be read or created.
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// An output could not be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
    /// A corrupt or mismatched checkpoint.
    #[error("{path}: {problem}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A checkpoint whose weights (or batch-norm statistics) hold NaN or infinite values.
    #[error(
        "{}: the weights are not finite ({count} NaN or infinite value(s), the first in {parameter}); \
         this checkpoint cannot be used: retrain the run or use another checkpoint",
        path.display()
    )]
    NonFiniteWeights {
        /// The checkpoint file.
        path: PathBuf,
        /// The first parameter holding a non-finite value.
        parameter: String,
        /// How many values are not finite, over all parameters.
        count: usize,
    },
    /// The network gave NaN or infinite outputs, so no result can be computed from them.
    #[error(
        "{model}: the network's outputs are not finite (NaN or infinite) for {inputs} input(s); \
         no result was computed from them"
    )]
    NonFiniteOutput {
        /// The network: its checkpoint file, or the training run and epoch.
        model: String,
        /// The number of inputs in the batch that gave them.
        inputs: usize,
    },
    /// The run folder cannot be used.
    #[error("{path}: {problem}")]
    RunDir {
        /// The folder.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A dataset problem.
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    /// A front-end problem.
    #[error(transparent)]
    Features(#[from] crate::features::FeatureError),
    /// A mixing problem.
    #[error(transparent)]
    Mix(#[from] crate::mix::MixError),
    /// Training diverged.
    #[error("training diverged at epoch {epoch}: loss is {loss}")]
    Diverged {
        /// The epoch.
        epoch: usize,
        /// The loss value.
        loss: f64,
    },
}
