//! A trained network's layers as plain data (weights as `Vec<f32>` with their shapes), for
//! export: what [`super::BcResNet::parts`] returns. The plain CNN has its own, simpler form
//! ([`super::CnnParts`]).

use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, PaddingConfig2d};
use burn::tensor::Tensor;

/// A 2-D convolution's weights and geometry.
#[derive(Debug, Clone)]
pub struct ConvParts {
    /// Weight `[C_out, C_in / groups, k_h, k_w]`, row-major.
    pub weight: Vec<f32>,
    /// Its shape.
    pub dims: [usize; 4],
    /// Bias `[C_out]`, if the layer has one.
    pub bias: Option<Vec<f32>>,
    /// Stride (height, width).
    pub stride: [usize; 2],
    /// Zero padding: top, left, bottom, right.
    pub padding: [usize; 4],
    /// Dilation (height, width).
    pub dilation: [usize; 2],
    /// Groups (`C_in` for a depthwise convolution).
    pub groups: usize,
}

impl ConvParts {
    /// The output size along height (`axis` 0) or width (1) for an input of `n`.
    pub fn out_size(&self, axis: usize, n: usize) -> usize {
        let pad = self.padding[axis] + self.padding[axis + 2];
        let span = self.dilation[axis] * (self.dims[2 + axis] - 1) + 1;
        (n + pad).saturating_sub(span) / self.stride[axis] + 1
    }
}

/// A batch norm at inference: scale γ, shift β, running mean and (biased) variance, ε.
#[derive(Debug, Clone)]
pub struct NormParts {
    /// γ.
    pub gamma: Vec<f32>,
    /// β.
    pub beta: Vec<f32>,
    /// Running mean.
    pub mean: Vec<f32>,
    /// Running variance.
    pub var: Vec<f32>,
    /// ε.
    pub epsilon: f64,
}

impl NormParts {
    /// The per-channel `(scale, shift)` that batch norm applies at inference.
    pub fn scale_shift(&self) -> (Vec<f32>, Vec<f32>) {
        (0..self.gamma.len())
            .map(|c| {
                let s = self.gamma[c] as f64 / (self.var[c] as f64 + self.epsilon).sqrt();
                (
                    s as f32,
                    (self.beta[c] as f64 - self.mean[c] as f64 * s) as f32,
                )
            })
            .unzip()
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .unwrap_or_default()
}

/// The plain data of `conv`. Only explicit padding exists in randommix's networks; any other
/// padding reads as none.
pub fn conv_parts(conv: &Conv2d) -> ConvParts {
    let w = conv.weight.val();
    let dims = w.dims();
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, bottom, right) => [top, left, bottom, right],
        _ => [0; 4],
    };
    ConvParts {
        weight: values(w),
        dims,
        bias: conv.bias.as_ref().map(|b| values(b.val())),
        stride: conv.stride,
        padding,
        dilation: conv.dilation,
        groups: conv.groups,
    }
}

/// The plain data of `bn`.
pub fn norm_parts(bn: &BatchNorm) -> NormParts {
    NormParts {
        gamma: values(bn.gamma.val()),
        beta: values(bn.beta.val()),
        mean: values(bn.running_mean.value()),
        var: values(bn.running_var.value()),
        epsilon: bn.epsilon,
    }
}
