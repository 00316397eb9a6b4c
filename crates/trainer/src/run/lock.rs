//! The run folder's lock: one training process per folder.

use std::fs::{File, OpenOptions};

use super::paths::RunPaths;
use crate::error::TrainError;

/// Holds the run folder's lock for the lifetime of the value.
pub(crate) struct RunLock {
    _file: File,
}

pub(crate) fn lock_run(paths: &RunPaths) -> Result<RunLock, TrainError> {
    let p = paths.lock();
    let f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&p)
        .map_err(|source| TrainError::Io {
            path: p.clone(),
            cause: source,
        })?;
    match f.try_lock() {
        Ok(()) => Ok(RunLock { _file: f }),
        Err(std::fs::TryLockError::WouldBlock) => Err(TrainError::RunDir {
            path: paths.dir.clone(),
            problem: "another training process is using this run folder".into(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(TrainError::Io {
            path: p,
            cause: source,
        }),
    }
}
