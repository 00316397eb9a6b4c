//! Mixup (Zhang et al., 2018): a convex combination of two whole samples.

use rand::RngCore;

use crate::draw::{Draw, beta, draw_beta};
use crate::engine::{Dims, Draws};
use crate::{Granularity, MixConfigError, Mode};

/// Settings for [`Mixup`].
///
/// Start from [`MixupConfig::default()`] and change what you need with the `with_*` methods
/// (or by assigning the public fields); the struct is `#[non_exhaustive]`, so settings can be
/// added without breaking callers.
///
/// ```
/// use randommix_mix::{Granularity, MixupConfig};
///
/// let config = MixupConfig::default().with_alpha(0.4).with_per(Granularity::Sample);
/// assert_eq!((config.alpha, config.per, config.db_per_unit), (0.4, Granularity::Sample, None));
/// assert_eq!(MixupConfig::default().with_db_per_unit(1.0).db_per_unit, Some(1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct MixupConfig {
    /// Beta parameter: `λ ~ Beta(α, α)`. Default 1 (λ uniform on `[0, 1]`); smaller values
    /// keep samples closer to one of the two (0.2–0.4 is common on ImageNet).
    pub alpha: f64,
    /// One `λ` for the whole batch (default, as in the paper and timm) or one per sample.
    pub per: Granularity,
    /// How the two samples add up. `None` (default): the values themselves,
    /// `λ·a + (1 − λ)·b`, as in the paper. `Some(d)`: the values are decibels, `d` dB per
    /// unit (1 for dB log-mels, the standard deviation for standardised ones, any offset),
    /// and the two are added as powers, `x' = 10·log10(λ·10^(a·d/10) + (1 − λ)·10^(b·d/10)) / d`:
    /// the spectrogram of the two sounds played together at powers `λ : 1 − λ` (the
    /// between-class mixing of Tokozume et al., 2018), where the louder one masks the quieter.
    /// `db=` in the string form.
    pub db_per_unit: Option<f64>,
}

impl Default for MixupConfig {
    fn default() -> Self {
        MixupConfig {
            alpha: 1.0,
            per: Granularity::Batch,
            db_per_unit: None,
        }
    }
}

impl MixupConfig {
    /// Sets [`alpha`](Self::alpha), the Beta parameter.
    #[must_use]
    pub fn with_alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets [`per`](Self::per): one `λ` per batch or per sample.
    #[must_use]
    pub fn with_per(mut self, per: Granularity) -> Self {
        self.per = per;
        self
    }

    /// Sets [`db_per_unit`](Self::db_per_unit): `1.0` (or `Some(1.0)`) adds dB values as
    /// powers, `None` adds the values themselves.
    #[must_use]
    pub fn with_db_per_unit(mut self, db_per_unit: impl Into<Option<f64>>) -> Self {
        self.db_per_unit = db_per_unit.into();
        self
    }
}

/// Mixup: `x'_i = λ·x_i + (1 − λ)·x_π(i)`, `λ ~ Beta(α, α)` (or the same sum taken as powers,
/// [`MixupConfig::db_per_unit`]).
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
/// let mixup = Mixup::new(MixupConfig::default().with_alpha(0.4).with_per(Granularity::Sample))?;
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
    /// [`MixConfigError::InvalidAlpha`] if `alpha` is not finite and positive,
    /// [`MixConfigError::InvalidDbPerUnit`] if `db_per_unit` is set but not finite and positive.
    pub fn new(config: MixupConfig) -> Result<Self, MixConfigError> {
        if let Some(db_per_unit) = config.db_per_unit
            && !(db_per_unit.is_finite() && db_per_unit > 0.0)
        {
            return Err(MixConfigError::InvalidDbPerUnit { db_per_unit });
        }
        Ok(Mixup {
            config,
            beta: beta(Mode::Mixup, config.alpha)?,
        })
    }

    /// The natural log of power per unit of value for a power sum, `d·ln(10)/10`.
    fn ln_power_per_unit(&self) -> Option<f32> {
        self.config
            .db_per_unit
            .map(|d| (d * std::f64::consts::LN_10 / 10.0) as f32)
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
            power: self.ln_power_per_unit(),
        }
    }
}

crate::engine::engine_mixer!(Mixup, |m| &*m);
