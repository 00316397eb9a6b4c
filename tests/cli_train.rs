//! End-to-end training through the CLI on the bundled data: run folder contents, falling
//! loss, eval reading the checkpoint back, determinism, and kill-and-resume.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_randommix"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn train_args(out: &Path, epochs: usize, seed: u64) -> Vec<String> {
    [
        "train",
        "--quiet",
        "--data",
        "data/synthetic",
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        &epochs.to_string(),
        "--seed",
        &seed.to_string(),
        "--batch",
        "64",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn run_ok(args: &[String]) -> (String, String) {
    let o = bin().args(args).output().unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "randommix {args:?} failed:\n{err}");
    assert!(!err.contains("panicked at"), "{err}");
    (out, err)
}

/// The deterministic columns of metrics.csv (everything but timings).
fn metric_rows(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| l.split(',').take(6).collect::<Vec<_>>().join(","))
        .collect()
}

/// The tensor bytes of a checkpoint's model section (a burnpack file: magic, version, u32
/// metadata length, metadata, then the tensor data). The metadata holds parameter ids, which
/// are fresh in every process, so only the data is compared.
fn model_weights(p: &Path) -> Vec<u8> {
    let b = std::fs::read(p).unwrap();
    let state_len = u64::from_le_bytes(b[8..16].try_into().unwrap()) as usize;
    let pos = 16 + state_len;
    let model_len = u64::from_le_bytes(b[pos..pos + 8].try_into().unwrap()) as usize;
    let model = &b[pos + 8..pos + 8 + model_len];
    let meta_len = u32::from_le_bytes(model[6..10].try_into().unwrap()) as usize;
    assert!(meta_len < model.len());
    model[10 + meta_len..].to_vec()
}

#[test]
fn train_then_eval_reads_the_checkpoint_back() {
    let tmp = tempfile::tempdir().unwrap();
    let run = tmp.path().join("run");
    run_ok(&train_args(&run, 4, 1));
    for f in [
        "config.json",
        "metrics.csv",
        "best.ckpt",
        "last.ckpt",
        "report.md",
        "eval_test.json",
    ] {
        assert!(run.join(f).is_file(), "missing {f}");
    }
    // No temporary files left behind.
    for e in std::fs::read_dir(&run).unwrap() {
        let n = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!n.ends_with(".tmp"), "{n}");
    }
    let rows = metric_rows(&run);
    assert_eq!(rows.len(), 4);
    let loss = |r: &str| r.split(',').nth(1).unwrap().parse::<f64>().unwrap();
    assert!(
        loss(&rows[3]) < loss(&rows[0]),
        "training loss did not fall: {rows:?}"
    );

    let (out, _) = run_ok(&[
        "eval".into(),
        "--run".into(),
        run.to_str().unwrap().into(),
        "--json".into(),
    ]);
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let acc = v["accuracy"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&acc));
    assert_eq!(v["per_class"].as_array().unwrap().len(), 12);
    assert_eq!(v["confusion"].as_array().unwrap().len(), 12);
    // The same checkpoint and test split as at the end of training.
    let at_train: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("eval_test.json")).unwrap())
            .unwrap();
    assert_eq!(at_train["accuracy"].as_f64().unwrap(), acc);

    // Human-readable output has the confusion matrix; the valid split works too.
    let (text, _) = run_ok(&[
        "eval".into(),
        "--run".into(),
        run.to_str().unwrap().into(),
        "--split".into(),
        "valid".into(),
    ]);
    assert!(
        text.contains("confusion") && text.contains("_silence_"),
        "{text}"
    );

    // A second training into the same folder is refused, the run is untouched.
    let before = std::fs::read(run.join("best.ckpt")).unwrap();
    let o = bin().args(train_args(&run, 1, 1)).output().unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("already holds a run"), "{err}");
    assert_eq!(std::fs::read(run.join("best.ckpt")).unwrap(), before);
}

#[test]
fn same_seed_same_metrics_and_kill_then_resume_matches() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    run_ok(&train_args(&a, 3, 7));

    // Kill a second identical run in the middle of its second epoch (SIGKILL), then resume.
    let b = tmp.path().join("b");
    let mut child = bin()
        .args(train_args(&b, 3, 7))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let ck = b.join("last.ckpt");
    while !ck.exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The first epoch took some seconds; a fraction of that lands inside epoch 2.
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the run finished before it could be killed"
    );
    let killed_rows = metric_rows(&b);
    assert!(killed_rows.len() < 3, "{killed_rows:?}");

    run_ok(&[
        "train".into(),
        "--quiet".into(),
        "--resume".into(),
        b.to_str().unwrap().into(),
    ]);
    assert_eq!(
        metric_rows(&a),
        metric_rows(&b),
        "metrics differ after kill + resume"
    );
    assert_eq!(
        model_weights(&a.join("last.ckpt")),
        model_weights(&b.join("last.ckpt"))
    );
    assert_eq!(
        model_weights(&a.join("best.ckpt")),
        model_weights(&b.join("best.ckpt"))
    );
    // The same figures; only the evaluation's date and the run folder's name may differ.
    let acc = |d: &PathBuf| {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("eval_test.json")).unwrap())
                .unwrap();
        let src = v["source"]
            .as_object_mut()
            .expect("eval file records its source");
        assert!(src.remove("date").is_some());
        assert!(src.remove("checkpoint").is_some());
        v
    };
    assert_eq!(acc(&a), acc(&b));
}

#[test]
fn bad_settings_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, needle) in [
        (vec!["--mix", "cutmix:-1"], "cutmix"),
        (vec!["--mix", "mixup(db=0)"], "db (decibels per unit)"),
        (vec!["--task", "7"], "unknown task"),
        (vec!["--words", "yes,sideways"], "sideways"),
        (vec!["--data", "/nonexistent/folder"], "/nonexistent/folder"),
        (vec!["--batch", "1"], "batch"),
    ] {
        let out = tmp
            .path()
            .join(format!("r{}", args.join("_").replace(['/', ':', ','], "_")));
        let o = bin()
            .args([
                "train",
                "--quiet",
                "--epochs",
                "1",
                "--out",
                out.to_str().unwrap(),
            ])
            .args(&args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked at"), "{err}");
    }
}
