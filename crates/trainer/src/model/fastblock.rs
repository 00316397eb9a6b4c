//! Batch norm → ReLU → non-overlapping max-pool as one training op on burn-flex, through burn
//! 0.22's backend-extension mechanism (as [`super::fastbn`] and [`super::fastpool`]).
//!
//! Run one after the other, the three layers of a CNN block write and read the block's largest
//! activation about ten times in a training step (batch norm's output, ReLU's output and mask,
//! the pool's gradient, ReLU's and batch norm's input gradients). Here the forward reads the
//! convolution's output twice (statistics, then normalise + ReLU + pool, writing only the pooled
//! map and the position of each window's maximum) and the backward reads it once and writes
//! its gradient once: the gradient reaching batch norm is zero except at the pooled maxima that
//! ReLU let through, so its two per-channel sums run over the pooled map.
//!
//! Results equal the three layers run one after the other (burn's path) to rounding; a window
//! whose values are all ≤ 0 after batch norm pools to 0 and passes no gradient (ReLU's), and
//! ties keep the first maximum (burn's max-pool). Sums run in a fixed order (f64 accumulators),
//! so results do not depend on scheduling.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::nn::BatchNorm;
use burn::tensor::Tensor;
use rayon::prelude::*;

use super::fastbn::{
    backward_sums, bcp, inv_std, running_scale_shift, scale_shift, slice, stats, update_running,
};
use super::fastconv::{flex_tensor, on_flex_f32};
use super::fastpool::pool_2x2_rows;

/// Position code of a window that pooled to 0 (nothing passed ReLU): no gradient.
const NONE: u8 = u8::MAX;

/// Batch norm (batch statistics) → ReLU → `kh × kw` max-pool (stride = window) as a backend
/// extension.
#[backend_extension(Flex, Autodiff)]
pub trait FastBlockOps: Backend {
    /// `(pooled output [B, C, H / kh, W / kw], batch mean, biased batch variance)`.
    fn fast_bn_relu_pool(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        window: [usize; 2],
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
    /// `max_pool(relu(x · scale + shift))` with one scale and shift per channel: the block at
    /// inference (batch norm with its running statistics). Not differentiated.
    fn fast_affine_relu_pool(
        x: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        window: [usize; 2],
    ) -> FloatTensor<Self>;
}

/// What the forward keeps for the backward.
#[derive(Debug, Clone)]
struct Saved {
    /// Position of each pooled cell's maximum inside its window (`i · kw + j`), or [`NONE`].
    at: Arc<Vec<u8>>,
    /// The input value at each pooled cell's maximum (batch norm's sums need it; kept so that
    /// the backward reads the pooled map, not the input, for them).
    raw: Arc<Vec<f32>>,
    /// `[B, C, H, W]` of the input.
    dims: [usize; 4],
    window: [usize; 2],
}

/// The gradient `g` of a pooled cell if its maximum passed ReLU (code `a` ≠ [`NONE`]), else 0;
/// a multiply by 1 or 0 computed with integer arithmetic (`(a + 1) >> 8` is 1 only for
/// `NONE` = 255), which the compiler keeps as vector arithmetic: written as `a != NONE` it
/// became a branch per cell, a coin toss on activations.
#[inline(always)]
fn passed(g: f32, a: u8) -> f32 {
    const { assert!(NONE == 255) };
    g * ((((a as u32) + 1) >> 8) ^ 1) as f32
}

/// `(Σ g', Σ g'·(x − m)·iv)` with `g' = passed(g, a)`, over equal-length slices: eight
/// independent lanes (so that the loop vectorises) summed in a fixed order into f64.
fn masked_sums(g: &[f32], a: &[u8], x: &[f32], m: f32, iv: f32) -> (f64, f64) {
    const L: usize = 8;
    let (mut s1, mut s2) = ([0.0f32; L], [0.0f32; L]);
    let (cg, ca, cx) = (g.chunks_exact(L), a.chunks_exact(L), x.chunks_exact(L));
    let (rg, ra, rx) = (cg.remainder(), ca.remainder(), cx.remainder());
    for ((g, a), x) in cg.zip(ca).zip(cx) {
        for l in 0..L {
            let gv = passed(g[l], a[l]);
            s1[l] += gv;
            s2[l] += gv * (x[l] - m) * iv;
        }
    }
    let mut t1: f64 = s1.iter().map(|v| *v as f64).sum();
    let mut t2: f64 = s2.iter().map(|v| *v as f64).sum();
    for ((&g, &a), &x) in rg.iter().zip(ra).zip(rx) {
        let gv = passed(g, a);
        t1 += gv as f64;
        t2 += (gv * (x - m) * iv) as f64;
    }
    (t1, t2)
}

/// `max_pool(relu(x · sc + sh))` of every plane of `xs` (`[B, C, H, W]`) into `y`, with the
/// per-channel `(sc, sh)` of `ss`; with `KEEP`, also each maximum's position code into `at`
/// and its input value into `raw` (otherwise they may be empty).
#[allow(clippy::too_many_arguments)]
fn pool_planes<const KEEP: bool>(
    xs: &[f32],
    [_, c, h, w]: [usize; 4],
    [kh, kw]: [usize; 2],
    ss: &[(f32, f32)],
    y: &mut [f32],
    at: &mut [u8],
    raw: &mut [f32],
) {
    let (ho, wo) = (h / kh, w / kw);
    let per = (ho * wo).max(1);
    let run = |k: usize, yo: &mut [f32], ao: &mut [u8], ro: &mut [f32]| {
        let (sc, sh) = ss[k % c];
        let plane = &xs[k * h * w..][..h * w];
        if [kh, kw] == [1, 1] {
            for (q, (o, &x)) in yo.iter_mut().zip(plane).enumerate() {
                let v = x * sc + sh;
                let gt = v > 0.0;
                *o = if gt { v } else { 0.0 };
                if KEEP {
                    ao[q] = if gt { 0 } else { NONE };
                    ro[q] = x;
                }
            }
            return;
        }
        for oh in 0..ho {
            let rows = &plane[oh * kh * w..];
            let yr = &mut yo[oh * wo..][..wo];
            let (ar, rr): (&mut [u8], &mut [f32]) = if KEEP {
                (&mut ao[oh * wo..][..wo], &mut ro[oh * wo..][..wo])
            } else {
                (&mut [], &mut [])
            };
            if [kh, kw] == [2, 2] {
                let r = [&rows[..w], &rows[w..2 * w]];
                pool_2x2_rows::<KEEP, KEEP>(r, yr, ar, rr, (sc, sh), (0.0, NONE));
                continue;
            }
            for ow in 0..wo {
                // ReLU as the starting maximum: only values > 0 can win.
                let (mut best, mut pos, mut bx) = (0.0f32, NONE, 0.0f32);
                for i in 0..kh {
                    let row = &rows[i * w + ow * kw..][..kw];
                    for (j, &x) in row.iter().enumerate() {
                        let v = x * sc + sh;
                        // Selects, not branches (the comparison is a coin toss).
                        let gt = v > best;
                        best = if gt { v } else { best };
                        pos = if gt { (i * kw + j) as u8 } else { pos };
                        bx = if gt { x } else { bx };
                    }
                }
                yr[ow] = best;
                if KEEP {
                    ar[ow] = pos;
                    rr[ow] = bx;
                }
            }
        }
    };
    if KEEP {
        y.par_chunks_mut(per)
            .zip(at.par_chunks_mut(per))
            .zip(raw.par_chunks_mut(per))
            .enumerate()
            .for_each(|(k, ((yo, ao), ro))| run(k, yo, ao, ro));
    } else {
        y.par_chunks_mut(per)
            .enumerate()
            .for_each(|(k, yo)| run(k, yo, &mut [], &mut []));
    }
}

/// The forward on raw data: pooled output, mean, variance and the positions of the maxima.
fn forward_raw(
    x: &FlexTensor,
    gamma: &FlexTensor,
    beta: &FlexTensor,
    eps: f64,
    [kh, kw]: [usize; 2],
) -> (FlexTensor, FlexTensor, FlexTensor, Saved) {
    let x = x.to_contiguous();
    let (gamma, beta) = (gamma.to_contiguous(), beta.to_contiguous());
    let s = x.layout().shape();
    let (b, c, h, w) = (s[0], s[1], s[2], s[3]);
    let (ho, wo) = (h / kh, w / kw);
    let xs = slice(&x);
    let (mean, var) = stats(xs, b, c, h * w);
    let ss = scale_shift(slice(&gamma), slice(&beta), &mean, &var, eps);
    let per = ho * wo;
    let mut y = vec![0.0f32; b * c * per];
    let mut at = vec![NONE; b * c * per];
    let mut raw = vec![0.0f32; b * c * per];
    pool_planes::<true>(xs, [b, c, h, w], [kh, kw], &ss, &mut y, &mut at, &mut raw);
    (
        flex_tensor(y, &[b, c, ho, wo]),
        flex_tensor(mean, &[c]),
        flex_tensor(var, &[c]),
        Saved {
            at: Arc::new(at),
            raw: Arc::new(raw),
            dims: [b, c, h, w],
            window: [kh, kw],
        },
    )
}

/// The block at inference on raw data.
fn inference_raw(
    x: &FlexTensor,
    scale: &FlexTensor,
    shift: &FlexTensor,
    window: [usize; 2],
) -> FlexTensor {
    let x = x.to_contiguous();
    let (scale, shift) = (scale.to_contiguous(), shift.to_contiguous());
    let s = x.layout().shape();
    let dims = [s[0], s[1], s[2], s[3]];
    let (ho, wo) = (dims[2] / window[0], dims[3] / window[1]);
    let ss: Vec<(f32, f32)> = slice(&scale)
        .iter()
        .copied()
        .zip(slice(&shift).iter().copied())
        .collect();
    let mut y = vec![0.0f32; dims[0] * dims[1] * ho * wo];
    pool_planes::<false>(slice(&x), dims, window, &ss, &mut y, &mut [], &mut []);
    flex_tensor(y, &[dims[0], dims[1], ho, wo])
}

impl FastBlockOps for Flex {
    fn fast_affine_relu_pool(
        x: FlexTensor,
        scale: FlexTensor,
        shift: FlexTensor,
        window: [usize; 2],
    ) -> FlexTensor {
        inference_raw(&x, &scale, &shift, window)
    }

    fn fast_bn_relu_pool(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
        window: [usize; 2],
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (y, mean, var, _) = forward_raw(&x, &gamma, &beta, epsilon, window);
        (y, mean, var)
    }
}

/// The autodiff step: input, gamma, mean, variance, epsilon and the pooling record.
#[derive(Debug)]
struct BlockBackward;

impl Backward<Flex, 3> for BlockBackward {
    type State = (FlexTensor, FlexTensor, FlexTensor, FlexTensor, f64, Saved);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_g, node_b] = ops.parents;
        let gy: FlexTensor = grads.consume::<Flex>(&ops.node).to_contiguous();
        let (x, gamma, mean, var, eps, saved) = ops.state;
        let (dx, dg, db) =
            backward_raw(&x, &gamma, &mean, &var, eps, &saved, &gy, node_x.is_some());
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

/// With `g` the gradient at batch norm's output (the pooled gradient at the maxima that
/// passed ReLU, zero elsewhere): `dβ = Σ g`, `dγ = Σ g·x̂`,
/// `dx = γ·σ⁻¹·(g − mean(g) − x̂·mean(g·x̂))`, per channel.
#[allow(clippy::too_many_arguments)]
fn backward_raw(
    x: &FlexTensor,
    gamma: &FlexTensor,
    mean: &FlexTensor,
    var: &FlexTensor,
    eps: f64,
    saved: &Saved,
    gy: &FlexTensor,
    want_dx: bool,
) -> (Option<FlexTensor>, FlexTensor, FlexTensor) {
    let x = x.to_contiguous();
    let (b, c, p) = bcp(&x);
    let [_, _, h, w] = saved.dims;
    let [kh, kw] = saved.window;
    let wo = w / kw;
    let (xs, gs) = (slice(&x), slice(gy));
    let per = gs.len() / (b * c).max(1);
    let (gamma, mean, var) = (
        gamma.to_contiguous(),
        mean.to_contiguous(),
        var.to_contiguous(),
    );
    let (ga, mu, va) = (slice(&gamma), slice(&mean), slice(&var));
    let inv = inv_std(va, eps);
    let (at, raw) = (&saved.at, &saved.raw);
    // Offset of each position code inside its window, in the window's first row (`NONE` → 0).
    let mut rel = [0usize; 256];
    for i in 0..kh {
        for j in 0..kw {
            rel[i * kw + j] = i * w + j;
        }
    }
    // The gradient at batch norm's output is zero except at the maxima that passed ReLU: the
    // sums run over the pooled map (gradient, position code and the input at the maximum).
    let (db, dg) = backward_sums(c, b, |ci, bi| {
        let o = (bi * c + ci) * per;
        let (g, a, r) = (&gs[o..][..per], &at[o..][..per], &raw[o..][..per]);
        masked_sums(g, a, r, mu[ci], inv[ci])
    });
    let dx = want_dx.then(|| {
        let n = (b * p).max(1) as f32;
        let mut dx = vec![0.0f32; xs.len()];
        dx.par_chunks_mut(p.max(1))
            .enumerate()
            .for_each(|(k, out)| {
                let ci = k % c;
                let (m, iv) = (mu[ci], inv[ci]);
                let (mg, mgx) = (db[ci] / n, dg[ci] / n);
                let sc = ga[ci] * iv;
                // sc·(g − mg − (v − m)·iv·mgx) = a0 + a1·v + sc·g, with g = 0 off the maxima.
                let (a0, a1) = (sc * (m * iv * mgx - mg), -sc * iv * mgx);
                let plane = &xs[k * p..][..p];
                let (g, a) = (&gs[k * per..][..per], &at[k * per..][..per]);
                if [kh, kw] == [1, 1] {
                    for (((d, &v), &gv), &av) in out.iter_mut().zip(plane).zip(g).zip(a) {
                        *d = a0 + a1 * v + sc * passed(gv, av);
                    }
                    return;
                }
                for (d, &v) in out.iter_mut().zip(plane) {
                    *d = a0 + a1 * v;
                }
                // … plus sc·g at each maximum that passed (position code 0 where none, with
                // g = 0 there: a multiply, not a branch).
                for oh in 0..p / w / kh {
                    let rows = &mut out[oh * kh * w..][..kh * w];
                    let (g, a) = (&g[oh * wo..][..wo], &a[oh * wo..][..wo]);
                    for (ow, (&gv, &av)) in g.iter().zip(a).enumerate() {
                        rows[ow * kw + rel[av as usize]] += sc * passed(gv, av);
                    }
                }
            });
        flex_tensor(dx, &[b, c, h, w])
    });
    (dx, flex_tensor(dg, &[c]), flex_tensor(db, &[c]))
}

impl<C: CheckpointStrategy> FastBlockOps for Autodiff<Flex, C> {
    /// Not tracked: [`forward_inference`] runs it on tensors without autodiff only.
    fn fast_affine_relu_pool(
        x: FloatTensor<Self>,
        scale: FloatTensor<Self>,
        shift: FloatTensor<Self>,
        window: [usize; 2],
    ) -> FloatTensor<Self> {
        Self::from_inner(inference_raw(
            &x.into_primitive(),
            &scale.into_primitive(),
            &shift.into_primitive(),
            window,
        ))
    }

    fn fast_bn_relu_pool(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
        window: [usize; 2],
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let kind = BlockBackward
            .prepare::<C>([x.node(), gamma.node(), beta.node()])
            .compute_bound()
            .stateful();
        let (xp, gp, bp) = (
            x.into_primitive(),
            gamma.into_primitive(),
            beta.into_primitive(),
        );
        let (y, mean, var, saved) = forward_raw(&xp, &gp, &bp, epsilon, window);
        let y = match kind {
            OpsKind::Tracked(prep) => {
                prep.finish((xp, gp, mean.clone(), var.clone(), epsilon, saved), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(y),
        };
        (y, Self::from_inner(mean), Self::from_inner(var))
    }
}

/// Whether [`forward`] runs the fused op for this input (training on burn-flex, randommix's
/// kernels selected, a window of at most 254 cells).
pub fn applies(bn: &BatchNorm, x: &Tensor<4>, window: [usize; 2]) -> bool {
    x.device().is_autodiff()
        && bn.training.is_enabled()
        && window[0] >= 1
        && window[1] >= 1
        && window[0] * window[1] < NONE as usize
        && on_flex_f32(x)
        && !super::fastconv::is_generic()
}

/// Whether [`forward_inference`] runs the fused op (inference on burn-flex without autodiff,
/// randommix's kernels selected, a window of at most 254 cells).
pub fn applies_inference(x: &Tensor<4>, window: [usize; 2]) -> bool {
    !x.device().is_autodiff()
        && window[0] >= 1
        && window[1] >= 1
        && window[0] * window[1] < NONE as usize
        && on_flex_f32(x)
        && !super::fastconv::is_generic()
}

/// `max_pool(relu(bn(x)))` at inference (batch norm with its running statistics, as one scale
/// and shift per channel computed on `C` values) in one pass. Call only where
/// [`applies_inference`] holds.
pub fn forward_inference(bn: &BatchNorm, x: Tensor<4>, window: [usize; 2]) -> Tensor<4> {
    let (scale, shift) = running_scale_shift(bn, &x.device());
    Tensor::from_dispatch(<Dispatch as FastBlockOps>::fast_affine_relu_pool(
        x.into_dispatch(),
        scale.into_dispatch(),
        shift.into_dispatch(),
        window,
    ))
}

/// `relu(bn(x))`: the fused op in training or at inference where it applies, batch norm's
/// own kernels and a ReLU elsewhere.
pub fn bn_relu(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    if applies(bn, &x, [1, 1]) {
        forward(bn, x, [1, 1])
    } else if applies_inference(&x, [1, 1]) {
        forward_inference(bn, x, [1, 1])
    } else {
        burn::tensor::activation::relu(super::fastbn::forward(bn, x))
    }
}

/// `max_pool(relu(bn(x)))` with a `window` = stride max-pool (`[1, 1]`: none), with the same
/// statistics and running-state updates as burn's training path. Call only where
/// [`applies`] holds.
pub fn forward(bn: &BatchNorm, x: Tensor<4>, window: [usize; 2]) -> Tensor<4> {
    let (y, mean, var) = <Dispatch as FastBlockOps>::fast_bn_relu_pool(
        x.into_dispatch(),
        bn.gamma.val().into_dispatch(),
        bn.beta.val().into_dispatch(),
        bn.epsilon,
        window,
    );
    update_running(bn, Tensor::from_dispatch(mean), Tensor::from_dispatch(var));
    Tensor::from_dispatch(y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::BatchNormConfig;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, TensorData};
    use rand::{Rng, SeedableRng};

    fn v<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// Output, running statistics and every gradient of `Σ r ⊙ block(x)`, fused or as burn's
    /// three layers.
    fn run(dims: [usize; 4], window: [usize; 2], seed: u64, fused: bool) -> Vec<Vec<f32>> {
        let dev = Device::flex().autodiff();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n: usize = dims.iter().product();
        let mut r = |n: usize, lo: f32, hi: f32| -> Vec<f32> {
            (0..n).map(|_| rng.random_range(lo..hi)).collect()
        };
        let c = dims[1];
        let mut bn = BatchNormConfig::new(c).init(&dev);
        // γ of both signs: a negative scale turns the window's maximum into its minimum.
        let (gv, bv) = (r(c, -2.0, 3.0), r(c, -1.0, 1.0));
        bn.gamma = bn
            .gamma
            .map(|_| Tensor::from_data(TensorData::new(gv, [c]), &dev).require_grad());
        bn.beta = bn
            .beta
            .map(|_| Tensor::from_data(TensorData::new(bv, [c]), &dev).require_grad());
        let x = Tensor::<4>::from_data(TensorData::new(r(n, -2.0, 3.0), dims), &dev).require_grad();
        let y = if fused {
            assert!(applies(&bn, &x, window));
            forward(&bn, x.clone(), window)
        } else {
            let y = burn::tensor::activation::relu(bn.forward(x.clone()));
            if window == [1, 1] {
                y
            } else {
                MaxPool2dConfig::new(window)
                    .with_strides(window)
                    .init()
                    .forward(y)
            }
        };
        let m = y.shape().num_elements();
        let wy = Tensor::<4>::from_data(TensorData::new(r(m, -1.0, 1.0), y.shape()), &dev);
        let g = (y.clone() * wy).sum().backward();
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
    fn fused_block_equals_batch_norm_relu_and_pool_one_after_the_other() {
        let what = [
            "output",
            "running mean",
            "running var",
            "grad x",
            "grad gamma",
            "grad beta",
        ];
        for (k, (dims, window)) in [
            ([3, 4, 8, 10], [2, 2]),
            ([2, 3, 5, 7], [2, 2]), // remainder row and column dropped
            ([1, 2, 1, 9], [1, 2]),
            ([3, 2, 6, 1], [2, 1]),
            ([2, 2, 9, 9], [3, 3]),
            ([4, 3, 5, 6], [1, 1]), // the last block: batch norm + ReLU only
            ([1, 1, 2, 2], [2, 2]),
        ]
        .into_iter()
        .enumerate()
        {
            let f = run(dims, window, k as u64, true);
            let g = run(dims, window, k as u64, false);
            for i in 0..f.len() {
                assert_eq!(f[i].len(), g[i].len(), "{dims:?} {window:?} {}", what[i]);
                for (j, (a, b)) in f[i].iter().zip(&g[i]).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                        "{dims:?} {window:?} {}[{j}]: fused {a} vs burn {b}",
                        what[i]
                    );
                }
            }
        }
    }

    #[test]
    fn inference_equals_burns_layers_with_running_statistics() {
        let dev = Device::flex();
        for (k, (dims, window)) in [
            ([2, 3, 8, 10], [2, 2]),
            ([1, 4, 5, 7], [2, 2]),
            ([2, 2, 6, 9], [3, 3]),
            ([3, 2, 4, 5], [1, 1]),
        ]
        .into_iter()
        .enumerate()
        {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(10 + k as u64);
            let mut r = |n: usize, lo: f32, hi: f32| -> Vec<f32> {
                (0..n).map(|_| rng.random_range(lo..hi)).collect()
            };
            let c = dims[1];
            let mut bn = BatchNormConfig::new(c).init(&dev);
            let t = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [c]), &dev);
            bn.gamma = bn.gamma.map(|_| t(r(c, -2.0, 3.0)));
            bn.beta = bn.beta.map(|_| t(r(c, -1.0, 1.0)));
            bn.running_mean.update(t(r(c, -1.0, 1.0)));
            bn.running_var.update(t(r(c, 0.1, 4.0)));
            let n: usize = dims.iter().product();
            let x = Tensor::<4>::from_data(TensorData::new(r(n, -3.0, 3.0), dims), &dev);
            assert!(applies_inference(&x, window));
            let ours = v(forward_inference(&bn, x.clone(), window));
            let y = burn::tensor::activation::relu(bn.forward(x));
            let burns = v(if window == [1, 1] {
                y
            } else {
                MaxPool2dConfig::new(window)
                    .with_strides(window)
                    .init()
                    .forward(y)
            });
            assert_eq!(ours.len(), burns.len());
            for (i, (a, b)) in ours.iter().zip(&burns).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 * (1.0 + b.abs()),
                    "{dims:?} {window:?}[{i}]: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn a_window_with_nothing_above_zero_pools_to_zero_and_passes_no_gradient() {
        let dev = Device::flex().autodiff();
        let mut bn = BatchNormConfig::new(1).init(&dev);
        // β = −10 pushes every normalised value below zero.
        bn.beta = bn
            .beta
            .map(|_| Tensor::from_data(TensorData::new(vec![-10.0f32], [1]), &dev).require_grad());
        let x = Tensor::<4>::from_data(
            TensorData::new(
                vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
                [1, 1, 2, 4],
            ),
            &dev,
        )
        .require_grad();
        let y = forward(&bn, x.clone(), [2, 2]);
        assert_eq!(v(y.clone().inner()), vec![0.0, 0.0]);
        let g = y.sum().backward();
        assert!(v(x.grad(&g).unwrap()).iter().all(|d| *d == 0.0));
        assert_eq!(v(bn.beta.val().grad(&g).unwrap()), vec![0.0]);
    }
}
