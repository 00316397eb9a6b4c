//! Mixup (Zhang et al., 2018): a convex combination of two whole samples.

use ndarray::{ArrayView2, ArrayView4};
use rand::Rng;

use super::{Dims, Draw, Draws, Granularity, MixError, Mixed, Mixer, Mode, beta, draw_beta, run};

/// Settings for [`Mixup`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MixupConfig {
    /// Beta parameter: `λ ~ Beta(α, α)`. Default 1 (λ uniform on `[0, 1]`); smaller values
    /// keep samples closer to one of the two (0.2–0.4 is common on ImageNet).
    pub alpha: f64,
    /// One `λ` for the whole batch (default, as in the paper and timm) or one per sample.
    pub per: Granularity,
}

impl Default for MixupConfig {
    fn default() -> Self {
        MixupConfig {
            alpha: 1.0,
            per: Granularity::Batch,
        }
    }
}

/// Mixup: `x'_i = λ·x_i + (1 − λ)·x_π(i)`, `λ ~ Beta(α, α)`.
///
/// The record's mask is [`MixMask::Blend`](super::MixMask::Blend).
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Array4};
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use randommix_mix::{Granularity, Mixer, Mixup, MixupConfig};
///
/// let mixup = Mixup::new(MixupConfig { alpha: 0.4, per: Granularity::Sample })?;
/// let x = Array4::from_shape_fn((4, 1, 40, 101), |(b, _, _, _)| b as f32);
/// let y = Array2::from_shape_fn((4, 4), |(b, k)| if b == k { 1.0 } else { 0.0 });
/// let mixed = mixup.mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(0))?;
/// for r in &mixed.records {
///     let expect = r.lambda * r.index as f32 + (1.0 - r.lambda) * r.partner as f32;
///     assert!((mixed.x[[r.index, 0, 0, 0]] - expect).abs() < 1e-5);
/// }
/// # Ok::<(), randommix_mix::MixError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mixup {
    config: MixupConfig,
    beta: rand_distr::Beta<f64>,
}

impl Mixup {
    /// Builds the mixer.
    ///
    /// # Errors
    ///
    /// [`MixError::InvalidAlpha`] if `alpha` is not finite and positive.
    pub fn new(config: MixupConfig) -> Result<Self, MixError> {
        Ok(Mixup {
            config,
            beta: beta(Mode::Mixup, config.alpha)?,
        })
    }

    /// The settings this mixer was built from.
    pub fn config(&self) -> &MixupConfig {
        &self.config
    }
}

impl Draws for &Mixup {
    fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, _d: Dims) -> Draw {
        Draw::Blend {
            lambda: draw_beta(&self.beta, rng) as f32,
        }
    }
}

impl Mixer for Mixup {
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
