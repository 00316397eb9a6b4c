//! The randommix audio front end, without burn: WAV decoding and writing, resampling to
//! 16 kHz, fixed-length clips, noise helpers, librosa-equal log-mel spectrograms, and their
//! inversion back to audio (NNLS + fast Griffin-Lim).
//!
//! - [`audio`]: WAV in and out, resampling, clips, noise.
//! - [`features`]: [`features::MelFrontend`] (STFT → mel → dB), `.npy` I/O, inversion.
//! - [`io`]: atomic file output (temporary file + rename), used by every writer.
//!
//! # Growing without breaking
//!
//! The settings ([`features::MelConfig`], [`features::GriffinLimConfig`]) and the values
//! returned to callers ([`audio::Decoded`], [`features::ExtractSummary`], the errors) are
//! `#[non_exhaustive]` with public fields: read and assign the fields freely, and build
//! settings from `Default` plus the `with_*` methods
//! (`MelConfig::default().with_n_mels(64)`), not with struct literals. The enums that may
//! gain variants ([`features::MelScale`], [`features::MelNorm`], [`audio::Encoding`] and the
//! errors) are `#[non_exhaustive]` too. [`ndarray`] and [`rand`] (whose `Rng` the inversion
//! takes) are re-exported, so callers can use the versions this crate was built with.
#![warn(missing_docs)]

pub use ndarray;
pub use rand;

pub mod audio;
pub mod features;
pub mod io;

/// The README's code blocks, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
