//! FMix (Harris et al., 2020): a binary mask thresholded from low-frequency Fourier noise.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};

use ndarray::Array2;
use rand::{Rng, RngCore};
use rand_distr::{Distribution, StandardNormal};
use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner};
use rustfft::{Fft, FftPlanner};

use crate::draw::{Draw, beta, draw_beta};
use crate::engine::{Dims, Draws};
use crate::{Granularity, MixConfigError, Mode, Region};

/// Settings for [`FMix`].
///
/// Start from [`FMixConfig::default()`] and change what you need with the `with_*` methods
/// (or by assigning the public fields); the struct is `#[non_exhaustive]`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct FMixConfig {
    /// Beta parameter for the share of cells kept from the original, `λ ~ Beta(α, α)`.
    /// Default 1.
    pub alpha: f64,
    /// Decay power `δ` of the `1/f^δ` spectrum. Default 3 (the paper's value); larger values
    /// give smoother, blobbier masks, 0 gives white noise.
    pub decay: f64,
    /// 2-D masks over the plane (default), 1-D masks along time broadcast over all frequency
    /// rows, or 1-D masks along frequency broadcast over all time frames.
    pub region: Region,
    /// One mask for the whole batch (default, as in the paper) or one per sample.
    pub per: Granularity,
}

impl Default for FMixConfig {
    fn default() -> Self {
        FMixConfig {
            alpha: 1.0,
            decay: 3.0,
            region: Region::Full,
            per: Granularity::Batch,
        }
    }
}

impl FMixConfig {
    /// Sets [`alpha`](Self::alpha), the Beta parameter.
    #[must_use]
    pub fn with_alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Sets [`decay`](Self::decay), the decay power of the spectrum.
    #[must_use]
    pub fn with_decay(mut self, decay: f64) -> Self {
        self.decay = decay;
        self
    }

    /// Sets [`region`](Self::region): 2-D masks, or 1-D masks along time or frequency.
    #[must_use]
    pub fn with_region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Sets [`per`](Self::per): one mask per batch or per sample.
    #[must_use]
    pub fn with_per(mut self, per: Granularity) -> Self {
        self.per = per;
        self
    }
}

/// FMix: cells of a low-frequency random mask come from the original, the rest from the
/// partner.
///
/// # Method
///
/// For a plane of `H × W` cells ([`Region::Full`]):
///
/// 1. `λ ~ Beta(α, α)`.
/// 2. On the `rfft2` frequency grid of the true plane, `fy = fftfreq(H)`, `fx = rfftfreq(W)`,
///    `f = √(fx² + fy²)`, a complex spectrum is drawn whose real and imaginary parts are each
///    `N(0, 1) · scale` with `scale = 1 / max(f, 1/max(H, W))^δ`.
/// 3. The inverse real 2-D FFT (complex inverse FFT over `H`, then real inverse FFT over `W`;
///    the imaginary parts of the bins that must be real are dropped, as numpy's `irfft2`
///    does) gives a grey `H × W` image.
/// 4. The `round(λ·H·W)` largest cells (ties broken by the lower row-major index, so the
///    result is deterministic) become `true` (taken from the original), the rest `false`
///    (taken from the partner); `λ` is recomputed as the mask's mean.
///
/// [`Region::TimeStrips`] draws a 1-D mask of `W` cells (`fx = rfftfreq(W)`, floor `1/W`),
/// keeps `round(λ·W)` time frames and broadcasts them over all `H` rows;
/// [`Region::FreqBands`] does the same along frequency.
///
/// This follows the paper. The official implementation (`fmix.py`, `sample_mask_from_spectrum`
/// / `get_spectrum`) draws its parameters with a trailing real/imaginary axis of size 2 but
/// then combines `spectrum[:, 0] + 1j * spectrum[:, 1]`, which indexes the first *frequency*
/// axis instead: its "real" and "imaginary" parts are two different frequency rows of the
/// scaled noise, so the spectrum is not the one the paper describes. Masks here are binary
/// only (the paper's optional soft boundary, `max_soft`, is not implemented).
///
/// The FFT plans and scratch buffers are made for each plane shape the mixer sees, on first
/// use (or ahead of time with [`FMix::prepare`]), and cached for the most recent
/// shapes; mixing then allocates only the masks, which the records keep. [`FMix::new`] plans
/// nothing, so building an FMix is cheap whatever the shape of the data.
///
/// # Example
///
/// ```
/// use ndarray::{Array2, Array4};
/// use rand::SeedableRng;
/// use rand_chacha::ChaCha8Rng;
/// use randommix_mix::{FMix, FMixConfig, MixMask, Mixer};
///
/// let fmix = FMix::new(FMixConfig::default())?;
/// let x = Array4::from_shape_fn((2, 1, 40, 101), |(b, _, _, _)| b as f32);
/// let y = Array2::from_shape_fn((2, 2), |(b, k)| if b == k { 1.0 } else { 0.0 });
/// let mixed = fmix.mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(5))?;
/// let r = &mixed.records[0];
/// let MixMask::Mask(mask) = &r.mask else { unreachable!() };
/// let kept = mask.iter().filter(|&&m| m).count();
/// assert_eq!(r.lambda, kept as f32 / (40.0 * 101.0));
/// # Ok::<(), randommix_mix::MixError>(())
/// ```
pub struct FMix {
    config: FMixConfig,
    beta: rand_distr::Beta<f64>,
    plans: Mutex<Vec<Plan>>,
}

/// How many plane shapes an [`FMix`] keeps plans for.
const MAX_PLANS: usize = 4;

impl FMix {
    /// Builds the mixer. No FFT is planned yet: each plane shape is planned on first use.
    ///
    /// # Errors
    ///
    /// [`MixConfigError::InvalidAlpha`] if `alpha` is not finite and positive,
    /// [`MixConfigError::InvalidDecay`] if `decay` is negative or not finite.
    pub fn new(config: FMixConfig) -> Result<Self, MixConfigError> {
        let beta = beta(Mode::FMix, config.alpha)?;
        if !(config.decay.is_finite() && config.decay >= 0.0) {
            return Err(MixConfigError::InvalidDecay {
                decay: config.decay,
            });
        }
        Ok(FMix {
            config,
            beta,
            plans: Mutex::new(Vec::new()),
        })
    }

    /// The settings this mixer was built from.
    pub fn config(&self) -> &FMixConfig {
        &self.config
    }

    /// Plans the FFTs for an `height × width` plane now rather than on the first batch of that
    /// shape (for example to keep planning out of a timed loop). Zero sizes are ignored.
    pub fn prepare(&self, height: usize, width: usize) {
        if height == 0 || width == 0 {
            return;
        }
        let mut drawer = self.drawer();
        drawer.plan(height, width);
    }

    /// A mask drawer holding the plan cache for one batch. If another thread is using the
    /// cache, it plans privately rather than wait.
    pub(crate) fn drawer(&self) -> FMixDrawer<'_> {
        let plans = match self.plans.try_lock() {
            Ok(g) => Plans::Shared(g),
            Err(TryLockError::Poisoned(p)) => Plans::Shared(p.into_inner()),
            Err(TryLockError::WouldBlock) => Plans::Own(Vec::new()),
        };
        FMixDrawer { fmix: self, plans }
    }
}

impl Clone for FMix {
    /// A mixer with the same settings and an empty plan cache (plans are made again on first
    /// use; they do not change the masks).
    fn clone(&self) -> Self {
        FMix {
            config: self.config,
            beta: self.beta,
            plans: Mutex::new(Vec::new()),
        }
    }
}

impl fmt::Debug for FMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FMix")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

crate::engine::engine_mixer!(FMix, |m| m.drawer());

enum Plans<'a> {
    Shared(MutexGuard<'a, Vec<Plan>>),
    Own(Vec<Plan>),
}

/// Draws FMix masks with the mixer's cached plans.
pub(crate) struct FMixDrawer<'a> {
    fmix: &'a FMix,
    plans: Plans<'a>,
}

impl FMixDrawer<'_> {
    fn plan(&mut self, h: usize, w: usize) -> &mut Plan {
        let plans: &mut Vec<Plan> = match &mut self.plans {
            Plans::Shared(g) => g,
            Plans::Own(v) => v,
        };
        let pos = match plans.iter().position(|p| p.h == h && p.w == w) {
            Some(pos) => pos,
            None => {
                if plans.len() >= MAX_PLANS {
                    plans.remove(0);
                }
                plans.push(Plan::new(
                    h,
                    w,
                    self.fmix.config.region,
                    self.fmix.config.decay,
                ));
                plans.len() - 1
            }
        };
        &mut plans[pos]
    }
}

impl Draws for FMixDrawer<'_> {
    fn draw(&mut self, rng: &mut dyn RngCore, d: Dims) -> Draw {
        let lambda = draw_beta(&self.fmix.beta, rng);
        let (mask, lambda) = self.plan(d.h, d.w).mask(rng, lambda);
        let bits = mask
            .iter()
            .map(|&keep| if keep { u32::MAX } else { 0 })
            .collect();
        Draw::Mask {
            mask: Arc::new(mask),
            bits,
            lambda,
        }
    }
}

/// FFT plans, the `1/f^δ` scale and scratch for one plane shape.
struct Plan {
    h: usize,
    w: usize,
    region: Region,
    /// Length of the real inverse transform (the last axis of the grey signal).
    n_real: usize,
    /// Number of rows transformed (`H` for 2-D masks, 1 for 1-D masks).
    rows: usize,
    /// `n_real / 2 + 1` complex bins per row.
    n_cplx: usize,
    /// Inverse complex FFT over the rows (length `H`), 2-D masks only.
    col_fft: Option<Arc<dyn Fft<f64>>>,
    /// Inverse transform of each row's half spectrum.
    rows_fft: RowTransform,
    /// `1/max(f, floor)^δ`, column-major: `[n_cplx][rows]`.
    scale: Vec<f64>,
    /// The spectrum, column-major like `scale`.
    spec: Vec<Complex<f64>>,
    /// The grey signal, `rows × n_real` row-major.
    grey: Vec<f64>,
    col_scratch: Vec<Complex<f64>>,
    /// The selected cells of `grey`, and scratch for selecting them.
    keep: Vec<bool>,
    sorted: Vec<f64>,
}

/// The real inverse FFT of every row of the half spectrum.
enum RowTransform {
    /// One row: realfft's complex-to-real transform.
    Real {
        c2r: Arc<dyn ComplexToReal<f64>>,
        row: Vec<Complex<f64>>,
        scratch: Vec<Complex<f64>>,
    },
    /// Several rows, two at a time: the Hermitian completions `A` and `B` of two rows are
    /// packed as `A + iB`, so one complex inverse FFT gives row `a` as the real part and row
    /// `b` as the imaginary part (half the work of one real transform per row for odd
    /// lengths such as 101, where realfft needs a full-length complex FFT per row).
    Paired {
        fft: Arc<dyn Fft<f64>>,
        buf: Vec<Complex<f64>>,
        scratch: Vec<Complex<f64>>,
    },
}

/// `numpy.fft.fftfreq(n)[k]`.
fn fftfreq(k: usize, n: usize) -> f64 {
    if k < n.div_ceil(2) {
        k as f64 / n as f64
    } else {
        (k as f64 - n as f64) / n as f64
    }
}

impl Plan {
    fn new(h: usize, w: usize, region: Region, decay: f64) -> Self {
        let (n_real, rows) = match region {
            Region::Full => (w, h),
            Region::TimeStrips => (w, 1),
            Region::FreqBands => (h, 1),
        };
        let n_cplx = n_real / 2 + 1;
        let mut planner = FftPlanner::<f64>::new();
        let col_fft = (rows > 1).then(|| planner.plan_fft_inverse(rows));
        let rows_fft = if rows > 1 {
            let fft = planner.plan_fft_inverse(n_real);
            RowTransform::Paired {
                buf: vec![Complex::default(); rows.div_ceil(2) * n_real],
                scratch: vec![Complex::default(); fft.get_inplace_scratch_len()],
                fft,
            }
        } else {
            let c2r = RealFftPlanner::<f64>::new().plan_fft_inverse(n_real);
            RowTransform::Real {
                row: vec![Complex::default(); n_cplx],
                scratch: vec![Complex::default(); c2r.get_scratch_len()],
                c2r,
            }
        };
        let floor = 1.0 / rows.max(n_real) as f64;
        let mut scale = Vec::with_capacity(n_cplx * rows);
        for kx in 0..n_cplx {
            let fx = kx as f64 / n_real as f64;
            for ky in 0..rows {
                let fy = fftfreq(ky, rows);
                let f = (fx * fx + fy * fy).sqrt();
                scale.push(1.0 / f.max(floor).powf(decay));
            }
        }
        let col_scratch =
            vec![Complex::default(); col_fft.as_ref().map_or(0, |f| f.get_inplace_scratch_len())];
        let len = rows * n_real;
        Plan {
            h,
            w,
            region,
            n_real,
            rows,
            n_cplx,
            col_fft,
            rows_fft,
            spec: vec![Complex::default(); scale.len()],
            scale,
            grey: vec![0.0; len],
            col_scratch,
            keep: Vec::with_capacity(len),
            sorted: Vec::with_capacity(len),
        }
    }

    /// Fills `self.grey` with a fresh low-frequency signal.
    fn grey<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        for (c, &s) in self.spec.iter_mut().zip(&self.scale) {
            let re: f64 = StandardNormal.sample(rng);
            let im: f64 = StandardNormal.sample(rng);
            *c = Complex::new(re * s, im * s);
        }
        if let Some(f) = &self.col_fft {
            f.process_with_scratch(&mut self.spec, &mut self.col_scratch);
        }
        // Bin `k` of row `r`; the DC bin and (for even lengths) the Nyquist bin are real for a
        // real signal, and numpy's irfft ignores their imaginary parts: so do we.
        let (n, rows, n_cplx) = (self.n_real, self.rows, self.n_cplx);
        let spec = &self.spec;
        let bin = |k: usize, r: usize| {
            let v = spec[k * rows + r];
            if k == 0 || 2 * k == n {
                Complex::new(v.re, 0.0)
            } else {
                v
            }
        };
        match &mut self.rows_fft {
            RowTransform::Real { c2r, row, scratch } => {
                for (k, v) in row.iter_mut().enumerate() {
                    *v = bin(k, 0);
                }
                // Lengths match the plan and the real bins are real, so this cannot fail.
                let _ = c2r.process_with_scratch(row, &mut self.grey, scratch);
            }
            RowTransform::Paired { fft, buf, scratch } => {
                let i = Complex::new(0.0, 1.0);
                for (pair, full) in buf.chunks_exact_mut(n).enumerate() {
                    let (ra, rb) = (2 * pair, 2 * pair + 1);
                    for k in 0..n_cplx {
                        let a = bin(k, ra);
                        let b = if rb < rows {
                            bin(k, rb)
                        } else {
                            Complex::default()
                        };
                        full[k] = a + i * b;
                        if k > 0 && 2 * k != n {
                            full[n - k] = a.conj() + i * b.conj();
                        }
                    }
                }
                fft.process_with_scratch(buf, scratch);
                for (pair, full) in buf.chunks_exact(n).enumerate() {
                    let (ra, rb) = (2 * pair, 2 * pair + 1);
                    for (g, z) in self.grey[ra * n..(ra + 1) * n].iter_mut().zip(full) {
                        *g = z.re;
                    }
                    if rb < rows {
                        for (g, z) in self.grey[rb * n..(rb + 1) * n].iter_mut().zip(full) {
                            *g = z.im;
                        }
                    }
                }
            }
        }
    }

    /// Draws a mask keeping `round(λ·len)` cells; returns it with the realised `λ`.
    fn mask<R: Rng + ?Sized>(&mut self, rng: &mut R, lambda: f64) -> (Array2<bool>, f32) {
        self.grey(rng);
        let len = self.grey.len();
        let k = ((lambda * len as f64).round() as usize).min(len);
        top_k(&mut self.keep, &mut self.sorted, &self.grey, k);
        let (h, w) = (self.h, self.w);
        let mut mask = Array2::from_elem((h, w), false);
        let m = mask
            .as_slice_mut()
            .expect("fresh arrays are in standard layout");
        match self.region {
            Region::Full => m.copy_from_slice(&self.keep),
            Region::TimeStrips => {
                for row in m.chunks_exact_mut(w) {
                    row.copy_from_slice(&self.keep);
                }
            }
            Region::FreqBands => {
                for (row, &keep) in m.chunks_exact_mut(w).zip(&self.keep) {
                    row.fill(keep);
                }
            }
        }
        (mask, (k as f64 / len as f64) as f32)
    }
}

/// Sets `keep[i]` for the `k` largest `values` (ties: lower index first), using `sorted` as
/// scratch.
fn top_k(keep: &mut Vec<bool>, sorted: &mut Vec<f64>, values: &[f64], k: usize) {
    keep.clear();
    if k == 0 || k >= values.len() {
        keep.resize(values.len(), k > 0);
        return;
    }
    sorted.clear();
    sorted.extend_from_slice(values);
    let (_, &mut kth, _) = sorted.select_nth_unstable_by(k - 1, |a, b| b.total_cmp(a));
    let above = values.iter().filter(|v| v.total_cmp(&kth).is_gt()).count();
    let mut ties = k - above;
    keep.extend(values.iter().map(|v| match v.total_cmp(&kth) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Equal if ties > 0 => {
            ties -= 1;
            true
        }
        _ => false,
    }));
}

#[cfg(test)]
pub(crate) mod tests_support {
    //! Access to the mask generator and the plan cache for the tests in `crate::tests`.
    use super::*;

    /// A mask from a fresh plan.
    pub fn mask<R: Rng + ?Sized>(
        h: usize,
        w: usize,
        region: Region,
        decay: f64,
        rng: &mut R,
        lambda: f64,
    ) -> (Array2<bool>, f32) {
        Plan::new(h, w, region, decay).mask(rng, lambda)
    }

    /// The grey image of a 2-D plan.
    pub fn grey<R: Rng + ?Sized>(h: usize, w: usize, decay: f64, rng: &mut R) -> Array2<f64> {
        let mut p = Plan::new(h, w, Region::Full, decay);
        p.grey(rng);
        Array2::from_shape_vec((h, w), p.grey.clone()).expect("h * w values")
    }

    /// The plane shapes `fmix` holds plans for, oldest first.
    pub fn planned_shapes(fmix: &FMix) -> Vec<(usize, usize)> {
        let plans = fmix.plans.lock().unwrap_or_else(|p| p.into_inner());
        plans.iter().map(|p| (p.h, p.w)).collect()
    }

    /// The sorted indices of the `k` largest values.
    pub fn top_k(values: &[f64], k: usize) -> Vec<u32> {
        let mut keep = Vec::new();
        super::top_k(&mut keep, &mut Vec::new(), values, k);
        (0..values.len() as u32)
            .filter(|&i| keep[i as usize])
            .collect()
    }
}
