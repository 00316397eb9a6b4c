//! `randommix download`: fetch, verify and unpack a Speech Commands archive.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use randommix_download::{ARCHIVES, FetchOptions, Progress, Source, archive, download};

/// `randommix download`.
#[derive(Args, Debug)]
pub struct DownloadArgs {
    /// Which archive: v0.02 (105,829 clips, 2.3 GB), v0.01 (64,727 clips, 1.4 GB) or
    /// test-v0.02 (the official v0.02 test set, 112 MB).
    #[arg(default_value = "v0.02")]
    pub archive: String,
    /// The folder to unpack into (must not exist). Default: data/<the archive's folder>, e.g.
    /// data/speech_commands_v0.02.
    #[arg(long)]
    pub to: Option<PathBuf>,
    /// Keep the verified archive beside the folder (<to>.tar.gz) instead of deleting it.
    #[arg(long)]
    pub keep_archive: bool,
    /// Download from this address (a mirror) instead of the official one; needs --sha256.
    #[arg(long, requires = "sha256")]
    pub url: Option<String>,
    /// The SHA-256 the archive from --url must have.
    #[arg(long, requires = "url")]
    pub sha256: Option<String>,
    /// Connections tried in all before giving up (a later run resumes).
    #[arg(long, default_value_t = FetchOptions::default().attempts as u64,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub attempts: u64,
    /// List the archives and exit.
    #[arg(long)]
    pub list: bool,
}

/// A progress bar of bytes on standard error.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&mut self, have: u64, total: Option<u64>) {
        if let Some(t) = total {
            self.0.set_length(t);
        }
        self.0.set_position(have);
    }
    fn advance(&mut self, have: u64) {
        self.0.set_position(have);
    }
    fn retry(&mut self, have: u64, attempt: usize, attempts: usize, problem: &str) {
        self.0.println(format!(
            "{problem}; resuming after {have} bytes (attempt {attempt} of {attempts})"
        ));
    }
}

pub fn run(a: DownloadArgs) -> Result<()> {
    if a.list {
        for ar in &ARCHIVES {
            println!("{:<11} {}\n            {}", ar.name, ar.about, ar.url);
        }
        return Ok(());
    }
    let known = archive(&a.archive)?;
    let source = match (&a.url, &a.sha256) {
        (Some(url), Some(sha)) => Source {
            url: url.clone(),
            sha256: sha.clone(),
            size: None,
        },
        _ => Source::from(known),
    };
    if source.sha256.len() != 64 || !source.sha256.chars().all(|c| c.is_ascii_hexdigit()) {
        bail!("--sha256 {:?}: expected 64 hex digits", source.sha256);
    }
    let to =
        a.to.unwrap_or_else(|| PathBuf::from("data").join(known.folder));
    eprintln!("{} → {}", source.url, to.display());
    let bar = ProgressBar::new(source.size.unwrap_or(0));
    bar.set_style(
        ProgressStyle::with_template("[{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let opts = FetchOptions::default().with_attempts(a.attempts as usize);
    let mut progress = Bar(bar);
    let r = download(&source, &to, a.keep_archive, &opts, &mut progress)
        .with_context(|| format!("downloading into {}", to.display()))?;
    progress.0.finish_and_clear();
    println!(
        "{}: {} files unpacked from {} bytes (SHA-256 checked){}",
        r.folder.display(),
        r.files,
        r.archive_bytes,
        if a.keep_archive { "; archive kept" } else { "" }
    );
    Ok(())
}
