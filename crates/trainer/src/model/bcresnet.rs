//! BC-ResNet: broadcasted residual learning for keyword spotting (Kim, Chang, Lee and Sung,
//! Interspeech 2021, arXiv 2106.04140), built for log-mel input `[B, 1, mels, frames]`.
//!
//! Each block splits a 2-D residual into a frequency-wise part `f2` (a 3 × 1 depthwise conv
//! followed by SubSpectral normalisation) and a temporal part `f1` computed on the
//! frequency-averaged map (a 1 × 3 dilated depthwise conv, batch norm, swish, a 1 × 1 conv and
//! dropout) and broadcast back over frequency:
//!
//! ```text
//! y = ReLU(x + f2(x) + BC(f1(avgpool_freq(f2(x)))))       normal block
//! y = ReLU(f2(t) + BC(f1(avgpool_freq(f2(t))))), t = ReLU(BN(conv1×1(x)))   transition block
//! ```
//!
//! With width factor τ: a 5 × 5 stem with stride (2, 1) and 16τ channels, four stages of 2, 2,
//! 4, 4 blocks with 8τ, 12τ, 16τ, 20τ channels (frequency stride 2 at the first block of
//! stages 2 and 3, temporal dilation 1, 2, 4, 8), then a depthwise conv over the remaining
//! frequency bands × 5 frames, a 1 × 1 conv to 32τ channels, the mean over time and a 1 × 1
//! classifier. BC-ResNet-1 has ~9 k parameters, BC-ResNet-8 ~320 k.
//!
//! Departures from the paper, both for arbitrary input sizes: SubSpectral normalisation uses
//! 5 sub-bands where the band count divides evenly and plain batch norm elsewhere; frequency
//! strides are skipped once a single band is left. The dropout is element-wise (burn 0.22 has no
//! channel-wise `Dropout2d`).

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, PaddingConfig2d};
use burn::tensor::activation::{relu, silu};
use burn::tensor::{Device, Tensor};

use super::ModelConfig;
use super::parts::{ConvParts, NormParts, conv_parts, norm_parts};
use super::{fastblock, fastbn, fastconv};

/// Sub-bands of SubSpectral normalisation (the paper's S = 5).
const SUB_BANDS: usize = 5;

/// Batch norm over `sub_bands` frequency sub-bands separately (SubSpectral normalisation):
/// `[B, C, F, T]` is viewed as `[B, C·S, F/S, T]` and normalised per (channel, sub-band).
#[derive(Module, Debug)]
pub struct SubSpectralNorm {
    norm: BatchNorm,
    sub_bands: usize,
}

impl SubSpectralNorm {
    fn new(channels: usize, bands: usize, device: &Device) -> Self {
        let sub_bands = if bands >= SUB_BANDS && bands.is_multiple_of(SUB_BANDS) {
            SUB_BANDS
        } else {
            1
        };
        SubSpectralNorm {
            norm: BatchNormConfig::new(channels * sub_bands).init(device),
            sub_bands,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, f, t] = x.dims();
        let s = self.sub_bands;
        if s == 1 {
            return fastbn::forward(&self.norm, x);
        }
        let x = x.reshape([b, c * s, f / s, t]);
        fastbn::forward(&self.norm, x).reshape([b, c, f, t])
    }
}

/// One broadcasted residual block (a transition block when it changes the channel count).
#[derive(Module, Debug)]
pub struct BcResBlock {
    /// 1 × 1 conv + BN (transition blocks only).
    transition_conv: Option<Conv2d>,
    transition_norm: Option<BatchNorm>,
    /// Frequency-wise depthwise 3 × 1 conv (with the stage's frequency stride).
    freq_conv: Conv2d,
    freq_norm: SubSpectralNorm,
    /// Temporal depthwise 1 × 3 dilated conv, BN, swish, pointwise conv, dropout.
    time_conv: Conv2d,
    time_norm: BatchNorm,
    point_conv: Conv2d,
    dropout: Dropout,
}

impl BcResBlock {
    /// A block from `c_in` to `c_out` channels on `bands` input bands.
    fn new(
        c_in: usize,
        c_out: usize,
        bands: usize,
        freq_stride: usize,
        dilation: usize,
        dropout: f64,
        device: &Device,
    ) -> (Self, usize) {
        let transition = c_in != c_out;
        let out_bands = (bands + 2 - 3) / freq_stride + 1;
        let block = BcResBlock {
            transition_conv: transition.then(|| {
                Conv2dConfig::new([c_in, c_out], [1, 1])
                    .with_bias(false)
                    .init(device)
            }),
            transition_norm: transition.then(|| BatchNormConfig::new(c_out).init(device)),
            freq_conv: Conv2dConfig::new([c_out, c_out], [3, 1])
                .with_stride([freq_stride, 1])
                .with_padding(PaddingConfig2d::Explicit(1, 0, 1, 0))
                .with_groups(c_out)
                .with_bias(false)
                .init(device),
            freq_norm: SubSpectralNorm::new(c_out, out_bands, device),
            time_conv: Conv2dConfig::new([c_out, c_out], [1, 3])
                .with_dilation([1, dilation])
                .with_padding(PaddingConfig2d::Explicit(0, dilation, 0, dilation))
                .with_groups(c_out)
                .with_bias(false)
                .init(device),
            time_norm: BatchNormConfig::new(c_out).init(device),
            point_conv: Conv2dConfig::new([c_out, c_out], [1, 1])
                .with_bias(false)
                .init(device),
            dropout: DropoutConfig::new(dropout).init(),
        };
        (block, out_bands)
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (x, shortcut) = match (&self.transition_conv, &self.transition_norm) {
            (Some(conv), Some(norm)) => {
                (fastblock::bn_relu(norm, fastconv::forward(conv, x)), None)
            }
            _ => (x.clone(), Some(x)),
        };
        let f2 = self
            .freq_norm
            .forward(fastconv::forward(&self.freq_conv, x)); // [B, C, F', T]
        let pooled = f2.clone().mean_dim(2); // [B, C, 1, T]
        let f1 = silu(fastbn::forward(
            &self.time_norm,
            fastconv::forward(&self.time_conv, pooled),
        ));
        let f1 = self
            .dropout
            .forward(fastconv::forward(&self.point_conv, f1)); // [B, C, 1, T]
        let y = f2 + f1; // broadcast over frequency
        match shortcut {
            Some(s) => relu(y + s),
            None => relu(y),
        }
    }
}

/// BC-ResNet-τ; see the [module docs](self).
#[derive(Module, Debug)]
pub struct BcResNet {
    stem: Conv2d,
    stem_norm: BatchNorm,
    blocks: Vec<BcResBlock>,
    /// Depthwise conv over the remaining bands × 5 frames.
    head_dw: Conv2d,
    head_pw: Conv2d,
    head_norm: BatchNorm,
    classifier: Conv2d,
}

impl BcResNet {
    /// Builds BC-ResNet-`cfg.width` with freshly initialised weights on `device`.
    pub fn new(cfg: &ModelConfig, device: &Device) -> BcResNet {
        let tau = cfg.width.max(1);
        let c = [16, 8, 12, 16, 20, 32].map(|k| k * tau);
        let stem_stride = if cfg.n_mels >= 2 { 2 } else { 1 };
        let mut bands = (cfg.n_mels + 4 - 5) / stem_stride + 1;
        let stem = Conv2dConfig::new([1, c[0]], [5, 5])
            .with_stride([stem_stride, 1])
            .with_padding(PaddingConfig2d::Explicit(2, 2, 2, 2))
            .with_bias(false)
            .init(device);
        let stem_norm = BatchNormConfig::new(c[0]).init(device);
        let stages = [(2, 1, 1), (2, 2, 2), (4, 2, 4), (4, 1, 8)]; // (blocks, freq stride, dilation)
        let mut blocks = Vec::new();
        let mut c_in = c[0];
        for (k, &(n, stride, dilation)) in stages.iter().enumerate() {
            let c_out = c[k + 1];
            for j in 0..n {
                let s = if j == 0 && bands >= 2 { stride } else { 1 };
                let (b, out_bands) =
                    BcResBlock::new(c_in, c_out, bands, s, dilation, cfg.dropout, device);
                blocks.push(b);
                bands = out_bands;
                c_in = c_out;
            }
        }
        BcResNet {
            stem,
            stem_norm,
            blocks,
            head_dw: Conv2dConfig::new([c_in, c_in], [bands, 5])
                .with_padding(PaddingConfig2d::Explicit(0, 2, 0, 2))
                .with_groups(c_in)
                .with_bias(false)
                .init(device),
            head_pw: Conv2dConfig::new([c_in, c[5]], [1, 1])
                .with_bias(false)
                .init(device),
            head_norm: BatchNormConfig::new(c[5]).init(device),
            classifier: Conv2dConfig::new([c[5], cfg.n_classes], [1, 1]).init(device),
        }
    }

    /// Logits for a batch.
    ///
    /// # Shapes
    /// - input: `[B, 1, mels, frames]`
    /// - output: `[B, classes]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let mut x = fastblock::bn_relu(&self.stem_norm, fastconv::forward(&self.stem, x)); // [B, 16τ, F/2, T]
        for b in &self.blocks {
            x = b.forward(x);
        }
        let x = fastconv::forward(&self.head_dw, x); // [B, 20τ, 1, T]
        let x = fastblock::bn_relu(&self.head_norm, fastconv::forward(&self.head_pw, x)); // [B, 32τ, 1, T]
        let x = x.mean_dim(3); // [B, 32τ, 1, 1]
        let x = fastconv::forward(&self.classifier, x); // [B, classes, 1, 1]
        x.flatten::<2>(1, 3)
    }
}

/// One block of a [`BcResNet`] as plain data (for export).
#[derive(Debug, Clone)]
pub struct BcBlockParts {
    /// The 1 × 1 convolution + batch norm (+ ReLU) where the channels change; `None`: an
    /// identity shortcut is added before the last ReLU instead.
    pub transition: Option<(ConvParts, NormParts)>,
    /// The depthwise 3 × 1 frequency convolution.
    pub freq: ConvParts,
    /// Its SubSpectral norm: a batch norm over `C × sub_bands` channels, channel `c · S + s`
    /// normalising band `s` of `S` equal frequency bands of channel `c`.
    pub freq_norm: NormParts,
    /// `S` (1: a plain batch norm).
    pub sub_bands: usize,
    /// The depthwise 1 × 3 time convolution and its batch norm (then SiLU).
    pub time: (ConvParts, NormParts),
    /// The 1 × 1 convolution after it.
    pub point: ConvParts,
}

/// A [`BcResNet`] as plain data: stem, blocks, head.
#[derive(Debug, Clone)]
pub struct BcResNetParts {
    /// The 5 × 5 stem and its batch norm (then ReLU).
    pub stem: (ConvParts, NormParts),
    /// The blocks in order.
    pub blocks: Vec<BcBlockParts>,
    /// The depthwise head over the remaining bands.
    pub head_dw: ConvParts,
    /// The 1 × 1 head convolution and its batch norm (then ReLU, then an average over time).
    pub head_pw: (ConvParts, NormParts),
    /// The 1 × 1 classifier (with bias).
    pub classifier: ConvParts,
}

impl BcResNet {
    /// The trained parameters as plain data (what [`crate::export`] writes).
    pub fn parts(&self) -> BcResNetParts {
        BcResNetParts {
            stem: (conv_parts(&self.stem), norm_parts(&self.stem_norm)),
            blocks: self
                .blocks
                .iter()
                .map(|b| BcBlockParts {
                    transition: b
                        .transition_conv
                        .as_ref()
                        .zip(b.transition_norm.as_ref())
                        .map(|(c, n)| (conv_parts(c), norm_parts(n))),
                    freq: conv_parts(&b.freq_conv),
                    freq_norm: norm_parts(&b.freq_norm.norm),
                    sub_bands: b.freq_norm.sub_bands,
                    time: (conv_parts(&b.time_conv), norm_parts(&b.time_norm)),
                    point: conv_parts(&b.point_conv),
                })
                .collect(),
            head_dw: conv_parts(&self.head_dw),
            head_pw: (conv_parts(&self.head_pw), norm_parts(&self.head_norm)),
            classifier: conv_parts(&self.classifier),
        }
    }
}
