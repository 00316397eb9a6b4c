//! `compare`: the same recipe trained under several mixing modes and seeds.

use std::path::Path;

use super::compare_report::{CompareRow, CompareRun, write_compare};
use super::modes::slug;
use super::stats::{mean_std, paired_difference};
use crate::charts::ChartSink;
use crate::config::TrainConfig;
use crate::detect::DetectConfig;
use crate::error::TrainError;
use crate::io::create_dir_all;
use crate::run::{Checkpoint, RunPaths};
use crate::train::Progress;

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
            let paths = RunPaths::new(&dir);
            let state = match crate::run::finished(&paths, base.epochs) {
                Some(st) => {
                    progress.message(&format!(
                        "{mode} seed {seed}: finished earlier, not retrained"
                    ));
                    st
                }
                None => {
                    let resume = paths.config().exists();
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
                    Checkpoint::load(&paths.last())?.state
                }
            };
            let eval: crate::eval::EvalReport = {
                let p = paths.eval("test");
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
                let p = paths.eval("indomain");
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
                let p = paths.eval_on("test", extra);
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
