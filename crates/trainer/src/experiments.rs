//! The paper's experiments as commands: `compare` (no mixing vs. each mode vs. RandomMix over
//! several seeds) and `robustness` (noise, occlusion and FGSM).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use burn::module::Module;
use ndarray::{Array2, Array4, s};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::charts::{Chart, ChartSink};
use crate::checkpoint::{Checkpoint, RunPaths, TrainState};
use crate::config::TrainConfig;
use crate::csv_out::csv_bytes;
use crate::data::noise::{add_at_snr, white_noise};
use crate::data::{AudioStore, Item, Split};
use crate::detect::DetectConfig;
use crate::error::TrainError;
use crate::eval::{argmax, split_items};
use crate::io::{atomic_write_bytes, create_dir_all};
use crate::loaded::{LoadedRun, load_model};
use crate::tensor::{soft_cross_entropy, tensor2, tensor4};
use crate::train::Progress;

/// One finished (mode, seed) run of a comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRun {
    /// The mix specification.
    pub mix: String,
    /// The seed.
    pub seed: u64,
    /// Test accuracy of the best checkpoint.
    pub test_acc: f64,
    /// Best validation accuracy.
    pub best_valid_acc: f64,
    /// In-domain test accuracy of the best checkpoint, when the data set has that split.
    pub indomain_acc: Option<f64>,
    /// Epochs trained.
    pub epochs: usize,
    /// Training wall time, summed over epochs (seconds).
    pub seconds: f64,
    /// False accepts per hour and false-reject rate of the streaming detector at its default
    /// threshold on a stream built from the test split (`randommix detect`), when measured.
    #[serde(default)]
    pub detection: Option<(f64, f64)>,
    /// Test accuracy on the first further training folder's test split (the synthetic voices
    /// by default), a secondary figure; absent without such a folder.
    #[serde(default)]
    pub secondary_acc: Option<f64>,
    /// Test accuracy per class of the headline test split, in the run's class order.
    #[serde(default)]
    pub per_class: Vec<(String, f64)>,
    /// The run folder.
    pub dir: PathBuf,
}

/// Mean and standard deviation per mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareRow {
    /// The mix specification.
    pub mix: String,
    /// Number of seeds.
    pub seeds: usize,
    /// Mean test accuracy.
    pub test_mean: f64,
    /// Sample standard deviation of the test accuracy (0 for one seed).
    pub test_std: f64,
    /// Mean best validation accuracy.
    pub valid_mean: f64,
    /// Its standard deviation.
    pub valid_std: f64,
    /// Mean and standard deviation of the in-domain test accuracy, when measured.
    pub indomain: Option<(f64, f64)>,
    /// Epochs per run.
    pub epochs: usize,
    /// Mean wall time per run (seconds).
    pub seconds_mean: f64,
    /// Mean and standard deviation of false accepts per hour, then of the false-reject rate,
    /// at the detector's default threshold, when measured.
    #[serde(default)]
    pub detection: Option<((f64, f64), (f64, f64))>,
    /// The secondary test accuracy (mean, std) when every run has one.
    #[serde(default)]
    pub secondary: Option<(f64, f64)>,
    /// The test accuracy minus the first mode's, seed by seed: (mean, standard error, pairs),
    /// over the seeds both have; absent for the first mode itself.
    #[serde(default)]
    pub paired_diff: Option<(f64, f64, usize)>,
    /// Mean test accuracy per class over the seeds, in class order.
    #[serde(default)]
    pub per_class: Vec<(String, f64)>,
}

/// Mean and standard error of the seed-by-seed differences `b − a` over the seeds both lists
/// hold; `None` with fewer than two pairs.
pub fn paired_difference(a: &[(u64, f64)], b: &[(u64, f64)]) -> Option<(f64, f64, usize)> {
    let d: Vec<f64> = b
        .iter()
        .filter_map(|(seed, y)| a.iter().find(|(s, _)| s == seed).map(|(_, x)| y - x))
        .collect();
    if d.len() < 2 {
        return None;
    }
    let (m, s) = mean_std(&d);
    Some((m, s / (d.len() as f64).sqrt(), d.len()))
}

fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (0.0, 0.0);
    }
    let m = v.iter().sum::<f64>() / n;
    let s = if v.len() > 1 {
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    (m, s)
}

/// Splits a `--modes` list: commas separate specs unless the spec has weights (`name:w`), in
/// which case `/` separates them. `randommix` stands for [`DEFAULT_SPEC`](crate::mix::DEFAULT_SPEC).
/// `globals` (e.g. `skip=0.5`) is appended to every spec but `none` that has no global options
/// of its own, so that every mode is compared under the same schedule.
pub fn split_modes_with(s: &str, globals: &str) -> Vec<String> {
    let g = globals.trim().trim_start_matches(';');
    split_modes(s)
        .into_iter()
        .map(|m| {
            if g.is_empty() || m.eq_ignore_ascii_case("none") || m.contains(';') {
                m
            } else {
                format!("{m};{g}")
            }
        })
        .collect()
}

/// [`split_modes_with`] without global options. Commas inside a mode's options
/// (`mixup(db=1,alpha=0.4)`) never separate specs.
pub fn split_modes(s: &str) -> Vec<String> {
    let parts: Vec<String> = if s.contains('/') {
        s.split('/').map(str::to_string).collect()
    } else if s.contains(':') {
        vec![s.to_string()]
    } else {
        split_outside_parens(s)
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.eq_ignore_ascii_case("randommix") {
                crate::mix::DEFAULT_SPEC.to_string()
            } else {
                p
            }
        })
        .collect()
}

/// `s` split at the commas that are not inside parentheses.
fn split_outside_parens(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("never empty").push(c);
    }
    parts
}

/// A folder-safe name for a mix specification.
pub fn slug(spec: &str) -> String {
    let mut s: String = spec
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s.trim_matches('-').to_string()
}

fn finished(dir: &Path, epochs: usize) -> Option<TrainState> {
    let paths = RunPaths::new(dir);
    if !paths.eval("test").exists() {
        return None;
    }
    let ck = Checkpoint::load(&paths.last()).ok()?;
    (ck.state.epoch >= epochs).then_some(ck.state)
}

/// Trains `base` under every mix specification in `modes` for `seeds` seeds (0..seeds) into
/// `out/runs/<mode>-s<seed>`, skipping runs that already finished and resuming stopped ones,
/// then writes `results.csv`, `summary.csv` and `summary.md` into `out` and hands
/// `accuracy.png` to `charts`. With `detect`, each run's best checkpoint is also measured on
/// a detection stream built from the test split ([`crate::detect`]; reused when the run
/// already has that report).
pub fn compare(
    base: &TrainConfig,
    modes: &[String],
    seeds: usize,
    out: &Path,
    detect: Option<&DetectConfig>,
    progress: &mut dyn Progress,
    charts: &dyn ChartSink,
) -> Result<Vec<CompareRow>, TrainError> {
    if modes.is_empty() || seeds == 0 {
        return Err(TrainError::Setting {
            setting: "--modes, --seeds".into(),
            problem: "compare needs at least one mode and one seed".into(),
        });
    }
    for m in modes {
        m.parse::<crate::mix::RandomMix>()?;
    }
    if let Some(d) = detect {
        d.validate()?;
    }
    create_dir_all(&out.join("runs"))?;
    let mut runs = Vec::new();
    for mode in modes {
        for seed in 0..seeds as u64 {
            let dir = out.join("runs").join(format!("{}-s{seed}", slug(mode)));
            let state = match finished(&dir, base.epochs) {
                Some(st) => {
                    progress.message(&format!(
                        "{mode} seed {seed}: finished earlier, not retrained"
                    ));
                    st
                }
                None => {
                    let resume = RunPaths::new(&dir).config().exists();
                    progress.message(&format!(
                        "{mode} seed {seed}: {} ({})",
                        if resume { "resuming" } else { "training" },
                        dir.display()
                    ));
                    let cfg = TrainConfig {
                        mix: mode.clone(),
                        seed,
                        ..base.clone()
                    };
                    train_one(&cfg, &dir, resume, progress)?;
                    Checkpoint::load(&RunPaths::new(&dir).last())?.state
                }
            };
            let eval: crate::eval::EvalReport = {
                let p = RunPaths::new(&dir).eval("test");
                let t = std::fs::read_to_string(&p).map_err(|source| TrainError::Io {
                    path: p.clone(),
                    cause: source,
                })?;
                serde_json::from_str(&t).map_err(|e| TrainError::RunDir {
                    path: p,
                    problem: e.to_string(),
                })?
            };
            let indomain_acc = {
                let p = RunPaths::new(&dir).eval("indomain");
                std::fs::read_to_string(&p)
                    .ok()
                    .and_then(|t| serde_json::from_str::<crate::eval::EvalReport>(&t).ok())
                    .map(|r| r.accuracy)
            };
            let detection = match detect {
                Some(cfg) => {
                    let r = detection_of(&dir, cfg, progress, charts)?;
                    Some((
                        r.at_threshold.false_accepts_per_hour,
                        r.at_threshold.false_reject_rate,
                    ))
                }
                None => None,
            };
            let secondary_acc = base.extra_data.first().and_then(|extra| {
                let p = RunPaths::new(&dir).eval_on("test", extra);
                std::fs::read_to_string(&p)
                    .ok()
                    .and_then(|t| serde_json::from_str::<crate::eval::EvalReport>(&t).ok())
                    .map(|r| r.accuracy)
            });
            runs.push(CompareRun {
                mix: mode.clone(),
                seed,
                secondary_acc,
                per_class: eval
                    .per_class
                    .iter()
                    .map(|c| (c.class.clone(), c.accuracy))
                    .collect(),
                test_acc: eval.accuracy,
                best_valid_acc: state.best_valid_acc,
                indomain_acc,
                epochs: state.epoch,
                seconds: state.history.iter().map(|m| m.seconds).sum(),
                detection,
                dir,
            });
        }
    }
    let rows: Vec<CompareRow> = modes
        .iter()
        .map(|m| {
            let rs: Vec<&CompareRun> = runs.iter().filter(|r| &r.mix == m).collect();
            let (tm, ts) = mean_std(&rs.iter().map(|r| r.test_acc).collect::<Vec<_>>());
            let (vm, vs) = mean_std(&rs.iter().map(|r| r.best_valid_acc).collect::<Vec<_>>());
            let (sm, _) = mean_std(&rs.iter().map(|r| r.seconds).collect::<Vec<_>>());
            let ind: Vec<f64> = rs.iter().filter_map(|r| r.indomain_acc).collect();
            let indomain = (!ind.is_empty() && ind.len() == rs.len()).then(|| mean_std(&ind));
            let det: Vec<(f64, f64)> = rs.iter().filter_map(|r| r.detection).collect();
            let detection = (!det.is_empty() && det.len() == rs.len()).then(|| {
                (
                    mean_std(&det.iter().map(|d| d.0).collect::<Vec<_>>()),
                    mean_std(&det.iter().map(|d| d.1).collect::<Vec<_>>()),
                )
            });
            let sec: Vec<f64> = rs.iter().filter_map(|r| r.secondary_acc).collect();
            let secondary = (!sec.is_empty() && sec.len() == rs.len()).then(|| mean_std(&sec));
            let accs = |mix: &String| -> Vec<(u64, f64)> {
                runs.iter()
                    .filter(|r| &r.mix == mix)
                    .map(|r| (r.seed, r.test_acc))
                    .collect()
            };
            let paired_diff = (m != &modes[0])
                .then(|| paired_difference(&accs(&modes[0]), &accs(m)))
                .flatten();
            let per_class = rs
                .first()
                .map(|r0| {
                    r0.per_class
                        .iter()
                        .enumerate()
                        .map(|(k, (name, _))| {
                            let v: Vec<f64> = rs
                                .iter()
                                .filter_map(|r| r.per_class.get(k).map(|c| c.1))
                                .collect();
                            (name.clone(), mean_std(&v).0)
                        })
                        .collect()
                })
                .unwrap_or_default();
            CompareRow {
                mix: m.clone(),
                seeds: rs.len(),
                secondary,
                paired_diff,
                per_class,
                test_mean: tm,
                test_std: ts,
                valid_mean: vm,
                valid_std: vs,
                indomain,
                epochs: base.epochs,
                seconds_mean: sm,
                detection,
            }
        })
        .collect();
    write_compare(out, &runs, &rows, charts)?;
    Ok(rows)
}

/// The detection report of the run in `dir` on its test split: the saved one when it was made
/// with the same settings, else measured now.
fn detection_of(
    dir: &Path,
    cfg: &DetectConfig,
    progress: &mut dyn Progress,
    charts: &dyn ChartSink,
) -> Result<crate::detect::DetectReport, TrainError> {
    let [saved, _, _] = crate::detect::output_files(&RunPaths::new(dir).detect_stem("test", None));
    if let Ok(t) = std::fs::read_to_string(&saved)
        && let Ok(r) = serde_json::from_str::<crate::detect::DetectReport>(&t)
        && serde_json::to_value(&r.config).ok() == serde_json::to_value(cfg).ok()
    {
        return Ok(r);
    }
    progress.message(&format!(
        "{}: detection on {} min of stream",
        dir.display(),
        cfg.minutes
    ));
    Ok(crate::detect::detect(dir, None, crate::data::Split::Test, cfg, charts)?.0)
}

fn train_one(
    cfg: &TrainConfig,
    dir: &Path,
    resume: bool,
    progress: &mut dyn Progress,
) -> Result<(), TrainError> {
    crate::train::train(cfg, dir, resume, progress).map(|_| ())
}

/// The comparison as a Markdown table; the in-domain and detection columns appear when every
/// row has them.
pub fn compare_markdown(rows: &[CompareRow]) -> String {
    let with_indomain = !rows.is_empty() && rows.iter().all(|r| r.indomain.is_some());
    let with_detection = !rows.is_empty() && rows.iter().all(|r| r.detection.is_some());
    let with_secondary = !rows.is_empty() && rows.iter().all(|r| r.secondary.is_some());
    let first = rows.first().map(|r| r.mix.as_str()).unwrap_or("");
    let mut md =
        format!("| mix | seeds | test accuracy (mean ± std) | − `{first}`, paired (mean ± s.e.) |");
    if with_secondary {
        md.push_str(" secondary test accuracy (mean ± std) |");
    }
    if with_indomain {
        md.push_str(" in-domain test accuracy (mean ± std) |");
    }
    if with_detection {
        md.push_str(" FA/h at threshold 0.5 | false rejects at 0.5 |");
    }
    md.push_str(
        " best valid accuracy (mean ± std) | epochs | wall time per run |\n|---|---|---|---|",
    );
    if with_secondary {
        md.push_str("---|");
    }
    if with_indomain {
        md.push_str("---|");
    }
    if with_detection {
        md.push_str("---|---|");
    }
    md.push_str("---|---|---|\n");
    for r in rows {
        let _ = write!(
            md,
            "| `{}` | {} | {:.2} ± {:.2} % |",
            r.mix,
            r.seeds,
            100.0 * r.test_mean,
            100.0 * r.test_std
        );
        match r.paired_diff {
            Some((m, se, n)) => {
                let _ = write!(md, " {:+.2} ± {:.2} ({n} seeds) |", 100.0 * m, 100.0 * se);
            }
            None => md.push_str(" – |"),
        }
        if let (true, Some((m, s))) = (with_secondary, r.secondary) {
            let _ = write!(md, " {:.2} ± {:.2} % |", 100.0 * m, 100.0 * s);
        }
        if let (true, Some((m, s))) = (with_indomain, r.indomain) {
            let _ = write!(md, " {:.2} ± {:.2} % |", 100.0 * m, 100.0 * s);
        }
        if let (true, Some(((fm, fs), (rm, rs)))) = (with_detection, r.detection) {
            let _ = write!(
                md,
                " {fm:.1} ± {fs:.1} | {:.1} ± {:.1} % |",
                100.0 * rm,
                100.0 * rs
            );
        }
        let _ = writeln!(
            md,
            " {:.2} ± {:.2} % | {} | {:.0} s |",
            100.0 * r.valid_mean,
            100.0 * r.valid_std,
            r.epochs,
            r.seconds_mean
        );
    }
    if let Some(r0) = rows.first().filter(|r| !r.per_class.is_empty()) {
        md.push_str("\nTest accuracy per class (mean over seeds, %):\n\n| mix |");
        for (name, _) in &r0.per_class {
            let _ = write!(md, " {name} |");
        }
        md.push_str("\n|---|");
        md.push_str(&"---|".repeat(r0.per_class.len()));
        md.push('\n');
        for r in rows {
            let _ = write!(md, "| `{}` |", r.mix);
            for (_, a) in &r.per_class {
                let _ = write!(md, " {:.1} |", 100.0 * a);
            }
            md.push('\n');
        }
    }
    md
}

fn write_compare(
    out: &Path,
    runs: &[CompareRun],
    rows: &[CompareRow],
    charts: &dyn ChartSink,
) -> Result<(), TrainError> {
    let csv = csv_bytes(
        &[
            "mix",
            "seed",
            "test_acc",
            "best_valid_acc",
            "indomain_acc",
            "epochs",
            "seconds",
            "fa_per_hour",
            "false_reject_rate",
            "secondary_test_acc",
            "dir",
        ],
        runs.iter().map(|r| {
            vec![
                r.mix.clone(),
                r.seed.to_string(),
                format!("{:.6}", r.test_acc),
                format!("{:.6}", r.best_valid_acc),
                r.indomain_acc
                    .map(|a| format!("{a:.6}"))
                    .unwrap_or_default(),
                r.epochs.to_string(),
                format!("{:.1}", r.seconds),
                r.detection
                    .map(|d| format!("{:.3}", d.0))
                    .unwrap_or_default(),
                r.detection
                    .map(|d| format!("{:.6}", d.1))
                    .unwrap_or_default(),
                r.secondary_acc
                    .map(|a| format!("{a:.6}"))
                    .unwrap_or_default(),
                r.dir.display().to_string(),
            ]
        }),
    );
    atomic_write_bytes(&out.join("results.csv"), &csv)?;
    let sum = csv_bytes(
        &[
            "mix",
            "seeds",
            "test_mean",
            "test_std",
            "valid_mean",
            "valid_std",
            "indomain_mean",
            "indomain_std",
            "epochs",
            "seconds_mean",
            "fa_per_hour_mean",
            "fa_per_hour_std",
            "false_reject_rate_mean",
            "false_reject_rate_std",
            "secondary_test_mean",
            "secondary_test_std",
            "paired_diff_mean",
            "paired_diff_se",
            "paired_diff_seeds",
        ],
        rows.iter().map(|r| {
            vec![
                r.mix.clone(),
                r.seeds.to_string(),
                format!("{:.6}", r.test_mean),
                format!("{:.6}", r.test_std),
                format!("{:.6}", r.valid_mean),
                format!("{:.6}", r.valid_std),
                r.indomain
                    .map(|(m, _)| format!("{m:.6}"))
                    .unwrap_or_default(),
                r.indomain
                    .map(|(_, s)| format!("{s:.6}"))
                    .unwrap_or_default(),
                r.epochs.to_string(),
                format!("{:.1}", r.seconds_mean),
                r.detection
                    .map(|d| format!("{:.3}", d.0.0))
                    .unwrap_or_default(),
                r.detection
                    .map(|d| format!("{:.3}", d.0.1))
                    .unwrap_or_default(),
                r.detection
                    .map(|d| format!("{:.6}", d.1.0))
                    .unwrap_or_default(),
                r.detection
                    .map(|d| format!("{:.6}", d.1.1))
                    .unwrap_or_default(),
                r.secondary
                    .map(|(m, _)| format!("{m:.6}"))
                    .unwrap_or_default(),
                r.secondary
                    .map(|(_, s)| format!("{s:.6}"))
                    .unwrap_or_default(),
                r.paired_diff
                    .map(|(m, _, _)| format!("{m:.6}"))
                    .unwrap_or_default(),
                r.paired_diff
                    .map(|(_, se, _)| format!("{se:.6}"))
                    .unwrap_or_default(),
                r.paired_diff
                    .map(|(_, _, n)| n.to_string())
                    .unwrap_or_default(),
            ]
        }),
    );
    let md = compare_markdown(rows);
    atomic_write_bytes(&out.join("summary.csv"), &sum)?;
    atomic_write_bytes(&out.join("summary.md"), md.as_bytes())?;
    let chart = Chart::Bars {
        title: "test accuracy by mixing mode (mean +- std over seeds)".into(),
        categories: rows.iter().map(|r| r.mix.clone()).collect(),
        means: rows.iter().map(|r| 100.0 * r.test_mean).collect(),
        stds: rows.iter().map(|r| 100.0 * r.test_std).collect(),
        y_label: "test accuracy (%)".into(),
    };
    crate::charts::draw(charts, &out.join("accuracy.png"), chart)?;
    Ok(())
}

/// One perturbation family of the robustness study.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Perturbation {
    /// White Gaussian noise at an SNR (dB).
    WhiteNoise,
    /// The dataset's background noise at an SNR (dB).
    BackgroundNoise,
    /// A random box with the plane's aspect ratio covering a share of the plane, set to the floor.
    OcclusionBox,
    /// A full-band strip covering a share of the frames.
    OcclusionTime,
    /// A full-time band covering a share of the mel bands.
    OcclusionBand,
    /// FGSM on the normalised log-mel input; severity is ε in dB.
    Fgsm,
}

impl Perturbation {
    /// All families.
    pub const ALL: [Perturbation; 6] = [
        Perturbation::WhiteNoise,
        Perturbation::BackgroundNoise,
        Perturbation::OcclusionBox,
        Perturbation::OcclusionTime,
        Perturbation::OcclusionBand,
        Perturbation::Fgsm,
    ];

    /// The name used in tables.
    pub fn name(self) -> &'static str {
        match self {
            Perturbation::WhiteNoise => "white_noise_snr_db",
            Perturbation::BackgroundNoise => "background_noise_snr_db",
            Perturbation::OcclusionBox => "occlusion_box_pct",
            Perturbation::OcclusionTime => "occlusion_time_pct",
            Perturbation::OcclusionBand => "occlusion_band_pct",
            Perturbation::Fgsm => "fgsm_eps_db",
        }
    }
}

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

/// One measured point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobustPoint {
    /// The run folder.
    pub run: PathBuf,
    /// The perturbation family (`clean` for none).
    pub perturbation: String,
    /// Its severity (SNR dB, %, or ε dB); NaN for clean.
    pub severity: f32,
    /// Test accuracy.
    pub accuracy: f64,
}

fn occlude(x: &mut Array4<f32>, kind: Perturbation, pct: f32, floor: f32, rng: &mut ChaCha8Rng) {
    let (b, _, h, w) = x.dim();
    let frac = (pct / 100.0).clamp(0.0, 1.0);
    for i in 0..b {
        let (bh, bw) = match kind {
            Perturbation::OcclusionTime => (h, ((w as f32 * frac).round() as usize).min(w)),
            Perturbation::OcclusionBand => (((h as f32 * frac).round() as usize).min(h), w),
            _ => {
                let r = frac.sqrt();
                (
                    ((h as f32 * r).round() as usize).min(h),
                    ((w as f32 * r).round() as usize).min(w),
                )
            }
        };
        let top = rng.random_range(0..=h - bh);
        let left = rng.random_range(0..=w - bw);
        x.slice_mut(s![i, .., top..top + bh, left..left + bw])
            .fill(floor);
    }
}

/// FGSM: `x + ε·sign(∇ₓ CE(model(x), y))` with the model in evaluation mode. A missing or
/// malformed gradient is an error ([`TrainError::NoGradient`]), never the clean input.
fn fgsm(
    run: &LoadedRun,
    model_ad: &crate::model::KwsModel,
    x: &Array4<f32>,
    labels: &[usize],
    eps: f32,
) -> Result<Array4<f32>, TrainError> {
    if eps == 0.0 {
        return Ok(x.clone());
    }
    let no_gradient = |problem: &str| TrainError::NoGradient {
        model: run.checkpoint_name(),
        problem: problem.to_string(),
    };
    let ad = run.device.clone().autodiff();
    let k = run.classes().len();
    let mut y = Array2::<f32>::zeros((labels.len(), k));
    for (i, &l) in labels.iter().enumerate() {
        y[[i, l]] = 1.0;
    }
    let xt = tensor4(x.clone(), &ad).require_grad();
    let loss = soft_cross_entropy(model_ad.forward(xt.clone()), tensor2(y, &ad));
    let grads = loss.backward();
    let g = xt
        .grad(&grads)
        .ok_or_else(|| no_gradient("backpropagation did not reach the input"))?;
    let g: Vec<f32> = g
        .sign()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| no_gradient(&format!("the gradient cannot be read: {e:?}")))?;
    let mut out = x.as_standard_layout().into_owned();
    let o = out
        .as_slice_mut()
        .ok_or_else(|| no_gradient("the input is not contiguous"))?;
    if g.len() != o.len() {
        return Err(no_gradient(&format!(
            "{} gradient values for {} inputs",
            g.len(),
            o.len()
        )));
    }
    for (v, s) in o.iter_mut().zip(g) {
        *v += eps * s;
    }
    Ok(out)
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
        let (index, _) = crate::loaded::eval_index(&run.config, dir, data)?;
        let (_task, items) = split_items(&run, &index, Split::Test)?;
        let store = AudioStore::load(&index, &[&items], run.config.clip_samples)?;
        let ad = run.device.clone().autodiff();
        let model_ad = load_frozen_autodiff(dir, &run, &ad)?;
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
        let clean = audio_set(&store, &items, &run, None, cfg.seed);
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
                        let noisy = audio_set(&store, &items, &run, Some((p, sev)), cfg.seed);
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

fn load_frozen_autodiff(
    dir: &Path,
    run: &LoadedRun,
    ad: &burn::tensor::Device,
) -> Result<crate::model::KwsModel, TrainError> {
    let p = RunPaths::new(dir).best();
    let ck = Checkpoint::load(&p)?;
    let cfg = run
        .config
        .model
        .as_ref()
        .ok_or_else(|| TrainError::RunDir {
            path: RunPaths::new(dir).config(),
            problem: "has no model section (the run never started)".into(),
        })?;
    Ok(load_model(cfg, &ck.model, ad, &p)?.freeze())
}

fn audio_set(
    store: &AudioStore,
    items: &[Item],
    run: &LoadedRun,
    noise: Option<(Perturbation, f32)>,
    seed: u64,
) -> Vec<Vec<f32>> {
    items
        .iter()
        .enumerate()
        .map(|(k, it)| {
            let mut rng = crate::data::seeds::item_rng(seed, k);
            let mut buf = vec![0.0; run.config.clip_samples];
            store.clean(it, &run.config.augment, &mut buf, &mut rng);
            if let Some((p, snr)) = noise {
                let n: Vec<f32> = match p {
                    Perturbation::WhiteNoise => white_noise(buf.len(), &mut rng),
                    _ => store.noise_segment(buf.len(), &mut rng),
                };
                add_at_snr(&mut buf, &n, snr);
            }
            buf
        })
        .collect()
}

fn accuracy_of(run: &LoadedRun, x: &Array4<f32>, items: &[Item]) -> Result<f64, TrainError> {
    let n = items.len();
    let bsz = run.config.eval_batch_size.max(1);
    let mut correct = 0usize;
    for st in (0..n).step_by(bsz) {
        let en = (st + bsz).min(n);
        let p = run.probabilities(x.slice(s![st..en, .., .., ..]).to_owned())?;
        for (j, row) in p.outer_iter().enumerate() {
            if argmax(row.as_slice().unwrap_or(&[])) == items[st + j].label {
                correct += 1;
            }
        }
    }
    Ok(correct as f64 / n.max(1) as f64)
}

fn write_robustness(
    out: &Path,
    runs: &[PathBuf],
    points: &[RobustPoint],
    charts: &dyn ChartSink,
) -> Result<(), TrainError> {
    let csv = csv_bytes(
        &["run", "perturbation", "severity", "accuracy"],
        points.iter().map(|p| {
            vec![
                p.run.display().to_string(),
                p.perturbation.to_string(),
                p.severity.to_string(),
                format!("{:.6}", p.accuracy),
            ]
        }),
    );
    atomic_write_bytes(&out.join("robustness.csv"), &csv)?;
    // Markdown: one table per perturbation, runs as rows, severities as columns.
    let mut md = String::new();
    let mut families: Vec<&str> = Vec::new();
    for p in points {
        if !families.contains(&p.perturbation.as_str()) {
            families.push(&p.perturbation);
        }
    }
    let run_name = |r: &PathBuf| {
        r.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    // (perturbation, x ticks, one (run, accuracies) series per run)
    type Plot = (String, Vec<String>, Vec<(String, Vec<f64>)>);
    let mut plots: Vec<Plot> = Vec::new();
    for fam in &families {
        let sevs: Vec<f32> = {
            let mut v: Vec<f32> = Vec::new();
            for p in points.iter().filter(|p| p.perturbation == *fam) {
                if !v.iter().any(|s| s.to_bits() == p.severity.to_bits()) {
                    v.push(p.severity);
                }
            }
            v
        };
        let _ = writeln!(md, "\n**{fam}**\n");
        let _ = write!(md, "| run |");
        for s in &sevs {
            let _ = write!(
                md,
                " {} |",
                if s.is_nan() {
                    "-".to_string()
                } else {
                    s.to_string()
                }
            );
        }
        let _ = writeln!(md, "\n|---|{}", "---|".repeat(sevs.len()));
        let mut series = Vec::new();
        for r in runs {
            let _ = write!(md, "| {} |", r.display());
            let mut ys = Vec::new();
            if *fam != "clean"
                && let Some(c) = points
                    .iter()
                    .find(|p| &p.run == r && p.perturbation == "clean")
            {
                ys.push(100.0 * c.accuracy);
            }
            for s in &sevs {
                let acc = points
                    .iter()
                    .find(|p| {
                        &p.run == r && p.perturbation == *fam && p.severity.to_bits() == s.to_bits()
                    })
                    .map(|p| p.accuracy);
                match acc {
                    Some(a) => {
                        let _ = write!(md, " {:.2} % |", 100.0 * a);
                        ys.push(100.0 * a);
                    }
                    None => {
                        let _ = write!(md, " – |");
                        ys.push(f64::NAN);
                    }
                }
            }
            let _ = writeln!(md);
            series.push((run_name(r), ys));
        }
        if *fam != "clean" {
            let mut ticks = vec!["clean".to_string()];
            ticks.extend(sevs.iter().map(|s| s.to_string()));
            plots.push((fam.to_string(), ticks, series));
        }
    }
    atomic_write_bytes(&out.join("robustness.md"), md.as_bytes())?;
    for (fam, x_ticks, series) in plots {
        let chart = Chart::Lines {
            title: format!("test accuracy vs. {fam}"),
            y_label: "accuracy (%)".into(),
            x_ticks,
            series,
            x_label: fam.clone(),
        };
        crate::charts::draw(charts, &out.join(format!("robustness_{fam}.png")), chart)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_difference_uses_common_seeds_and_its_standard_error() {
        let none = [(0, 0.80), (1, 0.90), (2, 0.85), (7, 0.5)];
        let mix = [(0, 0.82), (1, 0.93), (2, 0.86), (3, 0.99)];
        let (m, se, n) = paired_difference(&none, &mix).expect("three pairs");
        assert_eq!(n, 3);
        // Differences 0.02, 0.03, 0.01: mean 0.02, std 0.01, s.e. 0.01/sqrt(3).
        assert!((m - 0.02).abs() < 1e-12, "{m}");
        assert!((se - 0.01 / 3f64.sqrt()).abs() < 1e-12, "{se}");
        assert_eq!(paired_difference(&none[..1], &mix), None);
    }

    #[test]
    fn mode_lists_split_between_specs_only() {
        assert_eq!(
            split_modes("none, mixup(db=1,alpha=0.4),cutmix(region=time) ,randommix"),
            vec![
                "none",
                "mixup(db=1,alpha=0.4)",
                "cutmix(region=time)",
                crate::mix::DEFAULT_SPEC
            ]
        );
        assert_eq!(
            split_modes("none/mixup:1(db=1),cutmix:1"),
            vec!["none", "mixup:1(db=1),cutmix:1"]
        );
        assert_eq!(split_modes("mixup:2,cutmix:1"), vec!["mixup:2,cutmix:1"]);
        assert_eq!(
            split_modes_with("none,mixup(db=1)", "skip=0.7"),
            vec!["none", "mixup(db=1);skip=0.7"]
        );
    }

    #[test]
    fn slugs_are_folder_safe() {
        assert_eq!(slug("mixup:1,cutmix:1"), "mixup-1-cutmix-1");
        assert_eq!(slug("none"), "none");
    }
}
