//! A fast depthwise 2-D convolution for burn-flex, forward and backward (BC-ResNet's
//! frequency-wise, time-wise and head convolutions: `groups = C_in = C_out`).
//!
//! burn 0.22 runs a grouped convolution as one slice and one convolution per group, serially,
//! forward and backward. Here each `(sample, channel)` plane is one small direct convolution,
//! all planes in parallel; the weight gradient sums over the batch per channel (channels in
//! parallel, samples in order), so the result does not depend on the thread count or on
//! scheduling. Registered through the same backend-extension mechanism as
//! [`super::fastconv`], which routes depthwise convolutions here.

use burn::backend::autodiff::NodeId;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::backend::ops::ConvOptions;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, Backend, Flex, backend_extension};
use rayon::prelude::*;

use burn::backend::Dispatch;
use burn::tensor::Tensor;

use super::fastconv::{Geom, bias_grad, flex_tensor, on_flex_f32};

/// Whether the depthwise path applies: f32 on burn-flex, `groups = C_in = C_out` (one filter
/// per channel), symmetric padding.
pub(super) fn applies(x: &Tensor<4>, weight: &Tensor<4>, o: &ConvOptions<2>) -> bool {
    let (xs, ws) = (x.dims(), weight.dims());
    o.groups > 1
        && o.groups == xs[1]
        && ws[0] == xs[1]
        && ws[1] == 1
        && o.padding[0].0 == o.padding[0].1
        && o.padding[1].0 == o.padding[1].1
        && on_flex_f32(x)
}

/// The depthwise `conv2d(x, weight, bias, options)` (see [`applies`]).
pub(super) fn conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    bias: Option<Tensor<1>>,
    options: ConvOptions<2>,
) -> Tensor<4> {
    Tensor::from_dispatch(match bias {
        None => <Dispatch as FastDepthwiseOps>::fast_depthwise(
            x.into_dispatch(),
            weight.into_dispatch(),
            options,
        ),
        Some(b) => <Dispatch as FastDepthwiseOps>::fast_depthwise_bias(
            x.into_dispatch(),
            weight.into_dispatch(),
            b.into_dispatch(),
            options,
        ),
    })
}

/// The depthwise convolution as a backend extension.
#[backend_extension(Flex, Autodiff)]
pub trait FastDepthwiseOps: Backend {
    /// Depthwise conv2d without bias.
    fn fast_depthwise(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;
    /// Depthwise conv2d with bias.
    fn fast_depthwise_bias(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        options: ConvOptions<2>,
    ) -> FloatTensor<Self>;
}

impl FastDepthwiseOps for Flex {
    fn fast_depthwise(x: FlexTensor, w: FlexTensor, o: ConvOptions<2>) -> FlexTensor {
        forward(&x, &w, None, &o)
    }
    fn fast_depthwise_bias(
        x: FlexTensor,
        w: FlexTensor,
        b: FlexTensor,
        o: ConvOptions<2>,
    ) -> FlexTensor {
        forward(&x, &w, Some(&b), &o)
    }
}

/// The autodiff step with a bias: the saved input and weight, the options.
#[derive(Debug)]
struct DepthwiseBackward;

/// The autodiff step without a bias.
#[derive(Debug)]
struct DepthwiseBackwardNoBias;

type State = (FlexTensor, FlexTensor, ConvOptions<2>);

/// Registers the gradients of the input and weight parents that need one.
fn register(
    grads: &mut Gradients,
    gy: &FlexTensor,
    (x, w, o): &State,
    node_x: Option<NodeId>,
    node_w: Option<NodeId>,
) {
    let g = geom(x, w, o, Some(gy));
    if let Some(id) = node_w {
        grads.register::<Flex>(id, weight_grad(x, gy, &g));
    }
    if let Some(id) = node_x {
        grads.register::<Flex>(id, input_grad(w, gy, &g));
    }
}

impl Backward<Flex, 3> for DepthwiseBackward {
    type State = State;

    fn backward(self, ops: Ops<State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let gy: FlexTensor = grads.consume::<Flex>(&ops.node);
        let gy = gy.to_contiguous();
        if let Some(n) = node_b {
            grads.register::<Flex>(n.id, bias_grad(&gy));
        }
        register(
            grads,
            &gy,
            &ops.state,
            node_x.map(|n| n.id),
            node_w.map(|n| n.id),
        );
    }
}

impl Backward<Flex, 2> for DepthwiseBackwardNoBias {
    type State = State;

    fn backward(self, ops: Ops<State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w] = ops.parents;
        let gy: FlexTensor = grads.consume::<Flex>(&ops.node);
        let gy = gy.to_contiguous();
        register(
            grads,
            &gy,
            &ops.state,
            node_x.map(|n| n.id),
            node_w.map(|n| n.id),
        );
    }
}

impl<C: CheckpointStrategy> FastDepthwiseOps for Autodiff<Flex, C> {
    fn fast_depthwise(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        o: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        match DepthwiseBackwardNoBias
            .prepare::<C>([x.node(), w.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, wp) = (x.into_primitive(), w.into_primitive());
                let y = forward(&xp, &wp, None, &o);
                prep.finish((xp, wp, o), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(forward(&x.into_primitive(), &w.into_primitive(), None, &o))
            }
        }
    }

    fn fast_depthwise_bias(
        x: FloatTensor<Self>,
        w: FloatTensor<Self>,
        b: FloatTensor<Self>,
        o: ConvOptions<2>,
    ) -> FloatTensor<Self> {
        match DepthwiseBackward
            .prepare::<C>([x.node(), w.node(), b.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (xp, wp) = (x.into_primitive(), w.into_primitive());
                let y = forward(&xp, &wp, Some(&b.into_primitive()), &o);
                prep.finish((xp, wp, o), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(
                &x.into_primitive(),
                &w.into_primitive(),
                Some(&b.into_primitive()),
                &o,
            )),
        }
    }
}

/// The geometry of a depthwise convolution: [`Geom`] with `c_in = c_out` = the channels; the
/// output plane from `gy`, or computed from the options.
fn geom(x: &FlexTensor, w: &FlexTensor, o: &ConvOptions<2>, gy: Option<&FlexTensor>) -> Geom {
    let out = |n: usize, k: usize, s: usize, p: usize, d: usize| {
        (n + 2 * p).saturating_sub(d * (k - 1) + 1) / s + 1
    };
    let plane = match gy {
        Some(gy) => [gy.layout().shape()[2], gy.layout().shape()[3]],
        None => {
            let (xs, ws) = (x.layout().shape(), w.layout().shape());
            [
                out(xs[2], ws[2], o.stride[0], o.padding[0].0, o.dilation[0]),
                out(xs[3], ws[3], o.stride[1], o.padding[1].0, o.dilation[1]),
            ]
        }
    };
    Geom::with_output(x, w, plane, o)
}

/// The depthwise loops' view of a [`Geom`].
trait Taps {
    /// For stride 1 along the width: the outputs `lo..hi` whose tap `j` falls inside the row,
    /// reading input column `ow + j·d_w − p_w`; `None` for other strides.
    fn cols(&self, j: usize) -> Option<(usize, usize, isize)>;
}

impl Taps for Geom {
    fn cols(&self, j: usize) -> Option<(usize, usize, isize)> {
        if self.sw != 1 {
            return None;
        }
        let off = (j * self.dw) as isize - self.pw as isize;
        let lo = (-off).clamp(0, self.wo as isize) as usize;
        let hi = (self.w as isize - off).clamp(lo as isize, self.wo as isize) as usize;
        // A tap that sees only padding: an empty span (`lo + off` may lie before the row).
        Some(if hi > lo { (lo, hi, off) } else { (0, 0, 0) })
    }
}

/// The input row (or column) that output `o` reads with tap `k`, if inside the plane.
fn src(o: usize, k: usize, s: usize, p: usize, d: usize, n: usize) -> Option<usize> {
    (o * s + k * d).checked_sub(p).filter(|&i| i < n)
}

/// How many depthwise forwards ran here (tests check that the path was taken).
#[cfg(test)]
static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn forward(
    x: &FlexTensor,
    w: &FlexTensor,
    b: Option<&FlexTensor>,
    o: &ConvOptions<2>,
) -> FlexTensor {
    #[cfg(test)]
    CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let x = x.to_contiguous();
    let w = w.to_contiguous();
    let g = geom(&x, &w, o, None);
    let xs = x.as_slice::<f32>().expect("f32 input");
    let ws = w.as_slice::<f32>().expect("f32 weight");
    let bias = b.map(|b| {
        b.to_contiguous()
            .as_slice::<f32>()
            .expect("f32 bias")
            .to_vec()
    });
    let (plane_in, plane_out, taps) = (g.h * g.w, g.ho * g.wo, g.kh * g.kw);
    let mut out = vec![0.0f32; g.b * g.c_in * plane_out];
    out.par_chunks_mut(plane_out)
        .enumerate()
        .for_each(|(bc, y)| {
            let c = bc % g.c_in;
            let xp = &xs[bc * plane_in..][..plane_in];
            let wk = &ws[c * taps..][..taps];
            y.fill(bias.as_ref().map_or(0.0, |b| b[c]));
            for i in 0..g.kh {
                for j in 0..g.kw {
                    let wv = wk[i * g.kw + j];
                    for oh in 0..g.ho {
                        let Some(ih) = src(oh, i, g.sh, g.ph, g.dh, g.h) else {
                            continue;
                        };
                        let row = &xp[ih * g.w..][..g.w];
                        let yr = &mut y[oh * g.wo..][..g.wo];
                        if let Some((lo, hi, off)) = g.cols(j) {
                            let src = &row[(lo as isize + off) as usize..][..hi - lo];
                            for (yv, xv) in yr[lo..hi].iter_mut().zip(src) {
                                *yv += wv * xv;
                            }
                            continue;
                        }
                        for (ow, yv) in yr.iter_mut().enumerate() {
                            if let Some(iw) = src(ow, j, g.sw, g.pw, g.dw, g.w) {
                                *yv += wv * row[iw];
                            }
                        }
                    }
                }
            }
        });
    flex_tensor(out, &[g.b, g.c_in, g.ho, g.wo])
}

/// `∂L/∂W[c, i, j] = Σ_b Σ_(oh, ow) G[b, c, oh, ow] · X[b, c, src(oh, i), src(ow, j)]`:
/// channels in parallel, samples in order.
fn weight_grad(x: &FlexTensor, gy: &FlexTensor, g: &Geom) -> FlexTensor {
    let x = x.to_contiguous();
    let xs = x.as_slice::<f32>().expect("f32 input");
    let gs = gy.as_slice::<f32>().expect("f32 gradient");
    let (plane_in, plane_out, taps) = (g.h * g.w, g.ho * g.wo, g.kh * g.kw);
    let mut out = vec![0.0f32; g.c_in * taps];
    out.par_chunks_mut(taps).enumerate().for_each(|(c, gw)| {
        for bi in 0..g.b {
            let xp = &xs[(bi * g.c_in + c) * plane_in..][..plane_in];
            let gp = &gs[(bi * g.c_in + c) * plane_out..][..plane_out];
            for i in 0..g.kh {
                for j in 0..g.kw {
                    let mut acc = 0.0f32;
                    for oh in 0..g.ho {
                        let Some(ih) = src(oh, i, g.sh, g.ph, g.dh, g.h) else {
                            continue;
                        };
                        let row = &xp[ih * g.w..][..g.w];
                        let gr = &gp[oh * g.wo..][..g.wo];
                        if let Some((lo, hi, off)) = g.cols(j) {
                            let src = &row[(lo as isize + off) as usize..][..hi - lo];
                            acc += gr[lo..hi].iter().zip(src).map(|(a, b)| a * b).sum::<f32>();
                            continue;
                        }
                        for (ow, gv) in gr.iter().enumerate() {
                            if let Some(iw) = src(ow, j, g.sw, g.pw, g.dw, g.w) {
                                acc += gv * row[iw];
                            }
                        }
                    }
                    gw[i * g.kw + j] += acc;
                }
            }
        }
    });
    flex_tensor(out, &[g.c_in, 1, g.kh, g.kw])
}

/// `∂L/∂X[b, c, ih, iw] = Σ G[b, c, oh, ow] · W[c, i, j]` over the taps that read
/// `(ih, iw)`: planes in parallel.
fn input_grad(w: &FlexTensor, gy: &FlexTensor, g: &Geom) -> FlexTensor {
    let w = w.to_contiguous();
    let ws = w.as_slice::<f32>().expect("f32 weight");
    let gs = gy.as_slice::<f32>().expect("f32 gradient");
    let (plane_in, plane_out, taps) = (g.h * g.w, g.ho * g.wo, g.kh * g.kw);
    let mut out = vec![0.0f32; g.b * g.c_in * plane_in];
    out.par_chunks_mut(plane_in)
        .enumerate()
        .for_each(|(bc, gx)| {
            let c = bc % g.c_in;
            let gp = &gs[bc * plane_out..][..plane_out];
            let wk = &ws[c * taps..][..taps];
            for i in 0..g.kh {
                for j in 0..g.kw {
                    let wv = wk[i * g.kw + j];
                    for oh in 0..g.ho {
                        let Some(ih) = src(oh, i, g.sh, g.ph, g.dh, g.h) else {
                            continue;
                        };
                        let row = &mut gx[ih * g.w..][..g.w];
                        let gr = &gp[oh * g.wo..][..g.wo];
                        if let Some((lo, hi, off)) = g.cols(j) {
                            let dst = &mut row[(lo as isize + off) as usize..][..hi - lo];
                            for (d, gv) in dst.iter_mut().zip(&gr[lo..hi]) {
                                *d += gv * wv;
                            }
                            continue;
                        }
                        for (ow, gv) in gr.iter().enumerate() {
                            if let Some(iw) = src(ow, j, g.sw, g.pw, g.dw, g.w) {
                                row[iw] += gv * wv;
                            }
                        }
                    }
                }
            }
        });
    flex_tensor(out, &[g.b, g.c_in, g.h, g.w])
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use burn::tensor::{Device, TensorData};
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::model::fastconv::conv2d_with;

    fn rand_vec(n: usize, rng: &mut impl Rng) -> Vec<f32> {
        (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
    }

    fn vec_of<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// (batch, channels, plane, kernel, stride, padding, dilation, bias)
    type Case = (
        usize,
        usize,
        [usize; 2],
        [usize; 2],
        [usize; 2],
        [usize; 2],
        [usize; 2],
        bool,
    );

    /// Output and the gradients of `Σ r ⊙ conv(x, w, b)` for x, w, b by one path.
    fn grads(c: Case, seed: u64, fast: bool) -> [Vec<f32>; 4] {
        let (b, ch, [h, w], k, stride, pad, dil, bias) = c;
        let dev = Device::flex().autodiff();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let x = Tensor::<4>::from_data(
            TensorData::new(rand_vec(b * ch * h * w, &mut rng), [b, ch, h, w]),
            &dev,
        )
        .require_grad();
        let wt = Tensor::<4>::from_data(
            TensorData::new(rand_vec(ch * k[0] * k[1], &mut rng), [ch, 1, k[0], k[1]]),
            &dev,
        )
        .require_grad();
        let bt = Tensor::<1>::from_data(TensorData::new(rand_vec(ch, &mut rng), [ch]), &dev)
            .require_grad();
        let o = ConvOptions::new(stride, pad, dil, ch);
        let y = conv2d_with(x.clone(), wt.clone(), bias.then(|| bt.clone()), o, fast);
        let r = Tensor::<4>::from_data(
            TensorData::new(rand_vec(y.shape().num_elements(), &mut rng), y.shape()),
            &dev,
        );
        let g = (y.clone() * r).sum().backward();
        [
            vec_of(y.inner()),
            vec_of(x.grad(&g).unwrap()),
            vec_of(wt.grad(&g).unwrap()),
            if bias {
                vec_of(bt.grad(&g).unwrap())
            } else {
                vec![]
            },
        ]
    }

    #[test]
    fn depthwise_equals_burns_grouped_path() {
        let cases: [Case; 6] = [
            // BC-ResNet's frequency-wise conv (3 × 1, stride 2 in frequency, padding 1).
            (3, 4, [9, 7], [3, 1], [2, 1], [1, 0], [1, 1], false),
            // Its time-wise conv with dilation 4 and padding 4.
            (2, 3, [1, 12], [1, 3], [1, 1], [0, 4], [1, 4], false),
            // Its head: a kernel as tall as the plane, padding 2 in time.
            (2, 5, [5, 8], [5, 5], [1, 1], [0, 2], [1, 1], false),
            // A bias, a square kernel, uneven stride; batch 1; a 1 × 1 plane.
            (1, 2, [6, 5], [3, 3], [1, 2], [1, 1], [1, 1], true),
            (4, 3, [1, 1], [1, 1], [1, 1], [0, 0], [1, 1], true),
            // Padding wider than the kernel reaches: rows of zeros in the output.
            (2, 2, [3, 4], [1, 3], [1, 1], [2, 1], [1, 1], true),
        ];
        for (n, &c) in cases.iter().enumerate() {
            let before = CALLS.load(Ordering::Relaxed);
            let f = grads(c, n as u64, true);
            assert!(
                CALLS.load(Ordering::Relaxed) > before,
                "case {n}: depthwise path not taken"
            );
            let g = grads(c, n as u64, false);
            for (k, what) in ["output", "grad x", "grad w", "grad b"].iter().enumerate() {
                assert_eq!(f[k].len(), g[k].len(), "case {n} {what}: lengths");
                for (i, (a, b)) in f[k].iter().zip(&g[k]).enumerate() {
                    assert!(
                        (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
                        "case {n} {what}[{i}]: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn grouped_but_not_depthwise_keeps_burns_path() {
        let dev = Device::flex();
        let x = Tensor::<4>::zeros([1, 4, 3, 3], &dev);
        let w = Tensor::<4>::zeros([4, 2, 1, 1], &dev);
        assert!(!applies(
            &x,
            &w,
            &ConvOptions::new([1, 1], [0, 0], [1, 1], 2)
        ));
        let w = Tensor::<4>::zeros([4, 1, 1, 1], &dev);
        assert!(applies(
            &x,
            &w,
            &ConvOptions::new([1, 1], [0, 0], [1, 1], 4)
        ));
        assert!(!applies(
            &x,
            &w,
            &ConvOptions::new([1, 1], [0, 0], [1, 1], 1)
        ));
    }
}
