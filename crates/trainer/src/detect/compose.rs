//! A long labelled stream for detection tests: keyword clips placed among unknown words,
//! silence, background noise and non-speech sounds at known, seeded times, optionally
//! followed by a user's own recordings of audio without keywords.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::data::sounds::{self, Sound};

/// What a stretch of the stream holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A keyword clip.
    Keyword,
    /// A clip of a word that is not a keyword.
    Unknown,
    /// Only the quiet room noise that runs under the whole stream.
    Silence,
    /// A louder excerpt of a background-noise file of the data set.
    Noise,
    /// A synthesized non-speech sound.
    Sound(Sound),
    /// A recording given by the user, taken to hold no keyword.
    Negative,
}

impl Kind {
    /// The kind's name, as in reports.
    pub fn name(self) -> String {
        match self {
            Kind::Keyword => "keyword".into(),
            Kind::Unknown => "unknown_word".into(),
            Kind::Silence => "silence".into(),
            Kind::Noise => "background_noise".into(),
            Kind::Sound(s) => s.name().into(),
            Kind::Negative => "negative_recording".into(),
        }
    }
}

/// A stretch of the stream, in samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// What it holds.
    pub kind: Kind,
    /// First sample.
    pub start: usize,
    /// One past the last sample.
    pub end: usize,
}

/// A keyword said in the stream.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Occurrence {
    /// Its class index.
    pub class: usize,
    /// First and one-past-last sample of the word itself (not of its 1 s clip).
    pub word_start: usize,
    /// See `word_start`.
    pub word_end: usize,
}

/// What a stream is made of.
pub struct Ingredients<'a> {
    /// Keyword clips with their class index.
    pub keywords: &'a [(Vec<f32>, usize)],
    /// Clips of other words.
    pub unknown: &'a [Vec<f32>],
    /// Background-noise recordings (may be empty).
    pub noise: &'a [Vec<f32>],
    /// The user's recordings without keywords, appended after the synthesized part.
    pub negatives: &'a [Vec<f32>],
    /// Sample rate.
    pub rate: u32,
}

/// A stream and its labels.
#[derive(Debug, Clone)]
pub struct LabelledStream {
    /// Mono samples.
    pub samples: Vec<f32>,
    /// Every stretch, in order, covering the stream without overlap.
    pub segments: Vec<Segment>,
    /// Every keyword said, in order.
    pub occurrences: Vec<Occurrence>,
}

impl LabelledStream {
    /// The kind of the stretch that holds sample `s` (silence between segments).
    pub fn kind_at(&self, s: usize) -> Kind {
        let i = self.segments.partition_point(|g| g.end <= s);
        match self.segments.get(i) {
            Some(g) if g.start <= s => g.kind,
            _ => Kind::Silence,
        }
    }
}

/// Relative frequency of each kind of segment in the synthesized part.
const WEIGHTS: [(Kind, f32); 10] = [
    (Kind::Keyword, 3.0),
    (Kind::Unknown, 2.0),
    (Kind::Silence, 1.0),
    (Kind::Noise, 1.0),
    (Kind::Sound(Sound::Tone), 0.5),
    (Kind::Sound(Sound::Hum), 0.5),
    (Kind::Sound(Sound::Clicks), 0.5),
    (Kind::Sound(Sound::Siren), 0.5),
    (Kind::Sound(Sound::Music), 1.0),
    (Kind::Sound(Sound::Ring), 0.5),
];

/// The first and one-past-last sample of the word in a clip: the 10 ms frames within 30 dB
/// of the loudest one.
pub fn word_bounds(clip: &[f32], rate: u32) -> (usize, usize) {
    let w = (rate as usize / 100).max(1);
    let energy: Vec<f32> = clip
        .chunks(w)
        .map(|c| c.iter().map(|v| v * v).sum::<f32>() / c.len() as f32)
        .collect();
    let peak = energy.iter().copied().fold(0.0f32, f32::max);
    if peak <= 0.0 {
        return (0, clip.len());
    }
    let loud = |e: &f32| *e >= peak * 1e-3;
    let first = energy.iter().position(loud).unwrap_or(0);
    let last = energy.iter().rposition(loud).unwrap_or(energy.len() - 1);
    (first * w, ((last + 1) * w).min(clip.len()))
}

/// Adds `src` to `dst` from sample `at`, as far as `dst` reaches.
fn add_at(dst: &mut [f32], at: usize, src: &[f32], gain: f32) {
    if at >= dst.len() {
        return;
    }
    for (d, s) in dst[at..].iter_mut().zip(src) {
        *d += gain * s;
    }
}

/// An excerpt of `len` samples of a random noise recording, looped if it is shorter.
fn noise_excerpt<R: Rng + ?Sized>(noise: &[Vec<f32>], len: usize, rng: &mut R) -> Vec<f32> {
    let n = &noise[rng.random_range(0..noise.len())];
    if n.is_empty() {
        return vec![0.0; len];
    }
    let start = rng.random_range(0..n.len());
    (0..len).map(|i| n[(start + i) % n.len()]).collect()
}

/// Builds about `seconds` of stream from `ing`, then appends the negative recordings.
///
/// Segments follow each other with gaps of 0.2–1 s; a quiet room noise (a background
/// recording at 0–5 % of its level, changing every segment) runs under everything.
/// Keywords and unknown words are drawn with replacement from their clips; non-speech
/// sounds last 1–6 s, silence 1–4 s, louder noise 2–8 s (at 10–50 % of its level).
pub fn compose<R: Rng + ?Sized>(ing: &Ingredients, seconds: f32, rng: &mut R) -> LabelledStream {
    let sr = ing.rate as usize;
    let total = (seconds.max(0.0) * sr as f32) as usize;
    let weights: Vec<(Kind, f32)> = WEIGHTS
        .iter()
        .copied()
        .filter(|(k, _)| match k {
            Kind::Keyword => !ing.keywords.is_empty(),
            Kind::Unknown => !ing.unknown.is_empty(),
            Kind::Noise => !ing.noise.is_empty(),
            _ => true,
        })
        .collect();
    let sum: f32 = weights.iter().map(|w| w.1).sum();
    let secs = |rng: &mut R, lo: f32, hi: f32| (rng.random_range(lo..hi) * sr as f32) as usize;

    let mut samples = vec![0.0f32; total];
    let mut segments = Vec::new();
    let mut occurrences = Vec::new();
    let mut pos = secs(rng, 0.2, 1.0);
    while pos < total {
        let mut u = rng.random::<f32>() * sum;
        let mut kind = weights[weights.len() - 1].0;
        for &(k, w) in &weights {
            if u < w {
                kind = k;
                break;
            }
            u -= w;
        }
        let len = match kind {
            Kind::Keyword | Kind::Unknown => sr,
            Kind::Silence => secs(rng, 1.0, 4.0),
            Kind::Noise => secs(rng, 2.0, 8.0),
            _ => secs(rng, 1.0, 6.0),
        };
        let len = len.min(total - pos);
        match kind {
            Kind::Keyword => {
                let (clip, class) = &ing.keywords[rng.random_range(0..ing.keywords.len())];
                let (a, b) = word_bounds(clip, ing.rate);
                add_at(&mut samples, pos, clip, 1.0);
                if pos + b <= total {
                    occurrences.push(Occurrence {
                        class: *class,
                        word_start: pos + a,
                        word_end: pos + b,
                    });
                }
            }
            Kind::Unknown => {
                let clip = &ing.unknown[rng.random_range(0..ing.unknown.len())];
                add_at(&mut samples, pos, clip, 1.0);
            }
            Kind::Noise => {
                let x = noise_excerpt(ing.noise, len, rng);
                add_at(&mut samples, pos, &x, rng.random_range(0.1..0.5));
            }
            Kind::Sound(s) => {
                let x = sounds::synth(s, len, ing.rate, rng);
                add_at(&mut samples, pos, &x, 1.0);
            }
            Kind::Silence | Kind::Negative => {}
        }
        segments.push(Segment {
            kind,
            start: pos,
            end: pos + len,
        });
        pos += len + secs(rng, 0.2, 1.0);
    }
    // The quiet room under everything, one level per segment.
    if !ing.noise.is_empty() {
        let mut from = 0;
        for g in segments.iter().map(|g| g.end).chain([total]) {
            let to = g.min(total);
            if to > from {
                let x = noise_excerpt(ing.noise, to - from, rng);
                add_at(&mut samples, from, &x, rng.random_range(0.0..0.05));
            }
            from = to;
        }
    }
    for v in samples.iter_mut() {
        *v = v.clamp(-1.0, 1.0);
    }
    for n in ing.negatives {
        let start = samples.len();
        samples.extend(n.iter().map(|v| v.clamp(-1.0, 1.0)));
        segments.push(Segment {
            kind: Kind::Negative,
            start,
            end: samples.len(),
        });
    }
    LabelledStream {
        samples,
        segments,
        occurrences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn clip(at: usize, len: usize) -> Vec<f32> {
        let mut c = vec![0.0; 16000];
        for (i, v) in c[at..at + len].iter_mut().enumerate() {
            *v = 0.5 * (i as f32 * 0.3).sin();
        }
        c
    }

    #[test]
    fn word_bounds_find_the_loud_part() {
        let (a, b) = word_bounds(&clip(4000, 5920), 16000);
        assert_eq!((a, b), (4000, 9920));
        assert_eq!(word_bounds(&[0.0; 1600], 16000), (0, 1600));
    }

    #[test]
    fn segments_are_ordered_labels_match_the_audio_and_the_seed_decides() {
        let kw = vec![(clip(3200, 4800), 2usize), (clip(8000, 4000), 3)];
        let unk = vec![clip(2000, 6000)];
        let noise = vec![vec![0.01; 40000]];
        let neg = vec![vec![0.02; 16000]];
        let ing = Ingredients {
            keywords: &kw,
            unknown: &unk,
            noise: &noise,
            negatives: &neg,
            rate: 16000,
        };
        let s = compose(&ing, 120.0, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(s.samples.len(), 120 * 16000 + 16000);
        for w in s.segments.windows(2) {
            assert!(w[0].end <= w[1].start);
        }
        assert!(s.segments.iter().any(|g| g.kind == Kind::Keyword));
        assert!(s.segments.iter().any(|g| matches!(g.kind, Kind::Sound(_))));
        assert_eq!(s.segments.last().map(|g| g.kind), Some(Kind::Negative));
        assert_eq!(s.kind_at(120 * 16000 + 5), Kind::Negative);
        let n_kw = s
            .segments
            .iter()
            .filter(|g| g.kind == Kind::Keyword)
            .count();
        assert!(n_kw >= s.occurrences.len() && !s.occurrences.is_empty());
        for o in &s.occurrences {
            // The word is where the clip's loud part is, and it is loud in the stream.
            assert!(o.word_end - o.word_start == 4800 || o.word_end - o.word_start == 4000);
            assert_eq!(s.kind_at(o.word_start), Kind::Keyword);
            let peak = s.samples[o.word_start..o.word_end]
                .iter()
                .fold(0.0f32, |m, v| m.max(v.abs()));
            assert!(peak > 0.3);
        }
        let again = compose(&ing, 120.0, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(again.samples, s.samples);
        let other = compose(&ing, 120.0, &mut ChaCha8Rng::seed_from_u64(4));
        assert_ne!(other.samples, s.samples);
    }
}
