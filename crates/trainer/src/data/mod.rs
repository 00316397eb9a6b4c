//! Speech Commands data: the folder index and its splits, the classification tasks, and the
//! pipeline from clips to (augmented) feature batches.

pub mod index;
pub mod noise;
pub mod pipeline;
pub mod seeds;
pub mod sounds;
pub mod store;
pub mod task;
pub mod voice;

pub use index::{DatasetIndex, Entry, Split, SplitSource, which_set};
pub use noise::NoiseSnr;
pub use pipeline::{AugmentConfig, Batch, Normalization};
pub use store::{AudioStore, RESIDENT_LIMIT_BYTES};
pub use task::{Item, Source, Task, TaskSpec};
pub use voice::{SpecAugment, VoiceAugment};

use std::path::PathBuf;

/// Errors from indexing or loading a dataset. Every variant names the file or folder.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file or folder could not be read.
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The folder is not a usable Speech Commands folder.
    #[error("{path}: {problem}")]
    NotADataset {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A bad line in a list file.
    #[error("{path}, line {line}: {problem}")]
    List {
        /// The list file.
        path: PathBuf,
        /// 1-based line number (0 when not tied to one line).
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A list file names clips that do not exist (or are not `.wav` files in a word folder).
    #[error("{list}, line {line}: {count} listed file(s) do not exist, e.g. {first:?}")]
    MissingFiles {
        /// The list file.
        list: PathBuf,
        /// 1-based line of the first missing entry.
        line: usize,
        /// How many are missing.
        count: usize,
        /// The first few.
        first: Vec<String>,
    },
    /// The task cannot be built from this dataset.
    #[error("task: {0}")]
    Task(String),
    /// A clip failed to decode.
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
}
