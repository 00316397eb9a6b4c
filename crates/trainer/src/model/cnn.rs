//! The plain CNN: 3×3 conv → batch norm → ReLU → 2×2 max-pool blocks, global average pool,
//! dropout, linear head.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d, Relu,
};
use burn::tensor::{Device, Tensor};

use super::ModelConfig;

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
    /// Builds the network of `cfg` with freshly initialised weights on `device`.
    pub fn new(cfg: &ModelConfig, device: &Device) -> KwsCnn {
        let mut blocks = Vec::new();
        let mut c_in = 1;
        let (mut h, mut w) = (cfg.n_mels, cfg.n_frames);
        for (k, &c_out) in cfg.channels.iter().enumerate() {
            let last = k + 1 == cfg.channels.len();
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
            dropout: DropoutConfig::new(cfg.dropout).init(),
            head: LinearConfig::new(c_in, cfg.n_classes).init(device),
        }
    }

    /// Logits for a batch.
    ///
    /// # Shapes
    /// - input: `[B, 1, mels, frames]`
    /// - output: `[B, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = x;
        for b in &self.blocks {
            x = super::fastconv::forward(&b.conv, x); // [B, C, H, W]
            // On burn-flex: batch norm, ReLU and pool as one op, in training and at inference.
            let window = b.pool.as_ref().map_or([1, 1], |p| p.kernel_size);
            if super::fastblock::applies(&b.norm, &x, window) {
                x = super::fastblock::forward(&b.norm, x, window); // [B, C, H/2, W/2]
                continue;
            }
            if super::fastblock::applies_inference(&x, window) {
                x = super::fastblock::forward_inference(&b.norm, x, window);
                continue;
            }
            x = super::fastbn::forward(&b.norm, x);
            x = self.activation.forward(x);
            if let Some(p) = &b.pool {
                x = super::fastpool::forward(p, x); // [B, C, H/2, W/2]
            }
        }
        let x = self.gap.forward(x); // [B, C, 1, 1]
        let x = x.flatten::<2>(1, 3); // [B, C]
        let x = self.dropout.forward(x);
        self.head.forward(x) // [B, classes]
    }
}

/// One block of a [`KwsCnn`] as plain data (for export).
#[derive(Debug, Clone)]
pub struct BlockParts {
    /// Convolution weight `[C_out, C_in, 3, 3]`, row-major, and its shape.
    pub weight: (Vec<f32>, [usize; 4]),
    /// Batch-norm scale γ, shift β, running mean and running variance, one per channel.
    pub gamma: Vec<f32>,
    /// β.
    pub beta: Vec<f32>,
    /// Running mean.
    pub mean: Vec<f32>,
    /// Running (biased) variance.
    pub var: Vec<f32>,
    /// Batch-norm ε.
    pub epsilon: f64,
    /// Max-pool window (= stride), if the block pools.
    pub pool: Option<[usize; 2]>,
}

/// A [`KwsCnn`] as plain data: blocks, then global average pool and the linear head.
#[derive(Debug, Clone)]
pub struct CnnParts {
    /// The conv blocks in order.
    pub blocks: Vec<BlockParts>,
    /// Head weight `[C, classes]` (burn's `Linear` layout: input × output), row-major.
    pub head_weight: (Vec<f32>, [usize; 2]),
    /// Head bias `[classes]`.
    pub head_bias: Vec<f32>,
}

fn data_of<const D: usize>(t: Tensor<D>) -> (Vec<f32>, [usize; D]) {
    let dims = t.dims();
    (
        t.into_data()
            .convert::<f32>()
            .try_to_vec::<f32>()
            .unwrap_or_default(),
        dims,
    )
}

impl KwsCnn {
    /// The trained parameters as plain data (what [`crate::export`] writes).
    pub fn parts(&self) -> CnnParts {
        let blocks = self
            .blocks
            .iter()
            .map(|b| BlockParts {
                weight: data_of(b.conv.weight.val()),
                gamma: data_of(b.norm.gamma.val()).0,
                beta: data_of(b.norm.beta.val()).0,
                mean: data_of(b.norm.running_mean.value()).0,
                var: data_of(b.norm.running_var.value()).0,
                epsilon: b.norm.epsilon,
                pool: b.pool.as_ref().map(|p| p.kernel_size),
            })
            .collect();
        CnnParts {
            blocks,
            head_weight: data_of(self.head.weight.val()),
            head_bias: self
                .head
                .bias
                .as_ref()
                .map(|b| data_of(b.val()).0)
                .unwrap_or_default(),
        }
    }
}
