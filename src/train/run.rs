//! The training loop.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Tensor, TensorData};
use ndarray::{Array2, Array4};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::checkpoint::{Checkpoint, EpochMetrics, RngState, RunPaths, TrainState};
use super::eval::{EvalReport, evaluate_features};
use super::{TrainConfig, TrainError};
use crate::data::pipeline::{self, clean_features};
use crate::data::{AudioStore, DatasetIndex, Item, Normalization, Split, Task};
use crate::features::MelFrontend;
use crate::io::atomic_write_bytes;
use crate::mix::{Mixer, RandomMix};
use crate::model::{KwsCnn, ModelConfig};

/// What training reports while it runs.
pub trait Progress {
    /// A line of information (warnings, set-up, per-epoch summaries).
    fn message(&mut self, line: &str);
    /// An epoch starts with `steps` optimizer steps.
    fn epoch_start(&mut self, _epoch: usize, _epochs: usize, _steps: usize) {}
    /// A step ended with this running loss, accuracy and throughput.
    fn step(&mut self, _step: usize, _loss: f64, _acc: f64, _samples_per_s: f64) {}
    /// The epoch ended.
    fn epoch_end(&mut self, _m: &EpochMetrics) {}
}

/// A progress sink that ignores everything (for tests and library use).
impl Progress for () {
    fn message(&mut self, _line: &str) {}
}

/// The outcome of [`train`].
#[derive(Debug, Clone)]
pub struct TrainSummary {
    /// Metrics of every epoch.
    pub history: Vec<EpochMetrics>,
    /// Best validation accuracy and its epoch.
    pub best_valid_acc: f64,
    /// The epoch (1-based) of the best checkpoint.
    pub best_epoch: usize,
    /// The test split evaluated with the best checkpoint.
    pub test: EvalReport,
    /// Wall time in seconds (this process only, when resumed).
    pub seconds: f64,
}

/// The data of a prepared run: index, task, items per split, decoded audio, front end.
struct Prepared {
    task: Task,
    train: Vec<Item>,
    valid: Vec<Item>,
    test: Vec<Item>,
    store: AudioStore,
    frontend: MelFrontend,
}

fn prepare(
    cfg: &TrainConfig,
    progress: &mut dyn Progress,
) -> Result<(DatasetIndex, Prepared), TrainError> {
    let index = DatasetIndex::open(&cfg.data)?;
    for w in &index.warnings {
        progress.message(&format!("warning: {w}"));
    }
    let task = Task::resolve(&cfg.task, &index)?;
    let train = task.items(&index, Split::Train, cfg.seed)?;
    let valid = task.items(&index, Split::Valid, cfg.seed)?;
    let test = task.items(&index, Split::Test, cfg.seed)?;
    let split_warnings = task.check_splits(
        &index,
        &[
            (Split::Train, &train[..]),
            (Split::Valid, &valid[..]),
            (Split::Test, &test[..]),
        ],
    )?;
    for w in &split_warnings {
        progress.message(&format!("warning: {w}"));
    }
    let t0 = Instant::now();
    let store = AudioStore::load(&index, &[&train, &valid, &test], cfg.clip_samples)?;
    progress.message(&format!(
        "data: {} ({} classes; train {}, valid {}, test {} samples; decoded in {:.1} s)",
        index.root.display(),
        task.n_classes(),
        train.len(),
        valid.len(),
        test.len(),
        t0.elapsed().as_secs_f64()
    ));
    let frontend = MelFrontend::new(&cfg.mel)?;
    Ok((
        index,
        Prepared {
            task,
            train,
            valid,
            test,
            store,
            frontend,
        },
    ))
}

/// Holds the run folder's lock for the lifetime of the value.
struct RunLock {
    _file: File,
}

fn lock_run(paths: &RunPaths) -> Result<RunLock, TrainError> {
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

/// Converts an ndarray batch to a burn tensor on `device`.
pub(crate) fn tensor4(x: Array4<f32>, device: &Device) -> Tensor<4> {
    let shape = x.shape().to_vec();
    let data = x.into_raw_vec_and_offset().0;
    Tensor::from_data(
        TensorData::new(data, [shape[0], shape[1], shape[2], shape[3]]),
        device,
    )
}

/// Converts a `[B, K]` array to a burn tensor on `device`.
pub(crate) fn tensor2(x: Array2<f32>, device: &Device) -> Tensor<2> {
    let (a, b) = x.dim();
    let data = x.into_raw_vec_and_offset().0;
    Tensor::from_data(TensorData::new(data, [a, b]), device)
}

/// Soft-target cross-entropy: `−Σ t · log_softmax(z)`, mean over the batch.
pub(crate) fn soft_cross_entropy(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    (targets * log_softmax(logits, 1)).sum_dim(1).mean().neg()
}

/// The random streams of one epoch. Data order, augmentation and mixing draw from separate
/// streams, so runs that differ only in their mixing see the same data in the same order.
fn epoch_rng(seed: u64, epoch: usize, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(epoch as u64 * 4 + stream + 1);
    r
}

fn write_metrics_csv(path: &Path, history: &[EpochMetrics]) -> Result<(), TrainError> {
    let mut s = String::from(
        "epoch,train_loss,train_acc,valid_loss,valid_acc,lr,samples_per_s,data_wait_share,seconds\n",
    );
    for m in history {
        s.push_str(&format!(
            "{},{:.6},{:.6},{:.6},{:.6},{:.6e},{:.1},{:.4},{:.2}\n",
            m.epoch,
            m.train_loss,
            m.train_acc,
            m.valid_loss,
            m.valid_acc,
            m.lr,
            m.samples_per_s,
            m.data_wait_share,
            m.seconds
        ));
    }
    atomic_write_bytes(path, s.as_bytes())?;
    Ok(())
}

/// A trained run loaded for inference: config, classes, the front end and the network.
pub struct LoadedRun {
    /// The run's resolved configuration.
    pub config: TrainConfig,
    /// The network (evaluation mode).
    pub model: KwsCnn,
    /// The device the network lives on.
    pub device: Device,
    /// The log-mel front end of the run.
    pub frontend: MelFrontend,
    /// The feature normalisation of the run.
    pub norm: Normalization,
}

impl LoadedRun {
    /// Loads `config.json` and `best.ckpt` (or `last.ckpt` if `last`) from a run folder.
    pub fn open(dir: &Path, last: bool) -> Result<LoadedRun, TrainError> {
        let paths = RunPaths::new(dir);
        let config = read_config(&paths)?;
        let (model_cfg, norm, frontend) = check_run_config(&config, &paths.config())?;
        let device = config.backend.device().map_err(TrainError::Config)?;
        let ck_path = if last { paths.last() } else { paths.best() };
        let ck = Checkpoint::load(&ck_path)?;
        let model = load_model(&model_cfg, &ck.model, &device, &ck_path)?;
        Ok(LoadedRun {
            config,
            model,
            device,
            frontend,
            norm,
        })
    }

    /// Class names in label order.
    pub fn classes(&self) -> &[String] {
        &self.config.classes
    }

    /// Class probabilities for normalised feature maps `[B, 1, mels, frames]`.
    pub fn probabilities(&self, x: Array4<f32>) -> Array2<f32> {
        let b = x.shape()[0];
        let logits = self.model.forward(tensor4(x, &self.device));
        let p = burn::tensor::activation::softmax(logits, 1);
        let k = self.config.classes.len();
        let v: Vec<f32> = p
            .into_data()
            .try_to_vec::<f32>()
            .unwrap_or_else(|_| vec![0.0; b * k]);
        Array2::from_shape_vec((b, k), v).unwrap_or_else(|_| Array2::zeros((b, k)))
    }
}

fn read_config(paths: &RunPaths) -> Result<TrainConfig, TrainError> {
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
/// loaded: a valid model, as many classes as the model has outputs, the front end's mel bands
/// and frames equal to the model's input, a usable normalisation. `path` is the config file.
fn check_run_config(
    config: &TrainConfig,
    path: &Path,
) -> Result<(ModelConfig, Normalization, MelFrontend), TrainError> {
    let bad = |problem: String| TrainError::RunDir {
        path: path.to_path_buf(),
        problem,
    };
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

/// Runs `f`, turning a panic into an error message, with the panic hook silenced meanwhile so
/// that no `panicked at` line reaches the user.
///
/// Used only around burn's decoding of checkpoint bytes: burn 0.22 checks the record's
/// structure and shapes and returns errors for them, but its burnpack parser and tensor
/// construction are third-party code reading untrusted bytes, and a `.ckpt` file from
/// elsewhere must give an error naming the file, never a crash.
fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
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
) -> Result<KwsCnn, TrainError> {
    cfg.validate().map_err(TrainError::Config)?;
    let bad = |problem: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        problem,
    };
    let loaded = catch_panic(|| {
        let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(
            bytes.to_vec(),
        ))
        .map_err(|e| bad(format!("corrupt model section: {e}")))?;
        cfg.init(device)
            .try_load_record(record)
            .map_err(|e| bad(format!("weights do not fit the model in config.json: {e}")))
    });
    loaded.unwrap_or_else(|panic| Err(bad(format!("corrupt model section ({panic})"))))
}

/// Trains a keyword spotter into `out`, or continues the run in `out` when `resume` is set.
///
/// A new run refuses a folder that already holds a run. The best checkpoint (by validation
/// accuracy) and the last one are kept; at the end the test split is evaluated with the best.
pub fn train(
    cfg: &TrainConfig,
    out: &Path,
    resume: bool,
    progress: &mut dyn Progress,
) -> Result<TrainSummary, TrainError> {
    let t_start = Instant::now();
    let paths = RunPaths::new(out);
    let (mut cfg, start_ck) = if resume {
        let cfg = read_config(&paths)?;
        let ck = if paths.last().exists() {
            Some(Checkpoint::load(&paths.last())?)
        } else {
            None
        };
        (cfg, ck)
    } else {
        if paths.config().exists() || paths.last().exists() {
            return Err(TrainError::RunDir {
                path: out.to_path_buf(),
                problem:
                    "already holds a run; pass --resume to continue it or choose another --out"
                        .into(),
            });
        }
        (cfg.clone(), None)
    };
    cfg.validate().map_err(TrainError::Config)?;
    let mixer: RandomMix = cfg.mix.parse()?;
    crate::io::create_dir_all(out)?;
    let _lock = lock_run(&paths)?;

    let (_index, data) = prepare(&cfg, progress)?;
    let n_classes = data.task.n_classes();
    let n_frames = data.frontend.n_frames(cfg.clip_samples);
    let n_mels = cfg.mel.n_mels;

    // Resolve what the data decides and save the configuration before the first step.
    if resume {
        if cfg.classes != data.task.classes {
            return Err(TrainError::RunDir {
                path: paths.config(),
                problem: format!(
                    "the data now gives classes {:?}, the run was started with {:?}",
                    data.task.classes, cfg.classes
                ),
            });
        }
    } else {
        cfg.classes = data.task.classes.clone();
        cfg.model = Some(ModelConfig::new(n_classes, n_mels, n_frames));
        let train_clean = clean_features(
            &data.store,
            &data.train,
            &data.frontend,
            &cfg.augment,
            None,
            cfg.seed,
        );
        cfg.normalization = Some(Normalization::fit(&train_clean));
        let json =
            serde_json::to_vec_pretty(&cfg).map_err(|e| TrainError::Config(e.to_string()))?;
        atomic_write_bytes(&paths.config(), &json)?;
    }
    let (model_cfg, norm, _) = check_run_config(&cfg, &paths.config())?;

    let base_device = cfg.backend.device().map_err(TrainError::Config)?;
    let device = base_device.clone().autodiff();
    device.seed(cfg.seed);
    let mut model = model_cfg.init(&device);
    let mut optim = AdamWConfig::new()
        .with_weight_decay(cfg.weight_decay)
        .init();
    let mut state = TrainState {
        epoch: 0,
        step: 0,
        best_valid_acc: -1.0,
        best_epoch: 0,
        history: Vec::new(),
        rng: RngState {
            seed: cfg.seed,
            next_epoch: 0,
        },
    };
    if let Some(ck) = start_ck {
        model = load_model(&model_cfg, &ck.model, &device, &paths.last())?;
        optim = optim
            .from_bytes(burn::tensor::Bytes::from_bytes_vec(ck.optim.clone()))
            .map_err(|e| TrainError::Checkpoint {
                path: paths.last(),
                problem: format!("corrupt optimizer section: {e}"),
            })?;
        state = ck.state;
        progress.message(&format!(
            "resuming {} after epoch {}",
            out.display(),
            state.epoch
        ));
    }
    if state.epoch >= cfg.epochs {
        progress.message(&format!(
            "{} already finished {} epochs",
            out.display(),
            state.epoch
        ));
    }

    let valid_feats = clean_features(
        &data.store,
        &data.valid,
        &data.frontend,
        &cfg.augment,
        Some(&norm),
        cfg.seed ^ 0xfeed,
    );
    let n_train = data.train.len();
    let bs = cfg.batch_size.min(n_train);
    // Drop a last batch of a single sample (batch norm needs two).
    let steps_per_epoch = if n_train % bs == 1 {
        n_train / bs
    } else {
        n_train.div_ceil(bs)
    };
    let total_steps = steps_per_epoch * cfg.epochs;

    for epoch in state.epoch..cfg.epochs {
        let t_epoch = Instant::now();
        device.seed(cfg.seed.wrapping_add(epoch as u64 + 1));
        progress.epoch_start(epoch + 1, cfg.epochs, steps_per_epoch);
        let (tx, rx) = mpsc::sync_channel::<Result<(pipeline::Batch, Array2<f32>), TrainError>>(3);
        let mut loss_sum = 0.0f64;
        let mut correct = 0usize;
        let mut seen = 0usize;
        let mut wait = Duration::ZERO;
        let t_train = Instant::now();
        std::thread::scope(|scope| -> Result<(), TrainError> {
            let data = &data;
            let cfg = &cfg;
            let mixer = &mixer;
            scope.spawn(move || {
                let mut order_rng = epoch_rng(cfg.seed, epoch, 0);
                let mut rng = epoch_rng(cfg.seed, epoch, 1);
                let mut mix_rng = epoch_rng(cfg.seed, epoch, 2);
                let mut order: Vec<usize> = (0..n_train).collect();
                order.shuffle(&mut order_rng);
                for s in 0..steps_per_epoch {
                    let idx = &order[s * bs..((s + 1) * bs).min(n_train)];
                    let items: Vec<Item> = idx.iter().map(|&i| data.train[i]).collect();
                    let b = pipeline::train_batch(
                        &data.store,
                        &items,
                        &data.frontend,
                        &cfg.augment,
                        &norm,
                        n_classes,
                        &mut rng,
                    );
                    let msg = mixer
                        .mix(b.x.view(), b.y.view(), &mut mix_rng)
                        .map(|m| {
                            (
                                pipeline::Batch {
                                    x: m.x,
                                    y: b.y,
                                    labels: b.labels,
                                },
                                m.y,
                            )
                        })
                        .map_err(TrainError::from);
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
            });
            for s in 0..steps_per_epoch {
                let t_wait = Instant::now();
                let msg = rx
                    .recv()
                    .map_err(|_| TrainError::Config("data pipeline stopped".into()))?;
                wait += t_wait.elapsed();
                let (batch, targets) = msg?;
                let b = batch.labels.len();
                let lr = cfg.lr_at(state.step, steps_per_epoch, total_steps);
                let x = tensor4(batch.x, &device);
                let t = tensor2(targets, &device);
                let logits = model.forward(x);
                let pred: Vec<i64> = logits
                    .clone()
                    .detach()
                    .argmax(1)
                    .into_data()
                    .convert::<i64>()
                    .try_to_vec::<i64>()
                    .unwrap_or_default();
                let loss = soft_cross_entropy(logits, t);
                let loss_v = loss.clone().detach().into_scalar::<f32>() as f64;
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(lr, model.clone(), grads);
                state.step += 1;
                loss_sum += loss_v * b as f64;
                correct += pred
                    .iter()
                    .zip(&batch.labels)
                    .filter(|(p, l)| **p as usize == **l)
                    .count();
                seen += b;
                progress.step(
                    s + 1,
                    loss_sum / seen as f64,
                    correct as f64 / seen as f64,
                    seen as f64 / t_train.elapsed().as_secs_f64(),
                );
            }
            Ok(())
        })?;
        let train_secs = t_train.elapsed().as_secs_f64();
        let train_loss = loss_sum / seen.max(1) as f64;
        if !train_loss.is_finite() {
            return Err(TrainError::Diverged {
                epoch: epoch + 1,
                loss: train_loss,
            });
        }
        let valid_model = model.valid();
        let v = evaluate_features(
            &valid_model,
            &base_device,
            &valid_feats,
            &data.valid,
            n_classes,
            cfg.eval_batch_size,
        );
        state.epoch = epoch + 1;
        state.rng.next_epoch = epoch + 1;
        let m = EpochMetrics {
            epoch: epoch + 1,
            train_loss,
            train_acc: correct as f64 / seen.max(1) as f64,
            valid_loss: v.loss,
            valid_acc: v.accuracy,
            lr: cfg.lr_at(state.step.saturating_sub(1), steps_per_epoch, total_steps),
            samples_per_s: seen as f64 / train_secs,
            data_wait_share: wait.as_secs_f64() / train_secs,
            seconds: t_epoch.elapsed().as_secs_f64(),
        };
        state.history.push(m.clone());
        let improved = m.valid_acc > state.best_valid_acc;
        if improved {
            state.best_valid_acc = m.valid_acc;
            state.best_epoch = m.epoch;
        }
        let ck = Checkpoint {
            state: state.clone(),
            model: model_bytes(&model, &paths.last())?,
            optim: optim
                .into_bytes()
                .map_err(|e| TrainError::Checkpoint {
                    path: paths.last(),
                    problem: format!("cannot serialise optimizer: {e}"),
                })?
                .to_vec(),
        };
        if improved {
            ck.save(&paths.best())?;
        }
        ck.save(&paths.last())?;
        write_metrics_csv(&paths.metrics(), &state.history)?;
        progress.epoch_end(&m);
    }

    // Test with the best checkpoint.
    let best = LoadedRun::open(out, false)?;
    let test_feats = clean_features(
        &data.store,
        &data.test,
        &data.frontend,
        &cfg.augment,
        Some(&norm),
        cfg.seed ^ 0x7e57,
    );
    let test = evaluate_features(
        &best.model,
        &best.device,
        &test_feats,
        &data.test,
        n_classes,
        cfg.eval_batch_size,
    );
    let test = EvalReport::new(&cfg.classes, "test", test);
    let summary = TrainSummary {
        history: state.history.clone(),
        best_valid_acc: state.best_valid_acc,
        best_epoch: state.best_epoch,
        test,
        seconds: t_start.elapsed().as_secs_f64(),
    };
    write_report(&paths, &cfg, &summary)?;
    summary.test.save(&paths.eval("test"))?;
    Ok(summary)
}

fn model_bytes(model: &KwsCnn, path: &Path) -> Result<Vec<u8>, TrainError> {
    model
        .clone()
        .into_record()
        .into_bytes()
        .map(|b| b.to_vec())
        .map_err(|e| TrainError::Checkpoint {
            path: path.to_path_buf(),
            problem: format!("cannot serialise model: {e}"),
        })
}

fn write_report(paths: &RunPaths, cfg: &TrainConfig, s: &TrainSummary) -> Result<(), TrainError> {
    let mut r = String::new();
    r.push_str("# randommix training run\n\n");
    r.push_str(&format!("- data: `{}`\n", cfg.data.display()));
    r.push_str(&format!(
        "- classes ({}): {}\n",
        cfg.classes.len(),
        cfg.classes.join(" ")
    ));
    r.push_str(&format!("- mix: `{}`\n", cfg.mix));
    r.push_str(&format!(
        "- epochs: {}, batch {}, lr {}, seed {}\n",
        cfg.epochs, cfg.batch_size, cfg.lr, cfg.seed
    ));
    r.push_str(&format!(
        "- best validation accuracy: {:.4} (epoch {})\n",
        s.best_valid_acc, s.best_epoch
    ));
    r.push_str(&format!(
        "- test accuracy (best checkpoint): {:.4}\n",
        s.test.accuracy
    ));
    if let Some(m) = s.history.last() {
        r.push_str(&format!(
            "- throughput (last epoch): {:.0} samples/s, data-pipeline wait {:.1} % of training time\n",
            m.samples_per_s,
            100.0 * m.data_wait_share
        ));
    }
    r.push_str(&format!(
        "- wall time of this process: {:.1} s\n\n",
        s.seconds
    ));
    r.push_str("## Test accuracy per class\n\n| class | accuracy | samples |\n|---|---|---|\n");
    for c in &s.test.per_class {
        r.push_str(&format!(
            "| {} | {:.4} | {} |\n",
            c.class, c.accuracy, c.samples
        ));
    }
    atomic_write_bytes(&paths.report(), r.as_bytes())?;
    Ok(())
}
