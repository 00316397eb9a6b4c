//! Online augmentation that changes the voice and the channel, seeded by the caller's RNG:
//! speed perturbation, gain, a frequency warp of the mel axis (pitch and formants, as VTLP),
//! a random equaliser, band-limiting (telephone and small microphones), synthetic room
//! reverberation, and SpecAugment masks.
//!
//! Waveform stages ([`VoiceAugment::apply_wave`]) run on the clip before background noise is
//! added; feature stages ([`VoiceAugment::apply_logmel`]) run on the log-mel in dB before
//! normalisation; [`SpecAugment`] runs on the normalised features (masked cells become 0, the
//! training mean). A stage whose probability is 0 draws nothing from the RNG, so a config with
//! every stage off reproduces the plain pipeline draw for draw.

use ndarray::{Array2, ArrayViewMut2};
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Voice and channel augmentation; every stage has its own probability.
///
/// [`Default`] turns every stage off (what runs saved before these stages existed used);
/// [`VoiceAugment::standard`] is what `--voice-aug on` selects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VoiceAugment {
    /// Probability of speed perturbation (resampling: tempo and pitch together).
    pub speed_prob: f32,
    /// Largest relative speed change: the factor is U(1 − this, 1 + this).
    pub speed_range: f32,
    /// Probability of a random gain.
    pub gain_prob: f32,
    /// Largest gain in dB either way.
    pub gain_db: f32,
    /// Probability of a frequency warp of the mel axis (pitch and formant shift).
    pub warp_prob: f32,
    /// Largest warp: the factor is U(1 − this, 1 + this).
    pub warp_range: f32,
    /// Probability of a random equaliser (a smooth curve over the mel bands).
    pub eq_prob: f32,
    /// Largest amplitude of each of the equaliser's three cosine terms, in dB.
    pub eq_db: f32,
    /// Probability of band-limiting (a low-pass and a high-pass edge at random bands).
    pub bandlimit_prob: f32,
    /// Probability of synthetic reverberation.
    pub reverb_prob: f32,
    /// Largest reverberation time RT60 in seconds (drawn from U(0.1, this)).
    pub reverb_rt60_s: f32,
}

impl Default for VoiceAugment {
    fn default() -> Self {
        VoiceAugment {
            speed_prob: 0.0,
            speed_range: 0.15,
            gain_prob: 0.0,
            gain_db: 6.0,
            warp_prob: 0.0,
            warp_range: 0.1,
            eq_prob: 0.0,
            eq_db: 4.0,
            bandlimit_prob: 0.0,
            reverb_prob: 0.0,
            reverb_rt60_s: 0.6,
        }
    }
}

impl VoiceAugment {
    /// Every stage off.
    pub fn off() -> Self {
        VoiceAugment::default()
    }

    /// The full set (`--voice-aug on`). Not the training default: at 30 epochs on the bundled
    /// data it cost accuracy on the leave-voices-out check (README, Results).
    pub fn standard() -> Self {
        VoiceAugment {
            speed_prob: 0.8,
            gain_prob: 0.5,
            warp_prob: 0.8,
            eq_prob: 0.5,
            bandlimit_prob: 0.3,
            reverb_prob: 0.3,
            ..VoiceAugment::default()
        }
    }

    /// [`standard`](Self::standard) with every stage's probability multiplied by
    /// `strength` (clamped to [0, 1]; 0 is [`off`](Self::off), 1 the standard set).
    pub fn scaled(strength: f32) -> Self {
        let s = strength.clamp(0.0, 1.0);
        let r = VoiceAugment::standard();
        VoiceAugment {
            speed_prob: r.speed_prob * s,
            gain_prob: r.gain_prob * s,
            warp_prob: r.warp_prob * s,
            eq_prob: r.eq_prob * s,
            bandlimit_prob: r.bandlimit_prob * s,
            reverb_prob: r.reverb_prob * s,
            ..r
        }
    }

    /// Whether any stage can fire.
    pub fn is_off(&self) -> bool {
        [
            self.speed_prob,
            self.gain_prob,
            self.warp_prob,
            self.eq_prob,
            self.bandlimit_prob,
            self.reverb_prob,
        ]
        .iter()
        .all(|&p| p <= 0.0)
    }

    /// Checks the ranges.
    pub fn validate(&self) -> Result<(), String> {
        for (name, p) in [
            ("speed_prob", self.speed_prob),
            ("gain_prob", self.gain_prob),
            ("warp_prob", self.warp_prob),
            ("eq_prob", self.eq_prob),
            ("bandlimit_prob", self.bandlimit_prob),
            ("reverb_prob", self.reverb_prob),
        ] {
            if !(0.0..=1.0).contains(&p) {
                return Err(format!("voice augmentation: {name} = {p} is not in [0, 1]"));
            }
        }
        for (name, r) in [
            ("speed_range", self.speed_range),
            ("warp_range", self.warp_range),
        ] {
            if !(0.0..0.5).contains(&r) {
                return Err(format!(
                    "voice augmentation: {name} = {r} is not in [0, 0.5)"
                ));
            }
        }
        for (name, v, hi) in [
            ("gain_db", self.gain_db, 40.0),
            ("eq_db", self.eq_db, 20.0),
            ("reverb_rt60_s", self.reverb_rt60_s, 3.0),
        ] {
            if !(0.0..=hi).contains(&v) {
                return Err(format!(
                    "voice augmentation: {name} = {v} is not in [0, {hi}]"
                ));
            }
        }
        Ok(())
    }

    /// Waveform stages on `x` (a clip before noise): speed perturbation about the clip's
    /// centre (linear interpolation, zeros outside), then gain (clamped to [-1, 1]).
    pub fn apply_wave<R: Rng + ?Sized>(&self, x: &mut [f32], scratch: &mut Vec<f32>, rng: &mut R) {
        if fires(self.speed_prob, rng) {
            let r = 1.0 + self.speed_range * (2.0 * rng.random::<f32>() - 1.0);
            speed_perturb(x, r, scratch);
        }
        if fires(self.gain_prob, rng) {
            let db = self.gain_db * (2.0 * rng.random::<f32>() - 1.0);
            let g = 10f32.powf(db / 20.0);
            for v in x.iter_mut() {
                *v = (*v * g).clamp(-1.0, 1.0);
            }
        }
    }

    /// Feature stages on a log-mel `[mels, frames]` in dB: reverberation, frequency warp,
    /// equaliser, band-limiting. `hop_s` is the frame hop in seconds.
    pub fn apply_logmel<R: Rng + ?Sized>(&self, x: &mut Array2<f32>, hop_s: f32, rng: &mut R) {
        let floor = x.iter().cloned().fold(f32::INFINITY, f32::min);
        if fires(self.reverb_prob, rng) {
            let rt60 = 0.1 + (self.reverb_rt60_s - 0.1).max(0.0) * rng.random::<f32>();
            // Direct-to-reverberant ratio U(0, 12) dB.
            let drr_db = 12.0 * rng.random::<f32>();
            reverberate(x, rt60, drr_db, hop_s);
        }
        if fires(self.warp_prob, rng) {
            let a = 1.0 + self.warp_range * (2.0 * rng.random::<f32>() - 1.0);
            warp_mel(x, a);
        }
        let m = x.nrows();
        if fires(self.eq_prob, rng) && m > 1 {
            let a: [f32; 3] =
                std::array::from_fn(|_| self.eq_db * (2.0 * rng.random::<f32>() - 1.0));
            let phase = rng.random::<f32>() * std::f32::consts::PI;
            for (k, mut row) in x.outer_iter_mut().enumerate() {
                let u = k as f32 / (m - 1) as f32;
                let g: f32 = a
                    .iter()
                    .enumerate()
                    .map(|(j, &aj)| aj * ((j + 1) as f32 * std::f32::consts::PI * u + phase).cos())
                    .sum();
                row.mapv_inplace(|v| v + g);
            }
        }
        if fires(self.bandlimit_prob, rng) && m > 4 {
            // Low-pass edge in the top 45 % of the bands, high-pass edge in the bottom 15 %,
            // 6 dB more attenuation per band beyond an edge.
            let lo = (rng.random::<f32>() * 0.15 * m as f32) as usize;
            let hi = m - 1 - (rng.random::<f32>() * 0.45 * m as f32) as usize;
            for (k, mut row) in x.outer_iter_mut().enumerate() {
                let beyond = lo.saturating_sub(k) + k.saturating_sub(hi);
                if beyond > 0 {
                    let att = (6.0 * beyond as f32).min(80.0);
                    row.mapv_inplace(|v| (v - att).max(floor));
                }
            }
        }
    }
}

/// SpecAugment (Park et al. 2019): time and frequency masks on normalised features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpecAugment {
    /// Frequency masks per sample.
    pub freq_masks: usize,
    /// Widest frequency mask, in mel bands (width U{0..=this}).
    pub freq_width: usize,
    /// Time masks per sample.
    pub time_masks: usize,
    /// Widest time mask, in frames.
    pub time_width: usize,
}

impl Default for SpecAugment {
    fn default() -> Self {
        SpecAugment {
            freq_masks: 0,
            freq_width: 7,
            time_masks: 0,
            time_width: 10,
        }
    }
}

impl SpecAugment {
    /// Two frequency masks of up to 7 bands and two time masks of up to 10 frames.
    pub fn standard() -> Self {
        SpecAugment {
            freq_masks: 2,
            time_masks: 2,
            ..SpecAugment::default()
        }
    }

    /// Whether no mask is drawn.
    pub fn is_off(&self) -> bool {
        self.freq_masks == 0 && self.time_masks == 0
    }

    /// Sets the masked cells of a normalised `[mels, frames]` map to 0.
    pub fn apply<R: Rng + ?Sized>(&self, mut x: ArrayViewMut2<f32>, rng: &mut R) {
        let (m, t) = x.dim();
        for _ in 0..self.freq_masks {
            let w = rng.random_range(0..=self.freq_width.min(m));
            let start = rng.random_range(0..=m - w);
            x.slice_mut(ndarray::s![start..start + w, ..]).fill(0.0);
        }
        for _ in 0..self.time_masks {
            let w = rng.random_range(0..=self.time_width.min(t));
            let start = rng.random_range(0..=t - w);
            x.slice_mut(ndarray::s![.., start..start + w]).fill(0.0);
        }
    }
}

/// A Bernoulli draw that consumes nothing when `p` is 0.
fn fires<R: Rng + ?Sized>(p: f32, rng: &mut R) -> bool {
    p > 0.0 && rng.random::<f32>() < p
}

/// Plays `x` at `rate` times its speed (pitch and tempo scale together), keeping its length:
/// `y[t] = x(c + (t − c)·rate)` with `c` the centre, linear interpolation, zeros outside.
pub fn speed_perturb(x: &mut [f32], rate: f32, scratch: &mut Vec<f32>) {
    let n = x.len();
    if n < 2 || (rate - 1.0).abs() < 1e-6 {
        return;
    }
    scratch.clear();
    scratch.extend_from_slice(x);
    let c = (n - 1) as f32 / 2.0;
    for (t, y) in x.iter_mut().enumerate() {
        let s = c + (t as f32 - c) * rate;
        *y = if s < 0.0 || s > (n - 1) as f32 {
            0.0
        } else {
            let i = s.floor() as usize;
            let f = s - i as f32;
            let a = scratch[i];
            let b = scratch[(i + 1).min(n - 1)];
            a + f * (b - a)
        };
    }
}

/// Warps the mel axis by `a`: band `k` takes the value of band `k / a` (linear interpolation,
/// clamped to the edge bands). `a > 1` moves energy up (a higher, smaller voice).
pub fn warp_mel(x: &mut Array2<f32>, a: f32) {
    let m = x.nrows();
    if m < 2 || (a - 1.0).abs() < 1e-6 {
        return;
    }
    let src = x.clone();
    for k in 0..m {
        let s = (k as f32 / a).clamp(0.0, (m - 1) as f32);
        let i = s.floor() as usize;
        let f = s - i as f32;
        let j = (i + 1).min(m - 1);
        for t in 0..x.ncols() {
            let v0 = src[[i, t]];
            let v1 = src[[j, t]];
            x[[k, t]] = v0 + f * (v1 - v0);
        }
    }
}

/// Late reverberation in the mel power domain: every band's power is convolved over time with
/// an exponentially decaying tail (60 dB down after `rt60` seconds) whose energy is `drr_db`
/// below the direct sound; first-order recursive, so linear in the number of cells.
pub fn reverberate(x: &mut Array2<f32>, rt60: f32, drr_db: f32, hop_s: f32) {
    let decay = 10f32.powf(-6.0 * hop_s / rt60.max(1e-3)); // power ratio per frame
    // Tail energy Σ_{k≥1} w·decay^(k−1) = w / (1 − decay) equals 10^(−drr/10).
    let w = 10f32.powf(-drr_db / 10.0) * (1.0 - decay);
    for mut row in x.outer_iter_mut() {
        let mut tail = 0.0f32;
        let mut prev = 0.0f32;
        for v in row.iter_mut() {
            let p = 10f32.powf(*v / 10.0);
            tail = decay * tail + prev;
            prev = p;
            let out = p + w * tail;
            *v = 10.0 * out.max(1e-10).log10();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn off_draws_nothing_and_changes_nothing() {
        let v = VoiceAugment::off();
        assert!(v.is_off());
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut x: Vec<f32> = (0..100).map(|i| (i as f32 * 0.3).sin() * 0.5).collect();
        let x0 = x.clone();
        let mut f = Array2::from_shape_fn((8, 10), |(i, j)| (i * 10 + j) as f32 - 50.0);
        let f0 = f.clone();
        v.apply_wave(&mut x, &mut Vec::new(), &mut rng);
        v.apply_logmel(&mut f, 0.01, &mut rng);
        assert_eq!(x, x0);
        assert_eq!(f, f0);
        let fresh: u64 = ChaCha8Rng::seed_from_u64(3).random();
        let after: u64 = rng.random();
        assert_eq!(fresh, after, "an all-off config must not consume draws");
    }

    #[test]
    fn same_seed_same_output_and_stages_change_things() {
        let v = VoiceAugment {
            speed_prob: 1.0,
            gain_prob: 1.0,
            warp_prob: 1.0,
            eq_prob: 1.0,
            bandlimit_prob: 1.0,
            reverb_prob: 1.0,
            ..VoiceAugment::default()
        };
        assert!(v.validate().is_ok());
        let run = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut x: Vec<f32> = (0..400).map(|i| (i as f32 * 0.05).sin() * 0.3).collect();
            let mut f = Array2::from_shape_fn((40, 101), |(i, j)| -60.0 + (i + j % 7) as f32);
            v.apply_wave(&mut x, &mut Vec::new(), &mut rng);
            v.apply_logmel(&mut f, 0.01, &mut rng);
            (x, f)
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
        let (x, f) = run(1);
        assert!(x.iter().chain(f.iter()).all(|v| v.is_finite()));
    }

    #[test]
    fn speed_perturb_stretches_about_the_centre() {
        let mut x: Vec<f32> = (0..101).map(|i| i as f32).collect();
        speed_perturb(&mut x, 0.5, &mut Vec::new());
        // y[t] = 50 + (t − 50)/2: the centre stays, the ends come from the middle.
        assert!((x[50] - 50.0).abs() < 1e-4);
        assert!((x[0] - 25.0).abs() < 1e-4);
        assert!((x[100] - 75.0).abs() < 1e-4);
        let mut y: Vec<f32> = (0..101).map(|i| i as f32).collect();
        speed_perturb(&mut y, 2.0, &mut Vec::new());
        assert_eq!(y[0], 0.0); // outside the clip
        assert!((y[50] - 50.0).abs() < 1e-4);
        assert!((y[60] - 70.0).abs() < 1e-4);
    }

    #[test]
    fn warp_moves_a_peak() {
        let mut x = Array2::<f32>::zeros((40, 1));
        x[[10, 0]] = 10.0;
        warp_mel(&mut x, 1.2); // band 12 now reads band 10
        let peak = (0..40)
            .max_by(|&a, &b| x[[a, 0]].total_cmp(&x[[b, 0]]))
            .expect("non-empty");
        assert_eq!(peak, 12);
    }

    #[test]
    fn reverb_adds_a_decaying_tail_below_the_direct_sound() {
        let mut x = Array2::<f32>::from_elem((1, 50), -100.0);
        x[[0, 5]] = 0.0;
        reverberate(&mut x, 0.3, 6.0, 0.01);
        assert!((x[[0, 5]] - 0.0).abs() < 0.01, "direct sound kept");
        assert!(x[[0, 6]] > -100.0 + 50.0, "tail after the onset");
        assert!(x[[0, 6]] < 0.0 && x[[0, 20]] < x[[0, 6]], "tail decays");
        // Before the onset only the floor (1e-10) reverberates: about 1 dB up at most.
        assert!((x[[0, 4]] + 100.0).abs() < 1.5, "nothing before the onset");
    }

    #[test]
    fn spec_augment_masks_within_bounds() {
        let s = SpecAugment::standard();
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut x = Array2::<f32>::ones((40, 101));
        s.apply(x.view_mut(), &mut rng);
        let zeros = x.iter().filter(|&&v| v == 0.0).count();
        assert!(zeros <= 2 * 7 * 101 + 2 * 10 * 40, "{zeros}");
        let mut tiny = Array2::<f32>::ones((2, 3));
        s.apply(tiny.view_mut(), &mut rng); // masks wider than the map are clamped
        assert!(SpecAugment::default().is_off());
    }

    #[test]
    fn bad_ranges_are_named() {
        let v = VoiceAugment {
            warp_prob: 1.5,
            ..VoiceAugment::default()
        };
        assert!(v.validate().unwrap_err().contains("warp_prob"));
    }
}
