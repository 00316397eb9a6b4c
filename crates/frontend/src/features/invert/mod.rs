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
//! use randommix_frontend::features::{GriffinLimConfig, MelConfig, MelFrontend, mel_to_audio};
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

mod griffin_lim;
mod linalg;
mod nnls;

use super::filterbank::{Filterbank, mel_filterbank_dense};
use super::frontend::hann_periodic;
use super::rfft::SpecFft;
use super::{FeatureError, MelConfig};
use linalg::pinv_and_lmax;

/// Griffin-Lim and NNLS settings. Defaults: 32 iterations, momentum 0.99 (librosa's
/// defaults), 30 FISTA iterations for the NNLS, output length `hop · (frames − 1)`.
///
/// Start from [`GriffinLimConfig::default()`] and change what you need with the `with_*`
/// methods (or by assigning the public fields); the struct is `#[non_exhaustive]`.
///
/// ```
/// use randommix_frontend::features::GriffinLimConfig;
///
/// let opts = GriffinLimConfig::default().with_n_iter(8).with_momentum(0.0).with_length(16_000);
/// assert_eq!((opts.n_iter, opts.momentum, opts.length), (8, 0.0, Some(16_000)));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
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
    /// Sets [`n_iter`](Self::n_iter), the Griffin-Lim iterations.
    #[must_use]
    pub fn with_n_iter(mut self, n_iter: usize) -> Self {
        self.n_iter = n_iter;
        self
    }

    /// Sets [`momentum`](Self::momentum), the fast Griffin-Lim momentum.
    #[must_use]
    pub fn with_momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }

    /// Sets [`nnls_iter`](Self::nnls_iter), the FISTA iterations of the NNLS.
    #[must_use]
    pub fn with_nnls_iter(mut self, nnls_iter: usize) -> Self {
        self.nnls_iter = nnls_iter;
        self
    }

    /// Sets [`length`](Self::length), the output length in samples (`None`: from the number
    /// of frames).
    #[must_use]
    pub fn with_length(mut self, length: impl Into<Option<usize>>) -> Self {
        self.length = length.into();
        self
    }

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
    use super::griffin_lim::{TINY_NORM, rsqrt, unit_phasor};
    use super::linalg::*;
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
