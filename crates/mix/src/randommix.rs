//! RandomMix (Liu et al., 2022): a random choice among mixing modes, with weights.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayView2, ArrayView4};
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;

use super::fmix::FMixDrawer;
use super::{
    CutMix, CutMixConfig, Dims, Draw, Draws, FMix, FMixConfig, Granularity, MixError, Mixed, Mixer,
    Mixup, MixupConfig, Mode, Region, ResizeMix, ResizeMixConfig, keep_all, run,
};

/// The settings of one mode, for building an [`AnyMixer`] or a [`RandomMix`] candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ModeConfig {
    /// [`Mixup`] settings.
    Mixup(MixupConfig),
    /// [`CutMix`] settings.
    CutMix(CutMixConfig),
    /// [`ResizeMix`] settings.
    ResizeMix(ResizeMixConfig),
    /// [`FMix`] settings.
    FMix(FMixConfig),
}

impl ModeConfig {
    /// The default settings of `mode`.
    pub fn default_for(mode: Mode) -> Self {
        match mode {
            Mode::Mixup => ModeConfig::Mixup(MixupConfig::default()),
            Mode::CutMix => ModeConfig::CutMix(CutMixConfig::default()),
            Mode::ResizeMix => ModeConfig::ResizeMix(ResizeMixConfig::default()),
            Mode::FMix => ModeConfig::FMix(FMixConfig::default()),
        }
    }

    /// Which mode these settings are for.
    pub fn mode(&self) -> Mode {
        match self {
            ModeConfig::Mixup(_) => Mode::Mixup,
            ModeConfig::CutMix(_) => Mode::CutMix,
            ModeConfig::ResizeMix(_) => Mode::ResizeMix,
            ModeConfig::FMix(_) => Mode::FMix,
        }
    }

    /// Builds the mixer.
    ///
    /// # Errors
    ///
    /// The errors of the mode's `new` ([`MixError::InvalidAlpha`],
    /// [`MixError::InvalidDecay`], [`MixError::InvalidScaleRange`]).
    pub fn build(&self) -> Result<AnyMixer, MixError> {
        Ok(match *self {
            ModeConfig::Mixup(c) => AnyMixer::Mixup(Mixup::new(c)?),
            ModeConfig::CutMix(c) => AnyMixer::CutMix(CutMix::new(c)?),
            ModeConfig::ResizeMix(c) => AnyMixer::ResizeMix(ResizeMix::new(c)?),
            ModeConfig::FMix(c) => AnyMixer::FMix(FMix::new(c)?),
        })
    }

    /// Checks the settings without building anything (no FFT planning).
    fn validate(&self) -> Result<(), MixError> {
        match *self {
            ModeConfig::Mixup(c) => super::beta(Mode::Mixup, c.alpha).map(drop),
            ModeConfig::CutMix(c) => super::beta(Mode::CutMix, c.alpha).map(drop),
            ModeConfig::ResizeMix(c) => ResizeMix::new(c).map(drop),
            ModeConfig::FMix(c) => {
                super::beta(Mode::FMix, c.alpha)?;
                if c.decay.is_finite() && c.decay >= 0.0 {
                    Ok(())
                } else {
                    Err(MixError::InvalidDecay { decay: c.decay })
                }
            }
        }
    }
}

impl From<MixupConfig> for ModeConfig {
    fn from(c: MixupConfig) -> Self {
        ModeConfig::Mixup(c)
    }
}
impl From<CutMixConfig> for ModeConfig {
    fn from(c: CutMixConfig) -> Self {
        ModeConfig::CutMix(c)
    }
}
impl From<ResizeMixConfig> for ModeConfig {
    fn from(c: ResizeMixConfig) -> Self {
        ModeConfig::ResizeMix(c)
    }
}
impl From<FMixConfig> for ModeConfig {
    fn from(c: FMixConfig) -> Self {
        ModeConfig::FMix(c)
    }
}

/// Any one of the four modes, chosen at run time (the [`Mixer`] trait is not object-safe).
#[derive(Debug, Clone)]
pub enum AnyMixer {
    /// A [`Mixup`].
    Mixup(Mixup),
    /// A [`CutMix`].
    CutMix(CutMix),
    /// A [`ResizeMix`].
    ResizeMix(ResizeMix),
    /// An [`FMix`].
    FMix(FMix),
}

impl AnyMixer {
    /// The mode of the wrapped mixer.
    pub fn mode(&self) -> Mode {
        match self {
            AnyMixer::Mixup(_) => Mode::Mixup,
            AnyMixer::CutMix(_) => Mode::CutMix,
            AnyMixer::ResizeMix(_) => Mode::ResizeMix,
            AnyMixer::FMix(_) => Mode::FMix,
        }
    }

    /// The wrapped mixer's settings.
    pub fn config(&self) -> ModeConfig {
        match self {
            AnyMixer::Mixup(m) => ModeConfig::Mixup(*m.config()),
            AnyMixer::CutMix(m) => ModeConfig::CutMix(*m.config()),
            AnyMixer::ResizeMix(m) => ModeConfig::ResizeMix(*m.config()),
            AnyMixer::FMix(m) => ModeConfig::FMix(*m.config()),
        }
    }

    fn drawer(&self) -> AnyDrawer<'_> {
        match self {
            AnyMixer::Mixup(m) => AnyDrawer::Mixup(m),
            AnyMixer::CutMix(m) => AnyDrawer::CutMix(m),
            AnyMixer::ResizeMix(m) => AnyDrawer::ResizeMix(m),
            AnyMixer::FMix(m) => AnyDrawer::FMix(m.drawer()),
        }
    }
}

impl Mixer for AnyMixer {
    fn mix_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        match self {
            AnyMixer::Mixup(m) => m.mix_into(x, y, rng, out),
            AnyMixer::CutMix(m) => m.mix_into(x, y, rng, out),
            AnyMixer::ResizeMix(m) => m.mix_into(x, y, rng, out),
            AnyMixer::FMix(m) => m.mix_into(x, y, rng, out),
        }
    }

    fn mix_pairs_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: &[usize],
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        match self {
            AnyMixer::Mixup(m) => m.mix_pairs_into(x, y, partners, rng, out),
            AnyMixer::CutMix(m) => m.mix_pairs_into(x, y, partners, rng, out),
            AnyMixer::ResizeMix(m) => m.mix_pairs_into(x, y, partners, rng, out),
            AnyMixer::FMix(m) => m.mix_pairs_into(x, y, partners, rng, out),
        }
    }
}

enum AnyDrawer<'a> {
    Mixup(&'a Mixup),
    CutMix(&'a CutMix),
    ResizeMix(&'a ResizeMix),
    FMix(FMixDrawer<'a>),
}

impl Draws for AnyDrawer<'_> {
    fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, d: Dims) -> Draw {
        match self {
            AnyDrawer::Mixup(m) => m.draw(rng, d),
            AnyDrawer::CutMix(m) => m.draw(rng, d),
            AnyDrawer::ResizeMix(m) => m.draw(rng, d),
            AnyDrawer::FMix(m) => m.draw(rng, d),
        }
    }
}

/// One [`RandomMix`] candidate: a mode with its settings and its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The mode and its settings.
    pub config: ModeConfig,
    /// Relative weight (finite, `>= 0`); the chance of a mode is its share of the total.
    pub weight: f64,
}

/// Settings for [`RandomMix`]; also its string form (see [`RandomMix`] for the grammar).
#[derive(Debug, Clone, PartialEq)]
pub struct RandomMixConfig {
    /// The modes to choose from. Empty means no mixing.
    pub candidates: Vec<Candidate>,
    /// One mode per batch (default, as in the paper) or one per sample (one permutation is
    /// still shared by the batch).
    pub per: Granularity,
    /// Probability of leaving a batch (or, with [`Granularity::Sample`], a sample) unmixed.
    /// Default 0.
    pub p: f64,
}

impl Default for RandomMixConfig {
    /// All four modes with default settings and equal weights, one mode per batch, always mixing.
    fn default() -> Self {
        RandomMixConfig {
            candidates: Mode::ALL
                .into_iter()
                .map(|m| Candidate {
                    config: ModeConfig::default_for(m),
                    weight: 1.0,
                })
                .collect(),
            per: Granularity::Batch,
            p: 0.0,
        }
    }
}

impl RandomMixConfig {
    /// No mixing at all (`"none"`).
    pub fn none() -> Self {
        RandomMixConfig {
            candidates: Vec::new(),
            per: Granularity::Batch,
            p: 0.0,
        }
    }

    /// A single mode, always applied.
    pub fn only(config: impl Into<ModeConfig>) -> Self {
        RandomMixConfig {
            candidates: vec![Candidate {
                config: config.into(),
                weight: 1.0,
            }],
            per: Granularity::Batch,
            p: 0.0,
        }
    }

    fn validate(&self) -> Result<(), MixError> {
        if !(self.p.is_finite() && (0.0..=1.0).contains(&self.p)) {
            return Err(MixError::InvalidProbability { p: self.p });
        }
        for c in &self.candidates {
            if !(c.weight.is_finite() && c.weight >= 0.0) {
                return Err(MixError::InvalidWeight {
                    mode: c.config.mode(),
                    weight: c.weight,
                });
            }
            c.config.validate()?;
        }
        if !self.candidates.is_empty() && self.candidates.iter().all(|c| c.weight == 0.0) {
            return Err(MixError::ZeroTotalWeight);
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
/// probability `p` a batch (or sample) is left unmixed: its record has `mode = None`,
/// `λ = 1` and `partner = index`.
///
/// # String form
///
/// `RandomMixConfig` and `RandomMix` implement [`FromStr`] and [`fmt::Display`]; `Display`
/// writes weights always and only the options that differ from the defaults, and parsing it
/// back gives the same config. Case and spaces around tokens are ignored.
///
/// ```text
/// spec      = modes *( ";" global )
/// modes     = "none" / candidate *( "," candidate )
/// candidate = name [ ":" weight ] [ "(" option *( "," option ) ")" ]     ; weight defaults to 1
/// name      = "mixup" / "cutmix" / "resizemix" / "fmix"
/// option    = key "=" value
/// global    = "p=" number            ; probability of leaving a batch/sample unmixed
///           / "per=" ("batch" / "sample")
/// ```
///
/// | mode | options (defaults) |
/// |---|---|
/// | `mixup` | `alpha` (1), `per` (batch) |
/// | `cutmix` | `alpha` (1), `region` = `full`/`time`/`freq` (full), `per` (batch) |
/// | `resizemix` | `min` (0.1), `max` (0.8), `region` (full), `per` (batch) |
/// | `fmix` | `alpha` (1), `decay` (3), `region` (full), `per` (batch) |
///
/// Examples: `mixup:1,cutmix:1,resizemix:1,fmix:1` (the default), `cutmix` (CutMix only),
/// `none`, `mixup:1(alpha=0.4),cutmix:2(alpha=1,region=time),fmix:1(decay=3);p=0.5;per=sample`.
/// A mode may appear twice with different options. Errors are [`MixError::Parse`] naming the
/// offending token.
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Array4};
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use randommix_mix::{Granularity, Mixer, RandomMix, RandomMixConfig};
///
/// let spec = "mixup:1(alpha=0.4),cutmix:2(region=time),fmix:1;p=0.25;per=sample";
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
    /// [`MixError::InvalidProbability`], [`MixError::InvalidWeight`],
    /// [`MixError::ZeroTotalWeight`] (candidates present but all weights zero) and the
    /// candidates' own errors.
    pub fn new(config: RandomMixConfig) -> Result<Self, MixError> {
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
                    .map_err(|_| MixError::ZeroTotalWeight)?,
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

    fn skip<R: Rng + ?Sized>(&self, rng: &mut R) -> bool {
        self.config.p > 0.0 && rng.random_bool(self.config.p)
    }

    /// The candidate to use; a single candidate draws nothing, so that `"cutmix"` consumes
    /// the RNG exactly as a bare [`CutMix`] does.
    fn pick<R: Rng + ?Sized>(choose: &WeightedIndex<f64>, n: usize, rng: &mut R) -> usize {
        if n == 1 { 0 } else { choose.sample(rng) }
    }

    /// [`Mixer::mix_into`] (`partners = None`) and [`Mixer::mix_pairs_into`].
    fn mix_with<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: Option<&[usize]>,
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        match self.config.per {
            Granularity::Batch => {
                let d = super::check(&x, &y)?;
                if let Some(p) = partners {
                    super::check_partners(p, d.b)?;
                }
                if self.skip(rng) {
                    return keep_all(x, y, out);
                }
                let Some(choose) = &self.choose else {
                    return keep_all(x, y, out);
                };
                let mixer = &self.mixers[Self::pick(choose, self.mixers.len(), rng)];
                match partners {
                    None => mixer.mix_into(x, y, rng, out),
                    Some(p) => mixer.mix_pairs_into(x, y, p, rng, out),
                }
            }
            Granularity::Sample => {
                let mut drawer = SampleDrawer {
                    mix: self,
                    drawers: self.mixers.iter().map(AnyMixer::drawer).collect(),
                };
                run(x, y, partners, rng, out, Granularity::Sample, &mut drawer)
            }
        }
    }
}

struct SampleDrawer<'a> {
    mix: &'a RandomMix,
    drawers: Vec<AnyDrawer<'a>>,
}

impl Draws for SampleDrawer<'_> {
    fn draw<R: Rng + ?Sized>(&mut self, rng: &mut R, d: Dims) -> Draw {
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

impl Mixer for RandomMix {
    fn mix_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        self.mix_with(x, y, None, rng, out)
    }

    fn mix_pairs_into<R: Rng + ?Sized>(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: &[usize],
        rng: &mut R,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        self.mix_with(x, y, Some(partners), rng, out)
    }
}

impl fmt::Display for RandomMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config.fmt(f)
    }
}

impl FromStr for RandomMix {
    type Err = MixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RandomMix::new(s.parse()?)
    }
}

// ---------------------------------------------------------------------------------------------
// String form.
// ---------------------------------------------------------------------------------------------

impl fmt::Display for RandomMixConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.candidates.is_empty() {
            f.write_str("none")?;
        }
        for (i, c) in self.candidates.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}:{}", c.config.mode(), c.weight)?;
            let opts = options(&c.config);
            if !opts.is_empty() {
                write!(f, "({})", opts.join(","))?;
            }
        }
        if self.p != 0.0 {
            write!(f, ";p={}", self.p)?;
        }
        if self.per != Granularity::Batch {
            write!(f, ";per={}", self.per)?;
        }
        Ok(())
    }
}

/// The options of `config` that differ from the defaults, in canonical order.
fn options(config: &ModeConfig) -> Vec<String> {
    let mut o = Vec::new();
    let mut push = |key: &str, value: String, default: String| {
        if value != default {
            o.push(format!("{key}={value}"));
        }
    };
    match config {
        ModeConfig::Mixup(c) => {
            let d = MixupConfig::default();
            push("alpha", c.alpha.to_string(), d.alpha.to_string());
            push("per", c.per.to_string(), d.per.to_string());
        }
        ModeConfig::CutMix(c) => {
            let d = CutMixConfig::default();
            push("alpha", c.alpha.to_string(), d.alpha.to_string());
            push("region", c.region.to_string(), d.region.to_string());
            push("per", c.per.to_string(), d.per.to_string());
        }
        ModeConfig::ResizeMix(c) => {
            let d = ResizeMixConfig::default();
            push("min", c.min_scale.to_string(), d.min_scale.to_string());
            push("max", c.max_scale.to_string(), d.max_scale.to_string());
            push("region", c.region.to_string(), d.region.to_string());
            push("per", c.per.to_string(), d.per.to_string());
        }
        ModeConfig::FMix(c) => {
            let d = FMixConfig::default();
            push("alpha", c.alpha.to_string(), d.alpha.to_string());
            push("decay", c.decay.to_string(), d.decay.to_string());
            push("region", c.region.to_string(), d.region.to_string());
            push("per", c.per.to_string(), d.per.to_string());
        }
    }
    o
}

impl FromStr for RandomMixConfig {
    type Err = MixError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(';');
        let modes = parts.next().unwrap_or_default().trim();
        let mut config = RandomMixConfig::none();
        if modes.is_empty() {
            return Err(MixError::parse(
                s,
                "empty mixing spec; expected e.g. `mixup:1,cutmix:1` or `none`",
            ));
        }
        if !modes.eq_ignore_ascii_case("none") {
            for token in split_top_level(modes)? {
                config.candidates.push(parse_candidate(token)?);
            }
        }
        for global in parts {
            let (key, value) = key_value(global)?;
            match key.as_str() {
                "p" => config.p = number(global, value)?,
                "per" => config.per = value.parse().map_err(|e| retoken(e, global))?,
                _ => {
                    return Err(MixError::parse(
                        global,
                        "unknown global option; expected p or per",
                    ));
                }
            }
        }
        config.validate().map_err(|e| match e {
            MixError::Parse { .. } => e,
            other => MixError::parse(s, other.to_string()),
        })?;
        Ok(config)
    }
}

/// Splits `a,b(c,d),e` at the commas outside parentheses.
fn split_top_level(s: &str) -> Result<Vec<&str>, MixError> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in s.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(MixError::parse(&s[start..=i], "unbalanced `)`"));
                }
            }
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(MixError::parse(&s[start..], "missing `)`"));
    }
    out.push(&s[start..]);
    Ok(out)
}

fn parse_candidate(token: &str) -> Result<Candidate, MixError> {
    let t = token.trim();
    if t.is_empty() {
        return Err(MixError::parse(
            token,
            "empty candidate; expected a mode name",
        ));
    }
    let (head, opts) = match t.find('(') {
        Some(i) => {
            let Some(inner) = t[i + 1..].strip_suffix(')') else {
                return Err(MixError::parse(t, "options must end with `)`"));
            };
            (&t[..i], Some(inner))
        }
        None => (t, None),
    };
    let (name, weight) = match head.split_once(':') {
        Some((n, w)) => (n, number(head, w)?),
        None => (head, 1.0),
    };
    let mode: Mode = name.parse().map_err(|e| retoken(e, name))?;
    let mut config = ModeConfig::default_for(mode);
    if let Some(opts) = opts {
        for opt in opts.split(',').filter(|o| !o.trim().is_empty()) {
            set_option(&mut config, opt)?;
        }
    }
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(MixError::parse(head, "weight must be a finite number >= 0"));
    }
    config
        .validate()
        .map_err(|e| MixError::parse(t, e.to_string()))?;
    Ok(Candidate { config, weight })
}

fn set_option(config: &mut ModeConfig, opt: &str) -> Result<(), MixError> {
    let (key, value) = key_value(opt)?;
    let num = || number(opt, value);
    let region = || value.parse::<Region>().map_err(|e| retoken(e, opt));
    let per = || value.parse::<Granularity>().map_err(|e| retoken(e, opt));
    match (config, key.as_str()) {
        (ModeConfig::Mixup(c), "alpha") => c.alpha = num()?,
        (ModeConfig::Mixup(c), "per") => c.per = per()?,
        (ModeConfig::CutMix(c), "alpha") => c.alpha = num()?,
        (ModeConfig::CutMix(c), "region") => c.region = region()?,
        (ModeConfig::CutMix(c), "per") => c.per = per()?,
        (ModeConfig::ResizeMix(c), "min") => c.min_scale = num()?,
        (ModeConfig::ResizeMix(c), "max") => c.max_scale = num()?,
        (ModeConfig::ResizeMix(c), "region") => c.region = region()?,
        (ModeConfig::ResizeMix(c), "per") => c.per = per()?,
        (ModeConfig::FMix(c), "alpha") => c.alpha = num()?,
        (ModeConfig::FMix(c), "decay") => c.decay = num()?,
        (ModeConfig::FMix(c), "region") => c.region = region()?,
        (ModeConfig::FMix(c), "per") => c.per = per()?,
        (c, _) => {
            let expected = match c.mode() {
                Mode::Mixup => "alpha or per",
                Mode::CutMix => "alpha, region or per",
                Mode::ResizeMix => "min, max, region or per",
                Mode::FMix => "alpha, decay, region or per",
            };
            return Err(MixError::parse(
                opt,
                format!("unknown option for {}; expected {expected}", c.mode()),
            ));
        }
    }
    Ok(())
}

/// `key=value` with the key lower-cased and both trimmed.
fn key_value(token: &str) -> Result<(String, &str), MixError> {
    match token.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
            Ok((k.trim().to_ascii_lowercase(), v.trim()))
        }
        _ => Err(MixError::parse(token, "expected key=value")),
    }
}

fn number(token: &str, value: &str) -> Result<f64, MixError> {
    value
        .trim()
        .parse::<f64>()
        .map_err(|_| MixError::parse(token, format!("`{}` is not a number", value.trim())))
}

/// Replaces the token of a parse error by the larger token it came from.
fn retoken(e: MixError, token: &str) -> MixError {
    match e {
        MixError::Parse { reason, .. } => MixError::parse(token, reason),
        other => other,
    }
}
