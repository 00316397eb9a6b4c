//! Log-mel inversion for listening: dB → mel power → linear magnitude by non-negative
//! least squares → audio by fast Griffin-Lim (librosa's `mel_to_audio`, made fast).
//!
//! - **Mel → linear.** Each frame solves `min ½‖B x − m‖²` subject to `x ≥ 0`, where `B`
//!   is the mel filterbank `[n_mels, n_bins]` and `m` the frame's mel power, with FISTA
//!   (accelerated projected gradient, step `1/L`, `L = λ_max(B Bᵀ)`, adaptive restart)
//!   started from the clipped pseudo-inverse `max(0, B⁺ m)`, as librosa's `nnls` starts
//!   its L-BFGS-B. The magnitude is `x^(1/power)`.
//! - **Phase.** Fast Griffin-Lim (Perraudin et al. 2013) exactly as `librosa.griffinlim`:
//!   random initial phase from the caller's RNG, `n_iter` iterations of ISTFT → STFT with
//!   momentum `α` applied as `c ← c_new − α/(1+α) · c_prev`, then a final ISTFT. The ISTFT
//!   uses the analysis window with window-sum-square normalisation and the same centring.
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

use std::sync::Arc;

use ndarray::{Array2, ArrayView2};
use rand::Rng;
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use serde::{Deserialize, Serialize};

use super::filterbank::{Filterbank, mel_filterbank_dense};
use super::frontend::hann_periodic;
use super::{FeatureError, MelConfig};

/// Griffin-Lim and NNLS settings. Defaults: 32 iterations, momentum 0.99 (librosa's
/// defaults), 50 NNLS iterations per frame, output length `hop · (frames − 1)`.
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
            nnls_iter: 50,
            length: None,
        }
    }
}

const MAX_ITER: usize = 100_000;

impl GriffinLimConfig {
    /// Checks the fields; the error names the first bad one.
    pub fn validate(&self) -> Result<(), FeatureError> {
        let bad = |field, problem: String| Err(FeatureError::InvalidConfig { field, problem });
        if self.n_iter > MAX_ITER {
            return bad("n_iter", format!("is {}, must be at most {MAX_ITER}", self.n_iter));
        }
        if self.nnls_iter > MAX_ITER {
            return bad(
                "nnls_iter",
                format!("is {}, must be at most {MAX_ITER}", self.nnls_iter),
            );
        }
        if !(0.0..=1.0).contains(&self.momentum) {
            return bad("momentum", format!("is {}, must be in [0, 1]", self.momentum));
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
    fwd: Arc<dyn RealToComplex<f32>>,
    inv: Arc<dyn ComplexToReal<f32>>,
    /// Analysis window padded to n_fft.
    window: Vec<f32>,
    bank: Filterbank,
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
        let mut planner = RealFftPlanner::<f32>::new();
        let dense = mel_filterbank_dense(cfg);
        let (pinv, lmax) = pinv_and_lmax(&dense);
        let mut window = vec![0f32; cfg.n_fft];
        let off = (cfg.n_fft - cfg.win_length) / 2;
        for (w, v) in window[off..].iter_mut().zip(hann_periodic(cfg.win_length)) {
            *w = v as f32;
        }
        Ok(MelInverter {
            cfg: cfg.clone(),
            opts: opts.clone(),
            fwd: planner.plan_fft_forward(cfg.n_fft),
            inv: planner.plan_fft_inverse(cfg.n_fft),
            window,
            bank: Filterbank::from_dense(&dense),
            pinv,
            step: if lmax > 0.0 { (1.0 / lmax) as f32 } else { 0.0 },
        })
    }

    /// Linear magnitude `[n_bins, frames]` from a log-mel `[n_mels, frames]` in dB.
    pub fn mel_to_magnitude(&self, logmel: ArrayView2<f32>) -> Result<Array2<f32>, FeatureError> {
        let (n_mels, frames) = logmel.dim();
        if n_mels != self.cfg.n_mels {
            return Err(FeatureError::Shape {
                expected: format!("{} mel bands", self.cfg.n_mels),
                actual: format!("{n_mels} rows (shape [{n_mels}, {frames}])"),
            });
        }
        let n_bins = self.cfg.n_bins();
        let mut out = Array2::<f32>::zeros((n_bins, frames));
        let mut ws = NnlsWork::new(n_mels, n_bins);
        let inv_power = 1.0 / self.cfg.power;
        for t in 0..frames {
            for (m, v) in ws.m.iter_mut().zip(logmel.column(t)) {
                *m = 10f32.powf(v / 10.0);
            }
            self.nnls_frame(&mut ws);
            for (o, &x) in out.column_mut(t).iter_mut().zip(&ws.x) {
                *o = if inv_power == 0.5 {
                    x.sqrt()
                } else {
                    x.powf(inv_power)
                };
            }
        }
        Ok(out)
    }

    /// Solves one frame's NNLS into `ws.x` from `ws.m`.
    fn nnls_frame(&self, ws: &mut NnlsWork) {
        let n_mels = ws.m.len();
        // x0 = max(0, B⁺ m)
        for (k, x) in ws.x.iter_mut().enumerate() {
            let row = &self.pinv[k * n_mels..(k + 1) * n_mels];
            *x = super::filterbank::dot(row, &ws.m).max(0.0);
        }
        ws.x_prev.copy_from_slice(&ws.x);
        let step = self.step;
        let mut t = 1.0f32;
        for _ in 0..self.opts.nnls_iter {
            let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
            let beta = (t - 1.0) / t_next;
            for ((y, &x), &xp) in ws.y.iter_mut().zip(&ws.x).zip(&ws.x_prev) {
                *y = x + beta * (x - xp);
            }
            // r = B y − m
            self.bank.apply(&ws.y, |m, v| ws.r[m] = v - ws.m[m]);
            // g = Bᵀ r
            ws.g.fill(0.0);
            for (m, (start, w)) in self.bank.bands().enumerate() {
                let r = ws.r[m];
                for (g, &wk) in ws.g[start..start + w.len()].iter_mut().zip(w) {
                    *g += wk * r;
                }
            }
            // x_new = max(0, y − g / L); restart the momentum when it points uphill.
            let mut uphill = 0.0f32;
            for (((xp, x), &y), &g) in ws.x_prev.iter_mut().zip(ws.x.iter_mut()).zip(&ws.y).zip(&ws.g) {
                let new = (y - step * g).max(0.0);
                uphill += (y - new) * (new - *x);
                *xp = *x;
                *x = new;
            }
            t = if uphill > 0.0 { 1.0 } else { t_next };
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
        let tau = std::f32::consts::TAU;
        let mut angles: Vec<Complex<f32>> = s
            .iter()
            .map(|&m| {
                let (sin, cos) = (rng.random::<f32>() * tau).sin_cos();
                Complex::new(m * cos, m * sin)
            })
            .collect();
        let mut rebuilt = vec![Complex::<f32>::default(); frames * n_bins];
        let mut tprev = vec![Complex::<f32>::default(); frames * n_bins];

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

        let mut y = vec![0f32; buf_len];
        let mut frame = vec![0f32; n_fft];
        let mut spec = vec![Complex::<f32>::default(); n_bins];
        let mut scratch_f = vec![Complex::<f32>::default(); self.fwd.get_scratch_len()];
        let mut scratch_i = vec![Complex::<f32>::default(); self.inv.get_scratch_len()];
        let alpha = self.opts.momentum / (1.0 + self.opts.momentum);
        let eps = f32::MIN_POSITIVE;

        for it in 0..self.opts.n_iter {
            self.istft(&angles, &mut y, &gain, &mut frame, &mut spec, &mut scratch_i);
            std::mem::swap(&mut rebuilt, &mut tprev);
            self.stft(&y, frames, &mut rebuilt, &mut frame, &mut scratch_f);
            let a = if it == 0 { 0.0 } else { alpha };
            for (((c, &r), &p), &m) in angles.iter_mut().zip(&rebuilt).zip(&tprev).zip(&s) {
                let v = r - p * a;
                let scale = m / (v.norm() + eps);
                *c = v * scale;
            }
        }
        self.istft(&angles, &mut y, &gain, &mut frame, &mut spec, &mut scratch_i);
        let mut out = y[half..].to_vec();
        out.resize(len, 0.0);
        Ok(out)
    }

    /// Overlap-adds the inverse FFTs of `spectra` (frame-major) into `y`, normalised by
    /// `gain`.
    fn istft(
        &self,
        spectra: &[Complex<f32>],
        y: &mut [f32],
        gain: &[f32],
        frame: &mut [f32],
        spec: &mut [Complex<f32>],
        scratch: &mut [Complex<f32>],
    ) {
        let n_bins = spec.len();
        let hop = self.cfg.hop_length;
        y.fill(0.0);
        for (t, x) in spectra.chunks_exact(n_bins).enumerate() {
            spec.copy_from_slice(x);
            // A real signal's DC and Nyquist bins are real (numpy's irfft ignores the
            // imaginary parts; realfft wants them zero).
            spec[0].im = 0.0;
            if self.cfg.n_fft % 2 == 0 {
                spec[n_bins - 1].im = 0.0;
            }
            let _ = self.inv.process_with_scratch(spec, frame, scratch);
            for ((o, &v), &w) in y[t * hop..].iter_mut().zip(frame.iter()).zip(&self.window) {
                *o += v * w;
            }
        }
        for (v, &g) in y.iter_mut().zip(gain) {
            *v *= g;
        }
    }

    /// Windowed FFT of each frame of the padded-domain signal `y` into `out` (frame-major).
    fn stft(
        &self,
        y: &[f32],
        frames: usize,
        out: &mut [Complex<f32>],
        frame: &mut [f32],
        scratch: &mut [Complex<f32>],
    ) {
        let n_bins = self.cfg.n_bins();
        let (n_fft, hop) = (self.cfg.n_fft, self.cfg.hop_length);
        for (t, o) in out.chunks_exact_mut(n_bins).enumerate().take(frames) {
            let src = &y[t * hop..t * hop + n_fft];
            for ((f, &v), &w) in frame.iter_mut().zip(src).zip(&self.window) {
                *f = v * w;
            }
            let _ = self.fwd.process_with_scratch(frame, o, scratch);
        }
    }
}

/// Work buffers of the per-frame NNLS.
struct NnlsWork {
    m: Vec<f32>,
    r: Vec<f32>,
    x: Vec<f32>,
    x_prev: Vec<f32>,
    y: Vec<f32>,
    g: Vec<f32>,
}

impl NnlsWork {
    fn new(n_mels: usize, n_bins: usize) -> NnlsWork {
        NnlsWork {
            m: vec![0.0; n_mels],
            r: vec![0.0; n_mels],
            x: vec![0.0; n_bins],
            x_prev: vec![0.0; n_bins],
            y: vec![0.0; n_bins],
            g: vec![0.0; n_bins],
        }
    }
}

/// Pseudo-inverse `[n_bins, n_mels]` (row-major, f32) of the filterbank `B`, and
/// `λ_max(B Bᵀ)`, through the eigen-decomposition of the small matrix `B Bᵀ` in f64.
fn pinv_and_lmax(b: &Array2<f32>) -> (Vec<f32>, f64) {
    let (n_mels, n_bins) = b.dim();
    let b64 = b.mapv(f64::from);
    let g = b64.dot(&b64.t());
    let (vals, vecs) = sym_eigen(g);
    let lmax = vals.iter().copied().fold(0.0, f64::max);
    // numpy's pinv keeps singular values above 1e-15 · σ_max; eigenvalues of B Bᵀ are σ²,
    // and Jacobi's f64 accuracy makes 1e-13 · λ_max a safe floor.
    let cutoff = lmax * 1e-13;
    // G⁺ = V diag(1/λ) Vᵀ, then B⁺ = Bᵀ G⁺.
    let mut gp = Array2::<f64>::zeros((n_mels, n_mels));
    for (k, &l) in vals.iter().enumerate() {
        if l > cutoff {
            let v = vecs.column(k);
            for i in 0..n_mels {
                for j in 0..n_mels {
                    gp[[i, j]] += v[i] * v[j] / l;
                }
            }
        }
    }
    let p = b64.t().dot(&gp); // [n_bins, n_mels]
    let mut out = Vec::with_capacity(n_bins * n_mels);
    out.extend(p.iter().map(|&v| v as f32));
    (out, lmax)
}

/// Eigenvalues and eigenvectors (columns) of a symmetric matrix by cyclic Jacobi rotations.
fn sym_eigen(mut a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
    let n = a.nrows();
    let mut v = Array2::<f64>::eye(n);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[[i, j]] * a[[i, j]])
            .sum();
        let diag: f64 = (0..n).map(|i| a[[i, i]] * a[[i, i]]).sum();
        if off <= 1e-30 * diag || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[[p, q]];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[[q, q]] - a[[p, p]]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[[k, p]], a[[k, q]]);
                    a[[k, p]] = c * akp - s * akq;
                    a[[k, q]] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[[p, k]], a[[q, k]]);
                    a[[p, k]] = c * apk - s * aqk;
                    a[[q, k]] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[[k, p]], v[[k, q]]);
                    v[[k, p]] = c * vkp - s * vkq;
                    v[[k, q]] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[[i, i]]).collect(), v)
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
    let fft = RealFftPlanner::<f32>::new().plan_fft_forward(n_fft);
    let mut window = vec![0f32; n_fft];
    let off = (n_fft - cfg.win_length) / 2;
    for (w, v) in window[off..].iter_mut().zip(hann_periodic(cfg.win_length)) {
        *w = v as f32;
    }
    let frames = cfg.n_frames(samples.len());
    let half = if cfg.center { n_fft / 2 } else { 0 };
    let mut out = Array2::zeros((n_bins, frames));
    let mut frame = vec![0f32; n_fft];
    let mut spec = vec![Complex::<f32>::default(); n_bins];
    let mut scratch = vec![Complex::<f32>::default(); fft.get_scratch_len()];
    for t in 0..frames {
        for (j, (f, &w)) in frame.iter_mut().zip(&window).enumerate() {
            let i = (t * cfg.hop_length + j) as isize - half as isize;
            *f = if i >= 0 && (i as usize) < samples.len() {
                samples[i as usize] * w
            } else {
                0.0
            };
        }
        let _ = fft.process_with_scratch(&mut frame, &mut spec, &mut scratch);
        for (o, c) in out.column_mut(t).iter_mut().zip(&spec) {
            *o = c.norm();
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
    fn jacobi_diagonalises() {
        let a = ndarray::arr2(&[[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 1.0]]);
        let (vals, vecs) = sym_eigen(a.clone());
        let recon = vecs.dot(&Array2::from_diag(&ndarray::arr1(&vals))).dot(&vecs.t());
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
        let mut ws = NnlsWork::new(cfg.n_mels, cfg.n_bins());
        ws.m.copy_from_slice(m.as_slice().unwrap());
        inv.nnls_frame(&mut ws);
        assert!(ws.x.iter().all(|&v| v >= 0.0));
        let fit = b.dot(&ndarray::Array1::from(ws.x.clone()));
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
    }
}
