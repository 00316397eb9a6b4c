//! ResizeMix (Qin et al., 2020): the whole partner, shrunk, pasted into a box.

use rand::{Rng, RngCore};

use crate::draw::{Draw, share, taps};
use crate::engine::{Dims, Draws};
use crate::{Granularity, MixConfigError, Rect, Region};

/// Settings for [`ResizeMix`].
///
/// Start from [`ResizeMixConfig::default()`] and change what you need with the `with_*`
/// methods (or by assigning the public fields); the struct is `#[non_exhaustive]`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct ResizeMixConfig {
    /// Smallest side scale `τ` (default 0.1).
    pub min_scale: f64,
    /// Largest side scale `τ` (default 0.8). `0 < min_scale <= max_scale <= 1`.
    pub max_scale: f64,
    /// Box shape: anywhere (default; `τ` scales both sides, so the box covers `τ²` of the
    /// plane), full-height time strips or full-width frequency bands (`τ` scales one side
    /// and is the area fraction).
    pub region: Region,
    /// One box for the whole batch (default, as in the paper and mmpretrain) or one per sample.
    pub per: Granularity,
}

impl Default for ResizeMixConfig {
    fn default() -> Self {
        ResizeMixConfig {
            min_scale: 0.1,
            max_scale: 0.8,
            region: Region::Full,
            per: Granularity::Batch,
        }
    }
}

impl ResizeMixConfig {
    /// Sets both side scales, [`min_scale`](Self::min_scale) and
    /// [`max_scale`](Self::max_scale) (equal values give a fixed box size).
    #[must_use]
    pub fn with_scale_range(mut self, min_scale: f64, max_scale: f64) -> Self {
        self.min_scale = min_scale;
        self.max_scale = max_scale;
        self
    }

    /// Sets [`min_scale`](Self::min_scale), the smallest side scale.
    #[must_use]
    pub fn with_min_scale(mut self, min_scale: f64) -> Self {
        self.min_scale = min_scale;
        self
    }

    /// Sets [`max_scale`](Self::max_scale), the largest side scale.
    #[must_use]
    pub fn with_max_scale(mut self, max_scale: f64) -> Self {
        self.max_scale = max_scale;
        self
    }

    /// Sets [`region`](Self::region): the box shape.
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

/// ResizeMix: the whole partner is bilinearly shrunk into a box of the original.
///
/// `τ ~ U[min_scale, max_scale]`; with [`Region::Full`] the box is `round(τH) × round(τW)`
/// (each side at least 1), [`Region::TimeStrips`] gives `H × round(τW)` and
/// [`Region::FreqBands`] `round(τH) × W`. It is placed uniformly at random fully inside the
/// plane. Resizing follows `torch.nn.functional.interpolate(mode="bilinear",
/// align_corners=False)` without antialiasing. `λ = 1 − box area / (H·W)`. The record's mask
/// is [`MixMask::Pasted`](crate::MixMask::Pasted).
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Array4};
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use randommix_mix::{Mixer, ResizeMix, ResizeMixConfig};
///
/// let rm = ResizeMix::new(ResizeMixConfig::default().with_scale_range(0.5, 0.5))?;
/// let x = Array4::<f32>::zeros((4, 1, 40, 100));
/// let y = Array2::from_shape_fn((4, 4), |(b, k)| if b == k { 1.0 } else { 0.0 });
/// let mixed = rm.mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(1))?;
/// let rect = mixed.records[0].mask.rect().expect("resizemix records its box");
/// assert_eq!((rect.height, rect.width), (20, 50));
/// assert_eq!(mixed.records[0].lambda, 0.75);
/// # Ok::<(), randommix_mix::MixError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ResizeMix {
    config: ResizeMixConfig,
}

impl ResizeMix {
    /// Builds the mixer.
    ///
    /// # Errors
    ///
    /// [`MixConfigError::InvalidScaleRange`] unless `0 < min_scale <= max_scale <= 1`.
    pub fn new(config: ResizeMixConfig) -> Result<Self, MixConfigError> {
        let (min, max) = (config.min_scale, config.max_scale);
        if !(min > 0.0 && min <= max && max <= 1.0) {
            return Err(MixConfigError::InvalidScaleRange { min, max });
        }
        Ok(ResizeMix { config })
    }

    /// The settings this mixer was built from.
    pub fn config(&self) -> &ResizeMixConfig {
        &self.config
    }
}

impl Draws for &ResizeMix {
    fn draw(&mut self, rng: &mut dyn RngCore, d: Dims) -> Draw {
        let (lo, hi) = (self.config.min_scale, self.config.max_scale);
        let tau = if lo < hi {
            rng.random_range(lo..=hi)
        } else {
            lo
        };
        let side = |n: usize| ((n as f64 * tau).round() as usize).clamp(1, n);
        let (h, w) = (d.h, d.w);
        let (height, width) = match self.config.region {
            Region::Full => (side(h), side(w)),
            Region::TimeStrips => (h, side(w)),
            Region::FreqBands => (side(h), w),
        };
        let top = rng.random_range(0..=h - height);
        let left = rng.random_range(0..=w - width);
        let rect = Rect::new(top, left, height, width);
        let n = d.plane_len();
        Draw::Paste {
            rect,
            rows: taps(h, height),
            cols: taps(w, width),
            lambda: share(n - rect.area(), n),
        }
    }
}

crate::engine::engine_mixer!(ResizeMix, |m| &*m);
