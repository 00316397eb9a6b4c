//! The paper's experiments as commands: `compare` (no mixing vs. each mode vs. RandomMix over
//! several seeds) and `robustness` (noise, occlusion and FGSM).
//!
//! One idea per file: `compare.rs` trains and gathers the runs, `compare_report.rs` writes
//! its table and chart, `stats.rs` the means and paired differences, `modes.rs` the `--modes`
//! lists, `perturb.rs` the occlusions and FGSM, `robustness.rs` the study and
//! `robustness_report.rs` its table and charts.

mod compare;
mod compare_report;
mod modes;
mod perturb;
mod robustness;
mod robustness_report;
mod stats;

pub use compare::compare;
pub use compare_report::{CompareRow, CompareRun, compare_markdown};
pub use modes::{slug, split_modes, split_modes_with};
pub use perturb::Perturbation;
pub use robustness::{
    FGSM_EPS_RANGE_DB, OCCLUSION_RANGE_PCT, RobustnessConfig, SNR_RANGE_DB, robustness,
};
pub use robustness_report::RobustPoint;
pub use stats::paired_difference;
