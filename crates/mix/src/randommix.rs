//! RandomMix (Liu et al., 2022): a random choice among mixing modes, with weights.

use ndarray::{ArrayView2, ArrayView4};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, RngCore};

use crate::draw::Draw;
use crate::engine::{Dims, Draws, check, check_partners, keep_all, run};
use crate::{AnyMixer, Granularity, MixConfigError, MixError, Mixed, Mixer, Mode, ModeConfig};

/// One [`RandomMix`] candidate: a mode with its settings and its weight. Build one with
/// [`Candidate::new`]; the struct is `#[non_exhaustive]`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct Candidate {
    /// The mode and its settings.
    pub config: ModeConfig,
    /// Relative weight (finite, `>= 0`); the chance of a mode is its share of the total.
    pub weight: f64,
}

impl Candidate {
    /// The mode `config` (a [`ModeConfig`] or any mode's config) with relative `weight`.
    pub fn new(config: impl Into<ModeConfig>, weight: f64) -> Self {
        Candidate {
            config: config.into(),
            weight,
        }
    }
}

/// Settings for [`RandomMix`]; also its string form (see [`RandomMix`] for the grammar).
///
/// Build one by parsing a spec string, from [`RandomMixConfig::default()`] (the paper's
/// RandomMix), [`none`](Self::none), [`only`](Self::only) or [`new`](Self::new), then the
/// `with_*` methods; the struct is `#[non_exhaustive]`.
///
/// ```
/// use randommix_mix::{CutMixConfig, Granularity, MixupConfig, RandomMixConfig, Region};
///
/// let config = RandomMixConfig::none()
///     .with_candidate(MixupConfig::default().with_alpha(0.4), 1.0)
///     .with_candidate(CutMixConfig::default().with_region(Region::TimeStrips), 2.0)
///     .with_skip_prob(0.25)
///     .with_per(Granularity::Sample);
/// assert_eq!(config, "mixup:1(alpha=0.4),cutmix:2(region=time);skip=0.25;per=sample".parse()?);
/// # Ok::<(), randommix_mix::MixError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RandomMixConfig {
    /// The modes to choose from. Empty means no mixing.
    pub candidates: Vec<Candidate>,
    /// One mode per batch (default, as in the paper) or one per sample (one permutation is
    /// still shared by the batch).
    pub per: Granularity,
    /// Probability of skipping: leaving a batch (or, with [`Granularity::Sample`], a sample)
    /// unmixed. Default 0 (always mix). `skip=` in the string form (`p=` is accepted as an
    /// alias).
    pub skip_prob: f64,
}

impl Default for RandomMixConfig {
    /// All four modes with default settings and equal weights, one mode per batch, always mixing.
    fn default() -> Self {
        RandomMixConfig {
            candidates: Mode::ALL
                .iter()
                .map(|&m| Candidate {
                    config: ModeConfig::default_for(m),
                    weight: 1.0,
                })
                .collect(),
            per: Granularity::Batch,
            skip_prob: 0.0,
        }
    }
}

impl RandomMixConfig {
    /// A choice among `candidates`, one mode per batch, always mixing. No candidates means no
    /// mixing.
    pub fn new(candidates: Vec<Candidate>) -> Self {
        RandomMixConfig {
            candidates,
            per: Granularity::Batch,
            skip_prob: 0.0,
        }
    }

    /// No mixing at all (`"none"`).
    pub fn none() -> Self {
        RandomMixConfig::new(Vec::new())
    }

    /// A single mode, always applied.
    pub fn only(config: impl Into<ModeConfig>) -> Self {
        RandomMixConfig::new(vec![Candidate::new(config, 1.0)])
    }

    /// Adds the candidate `config` (a [`ModeConfig`] or any mode's config) with relative
    /// `weight` after the existing ones.
    #[must_use]
    pub fn with_candidate(mut self, config: impl Into<ModeConfig>, weight: f64) -> Self {
        self.candidates.push(Candidate::new(config, weight));
        self
    }

    /// Sets [`per`](Self::per): one mode per batch or per sample.
    #[must_use]
    pub fn with_per(mut self, per: Granularity) -> Self {
        self.per = per;
        self
    }

    /// Sets [`skip_prob`](Self::skip_prob), the probability of leaving a batch (or sample)
    /// unmixed.
    #[must_use]
    pub fn with_skip_prob(mut self, skip_prob: f64) -> Self {
        self.skip_prob = skip_prob;
        self
    }

    /// The same config for inputs rescaled by `1 / factor`: every Mixup candidate's
    /// [`db_per_unit`](crate::MixupConfig::db_per_unit) multiplied by `factor`. For log-mels in
    /// dB standardised as `(x − mean) / std`, `factor = std` keeps `db=1` meaning decibels.
    /// Other modes do not depend on the scale of the values.
    pub fn with_values_divided_by(mut self, factor: f64) -> Self {
        for c in &mut self.candidates {
            if let ModeConfig::Mixup(m) = &mut c.config
                && let Some(d) = &mut m.db_per_unit
            {
                *d *= factor;
            }
        }
        self
    }

    /// Checks the skip probability, the weights and every candidate's own settings.
    pub(crate) fn validate(&self) -> Result<(), MixConfigError> {
        let skip_prob = self.skip_prob;
        if !(skip_prob.is_finite() && (0.0..=1.0).contains(&skip_prob)) {
            return Err(MixConfigError::InvalidSkipProb { skip_prob });
        }
        for c in &self.candidates {
            if !(c.weight.is_finite() && c.weight >= 0.0) {
                return Err(MixConfigError::InvalidWeight {
                    mode: c.config.mode(),
                    weight: c.weight,
                });
            }
            c.config.build()?;
        }
        if !self.candidates.is_empty() && self.candidates.iter().all(|c| c.weight == 0.0) {
            return Err(MixConfigError::ZeroTotalWeight);
        }
        Ok(())
    }
}

/// RandomMix: each batch (or sample) is mixed with a mode drawn from weighted candidates.
///
/// Each candidate keeps its own settings and `λ` distribution. With
/// [`Granularity::Batch`] one mode is drawn per batch and the chosen mixer runs as it would
/// alone (its own `per` setting applies). With [`Granularity::Sample`] one permutation is
/// drawn for the batch and then every sample draws its own mode, `λ`, box or mask. With
/// probability [`skip_prob`](RandomMixConfig::skip_prob) a batch (or sample) is left unmixed:
/// its record has `mode = None`, `λ = 1` and `partner = index`.
///
/// # String form
///
/// `RandomMixConfig` and `RandomMix` implement [`FromStr`](std::str::FromStr) and
/// [`Display`](std::fmt::Display); `Display` writes weights always and only the options that
/// differ from the defaults, and parsing it back gives the same config. Case and spaces around
/// tokens are ignored; a later global option overrides an earlier one.
///
/// ```text
/// spec      = modes *( ";" global )
/// modes     = "none" / "randommix" / candidate *( "," candidate )
/// candidate = name [ ":" weight ] [ "(" option *( "," option ) ")" ]     ; weight defaults to 1
/// name      = "mixup" / "cutmix" / "resizemix" / "fmix"
/// option    = key "=" value
/// global    = ( "skip=" / "p=" ) number   ; probability of leaving a batch/sample unmixed
///           / "per=" ("batch" / "sample")
/// ```
///
/// `randommix` stands for the paper's RandomMix, [`DEFAULT_SPEC`](crate::DEFAULT_SPEC)
/// (`mixup:1,cutmix:1,resizemix:1,fmix:1`): all four modes with their default settings and
/// equal weights. `p=` is the older name of `skip=`, still read so that saved specs such as
/// `mixup:1;p=0.5` keep their meaning; `Display` writes `skip=`.
///
/// | mode | options (defaults) |
/// |---|---|
/// | `mixup` | `alpha` (1), `per` (batch), `db` (unset: add the values; `db=D`: the values are dB, `D` per unit, added as powers) |
/// | `cutmix` | `alpha` (1), `region` = `full`/`time`/`freq` (full), `per` (batch) |
/// | `resizemix` | `min` (0.1), `max` (0.8), `region` (full), `per` (batch) |
/// | `fmix` | `alpha` (1), `decay` (3), `region` (full), `per` (batch) |
///
/// Examples: `mixup:1,cutmix:1,resizemix:1,fmix:1` or `randommix` (the default), `cutmix`
/// (CutMix only), `none`, `randommix;skip=0.5;per=sample`,
/// `mixup:1(alpha=0.4),cutmix:2(alpha=1,region=time),fmix:1(decay=3);skip=0.5;per=sample`.
/// A mode may appear twice with different options. Errors are [`MixError::Config`] holding a
/// [`MixConfigError::Parse`] that names the offending token.
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Array4};
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use randommix_mix::{Granularity, Mixer, RandomMix, RandomMixConfig};
///
/// let spec = "mixup:1(alpha=0.4),cutmix:2(region=time),fmix:1;skip=0.25;per=sample";
/// let config: RandomMixConfig = spec.parse()?;
/// assert_eq!(config.per, Granularity::Sample);
/// assert_eq!(config.to_string(), spec);
/// assert_eq!(config.to_string().parse::<RandomMixConfig>()?, config);
///
/// let mixer = RandomMix::new(config)?;
/// let x = Array4::<f32>::zeros((16, 1, 40, 101));
/// let y = Array2::from_shape_fn((16, 4), |(b, k)| if b % 4 == k { 1.0 } else { 0.0 });
/// let mixed = mixer.mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(9))?;
/// for r in &mixed.records {
///     println!("{} <- {} {:?} λ={:.3}", r.index, r.partner, r.mode, r.lambda);
/// }
///
/// let err = "cutmix(alpha=x)".parse::<RandomMix>().unwrap_err();
/// assert!(err.to_string().contains("alpha=x"));
///
/// // The paper's RandomMix, and the older `p=` spelling of `skip=`.
/// let paper: RandomMixConfig = "randommix;p=0.5".parse()?;
/// assert_eq!(paper.to_string(), "mixup:1,cutmix:1,resizemix:1,fmix:1;skip=0.5");
/// # Ok::<(), randommix_mix::MixError>(())
/// ```
#[derive(Debug, Clone)]
pub struct RandomMix {
    config: RandomMixConfig,
    mixers: Vec<AnyMixer>,
    choose: Option<WeightedIndex<f64>>,
}

impl RandomMix {
    /// Builds every candidate mixer.
    ///
    /// # Errors
    ///
    /// [`MixConfigError::InvalidSkipProb`], [`MixConfigError::InvalidWeight`],
    /// [`MixConfigError::ZeroTotalWeight`] (candidates present but all weights zero) and the
    /// candidates' own errors.
    pub fn new(config: RandomMixConfig) -> Result<Self, MixConfigError> {
        config.validate()?;
        let mixers = config
            .candidates
            .iter()
            .map(|c| c.config.build())
            .collect::<Result<Vec<_>, _>>()?;
        let choose = if mixers.is_empty() {
            None
        } else {
            Some(
                WeightedIndex::new(config.candidates.iter().map(|c| c.weight))
                    .map_err(|_| MixConfigError::ZeroTotalWeight)?,
            )
        };
        Ok(RandomMix {
            config,
            mixers,
            choose,
        })
    }

    /// The settings this mixer was built from.
    pub fn config(&self) -> &RandomMixConfig {
        &self.config
    }

    /// The candidate mixers, in the order of the config.
    pub fn mixers(&self) -> &[AnyMixer] {
        &self.mixers
    }

    /// Draws whether to leave the batch (or sample) unmixed; draws nothing when
    /// `skip_prob = 0`.
    fn skip(&self, rng: &mut dyn RngCore) -> bool {
        self.config.skip_prob > 0.0 && rng.random_bool(self.config.skip_prob)
    }

    /// The candidate to use; a single candidate draws nothing, so that `"cutmix"` consumes
    /// the RNG exactly as a bare [`CutMix`](crate::CutMix) does.
    fn pick(choose: &WeightedIndex<f64>, n: usize, rng: &mut dyn RngCore) -> usize {
        if n == 1 { 0 } else { choose.sample(rng) }
    }
}

impl Mixer for RandomMix {
    /// With [`Granularity::Batch`]: checks the batch, draws the skip, then the candidate, then
    /// runs the candidate as it would run alone. With [`Granularity::Sample`]: the engine's
    /// loop with a drawer that draws skip, candidate and the candidate's draw per sample.
    fn mix_with(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: Option<&[usize]>,
        rng: &mut dyn RngCore,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        match self.config.per {
            Granularity::Batch => {
                let d = check(&x, &y)?;
                if let Some(p) = partners {
                    check_partners(p, d.b)?;
                }
                if self.skip(rng) {
                    return Ok(keep_all(x, y, out)?);
                }
                let Some(choose) = &self.choose else {
                    return Ok(keep_all(x, y, out)?);
                };
                let mixer = &self.mixers[Self::pick(choose, self.mixers.len(), rng)];
                mixer.mix_with(x, y, partners, rng, out)
            }
            Granularity::Sample => {
                let mut drawer = SampleDrawer {
                    mix: self,
                    drawers: self.mixers.iter().map(AnyMixer::drawer).collect(),
                };
                Ok(run(
                    x,
                    y,
                    partners,
                    rng,
                    out,
                    Granularity::Sample,
                    &mut drawer,
                )?)
            }
        }
    }
}

/// Per-sample choice: skip, then candidate, then the candidate's own draw.
struct SampleDrawer<'a> {
    mix: &'a RandomMix,
    drawers: Vec<Box<dyn Draws + 'a>>,
}

impl Draws for SampleDrawer<'_> {
    fn draw(&mut self, rng: &mut dyn RngCore, d: Dims) -> Draw {
        if self.mix.skip(rng) {
            return Draw::Keep;
        }
        match &self.mix.choose {
            Some(choose) => {
                let j = RandomMix::pick(choose, self.drawers.len(), rng);
                self.drawers[j].draw(rng, d)
            }
            None => Draw::Keep,
        }
    }
}
