//! From dataset items to feature batches: online augmentation (time shift, background
//! noise, silence), log-mel features, normalisation and batching.

use ndarray::{Array2, Array4, ArrayView2, Axis, s};
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::DataError;
use super::noise::{NoiseSnr, add_at_snr, white_noise};
use super::sounds::{self, Sound};
use super::store::AudioStore;
use super::task::{Item, Source};
use super::voice::{SpecAugment, VoiceAugment};
use crate::audio;
use crate::features::MelFrontend;

/// Online augmentation settings (TensorFlow's Speech Commands trainer defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AugmentConfig {
    /// Largest time shift, in milliseconds, either way (100).
    pub time_shift_ms: f32,
    /// Probability that a training clip gets background noise (0.8).
    pub noise_prob: f32,
    /// Largest background-noise volume for word clips (0.1); the volume is U(0, this).
    pub noise_volume: f32,
    /// Largest noise volume for silence samples (1.0); the volume is U(0, this).
    pub silence_volume: f32,
    /// Voice and channel augmentation (speed, gain, mel warp, EQ, band-limiting, reverb);
    /// off in runs saved before it existed.
    #[serde(default)]
    pub voice: VoiceAugment,
    /// SpecAugment masks on the normalised features; off in runs saved before it existed.
    #[serde(default)]
    pub spec_augment: SpecAugment,
    /// Noise for word clips at a drawn SNR (white or background) instead of a volume drawn
    /// from U(0, `noise_volume`); off (`None`) in runs saved before it existed.
    #[serde(default)]
    pub noise_snr: Option<NoiseSnr>,
    /// Probability that a training silence sample also holds a synthesized non-speech sound
    /// (tone, hum, clicks, siren, music, ring; [`super::sounds`]), so that the model does not
    /// take such sounds for words; 0 in runs saved before it existed.
    #[serde(default)]
    pub nonspeech_prob: f32,
}

impl Default for AugmentConfig {
    fn default() -> Self {
        AugmentConfig {
            time_shift_ms: 100.0,
            noise_prob: 0.8,
            noise_volume: 0.1,
            silence_volume: 1.0,
            voice: VoiceAugment::off(),
            spec_augment: SpecAugment::default(),
            noise_snr: None,
            nonspeech_prob: 0.5,
        }
    }
}

impl AudioStore {
    /// Adds `volume` × a random background-noise segment to `out`.
    fn add_noise<R: Rng + ?Sized>(&self, out: &mut [f32], volume: f32, rng: &mut R) {
        let noise = self.noise();
        if noise.is_empty() {
            return;
        }
        let n = &noise[rng.random_range(0..noise.len())];
        let start = rng.random_range(0..=n.len() - out.len());
        let len = out.len();
        for (o, &x) in out.iter_mut().zip(&n[start..start + len]) {
            *o = (*o + volume * x).clamp(-1.0, 1.0);
        }
    }

    /// The audio of one item with training augmentation: time shift, voice stages, background
    /// noise with probability `noise_prob` (at a volume, or at an SNR when `noise_snr` is set),
    /// silence as noise at U(0, `silence_volume`).
    pub fn augmented<R: Rng + ?Sized>(
        &self,
        item: &Item,
        aug: &AugmentConfig,
        out: &mut [f32],
        rng: &mut R,
    ) -> Result<(), DataError> {
        out.fill(0.0);
        match item.source {
            Source::Silence => {
                let v = rng.random::<f32>() * aug.silence_volume;
                self.add_noise(out, v, rng);
                if aug.nonspeech_prob > 0.0 && rng.random::<f32>() < aug.nonspeech_prob {
                    let kind = Sound::ALL[rng.random_range(0..Sound::ALL.len())];
                    let x = sounds::synth(kind, out.len(), audio::SAMPLE_RATE, rng);
                    for (o, s) in out.iter_mut().zip(&x) {
                        *o = (*o + s).clamp(-1.0, 1.0);
                    }
                }
            }
            Source::Clip(i) => {
                let clip = self.clip(i)?;
                let max_shift =
                    (aug.time_shift_ms / 1000.0 * crate::audio::SAMPLE_RATE as f32) as i64;
                let shift = if max_shift > 0 {
                    rng.random_range(-max_shift..=max_shift)
                } else {
                    0
                };
                // out[t] = clip[t - shift], zero outside.
                let n = out.len() as i64;
                for t in 0..n {
                    let src = t - shift;
                    if src >= 0 && (src as usize) < clip.len() {
                        out[t as usize] = clip[src as usize];
                    }
                }
                if !aug.voice.is_off() {
                    let mut scratch = Vec::new();
                    aug.voice.apply_wave(out, &mut scratch, rng);
                }
                if rng.random::<f32>() < aug.noise_prob {
                    match &aug.noise_snr {
                        None => {
                            let v = rng.random::<f32>() * aug.noise_volume;
                            self.add_noise(out, v, rng);
                        }
                        Some(snr) => {
                            let db = snr.draw_db(rng);
                            let white = !self.has_noise() || rng.random::<f32>() < snr.white_share;
                            let n = if white {
                                white_noise(out.len(), rng)
                            } else {
                                self.noise_segment(out.len(), rng)
                            };
                            add_at_snr(out, &n, db);
                            for o in out.iter_mut() {
                                *o = o.clamp(-1.0, 1.0);
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The audio of one item for evaluation: the clip as it is; silence as noise at
    /// U(0, `silence_volume`) drawn from `rng`.
    pub fn clean<R: Rng + ?Sized>(
        &self,
        item: &Item,
        aug: &AugmentConfig,
        out: &mut [f32],
        rng: &mut R,
    ) -> Result<(), DataError> {
        out.fill(0.0);
        match item.source {
            Source::Silence => {
                let v = rng.random::<f32>() * aug.silence_volume;
                self.add_noise(out, v, rng);
            }
            Source::Clip(i) => {
                let c = self.clip(i)?;
                let n = c.len().min(out.len());
                out[..n].copy_from_slice(&c[..n]);
            }
        }
        Ok(())
    }

    /// A random background-noise segment of `len` samples (zeros when there is no noise).
    pub fn noise_segment<R: Rng + ?Sized>(&self, len: usize, rng: &mut R) -> Vec<f32> {
        let mut v = vec![0.0; len];
        let noise = self.noise();
        if let Some(n) = noise.get(rng.random_range(0..noise.len().max(1)))
            && n.len() >= len
        {
            let start = rng.random_range(0..=n.len() - len);
            v.copy_from_slice(&n[start..start + len]);
        }
        v
    }
}

/// Feature normalisation: `(x − mean) / std`, one scalar pair computed on training features.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Mean of the log-mel values (dB).
    pub mean: f32,
    /// Standard deviation of the log-mel values (dB).
    pub std: f32,
}

impl Normalization {
    /// Applies the normalisation in place.
    pub fn apply(&self, x: &mut [f32]) {
        let inv = 1.0 / self.std;
        for v in x {
            *v = (*v - self.mean) * inv;
        }
    }

    /// Mean and standard deviation over a set of feature maps.
    pub fn fit(features: &[Array2<f32>]) -> Normalization {
        let mut acc = Moments::default();
        for f in features {
            acc.add(f);
        }
        acc.normalization()
    }

    /// [`Normalization::fit`] over the clean features of `items` (as [`clean_features`]
    /// computes them, un-normalised), computed a chunk at a time so that the features of a
    /// large training split are never all in memory; the result is the same to the bit.
    pub fn fit_items(
        store: &AudioStore,
        items: &[Item],
        frontend: &MelFrontend,
        aug: &AugmentConfig,
        seed: u64,
    ) -> Result<Normalization, DataError> {
        const CHUNK: usize = 2048;
        let mut acc = Moments::default();
        for (c, chunk) in items.chunks(CHUNK).enumerate() {
            let feats = features_from(store, chunk, c * CHUNK, frontend, aug, None, seed)?;
            for f in &feats {
                acc.add(f);
            }
        }
        Ok(acc.normalization())
    }
}

/// Running sums of values and their squares, added in order.
#[derive(Default)]
struct Moments {
    sum: f64,
    sq: f64,
    n: usize,
}

impl Moments {
    fn add(&mut self, f: &Array2<f32>) {
        for &v in f.iter() {
            self.sum += v as f64;
            self.sq += (v as f64) * (v as f64);
            self.n += 1;
        }
    }

    fn normalization(&self) -> Normalization {
        let n = self.n.max(1) as f64;
        let mean = self.sum / n;
        let var = (self.sq / n - mean * mean).max(1e-6);
        Normalization {
            mean: mean as f32,
            std: var.sqrt() as f32,
        }
    }
}

/// A batch of features and targets.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Normalised log-mel features, `[B, 1, mels, frames]`.
    pub x: Array4<f32>,
    /// Targets, `[B, classes]` (one-hot before mixing, soft after).
    pub y: Array2<f32>,
    /// The hard label of each sample (of the original sample, for mixed batches).
    pub labels: Vec<usize>,
}

/// Stacks feature maps `[mels, frames]` and labels into a batch with one-hot targets.
pub fn stack_batch(features: &[ArrayView2<f32>], labels: &[usize], n_classes: usize) -> Batch {
    let b = features.len();
    let (h, w) = features.first().map(|f| f.dim()).unwrap_or((0, 0));
    let mut x = Array4::<f32>::zeros((b, 1, h, w));
    let mut y = Array2::<f32>::zeros((b, n_classes));
    for (i, f) in features.iter().enumerate() {
        x.slice_mut(s![i, 0, .., ..]).assign(f);
        y[[i, labels[i]]] = 1.0;
    }
    Batch {
        x,
        y,
        labels: labels.to_vec(),
    }
}

/// Computes the clean (evaluation) features of `items`, normalised, in parallel.
///
/// Silence samples get their noise from a RNG seeded with `seed` and the item position, so the
/// same seed always gives the same evaluation set.
pub fn clean_features(
    store: &AudioStore,
    items: &[Item],
    frontend: &MelFrontend,
    aug: &AugmentConfig,
    norm: Option<&Normalization>,
    seed: u64,
) -> Result<Vec<Array2<f32>>, DataError> {
    features_from(store, items, 0, frontend, aug, norm, seed)
}

/// [`clean_features`] of `items`, the first of which sits at position `first` of its split.
fn features_from(
    store: &AudioStore,
    items: &[Item],
    first: usize,
    frontend: &MelFrontend,
    aug: &AugmentConfig,
    norm: Option<&Normalization>,
    seed: u64,
) -> Result<Vec<Array2<f32>>, DataError> {
    items
        .par_iter()
        .enumerate()
        .map(|(k, it)| {
            let mut rng = super::seeds::item_rng(seed, first + k);
            let mut buf = vec![0.0; store.clip_samples()];
            store.clean(it, aug, &mut buf, &mut rng)?;
            let mut f = frontend.compute(&buf);
            if let Some(n) = norm
                && let Some(sl) = f.as_slice_mut()
            {
                n.apply(sl);
            }
            Ok(f)
        })
        .collect()
}

/// Builds one training batch with augmentation (single-threaded, so that it can run beside
/// the training step without competing for its threads).
pub fn train_batch<R: Rng + ?Sized>(
    store: &AudioStore,
    items: &[Item],
    frontend: &MelFrontend,
    aug: &AugmentConfig,
    norm: &Normalization,
    n_classes: usize,
    rng: &mut R,
) -> Result<Batch, DataError> {
    let mut buf = vec![0.0; store.clip_samples()];
    let mut feats = Vec::with_capacity(items.len());
    let cfg = frontend.config();
    let hop_s = cfg.hop_length as f32 / cfg.sample_rate as f32;
    for it in items {
        store.augmented(it, aug, &mut buf, rng)?;
        let mut f = frontend.compute(&buf);
        if !aug.voice.is_off() && matches!(it.source, Source::Clip(_)) {
            aug.voice.apply_logmel(&mut f, hop_s, rng);
        }
        if let Some(sl) = f.as_slice_mut() {
            norm.apply(sl);
        }
        if !aug.spec_augment.is_off() {
            aug.spec_augment.apply(f.view_mut(), rng);
        }
        feats.push(f);
    }
    let views: Vec<ArrayView2<f32>> = feats.iter().map(|f| f.view()).collect();
    let labels: Vec<usize> = items.iter().map(|i| i.label).collect();
    Ok(stack_batch(&views, &labels, n_classes))
}

/// Stacks precomputed feature maps for the positions `idx` into a batch.
pub fn gather_batch(
    features: &[Array2<f32>],
    items: &[Item],
    idx: &[usize],
    n_classes: usize,
) -> Batch {
    let views: Vec<ArrayView2<f32>> = idx.iter().map(|&i| features[i].view()).collect();
    let labels: Vec<usize> = idx.iter().map(|&i| items[i].label).collect();
    stack_batch(&views, &labels, n_classes)
}

/// The first axis of a batch as separate `[1, mels, frames]` views (for tests and tools).
pub fn batch_len(b: &Batch) -> usize {
    b.x.len_of(Axis(0))
}
