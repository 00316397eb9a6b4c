//! Mixup (Zhang et al., 2018): a convex combination of two whole samples.

use rand::RngCore;

use crate::draw::{Draw, beta, draw_beta};
use crate::engine::{Dims, Draws};
use crate::{Granularity, MixConfigError, Mode};

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
/// The record's mask is [`MixMask::Blend`](crate::MixMask::Blend).
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
    /// [`MixConfigError::InvalidAlpha`] if `alpha` is not finite and positive.
    pub fn new(config: MixupConfig) -> Result<Self, MixConfigError> {
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
    fn draw(&mut self, rng: &mut dyn RngCore, _d: Dims) -> Draw {
        Draw::Blend {
            lambda: draw_beta(&self.beta, rng) as f32,
        }
    }
}

crate::engine::engine_mixer!(Mixup, |m| &*m);
