//! The keyword-spotting CNN (burn 0.22) and the choice of compute device.
//!
//! # Shapes
//!
//! The network reads normalised log-mel batches `[B, 1, mels, frames]` (40 × 101 for 1 s at
//! the default front end) and returns logits `[B, classes]`. Nothing about the input size is
//! fixed: convolutions are padded, pooling is clamped to the plane, and the head averages over
//! whatever plane is left.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu,
};
use burn::tensor::{Device, Tensor};
use serde::{Deserialize, Serialize};

/// The architecture of [`KwsCnn`], saved with every run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    /// Number of output classes.
    pub n_classes: usize,
    /// Mel bands of the input (40).
    pub n_mels: usize,
    /// Frames of the input (101 for 1 s).
    pub n_frames: usize,
    /// Output channels of each conv block; a 2×2 max-pool follows every block but the last.
    pub channels: Vec<usize>,
    /// Dropout before the classifier.
    pub dropout: f64,
}

impl ModelConfig {
    /// The default net for a task with `n_classes` classes on `[n_mels, n_frames]` inputs:
    /// four 3×3 conv-BN-ReLU blocks (16, 32, 64, 64 channels), ~66 k parameters.
    pub fn new(n_classes: usize, n_mels: usize, n_frames: usize) -> Self {
        ModelConfig {
            n_classes,
            n_mels,
            n_frames,
            channels: vec![16, 32, 64, 64],
            dropout: 0.1,
        }
    }

    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), String> {
        if self.n_classes < 2 {
            return Err(format!("n_classes = {} (need at least 2)", self.n_classes));
        }
        if self.n_mels == 0 || self.n_frames == 0 {
            return Err(format!(
                "input plane {} × {} is empty",
                self.n_mels, self.n_frames
            ));
        }
        if self.channels.is_empty() || self.channels.contains(&0) {
            return Err(format!(
                "channels {:?} must be non-empty and positive",
                self.channels
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(format!("dropout {} must be in [0, 1)", self.dropout));
        }
        Ok(())
    }

    /// Builds the network with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> KwsCnn {
        let mut blocks = Vec::new();
        let mut c_in = 1;
        let (mut h, mut w) = (self.n_mels, self.n_frames);
        for (k, &c_out) in self.channels.iter().enumerate() {
            let last = k + 1 == self.channels.len();
            // Pool only while the plane is at least 2 wide in that direction.
            let ph = if !last && h >= 2 { 2 } else { 1 };
            let pw = if !last && w >= 2 { 2 } else { 1 };
            blocks.push(ConvBlock {
                conv: Conv2dConfig::new([c_in, c_out], [3, 3])
                    .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                    .with_bias(false)
                    .init(device),
                norm: BatchNormConfig::new(c_out).init(device),
                pool: (ph > 1 || pw > 1)
                    .then(|| MaxPool2dConfig::new([ph, pw]).with_strides([ph, pw]).init()),
            });
            h /= ph;
            w /= pw;
            c_in = c_out;
        }
        KwsCnn {
            blocks,
            activation: Relu::new(),
            gap: AdaptiveAvgPool2dConfig::new([1, 1]).init(),
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(c_in, self.n_classes).init(device),
        }
    }
}

/// conv 3×3 → batch norm → ReLU → optional 2×2 max-pool.
#[derive(Module, Debug)]
pub struct ConvBlock {
    conv: Conv2d,
    norm: BatchNorm,
    pool: Option<MaxPool2d>,
}

/// A small CNN keyword spotter.
#[derive(Module, Debug)]
pub struct KwsCnn {
    blocks: Vec<ConvBlock>,
    activation: Relu,
    gap: AdaptiveAvgPool2d,
    dropout: Dropout,
    head: Linear,
}

impl KwsCnn {
    /// Logits for a batch.
    ///
    /// # Shapes
    /// - input: `[B, 1, mels, frames]`
    /// - output: `[B, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = x;
        for b in &self.blocks {
            x = b.conv.forward(x); // [B, C, H, W]
            x = b.norm.forward(x);
            x = self.activation.forward(x);
            if let Some(p) = &b.pool {
                x = p.forward(x); // [B, C, H/2, W/2]
            }
        }
        let x = self.gap.forward(x); // [B, C, 1, 1]
        let x = x.flatten::<2>(1, 3); // [B, C]
        let x = self.dropout.forward(x);
        self.head.forward(x) // [B, classes]
    }
}

/// The compute backends this build offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// burn-flex, the pure-Rust CPU backend (default).
    Flex,
    /// burn-ndarray (deprecated in burn 0.22; needs the `ndarray` cargo feature).
    Ndarray,
    /// wgpu on Vulkan (needs the `vulkan` cargo feature).
    Vulkan,
    /// wgpu on whichever graphics API the platform has (needs the `wgpu` cargo feature).
    Wgpu,
}

impl Backend {
    /// Every backend name, as [`FromStr`](std::str::FromStr) and [`Display`](std::fmt::Display) spell it.
    pub const NAMES: [&'static str; 4] = ["flex", "ndarray", "vulkan", "wgpu"];

    /// The device for this backend, or an error saying which cargo feature is missing.
    pub fn device(self) -> Result<Device, String> {
        match self {
            Backend::Flex => Ok(Device::flex()),
            #[cfg(feature = "ndarray")]
            #[allow(deprecated)]
            Backend::Ndarray => Ok(Device::ndarray()),
            #[cfg(feature = "vulkan")]
            Backend::Vulkan => Ok(Device::vulkan(Default::default())),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Ok(Device::wgpu(Default::default())),
            #[allow(unreachable_patterns)]
            other => Err(format!(
                "backend {other:?} is not in this build; rebuild with `--features {}`",
                match other {
                    Backend::Ndarray => "ndarray",
                    Backend::Vulkan => "vulkan",
                    _ => "wgpu",
                }
            )),
        }
    }
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Flex => "flex",
            Backend::Ndarray => "ndarray",
            Backend::Vulkan => "vulkan",
            Backend::Wgpu => "wgpu",
        })
    }
}

impl std::str::FromStr for Backend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "flex" => Ok(Backend::Flex),
            "ndarray" => Ok(Backend::Ndarray),
            "vulkan" => Ok(Backend::Vulkan),
            "wgpu" => Ok(Backend::Wgpu),
            _ => Err(format!(
                "unknown backend {s:?}; one of {}",
                Backend::NAMES.join(", ")
            )),
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
    fn parameter_count_is_small() {
        let m = ModelConfig::new(12, 40, 101).init(&Device::flex());
        let n = m.num_params();
        assert!((10_000..300_000).contains(&n), "{n}");
    }
}
