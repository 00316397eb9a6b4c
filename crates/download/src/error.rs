//! What can go wrong while downloading: every error names the file or address and the problem.

use std::path::PathBuf;

/// A failed download, check or unpacking.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DownloadError {
    /// No archive of that name.
    #[error("no archive called {name:?}; known: {known}")]
    UnknownArchive {
        /// The name given.
        name: String,
        /// The names known.
        known: String,
    },
    /// The target folder exists already (nothing is overwritten).
    #[error("{path}: exists already; remove it or choose another --to (nothing was downloaded)")]
    TargetExists {
        /// The target.
        path: PathBuf,
    },
    /// The server answered with an error or could not be reached, after the retries.
    #[error("{url}: {problem}")]
    Http {
        /// The address.
        url: String,
        /// What happened.
        problem: String,
    },
    /// The archive's size differs from the published one.
    #[error(
        "{path}: {actual} bytes, but the archive has {expected} (the download was deleted; run again to fetch it afresh)"
    )]
    Size {
        /// The downloaded file.
        path: PathBuf,
        /// Published size.
        expected: u64,
        /// Size on disk.
        actual: u64,
    },
    /// The archive's SHA-256 differs from the published one.
    #[error(
        "{path}: SHA-256 {actual}, but the archive must hash to {expected} (the download was deleted; run again to fetch it afresh)"
    )]
    Checksum {
        /// The downloaded file.
        path: PathBuf,
        /// Published SHA-256.
        expected: String,
        /// SHA-256 of the file.
        actual: String,
    },
    /// The archive could not be unpacked (corrupt, or an entry that would leave the folder).
    #[error("{path}: cannot unpack: {problem}")]
    Unpack {
        /// The archive.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// Reading or writing a file failed (a full disk, a folder that cannot be written, ...).
    #[error("{path}: {cause}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        cause: std::io::Error,
    },
}
