//! Streaming keyword spotting: audio arrives in pieces (a pipe, a microphone), each new hop of
//! 10 ms adds one log-mel frame (no window is recomputed from scratch), the model runs every
//! `hop_s` on the last second of frames, posteriors are smoothed, and each keyword occurrence
//! is reported once, as soon as it is found.
//!
//! Frames are exactly the interior frames of the offline front end (a frame centred on sample
//! `t·hop` from the samples around it); the stream is taken to start after silence. A window
//! therefore differs from a clip computed on its own only in its first and last two frames,
//! where the offline front end pads the clip with zeros.
//!
//! A keyword is reported when it is the smoothed argmax (not silence or unknown) at or above
//! its threshold, no detection happened in the last `refractory_s`, and the same keyword has
//! dropped below its threshold since it was last reported. At the end of a stream or file,
//! [`Spotter::finish`] completes the last frames with zeros (a recording shorter than a clip
//! is padded to one) and scores the last window, so that a word at the very end is found.
//!
//! The parts: [`FrameStream`] (incremental log-mel frames), [`Smoother`] (moving average of
//! posteriors), [`Decider`] (the decision rule) and [`Spotter`], which joins them with the
//! model for live use. [`TraceStream`] computes the same smoothed posteriors with the windows
//! batched, in bounded memory, so that [`crate::detect`] can run the decision rule for many
//! thresholds over a long stream; [`PosteriorTrace`] holds them for a whole recording.

use std::collections::VecDeque;
use std::io::Read;

use ndarray::{Array2, Array4};
use serde::{Deserialize, Serialize};

use crate::data::task::{SILENCE, UNKNOWN};
use crate::error::TrainError;
use crate::features::MelFrontend;
use crate::run::LoadedRun;

/// Settings of the streaming detector.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Seconds between model evaluations (rounded to whole frames).
    pub hop_s: f32,
    /// Evaluations averaged when smoothing the posteriors.
    pub smooth: usize,
    /// Default threshold on the smoothed probability.
    pub threshold: f32,
    /// Per-keyword thresholds that replace the default.
    pub thresholds: Vec<(String, f32)>,
    /// Seconds after a detection during which nothing else is reported.
    pub refractory_s: f32,
}

impl Default for StreamConfig {
    /// A model evaluation every 100 ms, smoothed over 3, threshold 0.5, no per-keyword
    /// thresholds, 1 s between reports.
    fn default() -> Self {
        StreamConfig {
            hop_s: 0.1,
            smooth: 3,
            threshold: 0.5,
            thresholds: Vec::new(),
            refractory_s: 1.0,
        }
    }
}

/// Parses one per-keyword threshold, `WORD=PROBABILITY` (as `--threshold-for yes=0.8` gives
/// it); the word is checked against a run's classes when the detector is built.
pub fn parse_keyword_threshold(s: &str) -> Result<(String, f32), String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected WORD=PROBABILITY"))?;
    let v: f32 = v
        .parse()
        .map_err(|_| format!("{s:?}: {v:?} is not a number"))?;
    Ok((k.to_string(), v))
}

impl StreamDetection {
    /// One line of `randommix spot`'s text output: the report time, the word, its score and
    /// the latency after the word.
    pub fn to_line(&self) -> String {
        format!(
            "{:>8.2} s  {:<10} {:.3}  (reported {:.2} s after the word)",
            self.end_s, self.label, self.score, self.latency_s
        )
    }
}

/// One detection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamDetection {
    /// The keyword.
    pub label: String,
    /// Smoothed probability.
    pub score: f32,
    /// Start of the 1 s window it was found in, in seconds from the start of the stream.
    pub start_s: f32,
    /// End of that window: the stream time at which it was reported.
    pub end_s: f32,
    /// Estimated seconds from the end of the word to the report: `end_s` minus the centre of
    /// the last frame in the window within 20 dB (band mean) of its loudest frame.
    pub latency_s: f32,
}

/// Incremental log-mel frames: samples go in as they arrive, each frame comes out once.
///
/// Frame `t` is centred on stream sample `t · hop` (the stream is preceded by `n_fft / 2`
/// zeros, as if it started after silence) and equals the offline front end's interior frames.
pub struct FrameStream {
    fe: MelFrontend,
    n_fft: usize,
    hop: usize,
    /// Samples of the stream preceded by `n_fft / 2` zeros; `buf[0]` is padded index `base`.
    buf: Vec<f32>,
    base: usize,
    /// Next frame to compute.
    next: usize,
    /// One frame's output and the front end's work space, reused for every frame.
    col: Array2<f32>,
    scratch: crate::features::Scratch,
}

impl FrameStream {
    /// Frames of the front end `mel` (its `center` setting is ignored).
    pub fn new(mel: &crate::features::MelConfig) -> Result<FrameStream, TrainError> {
        let mut mel = mel.clone();
        mel.center = false;
        let fe = MelFrontend::new(&mel)?;
        let scratch = fe.scratch();
        Ok(FrameStream {
            col: Array2::zeros((mel.n_mels, 1)),
            scratch,
            fe,
            n_fft: mel.n_fft,
            hop: mel.hop_length,
            buf: vec![0.0; mel.n_fft / 2],
            base: 0,
            next: 0,
        })
    }

    /// Frames computed so far.
    pub fn frames(&self) -> usize {
        self.next
    }

    /// Feeds samples; calls `on_frame` with each frame (one log-mel value per band) that
    /// they complete, in order.
    pub fn push(&mut self, samples: &[f32], on_frame: &mut dyn FnMut(&[f32])) {
        self.buf.extend_from_slice(samples);
        while self.next * self.hop + self.n_fft <= self.base + self.buf.len() {
            let s = self.next * self.hop - self.base;
            self.fe.compute_into(
                &self.buf[s..s + self.n_fft],
                self.col.view_mut(),
                &mut self.scratch,
            );
            self.next += 1;
            if let Some(frame) = self.col.as_slice() {
                on_frame(frame);
            }
        }
        // Keep only what the next frame needs.
        let keep_from = self.next * self.hop - self.base;
        if keep_from > 0 {
            self.buf.drain(..keep_from.min(self.buf.len()));
            self.base += keep_from;
        }
    }
}

/// Moving average of the last `n` posterior vectors.
pub struct Smoother {
    n: usize,
    history: VecDeque<Vec<f32>>,
    mean: Vec<f32>,
}

impl Smoother {
    /// Averages over `n ≥ 1` evaluations.
    pub fn new(n: usize) -> Smoother {
        Smoother {
            n: n.max(1),
            history: VecDeque::new(),
            mean: Vec::new(),
        }
    }

    /// Adds one posterior vector and returns the mean of the last `n`.
    pub fn push(&mut self, p: &[f32]) -> &[f32] {
        self.history.push_back(p.to_vec());
        if self.history.len() > self.n {
            self.history.pop_front();
        }
        let len = self.history.len() as f32;
        self.mean.clear();
        self.mean.resize(p.len(), 0.0);
        for h in &self.history {
            for (s, v) in self.mean.iter_mut().zip(h) {
                *s += v / len;
            }
        }
        &self.mean
    }
}

/// The decision rule: a keyword is reported when it is the smoothed argmax (not silence or
/// unknown) at or above its threshold, nothing was reported in the last `refractory_s`, and
/// it has dropped below its threshold since it was last reported.
#[derive(Debug, Clone)]
pub struct Decider {
    thresholds: Vec<f32>,
    keyword: Vec<bool>,
    armed: Vec<bool>,
    refractory_s: f32,
    last: Option<f32>,
}

impl Decider {
    /// A rule over `classes` with one threshold per class.
    pub fn new(classes: &[String], thresholds: Vec<f32>, refractory_s: f32) -> Decider {
        Decider {
            keyword: classes
                .iter()
                .map(|c| c != SILENCE && c != UNKNOWN)
                .collect(),
            armed: vec![true; classes.len()],
            thresholds,
            refractory_s,
            last: None,
        }
    }

    /// One evaluation at stream time `t_s` with smoothed posteriors `sm`: the class and score
    /// reported, if any.
    pub fn step(&mut self, t_s: f32, sm: &[f32]) -> Option<(usize, f32)> {
        for ((armed, &s), &t) in self.armed.iter_mut().zip(sm).zip(&self.thresholds) {
            if s < t {
                *armed = true;
            }
        }
        let c = crate::eval::argmax(sm);
        let quiet = self.last.is_none_or(|l| t_s - l >= self.refractory_s);
        if self.keyword[c] && sm[c] >= self.thresholds[c] && self.armed[c] && quiet {
            self.armed[c] = false;
            self.last = Some(t_s);
            return Some((c, sm[c]));
        }
        None
    }
}

/// Checks a [`StreamConfig`] against a run: the per-class thresholds.
fn class_thresholds(run: &LoadedRun, cfg: &StreamConfig) -> Result<Vec<f32>, TrainError> {
    let range = |setting: &str, value: f32, expected: &str| TrainError::OutOfRange {
        setting: setting.into(),
        value: value.to_string(),
        expected: expected.into(),
    };
    if !(cfg.hop_s.is_finite() && cfg.hop_s > 0.0) {
        return Err(range("--hop", cfg.hop_s, "a finite number of seconds > 0"));
    }
    if cfg.smooth == 0 {
        return Err(range("--smooth", 0.0, "at least 1 window"));
    }
    if !(0.0..=1.0).contains(&cfg.threshold) {
        return Err(range(
            "--threshold",
            cfg.threshold,
            "a probability in [0, 1]",
        ));
    }
    if !(cfg.refractory_s.is_finite() && cfg.refractory_s >= 0.0) {
        return Err(range(
            "--refractory",
            cfg.refractory_s,
            "a finite number of seconds ≥ 0",
        ));
    }
    let classes = run.classes();
    let mut thresholds = vec![cfg.threshold; classes.len()];
    let mut given: Vec<Option<f32>> = vec![None; classes.len()];
    for (name, t) in &cfg.thresholds {
        let Some(k) = classes.iter().position(|c| c == name) else {
            return Err(TrainError::Setting {
                setting: "--threshold-for".into(),
                problem: format!(
                    "{name:?} is not a class of this run ({})",
                    classes.join(", ")
                ),
            });
        };
        if !(0.0..=1.0).contains(t) {
            return Err(range(
                &format!("--threshold-for {name}="),
                *t,
                "a probability in [0, 1]",
            ));
        }
        if let Some(earlier) = given[k] {
            return Err(TrainError::Setting {
                setting: "--threshold-for".into(),
                problem: format!(
                    "{name:?} is given twice ({name}={earlier} and {name}={t}); give each keyword once"
                ),
            });
        }
        given[k] = Some(*t);
        thresholds[k] = *t;
    }
    Ok(thresholds)
}

/// Frames between model evaluations for a hop of `hop_s` seconds.
fn eval_every(run: &LoadedRun, hop_s: f32) -> usize {
    let mel = &run.config.mel;
    ((hop_s * mel.sample_rate as f32 / mel.hop_length as f32).round() as usize).max(1)
}

/// The incremental detector: [`FrameStream`] → the model on the last second every hop →
/// [`Smoother`] → [`Decider`].
pub struct Spotter<'a> {
    run: &'a LoadedRun,
    frames: FrameStream,
    n_frames: usize,
    eval_every: usize,
    window: VecDeque<Vec<f32>>,
    since_eval: usize,
    /// Samples pushed so far.
    samples: usize,
    smoother: Smoother,
    decider: Decider,
}

impl<'a> Spotter<'a> {
    /// A detector for `run`.
    pub fn new(run: &'a LoadedRun, cfg: StreamConfig) -> Result<Spotter<'a>, TrainError> {
        let thresholds = class_thresholds(run, &cfg)?;
        Ok(Spotter {
            run,
            frames: FrameStream::new(&run.config.mel)?,
            n_frames: run.frontend.n_frames(run.config.clip_samples),
            eval_every: eval_every(run, cfg.hop_s),
            window: VecDeque::new(),
            since_eval: 0,
            samples: 0,
            smoother: Smoother::new(cfg.smooth),
            decider: Decider::new(run.classes(), thresholds, cfg.refractory_s),
        })
    }

    /// Flushes the end of the stream, so that a word at its very end is found: the last frames
    /// are completed with zeros as the offline front end pads a clip (a stream shorter than
    /// one clip is padded to a clip, as `predict` pads it), and the last window is scored if
    /// the hop left it out. Call once, after the last [`push`](Self::push).
    pub fn finish(&mut self, emit: &mut dyn FnMut(&StreamDetection)) -> Result<(), TrainError> {
        if self.samples == 0 {
            // An empty stream holds no word.
            return Ok(());
        }
        let short = self.run.config.clip_samples.saturating_sub(self.samples);
        let pad = vec![0.0; short + self.frames.n_fft / 2];
        self.push(&pad, emit)?;
        if self.since_eval > 0 && self.window.len() == self.n_frames {
            self.since_eval = 0;
            let n_mels = self.run.config.mel.n_mels;
            let mut x = Array4::zeros((1, 1, n_mels, self.n_frames));
            fill_window(
                x.slice_mut(ndarray::s![0, 0, .., ..]),
                self.window.iter().map(Vec::as_slice),
            );
            let last = self.frames.frames().saturating_sub(1);
            self.evaluate(x, last, emit)?;
        }
        Ok(())
    }

    /// Feeds samples (mono, at the run's sample rate); calls `emit` for each detection.
    pub fn push(
        &mut self,
        samples: &[f32],
        emit: &mut dyn FnMut(&StreamDetection),
    ) -> Result<(), TrainError> {
        self.samples += samples.len();
        let mut ready = Vec::new();
        let (n_frames, every) = (self.n_frames, self.eval_every);
        let n_mels = self.run.config.mel.n_mels;
        let (window, since) = (&mut self.window, &mut self.since_eval);
        let mut frame = self.frames.frames();
        self.frames.push(samples, &mut |f| {
            window.push_back(f.to_vec());
            if window.len() > n_frames {
                window.pop_front();
            }
            *since += 1;
            if window.len() == n_frames && *since >= every {
                *since = 0;
                let mut x = Array4::zeros((1, 1, n_mels, n_frames));
                fill_window(
                    x.slice_mut(ndarray::s![0, 0, .., ..]),
                    window.iter().map(Vec::as_slice),
                );
                ready.push((x, frame));
            }
            frame += 1;
        });
        for (x, frame) in ready {
            self.evaluate(x, frame, emit)?;
        }
        Ok(())
    }

    fn evaluate(
        &mut self,
        mut x: Array4<f32>,
        frame: usize,
        emit: &mut dyn FnMut(&StreamDetection),
    ) -> Result<(), TrainError> {
        let last_loud = last_loud_frame(&x);
        if let Some(sl) = x.as_slice_mut() {
            self.run.norm.apply(sl);
        }
        let p = self.run.probabilities(x)?;
        let sm = self.smoother.push(p.row(0).as_slice().unwrap_or(&[]));
        let end_s = frame_time(self.run, frame);
        if let Some((c, score)) = self.decider.step(end_s, sm) {
            let word_end = frame_time(self.run, frame + 1 + last_loud - self.n_frames);
            emit(&StreamDetection {
                label: self.run.classes()[c].clone(),
                score,
                start_s: (end_s - self.run.config.clip_samples as f32 / rate(self.run)).max(0.0),
                end_s,
                latency_s: end_s - word_end,
            });
        }
        Ok(())
    }
}

fn rate(run: &LoadedRun) -> f32 {
    run.config.mel.sample_rate as f32
}

/// Stream time (s) of the centre of frame `t`.
fn frame_time(run: &LoadedRun, t: usize) -> f32 {
    (t * run.config.mel.hop_length) as f32 / rate(run)
}

/// The last frame of a `[1, 1, mels, frames]` log-mel window whose mean over the bands is
/// within 20 dB of the loudest frame's.
fn last_loud_frame(x: &Array4<f32>) -> usize {
    let (m, f) = (x.shape()[2], x.shape()[3]);
    let means: Vec<f32> = (0..f)
        .map(|t| (0..m).map(|k| x[[0, 0, k, t]]).sum::<f32>() / m.max(1) as f32)
        .collect();
    let peak = means.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    means
        .iter()
        .rposition(|&v| v >= peak - 20.0)
        .unwrap_or(f.saturating_sub(1))
}

/// Writes frames (one log-mel value per band each, oldest first) as the columns of a
/// `[mels, frames]` window.
fn fill_window<'f>(mut x: ndarray::ArrayViewMut2<f32>, frames: impl Iterator<Item = &'f [f32]>) {
    for (mut col, frame) in x.columns_mut().into_iter().zip(frames) {
        col.assign(&ndarray::ArrayView1::from(frame));
    }
}

/// Smoothed posteriors of a whole recording, one row per model evaluation, as the
/// [`Spotter`] computes them (the windows are batched, so the model runs faster).
#[derive(Debug, Clone)]
pub struct PosteriorTrace {
    /// Stream time of each evaluation (the end of its 1 s window), seconds.
    pub times: Vec<f32>,
    /// Smoothed class probabilities `[evaluations, classes]`.
    pub probs: Array2<f32>,
}

impl PosteriorTrace {
    /// Evaluates `run` every `hop_s` over `samples` (mono, the run's rate), smoothing over
    /// `smooth` evaluations: a [`TraceStream`] fed the whole recording at once.
    pub fn compute(
        run: &LoadedRun,
        samples: &[f32],
        hop_s: f32,
        smooth: usize,
    ) -> Result<PosteriorTrace, TrainError> {
        let mut ts = TraceStream::new(run, hop_s, smooth)?;
        let mut times = Vec::new();
        let mut rows: Vec<f32> = Vec::new();
        let mut keep = |t: f32, row: &[f32]| {
            times.push(t);
            rows.extend_from_slice(row);
        };
        ts.push(samples, &mut keep)?;
        ts.finish(&mut keep)?;
        let k = run.classes().len().max(1);
        let mut probs = Array2::<f32>::zeros((times.len(), k));
        for (mut row, r) in probs.outer_iter_mut().zip(rows.chunks(k)) {
            row.assign(&ndarray::ArrayView1::from(r));
        }
        Ok(PosteriorTrace { times, probs })
    }

    /// The detections of the [`Decider`] with one `threshold` for every keyword:
    /// `(time, class, score)` in order.
    pub fn detections(
        &self,
        classes: &[String],
        threshold: f32,
        refractory_s: f32,
    ) -> Vec<(f32, usize, f32)> {
        let mut d = Decider::new(classes, vec![threshold; classes.len()], refractory_s);
        let mut out = Vec::new();
        for (&t, row) in self.times.iter().zip(self.probs.outer_iter()) {
            if let Some((c, s)) = d.step(t, row.as_slice().unwrap_or(&[])) {
                out.push((t, c, s));
            }
        }
        out
    }
}

/// The smoothed posteriors of a recording that arrives in pieces, computed as
/// [`PosteriorTrace::compute`] computes them for the whole (the same windows, batched the same
/// way), while holding only the frames of one batch of windows: memory does not grow with the
/// recording's length.
pub struct TraceStream<'a> {
    run: &'a LoadedRun,
    frames: FrameStream,
    n_mels: usize,
    n_frames: usize,
    every: usize,
    batch: usize,
    /// Frames kept, oldest first: frame `first` is `buf[..n_mels]`.
    buf: Vec<f32>,
    first: usize,
    /// The last frame of the next window to evaluate.
    next_end: usize,
    /// Window ends waiting for a full batch.
    pending: Vec<usize>,
    smoother: Smoother,
    /// Samples pushed so far (the end-of-stream padding included).
    samples: usize,
}

impl<'a> TraceStream<'a> {
    /// Evaluations of `run` every `hop_s` seconds, smoothed over `smooth` of them.
    pub fn new(
        run: &'a LoadedRun,
        hop_s: f32,
        smooth: usize,
    ) -> Result<TraceStream<'a>, TrainError> {
        if !(hop_s.is_finite() && hop_s > 0.0) || smooth == 0 {
            return Err(TrainError::Setting {
                setting: "--hop, --smooth".into(),
                problem: format!("hop {hop_s} s must be > 0 and smoothing {smooth} ≥ 1"),
            });
        }
        let n_frames = run.frontend.n_frames(run.config.clip_samples);
        Ok(TraceStream {
            run,
            frames: FrameStream::new(&run.config.mel)?,
            n_mels: run.config.mel.n_mels,
            n_frames,
            every: eval_every(run, hop_s),
            batch: run.config.eval_batch_size.max(1),
            buf: Vec::new(),
            first: 0,
            next_end: n_frames.saturating_sub(1),
            pending: Vec::new(),
            smoother: Smoother::new(smooth),
            samples: 0,
        })
    }

    /// Feeds samples; calls `on_row` with the time (the end of the window, seconds) and the
    /// smoothed posteriors of every evaluation they complete a batch of, in order.
    pub fn push(
        &mut self,
        samples: &[f32],
        on_row: &mut dyn FnMut(f32, &[f32]),
    ) -> Result<(), TrainError> {
        let buf = &mut self.buf;
        self.samples += samples.len();
        self.frames.push(samples, &mut |f| buf.extend_from_slice(f));
        let total = self.frames.frames();
        while self.n_frames > 0 && self.next_end < total {
            self.pending.push(self.next_end);
            // A hop longer than any stream leaves one evaluation, never a wrapped index.
            self.next_end = self.next_end.saturating_add(self.every);
            if self.pending.len() == self.batch {
                self.evaluate(on_row)?;
            }
        }
        Ok(())
    }

    /// Flushes the end of the recording, as [`Spotter::finish`] does: the last frames are
    /// completed with zeros as the offline front end pads a clip (a recording shorter than one
    /// clip is padded to a clip), so that a word at the very end is scored; then the windows
    /// still waiting (the last, partial batch) are evaluated. Call once, at the end.
    pub fn finish(&mut self, on_row: &mut dyn FnMut(f32, &[f32])) -> Result<(), TrainError> {
        if self.samples > 0 {
            let short = self.run.config.clip_samples.saturating_sub(self.samples);
            let pad = vec![0.0; short + self.frames.n_fft / 2];
            self.push(&pad, on_row)?;
        }
        if !self.pending.is_empty() {
            self.evaluate(on_row)?;
        }
        Ok(())
    }

    fn evaluate(&mut self, on_row: &mut dyn FnMut(f32, &[f32])) -> Result<(), TrainError> {
        let (m, n) = (self.n_mels, self.n_frames);
        let mut x = Array4::<f32>::zeros((self.pending.len(), 1, m, n));
        for (b, &end) in self.pending.iter().enumerate() {
            let from = end + 1 - n - self.first;
            fill_window(
                x.slice_mut(ndarray::s![b, 0, .., ..]),
                self.buf[from * m..(end + 1 - self.first) * m].chunks(m),
            );
        }
        if let Some(sl) = x.as_slice_mut() {
            self.run.norm.apply(sl);
        }
        let p = self.run.probabilities(x)?;
        for (&end, row) in self.pending.iter().zip(p.outer_iter()) {
            let sm = self.smoother.push(row.as_slice().unwrap_or(&[]));
            on_row(frame_time(self.run, end), sm);
        }
        self.pending.clear();
        // Only the frames from the next window's first on are needed again.
        let keep = (self.next_end + 1).saturating_sub(n).max(self.first);
        let drop = ((keep - self.first) * m).min(self.buf.len());
        self.buf.drain(..drop);
        self.first += drop / m.max(1);
        Ok(())
    }
}

/// The format of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// A WAV header, then samples (as `arecord -f S16_LE -r 16000` writes it).
    Wav,
    /// Raw 16-bit little-endian mono samples at the run's sample rate.
    RawS16,
}

/// Runs a [`Spotter`] over a recording (any rate and channel count; mixed to mono and
/// resampled to the run's rate) as if it arrived in 10 ms pieces, calling `emit` for each
/// detection. Returns the seconds of audio.
pub fn spot_file(
    run: &LoadedRun,
    path: &std::path::Path,
    cfg: StreamConfig,
    emit: &mut dyn FnMut(&StreamDetection),
) -> Result<f32, TrainError> {
    let rate = run.config.mel.sample_rate;
    if rate != crate::audio::SAMPLE_RATE {
        return Err(TrainError::Stream {
            name: path.display().to_string(),
            problem: format!(
                "the run works at {rate} Hz; recordings are read at {} Hz",
                crate::audio::SAMPLE_RATE
            ),
        });
    }
    let d = crate::audio::read_wav(path).map_err(crate::data::DataError::from)?;
    let mut sp = Spotter::new(run, cfg)?;
    for piece in d.samples.chunks((rate / 100).max(1) as usize) {
        sp.push(piece, emit)?;
    }
    sp.finish(emit)?;
    Ok(d.samples.len() as f32 / rate as f32)
}

/// Passes a reader through, keeping a copy of its first 64 KiB (a WAV header), so that the
/// fields `hound` does not expose can be read from it.
struct HeadRecorder<R> {
    inner: R,
    head: Vec<u8>,
}

impl<R: Read> Read for HeadRecorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let room = (64usize << 10).saturating_sub(self.head.len());
        self.head.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

impl<R> HeadRecorder<R> {
    /// The `block_align` field of the recorded header's `fmt ` chunk.
    fn block_align(&self) -> Option<u16> {
        let h = &self.head;
        let mut at = 12;
        while at + 8 <= h.len() {
            let len = u32::from_le_bytes([h[at + 4], h[at + 5], h[at + 6], h[at + 7]]) as usize;
            if &h[at..at + 4] == b"fmt " {
                return h
                    .get(at + 20..at + 22)
                    .map(|b| u16::from_le_bytes([b[0], b[1]]));
            }
            at = at.checked_add(8 + len + len % 2)?;
        }
        None
    }
}

/// Reads `r` to its end in samples of `bytes` bytes, each passed to `sample`; stops at once if
/// what follows starts like a RIFF chunk (four ASCII letters, digits or spaces), and drops a
/// last incomplete sample. The outer result is the reading's, the inner one `sample`'s.
fn read_on<R: Read>(
    r: &mut R,
    bytes: usize,
    sample: &mut dyn FnMut(&[u8]) -> Result<(), TrainError>,
) -> std::io::Result<Result<(), TrainError>> {
    let mut buf = vec![0u8; 4096 * bytes];
    let mut pending: Vec<u8> = Vec::new();
    let mut first = true;
    loop {
        let n = match r.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        pending.extend_from_slice(&buf[..n]);
        if first {
            if pending.len() < 8 && n > 0 {
                continue;
            }
            first = false;
            if pending.len() >= 8
                && pending[..4]
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || *c == b' ')
            {
                return Ok(Ok(()));
            }
        }
        let whole = pending.len() / bytes * bytes;
        for v in pending[..whole].chunks_exact(bytes) {
            if let Err(e) = sample(v) {
                return Ok(Err(e));
            }
        }
        pending.drain(..whole);
        if n == 0 {
            return Ok(Ok(()));
        }
    }
}

/// Reads a stream to its end through a [`Spotter`], calling `emit` for each detection as soon
/// as it is found. `name` names the stream in errors. Returns the seconds of audio read.
pub fn spot_stream<R: Read>(
    run: &LoadedRun,
    reader: R,
    format: StreamFormat,
    cfg: StreamConfig,
    name: &str,
    emit: &mut dyn FnMut(&StreamDetection),
) -> Result<f32, TrainError> {
    let rate = run.config.mel.sample_rate;
    let mut sp = Spotter::new(run, cfg)?;
    let chunk = (rate / 100).max(1) as usize; // 10 ms
    let mut total = 0usize;
    let bad = |problem: String| TrainError::Stream {
        name: name.to_string(),
        problem,
    };
    match format {
        StreamFormat::RawS16 => {
            let mut r = std::io::BufReader::new(reader);
            let mut bytes = vec![0u8; chunk * 2];
            let mut pending: Vec<u8> = Vec::new();
            loop {
                let n = r
                    .read(&mut bytes)
                    .map_err(|e| bad(format!("read failed: {e}")))?;
                if n == 0 {
                    break;
                }
                pending.extend_from_slice(&bytes[..n]);
                let whole = pending.len() / 2 * 2;
                let x: Vec<f32> = pending[..whole]
                    .chunks_exact(2)
                    .map(|b| i16::from_le_bytes([b[0], b[1]]) as f32 / 32768.0)
                    .collect();
                pending.drain(..whole);
                total += x.len();
                sp.push(&x, emit)?;
            }
        }
        StreamFormat::Wav => {
            let recorder = HeadRecorder {
                inner: reader,
                head: Vec::new(),
            };
            let wav = hound::WavReader::new(std::io::BufReader::new(recorder))
                .map_err(|e| bad(format!("not a WAV stream: {e}")))?;
            let spec = wav.spec();
            if spec.sample_rate != rate {
                return Err(bad(format!(
                    "stream is {} Hz; streaming needs {rate} Hz (resample first, e.g. `sox - -r {rate} -t wav -`)",
                    spec.sample_rate
                )));
            }
            let ch = spec.channels.max(1) as usize;
            let scale = match spec.sample_format {
                hound::SampleFormat::Int => {
                    1.0 / (1u64 << (spec.bits_per_sample.max(1) - 1)) as f32
                }
                hound::SampleFormat::Float => 1.0,
            };
            let mut frame = Vec::with_capacity(chunk * ch);
            let push_frame = |frame: &mut Vec<f32>,
                              sp: &mut Spotter,
                              emit: &mut dyn FnMut(&StreamDetection)|
             -> Result<(), TrainError> {
                let mono: Vec<f32> = frame
                    .chunks(ch)
                    .map(|c| c.iter().sum::<f32>() / ch as f32)
                    .collect();
                frame.clear();
                sp.push(&mono, emit)
            };
            let mut reader = wav;
            let feed = |v: f32,
                        frame: &mut Vec<f32>,
                        sp: &mut Spotter,
                        emit: &mut dyn FnMut(&StreamDetection)|
             -> Result<(), TrainError> {
                if !v.is_finite() {
                    return Err(bad("non-finite sample in the stream".into()));
                }
                frame.push(v);
                if frame.len() == chunk * ch {
                    push_frame(frame, sp, emit)?;
                }
                Ok(())
            };
            // Whether the stream ended before the data length its header declares.
            let mut cut = false;
            match spec.sample_format {
                hound::SampleFormat::Int => {
                    for s in reader.samples::<i32>() {
                        match s {
                            Ok(v) => feed(v as f32 * scale, &mut frame, &mut sp, emit)?,
                            // A stream cut in the middle of a sample ends there.
                            Err(hound::Error::IoError(_)) => {
                                cut = true;
                                break;
                            }
                            Err(e) => return Err(bad(format!("bad sample: {e}"))),
                        }
                        total += 1;
                    }
                }
                hound::SampleFormat::Float => {
                    for s in reader.samples::<f32>() {
                        match s {
                            Ok(v) => feed(v, &mut frame, &mut sp, emit)?,
                            Err(hound::Error::IoError(_)) => {
                                cut = true;
                                break;
                            }
                            Err(e) => return Err(bad(format!("bad sample: {e}"))),
                        }
                        total += 1;
                    }
                }
            }
            // A recorder writing to a pipe cannot go back to fix the header's data length, so
            // audio may follow the length it declares: read on in the same format to the end
            // (unless another chunk follows, or the samples' layout is not plain).
            if !cut {
                let mut rest = reader.into_inner();
                let bytes = rest
                    .get_ref()
                    .block_align()
                    .map(|a| a / spec.channels.max(1));
                let plain = match (spec.sample_format, bytes) {
                    (hound::SampleFormat::Int, Some(b)) => {
                        (1..=4).contains(&b) && b * 8 == spec.bits_per_sample
                    }
                    (hound::SampleFormat::Float, Some(b)) => b == 4 && spec.bits_per_sample == 32,
                    _ => false,
                };
                if let (true, Some(b)) = (plain, bytes) {
                    let mut decode = |v: &[u8]| -> Result<(), TrainError> {
                        let x = match (spec.sample_format, b) {
                            (hound::SampleFormat::Float, _) => {
                                f32::from_le_bytes([v[0], v[1], v[2], v[3]])
                            }
                            (_, 1) => (i32::from(v[0]) - 128) as f32 * scale,
                            (_, 2) => f32::from(i16::from_le_bytes([v[0], v[1]])) * scale,
                            (_, 3) => {
                                (i32::from_le_bytes([0, v[0], v[1], v[2]]) >> 8) as f32 * scale
                            }
                            _ => i32::from_le_bytes([v[0], v[1], v[2], v[3]]) as f32 * scale,
                        };
                        feed(x, &mut frame, &mut sp, emit)?;
                        total += 1;
                        Ok(())
                    };
                    read_on(&mut rest, usize::from(b), &mut decode)
                        .map_err(|e| bad(format!("read failed: {e}")))??;
                }
            }
            if !frame.is_empty() {
                push_frame(&mut frame, &mut sp, emit)?;
            }
            total /= ch;
        }
    }
    sp.finish(emit)?;
    Ok(total as f32 / rate as f32)
}
