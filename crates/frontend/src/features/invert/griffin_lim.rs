//! Linear magnitude → audio: fast Griffin-Lim (librosa's `griffinlim`, vectorised).

use ndarray::ArrayView2;
use rand::Rng;

use super::MelInverter;
use crate::features::FeatureError;
use crate::features::rfft::SpecWork;

impl MelInverter {
    /// Fast Griffin-Lim from a linear magnitude `[n_bins, frames]`.
    pub fn griffin_lim<R: Rng + ?Sized>(
        &self,
        magnitude: ArrayView2<f32>,
        rng: &mut R,
    ) -> Result<Vec<f32>, FeatureError> {
        let n_bins = self.cfg.n_bins();
        let (rows, frames) = magnitude.dim();
        if rows != n_bins || frames == 0 {
            return Err(FeatureError::Shape {
                expected: format!("[{n_bins}, frames ≥ 1] magnitude"),
                actual: format!("[{rows}, {frames}]"),
            });
        }
        let n_fft = self.cfg.n_fft;
        let hop = self.cfg.hop_length;
        let half = if self.cfg.center { n_fft / 2 } else { 0 };
        let span = n_fft + hop * (frames - 1);
        let len = self.opts.length.unwrap_or(span - 2 * half);
        let buf_len = span.max(half + len);

        // Frame-major magnitude and complex spectra: [frames][n_bins].
        let mut s = vec![0f32; frames * n_bins];
        for (t, col) in magnitude.columns().into_iter().enumerate() {
            for (d, &v) in s[t * n_bins..(t + 1) * n_bins].iter_mut().zip(col) {
                *d = v;
            }
        }
        // Spectra are kept as separate real and imaginary planes, frame-major
        // [frames][n_bins]. `p` holds the previous rebuilt STFT; it starts as the initial
        // estimate S·e^{iφ} (librosa's `angles *= S`) with random phases, uniform on
        // [0, 2π) as librosa's init="random": the uniforms are drawn first, then mapped to
        // unit phasors in a separate (vectorisable) loop.
        let n = frames * n_bins;
        let (mut p_re, mut p_im) = (vec![0f32; n], vec![0f32; n]);
        p_im.iter_mut().for_each(|u| *u = rng.random::<f32>());
        for ((re, im), &m) in p_re.iter_mut().zip(p_im.iter_mut()).zip(&s) {
            let (cos, sin) = unit_phasor(*im);
            *re = m * cos;
            *im = m * sin;
        }

        // Per-sample gain of the overlap-add: 1 / (n_fft · Σ w²) inside the signal, 0 in
        // the centring pad (which librosa trims and re-pads with zeros each iteration).
        let mut wss = vec![0f32; buf_len];
        for t in 0..frames {
            for (a, &w) in wss[t * hop..t * hop + n_fft].iter_mut().zip(&self.window) {
                *a += w * w;
            }
        }
        let tiny = f32::MIN_POSITIVE;
        let gain: Vec<f32> = wss
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let inside = i >= half && i < half + len;
                match (inside, w > tiny) {
                    (true, true) => 1.0 / (n_fft as f32 * w),
                    (true, false) => 1.0 / n_fft as f32,
                    _ => 0.0,
                }
            })
            .collect();

        let mut st = GlState {
            s,
            p_re,
            p_im,
            gain,
            y: vec![0f32; buf_len],
            y_next: vec![0f32; buf_len],
            work: self.fft.work(n_fft),
            frames,
            f_re: vec![0f32; n_bins],
            f_im: vec![0f32; n_bins],
            a_re: vec![0f32; n_bins],
            a_im: vec![0f32; n_bins],
        };
        self.gl_dispatch(&mut st);
        let y = st.y;
        let mut out = y[half..].to_vec();
        out.resize(len, 0.0);
        Ok(out)
    }

    /// Runs the Griffin-Lim iterations and the final ISTFT (into `st.y`), compiled for
    /// AVX2 + FMA when the CPU has them.
    fn gl_dispatch(&self, st: &mut GlState) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { self.gl_avx2(st) };
            return;
        }
        self.gl_iterations(st);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn gl_avx2(&self, st: &mut GlState) {
        self.gl_iterations(st);
    }

    /// `y = ISTFT(p)`, then per iteration and frame by frame: `f = STFT(y)_t`,
    /// `a = S · v / |v|` with `v = f − α/(1+α) · p_t` (no momentum in the first
    /// iteration), `p_t = f`, and `ISTFT(a)_t` is overlap-added into the next `y`. This is
    /// librosa's loop with the ISTFT of one iteration fused into the STFT of the next, so
    /// each frame's spectra stay in cache.
    #[inline(always)]
    fn gl_iterations(&self, st: &mut GlState) {
        let GlState {
            s,
            p_re,
            p_im,
            gain,
            y,
            y_next,
            work,
            frames,
            f_re,
            f_im,
            a_re,
            a_im,
        } = st;
        let n_bins = self.cfg.n_bins();
        let (n_fft, hop) = (self.cfg.n_fft, self.cfg.hop_length);
        let alpha = self.opts.momentum / (1.0 + self.opts.momentum);
        self.istft(p_re, p_im, y, gain, work);
        for it in 0..self.opts.n_iter {
            let c = if it == 0 { 0.0 } else { alpha };
            y_next.fill(0.0);
            for t in 0..*frames {
                let span = t * hop..t * hop + n_fft;
                let bins = t * n_bins..(t + 1) * n_bins;
                self.fft
                    .forward(&y[span.clone()], &self.window, f_re, f_im, work);
                let prev = p_re[bins.clone()].iter_mut().zip(&mut p_im[bins.clone()]);
                let rebuilt = f_re.iter().zip(f_im.iter());
                let next = a_re.iter_mut().zip(a_im.iter_mut());
                for ((((pr, pi), (&fr, &fi)), (ar, ai)), &m) in
                    prev.zip(rebuilt).zip(next).zip(&s[bins])
                {
                    let (vr, vi) = (fr - c * *pr, fi - c * *pi);
                    let scale = m * rsqrt(vr * vr + vi * vi + TINY_NORM);
                    *ar = vr * scale;
                    *ai = vi * scale;
                    *pr = fr;
                    *pi = fi;
                }
                self.fft
                    .inverse_add(a_re, a_im, &self.window, &mut y_next[span], work);
            }
            for (v, &g) in y_next.iter_mut().zip(gain.iter()) {
                *v *= g;
            }
            std::mem::swap(y, y_next);
        }
    }

    /// Overlap-adds the inverse FFTs of the spectra `(re, im)` (frame-major) into `y`,
    /// normalised by `gain`.
    #[inline(always)]
    fn istft(&self, re: &[f32], im: &[f32], y: &mut [f32], gain: &[f32], work: &mut SpecWork) {
        let n_bins = self.cfg.n_bins();
        let (n_fft, hop) = (self.cfg.n_fft, self.cfg.hop_length);
        y.fill(0.0);
        for (t, (xr, xi)) in re
            .chunks_exact(n_bins)
            .zip(im.chunks_exact(n_bins))
            .enumerate()
        {
            let dst = &mut y[t * hop..t * hop + n_fft];
            self.fft.inverse_add(xr, xi, &self.window, dst, work);
        }
        for (v, &g) in y.iter_mut().zip(gain) {
            *v *= g;
        }
    }
}

/// Added to `|v|²` before [`rsqrt`] (librosa adds `tiny(f32)` to `|v|`): a zero
/// spectrum stays zero instead of becoming NaN.
pub(super) const TINY_NORM: f32 = 1e-35;

/// `1/√x` for a normal positive `x`, within 5e-6 relative: the classic bit-level estimate
/// and two Newton steps, branch-free so that the Griffin-Lim update vectorises (a `sqrt` and
/// a division cost four times as much there).
#[inline(always)]
pub(super) fn rsqrt(x: f32) -> f32 {
    let y = f32::from_bits(0x5f37_5a86 - (x.to_bits() >> 1));
    let y = y * (1.5 - 0.5 * x * y * y);
    y * (1.5 - 0.5 * x * y * y)
}

/// `(cos 2πu, sin 2πu)` for `u ∈ [0, 1)`, within 2e-6 of the exact values: a Taylor
/// polynomial of the half angle `x = π(u − ½) ∈ [−π/2, π/2)`, then the double-angle
/// formulas (`2πu = 2x + π`, so `cos 2πu = −cos 2x` and `sin 2πu = −sin 2x`).
#[inline(always)]
pub(super) fn unit_phasor(u: f32) -> (f32, f32) {
    let x = std::f32::consts::PI * (u - 0.5);
    let x2 = x * x;
    let s = x
        * (1.0
            - x2 / 6.0
                * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0 * (1.0 - x2 / 110.0)))));
    let c = 1.0
        - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0 * (1.0 - x2 / 90.0))));
    // cos 2x = c² − s², sin 2x = 2sc
    (s * s - c * c, -2.0 * s * c)
}

/// The buffers of one Griffin-Lim run (spectra frame-major, `[frames][n_bins]`).
struct GlState {
    /// Target magnitude.
    s: Vec<f32>,
    /// The previous rebuilt STFT (initially the starting estimate `S·e^{iφ}`).
    p_re: Vec<f32>,
    p_im: Vec<f32>,
    /// Overlap-add normalisation per sample of the padded signal.
    gain: Vec<f32>,
    /// The padded-domain signal, and the next one being overlap-added.
    y: Vec<f32>,
    y_next: Vec<f32>,
    work: SpecWork,
    frames: usize,
    /// One frame's rebuilt spectrum and its new estimate.
    f_re: Vec<f32>,
    f_im: Vec<f32>,
    a_re: Vec<f32>,
    a_im: Vec<f32>,
}
