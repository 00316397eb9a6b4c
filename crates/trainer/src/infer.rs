//! Using a trained run: `predict` (top-k labels per clip) and `spot` (keywords in a long
//! recording).

use std::path::{Path, PathBuf};

use ndarray::{Array2, Array4, s};
use serde::{Deserialize, Serialize};

use crate::audio;
use crate::data::task::{SILENCE, UNKNOWN};
use crate::error::TrainError;
use crate::loaded::LoadedRun;

/// One label with its probability.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    /// Class name.
    pub label: String,
    /// Softmax probability.
    pub probability: f32,
}

/// The prediction for one clip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The clip.
    pub file: PathBuf,
    /// The k most probable labels, best first.
    pub top: Vec<Scored>,
}

impl LoadedRun {
    /// Normalised features `[B, 1, mels, frames]` of 16 kHz clips already fitted to length.
    pub fn features_of(&self, clips: &[Vec<f32>]) -> Array4<f32> {
        let n_frames = self.frontend.n_frames(self.config.clip_samples);
        let mut x = Array4::<f32>::zeros((clips.len(), 1, self.config.mel.n_mels, n_frames));
        for (i, c) in clips.iter().enumerate() {
            let mut f = self.frontend.compute(c);
            if let Some(sl) = f.as_slice_mut() {
                self.norm.apply(sl);
            }
            x.slice_mut(s![i, 0, .., ..]).assign(&f);
        }
        x
    }

    /// Top-`k` labels of each WAV file.
    pub fn predict_files(
        &self,
        files: &[PathBuf],
        k: usize,
    ) -> Result<Vec<Prediction>, TrainError> {
        let mut out = Vec::new();
        for chunk in files.chunks(self.config.eval_batch_size.max(1)) {
            let mut clips = Vec::with_capacity(chunk.len());
            for f in chunk {
                clips.push(
                    audio::load_clip(f, self.config.clip_samples)
                        .map_err(crate::data::DataError::from)?,
                );
            }
            let p = self.probabilities(self.features_of(&clips));
            for (f, row) in chunk.iter().zip(p.outer_iter()) {
                out.push(Prediction {
                    file: f.clone(),
                    top: top_k(row.as_slice().unwrap_or(&[]), self.classes(), k),
                });
            }
        }
        Ok(out)
    }
}

fn top_k(p: &[f32], classes: &[String], k: usize) -> Vec<Scored> {
    let mut idx: Vec<usize> = (0..p.len()).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    idx.into_iter()
        .take(k)
        .map(|i| Scored {
            label: classes[i].clone(),
            probability: p[i],
        })
        .collect()
}

/// Settings of [`spot`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpotConfig {
    /// Hop between analysis windows, in seconds (0.1).
    pub hop_s: f32,
    /// Number of windows the posteriors are averaged over (3).
    pub smooth: usize,
    /// Smallest smoothed probability of a detection (0.5).
    pub threshold: f32,
}

impl Default for SpotConfig {
    fn default() -> Self {
        SpotConfig {
            hop_s: 0.1,
            smooth: 3,
            threshold: 0.5,
        }
    }
}

/// A keyword found in a long recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The keyword.
    pub label: String,
    /// Start of the 1 s window with the highest smoothed score, in seconds.
    pub start_s: f32,
    /// End of the run of windows that voted for this keyword, in seconds.
    pub end_s: f32,
    /// The highest smoothed probability.
    pub score: f32,
}

/// Slides the model over a long recording with hop `cfg.hop_s`, smooths the posteriors with a
/// moving average over `cfg.smooth` windows, and reports each run of windows whose best class is
/// the same keyword (not silence, not unknown) with a smoothed score ≥ `cfg.threshold`.
pub fn spot(run: &LoadedRun, wav: &Path, cfg: &SpotConfig) -> Result<Vec<Detection>, TrainError> {
    if !(cfg.hop_s.is_finite() && cfg.hop_s > 0.0)
        || cfg.smooth == 0
        || !(0.0..=1.0).contains(&cfg.threshold)
    {
        return Err(TrainError::Config(format!(
            "spot: hop {} s must be > 0, smoothing {} ≥ 1, threshold {} in [0, 1]",
            cfg.hop_s, cfg.smooth, cfg.threshold
        )));
    }
    let decoded = audio::read_wav(wav).map_err(crate::data::DataError::from)?;
    let win = run.config.clip_samples;
    let hop = ((cfg.hop_s * audio::SAMPLE_RATE as f32).round() as usize).max(1);
    let mut x = decoded.samples;
    if x.len() < win {
        x.resize(win, 0.0);
    }
    let n_win = (x.len() - win) / hop + 1;
    let mut probs = Array2::<f32>::zeros((n_win, run.classes().len()));
    let batch = run.config.eval_batch_size.max(1);
    for start in (0..n_win).step_by(batch) {
        let end = (start + batch).min(n_win);
        let clips: Vec<Vec<f32>> = (start..end)
            .map(|w| x[w * hop..w * hop + win].to_vec())
            .collect();
        let p = run.probabilities(run.features_of(&clips));
        probs.slice_mut(s![start..end, ..]).assign(&p);
    }
    // Moving average, centred.
    let k = cfg.smooth;
    let mut sm = Array2::<f32>::zeros(probs.dim());
    for t in 0..n_win {
        let a = t.saturating_sub(k / 2);
        let b = (a + k).min(n_win);
        let m = probs.slice(s![a..b, ..]).mean_axis(ndarray::Axis(0));
        if let Some(m) = m {
            sm.row_mut(t).assign(&m);
        }
    }
    let hop_s = hop as f32 / audio::SAMPLE_RATE as f32;
    let win_s = win as f32 / audio::SAMPLE_RATE as f32;
    let mut out: Vec<Detection> = Vec::new();
    let mut current: Option<(usize, usize, usize, f32)> = None; // (class, first, best t, best score)
    for t in 0..=n_win {
        let hit = if t < n_win {
            let row = sm.row(t);
            let c = crate::eval::argmax(row.as_slice().unwrap_or(&[]));
            let name = &run.classes()[c];
            (name != SILENCE && name != UNKNOWN && row[c] >= cfg.threshold).then_some((c, row[c]))
        } else {
            None
        };
        match (current, hit) {
            (Some((c, first, bt, bs)), Some((c2, sc))) if c == c2 => {
                current = Some(if sc > bs {
                    (c, first, t, sc)
                } else {
                    (c, first, bt, bs)
                });
            }
            (cur, h) => {
                if let Some((c, _first, bt, bs)) = cur {
                    out.push(Detection {
                        label: run.classes()[c].clone(),
                        start_s: bt as f32 * hop_s,
                        end_s: (t - 1) as f32 * hop_s + win_s,
                        score: bs,
                    });
                }
                current = h.map(|(c, sc)| (c, t, t, sc));
            }
        }
    }
    Ok(out)
}
