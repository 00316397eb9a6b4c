//! `randommix features`: log-mels of WAV files into a .npy file.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

/// `randommix features`.
#[derive(Args, Debug)]
pub struct FeaturesArgs {
    /// WAV files or folders (searched recursively for *.wav).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output .npy: [mels, frames] for one WAV, [clips, mels, frames] for several (with a
    /// sidecar `<out>.files.txt` listing them in order).
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite the output if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: FeaturesArgs) -> Result<()> {
    if a.out.exists() && !a.force {
        bail!("{} exists; pass --force to overwrite it", a.out.display());
    }
    let cfg = randommix::features::MelConfig::default();
    let s = randommix::features::extract_to_npy(&a.inputs, &a.out, &cfg)?;
    eprintln!(
        "wrote {} {:?} from {} file(s){}",
        s.output.display(),
        s.shape,
        s.files.len(),
        s.file_list
            .map(|p| format!("; file list {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}
