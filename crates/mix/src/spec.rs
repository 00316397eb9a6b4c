//! The string forms: the [`RandomMix`] spec grammar (`FromStr`/`Display` of
//! [`RandomMixConfig`] and [`RandomMix`]) and the names of [`Mode`], [`Region`] and
//! [`Granularity`] used in it.

use std::fmt;
use std::str::FromStr;

use crate::{
    Candidate, CutMixConfig, FMixConfig, Granularity, MixConfigError, MixError, MixupConfig, Mode,
    ModeConfig, RandomMix, RandomMixConfig, Region, ResizeMixConfig,
};

/// The alias for [`DEFAULT_SPEC`](crate::DEFAULT_SPEC) accepted as a whole mode list.
const RANDOMMIX: &str = "randommix";

// ---------------------------------------------------------------------------------------------
// Names of the enums.
// ---------------------------------------------------------------------------------------------

impl Mode {
    /// The mode named `s` (case and surrounding spaces ignored).
    fn from_name(s: &str) -> Result<Mode, MixConfigError> {
        let t = s.trim();
        Mode::ALL
            .iter()
            .copied()
            .find(|m| t.eq_ignore_ascii_case(m.name()))
            .ok_or_else(|| MixConfigError::parse(s, "expected mixup, cutmix, resizemix or fmix"))
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
        Ok(Mode::from_name(s)?)
    }
}

impl Region {
    /// The region named `s`: `full`, `time` (`timestrips`) or `freq` (`freqbands`).
    fn from_name(s: &str) -> Result<Region, MixConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Region::Full),
            "time" | "timestrips" => Ok(Region::TimeStrips),
            "freq" | "freqbands" => Ok(Region::FreqBands),
            _ => Err(MixConfigError::parse(s, "expected full, time or freq")),
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
        Ok(Region::from_name(s)?)
    }
}

impl Granularity {
    /// The granularity named `s`: `batch` or `sample`.
    fn from_name(s: &str) -> Result<Granularity, MixConfigError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "batch" => Ok(Granularity::Batch),
            "sample" => Ok(Granularity::Sample),
            _ => Err(MixConfigError::parse(s, "expected batch or sample")),
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
        Ok(Granularity::from_name(s)?)
    }
}

// ---------------------------------------------------------------------------------------------
// The RandomMix spec.
// ---------------------------------------------------------------------------------------------

impl fmt::Display for RandomMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.config().fmt(f)
    }
}

impl FromStr for RandomMix {
    type Err = MixError;
    /// Parses a [`RandomMixConfig`] and builds the mixer; errors are [`MixError::Config`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(RandomMix::new(s.parse()?)?)
    }
}

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
        if self.skip_prob != 0.0 {
            write!(f, ";skip={}", self.skip_prob)?;
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
            if let Some(db) = c.db_per_unit {
                o.push(format!("db={db}"));
            }
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
    /// Parses the grammar documented on [`RandomMix`]; errors are [`MixError::Config`] with
    /// [`MixConfigError::Parse`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(parse_config(s)?)
    }
}

/// [`RandomMixConfig::from_str`] with the precise error type.
fn parse_config(s: &str) -> Result<RandomMixConfig, MixConfigError> {
    let mut parts = s.split(';');
    let modes = parts.next().unwrap_or_default().trim();
    let mut config = RandomMixConfig::none();
    if modes.is_empty() {
        return Err(MixConfigError::parse(
            s,
            "empty mixing spec; expected e.g. `mixup:1,cutmix:1`, `randommix` or `none`",
        ));
    }
    if modes.eq_ignore_ascii_case(RANDOMMIX) {
        config.candidates = RandomMixConfig::default().candidates;
    } else if !modes.eq_ignore_ascii_case("none") {
        for token in split_top_level(modes)? {
            config.candidates.push(parse_candidate(token)?);
        }
    }
    for global in parts {
        let (key, value) = key_value(global)?;
        match key.as_str() {
            // `p` is the name `skip` had before; old run configs still use it.
            "skip" | "p" => config.skip_prob = number(global, value)?,
            "per" => config.per = Granularity::from_name(value).map_err(|e| retoken(e, global))?,
            _ => {
                return Err(MixConfigError::parse(
                    global,
                    "unknown global option; expected skip (alias p) or per",
                ));
            }
        }
    }
    config.validate().map_err(|e| match e {
        MixConfigError::Parse { .. } => e,
        other => MixConfigError::parse(s, other.to_string()),
    })?;
    Ok(config)
}

/// Splits `a,b(c,d),e` at the commas outside parentheses.
fn split_top_level(s: &str) -> Result<Vec<&str>, MixConfigError> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, ch) in s.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(MixConfigError::parse(&s[start..=i], "unbalanced `)`"));
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
        return Err(MixConfigError::parse(&s[start..], "missing `)`"));
    }
    out.push(&s[start..]);
    Ok(out)
}

fn parse_candidate(token: &str) -> Result<Candidate, MixConfigError> {
    let t = token.trim();
    if t.is_empty() {
        return Err(MixConfigError::parse(
            token,
            "empty candidate; expected a mode name",
        ));
    }
    let (head, opts) = match t.find('(') {
        Some(i) => {
            let Some(inner) = t[i + 1..].strip_suffix(')') else {
                return Err(MixConfigError::parse(t, "options must end with `)`"));
            };
            (&t[..i], Some(inner))
        }
        None => (t, None),
    };
    let (name, weight) = match head.split_once(':') {
        Some((n, w)) => (n, number(head, w)?),
        None => (head, 1.0),
    };
    if name.trim().eq_ignore_ascii_case(RANDOMMIX) {
        return Err(MixConfigError::parse(
            t,
            "`randommix` stands for all four modes and must be the whole mode list \
             (e.g. `randommix;skip=0.5`); list the modes to weight or configure them",
        ));
    }
    let mode = Mode::from_name(name).map_err(|e| retoken(e, name))?;
    let mut config = ModeConfig::default_for(mode);
    if let Some(opts) = opts {
        for opt in opts.split(',').filter(|o| !o.trim().is_empty()) {
            set_option(&mut config, opt)?;
        }
    }
    if !(weight.is_finite() && weight >= 0.0) {
        return Err(MixConfigError::parse(
            head,
            "weight must be a finite number >= 0",
        ));
    }
    config
        .build()
        .map_err(|e| MixConfigError::parse(t, e.to_string()))?;
    Ok(Candidate { config, weight })
}

fn set_option(config: &mut ModeConfig, opt: &str) -> Result<(), MixConfigError> {
    let (key, value) = key_value(opt)?;
    let num = || number(opt, value);
    let region = || Region::from_name(value).map_err(|e| retoken(e, opt));
    let per = || Granularity::from_name(value).map_err(|e| retoken(e, opt));
    match (config, key.as_str()) {
        (ModeConfig::Mixup(c), "alpha") => c.alpha = num()?,
        (ModeConfig::Mixup(c), "per") => c.per = per()?,
        (ModeConfig::Mixup(c), "db") => c.db_per_unit = Some(num()?),
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
                Mode::Mixup => "alpha, per or db",
                Mode::CutMix => "alpha, region or per",
                Mode::ResizeMix => "min, max, region or per",
                Mode::FMix => "alpha, decay, region or per",
            };
            return Err(MixConfigError::parse(
                opt,
                format!("unknown option for {}; expected {expected}", c.mode()),
            ));
        }
    }
    Ok(())
}

/// `key=value` with the key lower-cased and both trimmed.
fn key_value(token: &str) -> Result<(String, &str), MixConfigError> {
    match token.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
            Ok((k.trim().to_ascii_lowercase(), v.trim()))
        }
        _ => Err(MixConfigError::parse(token, "expected key=value")),
    }
}

fn number(token: &str, value: &str) -> Result<f64, MixConfigError> {
    value
        .trim()
        .parse::<f64>()
        .map_err(|_| MixConfigError::parse(token, format!("`{}` is not a number", value.trim())))
}

/// Replaces the token of a parse error by the larger token it came from.
fn retoken(e: MixConfigError, token: &str) -> MixConfigError {
    match e {
        MixConfigError::Parse { reason, .. } => MixConfigError::parse(token, reason),
        other => other,
    }
}
