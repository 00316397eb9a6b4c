//! `randommix eval`: accuracy of a trained run on a split.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use randommix::data::Split;

/// `randommix eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// Speech Commands folder (default: the run's own).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Split to evaluate.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: EvalArgs) -> Result<()> {
    let (r, file) = randommix::eval::evaluate(&a.run, a.data.as_deref(), a.split)
        .with_context(|| format!("evaluating {}", a.run.display()))?;
    eprintln!("wrote {}", file.display());
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        print!("{}", r.to_text());
    }
    Ok(())
}
