//! `randommix render`: a saved log-mel .npy as PNG and as audio.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use randommix_viz::inspect::{self, RenderRequest};

/// `randommix render`.
#[derive(Args, Debug)]
pub struct RenderArgs {
    /// A float32 .npy of dB log-mels: [mels, frames], [clips, mels, frames] or
    /// [clips, 1, mels, frames] (as written by `features` and `mix`).
    #[arg(value_name = "IN.npy")]
    pub input: PathBuf,
    /// Spectrogram PNG. For several clips, a folder (ending in `/`) gets `<stem>_000.png`
    /// per clip and a file name is a template (`{i}`) or gets `_000` before its extension.
    #[arg(long, value_name = "OUT.png", required_unless_present = "wav")]
    pub png: Option<PathBuf>,
    /// Audio by Griffin-Lim (16-bit, 16 kHz; needs 40 mel bands). Named like --png.
    #[arg(long, value_name = "OUT.wav")]
    pub wav: Option<PathBuf>,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// Seed of the Griffin-Lim phases.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Griffin-Lim iterations.
    #[arg(long, default_value_t = randommix::features::GriffinLimConfig::default().n_iter)]
    pub gl_iters: usize,
}

/// Runs `randommix render`: prints the files written.
pub fn run(a: RenderArgs) -> Result<()> {
    let mut req = RenderRequest::new(a.input);
    req.png = a.png;
    req.wav = a.wav;
    req.force = a.force;
    req.seed = a.seed;
    req.griffin_lim.n_iter = a.gl_iters;
    let outputs = inspect::render(&req)?;
    for o in &outputs {
        let files: Vec<String> = [&o.png, &o.wav]
            .into_iter()
            .flatten()
            .map(|p| p.display().to_string())
            .collect();
        println!(
            "spectrogram {} [{} x {}]: wrote {}",
            o.index,
            o.shape[0],
            o.shape[1],
            files.join(", ")
        );
    }
    Ok(())
}
