//! The run's text outputs: `metrics.csv` and `report.md`.

use std::path::Path;

use super::summary::TrainSummary;
use crate::config::TrainConfig;
use crate::csv_out::csv_bytes;
use crate::error::TrainError;
use crate::io::atomic_write_bytes;
use crate::run::{EpochMetrics, RunPaths};

pub(crate) fn write_metrics_csv(path: &Path, history: &[EpochMetrics]) -> Result<(), TrainError> {
    let s = csv_bytes(
        &[
            "epoch",
            "train_loss",
            "train_acc",
            "valid_loss",
            "valid_acc",
            "lr",
            "samples_per_s",
            "data_wait_share",
            "seconds",
        ],
        history.iter().map(|m| {
            vec![
                m.epoch.to_string(),
                format!("{:.6}", m.train_loss),
                format!("{:.6}", m.train_acc),
                format!("{:.6}", m.valid_loss),
                format!("{:.6}", m.valid_acc),
                format!("{:.6e}", m.lr),
                format!("{:.1}", m.samples_per_s),
                format!("{:.4}", m.data_wait_share),
                format!("{:.2}", m.seconds),
            ]
        }),
    );
    atomic_write_bytes(path, &s)?;
    Ok(())
}

pub(crate) fn write_report(
    paths: &RunPaths,
    cfg: &TrainConfig,
    s: &TrainSummary,
) -> Result<(), TrainError> {
    let mut r = String::new();
    r.push_str("# randommix training run\n\n");
    r.push_str(&format!(
        "- data: `{}` (judged on: its validation split picks the checkpoint, its test split is scored)\n",
        cfg.data.display()
    ));
    for d in &cfg.extra_data {
        r.push_str(&format!(
            "- further training data: `{}` (its training clips and background noise)\n",
            d.display()
        ));
    }
    r.push_str(&format!(
        "- classes ({}): {}\n",
        cfg.classes.len(),
        cfg.classes.join(" ")
    ));
    r.push_str(&format!("- mix: `{}`\n", cfg.mix));
    r.push_str(&format!(
        "- epochs: {}, batch {}, lr {}, seed {}\n",
        cfg.epochs, cfg.batch_size, cfg.lr, cfg.seed
    ));
    r.push_str(&format!(
        "- best validation accuracy: {:.4} (epoch {})\n",
        s.best_valid_acc, s.best_epoch
    ));
    r.push_str(&format!(
        "- **test accuracy** (best checkpoint, speakers never heard in training or selection): {:.4} on {} samples\n",
        s.test.accuracy, s.test.samples
    ));
    if let Some(d) = &s.indomain {
        r.push_str(&format!(
            "- in-domain test accuracy (best checkpoint): {:.4} on {} samples\n",
            d.accuracy, d.samples
        ));
    }
    for e in &s.secondary {
        let folder = e
            .source
            .as_ref()
            .map(|src| src.data.display().to_string())
            .unwrap_or_default();
        r.push_str(&format!(
            "- secondary: `{folder}` {} split: {:.4} on {} samples\n",
            e.split, e.accuracy, e.samples
        ));
    }
    r.push_str(&format!(
        "- model: {}{}, mix off for the last {} epochs, label smoothing {}\n",
        cfg.arch,
        if cfg.arch == crate::model::Arch::BcResNet {
            format!("-{}", cfg.width)
        } else {
            String::new()
        },
        cfg.mix_off_epochs(),
        cfg.label_smoothing
    ));
    if let Some(m) = s.history.last() {
        r.push_str(&format!(
            "- throughput (last epoch): {:.0} samples/s, data-pipeline wait {:.1} % of training time\n",
            m.samples_per_s,
            100.0 * m.data_wait_share
        ));
    }
    r.push_str(&format!(
        "- wall time of this process: {:.1} s\n\n",
        s.seconds
    ));
    r.push_str("## Test accuracy per class\n\n| class | accuracy | samples |\n|---|---|---|\n");
    for c in &s.test.per_class {
        r.push_str(&format!(
            "| {} | {:.4} | {} |\n",
            c.class, c.accuracy, c.samples
        ));
    }
    atomic_write_bytes(&paths.report(), r.as_bytes())?;
    Ok(())
}
