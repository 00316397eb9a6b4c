//! A trained run loaded from its folder: configuration, front end, normalisation and network.

use std::path::{Path, PathBuf};

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use ndarray::{Array2, Array4};

use crate::checkpoint::{Checkpoint, RunPaths};
use crate::config::TrainConfig;
use crate::data::{DatasetIndex, Normalization};
use crate::error::TrainError;
use crate::features::MelFrontend;
use crate::model::{KwsModel, ModelConfig};
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
        })
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

/// `p` as an absolute path (relative to the working directory; symbolic links kept).
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

pub use crate::data::index::same_folder;

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

std::thread_local! {
    /// Set while this thread decodes untrusted bytes under [`catch_panic`].
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Installs, once per process, a panic hook that stays silent for panics of a thread inside
/// [`catch_panic`] and hands every other panic to the hook that was there before. The hook is
/// never swapped back and forth, so panics of other threads are reported as usual.
fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f`, turning a panic into an error message; a panic of this thread meanwhile prints
/// nothing, so that no `panicked at` line reaches the user.
///
/// Used only around burn's decoding of checkpoint bytes: burn 0.22 checks the record's
/// structure and shapes and returns errors for them, but its burnpack parser and tensor
/// construction are third-party code reading untrusted bytes, and a `.ckpt` file from
/// elsewhere must give an error naming the file, never a crash.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_hook();
    let was = QUIET_PANICS.with(|q| q.replace(true));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(was));
    r.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into())
    })
}

/// Builds the network of `cfg` on `device` with the weights in `bytes` (a checkpoint's model
/// section read from `path`), turning every failure, panics included, into an error naming `path`.
pub(crate) fn load_model(
    cfg: &ModelConfig,
    bytes: &[u8],
    device: &Device,
    path: &Path,
) -> Result<KwsModel, TrainError> {
    let bad = |problem: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        problem,
    };
    cfg.validate().map_err(|e| {
        bad(format!(
            "the model settings it is loaded into are not valid: {e}"
        ))
    })?;
    let loaded = catch_panic(|| {
        let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(
            bytes.to_vec(),
        ))
        .map_err(|e| bad(format!("corrupt model section: {e}")))?;
        cfg.init(device)
            .try_load_record(record)
            .map_err(|e| bad(format!("weights do not fit the model in config.json: {e}")))
    });
    let model =
        loaded.unwrap_or_else(|panic| Err(bad(format!("corrupt model section ({panic})"))))?;
    check_finite_weights(&model, path)?;
    Ok(model)
}

/// Checks every parameter and batch-norm statistic of `model` (loaded from `path`) for NaN
/// and infinite values: [`TrainError::NonFiniteWeights`] naming `path` when there are any.
pub(crate) fn check_finite_weights(model: &KwsModel, path: &Path) -> Result<(), TrainError> {
    #[derive(Default)]
    struct Finder {
        path: Vec<String>,
        first: Option<String>,
        count: usize,
    }
    impl burn::module::ModuleVisitor for Finder {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            let data = param.val().into_data();
            let bad = data.iter::<f32>().filter(|v| !v.is_finite()).count();
            if bad > 0 {
                self.count += bad;
                self.first.get_or_insert_with(|| self.path.join("."));
            }
        }
    }
    let mut f = Finder::default();
    model.visit(&mut f);
    match f.first {
        None => Ok(()),
        Some(parameter) => Err(TrainError::NonFiniteWeights {
            path: path.to_path_buf(),
            parameter,
            count: f.count,
        }),
    }
}
