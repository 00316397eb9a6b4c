//! What a comparison found ([`CompareRun`] per run, [`CompareRow`] per mode) and the files
//! `compare` writes of it: the Markdown table, the CSVs and the accuracy chart.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::charts::{Chart, ChartSink};
use crate::csv_out::csv_bytes;
use crate::error::TrainError;
use crate::io::atomic_write_bytes;

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

pub(super) fn write_compare(
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
