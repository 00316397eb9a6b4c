//! ONNX export, checked by an independent runtime (tract): the exported graph gives the same
//! logits as randommix on bundled clips.

mod common;

use std::path::Path;

use common::{run, tiny_run};
use ndarray::Array4;
use randommix::LoadedRun;
use tract_onnx::prelude::*;

/// `randommix export --run RUN --out OUT`.
fn export(run_dir: &Path, out: &Path) -> common::Run {
    run(&[
        "export",
        "--run",
        run_dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ])
}

fn clips() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/synthetic");
    ["yes/02155165_nohash_0.wav", "no/048f4fd3_nohash_0.wav"]
        .iter()
        .map(|p| root.join(p))
        .collect()
}

#[test]
fn exported_graph_gives_randommixs_logits_in_tract() {
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tiny_run(tmp.path());
    let out = tmp.path().join("kws.onnx");
    let r = export(&run_dir, &out);
    assert!(r.ok, "{}", r.stderr);
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("kws.json")).unwrap())
            .unwrap();
    assert_eq!(info["input"], "logmel");
    assert_eq!(info["classes"].as_array().unwrap().len(), 4);

    // A second export to the same file is refused without --force, and leaves the file alone.
    let before = std::fs::read(&out).unwrap();
    let r = export(&run_dir, &out);
    assert!(!r.ok && r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read(&out).unwrap(), before);

    assert_same_logits(&run_dir, &out);
}

/// The exported graph at `out` gives the logits of the run in `run_dir` (its best checkpoint)
/// on bundled clips, in tract.
fn assert_same_logits(run_dir: &Path, out: &Path) {
    // Raw log-mels of bundled clips (the graph normalises them itself).
    let loaded = LoadedRun::open(run_dir, false).unwrap();
    let feats: Vec<ndarray::Array2<f32>> = clips()
        .iter()
        .map(|p| {
            let a = randommix::audio::read_wav(p).unwrap();
            let mut x = a.samples;
            x.resize(loaded.config.clip_samples, 0.0);
            loaded.frontend.compute(&x)
        })
        .collect();
    let (m, f) = feats[0].dim();
    let n = feats.len();
    let mut raw = Array4::<f32>::zeros((n, 1, m, f));
    for (i, x) in feats.iter().enumerate() {
        raw.slice_mut(ndarray::s![i, 0, .., ..]).assign(x);
    }
    let mut norm = raw.clone();
    loaded.norm.apply(norm.as_slice_mut().unwrap());
    let ours = randommix::eval::logits(&loaded.model, &loaded.device, norm, "best.ckpt").unwrap();

    let model = tract_onnx::onnx()
        .model_for_path(out)
        .unwrap()
        .with_input_fact(0, f32::fact([n, 1, m, f]).into())
        .unwrap()
        .into_optimized()
        .unwrap()
        .into_runnable()
        .unwrap();
    let input: Tensor =
        tract_ndarray::Array4::from_shape_vec((n, 1, m, f), raw.into_raw_vec_and_offset().0)
            .unwrap()
            .into();
    let res = model.run(tvec!(input.into())).unwrap();
    let theirs = res[0].to_plain_array_view::<f32>().unwrap();
    assert_eq!(theirs.shape(), &[n, ours.dim().1]);
    for i in 0..n {
        for k in 0..ours.dim().1 {
            let (a, b) = (ours[[i, k]], theirs[[i, k]]);
            assert!(
                (a - b).abs() <= 1e-4 * (1.0 + a.abs()),
                "clip {i} class {k}: randommix {a} vs tract {b}"
            );
        }
    }
}

#[test]
fn bc_resnet_export_gives_randommixs_logits_in_tract() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data/synthetic");
    common::tiny_dataset(&data);
    let out = tmp.path().join("run");
    let mut args = common::tiny_train_args(&data, &out);
    args.extend(["--model".into(), "bcresnet".into()]);
    let r = run(&args);
    assert!(r.ok, "{}", r.stderr);
    let onnx = tmp.path().join("m.onnx");
    let r = export(&out, &onnx);
    assert!(r.ok, "{}", r.stderr);
    assert_same_logits(&out, &onnx);
}
