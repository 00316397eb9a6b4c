//! Fetch, verify and unpack the Google Speech Commands archives.
//!
//! [`download`] brings an archive to disk and unpacks it into a folder, the way
//! `torchaudio.datasets.SPEECHCOMMANDS(download=True)` does for PyTorch users, with three
//! guarantees:
//!
//! - **Resume**: bytes go to `<archive>.part`; a dropped connection is retried with an HTTP
//!   `Range` request from where it stopped, and a later run continues the same file.
//! - **Verify**: the size (when published) and the SHA-256 of the whole archive are checked
//!   before anything is unpacked; a mismatch deletes the download and is an error naming the
//!   file, the expected and the actual value.
//! - **Never half-unpacked**: the archive is unpacked into a temporary folder beside the
//!   target, which is renamed into place only when every entry is out; an existing target is
//!   never touched.
//!
//! One idea per file: `archives.rs` the official archives and their checksums, `fetch.rs` the
//! resumable HTTP download, `verify.rs` the size and SHA-256 check, `unpack.rs` the
//! extraction, `error.rs` the errors.

mod archives;
mod error;
mod fetch;
mod unpack;
mod verify;

pub use archives::{ARCHIVES, Archive, archive};
pub use error::DownloadError;
pub use fetch::{FetchOptions, Progress, fetch};
pub use unpack::unpack;
pub use verify::{sha256_hex, verify};

use std::path::{Path, PathBuf};

/// What [`download`] fetches: an address, what the archive must hash to and, when known, its
/// size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The archive's address (`http://` or `https://`).
    pub url: String,
    /// The SHA-256 of the whole archive, as 64 hex digits.
    pub sha256: String,
    /// The archive's size in bytes, when published.
    pub size: Option<u64>,
}

impl From<&Archive> for Source {
    fn from(a: &Archive) -> Source {
        Source {
            url: a.url.to_string(),
            sha256: a.sha256.to_string(),
            size: a.size,
        }
    }
}

/// The outcome of [`download`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// The unpacked folder.
    pub folder: PathBuf,
    /// Files unpacked.
    pub files: usize,
    /// Bytes of the archive.
    pub archive_bytes: u64,
    /// Bytes fetched by this call (less than the archive when an earlier run was resumed).
    pub fetched_bytes: u64,
}

/// Downloads `source` into `<to>.tar.gz.part` (resuming a partial file left there), checks its
/// size and SHA-256, and unpacks it into the folder `to`, which must not exist yet. The
/// archive is deleted once unpacked unless `keep_archive`, in which case it stays as
/// `<to>.tar.gz`.
pub fn download(
    source: &Source,
    to: &Path,
    keep_archive: bool,
    options: &FetchOptions,
    progress: &mut dyn Progress,
) -> Result<Downloaded, DownloadError> {
    if to.exists() {
        return Err(DownloadError::TargetExists {
            path: to.to_path_buf(),
        });
    }
    let archive_path = sibling(to, ".tar.gz");
    let part = sibling(to, ".tar.gz.part");
    let fetched_bytes = if archive_path.exists() {
        // A verified archive of an earlier run that stopped while unpacking.
        0
    } else {
        let fetched = fetch(&source.url, &part, source.size, options, progress)?;
        if let Err(e) = verify(&part, source.size, &source.sha256) {
            // A corrupt download must not be resumed: the next run starts afresh.
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
        std::fs::rename(&part, &archive_path).map_err(|cause| DownloadError::Io {
            path: archive_path.clone(),
            cause,
        })?;
        fetched
    };
    let archive_bytes = std::fs::metadata(&archive_path)
        .map_err(|cause| DownloadError::Io {
            path: archive_path.clone(),
            cause,
        })?
        .len();
    let files = unpack(&archive_path, to)?;
    if !keep_archive {
        std::fs::remove_file(&archive_path).map_err(|cause| DownloadError::Io {
            path: archive_path.clone(),
            cause,
        })?;
    }
    Ok(Downloaded {
        folder: to.to_path_buf(),
        files,
        archive_bytes,
        fetched_bytes,
    })
}

/// `to` with `suffix` appended to its file name (`data/sc` → `data/sc.tar.gz`).
fn sibling(to: &Path, suffix: &str) -> PathBuf {
    let mut name = to
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_else(|| "speech_commands".into());
    name.push(suffix);
    to.with_file_name(name)
}
