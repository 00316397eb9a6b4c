//! What a finished training reports: the figures of [`TrainSummary`] and its one-line headline.

use crate::eval::EvalReport;
use crate::run::EpochMetrics;

/// The outcome of [`train`](super::train).
#[derive(Debug, Clone)]
pub struct TrainSummary {
    /// Metrics of every epoch.
    pub history: Vec<EpochMetrics>,
    /// Best validation accuracy and its epoch.
    pub best_valid_acc: f64,
    /// The epoch (1-based) of the best checkpoint.
    pub best_epoch: usize,
    /// The test split evaluated with the best checkpoint.
    pub test: EvalReport,
    /// The in-domain test split (`testing_indomain_list.txt`) with the best checkpoint, when
    /// the data set has one.
    pub indomain: Option<EvalReport>,
    /// The test (and in-domain test) splits of the further training folders
    /// ([`TrainConfig::extra_data`]), scored with the best checkpoint: secondary figures beside
    /// the main folder's test split.
    pub secondary: Vec<EvalReport>,
    /// Wall time in seconds (this process only, when resumed).
    pub seconds: f64,
}

impl TrainSummary {
    /// The line `randommix train` ends with: best validation accuracy and epoch, the test
    /// accuracy, the in-domain and further folders' test figures when there are any, and the
    /// wall time.
    pub fn headline(&self) -> String {
        let indomain = self
            .indomain
            .as_ref()
            .map(|d| {
                format!(
                    "; in-domain test accuracy {:.4} on {} samples",
                    d.accuracy, d.samples
                )
            })
            .unwrap_or_default();
        let secondary: String = self
            .secondary
            .iter()
            .map(|e| {
                let folder = e
                    .source
                    .as_ref()
                    .and_then(|src| src.data.file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                format!("; {folder} {} {:.4} on {}", e.split, e.accuracy, e.samples)
            })
            .collect();
        format!(
            "best validation accuracy {:.4} (epoch {}); test accuracy {:.4} on {} samples{indomain}{secondary}; {:.1} s",
            self.best_valid_acc,
            self.best_epoch,
            self.test.accuracy,
            self.test.samples,
            self.seconds
        )
    }
}
