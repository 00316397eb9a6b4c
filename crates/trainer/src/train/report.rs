//! The run's text outputs: `metrics.csv` and `report.md`.

use std::path::Path;

use super::run::TrainSummary;
use crate::checkpoint::{EpochMetrics, RunPaths};
use crate::config::TrainConfig;
use crate::error::TrainError;
use crate::io::atomic_write_bytes;

pub(crate) fn write_metrics_csv(path: &Path, history: &[EpochMetrics]) -> Result<(), TrainError> {
    let mut s = String::from(
        "epoch,train_loss,train_acc,valid_loss,valid_acc,lr,samples_per_s,data_wait_share,seconds\n",
    );
    for m in history {
        s.push_str(&format!(
            "{},{:.6},{:.6},{:.6},{:.6},{:.6e},{:.1},{:.4},{:.2}\n",
            m.epoch,
            m.train_loss,
            m.train_acc,
            m.valid_loss,
            m.valid_acc,
            m.lr,
            m.samples_per_s,
            m.data_wait_share,
            m.seconds
        ));
    }
    atomic_write_bytes(path, s.as_bytes())?;
    Ok(())
}

pub(crate) fn write_report(paths: &RunPaths, cfg: &TrainConfig, s: &TrainSummary) -> Result<(), TrainError> {
    let mut r = String::new();
    r.push_str("# randommix training run\n\n");
    r.push_str(&format!("- data: `{}`\n", cfg.data.display()));
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
        "- test accuracy (best checkpoint): {:.4}\n",
        s.test.accuracy
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
