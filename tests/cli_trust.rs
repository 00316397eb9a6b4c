//! Results you can trust (issue 20): nonsense settings, non-finite weights, invalid loaded
//! configurations, foreign output folders, runaway memory and threads each give a clear error
//! (exit code ≠ 0, nothing written) or the correct result, never a silent wrong answer.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{assert_fails_naming, run, sections};

fn run_cmd(args: &[String]) -> common::Run {
    run(args)
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// One tiny trained run shared by the tests of this file (read only: copy it to change it).
struct Shared {
    _dir: tempfile::TempDir,
    run: PathBuf,
}

fn shared() -> &'static Path {
    &shared_run().run
}

fn shared_run() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        common::tiny_dataset(&data);
        let run = dir.path().join("run");
        // Long enough, unmixed, for the tones of the tiny data set to be told apart.
        let mut args = common::tiny_train_args(&data, &run);
        let at = args.iter().position(|a| a == "--epochs").unwrap();
        args[at + 1] = "30".into();
        args.extend(["--mix".to_string(), "none".into()]);
        let r = run_cmd(&args);
        assert!(r.ok, "training the tiny run failed:\n{}", r.stderr);
        Shared { _dir: dir, run }
    })
}

/// The tiny data set the shared run was trained on.
fn shared_data() -> PathBuf {
    shared_run()._dir.path().join("data")
}

/// A copy of the run folder `src` at `dst` (files only).
fn copy_run(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
        }
    }
}

#[test]
fn robustness_refuses_nonsense_severities() {
    let run_dir = shared();
    let tmp = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &[&str])] = &[
        ("--eps", "nan", &["NaN", "0 to 100 dB"]),
        ("--eps", "inf", &["inf", "0 to 100 dB"]),
        ("--eps", "1e30", &["out of range", "0 to 100 dB"]),
        ("--eps", "-4", &["-4", "0 to 100 dB"]),
        ("--snr", "nan", &["NaN", "-50 to 100 dB"]),
        ("--snr", "-inf", &["-inf", "-50 to 100 dB"]),
        ("--occlusion", "nan", &["NaN", "0 to 100 %"]),
        ("--occlusion", "-10", &["-10", "0 to 100 %"]),
    ];
    for (k, (flag, value, problem)) in cases.iter().enumerate() {
        let out = tmp.path().join(format!("rob{k}"));
        let r = run(&[
            "robustness".to_string(),
            "--run".into(),
            s(run_dir),
            "--out".into(),
            s(&out),
            format!("{flag}={value}"),
        ]);
        assert_fails_naming(&r, Path::new(flag), problem, &format!("{flag} {value}"));
        assert!(
            !out.exists(),
            "{flag} {value}: {} was created",
            out.display()
        );
    }
}

/// The checkpoint `ckpt` rewritten in the old `RMXCKPT1` format (no checksum) with NaN over
/// the second half of its model section (the tensor data, aligned to 4 bytes).
fn nan_checkpoint_v1(ckpt: &[u8]) -> Vec<u8> {
    let secs = sections(ckpt);
    let mut out = b"RMXCKPT1".to_vec();
    for (k, &(at, len)) in secs.iter().enumerate() {
        let mut sec = ckpt[at..at + len].to_vec();
        if k == 1 {
            let from = (len / 2) / 4 * 4;
            for w in sec[from..].chunks_exact_mut(4) {
                w.copy_from_slice(&f32::NAN.to_le_bytes());
            }
        }
        out.extend_from_slice(&(len as u64).to_le_bytes());
        out.extend_from_slice(&sec);
    }
    out
}

#[test]
fn non_finite_weights_are_refused_naming_the_checkpoint() {
    let good = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nan-run");
    copy_run(good, &dir);
    let best = dir.join("best.ckpt");
    let ckpt = std::fs::read(&best).unwrap();
    std::fs::write(&best, nan_checkpoint_v1(&ckpt)).unwrap();
    let eval_before = std::fs::read(dir.join("eval_test.json")).unwrap();
    let clip = tmp.path().join("clip.wav");
    std::fs::write(&clip, common::pcm16(&common::tone(440.0, 16_000, 1.0))).unwrap();
    let problem: &[&str] = &["not finite"];

    let r = run(&["eval", "--run", &s(&dir)]);
    assert_fails_naming(&r, &best, problem, "eval");
    assert_eq!(
        std::fs::read(dir.join("eval_test.json")).unwrap(),
        eval_before,
        "eval replaced eval_test.json"
    );
    let r = run(&["predict", "--run", &s(&dir), &s(&clip)]);
    assert_fails_naming(&r, &best, problem, "predict");
    let r = run(&["spot", "--run", &s(&dir), &s(&clip)]);
    assert_fails_naming(&r, &best, problem, "spot");
    let onnx = tmp.path().join("model.onnx");
    let r = run(&["export", "--run", &s(&dir), "--out", &s(&onnx)]);
    assert_fails_naming(&r, &best, problem, "export");
    assert!(!onnx.exists(), "export wrote {}", onnx.display());
    let rob = tmp.path().join("rob");
    let r = run(&["robustness", "--run", &s(&dir), "--out", &s(&rob)]);
    assert_fails_naming(&r, &best, problem, "robustness");
    assert!(!rob.exists(), "robustness wrote {}", rob.display());
    let files_before: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let r = run(&["detect", "--run", &s(&dir), "--minutes", "0.2"]);
    assert_fails_naming(&r, &best, problem, "detect");
    let files_after: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        files_before.len(),
        files_after.len(),
        "detect wrote into the run"
    );

    // Resuming from a last checkpoint with NaN weights (train's own evaluation would use them).
    let last = dir.join("last.ckpt");
    let ckpt = std::fs::read(&last).unwrap();
    std::fs::write(&last, nan_checkpoint_v1(&ckpt)).unwrap();
    let cfg = dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    v["epochs"] = 2.into();
    std::fs::write(&cfg, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let r = run(&["train", "--quiet", "--resume", &s(&dir)]);
    assert_fails_naming(&r, &last, problem, "train --resume");
}

#[test]
fn a_loaded_run_config_is_validated_like_a_new_one() {
    let good = shared();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("zero-eval-batch");
    copy_run(good, &dir);
    let cfg = dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&cfg).unwrap()).unwrap();
    v["eval_batch_size"] = 0.into();
    std::fs::write(&cfg, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let eval_before = std::fs::read(dir.join("eval_test.json")).unwrap();
    let r = run(&["eval", "--run", &s(&dir)]);
    assert_fails_naming(&r, &cfg, &["eval batch size 0 must be at least 1"], "eval");
    assert_eq!(
        std::fs::read(dir.join("eval_test.json")).unwrap(),
        eval_before,
        "eval replaced eval_test.json"
    );
    let clip = tmp.path().join("clip.wav");
    std::fs::write(&clip, common::pcm16(&common::tone(440.0, 16_000, 1.0))).unwrap();
    let r = run(&["predict", "--run", &s(&dir), &s(&clip)]);
    assert_fails_naming(
        &r,
        &cfg,
        &["eval batch size 0 must be at least 1"],
        "predict",
    );
}

#[test]
fn train_refuses_a_folder_of_someone_elses_files() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::tiny_dataset(&data);
    let out = tmp.path().join("mine");
    std::fs::create_dir_all(&out).unwrap();
    let mine: [(&str, &[u8]); 3] = [
        ("report.md", b"my own report\n"),
        ("metrics.csv", b"a,b\n1,2\n"),
        ("eval_test.json", b"{\"mine\": true}\n"),
    ];
    for (name, bytes) in mine {
        std::fs::write(out.join(name), bytes).unwrap();
    }
    let r = run(&common::tiny_train_args(&data, &out));
    assert_fails_naming(
        &r,
        &out,
        &["is not empty and is not a randommix run", "report.md"],
        "train into a folder of the user's files",
    );
    for (name, bytes) in mine {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            bytes,
            "{name} was replaced"
        );
    }
    let left: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), mine.len(), "train added files: {left:?}");
    // An empty folder is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = run(&common::tiny_train_args(&data, &empty));
    assert!(r.ok, "{}", r.stderr);
}

#[test]
fn threads_are_capped_at_four_per_core() {
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("a.wav");
    std::fs::write(&wav, common::pcm16(&common::tone(440.0, 16_000, 1.0))).unwrap();
    let out = tmp.path().join("a.npy");
    let cores = std::thread::available_parallelism().unwrap().get();
    let max = (4 * cores).to_string();
    let r = run(&[
        "--threads",
        "100000",
        "features",
        &s(&wav),
        "--out",
        &s(&out),
    ]);
    assert_fails_naming(
        &r,
        Path::new("--threads"),
        &["100000", &max, "per core"],
        "--threads 100000",
    );
    assert!(!out.exists());
    let r = run(&["--threads", &max, "features", &s(&wav), "--out", &s(&out)]);
    assert!(r.ok, "--threads {max}: {}", r.stderr);
}

/// Runs `randommix args…` and samples its peak resident memory (`VmHWM`, KiB) while it runs.
#[cfg(target_os = "linux")]
fn run_with_peak_rss(args: &[String]) -> (common::Run, u64) {
    use std::process::Stdio;
    let mut child = common::bin()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    while child.try_wait().unwrap().is_none() {
        if let Ok(t) = std::fs::read_to_string(&status)
            && let Some(l) = t.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kib: u64 = l
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let r: common::Run = child.wait_with_output().unwrap().into();
    common::assert_no_panic(&r, args);
    (r, peak)
}

#[cfg(target_os = "linux")]
#[test]
fn predict_keeps_one_long_file_at_a_time() {
    let run_dir = shared();
    let tmp = tempfile::tempdir().unwrap();
    let short = tmp.path().join("short.wav");
    std::fs::write(&short, common::pcm16(&common::tone(440.0, 16_000, 1.0))).unwrap();
    // Eight 3-minute recordings: 11.5 MB of samples each once decoded.
    let minutes = 3.0;
    let long = common::pcm16(&common::tone(440.0, 16_000, 60.0 * minutes));
    let decoded_kib = (60.0 * minutes * 16_000.0 * 4.0 / 1024.0) as u64;
    let mut args = vec!["predict".to_string(), "--run".into(), s(run_dir)];
    let (r, base) = run_with_peak_rss(&[args.clone(), vec![s(&short)]].concat());
    assert!(r.ok, "{}", r.stderr);
    for k in 0..8 {
        let p = tmp.path().join(format!("long{k}.wav"));
        std::fs::write(&p, &long).unwrap();
        args.push(s(&p));
    }
    let (r, peak) = run_with_peak_rss(&args);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 8, "{}", r.stdout);
    eprintln!("predict peak RSS: {peak} KiB for 8 long files, {base} KiB for one short clip");
    // One file's bytes and samples at a time (about 1.5 × decoded), not all eight (8 ×).
    assert!(
        peak.saturating_sub(base) < 4 * decoded_kib,
        "predict on 8 files of {minutes} min peaked at {peak} KiB, {base} KiB for one short clip \
         (one decoded file: {decoded_kib} KiB)"
    );
}

#[test]
fn spot_finds_a_word_at_the_very_end() {
    let run_dir = shared();
    // A file that is exactly one 1 s word, the word the run's predict gives for it.
    let clip = shared_data().join("yes").join("s0_nohash_0.wav");
    let r = run(&["predict", "--run", &s(run_dir), "--json", &s(&clip)]);
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v[0]["top"][0]["label"], "yes",
        "the tiny run does not know its own clip: {v}"
    );
    let r = run(&[
        "spot",
        "--run",
        &s(run_dir),
        "--json",
        "--smooth",
        "1",
        "--threshold",
        "0.3",
        &s(&clip),
    ]);
    assert!(r.ok, "{}", r.stderr);
    let found: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        found.iter().any(|d| d["label"] == "yes"),
        "spot found {found:?} in a file that is one word (predict: {v})"
    );
    // The same from standard input.
    let bytes = std::fs::read(&clip).unwrap();
    let out = common::bin()
        .args([
            "spot",
            "--run",
            &s(run_dir),
            "--json",
            "--smooth",
            "1",
            "--threshold",
            "0.3",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(&bytes)?;
            c.wait_with_output()
        })
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("\"yes\""),
        "spot - found {stdout:?} in one word"
    );
}

#[test]
fn duplicate_keyword_thresholds_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.wav");
    std::fs::write(&clip, common::pcm16(&common::tone(440.0, 16_000, 1.0))).unwrap();
    let r = run(&[
        "spot",
        "--run",
        &s(shared()),
        "--threshold-for",
        "yes=0.5,yes=0.9",
        &s(&clip),
    ]);
    assert_fails_naming(
        &r,
        Path::new("--threshold-for"),
        &["\"yes\" is given twice", "yes=0.5", "yes=0.9"],
        "duplicate threshold",
    );
}

#[test]
fn stream_errors_are_not_configuration_errors() {
    let out = common::bin()
        .args(["spot", "--run", &s(shared()), "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin
                .take()
                .unwrap()
                .write_all(b"this is not a WAV stream at all")?;
            c.wait_with_output()
        })
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("standard input: not a WAV stream"), "{err}");
    assert!(!err.contains("configuration"), "{err}");
}

#[test]
fn resume_refuses_settings_it_would_ignore() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_run(shared(), &dir);
    let last = std::fs::read(dir.join("last.ckpt")).unwrap();
    let config = std::fs::read(dir.join("config.json")).unwrap();
    for (flag, value) in [
        ("--epochs", "40"),
        ("--lr", "0.1"),
        ("--mix", "cutmix"),
        ("--seed", "3"),
    ] {
        let r = run(&["train", "--quiet", "--resume", &s(&dir), flag, value]);
        assert_fails_naming(
            &r,
            Path::new(flag),
            &["--resume", "cannot be used with"],
            flag,
        );
    }
    assert_eq!(std::fs::read(dir.join("last.ckpt")).unwrap(), last);
    assert_eq!(std::fs::read(dir.join("config.json")).unwrap(), config);
}

#[test]
fn detect_refuses_a_stream_longer_than_its_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_run(shared(), &dir);
    for minutes in ["100000", "1441", "nan", "inf"] {
        let r = run(&["detect", "--run", &s(&dir), "--minutes", minutes]);
        assert_fails_naming(
            &r,
            Path::new("--minutes"),
            &["from 0 to 1440"],
            &format!("--minutes {minutes}"),
        );
    }
    assert!(
        !std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("detect")),
        "detect wrote a report"
    );
    let r = run(&["detect", "--run", &s(&dir), "--minutes", "0.5"]);
    assert!(r.ok, "{}", r.stderr);
}

/// Runs `detect` on the shared run for `minutes` and returns its peak resident memory (KiB).
#[cfg(target_os = "linux")]
fn detect_peak(dir: &Path, minutes: &str) -> u64 {
    let args: Vec<String> = ["detect", "--run", &s(dir), "--minutes", minutes, "--json"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    let (r, peak) = run_with_peak_rss(&args);
    assert!(r.ok, "detect --minutes {minutes}: {}", r.stderr);
    peak
}

#[cfg(target_os = "linux")]
#[test]
fn detect_memory_does_not_grow_with_the_stream() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_run(shared(), &dir);
    let short = detect_peak(&dir, "1");
    let long = detect_peak(&dir, "6");
    eprintln!("detect peak RSS: {short} KiB for 1 min, {long} KiB for 6 min");
    // Held whole, 5 more minutes of stream cost about 40 MB (8.5 MB a minute).
    assert!(
        long.saturating_sub(short) < 12 * 1024,
        "detect peaked at {long} KiB for 6 min of stream, {short} KiB for 1 min"
    );
}

#[test]
fn settings_errors_are_typed_not_configuration_catch_alls() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    common::tiny_dataset(&data);
    let mut args = common::tiny_train_args(&data, &tmp.path().join("run"));
    let at = args.iter().position(|a| a == "--batch").unwrap();
    args[at + 1] = "1".into();
    let r = run(&args);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("batch size 1 must be at least 2"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("configuration:"), "{}", r.stderr);
    let onnx = tmp.path().join("model.txt");
    let r = run(&["export", "--run", &s(shared()), "--out", &s(&onnx)]);
    assert_fails_naming(
        &r,
        &onnx,
        &["--out", "should end in .onnx"],
        "export --out model.txt",
    );
    assert!(!r.stderr.contains("configuration:"), "{}", r.stderr);
}

#[test]
fn detect_with_a_hop_longer_than_the_stream_evaluates_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    copy_run(shared(), &dir);
    let r = run(&[
        "detect",
        "--run",
        &s(&dir),
        "--minutes",
        "0.2",
        "--hop",
        "1e30",
        "--json",
    ]);
    assert!(r.ok, "{}", r.stderr);
}

/// Runs `spot --run <shared> -` with `bytes` on standard input.
fn spot_stdin(bytes: Vec<u8>) -> common::Run {
    let r: common::Run = common::bin()
        .args(["spot", "--run", &s(shared()), "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            // A spotter that stops reading early closes the pipe: its output tells.
            let _ = c.stdin.take().unwrap().write_all(&bytes);
            c.wait_with_output()
        })
        .unwrap()
        .into();
    common::assert_no_panic(&r, &["spot", "-"]);
    r
}

#[test]
fn a_wav_stream_goes_on_past_the_length_its_header_declares() {
    // A header declaring 1 s, then 3 s of audio (a recorder that could not fix the length).
    let x = common::tone(440.0, 16_000, 3.0);
    let data: Vec<u8> = x
        .iter()
        .flat_map(|v| ((v * 32767.0) as i16).to_le_bytes())
        .collect();
    let wav = common::raw_wav(1, 1, 16_000, 16, 32_000, &data);
    let r = spot_stdin(wav);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("in 3.0 s of audio"), "{}", r.stderr);
    // A trailing chunk after the declared data is not audio.
    let mut wav = common::raw_wav(1, 1, 16_000, 16, 32_000, &data[..32_000]);
    wav.extend_from_slice(b"LIST\x04\x00\x00\x00INFO");
    let r = spot_stdin(wav);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("in 1.0 s of audio"), "{}", r.stderr);
    // A stream cut short of its declared length ends where it is cut.
    let wav = common::raw_wav(1, 1, 16_000, 16, 96_000, &data[..64_000]);
    let r = spot_stdin(wav);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("in 2.0 s of audio"), "{}", r.stderr);
}

#[test]
fn predict_refuses_top_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.wav");
    std::fs::write(&clip, common::pcm16(&common::tone(440.0, 16_000, 1.0))).unwrap();
    let r = run(&["predict", "--run", &s(shared()), "--top", "0", &s(&clip)]);
    assert_fails_naming(&r, Path::new("--top"), &["at least 1"], "--top 0");
}
