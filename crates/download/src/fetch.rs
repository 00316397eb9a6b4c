//! The resumable HTTP download: bytes are appended to a `.part` file, and a dropped
//! connection is picked up again with a `Range` request from the bytes already on disk.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use crate::DownloadError;

/// Told how a download advances.
pub trait Progress {
    /// The download (re)starts with `have` bytes on disk of `total` (when the server or the
    /// catalogue says).
    fn start(&mut self, have: u64, total: Option<u64>);
    /// `have` bytes are on disk.
    fn advance(&mut self, have: u64);
    /// A connection dropped after `have` bytes; attempt `attempt` of `attempts` follows.
    fn retry(&mut self, have: u64, attempt: usize, attempts: usize, problem: &str);
}

/// Reports nothing.
impl Progress for () {
    fn start(&mut self, _have: u64, _total: Option<u64>) {}
    fn advance(&mut self, _have: u64) {}
    fn retry(&mut self, _have: u64, _attempt: usize, _attempts: usize, _problem: &str) {}
}

/// How patiently [`fetch`] downloads.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FetchOptions {
    /// Connections tried in all (the first and the retries after a drop).
    pub attempts: usize,
    /// Seconds to wait before a retry (doubled after each).
    pub retry_wait_s: f64,
    /// Seconds without a byte before a connection counts as dropped.
    pub read_timeout_s: f64,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            attempts: 8,
            retry_wait_s: 1.0,
            read_timeout_s: 60.0,
        }
    }
}

impl FetchOptions {
    /// The same options with `attempts` connections in all.
    pub fn with_attempts(mut self, attempts: usize) -> Self {
        self.attempts = attempts;
        self
    }
    /// The same options waiting `seconds` before the first retry.
    pub fn with_retry_wait_s(mut self, seconds: f64) -> Self {
        self.retry_wait_s = seconds;
        self
    }
}

/// Downloads `url` into `part`, appending to what `part` already holds (an earlier,
/// interrupted run) with a `Range` request, and retrying dropped connections the same way.
/// Stops when the server's length (or `size`) is reached. Returns the bytes fetched by this
/// call.
pub fn fetch(
    url: &str,
    part: &Path,
    size: Option<u64>,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<u64, DownloadError> {
    let io = |cause: std::io::Error| DownloadError::Io {
        path: part.to_path_buf(),
        cause,
    };
    if let Some(dir) = part.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|cause| DownloadError::Io {
            path: dir.to_path_buf(),
            cause,
        })?;
    }
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(30))
        .timeout_read(Duration::from_secs_f64(options.read_timeout_s.max(0.001)))
        .build();
    let attempts = options.attempts.max(1);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(part)
        .map_err(io)?;
    let start_len = file.metadata().map_err(io)?.len();
    let mut have = start_len;
    let mut total = size;
    let mut wait = options.retry_wait_s.max(0.0);
    let mut attempt = 1;
    loop {
        if total.is_some_and(|t| have >= t) {
            break;
        }
        let outcome = receive(
            &agent, url, &mut file, &mut have, &mut total, progress, part,
        );
        match outcome {
            Ok(()) => break,
            Err(Failure::Fatal(e)) => return Err(e),
            Err(Failure::Dropped(problem)) => {
                if attempt >= attempts {
                    return Err(DownloadError::Http {
                        url: url.to_string(),
                        problem: format!(
                            "{problem}; gave up after {attempts} attempts with {have} bytes in {} (run again to resume)",
                            part.display()
                        ),
                    });
                }
                attempt += 1;
                progress.retry(have, attempt, attempts, &problem);
                std::thread::sleep(Duration::from_secs_f64(wait));
                wait *= 2.0;
            }
        }
    }
    file.sync_all().map_err(io)?;
    Ok(have - start_len)
}

/// Why one connection ended early.
enum Failure {
    /// Worth another connection: reset, timeout, 5xx, a body shorter than announced.
    Dropped(String),
    /// Not worth retrying: 4xx, a file that cannot be written, a server that ignores `Range`
    /// on a resumed download is handled, not failed.
    Fatal(DownloadError),
}

/// One connection: asks for the bytes from `have` on and appends them to `file`.
fn receive(
    agent: &ureq::Agent,
    url: &str,
    file: &mut std::fs::File,
    have: &mut u64,
    total: &mut Option<u64>,
    progress: &mut dyn Progress,
    part: &Path,
) -> Result<(), Failure> {
    let io = |cause: std::io::Error| {
        Failure::Fatal(DownloadError::Io {
            path: part.to_path_buf(),
            cause,
        })
    };
    let mut req = agent.get(url);
    if *have > 0 {
        req = req.set("Range", &format!("bytes={have}-"));
    }
    let resp = match req.call() {
        Ok(r) => r,
        // 416: the range starts at the end: everything is here already.
        Err(ureq::Error::Status(416, _)) if *have > 0 => return Ok(()),
        Err(ureq::Error::Status(code, r)) if code >= 500 => {
            return Err(Failure::Dropped(format!(
                "server error {code} {}",
                r.status_text()
            )));
        }
        Err(ureq::Error::Status(code, r)) => {
            return Err(Failure::Fatal(DownloadError::Http {
                url: url.to_string(),
                problem: format!("the server answered {code} {}", r.status_text()),
            }));
        }
        Err(ureq::Error::Transport(t)) => {
            // ureq's message starts with the address, which the error names already.
            let text = t.to_string();
            let text = text.strip_prefix(&format!("{url}: ")).unwrap_or(&text);
            return Err(Failure::Dropped(text.to_string()));
        }
    };
    let length: Option<u64> = resp
        .header("Content-Length")
        .and_then(|v| v.trim().parse().ok());
    if resp.status() == 206 {
        // `Content-Range: bytes <from>-<to>/<total>`.
        let range = resp.header("Content-Range").unwrap_or("").to_string();
        let from: Option<u64> = range
            .strip_prefix("bytes ")
            .and_then(|r| r.split('-').next())
            .and_then(|f| f.trim().parse().ok());
        if from != Some(*have) {
            return Err(Failure::Fatal(DownloadError::Http {
                url: url.to_string(),
                problem: format!(
                    "asked for the bytes from {} on, the server sent {range:?}",
                    *have
                ),
            }));
        }
        if let Some(t) = range.rsplit('/').next().and_then(|t| t.trim().parse().ok()) {
            *total = Some(t);
        }
    } else {
        // 200: the whole file from its start (a server without ranges): start again.
        if *have > 0 {
            file.set_len(0).map_err(io)?;
            *have = 0;
        }
        if let Some(l) = length {
            *total = Some(l);
        }
    }
    progress.start(*have, *total);
    let mut reader = resp.into_reader();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Failure::Dropped(format!("connection lost: {e}"))),
        };
        file.write_all(&buf[..n]).map_err(io)?;
        *have += n as u64;
        progress.advance(*have);
    }
    match *total {
        Some(t) if *have < t => Err(Failure::Dropped(format!(
            "connection closed after {} of {t} bytes",
            *have
        ))),
        _ => Ok(()),
    }
}
