//! Unpacking: into a temporary folder beside the target, renamed into place at the end, so
//! that the target is either absent or complete.

use std::path::Path;

use flate2::read::GzDecoder;

use crate::DownloadError;

/// Unpacks the `.tar.gz` at `archive` into the new folder `to` and returns the number of files.
/// Entries are written into a temporary folder in `to`'s parent, which is renamed to `to` once
/// every entry is out (and removed on any error); entries that would land outside the folder
/// (`..`, absolute paths) are refused. `to` must not exist.
pub fn unpack(archive: &Path, to: &Path) -> Result<usize, DownloadError> {
    if to.exists() {
        return Err(DownloadError::TargetExists {
            path: to.to_path_buf(),
        });
    }
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|cause| DownloadError::Io {
        path: parent.clone(),
        cause,
    })?;
    let name = to
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "speech_commands".into());
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}.unpacking-"))
        .tempdir_in(&parent)
        .map_err(|cause| DownloadError::Io {
            path: parent.clone(),
            cause,
        })?;
    let bad = |problem: String| DownloadError::Unpack {
        path: archive.to_path_buf(),
        problem,
    };
    let file = std::fs::File::open(archive).map_err(|cause| DownloadError::Io {
        path: archive.to_path_buf(),
        cause,
    })?;
    let mut tar = tar::Archive::new(GzDecoder::new(std::io::BufReader::new(file)));
    tar.set_preserve_permissions(false);
    tar.set_overwrite(false);
    let mut files = 0usize;
    for entry in tar.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let path = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            return Err(bad(format!(
                "{}: a {kind:?} entry; the archive must hold only files and folders",
                path.display()
            )));
        }
        let inside = entry.unpack_in(tmp.path()).map_err(|e| {
            // A full disk or an unwritable folder: name the entry and the cause.
            bad(format!("{}: {e}", path.display()))
        })?;
        if !inside {
            return Err(bad(format!(
                "{}: the entry would be written outside the target folder",
                path.display()
            )));
        }
        if kind.is_file() {
            files += 1;
        }
    }
    if to.exists() {
        return Err(DownloadError::TargetExists {
            path: to.to_path_buf(),
        });
    }
    let done = tmp.keep();
    std::fs::rename(&done, to).map_err(|cause| {
        let _ = std::fs::remove_dir_all(&done);
        DownloadError::Io {
            path: to.to_path_buf(),
            cause,
        }
    })?;
    Ok(files)
}
