//! The data folders of a run: where its `config.json` points, found again from wherever the
//! run is opened, and the dataset index a run is trained or evaluated on.

use std::path::{Path, PathBuf};

use super::paths::absolute;
use crate::config::TrainConfig;
use crate::data::DatasetIndex;
use crate::data::index::same_folder;
use crate::error::TrainError;

/// The data folder of a run in `run_dir`. Runs record it as an absolute path; a relative
/// one (runs saved before that) is taken from the working directory if it is a folder there,
/// else from the run folder's ancestors (`runs/x/` → `../../data`), else as written (and the
/// index then names it in its error).
pub fn data_root(config: &TrainConfig, run_dir: &Path) -> PathBuf {
    resolve_folder(&config.data, run_dir)
}

/// The further training folders of a run ([`TrainConfig::extra_data`]), each found as
/// [`data_root`] finds the main one.
pub fn extra_data_roots(config: &TrainConfig, run_dir: &Path) -> Vec<PathBuf> {
    config
        .extra_data
        .iter()
        .map(|d| resolve_folder(d, run_dir))
        .collect()
}

/// The index a run was trained on: its data folder with its further training folders (their
/// noise recordings take part in the silence samples, so evaluation on the run's own folder
/// opens them too).
pub fn run_index(config: &TrainConfig, run_dir: &Path) -> Result<DatasetIndex, TrainError> {
    Ok(DatasetIndex::open_many(
        &data_root(config, run_dir),
        &extra_data_roots(config, run_dir),
    )?)
}

/// The index to evaluate a run on: the run's own ([`run_index`]) when `data` is `None` or
/// names the run's own folder, else `data` alone. Returns the index and whether it is the
/// run's own.
pub fn eval_index(
    config: &TrainConfig,
    run_dir: &Path,
    data: Option<&Path>,
) -> Result<(DatasetIndex, bool), TrainError> {
    let own = data_root(config, run_dir);
    match data {
        Some(d) if !same_folder(d, &own) => Ok((DatasetIndex::open(d)?, false)),
        _ => Ok((run_index(config, run_dir)?, true)),
    }
}

fn resolve_folder(d: &Path, run_dir: &Path) -> PathBuf {
    if d.is_absolute() || d.is_dir() {
        return d.to_path_buf();
    }
    let abs_run = absolute(run_dir);
    abs_run
        .ancestors()
        .map(|a| a.join(d))
        .find(|c| c.is_dir())
        .unwrap_or_else(|| d.to_path_buf())
}
