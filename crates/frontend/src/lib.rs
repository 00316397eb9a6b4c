//! The randommix audio front end, without burn: WAV decoding and writing, resampling to
//! 16 kHz, fixed-length clips, noise helpers, librosa-equal log-mel spectrograms, and their
//! inversion back to audio (NNLS + fast Griffin-Lim).
//!
//! - [`audio`]: WAV in and out, resampling, clips, noise.
//! - [`features`]: [`features::MelFrontend`] (STFT → mel → dB), `.npy` I/O, inversion.
//! - [`io`]: atomic file output (temporary file + rename), used by every writer.
#![warn(missing_docs)]

pub mod audio;
pub mod features;
pub mod io;
