//! The progress display of training: a bar on a terminal, one line per epoch.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

use randommix::train::{EpochMetrics, Progress};

/// Reports training progress on standard error.
pub struct Bar {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Bar {
    /// A display that shows a bar on a terminal unless `quiet`.
    pub fn new(quiet: bool) -> Bar {
        Bar { bar: None, quiet }
    }
}

impl Progress for Bar {
    fn message(&mut self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
    fn epoch_start(&mut self, epoch: usize, epochs: usize, steps: usize) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let b = ProgressBar::new(steps as u64);
        b.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_prefix(format!("{epoch}/{epochs}"));
        self.bar = Some(b);
    }
    fn step(&mut self, step: usize, loss: f64, acc: f64, sps: f64) {
        if let Some(b) = &self.bar {
            b.set_position(step as u64);
            b.set_message(format!("loss {loss:.4} acc {acc:.3} {sps:.0} samples/s"));
        }
    }
    fn epoch_end(&mut self, m: &EpochMetrics) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        eprintln!(
            "epoch {:>3}: train loss {:.4} acc {:.3} | valid loss {:.4} acc {:.4} | {:.0} samples/s, data wait {:.1} % | {:.1} s",
            m.epoch,
            m.train_loss,
            m.train_acc,
            m.valid_loss,
            m.valid_acc,
            m.samples_per_s,
            100.0 * m.data_wait_share,
            m.seconds
        );
    }
}
