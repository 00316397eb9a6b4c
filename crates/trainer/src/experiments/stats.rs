//! Mean, standard deviation and the paired difference of seed-by-seed results.

/// Mean and standard error of the seed-by-seed differences `b − a` over the seeds both lists
/// hold; `None` with fewer than two pairs.
pub fn paired_difference(a: &[(u64, f64)], b: &[(u64, f64)]) -> Option<(f64, f64, usize)> {
    let d: Vec<f64> = b
        .iter()
        .filter_map(|(seed, y)| a.iter().find(|(s, _)| s == seed).map(|(_, x)| y - x))
        .collect();
    if d.len() < 2 {
        return None;
    }
    let (m, s) = mean_std(&d);
    Some((m, s / (d.len() as f64).sqrt(), d.len()))
}

pub(super) fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let m = v.iter().sum::<f64>() / n;
    let s = if v.len() > 1 {
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_difference_uses_common_seeds_and_its_standard_error() {
        let none = [(0, 0.80), (1, 0.90), (2, 0.85), (7, 0.5)];
        let mix = [(0, 0.82), (1, 0.93), (2, 0.86), (3, 0.99)];
        let (m, se, n) = paired_difference(&none, &mix).expect("three pairs");
        assert_eq!(n, 3);
        // Differences 0.02, 0.03, 0.01: mean 0.02, std 0.01, s.e. 0.01/sqrt(3).
        assert!((m - 0.02).abs() < 1e-12, "{m}");
        assert!((se - 0.01 / 3f64.sqrt()).abs() < 1e-12, "{se}");
        assert_eq!(paired_difference(&none[..1], &mix), None);
    }
}
