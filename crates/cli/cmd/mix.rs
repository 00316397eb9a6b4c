//! `randommix mix`: mix two WAV clips (or a random batch) into a panel PNG, audio and a log-mel.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use randommix::config::RECOMMENDED_MODES;
use randommix_viz::inspect::{self, MixRequest};

/// `randommix mix`.
#[derive(Args, Debug)]
pub struct MixArgs {
    /// WAV clips. Two clips A B: A is mixed with B as its partner and only A's result is
    /// written. Three or more: one batch mixed as in training (random pairing), one result
    /// per clip.
    #[arg(
        required_unless_present = "random",
        conflicts_with = "random",
        value_name = "WAV"
    )]
    pub inputs: Vec<PathBuf>,
    /// Mix N clips drawn at random (from --seed) from the word folders of --data.
    #[arg(long, value_name = "N")]
    pub random: Option<usize>,
    /// Speech Commands folder for --random (`_background_noise_` is skipped).
    #[arg(long, default_value = randommix::config::DEFAULT_DATA)]
    pub data: PathBuf,
    /// Mixing: one mode (`mixup`, `cutmix`, `resizemix`, `fmix`) or a RandomMix spec such as
    /// `mixup:1,cutmix:1(region=time)` (see the README for options). Default: the training
    /// default's modes, always mixing (`randommix` for the paper's, whose Mixup blends values).
    #[arg(long, alias = "mix", default_value = RECOMMENDED_MODES, value_name = "MODE|SPEC")]
    pub mode: String,
    /// Seed of the clip choice, the mix and the Griffin-Lim phases.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Panel PNG (A, B, mixed, mask with mode and λ) plus a JSON sidecar. A folder (ending
    /// in `/`) gets `mix_000_<stem>.png` per result; with several results a file name is a
    /// template (`{i}`, `{stem}`) or gets `_000_<stem>` before its extension.
    #[arg(long, value_name = "OUT.png")]
    pub png: Option<PathBuf>,
    /// The mixed log-mel turned back into audio (16-bit, 16 kHz; Griffin-Lim). Named like --png.
    #[arg(long, value_name = "OUT.wav")]
    pub wav: Option<PathBuf>,
    /// The mixed log-mel as a float32 [mels, frames] .npy. Named like --png.
    #[arg(long, value_name = "OUT.npy")]
    pub npy: Option<PathBuf>,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
    /// Griffin-Lim iterations of the WAV output.
    #[arg(long, default_value_t = randommix::features::GriffinLimConfig::default().n_iter)]
    pub gl_iters: usize,
}

/// Runs `randommix mix`: prints one line per result (mode, partner, λ) and the files written.
pub fn run(a: MixArgs) -> Result<()> {
    let inputs = match a.random {
        Some(n) => inspect::pick_random_clips(&a.data, n, a.seed)
            .with_context(|| format!("picking {n} random clips"))?,
        None => a.inputs,
    };
    let mut req = MixRequest::new(inputs, a.mode);
    req.seed = a.seed;
    req.png = a.png;
    req.wav = a.wav;
    req.npy = a.npy;
    req.force = a.force;
    req.griffin_lim.n_iter = a.gl_iters;
    let outputs = inspect::mix_clips(&req)?;
    for o in &outputs {
        println!("{o}");
        for f in o.files() {
            println!("  wrote {}", f.display());
        }
    }
    Ok(())
}
