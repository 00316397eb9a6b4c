//! The front-end parameters and their validation.

use serde::{Deserialize, Serialize};

use super::FeatureError;

/// The mel scale used to place the filter centres. `#[non_exhaustive]`: a `match` needs a
/// `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MelScale {
    /// Slaney's Auditory Toolbox scale: linear below 1 kHz, logarithmic above
    /// (librosa's default, `htk=False`).
    #[default]
    Slaney,
    /// The HTK formula `2595 · log10(1 + f / 700)` (librosa `htk=True`).
    Htk,
}

/// How each mel filter is normalised. `#[non_exhaustive]` (librosa also has L^p norms): a
/// `match` needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum MelNorm {
    /// Slaney's area normalisation: each triangle is scaled by `2 / (f_upper − f_lower)`
    /// so that it has constant energy per hertz (librosa `norm="slaney"`).
    #[default]
    Slaney,
    /// Triangles of peak 1 (librosa `norm=None`).
    None,
}

/// Parameters of the log-mel front end. [`Default`] is the canonical table of the project
/// (`peers/README.md`): 16 kHz, periodic Hann of 480 samples centred in a 512-point FFT,
/// hop 160, `center` with zero padding, 40 Slaney mel bands from 20 Hz to 8 kHz with Slaney
/// area norm, power 2, `10·log10(max(1e-10, S))`, no `top_db` clipping. For a 1 s clip the
/// output is 40 × 101.
///
/// Start from [`MelConfig::default()`] and change what you need with the `with_*` methods (or
/// by assigning the public fields); the struct is `#[non_exhaustive]`, so fields can be added
/// without breaking callers. A JSON object may leave out any field (its default is used).
///
/// ```
/// use randommix_frontend::features::{MelConfig, MelScale};
///
/// let cfg = MelConfig::default().with_n_mels(64).with_mel_scale(MelScale::Htk).with_top_db(80.0);
/// assert_eq!((cfg.n_mels, cfg.mel_scale, cfg.top_db), (64, MelScale::Htk, Some(80.0)));
/// cfg.validate()?;
/// # Ok::<(), randommix_frontend::features::FeatureError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct MelConfig {
    /// Sample rate of the input signal (Hz).
    pub sample_rate: u32,
    /// FFT length (samples); the spectrum has `n_fft / 2 + 1` bins.
    pub n_fft: usize,
    /// Window length (samples), at most `n_fft`; the window is centred in the FFT frame.
    pub win_length: usize,
    /// Hop between frames (samples).
    pub hop_length: usize,
    /// Pad `n_fft / 2` zeros on both sides so that frame `t` is centred on sample
    /// `t · hop_length` (librosa `center=True, pad_mode="constant"`).
    pub center: bool,
    /// Number of mel bands.
    pub n_mels: usize,
    /// Lowest filter edge (Hz).
    pub fmin: f32,
    /// Highest filter edge (Hz), at most `sample_rate / 2`.
    pub fmax: f32,
    /// Mel scale.
    pub mel_scale: MelScale,
    /// Filter normalisation.
    pub norm: MelNorm,
    /// Exponent applied to the magnitude spectrum (2 = power, 1 = magnitude).
    pub power: f32,
    /// Floor applied before the logarithm: `10 · log10(max(amin, S))`.
    pub amin: f32,
    /// If set, each clip's log-mel is clipped from below at its maximum minus `top_db`.
    pub top_db: Option<f32>,
}

impl Default for MelConfig {
    fn default() -> Self {
        MelConfig {
            sample_rate: crate::audio::SAMPLE_RATE,
            n_fft: 512,
            win_length: 480,
            hop_length: 160,
            center: true,
            n_mels: 40,
            fmin: 20.0,
            fmax: 8_000.0,
            mel_scale: MelScale::Slaney,
            norm: MelNorm::Slaney,
            power: 2.0,
            amin: 1e-10,
            top_db: None,
        }
    }
}

/// Upper bound on `n_fft` and `n_mels`, far above any use, so that a typo in a config file
/// cannot ask for gigabytes.
const MAX_SIZE: usize = 1 << 16;

impl MelConfig {
    /// Sets [`sample_rate`](Self::sample_rate), the input sample rate (Hz).
    #[must_use]
    pub fn with_sample_rate(mut self, sample_rate: u32) -> Self {
        self.sample_rate = sample_rate;
        self
    }

    /// Sets [`n_fft`](Self::n_fft), the FFT length.
    #[must_use]
    pub fn with_n_fft(mut self, n_fft: usize) -> Self {
        self.n_fft = n_fft;
        self
    }

    /// Sets [`win_length`](Self::win_length), the window length.
    #[must_use]
    pub fn with_win_length(mut self, win_length: usize) -> Self {
        self.win_length = win_length;
        self
    }

    /// Sets [`hop_length`](Self::hop_length), the hop between frames.
    #[must_use]
    pub fn with_hop_length(mut self, hop_length: usize) -> Self {
        self.hop_length = hop_length;
        self
    }

    /// Sets [`center`](Self::center), whether frames are centred (zero padding).
    #[must_use]
    pub fn with_center(mut self, center: bool) -> Self {
        self.center = center;
        self
    }

    /// Sets [`n_mels`](Self::n_mels), the number of mel bands.
    #[must_use]
    pub fn with_n_mels(mut self, n_mels: usize) -> Self {
        self.n_mels = n_mels;
        self
    }

    /// Sets [`fmin`](Self::fmin), the lowest filter edge (Hz).
    #[must_use]
    pub fn with_fmin(mut self, fmin: f32) -> Self {
        self.fmin = fmin;
        self
    }

    /// Sets [`fmax`](Self::fmax), the highest filter edge (Hz).
    #[must_use]
    pub fn with_fmax(mut self, fmax: f32) -> Self {
        self.fmax = fmax;
        self
    }

    /// Sets [`mel_scale`](Self::mel_scale), the mel scale.
    #[must_use]
    pub fn with_mel_scale(mut self, mel_scale: MelScale) -> Self {
        self.mel_scale = mel_scale;
        self
    }

    /// Sets [`norm`](Self::norm), the filter normalisation.
    #[must_use]
    pub fn with_norm(mut self, norm: MelNorm) -> Self {
        self.norm = norm;
        self
    }

    /// Sets [`power`](Self::power), the exponent of the magnitude spectrum.
    #[must_use]
    pub fn with_power(mut self, power: f32) -> Self {
        self.power = power;
        self
    }

    /// Sets [`amin`](Self::amin), the floor before the logarithm.
    #[must_use]
    pub fn with_amin(mut self, amin: f32) -> Self {
        self.amin = amin;
        self
    }

    /// Sets [`top_db`](Self::top_db): `80.0` (or `Some(80.0)`) clips each clip's log-mel at
    /// its maximum minus 80 dB, `None` does not clip.
    #[must_use]
    pub fn with_top_db(mut self, top_db: impl Into<Option<f32>>) -> Self {
        self.top_db = top_db.into();
        self
    }

    /// Checks every field; the error names the first field that is out of range.
    pub fn validate(&self) -> Result<(), FeatureError> {
        let bad = |field: &'static str, problem: String| {
            Err(FeatureError::InvalidConfig { field, problem })
        };
        if self.sample_rate == 0 {
            return bad("sample_rate", "must be positive".into());
        }
        if self.n_fft < 2 || self.n_fft > MAX_SIZE {
            return bad(
                "n_fft",
                format!("is {}, must be in 2..={MAX_SIZE}", self.n_fft),
            );
        }
        if self.win_length == 0 || self.win_length > self.n_fft {
            return bad(
                "win_length",
                format!(
                    "is {}, must be in 1..=n_fft ({})",
                    self.win_length, self.n_fft
                ),
            );
        }
        if self.hop_length == 0 {
            return bad("hop_length", "must be positive".into());
        }
        if self.n_mels == 0 || self.n_mels > MAX_SIZE {
            return bad(
                "n_mels",
                format!("is {}, must be in 1..={MAX_SIZE}", self.n_mels),
            );
        }
        let nyquist = self.sample_rate as f32 / 2.0;
        if !(self.fmin.is_finite() && self.fmin >= 0.0) {
            return bad("fmin", format!("is {}, must be ≥ 0", self.fmin));
        }
        if !(self.fmax.is_finite() && self.fmax > self.fmin && self.fmax <= nyquist) {
            return bad(
                "fmax",
                format!(
                    "is {}, must be above fmin ({}) and at most sample_rate / 2 ({nyquist})",
                    self.fmax, self.fmin
                ),
            );
        }
        if !(self.power.is_finite() && self.power > 0.0) {
            return bad("power", format!("is {}, must be positive", self.power));
        }
        if !(self.amin.is_finite() && self.amin > 0.0) {
            return bad("amin", format!("is {}, must be positive", self.amin));
        }
        if let Some(t) = self.top_db
            && !(t.is_finite() && t >= 0.0)
        {
            return bad("top_db", format!("is {t}, must be ≥ 0"));
        }
        Ok(())
    }

    /// Number of FFT bins, `n_fft / 2 + 1`.
    pub fn n_bins(&self) -> usize {
        self.n_fft / 2 + 1
    }

    /// Number of frames for a signal of `n_samples` samples: `1 + n_samples / hop` when
    /// centred (even `n_fft`), `1 + (n_samples − n_fft) / hop` otherwise (0 when shorter
    /// than one FFT frame).
    pub fn n_frames(&self, n_samples: usize) -> usize {
        let pad = if self.center { 2 * (self.n_fft / 2) } else { 0 };
        match (n_samples + pad).checked_sub(self.n_fft) {
            Some(d) if self.hop_length > 0 => 1 + d / self.hop_length,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_canonical() {
        let c = MelConfig::default();
        c.validate().unwrap();
        assert_eq!(c.n_frames(16_000), 101);
        assert_eq!(c.n_bins(), 257);
    }

    #[test]
    fn errors_name_the_field() {
        let cases: Vec<(&str, MelConfig)> = vec![
            (
                "win_length",
                MelConfig {
                    win_length: 600,
                    ..Default::default()
                },
            ),
            (
                "hop_length",
                MelConfig {
                    hop_length: 0,
                    ..Default::default()
                },
            ),
            (
                "fmax",
                MelConfig {
                    fmax: 9000.0,
                    ..Default::default()
                },
            ),
            (
                "fmin",
                MelConfig {
                    fmin: f32::NAN,
                    ..Default::default()
                },
            ),
            (
                "n_mels",
                MelConfig {
                    n_mels: 0,
                    ..Default::default()
                },
            ),
            (
                "amin",
                MelConfig {
                    amin: 0.0,
                    ..Default::default()
                },
            ),
            (
                "top_db",
                MelConfig {
                    top_db: Some(-1.0),
                    ..Default::default()
                },
            ),
            (
                "power",
                MelConfig {
                    power: 0.0,
                    ..Default::default()
                },
            ),
            (
                "n_fft",
                MelConfig {
                    n_fft: 1,
                    ..Default::default()
                },
            ),
            (
                "sample_rate",
                MelConfig {
                    sample_rate: 0,
                    ..Default::default()
                },
            ),
        ];
        for (field, cfg) in cases {
            let e = cfg.validate().unwrap_err().to_string();
            assert!(e.contains(field), "{e}");
        }
    }

    #[test]
    fn serde_roundtrip_and_defaults() {
        let c = MelConfig {
            mel_scale: MelScale::Htk,
            top_db: Some(80.0),
            ..Default::default()
        };
        let s = serde_json::to_string(&c).unwrap();
        assert!(s.contains("\"htk\""), "{s}");
        let back: MelConfig = serde_json::from_str(&s).unwrap();
        assert_eq!(back, c);
        let partial: MelConfig = serde_json::from_str(r#"{"n_mels": 64}"#).unwrap();
        assert_eq!(partial.n_mels, 64);
        assert_eq!(partial.hop_length, 160);
    }
}
