//! A realised draw (the mode, `λ` and geometry chosen for one sample or batch) and how it is
//! written into a sample; the `λ` helpers shared by the modes.

use std::sync::Arc;

use ndarray::Array2;
use rand::RngCore;

use crate::dims::Dims;
use crate::{MixConfigError, MixMask, Mode, Rect};

/// A realised draw for one sample (or for the whole batch).
#[derive(Debug, Clone)]
pub(crate) enum Draw {
    /// Leave the sample as it is.
    Keep,
    /// Mixup: of the values, or with `power = Some(k)` of the powers, `k` being the natural
    /// log of power per unit of value (`db_per_unit · ln(10) / 10`).
    Blend { lambda: f32, power: Option<f32> },
    /// CutMix: the box is copied from the partner.
    Cut { rect: Rect, lambda: f32 },
    /// ResizeMix: the partner is shrunk into the box.
    Paste {
        rect: Rect,
        rows: Vec<Tap>,
        cols: Vec<Tap>,
        lambda: f32,
    },
    /// FMix: `true` cells from the original; `bits` is the same mask as `u32::MAX` (original)
    /// or 0 (partner) per cell, for a branch-free select.
    Mask {
        mask: Arc<Array2<bool>>,
        bits: Vec<u32>,
        lambda: f32,
    },
}

impl Draw {
    pub(crate) fn lambda(&self) -> f32 {
        match self {
            Draw::Keep => 1.0,
            Draw::Blend { lambda, .. }
            | Draw::Cut { lambda, .. }
            | Draw::Paste { lambda, .. }
            | Draw::Mask { lambda, .. } => *lambda,
        }
    }

    pub(crate) fn mode(&self) -> Option<Mode> {
        match self {
            Draw::Keep => None,
            Draw::Blend { .. } => Some(Mode::Mixup),
            Draw::Cut { .. } => Some(Mode::CutMix),
            Draw::Paste { .. } => Some(Mode::ResizeMix),
            Draw::Mask { .. } => Some(Mode::FMix),
        }
    }

    pub(crate) fn footprint(&self) -> MixMask {
        match self {
            Draw::Keep => MixMask::None,
            Draw::Blend { .. } => MixMask::Blend,
            Draw::Cut { rect, .. } => MixMask::Box(*rect),
            Draw::Paste { rect, .. } => MixMask::Pasted(*rect),
            Draw::Mask { mask, .. } => MixMask::Mask(Arc::clone(mask)),
        }
    }

    /// Writes the mixed sample `dst` from the original `xi` and partner `xp`, all `[C, H, W]`
    /// contiguous slices. `scratch` is reused between calls.
    pub(crate) fn apply(
        &self,
        xi: &[f32],
        xp: &[f32],
        dst: &mut [f32],
        d: Dims,
        scratch: &mut Vec<f32>,
    ) {
        match self {
            Draw::Blend { lambda, power } => match *power {
                None => {
                    let (l, m) = (*lambda, 1.0 - *lambda);
                    for ((o, &a), &b) in dst.iter_mut().zip(xi).zip(xp) {
                        *o = l * a + m * b;
                    }
                }
                Some(k) => {
                    let sum = PowerSum::new(*lambda, k);
                    for ((o, &a), &b) in dst.iter_mut().zip(xi).zip(xp) {
                        *o = sum.at(a, b);
                    }
                }
            },
            Draw::Mask { bits, .. } => {
                let plane = d.plane_len();
                for ((o, a), b) in dst
                    .chunks_exact_mut(plane)
                    .zip(xi.chunks_exact(plane))
                    .zip(xp.chunks_exact(plane))
                {
                    for (((o, &a), &b), &m) in o.iter_mut().zip(a).zip(b).zip(bits) {
                        *o = select(a, b, m);
                    }
                }
            }
            _ => {
                dst.copy_from_slice(xi);
                self.patch(xp, dst, d, scratch);
            }
        }
    }

    /// [`Draw::apply`] appending the mixed sample to `out` (no zero-filled buffer first).
    pub(crate) fn extend(
        &self,
        xi: &[f32],
        xp: &[f32],
        out: &mut Vec<f32>,
        d: Dims,
        scratch: &mut Vec<f32>,
    ) {
        match self {
            Draw::Blend { lambda, power } => match *power {
                None => {
                    let (l, m) = (*lambda, 1.0 - *lambda);
                    out.extend(xi.iter().zip(xp).map(|(&a, &b)| l * a + m * b));
                }
                Some(k) => {
                    let sum = PowerSum::new(*lambda, k);
                    out.extend(xi.iter().zip(xp).map(|(&a, &b)| sum.at(a, b)));
                }
            },
            Draw::Mask { bits, .. } => {
                let plane = d.plane_len();
                for (a, b) in xi.chunks_exact(plane).zip(xp.chunks_exact(plane)) {
                    out.extend(
                        a.iter()
                            .zip(b)
                            .zip(bits)
                            .map(|((&a, &b), &m)| select(a, b, m)),
                    );
                }
            }
            _ => {
                let start = out.len();
                out.extend_from_slice(xi);
                self.patch(xp, &mut out[start..], d, scratch);
            }
        }
    }

    /// Brings the partner `xp` into `dst`, which holds the original sample (box modes).
    fn patch(&self, xp: &[f32], dst: &mut [f32], d: Dims, scratch: &mut Vec<f32>) {
        let w = d.w;
        let plane = d.plane_len();
        match self {
            // Blend and Mask write whole samples in `apply` and `extend`.
            Draw::Keep | Draw::Blend { .. } | Draw::Mask { .. } => {}
            Draw::Cut { rect, .. } => {
                if rect.area() == 0 {
                    return;
                }
                let rows = rect.top * w..(rect.top + rect.height) * w;
                let cols = rect.left..rect.left + rect.width;
                for (o, p) in dst.chunks_exact_mut(plane).zip(xp.chunks_exact(plane)) {
                    for (orow, prow) in o[rows.clone()]
                        .chunks_exact_mut(w)
                        .zip(p[rows.clone()].chunks_exact(w))
                    {
                        orow[cols.clone()].copy_from_slice(&prow[cols.clone()]);
                    }
                }
            }
            Draw::Paste {
                rect, rows, cols, ..
            } => {
                // Separable bilinear: every partner row resized to the box width, then each
                // box row interpolated between two of those rows.
                let bw = rect.width;
                scratch.clear();
                scratch.resize(d.h * bw, 0.0);
                let box_rows = rect.top * w..(rect.top + rect.height) * w;
                for (o, p) in dst.chunks_exact_mut(plane).zip(xp.chunks_exact(plane)) {
                    for (srow, prow) in scratch.chunks_exact_mut(bw).zip(p.chunks_exact(w)) {
                        for (v, tx) in srow.iter_mut().zip(cols) {
                            let (a, b) = (prow[tx.i0], prow[tx.i1]);
                            *v = a + (b - a) * tx.t;
                        }
                    }
                    for (orow, ty) in o[box_rows.clone()].chunks_exact_mut(w).zip(rows) {
                        let r0 = &scratch[ty.i0 * bw..(ty.i0 + 1) * bw];
                        let r1 = &scratch[ty.i1 * bw..(ty.i1 + 1) * bw];
                        let t = ty.t;
                        for ((v, &a), &b) in
                            orow[rect.left..rect.left + bw].iter_mut().zip(r0).zip(r1)
                        {
                            *v = a + (b - a) * t;
                        }
                    }
                }
            }
        }
    }
}

/// A power-sum Mixup value from the original `a` and the partner `b`:
/// `ln(λ·e^(k·a) + (1 − λ)·e^(k·b)) / k`, computed in value units as a log-sum-exp,
/// `hi + ln(1 + e^(k·(lo − hi))) / k` of `a + ln(λ)/k` and `b + ln(1 − λ)/k` (`−∞` for a zero
/// weight). `k·a` itself is never formed, so large values cannot overflow, and a weight of 1
/// returns its sample exactly.
#[derive(Clone, Copy)]
struct PowerSum {
    ln_l: f32,
    ln_m: f32,
    k: f32,
}

impl PowerSum {
    fn new(lambda: f32, k: f32) -> Self {
        PowerSum {
            ln_l: lambda.ln() / k,
            ln_m: (1.0 - lambda).ln() / k,
            k,
        }
    }

    #[inline(always)]
    fn at(self, a: f32, b: f32) -> f32 {
        let PowerSum { ln_l, ln_m, k } = self;
        // A weight of 1 returns its sample as it is (infinities included).
        if ln_m == f32::NEG_INFINITY {
            return a;
        }
        if ln_l == f32::NEG_INFINITY {
            return b;
        }
        let (u, v) = (a + ln_l, b + ln_m);
        let (hi, lo) = if u >= v { (u, v) } else { (v, u) };
        // A −∞ input adds nothing; equal infinities are themselves.
        if lo == f32::NEG_INFINITY || (hi.is_infinite() && hi == lo) {
            return hi;
        }
        hi + (k * (lo - hi)).exp().ln_1p() / k
    }
}

/// `a` where `mask` is all ones, `b` where it is zero: an exact, branch-free select.
#[inline(always)]
fn select(a: f32, b: f32, mask: u32) -> f32 {
    f32::from_bits((a.to_bits() & mask) | (b.to_bits() & !mask))
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by the modes: λ, bilinear taps.
// ---------------------------------------------------------------------------------------------

/// `λ ~ Beta(α, α)`, guarded against the odd non-finite draw.
pub(crate) fn draw_beta(beta: &rand_distr::Beta<f64>, rng: &mut dyn RngCore) -> f64 {
    use rand_distr::Distribution;
    let l = beta.sample(rng);
    if l.is_finite() {
        l.clamp(0.0, 1.0)
    } else {
        0.5
    }
}

/// Validates a Beta parameter and builds `Beta(α, α)`.
pub(crate) fn beta(mode: Mode, alpha: f64) -> Result<rand_distr::Beta<f64>, MixConfigError> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(MixConfigError::InvalidAlpha { mode, alpha });
    }
    rand_distr::Beta::new(alpha, alpha).map_err(|_| MixConfigError::InvalidAlpha { mode, alpha })
}

/// `(N − taken) / N` as `f32`: the share of cells left to the original.
pub(crate) fn share(kept: usize, total: usize) -> f32 {
    (kept as f64 / total as f64) as f32
}

/// One bilinear tap: output index `j` reads `lerp(src[i0], src[i1], t)`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tap {
    pub(crate) i0: usize,
    pub(crate) i1: usize,
    pub(crate) t: f32,
}

/// Bilinear taps for resizing `input` cells to `output` cells with the `align_corners=false`
/// convention of `torch.nn.functional.interpolate` (no antialiasing).
pub(crate) fn taps(input: usize, output: usize) -> Vec<Tap> {
    let scale = input as f64 / output as f64;
    (0..output)
        .map(|j| {
            let src = ((j as f64 + 0.5) * scale - 0.5).max(0.0);
            let i0 = (src.floor() as usize).min(input - 1);
            let i1 = (i0 + 1).min(input - 1);
            Tap {
                i0,
                i1,
                t: (src - i0 as f64) as f32,
            }
        })
        .collect()
}
