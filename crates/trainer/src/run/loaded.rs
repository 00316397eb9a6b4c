//! A trained run loaded from its folder: configuration, front end, normalisation and network.

use std::path::{Path, PathBuf};

use burn::tensor::Device;
use ndarray::{Array2, Array4};

use super::checkpoint::Checkpoint;
use super::config_file::{check_run_config, read_config};
use super::folders::eval_index;
use super::paths::RunPaths;
use super::weights::load_model;
use crate::config::TrainConfig;
use crate::data::{DatasetIndex, Normalization};
use crate::error::TrainError;
use crate::features::MelFrontend;
use crate::model::KwsModel;
use crate::tensor::tensor4;

/// A trained run loaded for inference: config, classes, the front end and the network.
pub struct LoadedRun {
    /// The run's resolved configuration.
    pub config: TrainConfig,
    /// The network (evaluation mode).
    pub model: KwsModel,
    /// The device the network lives on.
    pub device: Device,
    /// The log-mel front end of the run.
    pub frontend: MelFrontend,
    /// The feature normalisation of the run.
    pub norm: Normalization,
    /// The epoch the loaded checkpoint was saved after.
    pub checkpoint_epoch: usize,
    /// The checkpoint file the network was loaded from (named in errors).
    pub checkpoint: PathBuf,
    /// The run folder.
    pub dir: PathBuf,
}

impl LoadedRun {
    /// Loads `config.json` and `best.ckpt` (or `last.ckpt` if `last`) from a run folder.
    pub fn open(dir: &Path, last: bool) -> Result<LoadedRun, TrainError> {
        let paths = RunPaths::new(dir);
        let config = read_config(&paths)?;
        let (model_cfg, norm, frontend) = check_run_config(&config, &paths.config())?;
        let device = config.backend.device().map_err(|e| TrainError::RunDir {
            path: paths.config(),
            problem: format!("names a backend this build cannot use: {e}"),
        })?;
        let ck_path = if last { paths.last() } else { paths.best() };
        let ck = Checkpoint::load(&ck_path)?;
        let model = load_model(&model_cfg, &ck.model, &device, &ck_path)?;
        Ok(LoadedRun {
            config,
            model,
            device,
            frontend,
            norm,
            checkpoint_epoch: ck.state.epoch,
            checkpoint: ck_path,
            dir: dir.to_path_buf(),
        })
    }

    /// The run folder's file names.
    pub fn paths(&self) -> RunPaths {
        RunPaths::new(&self.dir)
    }

    /// The index to evaluate this run on ([`eval_index`]): its own folders when `data` is
    /// `None` or names its own folder, else `data` alone; with whether it is the run's own.
    pub fn index_for(&self, data: Option<&Path>) -> Result<(DatasetIndex, bool), TrainError> {
        eval_index(&self.config, &self.dir, data)
    }

    /// The loaded checkpoint's network built again on `device` (for example an autodiff device
    /// for gradients with respect to the input), with the same checks as [`LoadedRun::open`].
    pub fn model_on(&self, device: &Device) -> Result<KwsModel, TrainError> {
        let cfg = self
            .config
            .model
            .as_ref()
            .ok_or_else(|| TrainError::RunDir {
                path: self.paths().config(),
                problem: "has no model section (the run never started)".into(),
            })?;
        let ck = Checkpoint::load(&self.checkpoint)?;
        load_model(cfg, &ck.model, device, &self.checkpoint)
    }

    /// Class names in label order.
    pub fn classes(&self) -> &[String] {
        &self.config.classes
    }

    /// Class probabilities for normalised feature maps `[B, 1, mels, frames]`, checked to be
    /// finite: [`TrainError::NonFiniteOutput`] naming the checkpoint otherwise.
    pub fn probabilities(&self, x: Array4<f32>) -> Result<Array2<f32>, TrainError> {
        let b = x.shape()[0];
        let logits = self.model.forward(tensor4(x, &self.device));
        let p = burn::tensor::activation::softmax(logits, 1);
        let k = self.config.classes.len();
        crate::eval::finite_rows(p, b, k, &self.checkpoint_name())
    }

    /// The checkpoint file, as errors name it.
    pub fn checkpoint_name(&self) -> String {
        self.checkpoint.display().to_string()
    }
}
