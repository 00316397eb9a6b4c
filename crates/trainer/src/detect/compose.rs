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
        kind_at(&self.segments, s)
    }
}

/// The kind of the stretch of `segments` (in order, without overlap) that holds sample `s`
/// (silence between segments).
pub fn kind_at(segments: &[Segment], s: usize) -> Kind {
    let i = segments.partition_point(|g| g.end <= s);
    match segments.get(i) {
        Some(g) if g.start <= s => g.kind,
        _ => Kind::Silence,
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

/// A random noise recording and a start in it, drawn as an excerpt of it is.
fn noise_pick<R: Rng + ?Sized>(noise: &[Vec<f32>], rng: &mut R) -> (usize, usize) {
    let k = rng.random_range(0..noise.len());
    let n = &noise[k];
    if n.is_empty() {
        return (k, 0);
    }
    (k, rng.random_range(0..n.len()))
}

/// What is added over a stretch of the stream, drawn when the stream is planned and rendered
/// on demand, so that a long stream need never be held whole.
enum Content<R> {
    /// Keyword clip `usize`, from the segment's start (over its whole length).
    Keyword(usize),
    /// Unknown-word clip `usize`, likewise.
    Unknown(usize),
    /// Noise recording `noise`, looped from sample `start`, times `gain`.
    Noise {
        noise: usize,
        start: usize,
        gain: f32,
    },
    /// A synthesized sound, drawn again from the generator as it was at the time.
    Sound(Sound, R),
    /// Nothing (silence, or a negative recording, which is appended as it is).
    Nothing,
}

/// A placed piece of content: `[start, start + len)` of the synthesized part.
struct Piece<R> {
    start: usize,
    len: usize,
    content: Content<R>,
}

/// A stream planned by [`plan`]: its labels, and what to add where, so that any stretch of
/// its samples can be rendered ([`StreamPlan::render`]) without holding the rest. Rendering
/// every stretch gives exactly the samples of [`compose`] with the same generator.
pub struct StreamPlan<'a, R> {
    ing: &'a Ingredients<'a>,
    /// Samples of the synthesized part (the negative recordings follow it).
    total: usize,
    /// Samples of the whole stream.
    len: usize,
    /// The content of the segments, in order.
    pieces: Vec<Piece<R>>,
    /// The quiet room noise, one excerpt per stretch between segment ends.
    room: Vec<Piece<R>>,
    /// The longest a piece's content reaches past its start (a clip may outlast its segment).
    reach: usize,
    /// Every stretch, in order, covering the stream without overlap.
    pub segments: Vec<Segment>,
    /// Every keyword said, in order.
    pub occurrences: Vec<Occurrence>,
}

/// Adds `gain · src[i - at]` to `dst[i - from]` for the samples `i` of `[from, from + dst.len())`
/// that `src` placed at `at` covers (the same arithmetic as adding it to the whole stream).
fn add_window(
    dst: &mut [f32],
    from: usize,
    at: usize,
    src: impl Fn(usize) -> f32,
    n: usize,
    gain: f32,
) {
    let lo = from.max(at);
    let hi = (from + dst.len()).min(at + n);
    for i in lo..hi {
        dst[i - from] += gain * src(i - at);
    }
}

impl<R: Rng + Clone> StreamPlan<'_, R> {
    /// Samples in the stream.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stream has no samples.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes samples `[from, from + out.len())` of the stream into `out`.
    pub fn render(&self, from: usize, out: &mut [f32]) {
        out.fill(0.0);
        let to = from + out.len();
        let synth_end = to.min(self.total);
        if from < synth_end {
            let part = &mut out[..synth_end - from];
            let ing = self.ing;
            // Pieces are in order of their start; a clip may reach past its segment.
            let first = self
                .pieces
                .partition_point(|p| p.start + p.len.max(self.reach) <= from);
            for p in &self.pieces[first..] {
                if p.start >= synth_end {
                    break;
                }
                match &p.content {
                    Content::Keyword(k) => {
                        let clip = &ing.keywords[*k].0;
                        add_window(part, from, p.start, |i| clip[i], clip.len(), 1.0);
                    }
                    Content::Unknown(k) => {
                        let clip = &ing.unknown[*k];
                        add_window(part, from, p.start, |i| clip[i], clip.len(), 1.0);
                    }
                    Content::Noise { noise, start, gain } => {
                        let n = &ing.noise[*noise];
                        add_window(part, from, p.start, |i| looped(n, *start, i), p.len, *gain);
                    }
                    Content::Sound(kind, rng) => {
                        if p.start + p.len > from {
                            let x = sounds::synth(*kind, p.len, ing.rate, &mut rng.clone());
                            add_window(part, from, p.start, |i| x[i], x.len(), 1.0);
                        }
                    }
                    Content::Nothing => {}
                }
            }
            let first = self.room.partition_point(|p| p.start + p.len <= from);
            for p in &self.room[first..] {
                if p.start >= synth_end {
                    break;
                }
                if let Content::Noise { noise, start, gain } = &p.content {
                    let n = &ing.noise[*noise];
                    add_window(part, from, p.start, |i| looped(n, *start, i), p.len, *gain);
                }
            }
            for v in part.iter_mut() {
                *v = v.clamp(-1.0, 1.0);
            }
        }
        // The negative recordings, clamped, after the synthesized part.
        let mut at = self.total;
        for n in self.ing.negatives {
            let lo = from.max(at);
            let hi = to.min(at + n.len());
            for i in lo..hi {
                out[i - from] = n[i - at].clamp(-1.0, 1.0);
            }
            at += n.len();
        }
    }

    /// The whole stream in memory.
    pub fn to_stream(&self) -> LabelledStream {
        let mut samples = vec![0.0f32; self.len];
        self.render(0, &mut samples);
        LabelledStream {
            samples,
            segments: self.segments.clone(),
            occurrences: self.occurrences.clone(),
        }
    }
}

/// Sample `i` of recording `n` looped from `start` (0 for an empty recording).
fn looped(n: &[f32], start: usize, i: usize) -> f32 {
    if n.is_empty() {
        0.0
    } else {
        n[(start + i) % n.len()]
    }
}

/// Plans about `seconds` of stream from `ing`, then the negative recordings: the labels and
/// what goes where, drawn from `rng` exactly as [`compose`] draws them, without the samples.
///
/// Segments follow each other with gaps of 0.2–1 s; a quiet room noise (a background
/// recording at 0–5 % of its level, changing every segment) runs under everything.
/// Keywords and unknown words are drawn with replacement from their clips; non-speech
/// sounds last 1–6 s, silence 1–4 s, louder noise 2–8 s (at 10–50 % of its level).
pub fn plan<'a, R: Rng + Clone>(
    ing: &'a Ingredients<'a>,
    seconds: f32,
    rng: &mut R,
) -> StreamPlan<'a, R> {
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

    let mut pieces = Vec::new();
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
        let content = match kind {
            Kind::Keyword => {
                let k = rng.random_range(0..ing.keywords.len());
                let (clip, class) = &ing.keywords[k];
                let (a, b) = word_bounds(clip, ing.rate);
                if pos + b <= total {
                    occurrences.push(Occurrence {
                        class: *class,
                        word_start: pos + a,
                        word_end: pos + b,
                    });
                }
                Content::Keyword(k)
            }
            Kind::Unknown => Content::Unknown(rng.random_range(0..ing.unknown.len())),
            Kind::Noise => {
                let (noise, start) = noise_pick(ing.noise, rng);
                let gain = rng.random_range(0.1..0.5);
                Content::Noise { noise, start, gain }
            }
            Kind::Sound(s) => {
                let at = rng.clone();
                // Drawn now so that the generator moves on as it does when composing.
                let _ = sounds::synth(s, len, ing.rate, rng);
                Content::Sound(s, at)
            }
            Kind::Silence | Kind::Negative => Content::Nothing,
        };
        pieces.push(Piece {
            start: pos,
            len,
            content,
        });
        segments.push(Segment {
            kind,
            start: pos,
            end: pos + len,
        });
        pos += len + secs(rng, 0.2, 1.0);
    }
    // The quiet room under everything, one level per segment.
    let mut room = Vec::new();
    if !ing.noise.is_empty() {
        let mut from = 0;
        for g in segments.iter().map(|g| g.end).chain([total]) {
            let to = g.min(total);
            if to > from {
                let (noise, start) = noise_pick(ing.noise, rng);
                let gain = rng.random_range(0.0..0.05);
                room.push(Piece {
                    start: from,
                    len: to - from,
                    content: Content::Noise { noise, start, gain },
                });
            }
            from = to;
        }
    }
    let mut len = total;
    for n in ing.negatives {
        segments.push(Segment {
            kind: Kind::Negative,
            start: len,
            end: len + n.len(),
        });
        len += n.len();
    }
    let reach = ing
        .keywords
        .iter()
        .map(|(c, _)| c.len())
        .chain(ing.unknown.iter().map(Vec::len))
        .max()
        .unwrap_or(0);
    StreamPlan {
        ing,
        total,
        len,
        pieces,
        room,
        reach,
        segments,
        occurrences,
    }
}

/// Builds about `seconds` of stream from `ing`, then appends the negative recordings: the
/// whole of [`plan`] rendered in memory.
pub fn compose<R: Rng + Clone>(ing: &Ingredients, seconds: f32, rng: &mut R) -> LabelledStream {
    plan(ing, seconds, rng).to_stream()
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
        // Rendered in uneven pieces, the plan gives the same samples and labels.
        let p = plan(&ing, 120.0, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(p.len(), s.samples.len());
        assert_eq!(p.segments, s.segments);
        assert_eq!(p.occurrences, s.occurrences);
        let mut pieces = vec![0.0f32; p.len()];
        let mut from = 0;
        for (k, n) in [1usize, 7_919, 16_000, 100_003, 250_000]
            .iter()
            .cycle()
            .enumerate()
        {
            if from >= p.len() {
                break;
            }
            let n = (*n + k).min(p.len() - from);
            p.render(from, &mut pieces[from..from + n]);
            from += n;
        }
        assert!(
            pieces
                .iter()
                .zip(&s.samples)
                .all(|(a, b)| a.to_bits() == b.to_bits()),
            "pieces differ from the whole"
        );
        let again = compose(&ing, 120.0, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(again.samples, s.samples);
        let other = compose(&ing, 120.0, &mut ChaCha8Rng::seed_from_u64(4));
        assert_ne!(other.samples, s.samples);
    }
}
