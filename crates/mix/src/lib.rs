//! Batch mixing for spectrogram classifiers: Mixup, CutMix, ResizeMix, FMix and RandomMix.
//!
//! This module depends on `ndarray`, `rand`, `rand_distr`, `realfft`/`rustfft` (for FMix) and
//! `thiserror` only, so that other audio projects can use it without the rest of the crate.
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
//!   same output.
//!
//! Every mixer is built once from its config (FMix plans its FFTs there) and is `Send + Sync`,
//! so one [`RandomMix`] can be shared between data-loading threads.
//!
//! # Example
//!
//! ```
//! use ndarray::{Array2, Array4};
//! use rand::SeedableRng;
//! use rand_chacha::ChaCha8Rng;
//! use randommix_mix::{Mixer, RandomMix};
//!
//! let x = Array4::<f32>::zeros((8, 1, 40, 101));
//! let mut y = Array2::<f32>::zeros((8, 12));
//! for i in 0..8 {
//!     y[[i, i]] = 1.0;
//! }
//! let mixer: RandomMix = "mixup:1,cutmix:1,resizemix:1,fmix:1".parse()?;
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

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ndarray::{Array2, Array4, ArrayView2, ArrayView4};
use rand::Rng;
use rand::seq::SliceRandom;

mod cutmix;
mod fmix;
mod mixup;
mod randommix;
mod resizemix;
#[cfg(test)]
mod tests;

pub use self::cutmix::{CutMix, CutMixConfig};
pub use self::fmix::{FMix, FMixConfig};
pub use self::mixup::{Mixup, MixupConfig};
pub use self::randommix::{AnyMixer, Candidate, ModeConfig, RandomMix, RandomMixConfig};
pub use self::resizemix::{ResizeMix, ResizeMixConfig};

/// A batch mixing method.
///
/// Implemented by every mode ([`Mixup`], [`CutMix`], [`ResizeMix`], [`FMix`]), by the
/// enum [`AnyMixer`] and by [`RandomMix`]. The generic RNG parameter makes the trait not
/// object-safe; use [`AnyMixer`] (or [`RandomMix`]) to choose a mode at run time.
pub trait Mixer {
    /// Mixes a batch into `out`, reusing its buffers when their shapes already match.
    ///
    /// `out` may be [`Mixed::default()`]; it is resized as needed, so a caller that keeps one
    /// `Mixed` across batches of a fixed shape reuses its input, target and record storage and
    /// allocates only small per-batch buffers (the permutation, ResizeMix's interpolation
    /// taps, FMix's masks, which the records keep).
    ///
    /// # Shapes
    ///
    /// `x: [B, C, H, W]`, `y: [B, K]`; `out.x` becomes `[B, C, H, W]`, `out.y` `[B, K]` and
    /// `out.records` holds `B` records in batch order.
    ///
    /// # Errors
    ///
    /// [`MixError::BatchMismatch`] if `x` and `y` disagree on `B`, [`MixError::EmptyBatch`]
    /// if `B = 0`, [`MixError::EmptyPlane`] if `C`, `H` or `W` is zero and
    /// [`MixError::NonFiniteTarget`] if `y` holds a NaN or an infinity. On error `out` is
    /// left unchanged.
    fn mix_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError>;

    /// Mixes a batch and returns newly allocated outputs.
    ///
    /// Same contract as [`Mixer::mix_into`].
    fn mix<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        rng: &mut R,
    ) -> Result<Mixed, MixError> {
        let mut out = Mixed::default();
        self.mix_into(x, y, rng, &mut out)?;
        Ok(out)
    }

    /// Mixes a batch with caller-chosen partners into `out`: sample `i` is mixed with
    /// sample `partners[i]` instead of a random permutation. Every other draw (mode, `λ`,
    /// box, mask) comes from `rng` as in [`Mixer::mix_into`], which is the same as this method
    /// with the permutation drawn from `rng` first.
    ///
    /// `partners` need not be a permutation: `[1, 0]` mixes a pair both ways, `[1, 1]` mixes
    /// sample 0 with sample 1 and leaves sample 1 unchanged (`partners[i] == i` makes sample
    /// `i` self-paired).
    ///
    /// # Errors
    ///
    /// Those of [`Mixer::mix_into`], and [`MixError::PartnerCount`] if `partners` does not
    /// have one entry per sample or [`MixError::PartnerOutOfRange`] if an entry is not a
    /// batch index. On error `out` is left unchanged.
    fn mix_pairs_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: &[usize],
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError>;

    /// Mixes a batch with caller-chosen partners and returns newly allocated outputs.
    ///
    /// Same contract as [`Mixer::mix_pairs_into`].
    ///
    /// ```
    /// use ndarray::{Array2, Array4};
    /// use rand::SeedableRng;
    /// use rand_chacha::ChaCha8Rng;
    /// use randommix_mix::{Mixer, RandomMix};
    ///
    /// let x = Array4::from_shape_fn((2, 1, 40, 101), |(b, _, _, _)| b as f32);
    /// let y = Array2::from_shape_fn((2, 2), |(b, k)| if b == k { 1.0 } else { 0.0 });
    /// let mixer: RandomMix = "cutmix".parse()?;
    /// let mixed = mixer.mix_pairs(x.view(), y.view(), &[1, 0], &mut ChaCha8Rng::seed_from_u64(1))?;
    /// assert_eq!(mixed.records[0].partner, 1);
    /// assert!(!mixed.records[0].self_paired);
    /// # Ok::<(), randommix_mix::MixError>(())
    /// ```
    fn mix_pairs<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: &[usize],
        rng: &mut R,
    ) -> Result<Mixed, MixError> {
        let mut out = Mixed::default();
        self.mix_pairs_into(x, y, partners, rng, &mut out)?;
        Ok(out)
    }
}

/// The result of mixing one batch.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mixed {
    /// Mixed inputs, `[B, C, H, W]` in standard (C) layout.
    pub x: Array4<f32>,
    /// Mixed targets, `[B, K]`: `t_i = λ_i · y_i + (1 − λ_i) · y_π(i)`.
    pub y: Array2<f32>,
    /// One record per sample, in batch order.
    pub records: Vec<MixRecord>,
}

/// What happened to one sample of the batch.
#[derive(Debug, Clone, PartialEq)]
pub struct MixRecord {
    /// Position of the sample in the batch.
    pub index: usize,
    /// Batch index of the partner whose content was mixed in (`index` itself when unmixed).
    pub partner: usize,
    /// True when the sample was paired with itself (a batch of one, a fixed point of the
    /// permutation, or an unmixed sample): its output equals its input.
    pub self_paired: bool,
    /// The mode used, or `None` when the sample was left unmixed.
    pub mode: Option<Mode>,
    /// Realised share of the original sample, in `[0, 1]`. For box and mask modes this is the
    /// exact share of cells taken from the original. When `self_paired` is true the output
    /// equals the input whatever `lambda` says (it is kept as drawn so that the geometry
    /// below stays consistent); it is 1 for unmixed samples.
    pub lambda: f32,
    /// Where the partner's content went.
    pub mask: MixMask,
}

impl MixRecord {
    /// The share of the original sample in every cell of the `H × W` plane.
    ///
    /// 1 = original, 0 = partner; Mixup gives `λ` everywhere. Its mean is `lambda` (exactly so
    /// for box and mask modes). A self-paired sample still returns the drawn geometry.
    pub fn original_share(&self, height: usize, width: usize) -> Array2<f32> {
        match &self.mask {
            MixMask::None => Array2::ones((height, width)),
            MixMask::Blend => Array2::from_elem((height, width), self.lambda),
            MixMask::Box { .. } | MixMask::Pasted { .. } => {
                let mut a = Array2::ones((height, width));
                if let Some(r) = self.mask.rect() {
                    for row in r.top..(r.top + r.height).min(height) {
                        for col in r.left..(r.left + r.width).min(width) {
                            a[[row, col]] = 0.0;
                        }
                    }
                }
                a
            }
            MixMask::Mask(m) => m.mapv(|keep| if keep { 1.0 } else { 0.0 }),
        }
    }
}

/// An axis-aligned box in the `H × W` plane (rows `top..top+height`, columns
/// `left..left+width`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rect {
    /// First row (frequency index).
    pub top: usize,
    /// First column (time index).
    pub left: usize,
    /// Number of rows.
    pub height: usize,
    /// Number of columns.
    pub width: usize,
}

impl Rect {
    /// Number of cells in the box.
    pub fn area(&self) -> usize {
        self.height * self.width
    }
}

/// The spatial footprint of one mixing operation, for drawing what happened.
#[derive(Debug, Clone, PartialEq)]
pub enum MixMask {
    /// Nothing was mixed in (unmixed sample).
    None,
    /// Every cell is `λ · original + (1 − λ) · partner` (Mixup).
    Blend,
    /// The box holds the partner's cells at the same positions (CutMix).
    Box(Rect),
    /// The box holds the whole partner, bilinearly shrunk to the box size (ResizeMix).
    Pasted(Rect),
    /// `[H, W]` mask: `true` = cell from the original, `false` = from the partner (FMix).
    /// Shared between the records of a batch when the mask was drawn once per batch.
    Mask(Arc<Array2<bool>>),
}

impl MixMask {
    /// The box for [`MixMask::Box`] and [`MixMask::Pasted`], `None` otherwise.
    pub fn rect(&self) -> Option<Rect> {
        match self {
            MixMask::Box(r) | MixMask::Pasted(r) => Some(*r),
            _ => None,
        }
    }
}

/// The four mixing modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Convex combination of the whole samples ([`Mixup`]).
    Mixup,
    /// A box cut from the partner ([`CutMix`]).
    CutMix,
    /// The whole partner shrunk into a box ([`ResizeMix`]).
    ResizeMix,
    /// A low-frequency Fourier mask ([`FMix`]).
    FMix,
}

impl Mode {
    /// All modes, in the order used by the default [`RandomMix`].
    pub const ALL: [Mode; 4] = [Mode::Mixup, Mode::CutMix, Mode::ResizeMix, Mode::FMix];

    /// The lower-case name used by [`RandomMix`]'s string form.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Mixup => "mixup",
            Mode::CutMix => "cutmix",
            Mode::ResizeMix => "resizemix",
            Mode::FMix => "fmix",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = MixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Mode::ALL
            .into_iter()
            .find(|m| t.eq_ignore_ascii_case(m.name()))
            .ok_or_else(|| MixError::parse(s, "expected mixup, cutmix, resizemix or fmix"))
    }
}

/// Where box and mask modes may put the partner's content (time-frequency awareness).
///
/// `H` is the frequency axis and `W` the time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Region {
    /// Boxes and masks anywhere in the `H × W` plane (the image methods as published).
    #[default]
    Full,
    /// Full-height strips: only the time extent (columns) is drawn; an area fraction becomes
    /// a width fraction. FMix draws a 1-D mask along time, broadcast over frequency.
    TimeStrips,
    /// Full-width bands: only the frequency extent (rows) is drawn. FMix draws a 1-D mask
    /// along frequency, broadcast over time.
    FreqBands,
}

impl Region {
    /// The name used in [`RandomMix`]'s string form: `full`, `time` or `freq`.
    pub fn name(self) -> &'static str {
        match self {
            Region::Full => "full",
            Region::TimeStrips => "time",
            Region::FreqBands => "freq",
        }
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Region {
    type Err = MixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Region::Full),
            "time" | "timestrips" => Ok(Region::TimeStrips),
            "freq" | "freqbands" => Ok(Region::FreqBands),
            _ => Err(MixError::parse(s, "expected full, time or freq")),
        }
    }
}

/// How often a random choice is drawn: once per batch or once per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Granularity {
    /// One draw for the whole batch (the published methods, timm, openmixup).
    #[default]
    Batch,
    /// One draw per sample.
    Sample,
}

impl Granularity {
    /// The name used in [`RandomMix`]'s string form: `batch` or `sample`.
    pub fn name(self) -> &'static str {
        match self {
            Granularity::Batch => "batch",
            Granularity::Sample => "sample",
        }
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Granularity {
    type Err = MixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "batch" => Ok(Granularity::Batch),
            "sample" => Ok(Granularity::Sample),
            _ => Err(MixError::parse(s, "expected batch or sample")),
        }
    }
}

/// Errors from building a mixer (invalid settings, bad spec strings) or from mixing a batch
/// (inconsistent shapes, bad targets).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MixError {
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
    /// The caller-chosen partners of [`Mixer::mix_pairs`] do not have one entry per sample.
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
    /// A probability outside `[0, 1]`.
    #[error("probability must be in [0, 1], got {p}")]
    InvalidProbability {
        /// The rejected value.
        p: f64,
    },
    /// A [`RandomMix`] spec string could not be parsed.
    #[error("invalid mixing spec at `{token}`: {reason}")]
    Parse {
        /// The offending part of the string.
        token: String,
        /// What was expected.
        reason: String,
    },
}

impl MixError {
    fn parse(token: &str, reason: impl Into<String>) -> Self {
        MixError::Parse {
            token: token.trim().to_string(),
            reason: reason.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared machinery: validation, one draw per batch or per sample, application to a sample.
// ---------------------------------------------------------------------------------------------

/// Batch dimensions after validation.
#[derive(Debug, Clone, Copy)]
struct Dims {
    b: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
}

impl Dims {
    fn sample_len(&self) -> usize {
        self.c * self.h * self.w
    }
    fn plane_len(&self) -> usize {
        self.h * self.w
    }
}

fn check(x: &ArrayView4<'_, f32>, y: &ArrayView2<'_, f32>) -> Result<Dims, MixError> {
    let (b, c, h, w) = x.dim();
    let (by, k) = y.dim();
    if b != by {
        return Err(MixError::BatchMismatch {
            expected: b,
            actual: by,
        });
    }
    if b == 0 {
        return Err(MixError::EmptyBatch);
    }
    if c == 0 || h == 0 || w == 0 {
        return Err(MixError::EmptyPlane { shape: [c, h, w] });
    }
    if let Some(((row, col), &value)) = y.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(MixError::NonFiniteTarget { row, col, value });
    }
    Ok(Dims { b, c, h, w, k })
}

/// Checks caller-chosen partners against the batch size `b`.
fn check_partners(partners: &[usize], b: usize) -> Result<(), MixError> {
    if partners.len() != b {
        return Err(MixError::PartnerCount {
            expected: b,
            actual: partners.len(),
        });
    }
    match partners.iter().enumerate().find(|&(_, &p)| p >= b) {
        Some((index, &partner)) => Err(MixError::PartnerOutOfRange {
            index,
            partner,
            batch: b,
        }),
        None => Ok(()),
    }
}

/// `λ ~ Beta(α, α)`, guarded against the odd non-finite draw.
fn draw_beta<R: Rng + ?Sized>(beta: &rand_distr::Beta<f64>, rng: &mut R) -> f64 {
    use rand_distr::Distribution;
    let l = beta.sample(rng);
    if l.is_finite() {
        l.clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Validates a Beta parameter and builds `Beta(α, α)`.
fn beta(mode: Mode, alpha: f64) -> Result<rand_distr::Beta<f64>, MixError> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(MixError::InvalidAlpha { mode, alpha });
    }
    rand_distr::Beta::new(alpha, alpha).map_err(|_| MixError::InvalidAlpha { mode, alpha })
}

/// One bilinear tap: output index `j` reads `lerp(src[i0], src[i1], t)`.
#[derive(Debug, Clone, Copy)]
struct Tap {
    i0: usize,
    i1: usize,
    t: f32,
}

/// Bilinear taps for resizing `input` cells to `output` cells with the `align_corners=false`
/// convention of `torch.nn.functional.interpolate` (no antialiasing).
fn taps(input: usize, output: usize) -> Vec<Tap> {
    let scale = input as f64 / output as f64;
    (0..output)
        .map(|j| {
            let src = ((j as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (src.floor() as usize).min(input - 1);
            let i1 = (i0 + 1).min(input - 1);
            Tap {
                i0,
                i1,
                t: (src - i0 as f64) as f32,
            }
        })
        .collect()
}

/// A realised draw for one sample (or for the whole batch).
#[derive(Debug, Clone)]
enum Draw {
    /// Leave the sample as it is.
    Keep,
    /// Mixup.
    Blend { lambda: f32 },
    /// CutMix: the box is copied from the partner.
    Cut { rect: Rect, lambda: f32 },
    /// ResizeMix: the partner is shrunk into the box.
    Paste {
        rect: Rect,
        rows: Vec<Tap>,
        cols: Vec<Tap>,
        lambda: f32,
    },
    /// FMix: `true` cells from the original; `bits` is the same mask as `u32::MAX` (original)
    /// or 0 (partner) per cell, for a branch-free select.
    Mask {
        mask: Arc<Array2<bool>>,
        bits: Vec<u32>,
        lambda: f32,
    },
}

impl Draw {
    fn lambda(&self) -> f32 {
        match self {
            Draw::Keep => 1.0,
            Draw::Blend { lambda }
            | Draw::Cut { lambda, .. }
            | Draw::Paste { lambda, .. }
            | Draw::Mask { lambda, .. } => *lambda,
        }
    }

    fn mode(&self) -> Option<Mode> {
        match self {
            Draw::Keep => None,
            Draw::Blend { .. } => Some(Mode::Mixup),
            Draw::Cut { .. } => Some(Mode::CutMix),
            Draw::Paste { .. } => Some(Mode::ResizeMix),
            Draw::Mask { .. } => Some(Mode::FMix),
        }
    }

    fn footprint(&self) -> MixMask {
        match self {
            Draw::Keep => MixMask::None,
            Draw::Blend { .. } => MixMask::Blend,
            Draw::Cut { rect, .. } => MixMask::Box(*rect),
            Draw::Paste { rect, .. } => MixMask::Pasted(*rect),
            Draw::Mask { mask, .. } => MixMask::Mask(Arc::clone(mask)),
        }
    }

    /// Writes the mixed sample `dst` from the original `xi` and partner `xp`, all `[C, H, W]`
    /// contiguous slices. `scratch` is reused between calls.
    fn apply(&self, xi: &[f32], xp: &[f32], dst: &mut [f32], d: Dims, scratch: &mut Vec<f32>) {
        match self {
            Draw::Blend { lambda } => {
                let (l, m) = (*lambda, 1.0 - *lambda);
                for ((o, &a), &b) in dst.iter_mut().zip(xi).zip(xp) {
                    *o = l * a + m * b;
                }
            }
            Draw::Mask { bits, .. } => {
                let plane = d.plane_len();
                for ((o, a), b) in dst
                    .chunks_exact_mut(plane)
                    .zip(xi.chunks_exact(plane))
                    .zip(xp.chunks_exact(plane))
                {
                    for (((o, &a), &b), &m) in o.iter_mut().zip(a).zip(b).zip(bits) {
                        *o = select(a, b, m);
                    }
                }
            }
            _ => {
                dst.copy_from_slice(xi);
                self.patch(xp, dst, d, scratch);
            }
        }
    }

    /// [`Draw::apply`] appending the mixed sample to `out` (no zero-filled buffer first).
    fn extend(&self, xi: &[f32], xp: &[f32], out: &mut Vec<f32>, d: Dims, scratch: &mut Vec<f32>) {
        match self {
            Draw::Blend { lambda } => {
                let (l, m) = (*lambda, 1.0 - *lambda);
                out.extend(xi.iter().zip(xp).map(|(&a, &b)| l * a + m * b));
            }
            Draw::Mask { bits, .. } => {
                let plane = d.plane_len();
                for (a, b) in xi.chunks_exact(plane).zip(xp.chunks_exact(plane)) {
                    out.extend(
                        a.iter()
                            .zip(b)
                            .zip(bits)
                            .map(|((&a, &b), &m)| select(a, b, m)),
                    );
                }
            }
            _ => {
                let start = out.len();
                out.extend_from_slice(xi);
                self.patch(xp, &mut out[start..], d, scratch);
            }
        }
    }

    /// Brings the partner `xp` into `dst`, which holds the original sample (box modes).
    fn patch(&self, xp: &[f32], dst: &mut [f32], d: Dims, scratch: &mut Vec<f32>) {
        let w = d.w;
        let plane = d.plane_len();
        match self {
            // Blend and Mask write whole samples in `apply` and `extend`.
            Draw::Keep | Draw::Blend { .. } | Draw::Mask { .. } => {}
            Draw::Cut { rect, .. } => {
                if rect.area() == 0 {
                    return;
                }
                let rows = rect.top * w..(rect.top + rect.height) * w;
                let cols = rect.left..rect.left + rect.width;
                for (o, p) in dst.chunks_exact_mut(plane).zip(xp.chunks_exact(plane)) {
                    for (orow, prow) in o[rows.clone()]
                        .chunks_exact_mut(w)
                        .zip(p[rows.clone()].chunks_exact(w))
                    {
                        orow[cols.clone()].copy_from_slice(&prow[cols.clone()]);
                    }
                }
            }
            Draw::Paste {
                rect, rows, cols, ..
            } => {
                // Separable bilinear: every partner row resized to the box width, then each
                // box row interpolated between two of those rows.
                let bw = rect.width;
                scratch.clear();
                scratch.resize(d.h * bw, 0.0);
                let box_rows = rect.top * w..(rect.top + rect.height) * w;
                for (o, p) in dst.chunks_exact_mut(plane).zip(xp.chunks_exact(plane)) {
                    for (srow, prow) in scratch.chunks_exact_mut(bw).zip(p.chunks_exact(w)) {
                        for (v, tx) in srow.iter_mut().zip(cols) {
                            let (a, b) = (prow[tx.i0], prow[tx.i1]);
                            *v = a + (b - a) * tx.t;
                        }
                    }
                    for (orow, ty) in o[box_rows.clone()].chunks_exact_mut(w).zip(rows) {
                        let r0 = &scratch[ty.i0 * bw..(ty.i0 + 1) * bw];
                        let r1 = &scratch[ty.i1 * bw..(ty.i1 + 1) * bw];
                        let t = ty.t;
                        for ((v, &a), &b) in
                            orow[rect.left..rect.left + bw].iter_mut().zip(r0).zip(r1)
                        {
                            *v = a + (b - a) * t;
                        }
                    }
                }
            }
        }
    }
}

/// `a` where `mask` is all ones, `b` where it is zero: an exact, branch-free select.
#[inline(always)]
fn select(a: f32, b: f32, mask: u32) -> f32 {
    f32::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

/// Something that draws the mixing operation for one sample (or one batch).
trait Draws {
    fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, d: Dims) -> Draw;
}

/// The input data as one contiguous slice in `[B, C, H, W]` order.
fn contiguous<'a>(x: &'a ArrayView4<'a, f32>) -> Cow<'a, [f32]> {
    match x.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(x.iter().copied().collect()),
    }
}

/// Where the mixed inputs go.
enum XOut<'a> {
    /// The caller's buffer, already of the right shape.
    Reuse(&'a mut [f32]),
    /// A new buffer filled sample by sample (never zero-filled first), then moved into `target`.
    Fresh {
        buf: Vec<f32>,
        target: &'a mut Array4<f32>,
        dim: (usize, usize, usize, usize),
    },
}

impl XOut<'_> {
    /// Writes sample `i` (`n` values): a copy of `xi` when `partner` is `None`, else `draw`
    /// applied to `xi` and the partner.
    fn write(
        &mut self,
        i: usize,
        xi: &[f32],
        partner: Option<(&Draw, &[f32])>,
        d: Dims,
        scratch: &mut Vec<f32>,
    ) {
        let n = xi.len();
        match (self, partner) {
            (XOut::Reuse(ox), None) => ox[i * n..(i + 1) * n].copy_from_slice(xi),
            (XOut::Reuse(ox), Some((draw, xp))) => {
                draw.apply(xi, xp, &mut ox[i * n..(i + 1) * n], d, scratch)
            }
            (XOut::Fresh { buf, .. }, None) => buf.extend_from_slice(xi),
            (XOut::Fresh { buf, .. }, Some((draw, xp))) => draw.extend(xi, xp, buf, d, scratch),
        }
    }

    /// Moves a fresh buffer into the output array.
    fn finish(self) {
        if let XOut::Fresh { buf, target, dim } = self {
            *target = Array4::from_shape_vec(dim, buf).expect("one [C, H, W] sample per index");
        }
    }
}

/// Makes `out` the right shape (reusing its storage when possible) and returns its parts.
fn prepare_out(out: &mut Mixed, d: Dims) -> (XOut<'_>, &mut [f32], &mut Vec<MixRecord>) {
    let dim = (d.b, d.c, d.h, d.w);
    let Mixed { x, y, records } = out;
    let xo = if x.dim() == dim && x.is_standard_layout() {
        XOut::Reuse(
            x.as_slice_mut()
                .expect("standard-layout arrays are contiguous"),
        )
    } else {
        XOut::Fresh {
            buf: Vec::with_capacity(d.b * d.sample_len()),
            target: x,
            dim,
        }
    };
    if y.dim() != (d.b, d.k) || !y.is_standard_layout() {
        *y = Array2::zeros((d.b, d.k));
    }
    records.clear();
    records.reserve(d.b);
    (
        xo,
        y.as_slice_mut()
            .expect("standard-layout arrays are contiguous"),
        records,
    )
}

/// The shared mixing loop: draws a permutation (unless `partners` are given), then one
/// [`Draw`] per batch or per sample, and applies it to every sample and its targets.
fn run<R, D>(
    x: ArrayView4<'_, f32>,
    y: ArrayView2<'_, f32>,
    partners: Option<&[usize]>,
    rng: &mut R,
    out: &mut Mixed,
    per: Granularity,
    drawer: &mut D,
) -> Result<(), MixError>
where
    R: Rng + ?Sized,
    D: Draws,
{
    let d = check(&x, &y)?;
    let perm: Cow<'_, [usize]> = match partners {
        Some(p) => {
            check_partners(p, d.b)?;
            Cow::Borrowed(p)
        }
        None => {
            let mut perm: Vec<usize> = (0..d.b).collect();
            perm.shuffle(rng);
            Cow::Owned(perm)
        }
    };
    let batch_draw = match per {
        Granularity::Batch => Some(drawer.draw(rng, d)),
        Granularity::Sample => None,
    };
    let xs = contiguous(&x);
    let y = y.as_standard_layout();
    let ys = y.as_slice().expect("standard-layout arrays are contiguous");
    let n = d.sample_len();
    let (mut xo, oy, records) = prepare_out(out, d);
    let mut scratch = Vec::new();
    for (i, &p) in perm.iter().enumerate() {
        let own;
        let draw = match &batch_draw {
            Some(dr) => dr,
            None => {
                own = drawer.draw(rng, d);
                &own
            }
        };
        let keep = matches!(draw, Draw::Keep);
        let partner = if keep { i } else { p };
        let xi = &xs[i * n..(i + 1) * n];
        let lambda = draw.lambda();
        let yi = &ys[i * d.k..(i + 1) * d.k];
        let ty = &mut oy[i * d.k..(i + 1) * d.k];
        if partner == i {
            xo.write(i, xi, None, d, &mut scratch);
            ty.copy_from_slice(yi);
        } else {
            let xp = &xs[partner * n..(partner + 1) * n];
            xo.write(i, xi, Some((draw, xp)), d, &mut scratch);
            let yp = &ys[partner * d.k..(partner + 1) * d.k];
            let m = 1.0 - lambda;
            for ((t, &a), &b) in ty.iter_mut().zip(yi).zip(yp) {
                *t = lambda * a + m * b;
            }
        }
        records.push(MixRecord {
            index: i,
            partner,
            self_paired: partner == i,
            mode: draw.mode(),
            lambda,
            mask: draw.footprint(),
        });
    }
    xo.finish();
    Ok(())
}

/// Copies the batch unchanged (records say `mode = None`, `λ = 1`, `partner = index`).
fn keep_all(
    x: ArrayView4<'_, f32>,
    y: ArrayView2<'_, f32>,
    out: &mut Mixed,
) -> Result<(), MixError> {
    let d = check(&x, &y)?;
    let (mut xo, oy, records) = prepare_out(out, d);
    let xs = contiguous(&x);
    let n = d.sample_len();
    for (i, xi) in xs.chunks_exact(n).enumerate() {
        xo.write(i, xi, None, d, &mut Vec::new());
    }
    xo.finish();
    for (o, v) in oy.iter_mut().zip(y.iter()) {
        *o = *v;
    }
    records.extend((0..d.b).map(|i| MixRecord {
        index: i,
        partner: i,
        self_paired: true,
        mode: None,
        lambda: 1.0,
        mask: MixMask::None,
    }));
    Ok(())
}

/// Clips `[centre − len/2, centre − len/2 + len)` to `[0, size)`: returns (start, length).
fn clipped_span(centre: usize, len: usize, size: usize) -> (usize, usize) {
    let start = centre as isize - (len / 2) as isize;
    let end = start + len as isize;
    let s = start.clamp(0, size as isize) as usize;
    let e = end.clamp(0, size as isize) as usize;
    (s, e - s)
}

/// `(N − taken) / N` as `f32`: the share of cells left to the original.
fn share(kept: usize, total: usize) -> f32 {
    (kept as f64 / total as f64) as f32
}
