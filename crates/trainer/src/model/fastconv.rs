//! A fast 2-D convolution backward for burn-flex, through burn 0.22's backend-extension
//! mechanism (a custom op with a hand-written autodiff step; no fork of burn).
//!
//! burn-flex 0.22 has a fast conv2d forward (im2col + `gemm`) but no `conv2d_weight_backward`,
//! so autodiff falls back to burn's generic weight gradient: a forward convolution over
//! batch/channel-swapped tensors whose kernel is the whole output-gradient map, which runs
//! almost entirely on one thread. Here the weight gradient is one GEMM per sample of the
//! output gradient `[C_out, H_o·W_o]` by the im2col of the input `[H_o·W_o, C_in·k_h·k_w]`,
//! summed over fixed batch chunks (one per thread) in a fixed order, so the result depends on
//! the thread count but not on scheduling. The input gradient is one GEMM per sample
//! (`Wᵀ · G`) and a col2im, parallel over samples. The forward is burn-flex's own.
//!
//! Depthwise convolutions (BC-ResNet's) go to [`super::fastdw`]; other grouped convolutions,
//! other backends and other element types take burn's own path. [`set_generic`] (the CLI's `--generic-kernels`, or the environment
//! variable `RANDOMMIX_GENERIC_KERNELS=1`) selects burn's path everywhere, for comparison.

use std::sync::atomic::{AtomicU8, Ordering};

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::{FlexTensor, Layout};
use burn::backend::ops::{ConvOptions, ModuleOps};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Dispatch, DispatchDevice, Flex, backend_extension};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use burn::tensor::{Bytes, DType, Shape, Tensor};
use rayon::prelude::*;

/// 0: not decided yet (read the environment), 1: fast, 2: generic.
static MODE: AtomicU8 = AtomicU8::new(0);

/// Selects burn's generic convolution backward (`true`) or ours (`false`, the default) for
/// the whole process.
pub fn set_generic(generic: bool) {
    MODE.store(if generic { 2 } else { 1 }, Ordering::Relaxed);
}

/// Whether burn's generic convolution backward is selected.
pub fn is_generic() -> bool {
    match MODE.load(Ordering::Relaxed) {
        1 => false,
        2 => true,
        _ => {
            let g =
                std::env::var("RANDOMMIX_GENERIC_KERNELS").is_ok_and(|v| v != "0" && !v.is_empty());
            set_generic(g);
            g
        }
    }
}

/// The convolution as a backend extension: burn-flex's forward, our backward.
#[backend_extension(Flex, Autodiff)]
pub trait FastConvOps: Backend {
    /// conv2d without bias.
    fn fast_conv2d(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;
    /// conv2d with bias.
    fn fast_conv2d_bias(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;
}

impl FastConvOps for Flex {
    fn fast_conv2d(x: FlexTensor, w: FlexTensor, o: ConvOptions<2>) -> FlexTensor {
        forward_raw(x, w, None, o)
    }
    fn fast_conv2d_bias(
        x: FlexTensor,
        w: FlexTensor,
        b: FlexTensor,
        o: ConvOptions<2>,
    ) -> FlexTensor {
        forward_raw(x, w, Some(b), o)
    }
}

/// The autodiff step: the saved input and weight, the options.
#[derive(Debug)]
struct ConvBackward;

impl Backward<Flex, 3> for ConvBackward {
    type State = (FlexTensor, FlexTensor, ConvOptions<2>);

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let gy: FlexTensor = grads.consume::<Flex>(&ops.node);
        let (x, w, o) = ops.state;
        let gy = gy.to_contiguous();
        if let Some(n) = node_b {
            grads.register::<Flex>(n.id, bias_grad(&gy));
        }
        if let Some(n) = node_w {
            grads.register::<Flex>(n.id, weight_grad(&x, &w, &gy, &o));
        }
        if let Some(n) = node_x {
            grads.register::<Flex>(n.id, input_grad(&x, &w, &gy, &o));
        }
    }
}

#[derive(Debug)]
struct ConvBackwardNoBias;

impl Backward<Flex, 2> for ConvBackwardNoBias {
    type State = (FlexTensor, FlexTensor, ConvOptions<2>);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let gy: FlexTensor = grads.consume::<Flex>(&ops.node);
        let (x, w, o) = ops.state;
        let gy = gy.to_contiguous();
        if let Some(n) = node_w {
            grads.register::<Flex>(n.id, weight_grad(&x, &w, &gy, &o));
        }
        if let Some(n) = node_x {
            grads.register::<Flex>(n.id, input_grad(&x, &w, &gy, &o));
        }
    }
}

impl<C: CheckpointStrategy> FastConvOps for Autodiff<Flex, C> {
    fn fast_conv2d(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        o: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        match ConvBackwardNoBias
            .prepare::<C>([x.node(), w.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, wp) = (x.into_primitive(), w.into_primitive());
                let y = forward_raw(xp.clone(), wp.clone(), None, o.clone());
                prep.finish((xp, wp, o), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(forward_raw(x.into_primitive(), w.into_primitive(), None, o))
            }
        }
    }

    fn fast_conv2d_bias(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
        o: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        match ConvBackward
            .prepare::<C>([x.node(), w.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, wp) = (x.into_primitive(), w.into_primitive());
                let y = forward_raw(xp.clone(), wp.clone(), Some(b.into_primitive()), o.clone());
                prep.finish((xp, wp, o), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward_raw(
                x.into_primitive(),
                w.into_primitive(),
                Some(b.into_primitive()),
                o,
            )),
        }
    }
}

/// Geometry of one convolution, from the input, weight and output-gradient shapes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Geom {
    pub(super) b: usize,
    pub(super) c_in: usize,
    pub(super) h: usize,
    pub(super) w: usize,
    pub(super) c_out: usize,
    pub(super) kh: usize,
    pub(super) kw: usize,
    pub(super) ho: usize,
    pub(super) wo: usize,
    pub(super) sh: usize,
    pub(super) sw: usize,
    pub(super) ph: usize,
    pub(super) pw: usize,
    pub(super) dh: usize,
    pub(super) dw: usize,
}

impl Geom {
    fn new(x: &FlexTensor, w: &FlexTensor, gy: &FlexTensor, o: &ConvOptions<2>) -> Geom {
        let gs = gy.layout().shape();
        Geom::with_output(x, w, [gs[2], gs[3]], o)
    }
    /// The geometry for an output plane of `ho × wo`.
    pub(super) fn with_output(
        x: &FlexTensor,
        w: &FlexTensor,
        [ho, wo]: [usize; 2],
        o: &ConvOptions<2>,
    ) -> Geom {
        let xs = x.layout().shape();
        let ws = w.layout().shape();
        Geom {
            b: xs[0],
            c_in: xs[1],
            h: xs[2],
            w: xs[3],
            c_out: ws[0],
            kh: ws[2],
            kw: ws[3],
            ho,
            wo,
            sh: o.stride[0],
            sw: o.stride[1],
            ph: o.padding[0].0,
            pw: o.padding[1].0,
            dh: o.dilation[0],
            dw: o.dilation[1],
        }
    }
    /// Rows of the im2col matrix: `C_in · k_h · k_w`.
    fn k(&self) -> usize {
        self.c_in * self.kh * self.kw
    }
    /// Output pixels per sample.
    fn p(&self) -> usize {
        self.ho * self.wo
    }
}

/// Samples per GEMM in the backward: the im2col of this many samples side by side.
const SUB: usize = 8;

/// The im2col of one sample into columns `[.., P)` of a matrix with `ld` columns:
/// `col[((ci·k_h + i)·k_w + j)·ld + oh·W_o + ow]`, zero where the tap falls in the padding.
fn im2col(x: &[f32], g: &Geom, col: &mut [f32], ld: usize) {
    let p = g.p();
    for ci in 0..g.c_in {
        let plane = &x[ci * g.h * g.w..(ci + 1) * g.h * g.w];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let row = &mut col[((ci * g.kh + i) * g.kw + j) * ld..][..p];
                for oh in 0..g.ho {
                    let ih = (oh * g.sh + i * g.dh) as isize - g.ph as isize;
                    let out = &mut row[oh * g.wo..(oh + 1) * g.wo];
                    if ih < 0 || ih as usize >= g.h {
                        out.fill(0.0);
                        continue;
                    }
                    let src = &plane[ih as usize * g.w..(ih as usize + 1) * g.w];
                    let off = (j * g.dw) as isize - g.pw as isize;
                    if g.sw == 1 {
                        // out[ow] = src[ow + off] where in range.
                        let lo = (-off).clamp(0, g.wo as isize) as usize;
                        let hi = (g.w as isize - off).clamp(lo as isize, g.wo as isize) as usize;
                        out[..lo].fill(0.0);
                        out[hi..].fill(0.0);
                        // Nothing to copy when the tap sees only padding (lo + off may then
                        // lie before the row).
                        if hi > lo {
                            let s0 = (lo as isize + off) as usize;
                            out[lo..hi].copy_from_slice(&src[s0..s0 + (hi - lo)]);
                        }
                    } else {
                        for (ow, v) in out.iter_mut().enumerate() {
                            let iw = (ow * g.sw) as isize + off;
                            *v = if iw >= 0 && (iw as usize) < g.w {
                                src[iw as usize]
                            } else {
                                0.0
                            };
                        }
                    }
                }
            }
        }
    }
}

/// The inverse scatter of [`im2col`]: adds every column entry back into its input pixel.
fn col2im(col: &[f32], g: &Geom, x: &mut [f32], ld: usize) {
    let p = g.p();
    for ci in 0..g.c_in {
        let plane = &mut x[ci * g.h * g.w..(ci + 1) * g.h * g.w];
        for i in 0..g.kh {
            for j in 0..g.kw {
                let row = &col[((ci * g.kh + i) * g.kw + j) * ld..][..p];
                for oh in 0..g.ho {
                    let ih = (oh * g.sh + i * g.dh) as isize - g.ph as isize;
                    if ih < 0 || ih as usize >= g.h {
                        continue;
                    }
                    let dst = &mut plane[ih as usize * g.w..(ih as usize + 1) * g.w];
                    let src = &row[oh * g.wo..(oh + 1) * g.wo];
                    let off = (j * g.dw) as isize - g.pw as isize;
                    if g.sw == 1 {
                        let lo = (-off).clamp(0, g.wo as isize) as usize;
                        let hi = (g.w as isize - off).clamp(lo as isize, g.wo as isize) as usize;
                        if hi > lo {
                            let s0 = (lo as isize + off) as usize;
                            for (d, v) in dst[s0..s0 + (hi - lo)].iter_mut().zip(&src[lo..hi]) {
                                *d += v;
                            }
                        }
                    } else {
                        for (ow, v) in src.iter().enumerate() {
                            let iw = (ow * g.sw) as isize + off;
                            if iw >= 0 && (iw as usize) < g.w {
                                dst[iw as usize] += v;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `dst[m×n] (+)= lhs · rhs` with explicit strides (elements), single-threaded.
#[allow(clippy::too_many_arguments)]
fn gemm_into(
    m: usize,
    n: usize,
    k: usize,
    dst: &mut [f32],
    accumulate: bool,
    lhs: &[f32],
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: &[f32],
    rhs_cs: isize,
    rhs_rs: isize,
) {
    // Every element gemm reads is inside the slices.
    let last = |rows: usize, cols: usize, cs: isize, rs: isize| {
        (rows.saturating_sub(1) as isize * rs + cols.saturating_sub(1) as isize * cs) as usize
    };
    assert!(dst.len() >= m * n);
    assert!(m * k == 0 || last(m, k, lhs_cs, lhs_rs) < lhs.len());
    assert!(k * n == 0 || last(k, n, rhs_cs, rhs_rs) < rhs.len());
    // SAFETY: dst is m×n row-major inside `dst`; lhs (m×k) and rhs (k×n) are read at
    // row·rs + col·cs, whose largest value the assertions above bound by the slice lengths.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.as_ptr(),
            lhs_cs,
            lhs_rs,
            rhs.as_ptr(),
            rhs_cs,
            rhs_rs,
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// A contiguous f32 burn-flex tensor of shape `dims` holding `data` (shared by the fast
/// kernels of this module, [`super::fastbn`] and [`super::fastpool`]).
pub(super) fn flex_tensor(data: Vec<f32>, dims: &[usize]) -> FlexTensor {
    FlexTensor::new(
        Bytes::from_elems(data),
        Layout::contiguous(Shape::from(dims.to_vec())),
        DType::F32,
    )
}

/// Whether `x` can take a fast kernel: f32 on burn-flex (autodiff or not).
pub(super) fn on_flex_f32(x: &Tensor<4>) -> bool {
    x.dtype() == DType::F32
        && matches!(
            x.device().without_autodiff().as_dispatch(),
            DispatchDevice::Flex(_)
        )
}

/// Fixed batch chunks: one per thread of the current rayon pool (at most one per sample).
fn chunks(b: usize) -> Vec<std::ops::Range<usize>> {
    let n = rayon::current_num_threads().clamp(1, b.max(1));
    (0..n).map(|c| c * b / n..(c + 1) * b / n).collect()
}

/// `[C_out, S·P]`: the output gradients of samples `r` side by side.
fn gather_grad(gys: &[f32], g: &Geom, r: std::ops::Range<usize>, out: &mut [f32]) {
    let (p, s) = (g.p(), r.len());
    for (n, bi) in r.enumerate() {
        for co in 0..g.c_out {
            out[co * s * p + n * p..][..p].copy_from_slice(&gys[(bi * g.c_out + co) * p..][..p]);
        }
    }
}

/// The forward as im2col + one GEMM per sample, samples in parallel.
fn forward_im2col(
    x: &FlexTensor,
    w: &FlexTensor,
    b: Option<&FlexTensor>,
    o: &ConvOptions<2>,
) -> FlexTensor {
    let x = x.to_contiguous();
    let w = w.to_contiguous();
    let xsh = x.layout().shape();
    let wsh = w.layout().shape();
    let out_len = |n: usize, k: usize, s: usize, pad: usize, d: usize| {
        (n + 2 * pad).saturating_sub(d * (k - 1) + 1) / s + 1
    };
    let ho = out_len(xsh[2], wsh[2], o.stride[0], o.padding[0].0, o.dilation[0]);
    let wo = out_len(xsh[3], wsh[3], o.stride[1], o.padding[1].0, o.dilation[1]);
    let g = Geom::with_output(&x, &w, [ho, wo], o);
    let xs = x.as_slice::<f32>().expect("f32 input");
    let ws = w.as_slice::<f32>().expect("f32 weight");
    let bias = b.map(|b| b.to_contiguous());
    let bs = bias
        .as_ref()
        .map(|b| b.as_slice::<f32>().expect("f32 bias").to_vec());
    let (k, p) = (g.k(), g.p());
    let mut y = vec![0.0f32; g.b * g.c_out * p];
    y.par_chunks_mut((g.c_out * p).max(1))
        .enumerate()
        .for_each_init(
            || vec![0.0f32; k * p],
            |col, (bi, out)| {
                im2col(
                    &xs[bi * g.c_in * g.h * g.w..][..g.c_in * g.h * g.w],
                    &g,
                    col,
                    p,
                );
                if let Some(bs) = &bs {
                    for (co, row) in out.chunks_mut(p).enumerate() {
                        row.fill(bs[co]);
                    }
                }
                // y_b[c_out × p] (+)= W[c_out × k] · col[k × p]
                gemm_into(
                    g.c_out,
                    p,
                    k,
                    out,
                    bs.is_some(),
                    ws,
                    1,
                    k as isize,
                    col,
                    1,
                    p as isize,
                );
            },
        );
    flex_tensor(y, &[g.b, g.c_out, g.ho, g.wo])
}

/// The convolution forward: im2col + GEMM per sample for f32 (measured 2026-12-03 at batch
/// 64 against burn-flex 0.22's conv2d: 1.3× at one thread and 1.8× at two at inference on the
/// reference net, where burn-flex's scaled poorly to the second thread), burn-flex's otherwise.
fn forward_raw(
    x: FlexTensor,
    w: FlexTensor,
    b: Option<FlexTensor>,
    o: ConvOptions<2>,
) -> FlexTensor {
    if x.dtype() == DType::F32 && w.dtype() == DType::F32 {
        forward_im2col(&x, &w, b.as_ref(), &o)
    } else {
        <Flex as ModuleOps<Flex>>::conv2d(x, w, b, o)
    }
}

/// How many weight gradients the fast path computed (tests check that it ran).
#[cfg(test)]
static FAST_CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// `∂L/∂W[co, (ci, i, j)] = Σ_b Σ_p G[b, co, p] · col_b[(ci, i, j), p]`: per thread chunk, one
/// GEMM per [`SUB`] samples (their gradients and im2cols side by side), then the chunks'
/// partial sums added in chunk order.
fn weight_grad(x: &FlexTensor, w: &FlexTensor, gy: &FlexTensor, o: &ConvOptions<2>) -> FlexTensor {
    #[cfg(test)]
    FAST_CALLS.fetch_add(1, Ordering::Relaxed);
    let g = Geom::new(x, w, gy, o);
    let x = x.to_contiguous();
    let xs = x.as_slice::<f32>().expect("f32 input");
    let gys = gy.as_slice::<f32>().expect("f32 gradient");
    let (k, p) = (g.k(), g.p());
    let plane = g.c_in * g.h * g.w;
    let partial: Vec<Vec<f32>> = chunks(g.b)
        .into_par_iter()
        .map(|range| {
            let mut acc = vec![0.0f32; g.c_out * k];
            let mut col = vec![0.0f32; k * SUB * p];
            let mut gg = vec![0.0f32; g.c_out * SUB * p];
            let mut first = true;
            let mut start = range.start;
            while start < range.end {
                let r = start..(start + SUB).min(range.end);
                let (s, ld) = (r.len(), r.len() * p);
                for (n, bi) in r.clone().enumerate() {
                    im2col(&xs[bi * plane..][..plane], &g, &mut col[n * p..], ld);
                }
                gather_grad(gys, &g, r.clone(), &mut gg);
                // acc[c_out × k] (+)= G[c_out × s·p] · colᵀ[s·p × k]
                gemm_into(
                    g.c_out,
                    k,
                    s * p,
                    &mut acc,
                    !first,
                    &gg,
                    1,
                    ld as isize,
                    &col,
                    ld as isize,
                    1,
                );
                first = false;
                start = r.end;
            }
            acc
        })
        .collect();
    let mut total = vec![0.0f32; g.c_out * k];
    for part in partial {
        for (t, v) in total.iter_mut().zip(part) {
            *t += v;
        }
    }
    flex_tensor(total, &[g.c_out, g.c_in, g.kh, g.kw])
}

/// `∂L/∂x_b = col2im(Wᵀ · G_b)`: one GEMM per [`SUB`] samples, in parallel over those groups.
fn input_grad(x: &FlexTensor, w: &FlexTensor, gy: &FlexTensor, o: &ConvOptions<2>) -> FlexTensor {
    let g = Geom::new(x, w, gy, o);
    let w = w.to_contiguous();
    let ws = w.as_slice::<f32>().expect("f32 weight");
    let gys = gy.as_slice::<f32>().expect("f32 gradient");
    let (k, p) = (g.k(), g.p());
    let plane = g.c_in * g.h * g.w;
    let mut out = vec![0.0f32; g.b * plane];
    out.par_chunks_mut((SUB * plane).max(1))
        .enumerate()
        .for_each_init(
            || (vec![0.0f32; k * SUB * p], vec![0.0f32; g.c_out * SUB * p]),
            |(col, gg), (c, dst)| {
                let r = c * SUB..(c * SUB + SUB).min(g.b);
                let (s, ld) = (r.len(), r.len() * p);
                gather_grad(gys, &g, r, gg);
                // col[k × s·p] = Wᵀ[k × c_out] · G[c_out × s·p]; W is [c_out × k] row-major.
                gemm_into(
                    k,
                    s * p,
                    g.c_out,
                    col,
                    false,
                    ws,
                    k as isize,
                    1,
                    gg,
                    1,
                    ld as isize,
                );
                for n in 0..s {
                    col2im(&col[n * p..], &g, &mut dst[n * plane..(n + 1) * plane], ld);
                }
            },
        );
    flex_tensor(out, &[g.b, g.c_in, g.h, g.w])
}

/// `∂L/∂b[co] = Σ_b Σ_p G[b, co, p]`.
pub(super) fn bias_grad(gy: &FlexTensor) -> FlexTensor {
    let s = gy.layout().shape();
    let (b, c, p) = (s[0], s[1], s[2] * s[3]);
    let gys = gy.as_slice::<f32>().expect("f32 gradient");
    let mut out = vec![0.0f32; c];
    for bi in 0..b {
        for (ci, o) in out.iter_mut().enumerate() {
            *o += gys[(bi * c + ci) * p..][..p].iter().sum::<f32>();
        }
    }
    flex_tensor(out, &[c])
}

/// Whether the fast path applies: f32 on burn-flex, no groups, symmetric padding.
fn fast_applies(x: &Tensor<4>, groups: usize, padding: &[(usize, usize); 2]) -> bool {
    groups == 1 && padding[0].0 == padding[0].1 && padding[1].0 == padding[1].1 && on_flex_f32(x)
}

/// `conv2d(x, weight, bias, options)` with the fast backward where it applies and is
/// selected ([`set_generic`]), burn's own convolution otherwise.
pub fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    conv2d_with(x, weight, bias, options, !is_generic())
}

/// [`conv2d`] with the choice made by the caller (`fast = false`: burn's own).
pub fn conv2d_with(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
    fast: bool,
) -> Tensor<4> {
    if fast && super::fastdw::applies(&x, &weight, &options) {
        return super::fastdw::conv2d(x, weight, bias, options);
    }
    if !fast || !fast_applies(&x, options.groups, &options.padding) {
        return burn::tensor::module::conv2d(x, weight, bias, options);
    }
    Tensor::from_dispatch(match bias {
        None => <Dispatch as FastConvOps>::fast_conv2d(
            x.into_dispatch(),
            weight.into_dispatch(),
            options,
        ),
        Some(b) => <Dispatch as FastConvOps>::fast_conv2d_bias(
            x.into_dispatch(),
            weight.into_dispatch(),
            b.into_dispatch(),
            options,
        ),
    })
}

/// The same as `conv.forward(x)` (same parameters, same records), with the fast backward.
pub fn forward(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let PaddingConfig2d::Explicit(top, left, bottom, right) = conv.padding else {
        return conv.forward(x);
    };
    let o = ConvOptions::new_with_padding(
        conv.stride,
        [(top, bottom), (left, right)],
        conv.dilation,
        conv.groups,
    );
    conv2d(x, conv.weight.val(), conv.bias.as_ref().map(|b| b.val()), o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};
    use rand::{Rng, SeedableRng};

    struct Case {
        b: usize,
        c_in: usize,
        c_out: usize,
        hw: [usize; 2],
        k: [usize; 2],
        stride: [usize; 2],
        pad: [usize; 2],
        dil: [usize; 2],
        bias: bool,
    }

    fn rand_vec(n: usize, rng: &mut impl Rng) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    fn vec_of<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// Gradients of `Σ r ⊙ conv(x, w, b)` for x, w, b, by one path; also the output.
    fn grads(c: &Case, seed: u64, fast: bool) -> [Vec<f32>; 4] {
        let dev = Device::flex().autodiff();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let [h, w] = c.hw;
        let x = Tensor::<4>::from_data(
            TensorData::new(
                rand_vec(c.b * c.c_in * h * w, &mut rng),
                [c.b, c.c_in, h, w],
            ),
            &dev,
        )
        .require_grad();
        let wt = Tensor::<4>::from_data(
            TensorData::new(
                rand_vec(c.c_out * c.c_in * c.k[0] * c.k[1], &mut rng),
                [c.c_out, c.c_in, c.k[0], c.k[1]],
            ),
            &dev,
        )
        .require_grad();
        let bt = Tensor::<1>::from_data(
            TensorData::new(rand_vec(c.c_out, &mut rng), [c.c_out]),
            &dev,
        )
        .require_grad();
        let o = ConvOptions::new(c.stride, c.pad, c.dil, 1);
        let y = conv2d_with(x.clone(), wt.clone(), c.bias.then(|| bt.clone()), o, fast);
        let r = Tensor::<4>::from_data(
            TensorData::new(rand_vec(y.shape().num_elements(), &mut rng), y.shape()),
            &dev,
        );
        let loss = (y.clone() * r).sum();
        let g = loss.backward();
        [
            vec_of(y.inner()),
            vec_of(x.grad(&g).unwrap()),
            vec_of(wt.grad(&g).unwrap()),
            if c.bias {
                vec_of(bt.grad(&g).unwrap())
            } else {
                vec![]
            },
        ]
    }

    fn cases() -> Vec<Case> {
        let c = |b, c_in, c_out, hw, k, stride, pad, dil, bias| Case {
            b,
            c_in,
            c_out,
            hw,
            k,
            stride,
            pad,
            dil,
            bias,
        };
        vec![
            // The default CNN's first layer, batch 1.
            c(1, 1, 4, [8, 11], [3, 3], [1, 1], [1, 1], [1, 1], false),
            c(3, 2, 5, [7, 9], [3, 3], [2, 2], [1, 1], [1, 1], true),
            c(2, 3, 2, [6, 5], [3, 3], [1, 1], [0, 0], [1, 1], false),
            // H = 1 and W = 1 planes, rectangular kernels, uneven strides.
            c(2, 2, 3, [1, 9], [1, 3], [1, 2], [0, 1], [1, 1], true),
            c(2, 3, 2, [6, 1], [3, 1], [2, 1], [1, 0], [1, 1], false),
            // Dilation, and a 1 × 1 kernel.
            c(2, 2, 3, [9, 10], [3, 3], [1, 1], [2, 2], [2, 2], true),
            c(4, 3, 6, [5, 4], [1, 1], [1, 1], [0, 0], [1, 1], false),
            // BC-ResNet's stem shape: 5 × 5, stride (2, 1), padding 2; and on a 1 × 1 plane,
            // where most taps see only padding (an index before the row, found by
            // model::tests::bcresnet_shapes_and_sizes once BC-ResNet took this path).
            c(2, 1, 4, [12, 9], [5, 5], [2, 1], [2, 2], [1, 1], true),
            c(2, 1, 3, [1, 1], [5, 5], [1, 1], [2, 2], [1, 1], false),
            // C_in · k_h · k_w = 36 at batches 3 and 9; and a batch of 11: one full and one
            // partial group of SUB samples in the backward.
            c(3, 4, 3, [6, 7], [3, 3], [1, 1], [1, 1], [1, 1], true),
            c(9, 4, 3, [5, 6], [3, 3], [1, 1], [1, 1], [1, 1], true),
            c(11, 2, 3, [5, 6], [3, 3], [1, 1], [1, 1], [1, 1], false),
        ]
    }

    fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * (1.0 + y.abs()),
                "{what}[{i}]: fast {x} vs generic {y}"
            );
        }
    }

    #[test]
    fn gradients_equal_burns_generic_path() {
        for (n, c) in cases().iter().enumerate() {
            let before = FAST_CALLS.load(Ordering::Relaxed);
            let f = grads(c, n as u64, true);
            assert!(
                FAST_CALLS.load(Ordering::Relaxed) > before,
                "case {n}: fast path not taken"
            );
            let g = grads(c, n as u64, false);
            let what = ["output", "grad x", "grad w", "grad b"];
            for k in 0..4 {
                close(&f[k], &g[k], 1e-4, &format!("case {n} {}", what[k]));
            }
        }
    }

    #[test]
    fn weight_gradient_matches_finite_differences() {
        let c = Case {
            b: 2,
            c_in: 2,
            c_out: 2,
            hw: [4, 5],
            k: [3, 3],
            stride: [2, 1],
            pad: [1, 1],
            dil: [1, 1],
            bias: false,
        };
        let dev = Device::flex();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let xv = rand_vec(2 * 2 * 4 * 5, &mut rng);
        let wv = rand_vec(2 * 2 * 9, &mut rng);
        let o = ConvOptions::new(c.stride, c.pad, c.dil, 1);
        // r = 1: the loss is the sum of the outputs.
        let loss = |wv: &[f32]| -> f64 {
            let x = Tensor::<4>::from_data(TensorData::new(xv.clone(), [2, 2, 4, 5]), &dev);
            let w = Tensor::<4>::from_data(TensorData::new(wv.to_vec(), [2, 2, 3, 3]), &dev);
            vec_of(burn::tensor::module::conv2d(x, w, None, o.clone()))
                .iter()
                .map(|v| *v as f64)
                .sum()
        };
        let ad = dev.clone().autodiff();
        let x = Tensor::<4>::from_data(TensorData::new(xv.clone(), [2, 2, 4, 5]), &ad);
        let w =
            Tensor::<4>::from_data(TensorData::new(wv.clone(), [2, 2, 3, 3]), &ad).require_grad();
        let y = conv2d_with(x, w.clone(), None, o.clone(), true);
        let g = vec_of(w.grad(&y.sum().backward()).unwrap());
        let eps = 1e-2f32;
        for i in 0..wv.len() {
            let mut up = wv.clone();
            up[i] += eps;
            let mut dn = wv.clone();
            dn[i] -= eps;
            let fd = (loss(&up) - loss(&dn)) / (2.0 * eps as f64);
            assert!(
                (fd - g[i] as f64).abs() < 1e-2,
                "w[{i}]: fd {fd} vs {}",
                g[i]
            );
        }
    }
}
