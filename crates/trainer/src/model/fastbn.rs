//! A fused batch-norm training forward and backward for burn-flex, through burn 0.22's
//! backend-extension mechanism (the same as [`super::fastconv`]).
//!
//! burn-flex 0.22 does not implement `batch_norm_train` or its backward, so burn composes them
//! from about fifteen generic tensor operations, several of them full copies through
//! `swap_dims` + `reshape`. Here the forward is one pass for the per-channel statistics and one
//! for the output; the backward is one pass for the two per-channel sums and one for the input
//! gradient. Sums run per channel in a fixed order (f64 accumulators), so results do not depend
//! on scheduling. [`super::fastconv::set_generic`] selects burn's path for both.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::nn::BatchNorm;
use burn::tensor::{Device, Tensor};
use rayon::prelude::*;

use super::fastconv::{flex_tensor, on_flex_f32};

/// Batch norm with batch statistics as a backend extension.
#[backend_extension(Flex, Autodiff)]
pub trait FastBatchNormOps: Backend {
    /// `(output, mean, biased variance)` of batch norm over axes 0, 2, 3 of `[B, C, H, W]`.
    fn fast_batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

pub(super) fn slice(t: &FlexTensor) -> &[f32] {
    t.as_slice::<f32>().expect("contiguous f32 tensor")
}

/// `[B, C, plane]` of a tensor of rank ≥ 2.
pub(super) fn bcp(t: &FlexTensor) -> (usize, usize, usize) {
    let s = t.layout().shape();
    let (b, c) = (s[0], s[1]);
    let n: usize = (0..s.num_dims()).map(|i| s[i]).product();
    (b, c, n / (b * c).max(1))
}

/// `(Σ f(a, b), Σ g(a, b))` over two equal-length slices, with eight independent lanes (so
/// that the loop vectorises) summed in a fixed order into f64.
#[inline]
fn lane_sums(
    a: &[f32],
    b: &[f32],
    f: impl Fn(f32, f32) -> f32,
    g: impl Fn(f32, f32) -> f32,
) -> (f64, f64) {
    const L: usize = 8;
    let (mut s, mut t) = ([0.0f32; L], [0.0f32; L]);
    let (ca, cb) = (a.chunks_exact(L), b.chunks_exact(L));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..L {
            s[l] += f(x[l], y[l]);
            t[l] += g(x[l], y[l]);
        }
    }
    let mut fs: f64 = s.iter().map(|v| *v as f64).sum();
    let mut gs: f64 = t.iter().map(|v| *v as f64).sum();
    for (&x, &y) in ra.iter().zip(rb) {
        fs += f(x, y) as f64;
        gs += g(x, y) as f64;
    }
    (fs, gs)
}

/// Per-channel scale `γ / σ` and shift `β − μ·γ / σ` of the batch statistics `mean`, `var`.
pub(super) fn scale_shift(
    g: &[f32],
    be: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f64,
) -> Vec<(f32, f32)> {
    (0..g.len())
        .map(|ci| {
            let sc = g[ci] / ((var[ci] as f64 + eps).sqrt() as f32);
            (sc, be[ci] - mean[ci] * sc)
        })
        .collect()
}

/// Per-channel `1 / σ` of the biased variances `var`.
pub(super) fn inv_std(var: &[f32], eps: f64) -> Vec<f32> {
    var.iter()
        .map(|&v| (1.0 / (v as f64 + eps).sqrt()) as f32)
        .collect()
}

/// Per-channel mean and biased variance.
pub(super) fn stats(x: &[f32], b: usize, c: usize, p: usize) -> (Vec<f32>, Vec<f32>) {
    let per: Vec<(f32, f32)> = (0..c)
        .into_par_iter()
        .map(|ci| {
            let (mut s, mut s2) = (0.0f64, 0.0f64);
            for bi in 0..b {
                let blk = &x[(bi * c + ci) * p..][..p];
                let (a, a2) = lane_sums(blk, blk, |v, _| v, |v, _| v * v);
                s += a;
                s2 += a2;
            }
            let n = (b * p).max(1) as f64;
            let mean = s / n;
            ((mean) as f32, (s2 / n - mean * mean).max(0.0) as f32)
        })
        .collect();
    per.into_iter().unzip()
}

#[cfg(test)]
static FAST_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// The forward on raw data: output, mean, variance.
fn forward_raw(
    x: &FlexTensor,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    eps: f64,
) -> (FlexTensor, FlexTensor, FlexTensor) {
    #[cfg(test)]
    FAST_CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let x = x.to_contiguous();
    let (gamma, beta) = (gamma.to_contiguous(), beta.to_contiguous());
    let dims: Vec<usize> = {
        let s = x.layout().shape();
        (0..s.num_dims()).map(|i| s[i]).collect()
    };
    let (b, c, p) = bcp(&x);
    let xs = slice(&x);
    let (mean, var) = stats(xs, b, c, p);
    let (g, be) = (slice(&gamma), slice(&beta));
    let ss = scale_shift(g, be, &mean, &var, eps);
    let mut y = vec![0.0f32; xs.len()];
    y.par_chunks_mut(p.max(1)).enumerate().for_each(|(k, out)| {
        let ci = k % c;
        let src = &xs[k * p..][..p];
        let (sc, sh) = ss[ci];
        for (o, &v) in out.iter_mut().zip(src) {
            *o = v * sc + sh;
        }
    });
    (
        flex_tensor(y, &dims),
        flex_tensor(mean, &[c]),
        flex_tensor(var, &[c]),
    )
}

impl FastBatchNormOps for Flex {
    fn fast_batch_norm_train(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        forward_raw(&x, &gamma, &beta, epsilon)
    }
}

/// The autodiff step: input, gamma, mean, variance, epsilon.
#[derive(Debug)]
struct BnBackward;

impl Backward<Flex, 3> for BnBackward {
    type State = (FlexTensor, FlexTensor, FlexTensor, FlexTensor, f64);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_g, node_b] = ops.parents;
        let gy: FlexTensor = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x, gamma, mean, var, eps) = ops.state;
        let (dx, dg, db) = backward_raw(&x, &gamma, &mean, &var, eps, &gy, node_x.is_some());
        if let Some(n) = node_b {
            grads.register::<Flex>(n.id, db);
        }
        if let Some(n) = node_g {
            grads.register::<Flex>(n.id, dg);
        }
        if let (Some(n), Some(dx)) = (node_x, dx) {
            grads.register::<Flex>(n.id, dx);
        }
    }
}

/// Batch norm's two backward sums per channel, `(Σ g, Σ g·x̂)` as `(dβ, dγ)`: `part(channel,
/// sample)` gives one sample's share; channels run in parallel, samples in order (f64), so the
/// result does not depend on scheduling.
pub(super) fn backward_sums(
    c: usize,
    b: usize,
    part: impl Fn(usize, usize) -> (f64, f64) + Sync,
) -> (Vec<f32>, Vec<f32>) {
    (0..c)
        .into_par_iter()
        .map(|ci| {
            let (s1, s2) = (0..b).fold((0.0f64, 0.0f64), |(s1, s2), bi| {
                let (a1, a2) = part(ci, bi);
                (s1 + a1, s2 + a2)
            });
            (s1 as f32, s2 as f32)
        })
        .unzip()
}

/// `dβ = Σ g`, `dγ = Σ g·x̂`, `dx = γ·σ⁻¹·(g − mean(g) − x̂·mean(g·x̂))`, per channel.
fn backward_raw(
    x: &FlexTensor,
    gamma: &FlexTensor,
    mean: &FlexTensor,
    var: &FlexTensor,
    eps: f64,
    gy: &FlexTensor,
    want_dx: bool,
) -> (Option<FlexTensor>, FlexTensor, FlexTensor) {
    let x = x.to_contiguous();
    let dims: Vec<usize> = {
        let s = x.layout().shape();
        (0..s.num_dims()).map(|i| s[i]).collect()
    };
    let (b, c, p) = bcp(&x);
    let (xs, gs) = (slice(&x), slice(gy));
    let gamma = gamma.to_contiguous();
    let (mean, var) = (mean.to_contiguous(), var.to_contiguous());
    let (ga, mu, va) = (slice(&gamma), slice(&mean), slice(&var));
    let inv = inv_std(va, eps);
    let (db, dg) = backward_sums(c, b, |ci, bi| {
        let (m, iv, o) = (mu[ci], inv[ci], (bi * c + ci) * p);
        lane_sums(
            &gs[o..o + p],
            &xs[o..o + p],
            |g, _| g,
            |g, v| g * (v - m) * iv,
        )
    });
    let dx = want_dx.then(|| {
        let n = (b * p).max(1) as f32;
        let mut dx = vec![0.0f32; xs.len()];
        dx.par_chunks_mut(p.max(1))
            .enumerate()
            .for_each(|(k, out)| {
                let ci = k % c;
                let (m, iv) = (mu[ci], inv[ci]);
                let mg = db[ci] / n;
                let mgx = dg[ci] / n;
                let sc = ga[ci] * iv;
                let o = k * p;
                for ((d, &g), &v) in out.iter_mut().zip(&gs[o..o + p]).zip(&xs[o..o + p]) {
                    let xh = (v - m) * iv;
                    *d = sc * (g - mg - xh * mgx);
                }
            });
        flex_tensor(dx, &dims)
    });
    (dx, flex_tensor(dg, &[c]), flex_tensor(db, &[c]))
}

impl<C: CheckpointStrategy> FastBatchNormOps for Autodiff<Flex, C> {
    fn fast_batch_norm_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let kind = BnBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        let (xp, gp, bp) = (
            x.into_primitive(),
            gamma.into_primitive(),
            beta.into_primitive(),
        );
        let (y, mean, var) = forward_raw(&xp, &gp, &bp, epsilon);
        let y = match kind {
            OpsKind::Tracked(prep) => prep.finish((xp, gp, mean.clone(), var.clone(), epsilon), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        };
        (y, Self::from_inner(mean), Self::from_inner(var))
    }
}

/// The same as `bn.forward(x)` for `[B, C, H, W]` (same statistics and running-state
/// updates as burn's training path), with the fused kernels on burn-flex in training.
pub fn forward(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let dev = x.device();
    let applies = dev.is_autodiff()
        && bn.training.is_enabled()
        && on_flex_f32(&x)
        && !super::fastconv::is_generic();
    if !applies {
        let inference = !dev.is_autodiff() && on_flex_f32(&x) && !super::fastconv::is_generic();
        if inference {
            return forward_inference(bn, x);
        }
        return bn.forward(x);
    }
    let (y, mean, var) = <Dispatch as FastBatchNormOps>::fast_batch_norm_train(
        x.into_dispatch(),
        bn.gamma.val().into_dispatch(),
        bn.beta.val().into_dispatch(),
        bn.epsilon,
    );
    let (y, mean, var): (Tensor<4>, Tensor<1>, Tensor<1>) = (
        Tensor::from_dispatch(y),
        Tensor::from_dispatch(mean),
        Tensor::from_dispatch(var),
    );
    update_running(bn, mean, var);
    y
}

/// The running statistics' update of burn's training path, from a batch's mean and biased
/// variance.
pub(super) fn update_running(bn: &BatchNorm, mean: Tensor<1>, var: Tensor<1>) {
    let dev = mean.device();
    let running_mean = bn.running_mean.value_sync().to_device(&dev);
    let running_var = bn.running_var.value_sync().to_device(&dev);
    let running_mean = running_mean
        .mul_scalar(1.0 - bn.momentum)
        .add(mean.detach().mul_scalar(bn.momentum));
    let running_var = running_var
        .mul_scalar(1.0 - bn.momentum)
        .add(var.detach().mul_scalar(bn.momentum));
    bn.running_mean.update(running_mean.detach());
    bn.running_var.update(running_var.detach());
}

/// Inference with the running statistics as one scale and one shift per channel (computed on
/// `C` values), applied in one broadcast multiply and one add: burn 0.22's inference batch
/// norm takes four passes over the tensor and spent a fifth of a streaming window's time in
/// `exp` (`benches/stream_rtf.rs`).
fn forward_inference(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let c = bn.gamma.dims()[0];
    let (scale, shift) = running_scale_shift(bn, &x.device());
    x.mul(scale.reshape([1, c, 1, 1]))
        .add(shift.reshape([1, c, 1, 1]))
}

/// Batch norm at inference as one scale and one shift per channel, from its running
/// statistics (computed on `C` values, on `dev`).
pub(super) fn running_scale_shift(bn: &BatchNorm, dev: &Device) -> (Tensor<1>, Tensor<1>) {
    let mean = bn.running_mean.value().to_device(dev);
    let var = bn.running_var.value().to_device(dev);
    let scale = bn.gamma.val().div(var.add_scalar(bn.epsilon).sqrt());
    let shift = bn.beta.val().sub(mean.mul(scale.clone()));
    (scale, shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::BatchNormConfig;
    use burn::tensor::{Device, TensorData};
    use rand::{Rng, SeedableRng};

    fn v<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn inference_equals_burns_with_running_statistics() {
        let dev = Device::flex();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        for dims in [[1, 16, 40, 101], [3, 5, 1, 7]] {
            let c = dims[1];
            let n: usize = dims.iter().product();
            let mut r = |n: usize, lo: f32, hi: f32| -> Vec<f32> {
                (0..n).map(|_| rng.random_range(lo..hi)).collect()
            };
            let mut bn = BatchNormConfig::new(c).init(&dev);
            bn.gamma = bn
                .gamma
                .map(|_| Tensor::from_data(TensorData::new(r(c, -2.0, 3.0), [c]), &dev));
            bn.beta = bn
                .beta
                .map(|_| Tensor::from_data(TensorData::new(r(c, -2.0, 3.0), [c]), &dev));
            bn.running_mean.update(Tensor::from_data(
                TensorData::new(r(c, -1.0, 1.0), [c]),
                &dev,
            ));
            bn.running_var.update(Tensor::from_data(
                TensorData::new(r(c, 0.1, 4.0), [c]),
                &dev,
            ));
            let x = Tensor::<4>::from_data(TensorData::new(r(n, -3.0, 3.0), dims), &dev);
            let ours = v(forward(&bn, x.clone()));
            let burns = v(bn.forward(x));
            for (i, (a, b)) in ours.iter().zip(&burns).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "{dims:?}[{i}]: {a} vs {b}"
                );
            }
        }
    }

    /// Output, running stats and all gradients of `Σ r ⊙ bn(x)`, on one path.
    fn run(dims: [usize; 4], seed: u64, fast: bool) -> Vec<Vec<f32>> {
        let dev = Device::flex().autodiff();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n: usize = dims.iter().product();
        let mut r =
            |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-2.0f32..3.0)).collect() };
        let c = dims[1];
        let mut bn = BatchNormConfig::new(c).init(&dev);
        bn.gamma = bn
            .gamma
            .map(|_| Tensor::from_data(TensorData::new(r(c), [c]), &dev).require_grad());
        bn.beta = bn
            .beta
            .map(|_| Tensor::from_data(TensorData::new(r(c), [c]), &dev).require_grad());
        let x = Tensor::<4>::from_data(TensorData::new(r(n), dims), &dev).require_grad();
        let w = Tensor::<4>::from_data(TensorData::new(r(n), dims), &dev);
        let y = if fast {
            let before = FAST_CALLS.load(std::sync::atomic::Ordering::Relaxed);
            let y = forward(&bn, x.clone());
            assert!(FAST_CALLS.load(std::sync::atomic::Ordering::Relaxed) > before);
            y
        } else {
            bn.forward(x.clone())
        };
        let g = (y.clone() * w).sum().backward();
        vec![
            v(y.inner()),
            v(bn.running_mean.value()),
            v(bn.running_var.value()),
            v(x.grad(&g).unwrap()),
            v(bn.gamma.val().grad(&g).unwrap()),
            v(bn.beta.val().grad(&g).unwrap()),
        ]
    }

    #[test]
    fn fused_batch_norm_equals_burns_generic_path() {
        for (k, dims) in [[4, 3, 5, 7], [1, 2, 1, 9], [3, 1, 6, 1], [2, 5, 2, 2]]
            .into_iter()
            .enumerate()
        {
            let f = run(dims, k as u64, true);
            let g = run(dims, k as u64, false);
            let what = [
                "output",
                "running mean",
                "running var",
                "grad x",
                "grad gamma",
                "grad beta",
            ];
            for i in 0..f.len() {
                assert_eq!(f[i].len(), g[i].len());
                for (j, (a, b)) in f[i].iter().zip(&g[i]).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                        "{dims:?} {}[{j}]: fused {a} vs generic {b}",
                        what[i]
                    );
                }
            }
        }
    }
}
