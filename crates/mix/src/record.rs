//! What a mix produced: the mixed batch ([`Mixed`]) and one [`MixRecord`] per sample, with
//! its [`Mode`] and spatial footprint ([`MixMask`], [`Rect`]).

use std::sync::Arc;

use ndarray::{Array2, Array4};

/// The result of mixing one batch.
///
/// The fields are public to read (and to fill, for a custom [`Mixer`](crate::Mixer)); the
/// struct is `#[non_exhaustive]`, so build one with [`Mixed::default()`] (an empty buffer for
/// [`Mixer::mix_into`](crate::Mixer::mix_into)) or [`Mixed::new`].
#[derive(Debug, Clone, PartialEq, Default)]
#[non_exhaustive]
pub struct Mixed {
    /// Mixed inputs, `[B, C, H, W]` in standard (C) layout.
    pub x: Array4<f32>,
    /// Mixed targets, `[B, K]`: `t_i = λ_i · y_i + (1 − λ_i) · y_π(i)`.
    pub y: Array2<f32>,
    /// One record per sample, in batch order.
    pub records: Vec<MixRecord>,
}

impl Mixed {
    /// A result made of its parts: mixed inputs `[B, C, H, W]`, mixed targets `[B, K]` and
    /// one record per sample (nothing is checked).
    pub fn new(x: Array4<f32>, y: Array2<f32>, records: Vec<MixRecord>) -> Self {
        Mixed { x, y, records }
    }
}

/// What happened to one sample of the batch.
///
/// The mixers return these; the fields are public to read. The struct is `#[non_exhaustive]`
/// (more may be recorded later): a custom [`Mixer`](crate::Mixer) or a test builds one with
/// [`MixRecord::new`] or [`MixRecord::unmixed`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
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
    /// The record of sample `index` mixed with sample `partner` by `mode`, keeping the share
    /// `lambda` of the original, with footprint `mask`.
    /// [`self_paired`](Self::self_paired) is set when `partner == index`.
    ///
    /// ```
    /// use randommix_mix::{MixMask, MixRecord, Mode, Rect};
    ///
    /// let cut = MixMask::Box(Rect::new(0, 0, 10, 101)); // the first 10 of 40 mel bands
    /// let rec = MixRecord::new(0, 1, Some(Mode::CutMix), 0.75, cut);
    /// assert!(!rec.self_paired);
    /// assert_eq!(rec.original_share(40, 101).mean(), Some(0.75));
    /// ```
    pub fn new(
        index: usize,
        partner: usize,
        mode: Option<Mode>,
        lambda: f32,
        mask: MixMask,
    ) -> Self {
        MixRecord {
            index,
            partner,
            self_paired: partner == index,
            mode,
            lambda,
            mask,
        }
    }

    /// The record of sample `index` left unmixed: its own partner, no mode, `λ = 1`,
    /// [`MixMask::None`].
    pub fn unmixed(index: usize) -> Self {
        MixRecord::new(index, index, None, 1.0, MixMask::None)
    }

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
/// `left..left+width`). Build one with [`Rect::new`]; the fields are public to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
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
    /// The box of `height` rows from row `top` and `width` columns from column `left`.
    pub fn new(top: usize, left: usize, height: usize, width: usize) -> Self {
        Rect {
            top,
            left,
            height,
            width,
        }
    }

    /// Number of cells in the box.
    pub fn area(&self) -> usize {
        self.height * self.width
    }
}

/// The spatial footprint of one mixing operation, for drawing what happened.
///
/// `#[non_exhaustive]`: footprints may be added (soft FMix masks, for instance), so a `match`
/// needs a `_` arm.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MixMask {
    /// Nothing was mixed in (unmixed sample).
    None,
    /// Every cell is `λ · original + (1 − λ) · partner` (Mixup), or with
    /// [`db_per_unit`](crate::MixupConfig::db_per_unit) the same sum taken of the powers.
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

/// The mixing modes: the four of the RandomMix paper.
///
/// `#[non_exhaustive]`: a mode may be added, so a `match` needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mode {
    /// Convex combination of the whole samples, of their values or of their powers
    /// ([`Mixup`](crate::Mixup)); the targets are always mixed by `λ`.
    Mixup,
    /// A box cut from the partner ([`CutMix`](crate::CutMix)).
    CutMix,
    /// The whole partner shrunk into a box ([`ResizeMix`](crate::ResizeMix)).
    ResizeMix,
    /// A low-frequency Fourier mask ([`FMix`](crate::FMix)).
    FMix,
}

impl Mode {
    /// All modes, in the order used by the default [`RandomMix`](crate::RandomMix). A slice,
    /// so that its type stays the same when a mode is added.
    pub const ALL: &'static [Mode] = &[Mode::Mixup, Mode::CutMix, Mode::ResizeMix, Mode::FMix];

    /// The lower-case name used by [`RandomMix`](crate::RandomMix)'s string form.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Mixup => "mixup",
            Mode::CutMix => "cutmix",
            Mode::ResizeMix => "resizemix",
            Mode::FMix => "fmix",
        }
    }
}
