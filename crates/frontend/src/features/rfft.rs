//! Power spectrum of a real frame, the hot path of the front end.
//!
//! For an even `n` the frame is packed as `n/2` complex samples `z[j] = x[2j] + i·x[2j+1]`,
//! transformed with one RustFFT complex FFT of length `n/2`, and split with
//! `X[k] = E[k] + W^k·O[k]`, where `E[k] = (Z[k] + Z̄[n/2−k]) / 2` and
//! `O[k] = (Z[k] − Z̄[n/2−k]) / 2i` are the spectra of the even and odd samples and
//! `W = e^{−2πi/n}`. This is what realfft does; doing it here, fused with `|X|²`, lets the
//! split vectorise and saves a third of the front end's time. Odd `n` goes through realfft.

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::{Fft, FftPlanner};

#[derive(Clone)]
pub(crate) enum PowerFft {
    Even {
        fft: Arc<dyn Fft<f32>>,
        /// `W^k` for `k in 0..n/2`.
        twiddles: Vec<Complex<f32>>,
    },
    Odd(Arc<dyn RealToComplex<f32>>),
}

impl PowerFft {
    pub(crate) fn new(n: usize) -> PowerFft {
        if n.is_multiple_of(2) {
            let m = n / 2;
            let twiddles = (0..m)
                .map(|k| {
                    let a = -2.0 * std::f64::consts::PI * k as f64 / n as f64;
                    Complex::new(a.cos() as f32, a.sin() as f32)
                })
                .collect();
            PowerFft::Even {
                fft: FftPlanner::new().plan_fft_forward(m),
                twiddles,
            }
        } else {
            PowerFft::Odd(RealFftPlanner::new().plan_fft_forward(n))
        }
    }

    /// Length of the complex work buffer `buf` for [`power`](Self::power).
    pub(crate) fn buf_len(&self, n: usize) -> usize {
        match self {
            PowerFft::Even { .. } => n / 2,
            PowerFft::Odd(_) => n / 2 + 1,
        }
    }

    pub(crate) fn scratch_len(&self) -> usize {
        match self {
            // The FFT's scratch, then room for the reversed half-spectrum.
            PowerFft::Even { fft, twiddles } => fft.get_inplace_scratch_len() + twiddles.len(),
            PowerFft::Odd(r) => r.get_scratch_len(),
        }
    }

    /// Whether [`power`](Self::power) accepts a frame already packed into `buf` as
    /// `buf[j] = x[2j] + i·x[2j+1]`.
    pub(crate) fn takes_packed(&self) -> bool {
        matches!(self, PowerFft::Even { .. })
    }

    /// `power[k] = |X[k]|²` for `k in 0..=n/2`, where `X` is the DFT of `frame` (length
    /// `n`), or of the frame already packed into `buf` when `packed` (see
    /// [`takes_packed`](Self::takes_packed)). `frame` is used as work space. Buffer lengths
    /// must match `buf_len` and `scratch_len`.
    #[inline]
    pub(crate) fn power(
        &self,
        frame: &mut [f32],
        packed: bool,
        buf: &mut [Complex<f32>],
        scratch: &mut [Complex<f32>],
        power: &mut [f32],
    ) {
        match self {
            PowerFft::Even { fft, twiddles } => {
                let m = buf.len();
                if !packed {
                    for (z, x) in buf.iter_mut().zip(frame.chunks_exact(2)) {
                        *z = Complex::new(x[0], x[1]);
                    }
                }
                let fft_scratch = scratch.len() - m;
                fft.process_with_scratch(buf, &mut scratch[..fft_scratch]);
                let z0 = buf[0];
                power[0] = (z0.re + z0.im) * (z0.re + z0.im);
                power[m] = (z0.re - z0.im) * (z0.re - z0.im);
                // Bins k and m − k share E and O: with a = Z[k], b = Z[m − k],
                // E = (a + b̄)/2, O = (a − b̄)/2i, X[k] = E + W^k·O and, since W^m = −1,
                // X[m − k] = conj(E − W^k·O). So each pair costs one split.
                let pairs = m.div_ceil(2); // k in 1..pairs, m − k in m − pairs + 1..m
                let np = pairs - 1;
                // Reversed copy of the upper half, so that the main loop runs forward only
                // and vectorises: rev[i] = Z[m − 1 − i].
                let rev = &mut scratch_rev(scratch, m)[..np];
                for (r, &z) in rev.iter_mut().zip(buf[m - np..m].iter().rev()) {
                    *r = z;
                }
                let hi = &mut frame[..np]; // |X[m − 1 − i]|², reversed below
                for ((((pk, pmk), &a), &b), &w) in power[1..pairs]
                    .iter_mut()
                    .zip(hi.iter_mut())
                    .zip(&buf[1..pairs])
                    .zip(rev.iter())
                    .zip(&twiddles[1..pairs])
                {
                    let er = 0.5 * (a.re + b.re);
                    let ei = 0.5 * (a.im - b.im);
                    let or = 0.5 * (a.im + b.im);
                    let oi = -0.5 * (a.re - b.re);
                    let wr = w.re * or - w.im * oi;
                    let wi = w.re * oi + w.im * or;
                    *pk = (er + wr) * (er + wr) + (ei + wi) * (ei + wi);
                    *pmk = (er - wr) * (er - wr) + (ei - wi) * (ei - wi);
                }
                for (p, &h) in power[m - np..m].iter_mut().rev().zip(hi.iter()) {
                    *p = h;
                }
                if m.is_multiple_of(2) && m >= 2 {
                    // The middle bin pairs with itself: W^(m/2) = −i, so X = E − i·O.
                    let a = buf[m / 2];
                    let (er, ei) = (a.re, 0.0f32);
                    let (or, oi) = (a.im, 0.0f32);
                    let (xr, xi) = (er + oi, ei - or);
                    power[m / 2] = xr * xr + xi * xi;
                }
            }
            PowerFft::Odd(r) => {
                // Lengths are fixed by the caller, so this cannot fail.
                let _ = r.process_with_scratch(frame, buf, scratch);
                for (p, c) in power.iter_mut().zip(buf.iter()) {
                    *p = c.re * c.re + c.im * c.im;
                }
            }
        }
    }
}

/// Complex spectra of real frames and back (the STFT/ISTFT of the inverter), with the
/// same half-length packing as [`PowerFft`]. Spectra are split into real and imaginary
/// slices (structure of arrays) so that the split/merge loops and the Griffin-Lim update
/// vectorise. Conventions are realfft's: `forward` gives the `n/2 + 1` bins of the
/// unnormalised DFT, `inverse` gives `n · x` and ignores the imaginary parts of the DC and
/// Nyquist bins (as numpy's `irfft` does).
#[derive(Clone)]
pub(crate) enum SpecFft {
    Even {
        fwd: Arc<dyn Fft<f32>>,
        inv: Arc<dyn Fft<f32>>,
        /// Real and imaginary parts of `W^k = e^{−2πik/n}` for `k in 0..n/2`.
        tw_re: Vec<f32>,
        tw_im: Vec<f32>,
    },
    Odd {
        fwd: Arc<dyn RealToComplex<f32>>,
        inv: Arc<dyn ComplexToReal<f32>>,
    },
}

/// Work buffers of [`SpecFft`].
#[derive(Clone, Default)]
pub(crate) struct SpecWork {
    z: Vec<Complex<f32>>,
    scratch: Vec<Complex<f32>>,
    re: Vec<f32>,
    im: Vec<f32>,
    re2: Vec<f32>,
    im2: Vec<f32>,
    real: Vec<f32>,
}

impl SpecFft {
    pub(crate) fn new(n: usize) -> SpecFft {
        if n.is_multiple_of(2) {
            let m = n / 2;
            let mut planner = FftPlanner::new();
            let angle = |k: usize| -2.0 * std::f64::consts::PI * k as f64 / n as f64;
            SpecFft::Even {
                fwd: planner.plan_fft_forward(m),
                inv: planner.plan_fft_inverse(m),
                tw_re: (0..m).map(|k| angle(k).cos() as f32).collect(),
                tw_im: (0..m).map(|k| angle(k).sin() as f32).collect(),
            }
        } else {
            let mut planner = RealFftPlanner::new();
            SpecFft::Odd {
                fwd: planner.plan_fft_forward(n),
                inv: planner.plan_fft_inverse(n),
            }
        }
    }

    pub(crate) fn work(&self, n: usize) -> SpecWork {
        let scratch = match self {
            SpecFft::Even { fwd, inv, .. } => fwd
                .get_inplace_scratch_len()
                .max(inv.get_inplace_scratch_len()),
            SpecFft::Odd { fwd, inv } => fwd.get_scratch_len().max(inv.get_scratch_len()),
        };
        let h = n / 2 + 1;
        SpecWork {
            z: vec![Complex::default(); h],
            scratch: vec![Complex::default(); scratch],
            re: vec![0.0; h],
            im: vec![0.0; h],
            re2: vec![0.0; h],
            im2: vec![0.0; h],
            real: vec![0.0; n],
        }
    }

    /// `X[k] = Σ_j frame[j] · window[j] · e^{−2πijk/n}` for `k in 0..=n/2`, into
    /// `out_re`, `out_im` (`frame` and `window` of length `n`).
    #[inline(always)]
    pub(crate) fn forward(
        &self,
        frame: &[f32],
        window: &[f32],
        out_re: &mut [f32],
        out_im: &mut [f32],
        w: &mut SpecWork,
    ) {
        match self {
            SpecFft::Even {
                fwd, tw_re, tw_im, ..
            } => {
                let m = tw_re.len();
                let z = &mut w.z[..m];
                for ((z, x), v) in z
                    .iter_mut()
                    .zip(frame.chunks_exact(2))
                    .zip(window.chunks_exact(2))
                {
                    *z = Complex::new(x[0] * v[0], x[1] * v[1]);
                }
                fwd.process_with_scratch(z, &mut w.scratch);
                let (zr, zi) = (&mut w.re[..m], &mut w.im[..m]);
                for ((r, i), c) in zr.iter_mut().zip(zi.iter_mut()).zip(z.iter()) {
                    *r = c.re;
                    *i = c.im;
                }
                out_re[0] = zr[0] + zi[0];
                out_im[0] = 0.0;
                out_re[m] = zr[0] - zi[0];
                out_im[m] = 0.0;
                // As in PowerFft: with a = Z[k], b = Z[m − k], E = (a + b̄)/2,
                // O = (a − b̄)/2i, X[k] = E + W^k·O and X[m − k] = conj(E − W^k·O).
                let pairs = m.div_ceil(2);
                let np = pairs - 1;
                let (hr, hi) = (&mut w.re2[..np], &mut w.im2[..np]);
                let lo = out_re[1..pairs].iter_mut().zip(out_im[1..pairs].iter_mut());
                let hi_ = hr.iter_mut().zip(hi.iter_mut());
                let a = zr[1..pairs].iter().zip(&zi[1..pairs]);
                let b = zr[m - np..m].iter().rev().zip(zi[m - np..m].iter().rev());
                let t = tw_re[1..pairs].iter().zip(&tw_im[1..pairs]);
                for ((((xk, xmk), (&ar, &ai)), (&br, &bi)), (&tr, &ti)) in
                    lo.zip(hi_).zip(a).zip(b).zip(t)
                {
                    let (er, ei) = (0.5 * (ar + br), 0.5 * (ai - bi));
                    let (or, oi) = (0.5 * (ai + bi), -0.5 * (ar - br));
                    let (pr, pi) = (tr * or - ti * oi, tr * oi + ti * or);
                    *xk.0 = er + pr;
                    *xk.1 = ei + pi;
                    *xmk.0 = er - pr;
                    *xmk.1 = -(ei - pi);
                }
                let up = out_re[m - np..m]
                    .iter_mut()
                    .zip(out_im[m - np..m].iter_mut());
                for ((r, i), (&vr, &vi)) in up.rev().zip(hr.iter().zip(hi.iter())) {
                    *r = vr;
                    *i = vi;
                }
                if m.is_multiple_of(2) && m >= 2 {
                    // The middle bin pairs with itself: X = conj(Z[m/2]).
                    out_re[m / 2] = zr[m / 2];
                    out_im[m / 2] = -zi[m / 2];
                }
            }
            SpecFft::Odd { fwd, .. } => {
                for ((r, &x), &v) in w.real.iter_mut().zip(frame).zip(window) {
                    *r = x * v;
                }
                let z = &mut w.z[..];
                let _ = fwd.process_with_scratch(&mut w.real, z, &mut w.scratch);
                for ((r, i), c) in out_re.iter_mut().zip(out_im.iter_mut()).zip(z.iter()) {
                    *r = c.re;
                    *i = c.im;
                }
            }
        }
    }

    /// Overlap-adds `window[j] · Σ_k X[k] · e^{2πijk/n}` into `out[j]`, the sum running
    /// over the full Hermitian spectrum whose first `n/2 + 1` bins are `(re, im)` (so it
    /// adds `n · x · window` for the spectrum of `x`).
    #[inline(always)]
    pub(crate) fn inverse_add(
        &self,
        re: &[f32],
        im: &[f32],
        window: &[f32],
        out: &mut [f32],
        w: &mut SpecWork,
    ) {
        match self {
            SpecFft::Even {
                inv, tw_re, tw_im, ..
            } => {
                let m = tw_re.len();
                // Z[k] = (A + B̄) + i·(A − B̄)·conj(W^k), A = X[k], B = X[m − k]; then
                // IDFT_m(Z)[j] = n·(x[2j] + i·x[2j+1]).
                let z = &mut w.z[..m];
                z[0] = Complex::new(re[0] + re[m], re[0] - re[m]);
                let a = re[1..m].iter().zip(&im[1..m]);
                let b = re[1..m].iter().rev().zip(im[1..m].iter().rev());
                let t = tw_re[1..].iter().zip(&tw_im[1..]);
                for (((z, (&ar, &ai)), (&br, &bi)), (&tr, &ti)) in
                    z[1..].iter_mut().zip(a).zip(b).zip(t)
                {
                    let (sr, si) = (ar + br, ai - bi);
                    let (dr, di) = (ar - br, ai + bi);
                    // d · conj(t)
                    let (qr, qi) = (dr * tr + di * ti, di * tr - dr * ti);
                    *z = Complex::new(sr - qi, si + qr);
                }
                inv.process_with_scratch(z, &mut w.scratch);
                for ((o, c), v) in out
                    .chunks_exact_mut(2)
                    .zip(z.iter())
                    .zip(window.chunks_exact(2))
                {
                    o[0] += c.re * v[0];
                    o[1] += c.im * v[1];
                }
            }
            SpecFft::Odd { inv, .. } => {
                let z = &mut w.z[..];
                for (c, (&r, &i)) in z.iter_mut().zip(re.iter().zip(im)) {
                    *c = Complex::new(r, i);
                }
                z[0].im = 0.0;
                let _ = inv.process_with_scratch(z, &mut w.real, &mut w.scratch);
                for ((o, &x), &v) in out.iter_mut().zip(&w.real).zip(window) {
                    *o += x * v;
                }
            }
        }
    }
}

/// The last `m` elements of the scratch buffer (after the FFT's own scratch).
#[inline]
fn scratch_rev(scratch: &mut [Complex<f32>], m: usize) -> &mut [Complex<f32>] {
    let n = scratch.len();
    &mut scratch[n - m..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_power(x: &[f32]) -> Vec<f64> {
        let n = x.len();
        (0..=n / 2)
            .map(|k| {
                let (mut re, mut im) = (0.0f64, 0.0f64);
                for (j, &v) in x.iter().enumerate() {
                    let a = -2.0 * std::f64::consts::PI * ((k * j) % n) as f64 / n as f64;
                    re += f64::from(v) * a.cos();
                    im += f64::from(v) * a.sin();
                }
                re * re + im * im
            })
            .collect()
    }

    #[test]
    fn matches_naive_dft_even_and_odd_with_dirty_buffers() {
        for n in [2usize, 8, 30, 512, 9, 31] {
            let p = PowerFft::new(n);
            let mut buf = vec![Complex::new(7.0f32, -3.0); p.buf_len(n)];
            let mut scratch = vec![Complex::new(1e9f32, 1.0); p.scratch_len()];
            let mut power = vec![-1.0f32; n / 2 + 1];
            for round in 0..2 {
                let x: Vec<f32> = (0..n)
                    .map(|j| ((j * 7 + round * 3) % 11) as f32 / 11.0 - 0.4)
                    .collect();
                let mut frame = x.clone();
                p.power(&mut frame, false, &mut buf, &mut scratch, &mut power);
                if p.takes_packed() {
                    let mut packed = vec![-1.0f32; n / 2 + 1];
                    for (z, v) in buf.iter_mut().zip(x.chunks_exact(2)) {
                        *z = Complex::new(v[0], v[1]);
                    }
                    p.power(&mut frame, true, &mut buf, &mut scratch, &mut packed);
                    assert_eq!(packed, power);
                }
                let want = naive_power(&x);
                let peak = want.iter().copied().fold(0.0, f64::max);
                for (k, (&a, &b)) in power.iter().zip(&want).enumerate() {
                    assert!(
                        (f64::from(a) - b).abs() <= 1e-5 * peak,
                        "n={n} k={k}: {a} vs {b}"
                    );
                }
            }
        }
    }

    #[test]
    fn spec_fft_matches_realfft_both_ways() {
        for n in [2usize, 8, 30, 512, 9, 31] {
            let sf = SpecFft::new(n);
            let mut w = sf.work(n);
            let mut planner = RealFftPlanner::<f32>::new();
            let (r2c, c2r) = (planner.plan_fft_forward(n), planner.plan_fft_inverse(n));
            for round in 0..2 {
                let x: Vec<f32> = (0..n)
                    .map(|j| ((j * 5 + round) % 13) as f32 / 13.0 - 0.45)
                    .collect();
                let (mut gr, mut gi) = (vec![9.0f32; n / 2 + 1], vec![9.0f32; n / 2 + 1]);
                sf.forward(&x, &vec![1.0; n], &mut gr, &mut gi, &mut w);
                let mut want = vec![Complex::default(); n / 2 + 1];
                r2c.process(&mut x.clone(), &mut want).unwrap();
                for (k, b) in want.iter().enumerate() {
                    let a = Complex::new(gr[k], gi[k]);
                    assert!((a - b).norm() < 1e-4, "fwd n={n} k={k}: {a} vs {b}");
                }
                // Inverse of an arbitrary spectrum (DC/Nyquist imaginary parts ignored).
                let spec: Vec<Complex<f32>> = (0..n / 2 + 1)
                    .map(|k| Complex::new((k as f32 * 0.7).sin(), (k as f32 * 1.3).cos()))
                    .collect();
                let mut out = vec![7.0f32; n];
                let sr: Vec<f32> = spec.iter().map(|c| c.re).collect();
                let si: Vec<f32> = spec.iter().map(|c| c.im).collect();
                let window: Vec<f32> = (0..n).map(|j| 0.5 + j as f32 / n as f32).collect();
                sf.inverse_add(&sr, &si, &window, &mut out, &mut w);
                let mut s2 = spec.clone();
                s2[0].im = 0.0;
                if n.is_multiple_of(2) {
                    s2[n / 2].im = 0.0;
                }
                let mut want_t = vec![0.0f32; n];
                c2r.process(&mut s2, &mut want_t).unwrap();
                for (j, (a, b)) in out.iter().zip(&want_t).enumerate() {
                    let want = 7.0 + b * window[j];
                    assert!((a - want).abs() < 1e-3, "inv n={n} j={j}: {a} vs {want}");
                }
            }
        }
    }
}
