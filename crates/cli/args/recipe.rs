//! The training recipe options that `train` and `compare` share.

use clap::Args;

use randommix::data::{NoiseSnr, SpecAugment, VoiceAugment};
use randommix::model::Arch;
use randommix::train::TrainConfig;

/// The parts of the training recipe that `train` and `compare` share.
#[derive(Args, Debug)]
pub struct RecipeArgs {
    /// Network: `cnn` (the plain CNN) or `bcresnet` (BC-ResNet with SubSpectral norm).
    #[arg(long, default_value_t = TrainConfig::default().arch, value_parser = |s: &str| s.parse::<Arch>())]
    pub model: Arch,
    /// BC-ResNet width factor (1-8).
    #[arg(long, default_value_t = TrainConfig::default().width)]
    pub width: usize,
    /// The CNN's channels per conv block, comma-separated (wider: 32,64,128,128) [default: 16,32,64,64].
    #[arg(long, value_delimiter = ',')]
    pub channels: Option<Vec<usize>>,
    /// Share of the further --data folders' training clips used (a subset drawn from the seed; 1 = all).
    #[arg(long, default_value_t = TrainConfig::default().extra_share)]
    pub extra_share: f64,
    /// Share of the epochs at the end trained without mixing (0.15 of the default 60 = the last 9).
    #[arg(long, default_value_t = TrainConfig::default().mix_off_share)]
    pub mix_off_share: f64,
    /// Label smoothing ε (0 = off).
    #[arg(long, default_value_t = TrainConfig::default().label_smoothing)]
    pub label_smoothing: f32,
    /// Voice and channel augmentation (speed, gain, mel warp, EQ, band-limiting, reverb):
    /// on, off, or a strength in [0, 1] that scales every stage's probability.
    #[arg(long, default_value = "off", value_parser = strength)]
    pub voice_aug: f32,
    /// SpecAugment time and frequency masks: on|off.
    #[arg(long, default_value = "off", value_parser = on_off, action = clap::ArgAction::Set)]
    pub spec_augment: bool,
    /// Noise for word clips at an SNR drawn from MIN:MAX dB (white noise for a third of them,
    /// background recordings for the rest), or `off` for a volume drawn from U(0, 0.1).
    #[arg(long, default_value = "off", value_parser = noise_snr)]
    pub noise_snr: NoiseChoice,
    /// Probability that a silence sample also holds a synthesized non-speech sound (tone,
    /// hum, clicks, siren, music, ring), so that the model learns not to fire on them.
    #[arg(long, default_value_t = randommix::data::AugmentConfig::default().nonspeech_prob)]
    pub nonspeech: f32,
}

/// `--noise-snr`: off or a range.
#[derive(Debug, Clone, Copy)]
pub struct NoiseChoice(pub Option<NoiseSnr>);

fn noise_snr(s: &str) -> std::result::Result<NoiseChoice, String> {
    match s {
        "off" => Ok(NoiseChoice(None)),
        "on" => Ok(NoiseChoice(Some(NoiseSnr::standard()))),
        other => NoiseSnr::parse_range(other).map(|n| NoiseChoice(Some(n))),
    }
}

fn strength(s: &str) -> std::result::Result<f32, String> {
    match s {
        "on" => Ok(1.0),
        "off" => Ok(0.0),
        other => match other.parse::<f32>() {
            Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
            _ => Err(format!("{other:?}: expected on, off or a number in [0, 1]")),
        },
    }
}

fn on_off(s: &str) -> std::result::Result<bool, String> {
    match s {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        other => Err(format!("{other:?}: expected on or off")),
    }
}

impl RecipeArgs {
    /// Applies the recipe to a configuration.
    pub fn apply(&self, cfg: &mut TrainConfig) {
        cfg.arch = self.model;
        cfg.width = self.width;
        cfg.channels = self.channels.clone();
        cfg.extra_share = self.extra_share;
        cfg.mix_off_share = self.mix_off_share;
        cfg.label_smoothing = self.label_smoothing;
        cfg.augment.voice = VoiceAugment::scaled(self.voice_aug);
        cfg.augment.noise_snr = self.noise_snr.0;
        cfg.augment.nonspeech_prob = self.nonspeech;
        cfg.augment.spec_augment = if self.spec_augment {
            SpecAugment::standard()
        } else {
            SpecAugment::default()
        };
    }
}
