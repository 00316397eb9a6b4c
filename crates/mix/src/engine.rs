//! The mixing engine: the one loop every mode runs. It validates the batch, draws the
//! permutation (unless the caller chose the partners), asks a [`Draws`] for one [`Draw`] per
//! batch or per sample, and writes every mixed sample, target and record.
//!
//! A mode only says how to draw ([`Draws`]); randomness arrives as `&mut dyn RngCore`, so
//! drawers are object-safe and [`RandomMix`](crate::RandomMix) can hold the candidates'
//! drawers side by side.

use std::borrow::Cow;

use ndarray::{Array2, Array4, ArrayView2, ArrayView4};
use rand::RngCore;
use rand::seq::SliceRandom;

pub(crate) use crate::dims::{Dims, check};
use crate::draw::Draw;
use crate::{Granularity, MixBatchError, MixMask, MixRecord, Mixed};

/// Something that draws the mixing operation for one sample (or one batch).
pub(crate) trait Draws {
    /// Draws the operation for a batch of dimensions `d`.
    fn draw(&mut self, rng: &mut dyn RngCore, d: Dims) -> Draw;
}

/// Checks caller-chosen partners against the batch size `b`.
pub(crate) fn check_partners(partners: &[usize], b: usize) -> Result<(), MixBatchError> {
    if partners.len() != b {
        return Err(MixBatchError::PartnerCount {
            expected: b,
            actual: partners.len(),
        });
    }
    match partners.iter().enumerate().find(|&(_, &p)| p >= b) {
        Some((index, &partner)) => Err(MixBatchError::PartnerOutOfRange {
            index,
            partner,
            batch: b,
        }),
        None => Ok(()),
    }
}

/// Implements [`Mixer`](crate::Mixer) for a mode whose batches all go through [`run`]:
/// `engine_mixer!(Mode, |m| drawer)` where `drawer` (an expression of `m: &Mode`) is the
/// mode's [`Draws`].
macro_rules! engine_mixer {
    ($ty:ty, |$m:ident| $drawer:expr) => {
        impl $crate::Mixer for $ty {
            fn mix_with(
                &self,
                x: ndarray::ArrayView4<'_, f32>,
                y: ndarray::ArrayView2<'_, f32>,
                partners: Option<&[usize]>,
                rng: &mut dyn rand::RngCore,
                out: &mut $crate::Mixed,
            ) -> Result<(), $crate::MixError> {
                let $m = self;
                Ok($crate::engine::run(
                    x,
                    y,
                    partners,
                    rng,
                    out,
                    $m.config.per,
                    &mut $drawer,
                )?)
            }
        }
    };
}
pub(crate) use engine_mixer;

/// The shared mixing loop: draws a permutation (unless `partners` are given), then one
/// [`Draw`] per batch or per sample, and applies it to every sample and its targets.
///
/// Draw order, which fixes the output for a seed: the permutation (`partners = None` only),
/// then the batch draw ([`Granularity::Batch`]) or each sample's draw in batch order.
pub(crate) fn run(
    x: ArrayView4<'_, f32>,
    y: ArrayView2<'_, f32>,
    partners: Option<&[usize]>,
    rng: &mut dyn RngCore,
    out: &mut Mixed,
    per: Granularity,
    drawer: &mut dyn Draws,
) -> Result<(), MixBatchError> {
    let d = check(&x, &y)?;
    let perm: Cow<'_, [usize]> = match partners {
        Some(p) => {
            check_partners(p, d.b)?;
            Cow::Borrowed(p)
        }
        None => {
            let mut perm: Vec<usize> = (0..d.b).collect();
            perm.shuffle(rng);
            Cow::Owned(perm)
        }
    };
    let batch_draw = match per {
        Granularity::Batch => Some(drawer.draw(rng, d)),
        Granularity::Sample => None,
    };
    let xs = contiguous(&x);
    let y = y.as_standard_layout();
    let ys = y.as_slice().expect("standard-layout arrays are contiguous");
    let n = d.sample_len();
    let (mut xo, oy, records) = prepare_out(out, d);
    let mut scratch = Vec::new();
    for (i, &p) in perm.iter().enumerate() {
        let own;
        let draw = match &batch_draw {
            Some(dr) => dr,
            None => {
                own = drawer.draw(rng, d);
                &own
            }
        };
        let keep = matches!(draw, Draw::Keep);
        let partner = if keep { i } else { p };
        let xi = &xs[i * n..(i + 1) * n];
        let lambda = draw.lambda();
        let yi = &ys[i * d.k..(i + 1) * d.k];
        let ty = &mut oy[i * d.k..(i + 1) * d.k];
        if partner == i {
            xo.write(i, xi, None, d, &mut scratch);
            ty.copy_from_slice(yi);
        } else {
            let xp = &xs[partner * n..(partner + 1) * n];
            xo.write(i, xi, Some((draw, xp)), d, &mut scratch);
            let yp = &ys[partner * d.k..(partner + 1) * d.k];
            let m = 1.0 - lambda;
            for ((t, &a), &b) in ty.iter_mut().zip(yi).zip(yp) {
                *t = lambda * a + m * b;
            }
        }
        records.push(MixRecord {
            index: i,
            partner,
            self_paired: partner == i,
            mode: draw.mode(),
            lambda,
            mask: draw.footprint(),
        });
    }
    xo.finish();
    Ok(())
}

/// Copies the batch unchanged (records say `mode = None`, `λ = 1`, `partner = index`).
pub(crate) fn keep_all(
    x: ArrayView4<'_, f32>,
    y: ArrayView2<'_, f32>,
    out: &mut Mixed,
) -> Result<(), MixBatchError> {
    let d = check(&x, &y)?;
    let (mut xo, oy, records) = prepare_out(out, d);
    let xs = contiguous(&x);
    let n = d.sample_len();
    for (i, xi) in xs.chunks_exact(n).enumerate() {
        xo.write(i, xi, None, d, &mut Vec::new());
    }
    xo.finish();
    for (o, v) in oy.iter_mut().zip(y.iter()) {
        *o = *v;
    }
    records.extend((0..d.b).map(|i| MixRecord {
        index: i,
        partner: i,
        self_paired: true,
        mode: None,
        lambda: 1.0,
        mask: MixMask::None,
    }));
    Ok(())
}

/// The input data as one contiguous slice in `[B, C, H, W]` order.
fn contiguous<'a>(x: &'a ArrayView4<'a, f32>) -> Cow<'a, [f32]> {
    match x.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(x.iter().copied().collect()),
    }
}

/// Where the mixed inputs go.
enum XOut<'a> {
    /// The caller's buffer, already of the right shape.
    Reuse(&'a mut [f32]),
    /// A new buffer filled sample by sample (never zero-filled first), then moved into `target`.
    Fresh {
        buf: Vec<f32>,
        target: &'a mut Array4<f32>,
        dim: (usize, usize, usize, usize),
    },
}

impl XOut<'_> {
    /// Writes sample `i` (`n` values): a copy of `xi` when `partner` is `None`, else `draw`
    /// applied to `xi` and the partner.
    fn write(
        &mut self,
        i: usize,
        xi: &[f32],
        partner: Option<(&Draw, &[f32])>,
        d: Dims,
        scratch: &mut Vec<f32>,
    ) {
        let n = xi.len();
        match (self, partner) {
            (XOut::Reuse(ox), None) => ox[i * n..(i + 1) * n].copy_from_slice(xi),
            (XOut::Reuse(ox), Some((draw, xp))) => {
                draw.apply(xi, xp, &mut ox[i * n..(i + 1) * n], d, scratch)
            }
            (XOut::Fresh { buf, .. }, None) => buf.extend_from_slice(xi),
            (XOut::Fresh { buf, .. }, Some((draw, xp))) => draw.extend(xi, xp, buf, d, scratch),
        }
    }

    /// Moves a fresh buffer into the output array.
    fn finish(self) {
        if let XOut::Fresh { buf, target, dim } = self {
            *target = Array4::from_shape_vec(dim, buf).expect("one [C, H, W] sample per index");
        }
    }
}

/// Makes `out` the right shape (reusing its storage when possible) and returns its parts.
fn prepare_out(out: &mut Mixed, d: Dims) -> (XOut<'_>, &mut [f32], &mut Vec<MixRecord>) {
    let dim = (d.b, d.c, d.h, d.w);
    let Mixed { x, y, records } = out;
    let xo = if x.dim() == dim && x.is_standard_layout() {
        XOut::Reuse(
            x.as_slice_mut()
                .expect("standard-layout arrays are contiguous"),
        )
    } else {
        XOut::Fresh {
            buf: Vec::with_capacity(d.b * d.sample_len()),
            target: x,
            dim,
        }
    };
    if y.dim() != (d.b, d.k) || !y.is_standard_layout() {
        *y = Array2::zeros((d.b, d.k));
    }
    records.clear();
    records.reserve(d.b);
    (
        xo,
        y.as_slice_mut()
            .expect("standard-layout arrays are contiguous"),
        records,
    )
}
