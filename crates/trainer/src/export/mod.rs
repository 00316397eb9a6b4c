//! ONNX export of a trained run: the network as a standard ONNX graph (opset 13) with the
//! feature normalisation inside it, and a JSON file beside it that says how to compute its
//! input (the log-mel front end) and what its outputs mean (the classes).
//!
//! # The graph
//!
//! - input `logmel`, `[N, 1, mels, frames]` float: log-mel in dB exactly as randommix's front
//!   end computes it (the parameters are in the JSON file), *not* normalised;
//! - `Sub`/`Div` by the run's normalisation mean and standard deviation;
//! - per block: `Conv` 3×3 with the batch norm folded into its weights and bias, `Relu`,
//!   `MaxPool` where the block pools;
//! - `GlobalAveragePool`, `Flatten`, `Gemm` (the linear head);
//! - output `logits`, `[N, classes]`; softmax gives the class probabilities.
//!
//! BC-ResNet (`--model bcresnet`) is exported the same way around its own layers
//! ([`bcresnet`]: grouped and dilated `Conv`, SubSpectral norm as `Mul` + `Add`, SiLU as
//! `Sigmoid` + `Mul`, `ReduceMean`).

mod bcresnet;
mod proto;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::TrainError;
use crate::features::MelConfig;
use crate::io::atomic_write_bytes;
use crate::model::{CnnParts, KwsModel};
use crate::run::LoadedRun;
use crate::run::RunPaths;
use proto::{Attr, Dim, Graph, Msg, node, tensor, value_info};

/// The ONNX operator set the graph uses.
pub const OPSET: i64 = 13;

/// What the JSON file beside an exported model holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportInfo {
    /// Format tag of this file.
    pub format: String,
    /// The ONNX file (name only; it lies beside this file).
    pub model: String,
    /// The graph's input name.
    pub input: String,
    /// Its shape: `["N", 1, mels, frames]`.
    pub input_shape: Vec<serde_json::Value>,
    /// The graph's output name (logits; softmax for probabilities).
    pub output: String,
    /// Class names in output order.
    pub classes: Vec<String>,
    /// The log-mel front end that computes the input from 16-bit/float mono audio.
    pub frontend: MelConfig,
    /// Samples per clip the model was trained on (`frames` follows from it).
    pub clip_samples: usize,
    /// The normalisation inside the graph (for reference; do not apply it again).
    pub normalization: crate::data::Normalization,
    /// The run folder exported, the checkpoint and its epoch.
    pub run: PathBuf,
    /// The checkpoint file.
    pub checkpoint: PathBuf,
    /// The epoch it was saved after.
    pub checkpoint_epoch: usize,
    /// ONNX opset.
    pub opset: i64,
}

/// The files an export wrote.
#[derive(Debug, Clone)]
pub struct ExportSummary {
    /// The `.onnx` file.
    pub model: PathBuf,
    /// The JSON file beside it.
    pub info: PathBuf,
    /// Graph nodes.
    pub nodes: usize,
}

/// The JSON path beside `model` (`model.onnx` → `model.json`).
pub fn info_path(model: &Path) -> PathBuf {
    model.with_extension("json")
}

/// A conv block with its batch norm folded in: weight, weight shape, bias, max-pool window.
struct Folded {
    weight: Vec<f32>,
    dims: [usize; 4],
    bias: Vec<f32>,
    pool: Option<[usize; 2]>,
}

fn fold(parts: &CnnParts) -> Vec<Folded> {
    parts
        .blocks
        .iter()
        .map(|b| {
            let (w, dims) = &b.weight;
            let per = dims[1] * dims[2] * dims[3];
            let mut wf = w.clone();
            let mut bias = vec![0.0f32; dims[0]];
            for co in 0..dims[0] {
                let scale = b.gamma[co] as f64 / (b.var[co] as f64 + b.epsilon).sqrt();
                for v in &mut wf[co * per..(co + 1) * per] {
                    *v = (*v as f64 * scale) as f32;
                }
                bias[co] = (b.beta[co] as f64 - b.mean[co] as f64 * scale) as f32;
            }
            Folded {
                weight: wf,
                dims: *dims,
                bias,
                pool: b.pool,
            }
        })
        .collect()
}

/// The plain CNN's graph from the normalised input `x` to `logits`: nodes, initializers and
/// the number of classes.
fn cnn_graph(parts: &CnnParts, x: &str) -> (Vec<Msg>, Vec<Msg>, usize) {
    let (mut nodes, mut inits) = (Vec::new(), Vec::new());
    let mut cur = x.to_string();
    for (k, f) in fold(parts).into_iter().enumerate() {
        let Folded {
            weight: w,
            dims,
            bias: b,
            pool,
        } = f;
        let (wn, bn) = (format!("conv{k}.weight"), format!("conv{k}.bias"));
        inits.push(tensor(&wn, &dims, &w));
        inits.push(tensor(&bn, &[dims[0]], &b));
        let (conv, relu) = (format!("conv{k}"), format!("relu{k}"));
        let pad_h = (dims[2] / 2) as i64;
        let pad_w = (dims[3] / 2) as i64;
        nodes.push(node(
            "Conv",
            &conv,
            &[&cur, &wn, &bn],
            &[&conv],
            &[
                (
                    "kernel_shape",
                    Attr::Ints(&[dims[2] as i64, dims[3] as i64]),
                ),
                ("pads", Attr::Ints(&[pad_h, pad_w, pad_h, pad_w])),
                ("strides", Attr::Ints(&[1, 1])),
            ],
        ));
        nodes.push(node("Relu", &relu, &[&conv], &[&relu], &[]));
        cur = relu;
        if let Some([ph, pw]) = pool {
            let p = format!("pool{k}");
            let win = [ph as i64, pw as i64];
            nodes.push(node(
                "MaxPool",
                &p,
                &[&cur],
                &[&p],
                &[
                    ("kernel_shape", Attr::Ints(&win)),
                    ("strides", Attr::Ints(&win)),
                ],
            ));
            cur = p;
        }
    }
    nodes.push(node("GlobalAveragePool", "gap", &[&cur], &["gap"], &[]));
    nodes.push(node(
        "Flatten",
        "flatten",
        &["gap"],
        &["features"],
        &[("axis", Attr::Int(1))],
    ));
    let (hw, hd) = &parts.head_weight;
    inits.push(tensor("head.weight", hd, hw));
    let n_classes = hd[1];
    let bias = if parts.head_bias.is_empty() {
        vec![0.0; n_classes]
    } else {
        parts.head_bias.clone()
    };
    inits.push(tensor("head.bias", &[n_classes], &bias));
    nodes.push(node(
        "Gemm",
        "head",
        &["features", "head.weight", "head.bias"],
        &["logits"],
        &[],
    ));
    (nodes, inits, n_classes)
}

/// The ONNX bytes of a loaded run, and the number of nodes.
pub fn onnx_bytes(run: &LoadedRun) -> Result<(Vec<u8>, usize), TrainError> {
    let run_dir = || {
        run.checkpoint
            .parent()
            .map_or_else(|| run.checkpoint.clone(), Path::to_path_buf)
    };
    let cfg = run
        .config
        .model
        .as_ref()
        .ok_or_else(|| TrainError::RunDir {
            path: run_dir(),
            problem: "has no model section in its config.json".into(),
        })?;
    let mut nodes = Vec::new();
    let mut inits = vec![
        tensor("norm_mean", &[], &[run.norm.mean]),
        tensor("norm_std", &[], &[run.norm.std]),
    ];
    nodes.push(node(
        "Sub",
        "centre",
        &["logmel", "norm_mean"],
        &["centred"],
        &[],
    ));
    nodes.push(node("Div", "scale", &["centred", "norm_std"], &["x0"], &[]));
    let (more, more_inits, n_classes) = match &run.model {
        KwsModel::Cnn(cnn) => cnn_graph(&cnn.parts(), "x0"),
        KwsModel::BcResNet(net) => {
            let parts = net.parts();
            let n_classes = parts.classifier.dims[0];
            let (n, i) = bcresnet::graph(&parts, "x0", cfg.n_mels);
            (n, i, n_classes)
        }
    };
    nodes.extend(more);
    inits.extend(more_inits);
    let n_nodes = nodes.len();
    let graph = Graph {
        nodes,
        initializers: inits,
        inputs: vec![value_info(
            "logmel",
            &[
                Dim::Named("N"),
                Dim::Fixed(1),
                Dim::Fixed(cfg.n_mels),
                Dim::Fixed(cfg.n_frames),
            ],
            "log-mel in dB from randommix's front end (parameters in the JSON file beside this model), not normalised",
        )],
        outputs: vec![value_info(
            "logits",
            &[Dim::Named("N"), Dim::Fixed(n_classes)],
            &format!("class logits in the order {:?}", run.config.classes),
        )],
    };
    let doc = format!(
        "randommix keyword spotter: {} classes {:?}; input [N, 1, {}, {}] log-mel",
        n_classes, run.config.classes, cfg.n_mels, cfg.n_frames
    );
    Ok((graph.encode("randommix_kws", &doc, OPSET), n_nodes))
}

/// `randommix export`: writes the best (or last) checkpoint of the run in `dir` to `out` as
/// ONNX and the JSON description beside it. Existing files are kept unless `force`.
pub fn export_run(
    dir: &Path,
    out: &Path,
    last: bool,
    force: bool,
) -> Result<ExportSummary, TrainError> {
    let info_file = info_path(out);
    if out.extension().is_none_or(|e| e != "onnx") {
        return Err(TrainError::Setting {
            setting: "--out".into(),
            problem: format!(
                "{} should end in .onnx (the JSON description is written beside it)",
                out.display()
            ),
        });
    }
    for p in [out, info_file.as_path()] {
        if p.exists() && !force {
            return Err(TrainError::Exists {
                path: p.to_path_buf(),
            });
        }
    }
    let run = LoadedRun::open(dir, last)?;
    let (bytes, nodes) = onnx_bytes(&run)?;
    let paths = RunPaths::new(dir);
    let info = ExportInfo {
        format: "randommix-onnx-1".into(),
        model: out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        input: "logmel".into(),
        input_shape: vec![
            "N".into(),
            1.into(),
            run.config.mel.n_mels.into(),
            run.frontend.n_frames(run.config.clip_samples).into(),
        ],
        output: "logits".into(),
        classes: run.config.classes.clone(),
        frontend: run.config.mel.clone(),
        clip_samples: run.config.clip_samples,
        normalization: run.norm,
        run: crate::run::absolute(dir),
        checkpoint: crate::run::absolute(&if last { paths.last() } else { paths.best() }),
        checkpoint_epoch: run.checkpoint_epoch,
        opset: OPSET,
    };
    let json = serde_json::to_vec_pretty(&info).map_err(|cause| TrainError::Json {
        path: info_file.clone(),
        cause,
    })?;
    atomic_write_bytes(out, &bytes)?;
    atomic_write_bytes(&info_file, &json)?;
    Ok(ExportSummary {
        model: out.to_path_buf(),
        info: info_file,
        nodes,
    })
}
