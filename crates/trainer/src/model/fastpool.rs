//! A fast non-overlapping max-pool (kernel = stride, no padding) for burn-flex, through burn
//! 0.22's backend-extension mechanism (as [`super::fastconv`]).
//!
//! burn-flex 0.22's `max_pool2d_with_indices`, which autodiff records for every max-pool,
//! goes through a general 3-D kernel that took longer than the convolution before it in the
//! profile (README, Performance). Here the forward is one pass per plane that keeps the
//! position of each maximum (the first one on ties, as burn), and the backward scatters the
//! output gradient to those positions; both run in parallel over planes.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, Flex, backend_extension};
use burn::nn::PaddingConfig2d;
use burn::nn::pool::MaxPool2d;
use burn::tensor::Tensor;
use rayon::prelude::*;

use super::fastconv::{flex_tensor, on_flex_f32};
use std::sync::Arc;

/// Max-pool with kernel = stride as a backend extension.
#[backend_extension(Flex, Autodiff)]
pub trait FastMaxPoolOps: Backend {
    /// `[B, C, H / kh, W / kw]` maxima of `kh × kw` windows (remainder rows/columns dropped).
    fn fast_max_pool2d(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self>;
}

/// The forward on raw data: output and, per output cell, the position of its max inside the
/// window (`i · kw + j`; windows have at most 256 cells).
fn forward_raw(x: &FlexTensor, kh: usize, kw: usize) -> (FlexTensor, Vec<u8>, [usize; 4]) {
    let x = x.to_contiguous();
    let s = x.layout().shape();
    let (b, c, h, w) = (s[0], s[1], s[2], s[3]);
    let (ho, wo) = (h / kh, w / kw);
    let xs = x.as_slice::<f32>().expect("contiguous f32 tensor");
    let mut y = vec![0.0f32; b * c * ho * wo];
    let mut idx = vec![0u8; b * c * ho * wo];
    y.par_chunks_mut((ho * wo).max(1))
        .zip(idx.par_chunks_mut((ho * wo).max(1)))
        .enumerate()
        .for_each(|(k, (yo, io))| {
            let plane = &xs[k * h * w..][..h * w];
            if [kh, kw] == [2, 2] {
                for oh in 0..ho {
                    let (r0, r1) = (&plane[2 * oh * w..][..w], &plane[(2 * oh + 1) * w..][..w]);
                    let (y, a) = (&mut yo[oh * wo..][..wo], &mut io[oh * wo..][..wo]);
                    pool_2x2_rows::<true, false>(
                        [r0, r1],
                        y,
                        a,
                        &mut [],
                        (1.0, 0.0),
                        (f32::NEG_INFINITY, 0),
                    );
                }
                return;
            }
            for oh in 0..ho {
                for ow in 0..wo {
                    let mut best = f32::NEG_INFINITY;
                    let mut at = 0usize;
                    for i in 0..kh {
                        let row = (oh * kh + i) * w + ow * kw;
                        for (j, &v) in plane[row..row + kw].iter().enumerate() {
                            // `>` keeps the first maximum. Selects, not branches: on
                            // activations the comparison is a coin toss, and mispredicted
                            // branches cost more than the rest of the loop.
                            let gt = v > best;
                            best = if gt { v } else { best };
                            at = if gt { i * kw + j } else { at };
                        }
                    }
                    yo[oh * wo + ow] = best;
                    io[oh * wo + ow] = at as u8;
                }
            }
        });
    let out = flex_tensor(y, &[b, c, ho, wo]);
    (out, idx, [b, c, h, w])
}

/// One row of 2 × 2 windows over the rows `r0` and `r1`: `y[i]` gets the maximum of
/// `v·scale + shift` over window `i` (columns `2i`, `2i + 1`), or `floor` where no value
/// exceeds it; with `AT`, `at[i]` gets the maximum's position (0, 1 in `r0`, 2, 3 in `r1`; the
/// first on ties; `floor_at` where none); with `RAW`, `raw[i]` gets the input value `v` at the
/// maximum (that of position 0 where none). Slices not asked for may be empty. Written for the
/// compiler to vectorise (selects on fixed-size windows).
#[inline(always)]
pub(super) fn pool_2x2_rows<const AT: bool, const RAW: bool>(
    [r0, r1]: [&[f32]; 2],
    y: &mut [f32],
    at: &mut [u8],
    raw: &mut [f32],
    (scale, shift): (f32, f32),
    (floor, floor_at): (f32, u8),
) {
    let n = y.len();
    let (r0, r1) = (&r0[..2 * n], &r1[..2 * n]);
    let at = if AT { &mut at[..n] } else { at };
    let raw = if RAW { &mut raw[..n] } else { raw };
    for i in 0..n {
        let x = [r0[2 * i], r0[2 * i + 1], r1[2 * i], r1[2 * i + 1]];
        let (mut best, mut pos, mut bx) = (floor, floor_at, x[0]);
        for (j, &xj) in x.iter().enumerate() {
            let v = xj * scale + shift;
            let gt = v > best;
            best = if gt { v } else { best };
            pos = if gt { j as u8 } else { pos };
            bx = if gt { xj } else { bx };
        }
        y[i] = best;
        if AT {
            at[i] = pos;
        }
        if RAW {
            raw[i] = bx;
        }
    }
}

impl FastMaxPoolOps for Flex {
    fn fast_max_pool2d(x: FlexTensor, kh: usize, kw: usize) -> FlexTensor {
        forward_raw(&x, kh, kw).0
    }
}

/// The autodiff step: the positions of the maxima and the input shape.
#[derive(Debug)]
struct PoolBackward;

impl Backward<Flex, 1> for PoolBackward {
    type State = (Arc<Vec<u8>>, [usize; 4], [usize; 2]);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let gy: FlexTensor = grads.consume::<Flex>(&ops.node).to_contiguous();
        let Some(node_x) = node_x else {
            return;
        };
        let (idx, [b, c, h, w], [kh, kw]) = ops.state;
        let gs = gy.as_slice::<f32>().expect("contiguous f32 gradient");
        let per = gs.len() / (b * c).max(1);
        let wo = w / kw;
        let mut dx = vec![0.0f32; b * c * h * w];
        dx.par_chunks_mut((h * w).max(1))
            .enumerate()
            .for_each(|(k, plane)| {
                let g = &gs[k * per..][..per];
                let at = &idx[k * per..][..per];
                for (q, (&v, &i)) in g.iter().zip(at).enumerate() {
                    let (oh, ow) = (q / wo.max(1), q % wo.max(1));
                    let (i, j) = (i as usize / kw, i as usize % kw);
                    plane[(oh * kh + i) * w + ow * kw + j] += v;
                }
            });
        let dx = flex_tensor(dx, &[b, c, h, w]);
        grads.register::<Flex>(node_x.id, dx);
    }
}

impl<C: CheckpointStrategy> FastMaxPoolOps for Autodiff<Flex, C> {
    fn fast_max_pool2d(x: FloatTensor<Self>, kh: usize, kw: usize) -> FloatTensor<Self> {
        let kind = PoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful();
        let (y, idx, dims) = forward_raw(&x.into_primitive(), kh, kw);
        match kind {
            OpsKind::Tracked(prep) => prep.finish((Arc::new(idx), dims, [kh, kw]), y),
            OpsKind::UnTracked(prep) => prep.finish(y),
        }
    }
}

/// The same as `pool.forward(x)`, with the fast kernels on burn-flex when the pool's windows
/// do not overlap and have no padding or dilation.
pub fn forward(pool: &MaxPool2d, x: Tensor<4>) -> Tensor<4> {
    let [kh, kw] = pool.kernel_size;
    let applies = pool.stride == pool.kernel_size
        && kh * kw <= 256
        && pool.dilation == [1, 1]
        && matches!(
            pool.padding,
            PaddingConfig2d::Valid | PaddingConfig2d::Explicit(0, 0, 0, 0)
        )
        && !pool.ceil_mode
        && on_flex_f32(&x)
        && !super::fastconv::is_generic();
    if !applies {
        return pool.forward(x);
    }
    Tensor::from_dispatch(<Dispatch as FastMaxPoolOps>::fast_max_pool2d(
        x.into_dispatch(),
        kh,
        kw,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::pool::MaxPool2dConfig;
    use burn::tensor::{Device, TensorData};
    use rand::{Rng, SeedableRng};

    fn v<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    #[test]
    fn fast_max_pool_equals_burns() {
        let dev = Device::flex().autodiff();
        for (k, (dims, win)) in [
            ([2, 3, 8, 10], [2, 2]),
            ([1, 1, 5, 7], [2, 2]),
            ([2, 2, 1, 9], [1, 2]),
            ([3, 2, 6, 1], [2, 1]),
            ([1, 2, 9, 9], [3, 3]),
        ]
        .into_iter()
        .enumerate()
        {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(k as u64);
            let n: usize = dims.iter().product();
            // Few distinct values, so that ties occur.
            let xv: Vec<f32> = (0..n).map(|_| rng.random_range(0..6) as f32).collect();
            let wv: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect();
            let pool = pool_of(win);
            let run = |fast: bool| {
                let x =
                    Tensor::<4>::from_data(TensorData::new(xv.clone(), dims), &dev).require_grad();
                let y = if fast {
                    forward(&pool, x.clone())
                } else {
                    pool.forward(x.clone())
                };
                let wy = Tensor::<4>::from_data(
                    TensorData::new(wv[..y.shape().num_elements()].to_vec(), y.shape()),
                    &dev,
                );
                let g = (y.clone() * wy).sum().backward();
                (v(y.inner()), v(x.grad(&g).unwrap()))
            };
            let (fy, fg) = run(true);
            let (gy, gg) = run(false);
            assert_eq!(fy, gy, "{dims:?} {win:?}: output");
            for (i, (a, b)) in fg.iter().zip(&gg).enumerate() {
                assert!(
                    (a - b).abs() < 1e-6,
                    "{dims:?} {win:?}: grad[{i}] {a} vs {b}"
                );
            }
        }
    }

    fn pool_of(win: [usize; 2]) -> MaxPool2d {
        MaxPool2dConfig::new(win).with_strides(win).init()
    }
}
