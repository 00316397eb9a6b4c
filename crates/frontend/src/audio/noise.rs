//! Mixing background noise into clips (data augmentation).

/// Root-mean-square level of `x` (0 for an empty slice), accumulated in f64.
pub fn rms(x: &[f32]) -> f32 {
    if x.is_empty() {
        return 0.0;
    }
    let sum: f64 = x.iter().map(|&v| f64::from(v) * f64::from(v)).sum();
    (sum / x.len() as f64).sqrt() as f32
}

/// Adds `volume · noise` to `clip`, sample by sample, then clips to `[-1, 1]`, as
/// TensorFlow's speech-commands trainer does (`volume` is drawn from U(0, 0.1) for training
/// clips and U(0, 1) for silence there).
///
/// The caller chooses the noise segment; if `noise` is shorter than `clip` it is repeated
/// (an empty `noise` leaves `clip` unchanged).
pub fn mix_noise(clip: &mut [f32], noise: &[f32], volume: f32) {
    if noise.is_empty() {
        return;
    }
    for (x, &n) in clip.iter_mut().zip(noise.iter().cycle()) {
        *x = (*x + volume * n).clamp(-1.0, 1.0);
    }
}

/// Adds `noise` scaled so that the clip-to-noise power ratio is `snr_db` decibels.
///
/// Powers are measured over `clip` and over the part of `noise` that is used (repeated when
/// shorter than `clip`). Nothing is added when the clip or the noise is silent or `snr_db`
/// is not finite. The result is not clipped, so the SNR is exact.
pub fn add_noise_at_snr(clip: &mut [f32], noise: &[f32], snr_db: f32) {
    if noise.is_empty() || clip.is_empty() || !snr_db.is_finite() {
        return;
    }
    let used: Vec<f32> = noise.iter().cycle().take(clip.len()).copied().collect();
    let (s, n) = (rms(clip), rms(&used));
    if s == 0.0 || n == 0.0 {
        return;
    }
    let gain = s / n * 10f32.powf(-snr_db / 20.0);
    for (x, v) in clip.iter_mut().zip(used) {
        *x += gain * v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snr_is_exact() {
        let clip: Vec<f32> = (0..1000).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
        let noise: Vec<f32> = (0..300)
            .map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5)
            .collect();
        let mut mixed = clip.clone();
        add_noise_at_snr(&mut mixed, &noise, 10.0);
        let diff: Vec<f32> = mixed.iter().zip(&clip).map(|(a, b)| a - b).collect();
        let snr = 20.0 * (rms(&clip) / rms(&diff)).log10();
        assert!((snr - 10.0).abs() < 1e-3, "{snr}");
    }

    #[test]
    fn mix_clips_and_repeats() {
        let mut clip = vec![0.9f32; 4];
        mix_noise(&mut clip, &[1.0, -1.0], 0.5);
        let want = [1.0, 0.4, 1.0, 0.4];
        assert!(
            clip.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-6),
            "{clip:?}"
        );
        let mut c2 = vec![0.1f32; 3];
        mix_noise(&mut c2, &[], 1.0);
        assert_eq!(c2, [0.1; 3]);
    }
}
