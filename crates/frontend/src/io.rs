//! Safe file output: every file randommix writes goes to a temporary file in the
//! destination folder and is renamed into place, so a crash or a full disk never
//! leaves a partial file under the final name.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// An output error that names the path it was writing.
///
/// The cause is part of the message (and deliberately not chained as `source()`, so that
/// `{:#}` does not print it twice). The fields are public to read; the struct is
/// `#[non_exhaustive]`, built with [`WriteError::new`].
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {cause}")]
#[non_exhaustive]
pub struct WriteError {
    /// The file that could not be written.
    pub path: PathBuf,
    /// The underlying I/O error.
    pub cause: io::Error,
}

impl WriteError {
    /// The error `cause` met while writing `path`.
    pub fn new(path: impl Into<PathBuf>, cause: io::Error) -> Self {
        WriteError {
            path: path.into(),
            cause,
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Writes `path` atomically: `fill` writes into a temporary file in the same folder,
/// which is flushed, synced and renamed over `path` only if `fill` succeeds.
///
/// On any error the temporary file is removed and `path` is left untouched.
pub fn atomic_write<F>(path: &Path, fill: F) -> Result<(), WriteError>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    let wrap = |cause| WriteError {
        path: path.to_path_buf(),
        cause,
    };
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(wrap)?;
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w).map_err(wrap)?;
        w.flush().map_err(wrap)?;
    }
    // tempfile creates 0600 files; give outputs the usual 0644 (or keep an existing file's mode).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map(|m| m.permissions().mode() & 0o7777)
            .unwrap_or(0o644);
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode)).map_err(wrap)?;
    }
    tmp.as_file().sync_all().map_err(wrap)?;
    tmp.persist(path).map_err(|e| wrap(e.error))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`atomic_write`]).
pub fn atomic_write_bytes(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    atomic_write(path, |w| w.write_all(bytes))
}

/// Creates `dir` and its parents, naming the folder on failure.
pub fn create_dir_all(dir: &Path) -> Result<(), WriteError> {
    fs::create_dir_all(dir).map_err(|cause| WriteError {
        path: dir.to_path_buf(),
        cause,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        atomic_write_bytes(&p, b"one").unwrap();
        atomic_write_bytes(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_fill_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        atomic_write_bytes(&p, b"keep").unwrap();
        let r = atomic_write(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(r.is_err());
        assert_eq!(fs::read(&p).unwrap(), b"keep");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn outputs_are_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        atomic_write_bytes(&p, b"x").unwrap();
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o644
        );
    }

    #[test]
    fn missing_folder_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("no/such/dir/a.txt");
        let e = atomic_write_bytes(&p, b"x").unwrap_err();
        assert!(e.to_string().contains("a.txt"), "{e}");
    }
}
