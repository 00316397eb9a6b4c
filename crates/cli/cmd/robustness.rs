//! `randommix robustness`: accuracy of trained runs under noise, occlusion and FGSM.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use randommix::experiments::{self, RobustnessConfig};

use crate::charts::VizCharts;
use crate::progress::Bar;

/// `randommix robustness`.
#[derive(Args, Debug)]
pub struct RobustnessArgs {
    /// Trained run folders (one line per run in the plots).
    #[arg(long = "run", required = true)]
    pub runs: Vec<PathBuf>,
    /// Speech Commands folder (default: each run's own).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Report folder.
    #[arg(long, default_value = "runs/robustness")]
    pub out: PathBuf,
    /// SNRs in dB for white and background noise (each from -50 to 100).
    #[arg(long, value_delimiter = ',', default_values_t = RobustnessConfig::default().snrs_db)]
    pub snr: Vec<f32>,
    /// Occluded shares of the spectrogram in % (boxes, time strips, bands; each from 0 to 100).
    #[arg(long, value_delimiter = ',', default_values_t = RobustnessConfig::default().occlusion_pct)]
    pub occlusion: Vec<f32>,
    /// FGSM ε in dB of log-mel (each from 0 to 100).
    #[arg(long, value_delimiter = ',', default_values_t = RobustnessConfig::default().fgsm_eps_db)]
    pub eps: Vec<f32>,
    /// Seed of noise segments and occlusion positions.
    #[arg(long, default_value_t = RobustnessConfig::default().seed)]
    pub seed: u64,
}

pub fn run(a: RobustnessArgs) -> Result<()> {
    let cfg = RobustnessConfig {
        snrs_db: a.snr,
        occlusion_pct: a.occlusion,
        fgsm_eps_db: a.eps,
        seed: a.seed,
    };
    let mut bar = Bar::new(true);
    experiments::robustness(
        &a.runs,
        a.data.as_deref(),
        &cfg,
        &a.out,
        &mut bar,
        &VizCharts,
    )?;
    let md_path = a.out.join("robustness.md");
    let md = std::fs::read_to_string(&md_path)
        .with_context(|| format!("reading the report {}", md_path.display()))?;
    println!("{md}");
    println!(
        "report: {}/robustness.md, robustness.csv, robustness_*.png",
        a.out.display()
    );
    Ok(())
}
