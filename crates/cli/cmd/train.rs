//! `randommix train`: train a keyword spotter into a run folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;

use randommix::data::TaskSpec;
use randommix::model::Backend;
use randommix::train::{self, TrainConfig, default_run_dir};

use crate::args::{DataArgs, RecipeArgs};
use crate::progress::Bar;

/// `randommix train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Run folder to create (default: runs/<UTC date-time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the stopped run in this folder (its config.json decides everything else, so
    /// the settings of a new run are refused beside it).
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = [
        "out", "folders", "epochs", "batch", "mix", "seed", "task", "words", "lr",
        "weight_decay", "backend", "model", "width", "mix_off_share", "label_smoothing",
        "voice_aug", "spec_augment", "noise_snr", "nonspeech",
    ])]
    pub resume: Option<PathBuf>,
    /// Epochs.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = TrainConfig::default().batch_size)]
    pub batch: usize,
    /// Mixing: `none`, one mode (`mixup`, `cutmix`, `resizemix`, `fmix`), `randommix` (the
    /// paper's four at 1:1:1:1) or weighted candidates such as `mixup:2,cutmix:1`, per-mode
    /// options such as `mixup(db=1)` (Mixup as a sum of powers), with global options such as
    /// `;skip=0.5` (probability of an unmixed batch) or `;per=sample` (README).
    #[arg(long, default_value = randommix::config::RECOMMENDED_MIX)]
    pub mix: String,
    #[command(flatten)]
    pub recipe: RecipeArgs,
    /// Seed of every random draw.
    #[arg(long, default_value_t = TrainConfig::default().seed)]
    pub seed: u64,
    /// Task: `12` (silence, unknown + the words) or `all` (every word folder is a class).
    #[arg(long, default_value = "12")]
    pub task: String,
    /// Command words of the 12-class task, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = TaskSpec::default_words())]
    pub words: Vec<String>,
    /// Peak learning rate (AdamW, warm-up then cosine).
    #[arg(long, default_value_t = TrainConfig::default().lr)]
    pub lr: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = TrainConfig::default().weight_decay)]
    pub weight_decay: f32,
    /// Compute backend: one of flex, ndarray, vulkan, wgpu (the last three need their cargo feature).
    #[arg(long, default_value_t = TrainConfig::default().backend, value_parser = |s: &str| s.parse::<Backend>())]
    pub backend: Backend,
    /// Print one line per epoch instead of a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(a: TrainArgs) -> Result<()> {
    let mut bar = Bar::new(a.quiet);
    let (cfg, out, resume) = match a.resume {
        Some(dir) => (TrainConfig::default(), dir, true),
        None => {
            let mut cfg = TrainConfig {
                task: TaskSpec::parse(&a.task, &a.words)?,
                epochs: a.epochs,
                batch_size: a.batch,
                lr: a.lr,
                weight_decay: a.weight_decay,
                mix: a.mix,
                seed: a.seed,
                backend: a.backend,
                ..TrainConfig::default()
            };
            a.recipe.apply(&mut cfg);
            a.data.apply(&mut cfg)?;
            (
                cfg,
                a.out.unwrap_or_else(|| default_run_dir(Path::new("runs"))),
                false,
            )
        }
    };
    eprintln!("run folder: {}", out.display());
    let s = train::train(&cfg, &out, resume, &mut bar)
        .with_context(|| format!("training into {}", out.display()))?;
    println!("{}", s.headline());
    println!(
        "run folder: {}  (evaluate: randommix eval --run {})",
        out.display(),
        out.display()
    );
    Ok(())
}
