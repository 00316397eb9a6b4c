//! The training configuration, saved resolved as `config.json` in every run folder.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::data::{AugmentConfig, Normalization, TaskSpec};
use crate::features::MelConfig;
use crate::model::{Arch, Backend, ModelConfig};

/// The training default's modes as a literal, so that the constants below are built from one
/// string.
macro_rules! recommended_modes {
    () => {
        "mixup:1(db=1),cutmix:1,resizemix:1,fmix:1"
    };
}

/// The training default's mixing: RandomMix over the four modes at 1:1:1:1, its Mixup adding
/// the two sounds as powers (`db=1`: the trainer's log-mels are in dB), with 70 % of the batches
/// left unmixed (chosen by experiment on the leave-voices-out check; README, Results).
pub const RECOMMENDED_MIX: &str = concat!(recommended_modes!(), ";skip=0.7");

/// The modes of [`RECOMMENDED_MIX`] without its skip probability (always mixing): what
/// `randommix mix` shows by default.
pub const RECOMMENDED_MODES: &str = recommended_modes!();

/// `compare`'s default list: no mixing, each mode as the default RandomMix uses it, and the
/// default RandomMix's modes (`compare` adds the same global options to all but `none`).
pub const COMPARE_MODES: &str = concat!(
    "none/mixup(db=1)/cutmix/resizemix/fmix/",
    recommended_modes!()
);

/// `compare`'s default global mixing options, added to every mode but `none`: the training
/// default's schedule ([`RECOMMENDED_MIX`]'s 70 % unmixed batches), so that the modes are
/// compared as the default uses them.
pub const COMPARE_MIX_OPTIONS: &str = "skip=0.7";

/// The bundled real Speech Commands clips: the default folder a run is judged on.
pub const DEFAULT_DATA: &str = "data/real";

/// The bundled synthetic set, whose training clips join the real ones by default.
pub const DEFAULT_EXTRA_DATA: &[&str] = &["data/synthetic"];

/// A training setting a run cannot use ([`TrainConfig::validate`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A number outside its range: the setting, the value given and the range, in words.
    #[error("{setting} {value} must be {expected}")]
    OutOfRange {
        /// The setting, in words (`batch size`).
        setting: &'static str,
        /// The value given.
        value: String,
        /// The allowed range (`at least 2 (batch norm)`).
        expected: &'static str,
    },
    /// The voice augmentation's settings.
    #[error("voice augmentation: {0}")]
    Voice(String),
    /// The noise SNR range.
    #[error("{0}")]
    NoiseSnr(String),
}

/// Everything that defines a training run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// The Speech Commands folder the run is judged on: its validation split selects the
    /// checkpoint, its test split is the headline.
    pub data: PathBuf,
    /// Further Speech Commands folders whose training clips join the training split (their
    /// own validation and test clips are left out); empty in runs saved before it existed.
    #[serde(default)]
    pub extra_data: Vec<PathBuf>,
    /// The classification task.
    pub task: TaskSpec,
    /// Number of epochs.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Peak learning rate of AdamW.
    pub lr: f64,
    /// AdamW decoupled weight decay.
    pub weight_decay: f32,
    /// Linear warm-up length in epochs, then cosine decay to `lr × final_lr_factor`.
    pub warmup_epochs: f64,
    /// The learning rate at the end, as a fraction of `lr`.
    pub final_lr_factor: f64,
    /// The RandomMix specification (`none`, a mode, or weighted candidates; `skip=` for the
    /// probability of leaving a batch unmixed). A power-sum Mixup's `db=` is in decibels of
    /// the log-mel before normalisation: the trainer rescales it by the normalisation's std.
    pub mix: String,
    /// The share of the epochs at the end trained without mixing (timm's `--mixup-off-epoch`,
    /// as a fraction: 0.15 of 60 epochs = the last 9); 0 in runs saved before it existed.
    #[serde(default)]
    pub mix_off_share: f64,
    /// Label smoothing ε: targets become `(1 − ε)·t + ε/K` after mixing (0 = off).
    #[serde(default)]
    pub label_smoothing: f32,
    /// The network architecture (the plain CNN in runs saved before the choice existed).
    #[serde(default)]
    pub arch: Arch,
    /// BC-ResNet's width factor (1–8).
    #[serde(default = "default_width")]
    pub width: usize,
    /// The CNN's output channels per conv block (`None`: 16, 32, 64, 64).
    #[serde(default)]
    pub channels: Option<Vec<usize>>,
    /// The share of the further folders' training clips ([`TrainConfig::extra_data`]) that
    /// joins training: a subset drawn once from the seed (1 = all of them).
    #[serde(default = "default_extra_share")]
    pub extra_share: f64,
    /// The seed of every random draw of the run.
    pub seed: u64,
    /// Samples per clip (16 000 = 1 s).
    pub clip_samples: usize,
    /// The log-mel front end.
    pub mel: MelConfig,
    /// Online augmentation.
    pub augment: AugmentConfig,
    /// The compute backend.
    pub backend: Backend,
    /// Batch size for evaluation.
    pub eval_batch_size: usize,
    /// The network; filled in when the run starts (the class count comes from the data).
    pub model: Option<ModelConfig>,
    /// Class names in label order; filled in when the run starts.
    pub classes: Vec<String>,
    /// Feature normalisation; fitted on the training split when the run starts.
    pub normalization: Option<Normalization>,
}

fn default_width() -> usize {
    1
}

fn default_extra_share() -> f64 {
    1.0
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            data: PathBuf::from(DEFAULT_DATA),
            extra_data: DEFAULT_EXTRA_DATA.iter().map(PathBuf::from).collect(),
            task: TaskSpec::default(),
            epochs: 60,
            batch_size: 64,
            lr: 3e-3,
            weight_decay: 1e-2,
            warmup_epochs: 1.0,
            final_lr_factor: 0.01,
            mix: RECOMMENDED_MIX.into(),
            mix_off_share: 0.15,
            label_smoothing: 0.0,
            arch: Arch::Cnn,
            width: 1,
            channels: None,
            extra_share: 1.0,
            seed: 0,
            clip_samples: crate::audio::CLIP_SAMPLES,
            mel: MelConfig::default(),
            augment: AugmentConfig::default(),
            backend: Backend::Flex,
            eval_batch_size: 256,
            model: None,
            classes: Vec::new(),
            normalization: None,
        }
    }
}

impl TrainConfig {
    /// Checks the values a user can set.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let range = |setting: &'static str, value: String, expected: &'static str| {
            Err(ConfigError::OutOfRange {
                setting,
                value,
                expected,
            })
        };
        if self.epochs == 0 {
            return range("epochs", "0".into(), "at least 1");
        }
        if self.batch_size < 2 {
            return range(
                "batch size",
                self.batch_size.to_string(),
                "at least 2 (batch norm)",
            );
        }
        if self.eval_batch_size == 0 {
            return range("eval batch size", "0".into(), "at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return range("learning rate", self.lr.to_string(), "positive");
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return range("weight decay", self.weight_decay.to_string(), "≥ 0");
        }
        if !(self.warmup_epochs.is_finite() && self.warmup_epochs >= 0.0) {
            return range("warm-up", self.warmup_epochs.to_string(), "≥ 0 epochs");
        }
        if !(0.0..=1.0).contains(&self.final_lr_factor) {
            return range(
                "final lr factor",
                self.final_lr_factor.to_string(),
                "in [0, 1]",
            );
        }
        if !(0.0..=1.0).contains(&self.mix_off_share) {
            return range("mix-off share", self.mix_off_share.to_string(), "in [0, 1]");
        }
        if !(0.0..1.0).contains(&self.label_smoothing) {
            return range(
                "label smoothing",
                self.label_smoothing.to_string(),
                "in [0, 1)",
            );
        }
        if self.arch == Arch::BcResNet && !(1..=8).contains(&self.width) {
            return range("BC-ResNet width", self.width.to_string(), "1 to 8");
        }
        if let Some(c) = &self.channels {
            if c.is_empty() || c.contains(&0) {
                return range(
                    "CNN channels",
                    format!("{c:?}"),
                    "one or more positive counts",
                );
            }
            if self.arch != Arch::Cnn {
                return range("channels", format!("{c:?}"), "given only with the CNN");
            }
        }
        if !(self.extra_share.is_finite() && self.extra_share > 0.0 && self.extra_share <= 1.0) {
            return range("extra share", self.extra_share.to_string(), "in (0, 1]");
        }
        self.augment.voice.validate().map_err(ConfigError::Voice)?;
        if let Some(n) = &self.augment.noise_snr {
            n.validate().map_err(ConfigError::NoiseSnr)?;
        }
        if self.clip_samples == 0 {
            return range("clip length", "0 samples".into(), "at least one sample");
        }
        let a = &self.augment;
        for (name, v) in [
            ("noise probability", a.noise_prob),
            ("noise volume", a.noise_volume),
            ("silence volume", a.silence_volume),
            ("non-speech probability", a.nonspeech_prob),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return range(name, v.to_string(), "in [0, 1]");
            }
        }
        if !(a.time_shift_ms.is_finite() && a.time_shift_ms >= 0.0) {
            return range("time shift", format!("{} ms", a.time_shift_ms), "≥ 0");
        }
        Ok(())
    }

    /// The number of final epochs without mixing: `round(mix_off_share × epochs)`.
    pub fn mix_off_epochs(&self) -> usize {
        ((self.mix_off_share * self.epochs as f64).round() as usize).min(self.epochs)
    }

    /// The learning rate at optimizer step `step` of `total` (warm-up, then cosine).
    pub fn lr_at(&self, step: usize, steps_per_epoch: usize, total: usize) -> f64 {
        let warm = (self.warmup_epochs * steps_per_epoch as f64).round() as usize;
        if step < warm {
            return self.lr * (step + 1) as f64 / warm as f64;
        }
        let rest = total.saturating_sub(warm).max(1) as f64;
        let t = ((step - warm) as f64 / rest).min(1.0);
        let lo = self.lr * self.final_lr_factor;
        lo + 0.5 * (self.lr - lo) * (1.0 + (std::f64::consts::PI * t).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_specs_agree_and_parse() {
        use crate::mix::{RandomMix, RandomMixConfig};
        assert_eq!(RECOMMENDED_MIX, format!("{RECOMMENDED_MODES};skip=0.7"));
        assert!(RECOMMENDED_MIX.ends_with(&format!(";{COMPARE_MIX_OPTIONS}")));
        assert!(COMPARE_MODES.ends_with(&format!("/{RECOMMENDED_MODES}")));
        let c: RandomMixConfig = RECOMMENDED_MIX.parse().expect("default spec");
        assert_eq!(c.to_string(), RECOMMENDED_MIX);
        for spec in crate::experiments::split_modes(COMPARE_MODES) {
            spec.parse::<RandomMix>().expect("compare spec");
        }
        // Each single mode of the comparison is one candidate of the default, as configured there.
        let modes = crate::experiments::split_modes(COMPARE_MODES);
        assert_eq!(modes.len(), 6);
        let default: RandomMixConfig = RECOMMENDED_MODES.parse().expect("modes");
        for (single, candidate) in modes[1..5].iter().zip(&default.candidates) {
            let one: RandomMixConfig = single.parse().expect("mode");
            assert_eq!(one.candidates.len(), 1);
            assert_eq!(one.candidates[0].config, candidate.config, "{single}");
        }
        assert_eq!(modes[0], "none");
    }

    #[test]
    fn schedule_warms_up_then_decays() {
        let c = TrainConfig {
            lr: 1.0,
            warmup_epochs: 1.0,
            final_lr_factor: 0.0,
            ..Default::default()
        };
        assert!((c.lr_at(0, 10, 100) - 0.1).abs() < 1e-12);
        assert!((c.lr_at(9, 10, 100) - 1.0).abs() < 1e-12);
        assert!((c.lr_at(10, 10, 100) - 1.0).abs() < 1e-12);
        assert!(c.lr_at(55, 10, 100) < 0.6);
        assert!(c.lr_at(99, 10, 100) < 0.01);
    }

    #[test]
    fn out_of_range_settings_are_typed_errors_naming_value_and_limit() {
        let c = TrainConfig {
            eval_batch_size: 0,
            ..Default::default()
        };
        let e = c.validate().unwrap_err();
        assert_eq!(
            e,
            ConfigError::OutOfRange {
                setting: "eval batch size",
                value: "0".into(),
                expected: "at least 1"
            }
        );
        assert_eq!(e.to_string(), "eval batch size 0 must be at least 1");
        let c = TrainConfig {
            lr: f64::NAN,
            ..Default::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "learning rate NaN must be positive"
        );
    }

    #[test]
    fn default_is_valid_and_round_trips() {
        let c = TrainConfig::default();
        c.validate().unwrap();
        let s = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<TrainConfig>(&s).unwrap(), c);
    }
}
