//! `randommix compare`: the same recipe under several mixing modes and seeds.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use randommix::data::TaskSpec;
use randommix::experiments;
use randommix::train::TrainConfig;

use crate::args::{DataArgs, RecipeArgs};
use crate::charts::VizCharts;
use crate::progress::Bar;

/// `randommix compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Report folder (runs go to <out>/runs; finished runs are reused).
    #[arg(long, default_value = "runs/compare")]
    pub out: PathBuf,
    /// Mix specifications to compare, separated by `/` or `,` between plain mode names
    /// (e.g. `none,mixup,cutmix,resizemix,fmix,randommix`; `randommix` = the paper's four at
    /// 1:1:1:1). The default: no mixing, each mode as the training default uses it and the
    /// training default's RandomMix.
    #[arg(long, default_value = randommix::config::COMPARE_MODES)]
    pub modes: String,
    /// Seeds per mode (0, 1, ...).
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Epochs per run.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = TrainConfig::default().batch_size)]
    pub batch: usize,
    /// Task: 12 or all.
    #[arg(long, default_value = "12")]
    pub task: String,
    /// Global mixing options appended to every mode but `none` (same schedule for all), e.g.
    /// `skip=0.5`; empty for none.
    #[arg(long, default_value = randommix::config::COMPARE_MIX_OPTIONS)]
    pub mix_options: String,
    /// Minutes of detection stream per run (`randommix detect` on the test split: FA/h and
    /// false rejects at threshold 0.5 in the table); 0 leaves detection out.
    #[arg(long, default_value_t = 20.0)]
    pub detect_minutes: f32,
    #[command(flatten)]
    pub recipe: RecipeArgs,
}

pub fn run(a: CompareArgs) -> Result<()> {
    let mut base = TrainConfig {
        task: TaskSpec::parse(&a.task, &TaskSpec::default_words())?,
        epochs: a.epochs,
        batch_size: a.batch,
        ..TrainConfig::default()
    };
    a.recipe.apply(&mut base);
    a.data.apply(&mut base)?;
    let modes = experiments::split_modes_with(&a.modes, &a.mix_options);
    let mut bar = Bar::new(false);
    let detect = randommix::detect::DetectConfig {
        minutes: a.detect_minutes,
        ..Default::default()
    };
    let detect = (a.detect_minutes > 0.0).then_some(&detect);
    let rows = experiments::compare(&base, &modes, a.seeds, &a.out, detect, &mut bar, &VizCharts)?;
    print!("{}", experiments::compare_markdown(&rows));
    println!(
        "report: {}/summary.md, summary.csv, results.csv, accuracy.png",
        a.out.display()
    );
    Ok(())
}
