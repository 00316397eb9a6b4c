//! The log-mel front end and its inverse.
//!
//! # Conventions
//!
//! - Input: mono `f32` samples at [`MelConfig::sample_rate`] (16 kHz by default).
//! - STFT: periodic Hann window of `win_length` samples centred in an `n_fft`-point frame
//!   (as librosa pads the window), hop `hop_length`, `center = true` pads `n_fft / 2` zeros
//!   on both sides, so a 1 s clip gives `1 + 16000 / 160 = 101` frames.
//! - Spectrum: `|X|^power` (power 2 by default), computed in f32.
//! - Mel: the filterbank of `librosa.filters.mel` (Slaney scale and Slaney area norm by
//!   default, HTK as an option), computed in f64 and stored in f32 as sparse bands.
//! - Log: `10 · log10(max(amin, S))` with `amin = 1e-10`, so silence is −100 dB; optional
//!   `top_db` clipping per clip. No reference scaling (`ref = 1`).
//! - Output: [`ndarray::Array2`] `[n_mels, frames]`, batches [`ndarray::Array3`]
//!   `[clips, n_mels, frames]`.
//!
//! These defaults reproduce `librosa.feature.melspectrogram` + `power_to_db` to within
//! 0.05 dB (see `tests/features_reference.rs`, fixtures in `tests/data/logmel_ref/`).
//!
//! [`invert`] turns a log-mel back into audio (non-negative least squares + fast
//! Griffin-Lim), for listening to what the model sees.

mod config;
mod extract;
mod filterbank;
mod frontend;
pub mod invert;
mod rfft;

use std::path::PathBuf;

pub use config::{MelConfig, MelNorm, MelScale};
pub use extract::{ExtractSummary, collect_wavs, extract_to_npy, read_logmel_npy, read_npy_f32};
pub use filterbank::{Filterbank, hz_to_mel, mel_filterbank_dense, mel_frequencies, mel_to_hz};
pub use frontend::{MelFrontend, Scratch, hann_periodic};
pub use invert::{
    GriffinLimConfig, MelInverter, mel_to_audio, spectral_convergence, stft_magnitude,
};

/// A front-end error. Configuration errors name the field; file errors name the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureError {
    /// A [`MelConfig`] or [`GriffinLimConfig`] field is out of range.
    #[error("invalid front-end config: {field} {problem}")]
    InvalidConfig {
        /// The field, e.g. `win_length`.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
    /// An input array has the wrong shape.
    #[error("wrong shape: expected {expected}, found {actual}")]
    Shape {
        /// What was expected, e.g. `40 mel bands`.
        expected: String,
        /// What was given.
        actual: String,
    },
    /// An input WAV file could not be read.
    #[error(transparent)]
    Audio(#[from] crate::audio::AudioError),
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
    /// A file or folder could not be read.
    #[error("cannot read {}: {cause}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        cause: std::io::Error,
    },
    /// No WAV file was found among the inputs.
    #[error("no .wav files found in {}", .paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoInputs {
        /// The inputs that were searched.
        paths: Vec<PathBuf>,
    },
    /// A `.npy` file is not a float32 array of the expected rank, or is damaged.
    #[error("{}: {problem}", path.display())]
    Npy {
        /// The file.
        path: PathBuf,
        /// What is wrong, e.g. `expected dtype float32 ('<f4'), found '<f8'`.
        problem: String,
    },
}
