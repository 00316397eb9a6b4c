//! `--data`: the data folders of `train` and `compare`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use randommix::train::TrainConfig;

/// The data folders of `train` and `compare`.
#[derive(Args, Debug)]
pub struct DataArgs {
    /// Speech Commands folder (v0.01/v0.02 layout); give it again for more folders. The first
    /// is the one the run is judged on (its validation split picks the checkpoint, its test
    /// split is the report's headline); each further one adds its training clips and its
    /// background noise to training. Default: the bundled real clips, plus the bundled
    /// synthetic set for training.
    #[arg(long = "data", value_name = "DIR", default_values = [randommix::config::DEFAULT_DATA, randommix::config::DEFAULT_EXTRA_DATA[0]])]
    pub folders: Vec<PathBuf>,
}

impl DataArgs {
    /// Sets the configuration's data folders, after checking that they exist.
    pub fn apply(&self, cfg: &mut TrainConfig) -> Result<()> {
        for d in &self.folders {
            if !d.exists() {
                bail!(
                    "{}: no such folder. The bundled data sets are `data/real` and \
                     `data/synthetic` in the randommix repository: run from the repository \
                     root, or pass --data PATH to a Speech Commands folder \
                     (word/<speaker>_nohash_<n>.wav, validation_list.txt, testing_list.txt)",
                    std::path::absolute(d)
                        .unwrap_or_else(|_| d.clone())
                        .display()
                );
            }
        }
        let (first, rest) = self
            .folders
            .split_first()
            .context("--data needs at least one folder")?;
        cfg.data = first.clone();
        cfg.extra_data = rest.to_vec();
        Ok(())
    }
}
