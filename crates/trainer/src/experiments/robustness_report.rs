//! What the robustness study measured ([`RobustPoint`]) and the files `robustness` writes of
//! it: the table, the CSV and one chart per perturbation.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::charts::{Chart, ChartSink};
use crate::csv_out::csv_bytes;
use crate::error::TrainError;
use crate::io::atomic_write_bytes;

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

pub(super) fn write_robustness(
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
