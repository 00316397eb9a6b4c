//! `robustness`: accuracy of trained runs under noise, occlusion and FGSM.

use std::path::{Path, PathBuf};

use burn::module::Module;

use ndarray::{Array4, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::perturb::{Perturbation, fgsm, occlude};
use super::robustness_report::{RobustPoint, write_robustness};
use crate::charts::ChartSink;
use crate::data::noise::{add_at_snr, white_noise};
use crate::data::{AudioStore, Item, Split};
use crate::error::TrainError;
use crate::eval::{evaluate_batched, split_items};
use crate::io::create_dir_all;
use crate::run::LoadedRun;
use crate::train::Progress;

/// Severities of the robustness study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustnessConfig {
    /// SNRs (dB) for additive noise.
    pub snrs_db: Vec<f32>,
    /// Occluded shares of the plane (%).
    pub occlusion_pct: Vec<f32>,
    /// FGSM ε values in dB of log-mel.
    pub fgsm_eps_db: Vec<f32>,
    /// Seed of the noise segments and occlusion positions.
    pub seed: u64,
}

/// The SNRs (dB) [`RobustnessConfig::snrs_db`] accepts: from −50 to 100 dB.
pub const SNR_RANGE_DB: (f32, f32) = (-50.0, 100.0);
/// The occluded shares (%) [`RobustnessConfig::occlusion_pct`] accepts: from 0 to 100 %.
pub const OCCLUSION_RANGE_PCT: (f32, f32) = (0.0, 100.0);
/// The FGSM ε values (dB of log-mel) [`RobustnessConfig::fgsm_eps_db`] accepts: from 0 to
/// 100 dB (0 is the clean input; a negative ε would step against the attack).
pub const FGSM_EPS_RANGE_DB: (f32, f32) = (0.0, 100.0);

impl RobustnessConfig {
    /// Checks every severity against its range ([`SNR_RANGE_DB`], [`OCCLUSION_RANGE_PCT`],
    /// [`FGSM_EPS_RANGE_DB`]): NaN, infinities and values outside give
    /// [`TrainError::OutOfRange`] naming the flag, the value and the range.
    pub fn validate(&self) -> Result<(), TrainError> {
        let lists = [
            ("--snr", &self.snrs_db, SNR_RANGE_DB, "dB"),
            ("--occlusion", &self.occlusion_pct, OCCLUSION_RANGE_PCT, "%"),
            ("--eps", &self.fgsm_eps_db, FGSM_EPS_RANGE_DB, "dB"),
        ];
        for (setting, values, (lo, hi), unit) in lists {
            for &v in values {
                if !(v.is_finite() && (lo..=hi).contains(&v)) {
                    return Err(TrainError::OutOfRange {
                        setting: setting.into(),
                        value: v.to_string(),
                        expected: format!("a finite number from {lo} to {hi} {unit}"),
                    });
                }
            }
        }
        Ok(())
    }
}

impl Default for RobustnessConfig {
    fn default() -> Self {
        RobustnessConfig {
            snrs_db: vec![20.0, 10.0, 5.0, 0.0],
            occlusion_pct: vec![10.0, 20.0, 30.0, 40.0],
            fgsm_eps_db: vec![0.0, 0.5, 1.0, 2.0, 4.0],
            seed: 0,
        }
    }
}

/// Evaluates each run in `runs` on the test split of `data` (each run's own data when `None`)
/// under every perturbation and severity, writes `robustness.csv` and `robustness.md` into
/// `out` and hands one `robustness_<perturbation>.png` per perturbation to `charts`.
pub fn robustness(
    runs: &[PathBuf],
    data: Option<&Path>,
    cfg: &RobustnessConfig,
    out: &Path,
    progress: &mut dyn Progress,
    charts: &dyn ChartSink,
) -> Result<Vec<RobustPoint>, TrainError> {
    if runs.is_empty() {
        return Err(TrainError::Setting {
            setting: "--run".into(),
            problem: "robustness needs at least one run folder".into(),
        });
    }
    cfg.validate()?;
    let mut points = Vec::new();
    for dir in runs {
        let run = LoadedRun::open(dir, false)?;
        let (index, _) = run.index_for(data)?;
        let (_task, items) = split_items(&run, &index, Split::Test)?;
        let store = AudioStore::load(&index, &[&items], run.config.clip_samples)?;
        let ad = run.device.clone().autodiff();
        let model_ad = run.model_on(&ad)?.freeze();
        let floor = (10.0 * run.config.mel.amin.log10() - run.norm.mean) / run.norm.std;
        let measure = |name: &str,
                       sev: f32,
                       acc: f64,
                       points: &mut Vec<RobustPoint>,
                       progress: &mut dyn Progress| {
            progress.message(&format!(
                "{}: {name} {sev}: accuracy {:.4}",
                dir.display(),
                acc
            ));
            points.push(RobustPoint {
                run: dir.clone(),
                perturbation: name.to_string(),
                severity: sev,
                accuracy: acc,
            });
        };
        let clean = audio_set(&store, &items, &run, None, cfg.seed)?;
        let acc = accuracy_of(&run, &run.features_of(&clean), &items)?;
        measure("clean", f32::NAN, acc, &mut points, progress);
        for p in Perturbation::ALL {
            let sevs: &[f32] = match p {
                Perturbation::WhiteNoise | Perturbation::BackgroundNoise => &cfg.snrs_db,
                Perturbation::Fgsm => &cfg.fgsm_eps_db,
                _ => &cfg.occlusion_pct,
            };
            if p == Perturbation::BackgroundNoise && !store.has_noise() {
                progress.message(&format!(
                    "{}: no background noise files; skipping background noise",
                    index.root.display()
                ));
                continue;
            }
            for &sev in sevs {
                let mut rng = ChaCha8Rng::seed_from_u64(
                    cfg.seed ^ (sev.to_bits() as u64) ^ ((p as u64) << 40),
                );
                let x = match p {
                    Perturbation::WhiteNoise | Perturbation::BackgroundNoise => {
                        let noisy = audio_set(&store, &items, &run, Some((p, sev)), cfg.seed)?;
                        run.features_of(&noisy)
                    }
                    Perturbation::Fgsm => {
                        let x = run.features_of(&clean);
                        let eps = sev / run.norm.std;
                        let mut adv = x.clone();
                        let bsz = run.config.eval_batch_size.max(1);
                        for st in (0..items.len()).step_by(bsz) {
                            let en = (st + bsz).min(items.len());
                            let xb = x.slice(s![st..en, .., .., ..]).to_owned();
                            let labels: Vec<usize> =
                                items[st..en].iter().map(|i| i.label).collect();
                            let a = fgsm(&run, &model_ad, &xb, &labels, eps)?;
                            adv.slice_mut(s![st..en, .., .., ..]).assign(&a);
                        }
                        adv
                    }
                    _ => {
                        let mut x = run.features_of(&clean);
                        occlude(&mut x, p, sev, floor, &mut rng);
                        x
                    }
                };
                let acc = accuracy_of(&run, &x, &items)?;
                measure(p.name(), sev, acc, &mut points, progress);
            }
        }
    }
    // The report folder is made only once every measurement succeeded.
    create_dir_all(out)?;
    write_robustness(out, runs, &points, charts)?;
    Ok(points)
}

fn audio_set(
    store: &AudioStore,
    items: &[Item],
    run: &LoadedRun,
    noise: Option<(Perturbation, f32)>,
    seed: u64,
) -> Result<Vec<Vec<f32>>, crate::data::DataError> {
    items
        .iter()
        .enumerate()
        .map(|(k, it)| {
            let mut rng = crate::data::seeds::item_rng(seed, k);
            let mut buf = vec![0.0; run.config.clip_samples];
            store.clean(it, &run.config.augment, &mut buf, &mut rng)?;
            if let Some((p, snr)) = noise {
                let n: Vec<f32> = match p {
                    Perturbation::WhiteNoise => white_noise(buf.len(), &mut rng),
                    _ => store.noise_segment(buf.len(), &mut rng),
                };
                add_at_snr(&mut buf, &n, snr);
            }
            Ok(buf)
        })
        .collect()
}

fn accuracy_of(run: &LoadedRun, x: &Array4<f32>, items: &[Item]) -> Result<f64, TrainError> {
    let counts = evaluate_batched(
        &run.model,
        &run.device,
        items,
        run.classes().len(),
        run.config.eval_batch_size,
        &run.checkpoint_name(),
        |start, end| x.slice(s![start..end, .., .., ..]).to_owned(),
    )?;
    Ok(counts.accuracy)
}
