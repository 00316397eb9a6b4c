//! A run's `config.json`: reading it and checking that its parts agree before weights are
//! loaded into it.

use std::path::Path;

use super::paths::RunPaths;
use crate::config::TrainConfig;
use crate::data::Normalization;
use crate::error::TrainError;
use crate::features::MelFrontend;
use crate::model::ModelConfig;

pub(crate) fn read_config(paths: &RunPaths) -> Result<TrainConfig, TrainError> {
    let p = paths.config();
    let text = std::fs::read_to_string(&p).map_err(|source| TrainError::Io {
        path: p.clone(),
        cause: source,
    })?;
    serde_json::from_str(&text).map_err(|e| TrainError::RunDir {
        path: p,
        problem: format!("not a valid run configuration: {e}"),
    })
}

/// Checks that the parts of a run's `config.json` agree with each other before a checkpoint is
/// loaded: every setting within the limits a new run has ([`TrainConfig::validate`]), a valid
/// model, as many classes as the model has outputs, the front end's mel bands
/// and frames equal to the model's input, a usable normalisation. `path` is the config file.
pub(crate) fn check_run_config(
    config: &TrainConfig,
    path: &Path,
) -> Result<(ModelConfig, Normalization, MelFrontend), TrainError> {
    let bad = |problem: String| TrainError::RunDir {
        path: path.to_path_buf(),
        problem,
    };
    // A loaded run is held to the same limits as a new one (an `eval_batch_size` of 0 would
    // evaluate nothing and report it as a result).
    config
        .validate()
        .map_err(|e| bad(format!("is not a valid run configuration: {e}")))?;
    let model = config
        .model
        .clone()
        .ok_or_else(|| bad("has no model section (the run never started)".into()))?;
    model.validate().map_err(|e| bad(format!("model: {e}")))?;
    let norm = config
        .normalization
        .ok_or_else(|| bad("has no normalisation (the run never started)".into()))?;
    if !(norm.mean.is_finite() && norm.std.is_finite() && norm.std > 0.0) {
        return Err(bad(format!(
            "normalisation mean {} / std {} is unusable (the std must be finite and positive)",
            norm.mean, norm.std
        )));
    }
    if config.classes.len() != model.n_classes {
        return Err(bad(format!(
            "lists {} classes but its model has {} outputs",
            config.classes.len(),
            model.n_classes
        )));
    }
    let frontend = MelFrontend::new(&config.mel).map_err(|e| bad(e.to_string()))?;
    if config.mel.n_mels != model.n_mels {
        return Err(bad(format!(
            "the front end gives n_mels = {} mel bands but the model was trained on {}",
            config.mel.n_mels, model.n_mels
        )));
    }
    let frames = frontend.n_frames(config.clip_samples);
    if frames != model.n_frames {
        return Err(bad(format!(
            "clips of {} samples give {frames} frames but the model was trained on {}",
            config.clip_samples, model.n_frames
        )));
    }
    Ok((model, norm, frontend))
}
