//! The small dense linear algebra of the inversion: vector kernels, the filterbank's
//! pseudo-inverse, its largest eigenvalue, Cholesky and Jacobi eigen-decomposition.

use ndarray::Array2;

/// `dst += a · src`.
#[inline(always)]
pub(super) fn axpy(dst: &mut [f32], a: f32, src: &[f32]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d += a * s;
    }
}

/// `v = max(0, v)` element-wise (a select, so that it vectorises).
#[inline(always)]
pub(super) fn relu(v: &mut [f32]) {
    for x in v {
        *x = if *x > 0.0 { *x } else { 0.0 };
    }
}

/// Pseudo-inverse `[n_bins, n_mels]` (row-major, f32) of the filterbank `B`, and an upper
/// estimate of `λ_max(B Bᵀ)`, in f64. `B⁺ = Bᵀ (B Bᵀ)⁻¹` through a Cholesky factorisation
/// when `B` has full row rank (every band holds at least one bin), otherwise through the
/// eigen-decomposition of `B Bᵀ`, dropping eigenvalues below `1e-13 · λ_max` (numpy's
/// `pinv` drops singular values below `1e-15 · σ_max`).
pub(super) fn pinv_and_lmax(b: &Array2<f32>) -> (Vec<f32>, f64) {
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
pub(super) fn power_iteration(g: &[f64], n: usize) -> f64 {
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
pub(super) fn cholesky(g: &[f64], n: usize) -> Option<Vec<f64>> {
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
pub(super) fn sym_eigen(a: Array2<f64>) -> (Vec<f64>, Array2<f64>) {
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
