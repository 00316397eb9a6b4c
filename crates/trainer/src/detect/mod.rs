//! Detection as it is judged in deployment: false rejects at a fixed number of false
//! accepts per hour (FA/h), over a threshold sweep, on a long stream.
//!
//! The stream is built from a split of a data set ([`compose`]): its keyword clips placed
//! among its unknown words, silence, the data set's background noise and synthesized
//! non-speech sounds ([`crate::data::sounds`]: tones, hum, clicks, sirens, music, rings), at known, seeded
//! times; the user's own recordings without keywords can be appended. The stream is planned
//! first ([`compose::plan`]: its labels and what goes where) and then rendered and scored a
//! minute at a time, so that memory does not grow with its length: the streaming detector's
//! posteriors are computed once ([`crate::stream::TraceStream`], the same frames, model and
//! smoothing as `spot -`), and its decision rule runs for every threshold of the sweep at
//! once ([`score`]). FA/h counts false accepts over the whole stream's length.

pub mod compose;
pub mod score;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::audio;
use crate::charts::{Chart, ChartSink};
use crate::data::index::{DatasetIndex, Split};
use crate::data::task::{SILENCE, UNKNOWN};
use crate::error::TrainError;
use crate::eval::EvalSource;
use crate::run::LoadedRun;
use crate::stream::PosteriorTrace;

pub use compose::{Kind, LabelledStream};
pub use score::Outcome;

/// The false-accept budgets reported (FA/h).
pub const BUDGETS: [f64; 2] = [0.5, 1.0];

/// What to measure and how.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectConfig {
    /// Minutes of synthesized stream (0: only the negative recordings).
    pub minutes: f32,
    /// Seed of the stream's composition.
    pub seed: u64,
    /// Recordings without keywords appended to the stream (any rate; resampled to 16 kHz).
    pub negatives: Vec<PathBuf>,
    /// Seconds between model evaluations.
    pub hop_s: f32,
    /// Evaluations averaged when smoothing.
    pub smooth: usize,
    /// Seconds after a detection during which nothing else is reported.
    pub refractory_s: f32,
    /// The threshold reported beside the budgets (`spot`'s default).
    pub threshold: f32,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            minutes: 60.0,
            seed: 0,
            negatives: Vec::new(),
            hop_s: 0.1,
            smooth: 3,
            refractory_s: 1.0,
            threshold: 0.5,
        }
    }
}

/// The longest synthesized stream `detect` builds, in minutes (24 hours). The stream is
/// composed and scored a minute at a time, so memory does not grow with its length; the limit
/// bounds the time (about a second of computing per minute of stream on two cores).
pub const MAX_MINUTES: f32 = 1440.0;

impl DetectConfig {
    /// Checks the settings: `minutes` finite in [0, [`MAX_MINUTES`]], `hop_s` finite and > 0,
    /// `smooth` ≥ 1, `threshold` in [0, 1], `refractory_s` finite and ≥ 0.
    pub fn validate(&self) -> Result<(), TrainError> {
        let range = |setting: &str, value: f32, expected: String| TrainError::OutOfRange {
            setting: setting.into(),
            value: value.to_string(),
            expected,
        };
        if !(self.minutes.is_finite() && (0.0..=MAX_MINUTES).contains(&self.minutes)) {
            return Err(range(
                "--minutes",
                self.minutes,
                format!(
                    "a number of minutes from 0 to {MAX_MINUTES} ({} hours of stream; scoring \
                     takes about a second per minute)",
                    MAX_MINUTES / 60.0
                ),
            ));
        }
        if !(self.hop_s.is_finite() && self.hop_s > 0.0) {
            return Err(range(
                "--hop",
                self.hop_s,
                "a finite number of seconds > 0".into(),
            ));
        }
        if self.smooth == 0 {
            return Err(range("--smooth", 0.0, "at least 1 window".into()));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(range(
                "--threshold",
                self.threshold,
                "a probability in [0, 1]".into(),
            ));
        }
        if !(self.refractory_s.is_finite() && self.refractory_s >= 0.0) {
            return Err(range(
                "--refractory",
                self.refractory_s,
                "a finite number of seconds ≥ 0".into(),
            ));
        }
        Ok(())
    }
}

/// The thresholds of the sweep: 0.05 … 0.95 by 0.05, then 0.96 … 0.99 and 0.995, 0.999.
pub fn sweep_thresholds() -> Vec<f32> {
    let mut t: Vec<f32> = (1..=19).map(|k| (5 * k) as f32 / 100.0).collect();
    t.extend([0.96, 0.97, 0.98, 0.99, 0.995, 0.999]);
    t
}

/// What the stream held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamSummary {
    /// Length in hours.
    pub hours: f64,
    /// Keyword occurrences.
    pub keywords: usize,
    /// Seconds of each kind of audio.
    pub seconds_by_kind: BTreeMap<String, f64>,
    /// Distinct clips it was built from: keyword clips and unknown-word clips.
    pub keyword_clips: usize,
    /// See `keyword_clips`.
    pub unknown_clips: usize,
}

/// An operating point: the best recall within a false-accept budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OperatingPoint {
    /// The budget, false accepts per hour.
    pub budget_fa_per_hour: f64,
    /// The outcome at the lowest swept threshold within it (none when no threshold is).
    pub outcome: Option<Outcome>,
}

/// The report of a detection run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DetectReport {
    /// The split the stream was built from.
    pub split: String,
    /// Data, task, checkpoint and date.
    pub source: EvalSource,
    /// The settings.
    pub config: DetectConfig,
    /// What the stream held.
    pub stream: StreamSummary,
    /// One outcome per swept threshold, in increasing order.
    pub sweep: Vec<Outcome>,
    /// The outcome at `config.threshold`.
    pub at_threshold: Outcome,
    /// The best recall within 0.5 and within 1 FA/h.
    pub budgets: Vec<OperatingPoint>,
}

impl DetectReport {
    /// The sweep as CSV: one row per threshold.
    pub fn csv(&self) -> Vec<u8> {
        let rows = self.sweep.iter().map(|o| {
            vec![
                format!("{}", o.threshold),
                o.detections.to_string(),
                o.hits.to_string(),
                o.occurrences.to_string(),
                o.false_accepts.to_string(),
                format!("{:.4}", o.recall),
                format!("{:.4}", o.false_reject_rate),
                format!("{:.3}", o.false_accepts_per_hour),
                format!("{:.3}", o.latency_median_s),
            ]
        });
        crate::csv_out::csv_bytes(
            &[
                "threshold",
                "detections",
                "hits",
                "keywords",
                "false_accepts",
                "recall",
                "false_reject_rate",
                "false_accepts_per_hour",
                "latency_median_s",
            ],
            rows,
        )
    }

    /// A plain-text summary.
    pub fn to_text(&self) -> String {
        let s = &self.stream;
        let mut t = format!(
            "stream: {:.2} h from the {} split of {} ({} keywords from {} clips, {} unknown-word clips)\n",
            s.hours,
            self.split,
            self.source.data.display(),
            s.keywords,
            s.keyword_clips,
            s.unknown_clips
        );
        let kinds: Vec<String> = s
            .seconds_by_kind
            .iter()
            .map(|(k, v)| format!("{k} {:.0} s", v))
            .collect();
        t += &format!("  audio: {}\n", kinds.join(", "));
        t += &format!(
            "{:>9} {:>8} {:>8} {:>8} {:>10}\n",
            "threshold", "recall", "FRR", "FA", "FA/h"
        );
        for o in &self.sweep {
            t += &format!(
                "{:>9.3} {:>7.1}% {:>7.1}% {:>8} {:>10.2}\n",
                o.threshold,
                100.0 * o.recall,
                100.0 * o.false_reject_rate,
                o.false_accepts,
                o.false_accepts_per_hour
            );
        }
        for b in &self.budgets {
            t += &match &b.outcome {
                Some(o) => format!(
                    "at ≤ {} FA/h: FRR {:.1}% (threshold {}, {:.2} FA/h)\n",
                    b.budget_fa_per_hour,
                    100.0 * o.false_reject_rate,
                    o.threshold,
                    o.false_accepts_per_hour
                ),
                None => format!(
                    "at ≤ {} FA/h: not reached by any swept threshold\n",
                    b.budget_fa_per_hour
                ),
            };
        }
        let o = &self.at_threshold;
        let fa: Vec<String> = o
            .false_accepts_by_kind
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        t += &format!(
            "at threshold {}: FRR {:.1}%, {:.2} FA/h ({}), latency after the word: median {:.2} s, 90 % {:.2} s\n",
            o.threshold,
            100.0 * o.false_reject_rate,
            o.false_accepts_per_hour,
            if fa.is_empty() {
                "no false accepts".to_string()
            } else {
                format!("false accepts on: {}", fa.join(", "))
            },
            o.latency_median_s,
            o.latency_p90_s
        );
        t
    }
}

/// The audio a detection stream is made of, loaded from a data set: the split's keyword clips
/// (with their class) and unknown-word clips, the background noise and the negative
/// recordings. Its size depends on the data set, not on the stream's length.
pub struct StreamAudio {
    /// Keyword clips and their class index.
    pub keywords: Vec<(Vec<f32>, usize)>,
    /// Clips of words that are not keywords.
    pub unknown: Vec<Vec<f32>>,
    /// Background-noise recordings.
    pub noise: Vec<Vec<f32>>,
    /// The user's recordings without keywords.
    pub negatives: Vec<Vec<f32>>,
    /// Sample rate.
    pub rate: u32,
}

impl StreamAudio {
    /// The ingredients of [`compose`](compose::compose) and [`plan`](compose::plan).
    pub fn ingredients(&self) -> compose::Ingredients<'_> {
        compose::Ingredients {
            keywords: &self.keywords,
            unknown: &self.unknown,
            noise: &self.noise,
            negatives: &self.negatives,
            rate: self.rate,
        }
    }
}

/// Loads what the stream of `split` of `index` for `run` is made of.
pub fn stream_audio(
    run: &LoadedRun,
    index: &DatasetIndex,
    split: Split,
    cfg: &DetectConfig,
) -> Result<StreamAudio, TrainError> {
    let classes = run.classes();
    let len = run.config.clip_samples;
    let mut keywords = Vec::new();
    let mut unknown = Vec::new();
    for e in index.entries.iter().filter(|e| e.split == split) {
        let class = classes.iter().position(|c| *c == e.word);
        let is_keyword = matches!(class, Some(k) if classes[k] != SILENCE && classes[k] != UNKNOWN);
        // In the 12-class task every other word is unknown; with all words as classes
        // there are no unknown words.
        let is_unknown = class.is_none() && classes.iter().any(|c| c == UNKNOWN);
        if !(is_keyword || is_unknown) {
            continue;
        }
        let clip =
            audio::load_clip(&index.path_of(e), len).map_err(crate::data::DataError::from)?;
        match class {
            Some(k) if is_keyword => keywords.push((clip, k)),
            _ => unknown.push(clip),
        }
    }
    if cfg.minutes > 0.0 && keywords.is_empty() {
        return Err(TrainError::RunDir {
            path: index.root.clone(),
            problem: format!(
                "the {} split has no keyword clips to build a stream from",
                split.name()
            ),
        });
    }
    let mut noise = Vec::new();
    for p in &index.noise_files {
        noise.push(
            audio::read_wav(p)
                .map_err(crate::data::DataError::from)?
                .samples,
        );
    }
    let mut negatives = Vec::new();
    for p in &cfg.negatives {
        let d = audio::read_wav(p).map_err(crate::data::DataError::from)?;
        if d.samples.is_empty() {
            return Err(TrainError::Stream {
                name: p.display().to_string(),
                problem: "the --negative recording has no samples".into(),
            });
        }
        negatives.push(d.samples);
    }
    Ok(StreamAudio {
        keywords,
        unknown,
        noise,
        negatives,
        rate: run.config.mel.sample_rate,
    })
}

/// Builds the labelled stream of `split` of `index` for `run`, whole, in memory.
pub fn build_stream(
    run: &LoadedRun,
    index: &DatasetIndex,
    split: Split,
    cfg: &DetectConfig,
) -> Result<(LabelledStream, usize, usize), TrainError> {
    let a = stream_audio(run, index, split, cfg)?;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let s = compose::compose(&a.ingredients(), cfg.minutes * 60.0, &mut rng);
    Ok((s, a.keywords.len(), a.unknown.len()))
}

/// Samples of a planned stream rendered and scored at a time (one minute at 16 kHz: 3.8 MB).
const PIECE_SECONDS: usize = 60;

/// Runs the detector over the planned stream, rendered a minute at a time, and scores every
/// swept threshold: the same figures as [`measure`] on the whole stream, in memory that does
/// not grow with the stream's length (beyond its labels).
pub fn measure_plan(
    run: &LoadedRun,
    plan: &compose::StreamPlan<'_, ChaCha8Rng>,
    cfg: &DetectConfig,
) -> Result<(Vec<Outcome>, Outcome), TrainError> {
    cfg.validate()?;
    let rate = run.config.mel.sample_rate;
    let classes = run.classes();
    let mut thresholds = sweep_thresholds();
    thresholds.push(cfg.threshold);
    // One decision rule per threshold, each with the detections `(time, class, score)` it made.
    type Rule = (crate::stream::Decider, Vec<(f32, usize, f32)>);
    let mut deciders: Vec<Rule> = thresholds
        .iter()
        .map(|&t| {
            (
                crate::stream::Decider::new(classes, vec![t; classes.len()], cfg.refractory_s),
                Vec::new(),
            )
        })
        .collect();
    let mut on_row = |t: f32, row: &[f32]| {
        for (d, found) in deciders.iter_mut() {
            if let Some((c, s)) = d.step(t, row) {
                found.push((t, c, s));
            }
        }
    };
    let mut trace = crate::stream::TraceStream::new(run, cfg.hop_s, cfg.smooth)?;
    let piece = (rate as usize * PIECE_SECONDS).max(1);
    let mut buf = vec![0.0f32; piece.min(plan.len())];
    let mut from = 0;
    while from < plan.len() {
        let n = piece.min(plan.len() - from);
        plan.render(from, &mut buf[..n]);
        trace.push(&buf[..n], &mut on_row)?;
        from += n;
    }
    trace.finish(&mut on_row)?;
    let labels = score::Labels {
        segments: &plan.segments,
        occurrences: &plan.occurrences,
        samples: plan.len(),
    };
    let (window_s, tolerance_s) = windows(run, cfg);
    let mut outcomes: Vec<Outcome> = thresholds
        .iter()
        .zip(&deciders)
        .map(|(&t, (_, d))| score::score_labels(&labels, rate, d, t, window_s, tolerance_s))
        .collect();
    let at_threshold = outcomes.pop().ok_or_else(|| TrainError::Setting {
        setting: "--threshold".into(),
        problem: "no threshold to score".into(),
    })?;
    Ok((outcomes, at_threshold))
}

/// The scored window and the tolerance of a hit: the word must be inside the scored window,
/// reported at most one window (plus the smoothing delay) after it ends.
fn windows(run: &LoadedRun, cfg: &DetectConfig) -> (f32, f32) {
    let window_s = run.config.clip_samples as f32 / run.config.mel.sample_rate as f32;
    (window_s, window_s + cfg.smooth as f32 * cfg.hop_s)
}

/// Runs the detector over `stream` and scores every swept threshold.
pub fn measure(
    run: &LoadedRun,
    stream: &LabelledStream,
    cfg: &DetectConfig,
) -> Result<(Vec<Outcome>, Outcome), TrainError> {
    cfg.validate()?;
    let rate = run.config.mel.sample_rate;
    let trace = PosteriorTrace::compute(run, &stream.samples, cfg.hop_s, cfg.smooth)?;
    let (window_s, tolerance_s) = windows(run, cfg);
    let at = |t: f32| {
        let d = trace.detections(run.classes(), t, cfg.refractory_s);
        score::score(stream, rate, &d, t, window_s, tolerance_s)
    };
    let sweep = sweep_thresholds().into_iter().map(at).collect();
    Ok((sweep, at(cfg.threshold)))
}

/// Summarises what `stream` holds.
pub fn summarize(
    stream: &LabelledStream,
    rate: u32,
    kw_clips: usize,
    unk_clips: usize,
) -> StreamSummary {
    let labels = score::Labels {
        segments: &stream.segments,
        occurrences: &stream.occurrences,
        samples: stream.samples.len(),
    };
    summarize_labels(&labels, rate, kw_clips, unk_clips)
}

/// [`summarize`] from a stream's labels and length.
pub fn summarize_labels(
    stream: &score::Labels,
    rate: u32,
    kw_clips: usize,
    unk_clips: usize,
) -> StreamSummary {
    let sr = rate as f64;
    let mut by: BTreeMap<String, f64> = BTreeMap::new();
    let mut covered = 0usize;
    for g in stream.segments {
        *by.entry(g.kind.name()).or_default() += (g.end - g.start) as f64 / sr;
        covered += g.end - g.start;
    }
    *by.entry(Kind::Silence.name()).or_default() +=
        stream.samples.saturating_sub(covered) as f64 / sr;
    StreamSummary {
        hours: stream.samples as f64 / sr / 3600.0,
        keywords: stream.occurrences.len(),
        seconds_by_kind: by,
        keyword_clips: kw_clips,
        unknown_clips: unk_clips,
    }
}

/// The report of the detector of `run` on a stream built from `split` of `index`.
pub fn detect_report(
    run: &LoadedRun,
    index: &DatasetIndex,
    split: Split,
    cfg: &DetectConfig,
) -> Result<DetectReport, TrainError> {
    cfg.validate()?;
    crate::eval::run_task(run, index)?;
    let audio = stream_audio(run, index, split, cfg)?;
    let ing = audio.ingredients();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let plan = compose::plan(&ing, cfg.minutes * 60.0, &mut rng);
    if plan.len() < run.config.clip_samples {
        return Err(TrainError::Setting {
            setting: "--minutes, --negative".into(),
            problem: "the stream is shorter than one window: give --minutes > 0 or a longer \
                      --negative recording"
                .into(),
        });
    }
    let (sweep, at_threshold) = measure_plan(run, &plan, cfg)?;
    let budgets = BUDGETS
        .iter()
        .map(|&b| OperatingPoint {
            budget_fa_per_hour: b,
            outcome: score::at_budget(&sweep, b).cloned(),
        })
        .collect();
    Ok(DetectReport {
        split: split.name().to_string(),
        source: EvalSource::now(
            &index.root,
            &run.config.task,
            &run.checkpoint,
            run.checkpoint_epoch,
        ),
        config: cfg.clone(),
        stream: summarize_labels(
            &score::Labels {
                segments: &plan.segments,
                occurrences: &plan.occurrences,
                samples: plan.len(),
            },
            run.config.mel.sample_rate,
            audio.keywords.len(),
            audio.unknown.len(),
        ),
        sweep,
        at_threshold,
        budgets,
    })
}

/// The files a report is written to: `<stem>.json`, `<stem>.csv` and `<stem>_det.png`.
pub fn output_files(stem: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut s = stem.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    };
    [with(".json"), with(".csv"), with("_det.png")]
}

/// Writes the report's JSON and CSV next to `stem`, each atomically, hands its DET plot to
/// `charts`, and returns the files written. A stream without keywords has no false-reject
/// rate, so no DET plot.
pub fn write_report(
    report: &DetectReport,
    stem: &Path,
    label: &str,
    charts: &dyn ChartSink,
) -> Result<Vec<PathBuf>, TrainError> {
    let [json_path, csv_path, png_path] = output_files(stem);
    let json = serde_json::to_vec_pretty(report).map_err(|cause| TrainError::Json {
        path: json_path.clone(),
        cause,
    })?;
    crate::io::atomic_write_bytes(&json_path, &json)?;
    crate::io::atomic_write_bytes(&csv_path, &report.csv())?;
    let mut files = vec![json_path, csv_path];
    if report.stream.keywords == 0 {
        return Ok(files);
    }
    let pts: Vec<(f64, f64)> = report
        .sweep
        .iter()
        .map(|o| (o.false_accepts_per_hour, 100.0 * o.false_reject_rate))
        .collect();
    let floor = if report.stream.hours > 0.0 {
        (0.5 / report.stream.hours).min(0.1)
    } else {
        0.1
    };
    let chart = Chart::Det {
        title: format!("DET, {} split, {:.1} h", report.split, report.stream.hours),
        series: vec![(label.to_string(), pts)],
        budgets: BUDGETS.to_vec(),
        floor,
    };
    if crate::charts::draw(charts, &png_path, chart)? {
        files.push(png_path);
    }
    Ok(files)
}

/// `randommix detect`: measures the run in `dir` on a stream built from `split` of `data`
/// (the run's own data when `None`) and writes `detect_<split>.{json,csv}` and
/// `detect_<split>_det.png` into the run folder (named after the other folder for other
/// data, as `eval` does); the plot is drawn by `charts`.
pub fn detect(
    dir: &Path,
    data: Option<&Path>,
    split: Split,
    cfg: &DetectConfig,
    charts: &dyn ChartSink,
) -> Result<(DetectReport, Vec<PathBuf>), TrainError> {
    cfg.validate()?;
    let run = LoadedRun::open(dir, false)?;
    let (index, own) = run.index_for(data)?;
    let report = detect_report(&run, &index, split, cfg)?;
    let other = (!own).then_some(index.root.as_path());
    let stem = run.paths().detect_stem(split.name(), other);
    let label = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    let files = write_report(&report, &stem, &label, charts)?;
    Ok((report, files))
}
