//! Mel scale conversions and the mel filterbank, computed in f64 exactly as
//! `librosa.filters.mel` does and stored in f32 as sparse bands.

use ndarray::Array2;

use super::{MelConfig, MelNorm, MelScale};

const F_SP: f64 = 200.0 / 3.0;
const MIN_LOG_HZ: f64 = 1000.0;
const MIN_LOG_MEL: f64 = MIN_LOG_HZ / F_SP;

fn logstep() -> f64 {
    6.4f64.ln() / 27.0
}

/// Converts a frequency in hertz to mels (librosa `hz_to_mel`).
pub fn hz_to_mel(hz: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 2595.0 * (1.0 + hz / 700.0).log10(),
        MelScale::Slaney => {
            if hz >= MIN_LOG_HZ {
                MIN_LOG_MEL + (hz / MIN_LOG_HZ).ln() / logstep()
            } else {
                hz / F_SP
            }
        }
    }
}

/// Converts mels to hertz (librosa `mel_to_hz`).
pub fn mel_to_hz(mel: f64, scale: MelScale) -> f64 {
    match scale {
        MelScale::Htk => 700.0 * (10f64.powf(mel / 2595.0) - 1.0),
        MelScale::Slaney => {
            if mel >= MIN_LOG_MEL {
                MIN_LOG_HZ * (logstep() * (mel - MIN_LOG_MEL)).exp()
            } else {
                F_SP * mel
            }
        }
    }
}

/// `n` frequencies equally spaced on the mel scale from `fmin` to `fmax` inclusive
/// (librosa `mel_frequencies`, with numpy's `linspace` arithmetic).
pub fn mel_frequencies(n: usize, fmin: f64, fmax: f64, scale: MelScale) -> Vec<f64> {
    let (lo, hi) = (hz_to_mel(fmin, scale), hz_to_mel(fmax, scale));
    let step = if n > 1 {
        (hi - lo) / (n - 1) as f64
    } else {
        0.0
    };
    (0..n)
        .map(|i| {
            let m = if n > 1 && i == n - 1 {
                hi
            } else {
                i as f64 * step + lo
            };
            mel_to_hz(m, scale)
        })
        .collect()
}

/// The mel filterbank as a dense `[n_mels, n_fft/2 + 1]` matrix, computed as
/// `librosa.filters.mel` does (f64 ramps rounded to f32, then the Slaney norm applied in
/// f64 and rounded again).
pub fn mel_filterbank_dense(cfg: &MelConfig) -> Array2<f32> {
    let n_bins = cfg.n_bins();
    let sr = f64::from(cfg.sample_rate);
    // np.fft.rfftfreq(n_fft, 1/sr): k * (1 / (n * d))
    let val = 1.0 / (cfg.n_fft as f64 * (1.0 / sr));
    let fft_freqs: Vec<f64> = (0..n_bins).map(|k| k as f64 * val).collect();
    let mel_f = mel_frequencies(
        cfg.n_mels + 2,
        f64::from(cfg.fmin),
        f64::from(cfg.fmax),
        cfg.mel_scale,
    );
    let mut w = Array2::<f32>::zeros((cfg.n_mels, n_bins));
    for i in 0..cfg.n_mels {
        let (d0, d1) = (mel_f[i + 1] - mel_f[i], mel_f[i + 2] - mel_f[i + 1]);
        let enorm = 2.0 / (mel_f[i + 2] - mel_f[i]);
        for (k, &f) in fft_freqs.iter().enumerate() {
            let lower = -(mel_f[i] - f) / d0;
            let upper = (mel_f[i + 2] - f) / d1;
            let v = 0f64.max(lower.min(upper)) as f32;
            w[[i, k]] = match cfg.norm {
                MelNorm::Slaney => (f64::from(v) * enorm) as f32,
                MelNorm::None => v,
            };
        }
    }
    w
}

/// A mel filterbank stored as one contiguous run of non-zero weights per band.
#[derive(Debug, Clone, PartialEq)]
pub struct Filterbank {
    n_bins: usize,
    /// First FFT bin of each band.
    starts: Vec<usize>,
    /// `weights[offsets[m]..offsets[m + 1]]` are band `m`'s weights.
    offsets: Vec<usize>,
    weights: Vec<f32>,
}

impl Filterbank {
    /// Builds the sparse filterbank for `cfg` (assumed valid).
    pub fn new(cfg: &MelConfig) -> Filterbank {
        Filterbank::from_dense(&mel_filterbank_dense(cfg))
    }

    /// Keeps, for each row, the range from its first to its last non-zero weight (zeros
    /// inside a range are kept; mel triangles have none).
    pub fn from_dense(dense: &Array2<f32>) -> Filterbank {
        let (n_mels, n_bins) = dense.dim();
        let mut starts = Vec::with_capacity(n_mels);
        let mut offsets = Vec::with_capacity(n_mels + 1);
        let mut weights = Vec::new();
        offsets.push(0);
        for row in dense.rows() {
            let first = row.iter().position(|&v| v != 0.0);
            let last = row.iter().rposition(|&v| v != 0.0);
            match (first, last) {
                (Some(a), Some(b)) => {
                    starts.push(a);
                    weights.extend(row.iter().skip(a).take(b + 1 - a));
                }
                _ => starts.push(0), // an empty band (too many bands for the FFT size)
            }
            offsets.push(weights.len());
        }
        Filterbank {
            n_bins,
            starts,
            offsets,
            weights,
        }
    }

    /// Number of mel bands.
    pub fn n_mels(&self) -> usize {
        self.starts.len()
    }

    /// Number of FFT bins each band spans (`n_fft / 2 + 1`).
    pub fn n_bins(&self) -> usize {
        self.n_bins
    }

    /// Band `m` as (first bin, non-zero weights).
    ///
    /// # Panics
    ///
    /// If `m >= self.n_mels()`.
    pub fn band(&self, m: usize) -> (usize, &[f32]) {
        (
            self.starts[m],
            &self.weights[self.offsets[m]..self.offsets[m + 1]],
        )
    }

    /// Iterates over the bands as (first bin, weights).
    pub fn bands(&self) -> impl ExactSizeIterator<Item = (usize, &[f32])> + '_ {
        (0..self.n_mels()).map(|m| self.band(m))
    }

    /// The dense `[n_mels, n_bins]` matrix.
    pub fn to_dense(&self) -> Array2<f32> {
        let mut d = Array2::zeros((self.n_mels(), self.n_bins));
        for (m, (start, w)) in self.bands().enumerate() {
            for (j, &v) in w.iter().enumerate() {
                d[[m, start + j]] = v;
            }
        }
        d
    }

    /// Applies the bank to one spectrum: `out[m] = Σ_k W[m, k] · power[k]`.
    ///
    /// # Panics
    ///
    /// If `power.len() < n_bins()` or `out.len() < n_mels()`.
    pub fn apply(&self, power: &[f32], out: &mut [f32]) {
        assert!(power.len() >= self.n_bins && out.len() >= self.n_mels());
        for (m, o) in out.iter_mut().enumerate().take(self.n_mels()) {
            let s = self.starts[m];
            let w = &self.weights[self.offsets[m]..self.offsets[m + 1]];
            *o = dot(w, &power[s..s + w.len()]);
        }
    }

    /// Applies the bank to [`BLOCK`] spectra at once. `block[k · BLOCK + j]` is bin `k` of
    /// spectrum `j` (bins × BLOCK, interleaved), so every weight multiplies a whole row of
    /// `BLOCK` values: no horizontal sums, and the loop vectorises. Calls `out(m, mel)` with
    /// band `m` of the `BLOCK` spectra.
    #[inline]
    pub(crate) fn apply_block(&self, block: &[f32], mut out: impl FnMut(usize, &[f32; BLOCK])) {
        for m in 0..self.starts.len() {
            let s = self.starts[m];
            let w = &self.weights[self.offsets[m]..self.offsets[m + 1]];
            let rows = &block.as_chunks::<BLOCK>().0[s..s + w.len()];
            let mut acc = [0f32; BLOCK];
            for (&wk, row) in w.iter().zip(rows) {
                for j in 0..BLOCK {
                    acc[j] += wk * row[j];
                }
            }
            out(m, &acc);
        }
    }
}

/// Number of frames the front end pushes through the filterbank together.
pub(crate) const BLOCK: usize = 8;

/// Dot product with four independent accumulators (lets the compiler vectorise).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut acc = [0f32; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..4 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slaney_scale_known_points() {
        assert!((hz_to_mel(1000.0, MelScale::Slaney) - 15.0).abs() < 1e-12);
        assert!((hz_to_mel(500.0, MelScale::Slaney) - 7.5).abs() < 1e-12);
        // librosa.hz_to_mel(8000) = 45.245640471924965
        assert!((hz_to_mel(8000.0, MelScale::Slaney) - 45.245640471924965).abs() < 1e-12);
        for &f in &[0.0, 20.0, 999.0, 1000.0, 4321.0, 8000.0] {
            for s in [MelScale::Slaney, MelScale::Htk] {
                assert!((mel_to_hz(hz_to_mel(f, s), s) - f).abs() < 1e-9);
            }
        }
    }

    #[test]
    fn htk_scale_known_points() {
        // 2595 * log10(1 + 700/700) = 2595 * log10(2)
        let m = hz_to_mel(700.0, MelScale::Htk);
        assert!((m - 2595.0 * 2f64.log10()).abs() < 1e-9);
        assert!((hz_to_mel(1000.0, MelScale::Htk) - 999.9855371396243).abs() < 1e-9);
    }

    #[test]
    fn sparse_equals_dense() {
        for scale in [MelScale::Slaney, MelScale::Htk] {
            let cfg = MelConfig {
                mel_scale: scale,
                ..Default::default()
            };
            let dense = mel_filterbank_dense(&cfg);
            let fb = Filterbank::new(&cfg);
            assert_eq!(fb.to_dense(), dense);
            assert!(fb.bands().all(|(_, w)| !w.is_empty()));
            // The block path equals the one-spectrum path.
            let spectra: Vec<Vec<f32>> = (0..BLOCK)
                .map(|j| {
                    (0..fb.n_bins())
                        .map(|k| 1.0 + ((k + j) % 7) as f32)
                        .collect()
                })
                .collect();
            let mut block = vec![0f32; fb.n_bins() * BLOCK];
            for (j, sp) in spectra.iter().enumerate() {
                for (k, &v) in sp.iter().enumerate() {
                    block[k * BLOCK + j] = v;
                }
            }
            let mut got = vec![[0f32; BLOCK]; fb.n_mels()];
            fb.apply_block(&block, |m, v| got[m] = *v);
            let mut one = vec![0f32; fb.n_mels()];
            for (j, sp) in spectra.iter().enumerate() {
                fb.apply(sp, &mut one);
                for (m, v) in one.iter().enumerate() {
                    assert!((got[m][j] - v).abs() <= 1e-5 * v.abs());
                }
            }
        }
    }

    #[test]
    fn dot_matches_naive() {
        let a: Vec<f32> = (0..11).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..11).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-5);
    }
}
