//! Non-speech sounds a microphone hears, synthesized and seeded: steady tones, mains hum,
//! clicks (typing, ticking), sirens and sweeps, music-like notes and chords, telephone rings
//! and beeps. Training puts them into the silence class (`AugmentConfig::nonspeech_prob`),
//! and the detection streams of [`crate::detect`] put them between the words, so that a
//! spotter learns, and is judged on, what to do when nobody speaks.

use std::f32::consts::TAU;

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The kinds of non-speech sound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sound {
    /// A steady sine tone, 100 Hz–4 kHz, sometimes with vibrato.
    Tone,
    /// Mains hum: 50 or 60 Hz and its harmonics.
    Hum,
    /// Clicks: short decaying noise bursts at random times (typing, ticking, tapping).
    Clicks,
    /// A siren or a sweep: a tone whose pitch glides.
    Siren,
    /// Music-like: harmonic notes of a pentatonic scale, single or as chords, with percussion.
    Music,
    /// A telephone ring (440 + 480 Hz) or beeps.
    Ring,
}

impl Sound {
    /// Every kind, in a fixed order.
    pub const ALL: [Sound; 6] = [
        Sound::Tone,
        Sound::Hum,
        Sound::Clicks,
        Sound::Siren,
        Sound::Music,
        Sound::Ring,
    ];

    /// The kind's name.
    pub fn name(self) -> &'static str {
        match self {
            Sound::Tone => "tone",
            Sound::Hum => "hum",
            Sound::Clicks => "clicks",
            Sound::Siren => "siren",
            Sound::Music => "music",
            Sound::Ring => "ring",
        }
    }
}

fn log_uniform<R: Rng + ?Sized>(rng: &mut R, lo: f32, hi: f32) -> f32 {
    (rng.random_range(lo.ln()..hi.ln())).exp()
}

/// Fades the first and last `n` samples in and out (no clicks at the edges).
fn fade_edges(x: &mut [f32], n: usize) {
    let n = n.min(x.len() / 2).max(1);
    let len = x.len();
    for i in 0..n {
        let g = i as f32 / n as f32;
        x[i] *= g;
        x[len - 1 - i] *= g;
    }
}

/// Scales `x` to a peak of `peak` (silence stays silent).
fn set_peak(x: &mut [f32], peak: f32) {
    let p = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if p > 0.0 {
        for v in x.iter_mut() {
            *v *= peak / p;
        }
    }
}

/// `len` samples at `rate` Hz of `kind`, at a peak level drawn from −30…−3 dBFS.
pub fn synth<R: Rng + ?Sized>(kind: Sound, len: usize, rate: u32, rng: &mut R) -> Vec<f32> {
    let sr = rate as f32;
    let mut x = vec![0.0f32; len];
    match kind {
        Sound::Tone => {
            let f = log_uniform(rng, 100.0, 4000.0);
            let (depth, vib) = if rng.random::<f32>() < 0.5 {
                (rng.random_range(0.002..0.02), rng.random_range(3.0..7.0))
            } else {
                (0.0, 0.0)
            };
            let mut phase = 0.0f32;
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f32 / sr;
                let fi = f * (1.0 + depth * (TAU * vib * t).sin());
                phase = (phase + TAU * fi / sr) % TAU;
                *v = phase.sin();
            }
        }
        Sound::Hum => {
            let f0 = if rng.random::<bool>() { 50.0 } else { 60.0 };
            let n_h = rng.random_range(4..=10);
            let harm: Vec<(f32, f32, f32)> = (1..=n_h)
                .map(|k| {
                    let a = rng.random_range(0.2..1.0) / k as f32;
                    (k as f32 * f0, a, rng.random_range(0.0..TAU))
                })
                .collect();
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f32 / sr;
                *v = harm
                    .iter()
                    .map(|&(f, a, p)| a * (TAU * f * t + p).sin())
                    .sum::<f32>()
                    + 0.01 * (rng.random::<f32>() - 0.5);
            }
        }
        Sound::Clicks => {
            let per_s = rng.random_range(2.0..15.0);
            let n = ((len as f32 / sr) * per_s).ceil() as usize;
            for _ in 0..n {
                let at = rng.random_range(0..len.max(1));
                let tau = rng.random_range(0.0005..0.005) * sr;
                let amp = rng.random_range(0.3..1.0);
                let ring_f = log_uniform(rng, 500.0, 5000.0);
                let burst = (tau * 6.0) as usize;
                for j in 0..burst.min(len - at) {
                    let e = (-(j as f32) / tau).exp();
                    let noise = rng.random::<f32>() * 2.0 - 1.0;
                    let tone = (TAU * ring_f * j as f32 / sr).sin();
                    x[at + j] += amp * e * (0.6 * noise + 0.4 * tone);
                }
            }
        }
        Sound::Siren => {
            let lo = log_uniform(rng, 300.0, 1200.0);
            let hi = lo * rng.random_range(1.3..3.0);
            let sweep = rng.random::<bool>();
            let rate_hz = rng.random_range(0.3..2.5);
            let mut phase = 0.0f32;
            for (i, v) in x.iter_mut().enumerate() {
                let t = i as f32 / sr;
                let u = if sweep {
                    // One glide over the whole sound, up or down.
                    i as f32 / len.max(1) as f32
                } else {
                    0.5 - 0.5 * (TAU * rate_hz * t).cos()
                };
                let f = lo * (hi / lo).powf(u);
                phase = (phase + TAU * f / sr) % TAU;
                *v = phase.sin() + 0.3 * (2.0 * phase).sin();
            }
        }
        Sound::Music => {
            // A major pentatonic scale over two octaves from a random root (A2–A4).
            let root = 110.0 * 2f32.powf(rng.random_range(0..24) as f32 / 12.0);
            const STEPS: [i32; 10] = [0, 2, 4, 7, 9, 12, 14, 16, 19, 21];
            let note_s = rng.random_range(0.12..0.6);
            let chords = rng.random::<bool>();
            let drums = rng.random::<bool>();
            let note_len = (note_s * sr) as usize;
            let mut start = 0;
            while start < len {
                let k = rng.random_range(0..STEPS.len());
                let voices: Vec<f32> = if chords {
                    vec![0, 2, 4]
                        .into_iter()
                        .map(|d| STEPS[(k + d) % STEPS.len()])
                        .map(|s| root * 2f32.powf(s as f32 / 12.0))
                        .collect()
                } else {
                    vec![root * 2f32.powf(STEPS[k] as f32 / 12.0)]
                };
                let end = (start + note_len).min(len);
                for (j, v) in x[start..end].iter_mut().enumerate() {
                    let t = j as f32 / sr;
                    let env = (t / 0.01).min(1.0) * (-t / (note_s * 0.7)).exp();
                    let mut s = 0.0;
                    for &f in &voices {
                        for h in 1..=6 {
                            s += (TAU * f * h as f32 * t).sin() / (h as f32).powf(1.5);
                        }
                    }
                    *v += env * s / voices.len() as f32;
                }
                if drums {
                    let hit = (start + (0.05 * sr) as usize).min(len);
                    for (j, v) in x[start..hit].iter_mut().enumerate() {
                        let t = j as f32 / sr;
                        *v += 0.8 * (-t / 0.01).exp() * (rng.random::<f32>() * 2.0 - 1.0);
                    }
                }
                start = end;
            }
        }
        Sound::Ring => {
            let phone = rng.random::<bool>();
            let (on, off, fs): (f32, f32, Vec<f32>) = if phone {
                (
                    rng.random_range(0.8..2.0),
                    rng.random_range(0.4..1.5),
                    vec![440.0, 480.0],
                )
            } else {
                (
                    rng.random_range(0.05..0.3),
                    rng.random_range(0.05..0.5),
                    vec![log_uniform(rng, 500.0, 3000.0)],
                )
            };
            let period = ((on + off) * sr) as usize;
            let on_n = (on * sr) as usize;
            for (i, v) in x.iter_mut().enumerate() {
                if i % period.max(1) < on_n {
                    let t = i as f32 / sr;
                    *v = fs.iter().map(|&f| (TAU * f * t).sin()).sum::<f32>() / fs.len() as f32;
                }
            }
        }
    }
    fade_edges(&mut x, (0.01 * sr) as usize);
    let peak_db = rng.random_range(-30.0..-3.0f32);
    set_peak(&mut x, 10f32.powf(peak_db / 20.0));
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn every_kind_is_finite_bounded_and_audible() {
        for kind in Sound::ALL {
            for seed in 0..4 {
                let x = synth(kind, 16000, 16000, &mut ChaCha8Rng::seed_from_u64(seed));
                assert_eq!(x.len(), 16000);
                let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                assert!(x.iter().all(|v| v.is_finite()), "{kind:?}");
                // Peak between −30 and −3 dBFS.
                assert!((0.031..=0.71).contains(&peak), "{kind:?} peak {peak}");
                assert_eq!(x[0], 0.0, "{kind:?} starts faded in");
            }
        }
    }

    #[test]
    fn same_seed_same_sound_other_seed_other_sound() {
        let a = synth(Sound::Music, 8000, 16000, &mut ChaCha8Rng::seed_from_u64(5));
        let b = synth(Sound::Music, 8000, 16000, &mut ChaCha8Rng::seed_from_u64(5));
        let c = synth(Sound::Music, 8000, 16000, &mut ChaCha8Rng::seed_from_u64(6));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_tone_has_one_frequency() {
        // Zero crossings of a tone without vibrato give its frequency; with vibrato it stays
        // within 2 %. Either way the count is steady from the first half to the second.
        let x = synth(Sound::Tone, 32000, 16000, &mut ChaCha8Rng::seed_from_u64(1));
        let zc = |s: &[f32]| s.windows(2).filter(|w| w[0] < 0.0 && w[1] >= 0.0).count() as f32;
        let (a, b) = (zc(&x[1000..16000]), zc(&x[16000..31000]));
        assert!(a > 50.0 && (a - b).abs() / a < 0.05, "{a} vs {b}");
    }
}
