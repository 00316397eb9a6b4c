//! `randommix predict`: the top labels of WAV clips.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use randommix::LoadedRun;

/// `randommix predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// WAV clips (any rate/format; padded or cropped to the run's clip length).
    #[arg(required = true)]
    pub clips: Vec<PathBuf>,
    /// How many labels to show per clip.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Print JSON (one array of objects).
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: PredictArgs) -> Result<()> {
    if a.top == 0 {
        bail!("--top 0: the number of labels shown per clip must be at least 1");
    }
    let run =
        LoadedRun::open(&a.run, false).with_context(|| format!("loading {}", a.run.display()))?;
    let preds = run.predict_files(&a.clips, a.top)?;
    if a.json {
        println!("{}", serde_json::to_string(&preds)?);
    } else {
        for p in preds {
            let labels: Vec<String> = p
                .top
                .iter()
                .map(|s| format!("{} {:.3}", s.label, s.probability))
                .collect();
            println!("{}\t{}", p.file.display(), labels.join("  "));
        }
    }
    Ok(())
}
