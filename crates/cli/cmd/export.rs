//! `randommix export`: a trained network as ONNX with its description.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

/// `randommix export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// The ONNX file to write; the JSON description goes beside it (`model.onnx` → `model.json`).
    #[arg(long)]
    pub out: PathBuf,
    /// Export the last checkpoint instead of the best.
    #[arg(long)]
    pub last: bool,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: ExportArgs) -> Result<()> {
    let s = randommix::export::export_run(&a.run, &a.out, a.last, a.force)
        .with_context(|| format!("exporting {}", a.run.display()))?;
    eprintln!(
        "wrote {} ({} nodes, ONNX opset {}) and {}",
        s.model.display(),
        s.nodes,
        randommix::export::OPSET,
        s.info.display()
    );
    Ok(())
}
