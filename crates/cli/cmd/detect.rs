//! `randommix detect`: false rejects against false accepts per hour on a long stream.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use randommix::data::Split;
use randommix::detect::DetectConfig;

use crate::charts::VizCharts;

/// `randommix detect`.
#[derive(Args, Debug)]
pub struct DetectArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// Speech Commands folder the stream is built from (default: the run's own).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Split whose clips make the stream.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Minutes of synthesized stream (0: only the --negative recordings; at most 1440). It is
    /// composed and scored a minute at a time, so memory does not grow with its length.
    #[arg(long, default_value_t = DetectConfig::default().minutes)]
    pub minutes: f32,
    /// Seed of the stream's composition.
    #[arg(long, default_value_t = DetectConfig::default().seed)]
    pub seed: u64,
    /// A recording without keywords appended to the stream (every detection in it is a false
    /// accept); repeat for several.
    #[arg(long)]
    pub negative: Vec<PathBuf>,
    /// Hop between 1 s windows, in seconds.
    #[arg(long, default_value_t = DetectConfig::default().hop_s)]
    pub hop: f32,
    /// Windows averaged when smoothing the posteriors.
    #[arg(long, default_value_t = DetectConfig::default().smooth)]
    pub smooth: usize,
    /// Seconds after a detection during which nothing else is reported.
    #[arg(long, default_value_t = DetectConfig::default().refractory_s)]
    pub refractory: f32,
    /// The threshold reported beside the 0.5 and 1 FA/h operating points.
    #[arg(long, default_value_t = DetectConfig::default().threshold)]
    pub threshold: f32,
    /// Print the report as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: DetectArgs) -> Result<()> {
    let cfg = DetectConfig {
        minutes: a.minutes,
        seed: a.seed,
        negatives: a.negative,
        hop_s: a.hop,
        smooth: a.smooth,
        refractory_s: a.refractory,
        threshold: a.threshold,
    };
    let (r, files) =
        randommix::detect::detect(&a.run, a.data.as_deref(), a.split, &cfg, &VizCharts)
            .with_context(|| format!("measuring detection of {}", a.run.display()))?;
    for f in &files {
        eprintln!("wrote {}", f.display());
    }
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        print!("{}", r.to_text());
    }
    Ok(())
}
