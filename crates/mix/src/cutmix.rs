//! CutMix (Yun et al., 2019): a box of the partner pasted at the same position.

use rand::{Rng, RngCore};

use crate::draw::{Draw, beta, draw_beta, share};
use crate::engine::{Dims, Draws};
use crate::{Granularity, MixConfigError, Mode, Rect, Region};

/// Settings for [`CutMix`].
///
/// Start from [`CutMixConfig::default()`] and change what you need with the `with_*` methods
/// (or by assigning the public fields); the struct is `#[non_exhaustive]`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
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

impl CutMixConfig {
    /// Sets [`alpha`](Self::alpha), the Beta parameter.
    #[must_use]
    pub fn with_alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets [`region`](Self::region): where boxes go.
    #[must_use]
    pub fn with_region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Sets [`per`](Self::per): one box per batch or per sample.
    #[must_use]
    pub fn with_per(mut self, per: Granularity) -> Self {
        self.per = per;
        self
    }
}

/// CutMix: the cells of a box are taken from the partner.
///
/// With `λ ~ Beta(α, α)` and [`Region::Full`], the box is `round(H·√(1−λ))` rows by
/// `round(W·√(1−λ))` columns (the plane's aspect ratio), centred on a uniformly drawn cell and
/// clipped to the plane. [`Region::TimeStrips`] boxes span all rows and are
/// `round(W·(1−λ))` columns wide; [`Region::FreqBands`] boxes span all columns and are
/// `round(H·(1−λ))` rows tall. After clipping, `λ = 1 − box area / (H·W)`, the exact share of
/// cells left to the original. The record's mask is [`MixMask::Box`](crate::MixMask::Box).
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Array4};
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use randommix_mix::{CutMix, CutMixConfig, Mixer, Region};
///
/// let cutmix = CutMix::new(CutMixConfig::default().with_region(Region::TimeStrips))?;
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
    /// [`MixConfigError::InvalidAlpha`] if `alpha` is not finite and positive.
    pub fn new(config: CutMixConfig) -> Result<Self, MixConfigError> {
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
    fn draw(&mut self, rng: &mut dyn RngCore, d: Dims) -> Draw {
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
        let rect = Rect::new(top, left, height, width);
        let n = d.plane_len();
        Draw::Cut {
            rect,
            lambda: share(n - rect.area(), n),
        }
    }
}

crate::engine::engine_mixer!(CutMix, |m| &*m);

/// Clips `[centre − len/2, centre − len/2 + len)` to `[0, size)`: returns (start, length).
pub(crate) fn clipped_span(centre: usize, len: usize, size: usize) -> (usize, usize) {
    let start = centre as isize - (len / 2) as isize;
    let end = start + len as isize;
    let s = start.clamp(0, size as isize) as usize;
    let e = end.clamp(0, size as isize) as usize;
    (s, e - s)
}
