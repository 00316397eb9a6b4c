//! Batch mixing for spectrogram classifiers: Mixup, CutMix, ResizeMix, FMix and RandomMix.
//!
//! This crate depends on `ndarray`, `rand`, `rand_distr`, `realfft`/`rustfft` (for FMix) and
//! `thiserror` only, so that other audio projects can use it without a deep-learning framework.
//!
//! # Conventions
//!
//! - **Inputs** `x` are batches of shape `[B, C, H, W]` (any layout, any `H × W` rectangle).
//!   For log-mel spectrograms `H` is the frequency axis (mel bands) and `W` the time axis
//!   (frames): 40 × 101 for one second of audio with a 10 ms hop.
//! - **Targets** `y` are `[B, K]` one-hot or soft labels. They must be finite.
//! - **Pairing**: every call draws one random permutation `π` of the batch from the caller's
//!   RNG; sample `i` is mixed with sample `π(i)`, its *partner*. A fixed point (`π(i) = i`,
//!   always the case for a batch of one) leaves the sample unchanged and is flagged by
//!   [`MixRecord::self_paired`]. [`Mixer::mix_pairs`] takes the partners from the caller
//!   instead (for example to mix one chosen pair), with the same draws otherwise.
//! - **Label convention**: `λ` is the share of the *original* sample,
//!   `t_i = λ_i · y_i + (1 − λ_i) · y_π(i)`. For box and mask modes `λ` is recomputed from the
//!   cells actually taken from the original sample (after clipping and rounding), so it is
//!   exactly the pixel share. Targets whose rows sum to one still sum to one after mixing.
//! - **Randomness** comes only from the `rng` passed to [`Mixer::mix`]: the same seed gives the
//!   same output, bit for bit. [`Mixer`] takes `&mut dyn RngCore`, to which `&mut rng`
//!   coerces for any RNG type.
//! - **Errors**: invalid settings are [`MixConfigError`]s, found when a mixer is built or a
//!   spec string parsed; a batch that cannot be mixed gives a [`MixBatchError`]. Constructors
//!   return [`MixConfigError`]; the [`Mixer`] methods return [`MixError::Batch`] and the spec
//!   parsers [`MixError::Config`], so one `?` covers a parse-then-mix pipeline.
//!
//! Every mixer is built once from its config and is `Send + Sync`, so one [`RandomMix`] can
//! be shared between data-loading threads. FMix plans its FFTs for each plane shape on first
//! use and keeps the plans. [`Mixer`] is object-safe (`Box<dyn Mixer>`, `&dyn Mixer`).
//!
//! # Growing without breaking
//!
//! The settings and records are `#[non_exhaustive]` structs with public fields: read and
//! assign the fields freely, and build values from `Default` plus the `with_*` methods
//! (`MixupConfig::default().with_alpha(0.4)`) or the constructors ([`Candidate::new`],
//! [`Rect::new`], [`MixRecord::new`]), not with struct literals. The enums that may gain
//! variants ([`Mode`], [`ModeConfig`], [`AnyMixer`], [`MixMask`], [`Region`],
//! [`Granularity`] and the errors) are `#[non_exhaustive]` too. [`ndarray`] and [`rand`] are
//! re-exported, so callers can use the versions this crate was built with.
//!
//! # Files
//!
//! One mode per file (`mixup.rs`, `cutmix.rs`, `resizemix.rs`, `fmix.rs`; `any.rs` for a mode
//! chosen at run time, `randommix.rs` for the weighted choice), all drawing through the one
//! loop in `engine.rs` (`draw.rs` writes a drawn operation into a sample, `dims.rs` checks a batch's shape). `record.rs` holds
//! what a mix returns, `options.rs` the shared settings, `spec.rs` the string forms and
//! `error.rs` the errors.
//!
//! # Example
//!
//! ```
//! use ndarray::{Array2, Array4};
//! use rand::SeedableRng;
//! use rand_chacha::ChaCha8Rng;
//! use randommix_mix::{DEFAULT_SPEC, Mixer, RandomMix};
//!
//! let x = Array4::<f32>::zeros((8, 1, 40, 101));
//! let mut y = Array2::<f32>::zeros((8, 12));
//! for i in 0..8 {
//!     y[[i, i]] = 1.0;
//! }
//! let mixer: RandomMix = DEFAULT_SPEC.parse()?; // or "randommix", or "mixup:1,cutmix:2;skip=0.5"
//! let mut rng = ChaCha8Rng::seed_from_u64(7);
//! let mixed = mixer.mix(x.view(), y.view(), &mut rng)?;
//! assert_eq!(mixed.x.dim(), (8, 1, 40, 101));
//! for (row, rec) in mixed.y.rows().into_iter().zip(&mixed.records) {
//!     assert!((row.sum() - 1.0).abs() < 1e-6);
//!     assert!((0.0..=1.0).contains(&rec.lambda));
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

mod any;
mod cutmix;
mod dims;
mod draw;
mod engine;
mod error;
mod fmix;
mod mixer;
mod mixup;
mod options;
mod randommix;
mod record;
mod resizemix;
mod spec;
#[cfg(test)]
mod tests;

pub use ndarray;
pub use rand;

pub use self::any::{AnyMixer, ModeConfig};
pub use self::cutmix::{CutMix, CutMixConfig};
pub use self::error::{MixBatchError, MixConfigError, MixError};
pub use self::fmix::{FMix, FMixConfig};
pub use self::mixer::Mixer;
pub use self::mixup::{Mixup, MixupConfig};
pub use self::options::{Granularity, Region};
pub use self::randommix::{Candidate, RandomMix, RandomMixConfig};
pub use self::record::{MixMask, MixRecord, Mixed, Mode, Rect};
pub use self::resizemix::{ResizeMix, ResizeMixConfig};

/// The paper's RandomMix: Mixup, CutMix, ResizeMix and FMix with their default settings and
/// equal weights, one mode drawn per batch, always mixing.
///
/// It parses to [`RandomMixConfig::default()`], which prints as this string; the spec
/// `randommix` is an alias for it (and combines with global options: `randommix;skip=0.5`).
///
/// ```
/// use randommix_mix::{DEFAULT_SPEC, RandomMixConfig};
///
/// let config: RandomMixConfig = DEFAULT_SPEC.parse()?;
/// assert_eq!(config, RandomMixConfig::default());
/// assert_eq!(config, "RandomMix".parse()?);
/// # Ok::<(), randommix_mix::MixError>(())
/// ```
pub const DEFAULT_SPEC: &str = "mixup:1,cutmix:1,resizemix:1,fmix:1";

/// The README's code blocks, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
