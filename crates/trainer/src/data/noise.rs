//! Additive noise at a signal-to-noise ratio: the training augmentation (`--noise-snr`) and
//! the robustness experiment's perturbation share these functions, so that what a model is
//! trained on and what it is judged by are the same signal.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// Training noise scaled to a signal-to-noise ratio drawn per clip, instead of a fixed volume.
///
/// A clip that gets noise (with the pipeline's `noise_prob`) gets Gaussian white noise with
/// probability `white_share`, otherwise a random segment of a background-noise recording, at
/// an SNR drawn from U(`min_db`, `max_db`) relative to the clip's own power.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NoiseSnr {
    /// Lowest SNR in dB (the loudest noise).
    pub min_db: f32,
    /// Highest SNR in dB.
    pub max_db: f32,
    /// Share of the noisy clips that get white noise instead of a background recording.
    pub white_share: f32,
}

impl NoiseSnr {
    /// The training default: SNR U(0, 20) dB, white noise for a third of the noisy clips.
    pub fn standard() -> Self {
        NoiseSnr {
            min_db: 0.0,
            max_db: 20.0,
            white_share: 1.0 / 3.0,
        }
    }

    /// Parses `MIN:MAX` (dB), e.g. `0:20`; the white share is the standard one.
    pub fn parse_range(s: &str) -> Result<Self, String> {
        let (a, b) = s
            .split_once(':')
            .ok_or_else(|| format!("{s:?}: expected MIN:MAX in dB, e.g. 0:20"))?;
        let parse = |t: &str| {
            t.trim()
                .parse::<f32>()
                .map_err(|_| format!("{s:?}: {t:?} is not a number"))
        };
        let n = NoiseSnr {
            min_db: parse(a)?,
            max_db: parse(b)?,
            ..NoiseSnr::standard()
        };
        n.validate()?;
        Ok(n)
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.min_db.is_finite() && self.max_db.is_finite() && self.min_db <= self.max_db) {
            return Err(format!(
                "noise SNR range {}..{} dB must be finite with min ≤ max",
                self.min_db, self.max_db
            ));
        }
        if !(0.0..=1.0).contains(&self.white_share) {
            return Err(format!(
                "white-noise share {} must be in [0, 1]",
                self.white_share
            ));
        }
        Ok(())
    }

    /// Draws an SNR in dB.
    pub fn draw_db<R: Rng + ?Sized>(&self, rng: &mut R) -> f32 {
        if self.max_db > self.min_db {
            rng.random_range(self.min_db..=self.max_db)
        } else {
            self.min_db
        }
    }
}

/// Unit-variance Gaussian white noise (Box–Muller), `len` samples from `rng`.
pub fn white_noise<R: Rng + ?Sized>(len: usize, rng: &mut R) -> Vec<f32> {
    (0..len)
        .map(|_| {
            let u1: f32 = rng.random::<f32>().max(1e-12);
            let u2: f32 = rng.random();
            (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
        })
        .collect()
}

/// Mean power of a signal.
fn power(x: &[f32]) -> f64 {
    x.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / x.len().max(1) as f64
}

/// Adds `noise` scaled to `snr_db` relative to `clip`'s power. A silent clip gets the noise at
/// power 1e-4 (−40 dB full scale), so that silence stays near-silent; silent noise adds nothing.
pub fn add_at_snr(clip: &mut [f32], noise: &[f32], snr_db: f32) {
    let p_s = power(clip);
    let p_n = power(noise);
    if p_n <= 0.0 {
        return;
    }
    let target = if p_s > 0.0 {
        p_s / 10f64.powf(snr_db as f64 / 10.0)
    } else {
        1e-4
    };
    let g = (target / p_n).sqrt() as f32;
    for (c, n) in clip.iter_mut().zip(noise) {
        *c += g * n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn snr_is_respected() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let clean: Vec<f32> = (0..16000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let n = white_noise(16000, &mut rng);
        for snr in [0.0f32, 10.0, 20.0] {
            let mut c = clean.clone();
            add_at_snr(&mut c, &n, snr);
            let diff: Vec<f32> = c.iter().zip(&clean).map(|(a, b)| a - b).collect();
            let got = 10.0 * (power(&clean) / power(&diff)).log10();
            assert!((got - snr as f64).abs() < 1e-3, "{got} vs {snr}");
        }
    }

    #[test]
    fn white_noise_has_unit_variance_and_is_seeded() {
        let a = white_noise(50_000, &mut rand_chacha::ChaCha8Rng::seed_from_u64(1));
        let b = white_noise(50_000, &mut rand_chacha::ChaCha8Rng::seed_from_u64(1));
        assert_eq!(a, b);
        let p = power(&a);
        assert!((p - 1.0).abs() < 0.03, "power {p}");
    }

    #[test]
    fn ranges_parse_and_bad_ones_are_named() {
        let n = NoiseSnr::parse_range("5:25").unwrap();
        assert_eq!((n.min_db, n.max_db), (5.0, 25.0));
        assert!(
            NoiseSnr::parse_range("20:5")
                .unwrap_err()
                .contains("min ≤ max")
        );
        assert!(NoiseSnr::parse_range("x:5").unwrap_err().contains("\"x\""));
        assert!(NoiseSnr::parse_range("5").unwrap_err().contains("MIN:MAX"));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
        for _ in 0..100 {
            let d = n.draw_db(&mut rng);
            assert!((5.0..=25.0).contains(&d));
        }
    }
}
