//! Mel power → linear magnitude: non-negative least squares by FISTA over all frames at once.

use ndarray::{Array2, ArrayView2};

use super::MelInverter;
use super::linalg::{axpy, relu};
use crate::features::FeatureError;

impl MelInverter {
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
    pub(super) fn nnls(&self, mel: &[f32], x: &mut [f32], f: usize) {
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
}
