//! The check before unpacking: the archive's size and its SHA-256.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::DownloadError;

/// The SHA-256 of the file at `path`, as 64 lower-case hex digits.
pub fn sha256_hex(path: &Path) -> Result<String, DownloadError> {
    let io = |cause: std::io::Error| DownloadError::Io {
        path: path.to_path_buf(),
        cause,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Checks that the file at `path` has `size` bytes (when given) and hashes to `sha256`
/// (hex, either case).
pub fn verify(path: &Path, size: Option<u64>, sha256: &str) -> Result<(), DownloadError> {
    let actual = std::fs::metadata(path)
        .map_err(|cause| DownloadError::Io {
            path: path.to_path_buf(),
            cause,
        })?
        .len();
    if let Some(expected) = size
        && actual != expected
    {
        return Err(DownloadError::Size {
            path: path.to_path_buf(),
            expected,
            actual,
        });
    }
    let got = sha256_hex(path)?;
    if !got.eq_ignore_ascii_case(sha256.trim()) {
        return Err(DownloadError::Checksum {
            path: path.to_path_buf(),
            expected: sha256.trim().to_ascii_lowercase(),
            actual: got,
        });
    }
    Ok(())
}
