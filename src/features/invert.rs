//! Log-mel inversion for listening: dB → mel power → linear magnitude by non-negative
//! least squares → audio by fast Griffin-Lim (librosa's `mel_to_audio`, made fast).
//!
//! - **Mel → linear.** Each frame solves `min ½‖B x − m‖²` subject to `x ≥ 0`, where `B`
//!   is the mel filterbank `[n_mels, n_bins]` and `m` the frame's mel power, with FISTA
//!   (accelerated projected gradient, step `1/L`, `L = λ_max(B Bᵀ)`; 8 frames at a time)
//!   started from the clipped pseudo-inverse `max(0, B⁺ m)`, as librosa's `nnls` starts
//!   its L-BFGS-B. The magnitude is `x^(1/power)`.
//! - **Phase.** Fast Griffin-Lim (Perraudin et al. 2013) exactly as `librosa.griffinlim`:
//!   random initial phase from the caller's RNG, `n_iter` iterations of ISTFT → STFT with
//!   momentum `α` applied as `c ← c_new − α/(1+α) · c_prev`, then a final ISTFT. The ISTFT
//!   uses the analysis window with window-sum-square normalisation and the same centring.
//! - **Speed.** Spectra are kept as separate real and imaginary planes, real FFTs go through
//!   half-length complex FFTs (RustFFT), and the NNLS works on all frames at once, so the
//!   loops vectorise. On x86-64 the NNLS and Griffin-Lim loops are also compiled for
//!   AVX2 + FMA and picked at run time; the two builds agree to rounding (the same seed
//!   gives the same audio on one machine).
//!
//! ```
//! use randommix::features::{GriffinLimConfig, MelConfig, MelFrontend, mel_to_audio};
//! use rand::SeedableRng;
//!
//! let cfg = MelConfig::default();
//! let tone: Vec<f32> = (0..16_000).map(|i| (i as f32 * 0.2).sin() * 0.3).collect();
//! let logmel = MelFrontend::new(&cfg).unwrap().compute(&tone);
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let audio = mel_to_audio(logmel.view(), &cfg, &GriffinLimConfig::default(), &mut rng).unwrap();
//! assert_eq!(audio.len(), 16_000);
//! ```

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::filterbank::{Filterbank, mel_filterbank_dense};
use super::frontend::hann_periodic;
use super::rfft::{SpecFft, SpecWork};
use super::{FeatureError, MelConfig};

/// Griffin-Lim and NNLS settings. Defaults: 32 iterations, momentum 0.99 (librosa's
/// defaults), 30 FISTA iterations for the NNLS, output length `hop · (frames − 1)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GriffinLimConfig {
    /// Griffin-Lim iterations.
    pub n_iter: usize,
    /// Fast Griffin-Lim momentum α in `[0, 1]` (0 = plain Griffin-Lim).
    pub momentum: f32,
    /// FISTA iterations of the mel → linear NNLS, per frame (0 = clipped pseudo-inverse).
    pub nnls_iter: usize,
    /// Output length in samples; `None` gives `hop · (frames − 1)` when centred
    /// (16 000 for 101 frames), `n_fft + hop · (frames − 1)` otherwise.
    pub length: Option<usize>,
}

impl Default for GriffinLimConfig {
    fn default() -> Self {
        GriffinLimConfig {
            n_iter: 32,
            momentum: 0.99,
            nnls_iter: 30,
            length: None,
        }
    }
}

const MAX_ITER: usize = 100_000;
/// Longest output accepted (2^28 samples, about 4.7 hours at 16 kHz).
const MAX_LENGTH: usize = 1 << 28;

impl GriffinLimConfig {
    /// Checks the fields; the error names the first bad one.
    pub fn validate(&self) -> Result<(), FeatureError> {
        let bad = |field, problem: String| Err(FeatureError::InvalidConfig { field, problem });
        if self.n_iter > MAX_ITER {
            return bad(
                "n_iter",
                format!("is {}, must be at most {MAX_ITER}", self.n_iter),
            );
        }
        if self.nnls_iter > MAX_ITER {
            return bad(
                "nnls_iter",
                format!("is {}, must be at most {MAX_ITER}", self.nnls_iter),
            );
        }
        if let Some(len) = self.length
            && len > MAX_LENGTH
        {
            return bad("length", format!("is {len}, must be at most {MAX_LENGTH}"));
        }
        if !(0.0..=1.0).contains(&self.momentum) {
            return bad(
                "momentum",
                format!("is {}, must be in [0, 1]", self.momentum),
            );
        }
        Ok(())
    }
}

/// A reusable mel inverter: FFT plans, window, filterbank, its pseudo-inverse and Lipschitz
/// constant, computed once.
#[derive(Clone)]
pub struct MelInverter {
    cfg: MelConfig,
    opts: GriffinLimConfig,
    fft: SpecFft,
    /// Analysis window padded to n_fft.
    window: Vec<f32>,
    bank: Filterbank,
    /// The filterbank by columns: bin `k` lies in bands
    /// `bins_to_bands[bin_offsets[k]..bin_offsets[k + 1]]` as (band, weight).
    bins_to_bands: Vec<(u32, f32)>,
    bin_offsets: Vec<usize>,
    /// Pseudo-inverse of the filterbank, `[n_bins, n_mels]` row-major.
    pinv: Vec<f32>,
    /// 1 / λ_max(B Bᵀ).
    step: f32,
}

impl std::fmt::Debug for MelInverter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MelInverter")
            .field("cfg", &self.cfg)
            .field("opts", &self.opts)
            .finish_non_exhaustive()
    }
}

impl MelInverter {
    /// Validates both configurations and precomputes what inversion needs.
    pub fn new(cfg: &MelConfig, opts: &GriffinLimConfig) -> Result<MelInverter, FeatureError> {
        cfg.validate()?;
        opts.validate()?;
        let dense = mel_filterbank_dense(cfg);
        let (pinv, lmax) = pinv_and_lmax(&dense);
        let mut window = vec![0f32; cfg.n_fft];
        let off = (cfg.n_fft - cfg.win_length) / 2;
        for (w, v) in window[off..].iter_mut().zip(hann_periodic(cfg.win_length)) {
            *w = v as f32;
        }
        let mut bin_offsets = vec![0usize];
        let mut bins_to_bands = Vec::new();
        for col in dense.columns() {
            for (m, &w) in col.iter().enumerate() {
                if w != 0.0 {
                    bins_to_bands.push((m as u32, w));
                }
            }
            bin_offsets.push(bins_to_bands.len());
        }
        Ok(MelInverter {
            cfg: cfg.clone(),
            bins_to_bands,
            bin_offsets,
            opts: opts.clone(),
            fft: SpecFft::new(cfg.n_fft),
            window,
            bank: Filterbank::from_dense(&dense),
            pinv,
            step: if lmax > 0.0 { (1.0 / lmax) as f32 } else { 0.0 },
        })
    }

    /// Linear magnitude `[n_bins, frames]` from a log-mel `[n_mels, frames]` in dB.
    ///
    /// All frames are solved together: every array is `[rows, frames]` with frames
    /// contiguous, so each step of FISTA is a vector loop over the frames.
    pub fn mel_to_magnitude(&self, logmel: ArrayView2<f32>) -> Result<Array2<f32>, FeatureError> {
        let (n_mels, frames) = logmel.dim();
        if n_mels != self.cfg.n_mels {
            return Err(FeatureError::Shape {
                expected: format!("{} mel bands", self.cfg.n_mels),
                actual: format!("{n_mels} rows (shape [{n_mels}, {frames}])"),
            });
        }
        let n_bins = self.cfg.n_bins();
        // Rows padded to a multiple of 8 frames (zeros, which stay zero) so that the vector
        // loops have no remainder.
        let fp = frames.next_multiple_of(8);
        let mut mel = vec![0f32; n_mels * fp];
        for (dst, row) in mel.chunks_exact_mut(fp.max(1)).zip(logmel.rows()) {
            for (d, &v) in dst.iter_mut().zip(row) {
                *d = 10f32.powf(v / 10.0);
            }
        }
        let mut xp = vec![0f32; n_bins * fp];
        if fp > 0 {
            self.nnls(&mel, &mut xp, fp);
        }
        let inv_power = 1.0 / self.cfg.power;
        let f = frames;
        let mut x = Vec::with_capacity(n_bins * f);
        for row in xp.chunks_exact(fp.max(1)) {
            if inv_power == 0.5 {
                x.extend(row[..f].iter().map(|v| v.sqrt()));
            } else {
                x.extend(row[..f].iter().map(|v| v.powf(inv_power)));
            }
        }
        Array2::from_shape_vec((n_bins, f), x).map_err(|e| FeatureError::Shape {
            expected: format!("[{n_bins}, {f}]"),
            actual: e.to_string(),
        })
    }

    /// Non-negative least squares `min ½‖B x − m‖²`, `x ≥ 0`, for every frame at once:
    /// `mel` is `[n_mels, f]`, `x` receives `[n_bins, f]`.
    ///
    /// FISTA from the clipped pseudo-inverse; each iteration computes `r = B y − m`,
    /// `x' = max(0, y − Bᵀr / L)`, `y = x' + β (x' − x)`, `x = x'`. `Bᵀ` is applied bin by
    /// bin (a bin lies in at most a few bands), fused with the updates. The momentum is
    /// shared by all frames, so every loop is a plain vector loop over frames.
    fn nnls(&self, mel: &[f32], x: &mut [f32], f: usize) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            // SAFETY: the CPU supports AVX2 and FMA, checked just above.
            unsafe { self.nnls_avx2(mel, x, f) };
            return;
        }
        self.nnls_body(mel, x, f);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn nnls_avx2(&self, mel: &[f32], x: &mut [f32], f: usize) {
        self.nnls_body(mel, x, f);
    }

    #[inline(always)]
    fn nnls_body(&self, mel: &[f32], x: &mut [f32], f: usize) {
        let n_mels = self.cfg.n_mels;
        for (k, xk) in x.chunks_exact_mut(f).enumerate() {
            let row = &self.pinv[k * n_mels..(k + 1) * n_mels];
            for (&p, mm) in row.iter().zip(mel.chunks_exact(f)) {
                if p != 0.0 {
                    axpy(xk, p, mm);
                }
            }
            relu(xk);
        }
        if self.opts.nnls_iter == 0 {
            return;
        }
        let mut y = x.to_vec();
        let mut r = vec![0f32; n_mels * f];
        let mut g = vec![0f32; f];
        let step = self.step;
        let mut t = 1.0f32;
        for _ in 0..self.opts.nnls_iter {
            let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
            let beta = (t - 1.0) / t_next;
            t = t_next;
            for ((rm, (start, w)), mm) in r
                .chunks_exact_mut(f)
                .zip(self.bank.bands())
                .zip(mel.chunks_exact(f))
            {
                for (d, &v) in rm.iter_mut().zip(mm) {
                    *d = -v;
                }
                for (&wk, yk) in w.iter().zip(y[start * f..].chunks_exact(f)) {
                    axpy(rm, wk, yk);
                }
            }
            for (k, (xk, yk)) in x.chunks_exact_mut(f).zip(y.chunks_exact_mut(f)).enumerate() {
                g.fill(0.0);
                for &(m, w) in &self.bins_to_bands[self.bin_offsets[k]..self.bin_offsets[k + 1]] {
                    let m = m as usize;
                    axpy(&mut g, w, &r[m * f..(m + 1) * f]);
                }
                for ((xv, yv), &gv) in xk.iter_mut().zip(yk.iter_mut()).zip(&g) {
                    let v = *yv - step * gv;
                    // A plain select (not f32::max) so that the loop vectorises.
                    let new = if v > 0.0 { v } else { 0.0 };
                    *yv = new + beta * (new - *xv);
                    *xv = new;
                }
            }
        }
    }

    /// Audio from a log-mel `[n_mels, frames]` in dB: NNLS then fast Griffin-Lim with random
    /// initial phases drawn from `rng`.
    pub fn invert<R: Rng + ?Sized>(
        &self,
        logmel: ArrayView2<f32>,
        rng: &mut R,
    ) -> Result<Vec<f32>, FeatureError> {
        let mag = self.mel_to_magnitude(logmel)?;
        self.griffin_lim(mag.view(), rng)
    }

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
const TINY_NORM: f32 = 1e-35;

/// `1/√x` for a normal positive `x`, within 5e-6 relative: the classic bit-level estimate
/// and two Newton steps, branch-free so that the Griffin-Lim update vectorises (a `sqrt` and
/// a division cost four times as much there).
#[inline(always)]
fn rsqrt(x: f32) -> f32 {
    let y = f32::from_bits(0x5f37_5a86 - (x.to_bits() >> 1));
    let y = y * (1.5 - 0.5 * x * y * y);
    y * (1.5 - 0.5 * x * y * y)
}

/// `(cos 2πu, sin 2πu)` for `u ∈ [0, 1)`, within 2e-6 of the exact values: a Taylor
/// polynomial of the half angle `x = π(u − ½) ∈ [−π/2, π/2)`, then the double-angle
/// formulas (`2πu = 2x + π`, so `cos 2πu = −cos 2x` and `sin 2πu = −sin 2x`).
#[inline(always)]
fn unit_phasor(u: f32) -> (f32, f32) {
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

/// `dst += a · src`.
#[inline(always)]
fn axpy(dst: &mut [f32], a: f32, src: &[f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += a * s;
    }
}

/// `v = max(0, v)` element-wise (a select, so that it vectorises).
#[inline(always)]
fn relu(v: &mut [f32]) {
    for x in v {
        *x = if *x > 0.0 { *x } else { 0.0 };
    }
}

/// Pseudo-inverse `[n_bins, n_mels]` (row-major, f32) of the filterbank `B`, and an upper
/// estimate of `λ_max(B Bᵀ)`, in f64. `B⁺ = Bᵀ (B Bᵀ)⁻¹` through a Cholesky factorisation
/// when `B` has full row rank (every band holds at least one bin), otherwise through the
/// eigen-decomposition of `B Bᵀ`, dropping eigenvalues below `1e-13 · λ_max` (numpy's
/// `pinv` drops singular values below `1e-15 · σ_max`).
fn pinv_and_lmax(b: &Array2<f32>) -> (Vec<f32>, f64) {
    let (n_mels, n_bins) = b.dim();
    let rows: Vec<Vec<f64>> = b
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect();
    let mut g = vec![0f64; n_mels * n_mels];
    for i in 0..n_mels {
        for j in 0..=i {
            let v: f64 = rows[i].iter().zip(&rows[j]).map(|(x, y)| x * y).sum();
            g[i * n_mels + j] = v;
            g[j * n_mels + i] = v;
        }
    }
    let lmax = power_iteration(&g, n_mels) * 1.01;
    let mut p = vec![0f32; n_bins * n_mels];
    if let Some(l) = cholesky(&g, n_mels) {
        // Column k of X = G⁻¹ B solves L Lᵀ x = B[:, k]; B⁺[k, :] = xᵀ.
        let mut x = vec![0f64; n_mels];
        for k in 0..n_bins {
            for i in 0..n_mels {
                let s: f64 = (0..i).map(|j| l[i * n_mels + j] * x[j]).sum();
                x[i] = (rows[i][k] - s) / l[i * n_mels + i];
            }
            for i in (0..n_mels).rev() {
                let s: f64 = (i + 1..n_mels).map(|j| l[j * n_mels + i] * x[j]).sum();
                x[i] = (x[i] - s) / l[i * n_mels + i];
            }
            for (d, &v) in p[k * n_mels..(k + 1) * n_mels].iter_mut().zip(&x) {
                *d = v as f32;
            }
        }
        return (p, lmax);
    }
    let (vals, vecs) = sym_eigen(
        Array2::from_shape_vec((n_mels, n_mels), g)
            .unwrap_or_else(|_| Array2::zeros((n_mels, n_mels))),
    );
    let top = vals.iter().copied().fold(0.0, f64::max);
    let cutoff = top * 1e-13;
    // G⁺ = V diag(1/λ) Vᵀ, then B⁺ = Bᵀ G⁺.
    let mut gp = vec![0f64; n_mels * n_mels];
    for (e, &lam) in vals.iter().enumerate() {
        if lam > cutoff {
            let v = vecs.column(e);
            for i in 0..n_mels {
                for j in 0..n_mels {
                    gp[i * n_mels + j] += v[i] * v[j] / lam;
                }
            }
        }
    }
    for k in 0..n_bins {
        for j in 0..n_mels {
            let v: f64 = (0..n_mels).map(|i| rows[i][k] * gp[i * n_mels + j]).sum();
            p[k * n_mels + j] = v as f32;
        }
    }
    (p, lmax)
}

/// Largest eigenvalue of a symmetric non-negative matrix (row-major, `n × n`) by power
/// iteration from the all-ones vector (the Perron vector is non-negative).
fn power_iteration(g: &[f64], n: usize) -> f64 {
    let mut v = vec![1.0 / (n as f64).sqrt(); n];
    let mut w = vec![0f64; n];
    let mut lambda = 0.0;
    for _ in 0..500 {
        for (i, wi) in w.iter_mut().enumerate() {
            *wi = g[i * n..(i + 1) * n]
                .iter()
                .zip(&v)
                .map(|(a, b)| a * b)
                .sum();
        }
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 {
            return 0.0;
        }
        let next = v.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>();
        for (vi, wi) in v.iter_mut().zip(&w) {
            *vi = wi / norm;
        }
        if (next - lambda).abs() <= 1e-9 * next {
            return next;
        }
        lambda = next;
    }
    lambda
}

/// Lower Cholesky factor of a symmetric matrix (row-major), or `None` if it is not
/// numerically positive definite.
fn cholesky(g: &[f64], n: usize) -> Option<Vec<f64>> {
    let max_diag = (0..n).map(|i| g[i * n + i]).fold(0.0, f64::max);
    let mut l = vec![0f64; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let d = g[i * n + i] - s;
                // Also catches NaN.
                if d.partial_cmp(&(1e-12 * max_diag)) != Some(std::cmp::Ordering::Greater) {
                    return None;
                }
                l[i * n + i] = d.sqrt();
            } else {
                l[i * n + j] = (g[i * n + j] - s) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations.
fn sym_eigen(a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    // Row-major copies: a[i * n + j].
    let mut a: Vec<f64> = a.iter().copied().collect();
    let mut v = vec![0f64; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..100 {
        let mut off = 0.0;
        let mut diag = 0.0;
        for i in 0..n {
            for j in 0..n {
                let x = a[i * n + j] * a[i * n + j];
                if i == j {
                    diag += x;
                } else {
                    off += x;
                }
            }
        }
        if off <= 1e-30 * diag || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = if theta == 0.0 {
                    1.0
                } else {
                    theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt())
                };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // Columns p and q, then rows p and q (A ← Jᵀ A J), then V ← V J.
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                // p < q, so row p lies before row q.
                let (lo, hi) = a.split_at_mut(q * n);
                let (rp, rq) = (&mut lo[p * n..(p + 1) * n], &mut hi[..n]);
                for (x, y) in rp.iter_mut().zip(rq.iter_mut()) {
                    let (apk, aqk) = (*x, *y);
                    *x = c * apk - s * aqk;
                    *y = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let vals = (0..n).map(|i| a[i * n + i]).collect();
    let vecs = Array2::from_shape_vec((n, n), v).unwrap_or_else(|_| Array2::eye(n));
    (vals, vecs)
}

/// Inverts a log-mel `[n_mels, frames]` (dB, as computed with `cfg`) to audio: see the
/// [module docs](self). Builds a [`MelInverter`]; keep one to invert many clips.
pub fn mel_to_audio<R: Rng + ?Sized>(
    logmel: ArrayView2<f32>,
    cfg: &MelConfig,
    opts: &GriffinLimConfig,
    rng: &mut R,
) -> Result<Vec<f32>, FeatureError> {
    MelInverter::new(cfg, opts)?.invert(logmel, rng)
}

/// STFT magnitude `|X|` `[n_bins, frames]` of `samples` with `cfg`'s window, hop and
/// centring (power 1, no mel).
pub fn stft_magnitude(samples: &[f32], cfg: &MelConfig) -> Result<Array2<f32>, FeatureError> {
    cfg.validate()?;
    let n_fft = cfg.n_fft;
    let n_bins = cfg.n_bins();
    let fft = SpecFft::new(n_fft);
    let mut work = fft.work(n_fft);
    let mut window = vec![0f32; n_fft];
    let off = (n_fft - cfg.win_length) / 2;
    for (w, v) in window[off..].iter_mut().zip(hann_periodic(cfg.win_length)) {
        *w = v as f32;
    }
    let frames = cfg.n_frames(samples.len());
    let half = if cfg.center { n_fft / 2 } else { 0 };
    let mut out = Array2::zeros((n_bins, frames));
    let mut frame = vec![0f32; n_fft];
    let (mut sr, mut si) = (vec![0f32; n_bins], vec![0f32; n_bins]);
    for t in 0..frames {
        for (j, f) in frame.iter_mut().enumerate() {
            let i = (t * cfg.hop_length + j) as isize - half as isize;
            *f = if i >= 0 && (i as usize) < samples.len() {
                samples[i as usize]
            } else {
                0.0
            };
        }
        fft.forward(&frame, &window, &mut sr, &mut si, &mut work);
        for ((o, &r), &i) in out.column_mut(t).iter_mut().zip(&sr).zip(&si) {
            *o = (r * r + i * i).sqrt();
        }
    }
    Ok(out)
}

/// Spectral convergence `‖S_target − |STFT(y)|‖_F / ‖S_target‖_F` of `audio` against a
/// target magnitude `[n_bins, frames]`, with `cfg`'s STFT. Frames missing on either side
/// count as zeros. Returns 0 for an all-zero target and a zero signal.
pub fn spectral_convergence(
    target_mag: ArrayView2<f32>,
    audio: &[f32],
    cfg: &MelConfig,
) -> Result<f32, FeatureError> {
    let got = stft_magnitude(audio, cfg)?;
    if target_mag.nrows() != got.nrows() {
        return Err(FeatureError::Shape {
            expected: format!("{} frequency bins", got.nrows()),
            actual: format!("{} rows", target_mag.nrows()),
        });
    }
    let frames = target_mag.ncols().max(got.ncols());
    let (mut num, mut den) = (0f64, 0f64);
    for t in 0..frames {
        for k in 0..got.nrows() {
            let a = target_mag.get((k, t)).copied().unwrap_or(0.0) as f64;
            let b = got.get((k, t)).copied().unwrap_or(0.0) as f64;
            num += (a - b) * (a - b);
            den += a * a;
        }
    }
    Ok(if den > 0.0 {
        (num / den).sqrt() as f32
    } else if num > 0.0 {
        f32::INFINITY
    } else {
        0.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsqrt_is_accurate() {
        let mut x = 1e-30f32;
        while x < 1e30 {
            let exact = 1.0 / f64::from(x).sqrt();
            let rel = (f64::from(rsqrt(x)) - exact).abs() / exact;
            assert!(rel < 5e-6, "{x}: {rel}");
            x *= 1.0137;
        }
        assert!(rsqrt(TINY_NORM).is_finite());
    }

    #[test]
    fn unit_phasor_is_accurate() {
        for i in 0..10_000 {
            let u = i as f32 / 10_000.0;
            let (c, s) = unit_phasor(u);
            let (es, ec) = (std::f64::consts::TAU * f64::from(u)).sin_cos();
            assert!((f64::from(c) - ec).abs() < 2e-6, "cos at {u}");
            assert!((f64::from(s) - es).abs() < 2e-6, "sin at {u}");
        }
    }

    #[test]
    fn jacobi_diagonalises() {
        let a = ndarray::arr2(&[[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]]);
        let (vals, vecs) = sym_eigen(a.clone());
        let recon = vecs
            .dot(&Array2::from_diag(&ndarray::arr1(&vals)))
            .dot(&vecs.t());
        for (x, y) in recon.iter().zip(a.iter()) {
            assert!((x - y).abs() < 1e-12);
        }
    }

    #[test]
    fn pinv_is_a_right_inverse() {
        let cfg = MelConfig::default();
        let b = mel_filterbank_dense(&cfg);
        let (p, lmax) = pinv_and_lmax(&b);
        assert!(lmax > 0.0);
        let p = Array2::from_shape_vec((cfg.n_bins(), cfg.n_mels), p).unwrap();
        let bp = b.mapv(f64::from).dot(&p.mapv(f64::from));
        for ((i, j), &v) in bp.indexed_iter() {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((v - want).abs() < 1e-4, "({i},{j}) {v}");
        }
    }

    #[test]
    fn pinv_handles_empty_bands() {
        // 128 bands on a 256-point FFT: the lowest bands hold no bin, so B B^T is singular
        // and the eigen-decomposition path is taken.
        let cfg = MelConfig {
            n_fft: 256,
            win_length: 256,
            n_mels: 128,
            ..Default::default()
        };
        let b = mel_filterbank_dense(&cfg);
        assert!(b.rows().into_iter().any(|r| r.iter().all(|&v| v == 0.0)));
        let (p, lmax) = pinv_and_lmax(&b);
        assert!(lmax > 0.0 && p.iter().all(|v| v.is_finite()));
        let p = Array2::from_shape_vec((cfg.n_bins(), cfg.n_mels), p).unwrap();
        // B B⁺ B = B
        let b64 = b.mapv(f64::from);
        let bpb = b64.dot(&p.mapv(f64::from)).dot(&b64);
        let peak = b64.iter().copied().fold(0.0, f64::max);
        for (x, y) in bpb.iter().zip(b64.iter()) {
            assert!((x - y).abs() < 1e-4 * peak, "{x} vs {y}");
        }
    }

    #[test]
    fn lmax_matches_jacobi() {
        let b = mel_filterbank_dense(&MelConfig::default());
        let (_, lmax) = pinv_and_lmax(&b);
        let b64 = b.mapv(f64::from);
        let (vals, _) = sym_eigen(b64.dot(&b64.t()));
        let top = vals.iter().copied().fold(0.0, f64::max);
        assert!(lmax >= top && lmax <= 1.02 * top, "{lmax} vs {top}");
    }

    #[test]
    fn nnls_fits_a_nonnegative_spectrum() {
        let cfg = MelConfig::default();
        let inv = MelInverter::new(
            &cfg,
            &GriffinLimConfig {
                nnls_iter: 200,
                ..Default::default()
            },
        )
        .unwrap();
        let b = mel_filterbank_dense(&cfg);
        let x: Vec<f32> = (0..cfg.n_bins())
            .map(|k| 1.0 + (k as f32 * 0.3).sin())
            .collect();
        let m = b.dot(&ndarray::Array1::from(x.clone()));
        // Frame 3 of 5 holds the problem, the others silence.
        let f = 5;
        let mut mel = vec![0f32; cfg.n_mels * f];
        for (i, &v) in m.iter().enumerate() {
            mel[i * f + 3] = v;
        }
        let mut xs = vec![0f32; cfg.n_bins() * f];
        inv.nnls(&mel, &mut xs, f);
        assert!(xs.iter().all(|&v| v >= 0.0));
        assert!(xs.chunks_exact(f).all(|c| c[0] == 0.0));
        let x3: Vec<f32> = xs.chunks_exact(f).map(|c| c[3]).collect();
        let fit = b.dot(&ndarray::Array1::from(x3));
        let rel = (&fit - &m).mapv(|v| v * v).sum().sqrt() / m.mapv(|v| v * v).sum().sqrt();
        assert!(rel < 1e-3, "relative residual {rel}");
    }

    #[test]
    fn config_errors_name_the_field() {
        let e = GriffinLimConfig {
            momentum: 1.5,
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("momentum"));
        let e = GriffinLimConfig {
            length: Some(usize::MAX),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        assert!(e.to_string().contains("length"));
    }
}
