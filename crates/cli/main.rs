//! The `randommix` command line: a thin layer over the library.

use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};

mod args;
mod charts;
mod cmd;
mod progress;

/// Keyword spotting on Speech Commands with RandomMix augmentation.
#[derive(Parser, Debug)]
#[command(name = "randommix", version, about, long_about = None)]
struct Cli {
    /// Worker threads for feature extraction and the CPU backend (0: one per core; at most 4
    /// per core).
    /// Results are reproducible for a given seed and thread count.
    #[arg(long, global = true, default_value_t = 0)]
    threads: usize,
    /// Use burn's generic convolution, batch-norm and max-pool kernels instead of randommix's
    /// fast ones on burn-flex (for comparison; results agree to rounding, the speed does not).
    #[arg(long, global = true)]
    generic_kernels: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Train a keyword spotter (defaults: the bundled data in ./data, RandomMix 1:1:1:1 with a
    /// power-sum Mixup, 70 % of the batches unmixed).
    Train(cmd::train::TrainArgs),
    /// Evaluate a trained run: accuracy, per-class accuracy, confusion matrix.
    Eval(cmd::eval::EvalArgs),
    /// Compute log-mel features of WAV files or folders into a .npy file.
    Features(cmd::features::FeaturesArgs),
    /// Top-k labels of WAV clips with a trained run.
    Predict(cmd::predict::PredictArgs),
    /// Find keywords in a long recording with a trained run.
    Spot(cmd::spot::SpotArgs),
    /// False rejects against false accepts per hour on a long labelled stream; CSV + DET plot.
    Detect(cmd::detect::DetectArgs),
    /// Write a trained network as ONNX (with its input normalisation) and a JSON description.
    Export(cmd::export::ExportArgs),
    /// Fetch, verify (SHA-256) and unpack a Speech Commands archive; resumes an interrupted one.
    Download(cmd::download::DownloadArgs),
    /// Train the same model under several mixing modes and seeds; table + chart.
    Compare(cmd::compare::CompareArgs),
    /// Accuracy of trained runs under noise, occlusion and FGSM; table + plots.
    Robustness(cmd::robustness::RobustnessArgs),
    /// Mix two WAV clips (or a random batch) and write the panel PNG, the audio and the log-mel.
    Mix(cmd::mix::MixArgs),
    /// Draw a saved log-mel .npy as PNG and turn it back into audio.
    Render(cmd::render::RenderArgs),
}

/// The most worker threads `--threads` accepts, per core: more only adds switching (and
/// 100 000 threads brought a machine's load past 1 000).
const MAX_THREADS_PER_CORE: usize = 4;

/// Checks `--threads` against [`MAX_THREADS_PER_CORE`] × the cores available.
fn check_threads(threads: usize) -> Result<()> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let max = MAX_THREADS_PER_CORE * cores;
    if threads > max {
        anyhow::bail!(
            "--threads {threads} is more than {max} ({MAX_THREADS_PER_CORE} per core on the \
             {cores} core(s) available); give at most {max}, or 0 for one thread per core"
        );
    }
    Ok(())
}

fn run(cli: Cli) -> Result<()> {
    check_threads(cli.threads)?;
    if cli.threads > 0 {
        rayon::ThreadPoolBuilder::new()
            .num_threads(cli.threads)
            .build_global()
            .map_err(|e| anyhow::anyhow!("cannot set up {} worker threads: {e}", cli.threads))?;
    }
    if cli.generic_kernels {
        randommix::model::fastconv::set_generic(true);
    }
    match cli.command {
        Command::Train(a) => cmd::train::run(a),
        Command::Eval(a) => cmd::eval::run(a),
        Command::Features(a) => cmd::features::run(a),
        Command::Predict(a) => cmd::predict::run(a),
        Command::Spot(a) => cmd::spot::run(a),
        Command::Detect(a) => cmd::detect::run(a),
        Command::Export(a) => cmd::export::run(a),
        Command::Download(a) => cmd::download::run(a),
        Command::Compare(a) => cmd::compare::run(a),
        Command::Robustness(a) => cmd::robustness::run(a),
        Command::Mix(a) => cmd::mix::run(a),
        Command::Render(a) => cmd::render::run(a),
    }
}

/// mimalloc reuses freed blocks; glibc's malloc maps and unmaps every large activation, and the
/// page faults and kernel zeroing cost about a fifth of a training step.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` in milliseconds (its default is 10).
///
/// Training: -1, never hand freed memory back to the OS. A training step frees and allocates
/// the same activations again every few hundred milliseconds; with the default delay they were
/// purged in between and faulted in (and zeroed by the kernel) again, 16 % of a step. Memory
/// stays at the run's high-water mark instead.
///
/// Every other command: 0, at once. With the default delay the peak memory of a long `detect`
/// depended on timing (174–214 MB for the same 24-minute stream); handed back at once it stays
/// level with the stream's length (`tests/cli_trust.rs`).
fn set_purge_delay(ms: std::ffi::c_long) {
    const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    // SAFETY: sets one of mimalloc's global options; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, ms) };
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let trains = matches!(
        cli.command,
        Command::Train(_) | Command::Compare(_) | Command::Robustness(_)
    );
    set_purge_delay(if trains { -1 } else { 0 });
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Broken pipe (e.g. `| head`) is not an error worth reporting.
            if let Some(io) = e.root_cause().downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
