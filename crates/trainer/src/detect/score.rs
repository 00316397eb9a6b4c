//! Scoring detections against a labelled stream: hits, misses, false accepts (with the kind
//! of audio they fired on) and the latency from the end of each word to its report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::compose::{LabelledStream, Occurrence, Segment, kind_at};

/// The outcome at one threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The threshold on the smoothed probability.
    pub threshold: f32,
    /// Detections reported.
    pub detections: usize,
    /// Keyword occurrences reported with the right label, once.
    pub hits: usize,
    /// Keyword occurrences in the stream.
    pub occurrences: usize,
    /// Detections that are not a hit: a keyword where there is none, the wrong keyword, or
    /// a second report of one occurrence.
    pub false_accepts: usize,
    /// `hits / occurrences` (NaN without occurrences).
    #[serde(deserialize_with = "nan_if_null")]
    pub recall: f64,
    /// `1 − recall`.
    #[serde(deserialize_with = "nan_if_null")]
    pub false_reject_rate: f64,
    /// False accepts per hour of stream.
    #[serde(deserialize_with = "nan_if_null")]
    pub false_accepts_per_hour: f64,
    /// False accepts by the kind of audio at the middle of the detection's window.
    pub false_accepts_by_kind: BTreeMap<String, usize>,
    /// Median seconds from the end of a word to its report (NaN without hits).
    #[serde(deserialize_with = "nan_if_null")]
    pub latency_median_s: f64,
    /// 90th percentile of the latency.
    #[serde(deserialize_with = "nan_if_null")]
    pub latency_p90_s: f64,
}

/// JSON has no NaN: serde_json writes it as `null`; this reads `null` back as NaN.
fn nan_if_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// Scores `detections` (`(time s, class, score)`, in order) against `stream`.
///
/// A detection of class `c` at time `t` is a hit for the first occurrence of `c` not yet hit
/// whose word starts at or before `t` and ends no more than `tolerance_s` before `t` (the
/// 1 s window that is scored, plus the smoothing delay). Every other detection is a false
/// accept.
pub fn score(
    stream: &LabelledStream,
    rate: u32,
    detections: &[(f32, usize, f32)],
    threshold: f32,
    window_s: f32,
    tolerance_s: f32,
) -> Outcome {
    let labels = Labels {
        segments: &stream.segments,
        occurrences: &stream.occurrences,
        samples: stream.samples.len(),
    };
    score_labels(&labels, rate, detections, threshold, window_s, tolerance_s)
}

/// What scoring needs of a stream: its labels and its length, without its samples.
pub struct Labels<'a> {
    /// Every stretch, in order, without overlap.
    pub segments: &'a [Segment],
    /// Every keyword said, in order.
    pub occurrences: &'a [Occurrence],
    /// Samples in the stream.
    pub samples: usize,
}

/// [`score`] against a stream's [`Labels`].
pub fn score_labels(
    stream: &Labels,
    rate: u32,
    detections: &[(f32, usize, f32)],
    threshold: f32,
    window_s: f32,
    tolerance_s: f32,
) -> Outcome {
    let sr = rate as f64;
    let mut hit = vec![false; stream.occurrences.len()];
    let mut latencies = Vec::new();
    let mut fa = 0usize;
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_open = 0usize;
    for &(t, c, _) in detections {
        let t = t as f64;
        // Occurrences ending more than tolerance_s before t can never match again.
        while first_open < stream.occurrences.len()
            && (stream.occurrences[first_open].word_end as f64 / sr) + (tolerance_s as f64) < t
        {
            first_open += 1;
        }
        let in_reach =
            |o: &&Occurrence| o.class == c && o.word_end as f64 / sr + tolerance_s as f64 >= t;
        let candidates = stream.occurrences[first_open..]
            .iter()
            .enumerate()
            .take_while(|(_, o)| o.word_start as f64 / sr <= t);
        let mut repeat = false;
        let mut found = None;
        for (j, o) in candidates {
            if in_reach(&o) {
                if hit[first_open + j] {
                    repeat = true;
                } else {
                    found = Some(first_open + j);
                    break;
                }
            }
        }
        match found {
            Some(j) => {
                hit[j] = true;
                latencies.push(t - stream.occurrences[j].word_end as f64 / sr);
            }
            None => {
                fa += 1;
                let name = if repeat {
                    "repeat".to_string()
                } else {
                    let mid = ((t - window_s as f64 / 2.0).max(0.0) * sr) as usize;
                    kind_at(stream.segments, mid).name()
                };
                *by_kind.entry(name).or_default() += 1;
            }
        }
    }
    let hits = hit.iter().filter(|h| **h).count();
    let n = stream.occurrences.len();
    let recall = if n == 0 {
        f64::NAN
    } else {
        hits as f64 / n as f64
    };
    let hours = stream.samples as f64 / sr / 3600.0;
    latencies.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        if latencies.is_empty() {
            f64::NAN
        } else {
            latencies[((latencies.len() - 1) as f64 * q).round() as usize]
        }
    };
    Outcome {
        threshold,
        detections: detections.len(),
        hits,
        occurrences: n,
        false_accepts: fa,
        recall,
        false_reject_rate: 1.0 - recall,
        false_accepts_per_hour: if hours > 0.0 {
            fa as f64 / hours
        } else {
            f64::NAN
        },
        false_accepts_by_kind: by_kind,
        latency_median_s: pct(0.5),
        latency_p90_s: pct(0.9),
    }
}

/// The operating point for a false-accept budget: the lowest threshold of `sweep` whose
/// false accepts per hour are at most `fa_per_hour` (the best recall within the budget).
pub fn at_budget(sweep: &[Outcome], fa_per_hour: f64) -> Option<&Outcome> {
    sweep
        .iter()
        .filter(|o| o.false_accepts_per_hour <= fa_per_hour)
        .min_by(|a, b| a.threshold.total_cmp(&b.threshold))
}

#[cfg(test)]
mod tests {
    use super::super::compose::Kind;
    use super::*;

    fn stream() -> LabelledStream {
        // 10 s at 1 kHz: keyword 2 at 1–1.5 s, keyword 3 at 5–5.4 s, a tone at 7–9 s.
        LabelledStream {
            samples: vec![0.0; 10_000],
            segments: vec![
                Segment {
                    kind: Kind::Keyword,
                    start: 900,
                    end: 1900,
                },
                Segment {
                    kind: Kind::Keyword,
                    start: 4800,
                    end: 5800,
                },
                Segment {
                    kind: Kind::Sound(crate::data::sounds::Sound::Tone),
                    start: 7000,
                    end: 9000,
                },
            ],
            occurrences: vec![
                Occurrence {
                    class: 2,
                    word_start: 1000,
                    word_end: 1500,
                },
                Occurrence {
                    class: 3,
                    word_start: 5000,
                    word_end: 5400,
                },
            ],
        }
    }

    #[test]
    fn hits_misses_and_false_accepts() {
        let s = stream();
        // Right word in time; the same word again (repeat); the wrong word at the second
        // occurrence; a detection on the tone.
        let d = [(1.8, 2, 0.9), (2.2, 2, 0.8), (5.6, 2, 0.7), (8.9, 4, 0.6)];
        let o = score(&s, 1000, &d, 0.5, 1.0, 1.3);
        assert_eq!((o.hits, o.occurrences, o.false_accepts), (1, 2, 3));
        assert!((o.recall - 0.5).abs() < 1e-12);
        assert!((o.false_accepts_per_hour - 3.0 * 360.0).abs() < 1e-9);
        assert_eq!(o.false_accepts_by_kind.get("repeat"), Some(&1));
        assert_eq!(o.false_accepts_by_kind.get("keyword"), Some(&1));
        assert_eq!(o.false_accepts_by_kind.get("tone"), Some(&1));
        assert!((o.latency_median_s - 0.3).abs() < 1e-6);
    }

    #[test]
    fn an_outcome_with_nan_reads_back_from_json() {
        let s = stream();
        let o = score(&s, 1000, &[], 0.5, 1.0, 1.3);
        assert!(o.latency_median_s.is_nan());
        let json = serde_json::to_string(&o).unwrap();
        assert!(json.contains("\"latency_median_s\":null"), "{json}");
        let back: Outcome = serde_json::from_str(&json).unwrap();
        assert!(back.latency_median_s.is_nan() && back.recall == 0.0);
    }

    #[test]
    fn too_late_or_too_early_is_not_a_hit() {
        let s = stream();
        let early = score(&s, 1000, &[(0.9, 2, 0.9)], 0.5, 1.0, 1.3);
        let late = score(&s, 1000, &[(2.9, 2, 0.9)], 0.5, 1.0, 1.3);
        let both = score(&s, 1000, &[(1.2, 2, 0.9), (5.2, 3, 0.9)], 0.5, 1.0, 1.3);
        assert_eq!((early.hits, early.false_accepts), (0, 1));
        assert_eq!((late.hits, late.false_accepts), (0, 1));
        assert_eq!((both.hits, both.false_accepts), (2, 0));
        assert!(both.false_reject_rate.abs() < 1e-12);
    }

    #[test]
    fn budget_picks_the_lowest_threshold_within_it() {
        let mk = |t: f32, fa: f64, recall: f64| Outcome {
            threshold: t,
            detections: 0,
            hits: 0,
            occurrences: 1,
            false_accepts: 0,
            recall,
            false_reject_rate: 1.0 - recall,
            false_accepts_per_hour: fa,
            false_accepts_by_kind: BTreeMap::new(),
            latency_median_s: 0.0,
            latency_p90_s: 0.0,
        };
        let sweep = [mk(0.3, 4.0, 0.99), mk(0.6, 0.9, 0.95), mk(0.9, 0.0, 0.7)];
        assert_eq!(at_budget(&sweep, 1.0).map(|o| o.threshold), Some(0.6));
        assert_eq!(at_budget(&sweep, 0.5).map(|o| o.threshold), Some(0.9));
        assert!(at_budget(&sweep[..2], 0.5).is_none());
    }
}
