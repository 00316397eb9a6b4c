//! The audio a run reads: its clips and the background-noise recordings.
//!
//! Small data sets are decoded once and kept in memory. A data set whose clips would take more
//! than [`RESIDENT_LIMIT_BYTES`] as f32 (the full Speech Commands: 105 k clips, 6.7 GB) is
//! checked once (every clip decoded, so that a broken file stops the run before the first
//! step) and then read from disk each time a clip is needed, so that memory does not grow with
//! the data set: the operating system's page cache keeps the files, and a clip decodes in
//! microseconds beside the milliseconds its log-mel takes.

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use super::DataError;
use super::index::DatasetIndex;
use super::task::{Item, Source};
use crate::audio;

/// The most clip audio, in bytes of f32, that [`AudioStore::load`] keeps in memory (1 GiB:
/// about 16,700 one-second clips).
pub const RESIDENT_LIMIT_BYTES: usize = 1 << 30;

enum Clips {
    /// Decoded once and kept.
    Resident(Vec<Option<Arc<[f32]>>>),
    /// Decoded from disk on every use.
    OnDisk(Vec<Option<PathBuf>>),
}

/// The audio of a data set: the clips in use and the background-noise recordings.
pub struct AudioStore {
    clips: Clips,
    noise: Vec<Vec<f32>>,
    clip_samples: usize,
}

impl AudioStore {
    /// Decodes every clip named by `items` (in parallel) and all noise files, keeping the clips
    /// in memory up to [`RESIDENT_LIMIT_BYTES`] and reading them from disk beyond it.
    ///
    /// Any file that fails to decode stops the load with an error naming it.
    pub fn load(
        index: &DatasetIndex,
        items: &[&[Item]],
        clip_samples: usize,
    ) -> Result<AudioStore, DataError> {
        Self::load_with_limit(index, items, clip_samples, RESIDENT_LIMIT_BYTES)
    }

    /// [`AudioStore::load`] with the memory limit `resident_limit` (in bytes of f32 audio).
    pub fn load_with_limit(
        index: &DatasetIndex,
        items: &[&[Item]],
        clip_samples: usize,
        resident_limit: usize,
    ) -> Result<AudioStore, DataError> {
        // The path of every clip an item names, at its entry's position.
        let mut paths: Vec<Option<PathBuf>> = vec![None; index.entries.len()];
        for it in items.iter().flat_map(|list| list.iter()) {
            if let Source::Clip(i) = it.source {
                paths[i].get_or_insert_with(|| index.path_of(&index.entries[i]));
            }
        }
        let n_wanted = paths.iter().filter(|p| p.is_some()).count();
        let resident = n_wanted.saturating_mul(clip_samples).saturating_mul(4) <= resident_limit;
        let decoded: Vec<Result<Option<Arc<[f32]>>, DataError>> = paths
            .par_iter()
            .map(|p| {
                let Some(p) = p else {
                    return Ok(None);
                };
                let v = audio::load_clip(p, clip_samples)?;
                // Beyond the limit the clip was decoded only to check it.
                Ok(resident.then(|| Arc::from(v)))
            })
            .collect();
        let clips = if resident {
            Clips::Resident(decoded.into_iter().collect::<Result<_, _>>()?)
        } else {
            for d in decoded {
                d?;
            }
            Clips::OnDisk(paths)
        };
        let mut noise = Vec::new();
        for p in &index.noise_files {
            let d = audio::read_wav(p)?;
            if d.samples.len() < clip_samples {
                return Err(DataError::NotADataset {
                    path: p.clone(),
                    problem: format!(
                        "background noise file is shorter ({} samples) than one clip ({clip_samples})",
                        d.samples.len()
                    ),
                });
            }
            noise.push(d.samples);
        }
        Ok(AudioStore {
            clips,
            noise,
            clip_samples,
        })
    }

    /// Samples per clip.
    pub fn clip_samples(&self) -> usize {
        self.clip_samples
    }

    /// Whether the clips are kept in memory (`false`: read from disk on every use).
    pub fn is_resident(&self) -> bool {
        matches!(self.clips, Clips::Resident(_))
    }

    /// Whether background noise is available.
    pub fn has_noise(&self) -> bool {
        !self.noise.is_empty()
    }

    /// The background-noise recordings.
    pub(crate) fn noise(&self) -> &[Vec<f32>] {
        &self.noise
    }

    /// The audio of entry `i` ([`clip_samples`](Self::clip_samples) long); empty for an entry
    /// no item named. A clip read from disk that no longer decodes is an error naming it.
    pub(crate) fn clip(&self, i: usize) -> Result<Cow<'_, [f32]>, DataError> {
        match &self.clips {
            Clips::Resident(c) => Ok(Cow::Borrowed(c[i].as_deref().unwrap_or(&[]))),
            Clips::OnDisk(paths) => match &paths[i] {
                Some(p) => Ok(Cow::Owned(audio::load_clip(p, self.clip_samples)?)),
                None => Ok(Cow::Borrowed(&[])),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::pipeline::{AugmentConfig, Normalization, clean_features};
    use crate::features::{MelConfig, MelFrontend};

    /// Two words of four speakers, 16-bit clips of different tones, one noise recording.
    fn dataset(root: &std::path::Path) {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 16_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let write = |path: PathBuf, n: usize, f: f32| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let mut w = hound::WavWriter::create(path, spec).unwrap();
            for t in 0..n {
                let v = (t as f32 * f / 16_000.0 * std::f32::consts::TAU).sin() * 0.3;
                w.write_sample((v * 32767.0) as i16).unwrap();
            }
            w.finalize().unwrap();
        };
        for (k, word) in ["yes", "no"].iter().enumerate() {
            for s in 0..4 {
                let f = 200.0 + 150.0 * (k * 4 + s) as f32;
                write(
                    root.join(word).join(format!("a{s}b_nohash_0.wav")),
                    16_000 - 900 * s,
                    f,
                );
            }
        }
        write(
            root.join("_background_noise_").join("hum.wav"),
            40_000,
            50.0,
        );
    }

    #[test]
    fn clips_read_from_disk_give_the_features_of_clips_kept_in_memory() {
        let tmp = tempfile::tempdir().unwrap();
        dataset(tmp.path());
        let index = DatasetIndex::open(tmp.path()).unwrap();
        let mut items: Vec<Item> = (0..index.entries.len())
            .map(|i| Item {
                source: Source::Clip(i),
                label: 0,
            })
            .collect();
        items.push(Item {
            source: Source::Silence,
            label: 1,
        });
        let kept = AudioStore::load(&index, &[&items], 16_000).unwrap();
        let disk = AudioStore::load_with_limit(&index, &[&items], 16_000, 0).unwrap();
        assert!(kept.is_resident());
        assert!(!disk.is_resident());
        let fe = MelFrontend::new(&MelConfig::default()).unwrap();
        let aug = AugmentConfig::default();
        let a = clean_features(&kept, &items, &fe, &aug, None, 7).unwrap();
        let b = clean_features(&disk, &items, &fe, &aug, None, 7).unwrap();
        assert_eq!(a, b);
        // The chunked fit sums in the same order as the fit over all features at once.
        let whole = Normalization::fit(&a);
        assert_eq!(
            Normalization::fit_items(&disk, &items, &fe, &aug, 7).unwrap(),
            whole
        );
        assert!(whole.std > 0.0);

        // A clip that disappears after the check is an error naming it, not a panic.
        let gone = index.path_of(&index.entries[2]);
        std::fs::remove_file(&gone).unwrap();
        let err = clean_features(&disk, &items, &fe, &aug, None, 7).unwrap_err();
        assert!(err.to_string().contains(&*gone.to_string_lossy()), "{err}");
        // Kept clips do not need the file any more.
        assert_eq!(
            clean_features(&kept, &items, &fe, &aug, None, 7).unwrap(),
            a
        );
    }

    #[test]
    fn a_broken_clip_stops_the_load_in_either_mode() {
        let tmp = tempfile::tempdir().unwrap();
        dataset(tmp.path());
        let index = DatasetIndex::open(tmp.path()).unwrap();
        let bad = index.path_of(&index.entries[1]);
        std::fs::write(&bad, b"RIFF\x10\0\0\0WAVEjunk").unwrap();
        let items: Vec<Item> = (0..index.entries.len())
            .map(|i| Item {
                source: Source::Clip(i),
                label: 0,
            })
            .collect();
        for limit in [RESIDENT_LIMIT_BYTES, 0] {
            let err = match AudioStore::load_with_limit(&index, &[&items], 16_000, limit) {
                Ok(_) => panic!("a broken clip was accepted (limit {limit})"),
                Err(e) => e,
            };
            assert!(err.to_string().contains(&*bad.to_string_lossy()), "{err}");
        }
    }
}
