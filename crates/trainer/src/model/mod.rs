//! The keyword-spotting networks (burn 0.22) and the choice of compute device.
//!
//! # Shapes
//!
//! Every network reads normalised log-mel batches `[B, 1, mels, frames]` (40 × 101 for 1 s at
//! the default front end) and returns logits `[B, classes]`. Nothing about the input size is
//! fixed: convolutions are padded, pooling is clamped to the plane, and the heads average over
//! whatever plane is left.
//!
//! - [`Arch::Cnn`]: the plain CNN of [`KwsCnn`] (~66 k parameters by default).
//! - [`Arch::BcResNet`]: BC-ResNet (Kim et al. 2021, "Broadcasted Residual Learning for
//!   Efficient Keyword Spotting") with SubSpectral normalisation, width factor 1–8
//!   ([`BcResNet`]).

mod backend;
mod bcresnet;
mod cnn;
pub mod fastblock;
pub mod fastbn;
pub mod fastconv;
mod fastdw;
pub mod fastpool;
mod parts;

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

pub use backend::Backend;
pub use bcresnet::{BcBlockParts, BcResNet, BcResNetParts};
pub use cnn::{BlockParts, CnnParts, ConvBlock, KwsCnn};
pub use parts::{ConvParts, NormParts};

/// Which network [`ModelConfig`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arch {
    /// The plain CNN ([`KwsCnn`]): `channels` and `dropout` apply.
    #[default]
    Cnn,
    /// BC-ResNet-`width` ([`BcResNet`]): `width` and `dropout` apply.
    BcResNet,
}

impl Arch {
    /// Every architecture name, as [`FromStr`](std::str::FromStr) spells it.
    pub const NAMES: [&'static str; 2] = ["cnn", "bcresnet"];
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Arch::Cnn => "cnn",
            Arch::BcResNet => "bcresnet",
        })
    }
}

impl std::str::FromStr for Arch {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "cnn" => Ok(Arch::Cnn),
            "bcresnet" => Ok(Arch::BcResNet),
            _ => Err(format!(
                "unknown model {s:?}; one of {}",
                Arch::NAMES.join(", ")
            )),
        }
    }
}

fn default_width() -> usize {
    1
}

/// The architecture of a network, saved with every run (`config.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Which network.
    #[serde(default)]
    pub arch: Arch,
    /// Number of output classes.
    pub n_classes: usize,
    /// Mel bands of the input (40).
    pub n_mels: usize,
    /// Frames of the input (101 for 1 s).
    pub n_frames: usize,
    /// Output channels of each conv block; a 2×2 max-pool follows every block but the last.
    pub channels: Vec<usize>,
    /// Dropout before the classifier (CNN) or in every block (BC-ResNet).
    pub dropout: f64,
    /// BC-ResNet's width factor τ (1–8): channels 16τ, 8τ, 12τ, 16τ, 20τ, 32τ.
    #[serde(default = "default_width")]
    pub width: usize,
}

impl ModelConfig {
    /// The default net for a task with `n_classes` classes on `[n_mels, n_frames]` inputs:
    /// four 3×3 conv-BN-ReLU blocks (16, 32, 64, 64 channels), ~66 k parameters.
    pub fn new(n_classes: usize, n_mels: usize, n_frames: usize) -> Self {
        ModelConfig {
            arch: Arch::Cnn,
            n_classes,
            n_mels,
            n_frames,
            channels: vec![16, 32, 64, 64],
            dropout: 0.1,
            width: 1,
        }
    }

    /// BC-ResNet-`width` for `n_classes` classes on `[n_mels, n_frames]` inputs (dropout 0.1).
    pub fn bcresnet(n_classes: usize, n_mels: usize, n_frames: usize, width: usize) -> Self {
        ModelConfig {
            arch: Arch::BcResNet,
            width,
            ..ModelConfig::new(n_classes, n_mels, n_frames)
        }
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), ModelConfigError> {
        let bad = |field: &'static str, value: String, expected: &'static str| {
            Err(ModelConfigError {
                field,
                value,
                expected,
            })
        };
        if self.n_classes < 2 {
            return bad("n_classes", self.n_classes.to_string(), "at least 2");
        }
        if self.n_mels == 0 || self.n_frames == 0 {
            return bad(
                "input plane",
                format!("{} × {}", self.n_mels, self.n_frames),
                "non-empty",
            );
        }
        if self.channels.is_empty() || self.channels.contains(&0) {
            return bad(
                "channels",
                format!("{:?}", self.channels),
                "non-empty and positive",
            );
        }
        if self.arch == Arch::BcResNet && !(1..=8).contains(&self.width) {
            return bad("BC-ResNet width", self.width.to_string(), "1 to 8");
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad("dropout", self.dropout.to_string(), "in [0, 1)");
        }
        Ok(())
    }

    /// Builds the network with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> KwsModel {
        match self.arch {
            Arch::Cnn => KwsModel::Cnn(KwsCnn::new(self, device)),
            Arch::BcResNet => KwsModel::BcResNet(BcResNet::new(self, device)),
        }
    }
}

/// A [`ModelConfig`] field outside its range: the field, the value and the range.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field} {value} must be {expected}")]
pub struct ModelConfigError {
    /// The field (`channels`).
    pub field: &'static str,
    /// The value given.
    pub value: String,
    /// The allowed range, in words.
    pub expected: &'static str,
}

/// A keyword-spotting network of any [`Arch`].
// One network per run: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum KwsModel {
    /// The plain CNN.
    Cnn(KwsCnn),
    /// BC-ResNet.
    BcResNet(BcResNet),
}

impl KwsModel {
    /// Logits for a batch.
    ///
    /// # Shapes
    /// - input: `[B, 1, mels, frames]`
    /// - output: `[B, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        match self {
            KwsModel::Cnn(m) => m.forward(x),
            KwsModel::BcResNet(m) => m.forward(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_config() {
        let device = Device::flex();
        for (mels, frames) in [(40, 101), (64, 51), (1, 3)] {
            let cfg = ModelConfig::new(12, mels, frames);
            let m = cfg.init(&device);
            let y = m.forward(Tensor::zeros([3, 1, mels, frames], &device));
            assert_eq!(y.dims(), [3, 12]);
        }
    }

    #[test]
    fn bcresnet_shapes_and_sizes() {
        let device = Device::flex();
        for (mels, frames) in [(40, 101), (64, 51), (7, 3), (1, 1)] {
            let m = ModelConfig::bcresnet(12, mels, frames, 1).init(&device);
            let y = m.forward(Tensor::zeros([2, 1, mels, frames], &device));
            assert_eq!(y.dims(), [2, 12], "{mels}×{frames}");
        }
        // The paper: BC-ResNet-1 ~9.2 k, BC-ResNet-8 ~321 k parameters (12 classes).
        let n1 = ModelConfig::bcresnet(12, 40, 101, 1)
            .init(&device)
            .num_params();
        let n8 = ModelConfig::bcresnet(12, 40, 101, 8)
            .init(&device)
            .num_params();
        assert!((7_000..12_000).contains(&n1), "{n1}");
        assert!((250_000..400_000).contains(&n8), "{n8}");
    }

    #[test]
    fn arch_names_parse() {
        assert_eq!("BC-ResNet".parse::<Arch>(), Ok(Arch::BcResNet));
        assert_eq!("cnn".parse::<Arch>(), Ok(Arch::Cnn));
        assert!("resnet".parse::<Arch>().is_err());
        let mut c = ModelConfig::bcresnet(12, 40, 101, 9);
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "BC-ResNet width 9 must be 1 to 8"
        );
        c.width = 8;
        assert!(c.validate().is_ok());
    }

    #[test]
    fn old_configs_without_arch_parse_as_cnn() {
        let j = r#"{"n_classes":12,"n_mels":40,"n_frames":101,"channels":[16,32],"dropout":0.1}"#;
        let c: ModelConfig = serde_json::from_str(j).expect("parse");
        assert_eq!(c.arch, Arch::Cnn);
        assert_eq!(c.width, 1);
    }

    #[test]
    fn parameter_count_is_small() {
        let m = ModelConfig::new(12, 40, 101).init(&Device::flex());
        let n = m.num_params();
        assert!((10_000..300_000).contains(&n), "{n}");
    }
}
