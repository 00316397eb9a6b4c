//! CutMix (Yun et al., 2019): a box of the partner pasted at the same position.

use ndarray::{ArrayView2, ArrayView4};
use rand::Rng;

use super::{
    Dims, Draw, Draws, Granularity, MixError, Mixed, Mixer, Mode, Rect, Region, beta, clipped_span,
    draw_beta, run, share,
};

/// Settings for [`CutMix`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CutMixConfig {
    /// Beta parameter: the target box area is `(1 − λ)·H·W` with `λ ~ Beta(α, α)`. Default 1.
    pub alpha: f64,
    /// Where boxes go: anywhere (default), full-height time strips or full-width frequency
    /// bands.
    pub region: Region,
    /// One box for the whole batch (default, as in the paper and timm) or one per sample.
    pub per: Granularity,
}

impl Default for CutMixConfig {
    fn default() -> Self {
        CutMixConfig {
            alpha: 1.0,
            region: Region::Full,
            per: Granularity::Batch,
        }
    }
}

/// CutMix: the cells of a box are taken from the partner.
///
/// With `λ ~ Beta(α, α)` and [`Region::Full`], the box is `round(H·√(1−λ))` rows by
/// `round(W·√(1−λ))` columns (the plane's aspect ratio), centred on a uniformly drawn cell and
/// clipped to the plane. [`Region::TimeStrips`] boxes span all rows and are
/// `round(W·(1−λ))` columns wide; [`Region::FreqBands`] boxes span all columns and are
/// `round(H·(1−λ))` rows tall. After clipping, `λ = 1 − box area / (H·W)`, the exact share of
/// cells left to the original. The record's mask is [`MixMask::Box`](super::MixMask::Box).
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Array4};
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use randommix_mix::{CutMix, CutMixConfig, Mixer, Region};
///
/// let cutmix = CutMix::new(CutMixConfig { region: Region::TimeStrips, ..Default::default() })?;
/// let x = Array4::from_shape_fn((2, 1, 40, 101), |(b, _, _, _)| b as f32);
/// let y = Array2::from_shape_fn((2, 2), |(b, k)| if b == k { 1.0 } else { 0.0 });
/// let mixed = cutmix.mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(3))?;
/// let r = &mixed.records[0];
/// let rect = r.mask.rect().expect("cutmix records a box");
/// assert_eq!((rect.top, rect.height), (0, 40)); // a time strip spans every mel band
/// assert!((mixed.y[[0, 0]] - if r.self_paired { 1.0 } else { r.lambda }).abs() < 1e-6);
/// # Ok::<(), randommix_mix::MixError>(())
/// ```
#[derive(Debug, Clone)]
pub struct CutMix {
    config: CutMixConfig,
    beta: rand_distr::Beta<f64>,
}

impl CutMix {
    /// Builds the mixer.
    ///
    /// # Errors
    ///
    /// [`MixError::InvalidAlpha`] if `alpha` is not finite and positive.
    pub fn new(config: CutMixConfig) -> Result<Self, MixError> {
        Ok(CutMix {
            config,
            beta: beta(Mode::CutMix, config.alpha)?,
        })
    }

    /// The settings this mixer was built from.
    pub fn config(&self) -> &CutMixConfig {
        &self.config
    }
}

impl Draws for &CutMix {
    fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, d: Dims) -> Draw {
        let lambda = draw_beta(&self.beta, rng);
        let cut = 1.0 - lambda;
        let (h, w) = (d.h, d.w);
        let (cut_h, cut_w) = match self.config.region {
            Region::Full => {
                let r = cut.sqrt();
                (
                    (h as f64 * r).round() as usize,
                    (w as f64 * r).round() as usize,
                )
            }
            Region::TimeStrips => (h, (w as f64 * cut).round() as usize),
            Region::FreqBands => ((h as f64 * cut).round() as usize, w),
        };
        let (top, height) = match self.config.region {
            Region::TimeStrips => (0, h),
            _ => clipped_span(rng.random_range(0..h), cut_h.min(h), h),
        };
        let (left, width) = match self.config.region {
            Region::FreqBands => (0, w),
            _ => clipped_span(rng.random_range(0..w), cut_w.min(w), w),
        };
        let rect = Rect {
            top,
            left,
            height,
            width,
        };
        let n = d.plane_len();
        Draw::Cut {
            rect,
            lambda: share(n - rect.area(), n),
        }
    }
}

impl Mixer for CutMix {
    fn mix_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        run(x, y, None, rng, out, self.config.per, &mut &*self)
    }

    fn mix_pairs_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: &[usize],
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        run(x, y, Some(partners), rng, out, self.config.per, &mut &*self)
    }
}
