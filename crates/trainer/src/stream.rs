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
//! dropped below its threshold since it was last reported.

use std::collections::VecDeque;
use std::io::Read;

use ndarray::{Array2, Array4};
use serde::{Deserialize, Serialize};

use crate::data::task::{SILENCE, UNKNOWN};
use crate::error::TrainError;
use crate::features::MelFrontend;
use crate::loaded::LoadedRun;

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
}

/// The incremental detector.
pub struct Spotter<'a> {
    run: &'a LoadedRun,
    fe: MelFrontend,
    cfg: StreamConfig,
    n_fft: usize,
    hop: usize,
    n_frames: usize,
    eval_every: usize,
    /// Samples of the stream preceded by `n_fft / 2` zeros; `buf[0]` is padded index `base`.
    buf: Vec<f32>,
    base: usize,
    /// Next frame to compute.
    next: usize,
    frames: VecDeque<Vec<f32>>,
    /// One frame's output and the front end's work space, reused for every frame.
    col: Array2<f32>,
    scratch: crate::features::Scratch,
    since_eval: usize,
    history: VecDeque<Vec<f32>>,
    thresholds: Vec<f32>,
    keyword: Vec<bool>,
    armed: Vec<bool>,
    last: Option<f32>,
}

impl<'a> Spotter<'a> {
    /// A detector for `run`.
    pub fn new(run: &'a LoadedRun, cfg: StreamConfig) -> Result<Spotter<'a>, TrainError> {
        let hop_ok = cfg.hop_s.is_finite() && cfg.hop_s > 0.0;
        let refractory_ok = cfg.refractory_s.is_finite() && cfg.refractory_s >= 0.0;
        let threshold_ok = (0.0..=1.0).contains(&cfg.threshold);
        if !hop_ok || cfg.smooth == 0 || !threshold_ok || !refractory_ok {
            return Err(TrainError::Config(format!(
                "spot: hop {} s must be > 0, smoothing {} ≥ 1, threshold {} in [0, 1], refractory {} s ≥ 0",
                cfg.hop_s, cfg.smooth, cfg.threshold, cfg.refractory_s
            )));
        }
        let classes = run.classes();
        let mut thresholds = vec![cfg.threshold; classes.len()];
        for (name, t) in &cfg.thresholds {
            let Some(k) = classes.iter().position(|c| c == name) else {
                return Err(TrainError::Config(format!(
                    "spot: --threshold-for names {name:?}, which is not a class of this run ({})",
                    classes.join(", ")
                )));
            };
            if !(0.0..=1.0).contains(t) {
                return Err(TrainError::Config(format!(
                    "spot: threshold {t} for {name:?} must be in [0, 1]"
                )));
            }
            thresholds[k] = *t;
        }
        let mut mel = run.config.mel.clone();
        mel.center = false;
        let fe = MelFrontend::new(&mel).map_err(|e| TrainError::Config(e.to_string()))?;
        let hop = mel.hop_length;
        let eval_every =
            ((cfg.hop_s * mel.sample_rate as f32 / hop as f32).round() as usize).max(1);
        let n_fft = mel.n_fft;
        let keyword: Vec<bool> = classes
            .iter()
            .map(|c| c != SILENCE && c != UNKNOWN)
            .collect();
        let scratch = fe.scratch();
        Ok(Spotter {
            run,
            col: Array2::zeros((mel.n_mels, 1)),
            scratch,
            fe,
            n_fft,
            hop,
            n_frames: run.frontend.n_frames(run.config.clip_samples),
            eval_every,
            buf: vec![0.0; n_fft / 2],
            base: 0,
            next: 0,
            frames: VecDeque::new(),
            since_eval: 0,
            history: VecDeque::new(),
            armed: vec![true; classes.len()],
            thresholds,
            keyword,
            last: None,
            cfg,
        })
    }

    fn seconds(&self, padded_sample: usize) -> f32 {
        padded_sample as f32 / self.run.config.mel.sample_rate as f32
    }

    /// Feeds samples (mono, at the run's sample rate); calls `emit` for each detection.
    pub fn push(
        &mut self,
        samples: &[f32],
        emit: &mut dyn FnMut(&StreamDetection),
    ) -> Result<(), TrainError> {
        self.buf.extend_from_slice(samples);
        while self.next * self.hop + self.n_fft <= self.base + self.buf.len() {
            let s = self.next * self.hop - self.base;
            self.fe.compute_into(
                &self.buf[s..s + self.n_fft],
                self.col.view_mut(),
                &mut self.scratch,
            );
            self.frames.push_back(self.col.column(0).to_vec());
            if self.frames.len() > self.n_frames {
                self.frames.pop_front();
            }
            self.next += 1;
            self.since_eval += 1;
            if self.frames.len() == self.n_frames && self.since_eval >= self.eval_every {
                self.since_eval = 0;
                self.evaluate(emit);
            }
        }
        // Keep only what the next frame needs.
        let keep_from = self.next * self.hop - self.base;
        if keep_from > 0 {
            self.buf.drain(..keep_from.min(self.buf.len()));
            self.base += keep_from;
        }
        Ok(())
    }

    fn evaluate(&mut self, emit: &mut dyn FnMut(&StreamDetection)) {
        let (m, f) = (self.run.config.mel.n_mels, self.n_frames);
        let mut x = Array4::<f32>::zeros((1, 1, m, f));
        for (t, frame) in self.frames.iter().enumerate() {
            for (k, v) in frame.iter().enumerate() {
                x[[0, 0, k, t]] = *v;
            }
        }
        if let Some(sl) = x.as_slice_mut() {
            self.run.norm.apply(sl);
        }
        let p = self.run.probabilities(x);
        self.history.push_back(p.row(0).to_vec());
        if self.history.len() > self.cfg.smooth {
            self.history.pop_front();
        }
        let k = self.thresholds.len();
        let mut sm = vec![0.0f32; k];
        for h in &self.history {
            for (s, v) in sm.iter_mut().zip(h) {
                *s += v / self.history.len() as f32;
            }
        }
        for ((armed, &s), &t) in self.armed.iter_mut().zip(&sm).zip(&self.thresholds) {
            if s < t {
                *armed = true;
            }
        }
        let c = crate::eval::argmax(&sm);
        // The last frame is centred on padded sample (next − 1)·hop + n_fft/2, i.e. stream
        // sample (next − 1)·hop.
        let end_s = self.seconds((self.next - 1) * self.hop);
        let start_s = (end_s - self.seconds(self.run.config.clip_samples)).max(0.0);
        let quiet = self.last.is_none_or(|t| end_s - t >= self.cfg.refractory_s);
        if self.keyword[c] && sm[c] >= self.thresholds[c] && self.armed[c] && quiet {
            self.armed[c] = false;
            self.last = Some(end_s);
            emit(&StreamDetection {
                label: self.run.classes()[c].clone(),
                score: sm[c],
                start_s,
                end_s,
            });
        }
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
    let bad = |problem: String| TrainError::Config(format!("{name}: {problem}"));
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
            let wav = hound::WavReader::new(std::io::BufReader::new(reader))
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
            match spec.sample_format {
                hound::SampleFormat::Int => {
                    for s in reader.samples::<i32>() {
                        match s {
                            Ok(v) => feed(v as f32 * scale, &mut frame, &mut sp, emit)?,
                            // A stream cut in the middle of a sample ends there.
                            Err(hound::Error::IoError(_)) => break,
                            Err(e) => return Err(bad(format!("bad sample: {e}"))),
                        }
                        total += 1;
                    }
                }
                hound::SampleFormat::Float => {
                    for s in reader.samples::<f32>() {
                        match s {
                            Ok(v) => feed(v, &mut frame, &mut sp, emit)?,
                            Err(hound::Error::IoError(_)) => break,
                            Err(e) => return Err(bad(format!("bad sample: {e}"))),
                        }
                        total += 1;
                    }
                }
            }
            if !frame.is_empty() {
                push_frame(&mut frame, &mut sp, emit)?;
            }
            total /= ch;
        }
    }
    Ok(total as f32 / rate as f32)
}
