//! Using a trained run: `predict` (top-k labels per clip). Keyword spotting in recordings
//! and streams is [`crate::stream`].

use std::path::PathBuf;

use ndarray::{Array4, s};
use serde::{Deserialize, Serialize};

use crate::audio;
use crate::error::TrainError;
use crate::run::LoadedRun;

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

    /// Top-`k` labels of each WAV file. Files are decoded one at a time and each is cropped
    /// (its allocation shrunk) to the clip length before the next is read, so that memory
    /// holds one recording plus at most `eval_batch_size` clips, however long the files are.
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
            let p = self.probabilities(self.features_of(&clips))?;
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
