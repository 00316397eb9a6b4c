//! Errors: invalid settings ([`MixConfigError`]) apart from unusable batches
//! ([`MixBatchError`]), and the [`MixError`] umbrella over both.
//!
//! Constructors (`new`, [`ModeConfig::build`](crate::ModeConfig::build)) can only fail with a
//! [`MixConfigError`] and return it as such. The [`Mixer`](crate::Mixer) methods return
//! [`MixError::Batch`] and the spec-string parsers ([`FromStr`](std::str::FromStr)) return
//! [`MixError::Config`], so that one `?` or `#[from] MixError` covers a whole
//! parse-then-mix pipeline.

use crate::Mode;

/// Invalid mixer settings or an invalid spec string: found when a mixer is built or parsed,
/// before any batch is seen.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MixConfigError {
    /// A Beta parameter is not a finite positive number.
    #[error("{mode}: alpha must be finite and > 0, got {alpha}")]
    InvalidAlpha {
        /// The mode being configured.
        mode: Mode,
        /// The rejected value.
        alpha: f64,
    },
    /// The FMix decay power is negative or not finite.
    #[error("fmix: decay must be finite and >= 0, got {decay}")]
    InvalidDecay {
        /// The rejected value.
        decay: f64,
    },
    /// The ResizeMix scale range is not `0 < min <= max <= 1`.
    #[error("resizemix: scale range must satisfy 0 < min <= max <= 1, got {min}..{max}")]
    InvalidScaleRange {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
    /// Mixup's decibels per unit are set but not a finite positive number.
    #[error("mixup: db (decibels per unit) must be finite and > 0, got {db_per_unit}")]
    InvalidDbPerUnit {
        /// The rejected value.
        db_per_unit: f64,
    },
    /// A candidate weight is negative or not finite.
    #[error("weight of {mode} must be finite and >= 0, got {weight}")]
    InvalidWeight {
        /// The candidate's mode.
        mode: Mode,
        /// The rejected weight.
        weight: f64,
    },
    /// All candidate weights are zero.
    #[error("candidate weights sum to zero: nothing to choose from (use `none` for no mixing)")]
    ZeroTotalWeight,
    /// [`RandomMixConfig::skip_prob`](crate::RandomMixConfig::skip_prob) is outside `[0, 1]`.
    #[error("skip probability must be in [0, 1], got {skip_prob}")]
    InvalidSkipProb {
        /// The rejected value.
        skip_prob: f64,
    },
    /// A [`RandomMix`](crate::RandomMix) spec string could not be parsed.
    #[error("invalid mixing spec at `{token}`: {reason}")]
    Parse {
        /// The offending part of the string.
        token: String,
        /// What was expected.
        reason: String,
    },
}

impl MixConfigError {
    /// A [`MixConfigError::Parse`] naming the trimmed `token`.
    pub(crate) fn parse(token: &str, reason: impl Into<String>) -> Self {
        MixConfigError::Parse {
            token: token.trim().to_string(),
            reason: reason.into(),
        }
    }
}

/// A batch that cannot be mixed: inconsistent shapes, empty dimensions, bad targets or bad
/// caller-chosen partners. The mixer itself is fine and can mix the next batch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MixBatchError {
    /// `x` and `y` have different batch sizes.
    #[error("batch size mismatch: x has {expected} samples but y has {actual} rows")]
    BatchMismatch {
        /// Batch size of `x`.
        expected: usize,
        /// Rows of `y`.
        actual: usize,
    },
    /// The batch has no samples.
    #[error("cannot mix an empty batch")]
    EmptyBatch,
    /// A sample has no cells (`C`, `H` or `W` is zero).
    #[error("cannot mix samples of shape [C, H, W] = {shape:?}: no cells")]
    EmptyPlane {
        /// `[C, H, W]` of the batch.
        shape: [usize; 3],
    },
    /// The caller-chosen partners of [`Mixer::mix_pairs`](crate::Mixer::mix_pairs) do not
    /// have one entry per sample.
    #[error("partner list has {actual} entries for a batch of {expected}")]
    PartnerCount {
        /// Batch size.
        expected: usize,
        /// Entries in the partner list.
        actual: usize,
    },
    /// A caller-chosen partner is not a batch index.
    #[error("partner of sample {index} is {partner}, outside the batch of {batch}")]
    PartnerOutOfRange {
        /// The sample whose partner is invalid.
        index: usize,
        /// The invalid partner index.
        partner: usize,
        /// Batch size.
        batch: usize,
    },
    /// A target is NaN or infinite.
    #[error("target y[{row}, {col}] = {value} is not finite")]
    NonFiniteTarget {
        /// Sample index.
        row: usize,
        /// Class index.
        col: usize,
        /// The offending value.
        value: f32,
    },
}

/// Any mixing error: a configuration error or a batch error. Its message is the inner
/// error's.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MixError {
    /// Invalid settings or spec string (from parsing or building a mixer).
    #[error(transparent)]
    Config(#[from] MixConfigError),
    /// A batch that cannot be mixed (from the [`Mixer`](crate::Mixer) methods).
    #[error(transparent)]
    Batch(#[from] MixBatchError),
}
