//! `randommix spot`: keywords in a long recording or a live stream.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;

use randommix::LoadedRun;
use randommix::stream::{StreamConfig, parse_keyword_threshold};

/// `randommix spot`.
#[derive(Args, Debug)]
pub struct SpotArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// A long recording, or `-` for a stream on standard input (WAV, or raw with `--raw`),
    /// e.g. `arecord -f S16_LE -r 16000 | randommix spot --run R -`.
    pub wav: PathBuf,
    /// The stream on standard input is raw 16-bit little-endian mono at 16 kHz, not WAV.
    #[arg(long)]
    pub raw: bool,
    /// Streaming: seconds after a detection during which nothing else is reported.
    #[arg(long, default_value_t = StreamConfig::default().refractory_s)]
    pub refractory: f32,
    /// Streaming: per-keyword thresholds, e.g. `yes=0.8,no=0.7` (others use --threshold).
    #[arg(long, value_delimiter = ',', value_parser = parse_keyword_threshold)]
    pub threshold_for: Vec<(String, f32)>,
    /// Hop between 1 s windows, in seconds.
    #[arg(long, default_value_t = StreamConfig::default().hop_s)]
    pub hop: f32,
    /// Windows averaged when smoothing the posteriors.
    #[arg(long, default_value_t = StreamConfig::default().smooth)]
    pub smooth: usize,
    /// Smallest smoothed probability reported.
    #[arg(long, default_value_t = StreamConfig::default().threshold)]
    pub threshold: f32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: SpotArgs) -> Result<()> {
    use std::io::Write;
    let run =
        LoadedRun::open(&a.run, false).with_context(|| format!("loading {}", a.run.display()))?;
    let cfg = StreamConfig {
        hop_s: a.hop,
        smooth: a.smooth,
        threshold: a.threshold,
        thresholds: a.threshold_for,
        refractory_s: a.refractory,
    };
    if a.wav.as_os_str() != "-" {
        // A file: the same detector, fed as if the file arrived in 10 ms pieces.
        let mut found = Vec::new();
        let secs = randommix::stream::spot_file(&run, &a.wav, cfg, &mut |d| found.push(d.clone()))
            .with_context(|| format!("spotting in {}", a.wav.display()))?;
        if a.json {
            println!("{}", serde_json::to_string(&found)?);
        } else {
            for d in &found {
                println!("{}", d.to_line());
            }
        }
        eprintln!(
            "{} keyword(s) in {secs:.1} s of {}",
            found.len(),
            a.wav.display()
        );
        return Ok(());
    }
    let format = if a.raw {
        randommix::stream::StreamFormat::RawS16
    } else {
        randommix::stream::StreamFormat::Wav
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed: Option<std::io::Error> = None;
    let mut n = 0usize;
    let secs = randommix::stream::spot_stream(
        &run,
        std::io::stdin().lock(),
        format,
        cfg,
        "standard input",
        &mut |d| {
            n += 1;
            let text = if a.json {
                serde_json::to_string(d).unwrap_or_default()
            } else {
                d.to_line()
            };
            if failed.is_none()
                && let Err(e) = writeln!(out, "{text}").and_then(|_| out.flush())
            {
                failed = Some(e);
            }
        },
    )?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    eprintln!("{n} keyword(s) in {secs:.1} s of audio from standard input");
    Ok(())
}
