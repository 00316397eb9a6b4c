//! The training loop.

use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use ndarray::Array2;
use rand::SeedableRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;

use super::progress::Progress;
use super::report::{write_metrics_csv, write_report};
use super::summary::TrainSummary;
use crate::config::TrainConfig;
use crate::data::pipeline::{self, clean_features};
use crate::data::{AudioStore, DatasetIndex, Item, Normalization, Source, Split, Task};
use crate::error::TrainError;
use crate::eval::{EvalReport, EvalSource, evaluate_features};
use crate::features::MelFrontend;
use crate::io::atomic_write_bytes;
use crate::mix::{Mixer, RandomMix};
use crate::model::{Arch, KwsModel, ModelConfig};
use crate::run::{Checkpoint, EpochMetrics, RngState, RunPaths, TrainState, lock_run};
use crate::run::{LoadedRun, check_run_config, load_model, read_config};
use crate::tensor::{soft_cross_entropy, tensor2, tensor4};

/// The data of a prepared run: index, task, items per split, decoded audio, front end.
struct Prepared {
    task: Task,
    train: Vec<Item>,
    valid: Vec<Item>,
    test: Vec<Item>,
    indomain: Vec<Item>,
    store: AudioStore,
    frontend: MelFrontend,
}

fn prepare(
    cfg: &TrainConfig,
    progress: &mut dyn Progress,
) -> Result<(DatasetIndex, Prepared), TrainError> {
    let t_index = Instant::now();
    let index = DatasetIndex::open_many(&cfg.data, &cfg.extra_data)?;
    for w in &index.warnings {
        progress.message(&format!("warning: {w}"));
    }
    let task = Task::resolve(&cfg.task, &index)?;
    let train = extra_subset(
        task.items(&index, Split::Train, cfg.seed)?,
        &index,
        cfg.extra_share,
        cfg.seed,
    );
    let valid = task.items(&index, Split::Valid, cfg.seed)?;
    let test = task.items(&index, Split::Test, cfg.seed)?;
    let indomain = if index.entries.iter().any(|e| e.split == Split::Indomain) {
        task.items(&index, Split::Indomain, cfg.seed)?
    } else {
        Vec::new()
    };
    let split_warnings = task.check_splits(
        &index,
        &[
            (Split::Train, &train[..]),
            (Split::Valid, &valid[..]),
            (Split::Test, &test[..]),
        ],
    )?;
    let split_warnings: Vec<String> = if indomain.is_empty() {
        split_warnings
    } else {
        let more = task.check_splits(&index, &[(Split::Indomain, &indomain[..])])?;
        split_warnings.into_iter().chain(more).collect()
    };
    for w in &split_warnings {
        progress.message(&format!("warning: {w}"));
    }
    let index_secs = t_index.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let store = AudioStore::load(
        &index,
        &[&train, &valid, &test, &indomain],
        cfg.clip_samples,
    )?;
    let indomain_note = if indomain.is_empty() {
        String::new()
    } else {
        format!(", in-domain test {}", indomain.len())
    };
    let extra: String = index
        .extra_roots
        .iter()
        .map(|r| format!(" + {} (training clips)", r.display()))
        .collect();
    let kept = if store.is_resident() {
        "decoded"
    } else {
        "checked (read from disk as needed: too many to hold)"
    };
    progress.message(&format!(
        "data: {}{extra} ({} classes; train {}, valid {}, test {}{indomain_note} samples; indexed in {index_secs:.1} s, {kept} in {:.1} s)",
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
            indomain,
            store,
            frontend,
        },
    ))
}

/// `train` with only a `share` of the further folders' clips, drawn once from `seed`; the
/// first folder's clips and the silence samples all stay, in their order.
fn extra_subset(train: Vec<Item>, index: &DatasetIndex, share: f64, seed: u64) -> Vec<Item> {
    if share >= 1.0 {
        return train;
    }
    let is_extra = |it: &Item| matches!(it.source, Source::Clip(i) if index.entries[i].root > 0);
    let extra: Vec<usize> = (0..train.len()).filter(|&k| is_extra(&train[k])).collect();
    let keep_n = (extra.len() as f64 * share).round() as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x6578_7472_6173_6872);
    let mut keep = vec![true; train.len()];
    for &k in &extra {
        keep[k] = false;
    }
    for &k in extra.choose_multiple(&mut rng, keep_n) {
        keep[k] = true;
    }
    train
        .into_iter()
        .zip(keep)
        .filter_map(|(it, kept)| kept.then_some(it))
        .collect()
}

/// The random streams of one epoch. Data order, augmentation and mixing draw from separate
/// streams, so runs that differ only in their mixing see the same data in the same order.
pub fn epoch_rng(seed: u64, epoch: usize, stream: u64) -> ChaCha8Rng {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    r.set_stream(epoch as u64 * 4 + stream + 1);
    r
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
    let (mut cfg, start_ck) = open_config(cfg, out, resume, &paths)?;
    let mixer: RandomMix = cfg.mix.parse()?;
    crate::io::create_dir_all(out)?;
    let _lock = lock_run(&paths)?;

    let (_index, data) = prepare(&cfg, progress)?;
    let n_classes = data.task.n_classes();

    settle_config(&mut cfg, &data, resume, &paths)?;
    let (model_cfg, norm, _) = check_run_config(&cfg, &paths.config())?;
    let mixer = mixer_for_standardised(&mixer, &norm)?;

    let base_device = cfg
        .backend
        .device()
        .map_err(|problem| TrainError::Setting {
            setting: "--backend".into(),
            problem,
        })?;
    let device = base_device.clone().autodiff();
    device.seed(cfg.seed);
    let mut model = model_cfg.init(&device);
    progress.message(&format!(
        "model: {}{}, {} parameters",
        model_cfg.arch,
        if model_cfg.arch == Arch::BcResNet {
            format!("-{}", model_cfg.width)
        } else {
            String::new()
        },
        model.num_params()
    ));
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
        crate::data::seeds::eval_seed(cfg.seed, Split::Valid),
    )?;
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
            // The last `mix_off_share` of the epochs train on unmixed batches.
            let mixing = epoch + cfg.mix_off_epochs() < cfg.epochs;
            scope.spawn(move || {
                let mut order_rng = epoch_rng(cfg.seed, epoch, 0);
                let mut rng = epoch_rng(cfg.seed, epoch, 1);
                let mut mix_rng = epoch_rng(cfg.seed, epoch, 2);
                let mut order: Vec<usize> = (0..n_train).collect();
                order.shuffle(&mut order_rng);
                for s in 0..steps_per_epoch {
                    let idx = &order[s * bs..((s + 1) * bs).min(n_train)];
                    let items: Vec<Item> = idx.iter().map(|&i| data.train[i]).collect();
                    let b = match pipeline::train_batch(
                        &data.store,
                        &items,
                        &data.frontend,
                        &cfg.augment,
                        &norm,
                        n_classes,
                        &mut rng,
                    ) {
                        Ok(b) => b,
                        Err(e) => {
                            let _ = tx.send(Err(e.into()));
                            return;
                        }
                    };
                    let msg = if mixing {
                        mixer
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
                            .map_err(TrainError::from)
                    } else {
                        let y = b.y.clone();
                        Ok((b, y))
                    };
                    let msg = msg.map(|(b, mut t)| {
                        smooth_labels(&mut t, cfg.label_smoothing);
                        (b, t)
                    });
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
            });
            for s in 0..steps_per_epoch {
                let t_wait = Instant::now();
                let msg = rx.recv().map_err(|_| TrainError::PipelineStopped {
                    made: s,
                    steps: steps_per_epoch,
                })?;
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
            &format!("{} (the model after epoch {})", out.display(), epoch + 1),
        )?;
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
    let test = score_split(&best, &cfg, &data, &data.test, Split::Test)?;
    let indomain = if data.indomain.is_empty() {
        None
    } else {
        Some(score_split(
            &best,
            &cfg,
            &data,
            &data.indomain,
            Split::Indomain,
        )?)
    };
    summary_test_files(&paths, &test, indomain.as_ref())?;
    let secondary = evaluate_extra_folders(&cfg, out, progress)?;
    let summary = TrainSummary {
        history: state.history.clone(),
        best_valid_acc: state.best_valid_acc,
        best_epoch: state.best_epoch,
        test,
        indomain,
        secondary,
        seconds: t_start.elapsed().as_secs_f64(),
    };
    write_report(&paths, &cfg, &summary)?;
    Ok(summary)
}

/// The configuration a run trains with and the checkpoint it continues from: a resumed run's
/// own `config.json` (its data folders found again) and `last.ckpt`; a new run's `cfg` with its
/// data folders made absolute, after checking that `out` holds no run and none of the user's
/// files. Either way the configuration is validated.
fn open_config(
    cfg: &TrainConfig,
    out: &Path,
    resume: bool,
    paths: &RunPaths,
) -> Result<(TrainConfig, Option<Checkpoint>), TrainError> {
    let (cfg, start_ck) = if resume {
        let mut cfg = read_config(paths)?;
        cfg.data = crate::run::data_root(&cfg, out);
        cfg.extra_data = crate::run::extra_data_roots(&cfg, out);
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
        check_new_run_folder(paths)?;
        // The data folder is recorded as an absolute path, so that the run can be evaluated
        // from any working directory.
        let mut cfg = cfg.clone();
        for d in std::iter::once(&mut cfg.data).chain(&mut cfg.extra_data) {
            if d.is_dir() {
                *d = crate::run::absolute(d);
            }
        }
        (cfg, None)
    };
    cfg.validate().map_err(|e| {
        if resume {
            TrainError::RunDir {
                path: paths.config(),
                problem: format!("is not a valid run configuration: {e}"),
            }
        } else {
            TrainError::Setting {
                setting: "train".into(),
                problem: e.to_string(),
            }
        }
    })?;
    Ok((cfg, start_ck))
}

/// Resolves what the data decides and saves the configuration before the first step: a new
/// run's classes, model and normalisation (fitted on the clean training features), written to
/// `config.json`; a resumed run is checked to give the classes it started with.
fn settle_config(
    cfg: &mut TrainConfig,
    data: &Prepared,
    resume: bool,
    paths: &RunPaths,
) -> Result<(), TrainError> {
    let n_classes = data.task.n_classes();
    let n_frames = data.frontend.n_frames(cfg.clip_samples);
    let n_mels = cfg.mel.n_mels;
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
        cfg.model = Some(match cfg.arch {
            Arch::Cnn => {
                let mut m = ModelConfig::new(n_classes, n_mels, n_frames);
                if let Some(c) = &cfg.channels {
                    m.channels = c.clone();
                }
                m
            }
            Arch::BcResNet => ModelConfig::bcresnet(n_classes, n_mels, n_frames, cfg.width),
        });
        cfg.normalization = Some(Normalization::fit_items(
            &data.store,
            &data.train,
            &data.frontend,
            &cfg.augment,
            cfg.seed,
        )?);
        let json = serde_json::to_vec_pretty(&cfg).map_err(|cause| TrainError::Json {
            path: paths.config(),
            cause,
        })?;
        atomic_write_bytes(&paths.config(), &json)?;
    }
    Ok(())
}

/// The report of the best checkpoint `best` on `items` of `split`, with the features and the
/// silence noise seeded as in evaluation.
fn score_split(
    best: &LoadedRun,
    cfg: &TrainConfig,
    data: &Prepared,
    items: &[Item],
    split: Split,
) -> Result<EvalReport, TrainError> {
    let feats = clean_features(
        &data.store,
        items,
        &data.frontend,
        &cfg.augment,
        Some(&best.norm),
        crate::data::seeds::eval_seed(cfg.seed, split),
    )?;
    let counts = evaluate_features(
        &best.model,
        &best.device,
        &feats,
        items,
        data.task.n_classes(),
        cfg.eval_batch_size,
        &best.checkpoint_name(),
    )?;
    let source = EvalSource::now(
        &cfg.data,
        &cfg.task,
        &best.paths().best(),
        best.checkpoint_epoch,
    );
    Ok(EvalReport::new(&cfg.classes, split.name(), counts).with_source(source))
}

/// A new run's folder must not exist yet, be empty, or hold only the `train.lock` an earlier
/// start left before it wrote `config.json`: a folder of the user's own files is refused, so
/// that training never replaces a file it did not create.
fn check_new_run_folder(paths: &RunPaths) -> Result<(), TrainError> {
    let io = |cause: std::io::Error| TrainError::Io {
        path: paths.dir.clone(),
        cause,
    };
    let entries = match std::fs::read_dir(&paths.dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io(e)),
    };
    let lock = paths.lock();
    let mut foreign = Vec::new();
    for e in entries {
        let p = e.map_err(io)?.path();
        if p != lock {
            foreign.push(p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ));
        }
    }
    if foreign.is_empty() {
        return Ok(());
    }
    foreign.sort();
    let shown = if foreign.len() > 5 {
        format!("{}, … ({} entries)", foreign[..5].join(", "), foreign.len())
    } else {
        foreign.join(", ")
    };
    Err(TrainError::RunDir {
        path: paths.dir.clone(),
        problem: format!(
            "is not empty and is not a randommix run (it holds {shown}); a new run needs a new or \
             empty folder, so that none of these files is replaced: choose another --out"
        ),
    })
}

fn summary_test_files(
    paths: &RunPaths,
    test: &EvalReport,
    indomain: Option<&EvalReport>,
) -> Result<(), TrainError> {
    test.save(&paths.eval("test"))?;
    if let Some(r) = indomain {
        r.save(&paths.eval("indomain"))?;
    }
    Ok(())
}

/// Scores the best checkpoint on the test and in-domain splits of every further training
/// folder that has them (`eval --data FOLDER`, each written as `eval_<split>@<folder>.json`).
fn evaluate_extra_folders(
    cfg: &TrainConfig,
    out: &Path,
    progress: &mut dyn Progress,
) -> Result<Vec<EvalReport>, TrainError> {
    let mut reports = Vec::new();
    for folder in &cfg.extra_data {
        let index = DatasetIndex::open(folder)?;
        for split in [Split::Test, Split::Indomain] {
            if !index.entries.iter().any(|e| e.split == split) {
                continue;
            }
            let (report, _) = crate::eval::evaluate(out, Some(folder), split)?;
            progress.message(&format!(
                "{} {split}: accuracy {:.4} on {} samples",
                folder.display(),
                report.accuracy,
                report.samples
            ));
            reports.push(report);
        }
    }
    Ok(reports)
}

fn model_bytes(model: &KwsModel, path: &Path) -> Result<Vec<u8>, TrainError> {
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

/// The mixer for standardised log-mels: a power-sum Mixup's `db=` is in decibels of the log-mel
/// before [`Normalization`], so it is rescaled by the normalisation's std (the mean cancels).
fn mixer_for_standardised(
    mixer: &RandomMix,
    norm: &Normalization,
) -> Result<RandomMix, TrainError> {
    let config = mixer
        .config()
        .clone()
        .with_values_divided_by(f64::from(norm.std));
    Ok(RandomMix::new(config).map_err(crate::mix::MixError::from)?)
}

/// Label smoothing: `t ← (1 − ε)·t + ε/K` per row (nothing when `eps` is 0).
fn smooth_labels(t: &mut Array2<f32>, eps: f32) {
    if eps <= 0.0 {
        return;
    }
    let k = t.ncols().max(1) as f32;
    t.mapv_inplace(|v| (1.0 - eps) * v + eps / k);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array4;

    #[test]
    fn a_power_sum_mixes_standardised_features_as_their_decibels() {
        let norm = Normalization {
            mean: -42.0,
            std: 17.5,
        };
        let db = Array4::from_shape_fn((4, 1, 5, 7), |(b, _, h, w)| {
            -90.0 + 13.0 * ((b * 31 + h * 7 + w * 3) % 11) as f32
        });
        let z = db.mapv(|v| (v - norm.mean) / norm.std);
        let y = Array2::from_shape_fn((4, 4), |(i, k)| f32::from(u8::from(i == k)));
        let spec: RandomMix = "mixup(db=1)".parse().expect("spec");
        let mixed_db = spec
            .mix(db.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(5))
            .expect("mix");
        let scaled = mixer_for_standardised(&spec, &norm).expect("mixer");
        let mixed_z = scaled
            .mix(z.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(5))
            .expect("mix");
        assert!(mixed_db.records.iter().any(|r| !r.self_paired));
        for (zv, dv) in mixed_z.x.iter().zip(&mixed_db.x) {
            assert!(
                (zv * norm.std + norm.mean - dv).abs() < 1e-3,
                "{zv} vs {dv}"
            );
        }
        // Other modes do not depend on the scale: the same mixer comes back.
        let cut: RandomMix = "cutmix".parse().expect("spec");
        assert_eq!(
            mixer_for_standardised(&cut, &norm).expect("mixer").config(),
            cut.config()
        );
    }
}
