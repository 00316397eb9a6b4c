//! Using a trained run: predict agrees with eval, spot finds the words of a synthetic long
//! recording in order, robustness and compare produce their reports.
//!
//! One run is trained once (no mixing, a short schedule) and shared by the checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_randommix"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

fn run_ok(args: &[&str]) -> String {
    let o = bin().args(args).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "randommix {args:?} failed:\n{err}");
    assert!(!err.contains("panicked at"), "{err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct Shared {
    _dir: tempfile::TempDir,
    run: PathBuf,
}

fn trained() -> &'static Shared {
    static S: OnceLock<Shared> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        run_ok(&[
            "train",
            "--quiet",
            "--data",
            "data/synthetic",
            "--out",
            run.to_str().unwrap(),
            "--epochs",
            "15",
            "--mix",
            "none",
            "--voice-aug",
            "off",
            "--spec-augment",
            "off",
            "--seed",
            "2",
        ]);
        Shared { _dir: dir, run }
    })
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/synthetic")
}

fn list(name: &str) -> Vec<String> {
    std::fs::read_to_string(data().join(name))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

const WORDS: [&str; 10] = [
    "yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go",
];

#[test]
fn predict_agrees_with_eval() {
    let run = &trained().run;
    let eval: serde_json::Value =
        serde_json::from_str(&run_ok(&["eval", "--run", run.to_str().unwrap(), "--json"])).unwrap();
    let test: Vec<String> = list("testing_list.txt")
        .into_iter()
        .filter(|e| WORDS.contains(&e.split('/').next().unwrap()))
        .collect();
    let files: Vec<String> = test
        .iter()
        .map(|e| data().join(e).to_string_lossy().into_owned())
        .collect();
    let mut args = vec![
        "predict",
        "--run",
        run.to_str().unwrap(),
        "--json",
        "--top",
        "2",
    ];
    args.extend(files.iter().map(String::as_str));
    let preds: serde_json::Value = serde_json::from_str(&run_ok(&args)).unwrap();
    let preds = preds.as_array().unwrap();
    assert_eq!(preds.len(), test.len());
    for w in WORDS {
        let mut n = 0;
        let mut correct = 0;
        for (e, p) in test.iter().zip(preds) {
            if e.split('/').next() == Some(w) {
                n += 1;
                let top = &p["top"][0];
                if top["label"] == w {
                    correct += 1;
                }
                let p0 = top["probability"].as_f64().unwrap();
                let p1 = p["top"][1]["probability"].as_f64().unwrap();
                assert!(p0 >= p1 && p0 <= 1.0 && p1 >= 0.0);
            }
        }
        let row = eval["per_class"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["class"] == w)
            .unwrap();
        assert_eq!(row["samples"].as_u64().unwrap(), n as u64, "{w}");
        let acc = row["accuracy"].as_f64().unwrap();
        assert!(
            (acc - correct as f64 / n as f64).abs() < 1e-9,
            "{w}: eval {acc}, predict {correct}/{n}"
        );
    }
}

fn read_clip(p: &Path) -> Vec<i16> {
    hound::WavReader::open(p)
        .unwrap()
        .into_samples::<i16>()
        .map(|s| s.unwrap())
        .collect()
}

/// A long recording of confidently classified clips of different words with quiet noise
/// between them (0.8 s before, between and after): the words in order and the samples.
fn long_recording(run: &Path) -> (Vec<String>, Vec<i16>) {
    // Training clips of different words that the (briefly trained) run classifies with p > 0.6.
    let train_list: std::collections::HashSet<String> = list("validation_list.txt")
        .into_iter()
        .chain(list("testing_list.txt"))
        .chain(list("testing_indomain_list.txt"))
        .collect();
    let mut chosen: Vec<(String, PathBuf)> = Vec::new();
    for w in ["go", "left", "yes", "stop", "down", "off"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(data().join(w))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                !train_list.contains(&format!("{w}/{}", p.file_name().unwrap().to_string_lossy()))
            })
            .collect();
        files.sort();
        for f in files.into_iter().take(20) {
            let out = run_ok(&[
                "predict",
                "--run",
                run.to_str().unwrap(),
                "--json",
                f.to_str().unwrap(),
            ]);
            let v: serde_json::Value = serde_json::from_str(&out).unwrap();
            if v[0]["top"][0]["label"] == w && v[0]["top"][0]["probability"].as_f64().unwrap() > 0.6
            {
                chosen.push((w.to_string(), f));
                break;
            }
        }
    }
    assert!(
        chosen.len() >= 4,
        "too few confidently classified clips: {chosen:?}"
    );
    // Noise (quiet background) between the clips: 0.8 s before, between and after.
    let noise = read_clip(&data().join("_background_noise_").join("pink_noise.wav"));
    let gap: Vec<i16> = noise[..12_800].iter().map(|s| s / 20).collect();
    let mut long: Vec<i16> = gap.clone();
    for (_, f) in &chosen {
        long.extend(read_clip(f));
        long.extend(&gap);
    }
    (chosen.iter().map(|(w, _)| w.clone()).collect(), long)
}

#[test]
fn spot_finds_the_words_in_order() {
    let run = &trained().run;
    let (want, long) = long_recording(run);
    let tmp = tempfile::tempdir().unwrap();
    let wav = tmp.path().join("long.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&wav, spec).unwrap();
    for s in &long {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();

    let out = run_ok(&[
        "spot",
        "--run",
        run.to_str().unwrap(),
        "--json",
        wav.to_str().unwrap(),
    ]);
    let dets: serde_json::Value = serde_json::from_str(&out).unwrap();
    let found: Vec<String> = dets
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["label"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(found, want, "detections: {dets}");
    // Each detection starts near where its clip was placed (clip k starts at 0.8 + 1.8 k s).
    for (k, d) in dets.as_array().unwrap().iter().enumerate() {
        let t = d["start_s"].as_f64().unwrap();
        let placed = 0.8 + 1.8 * k as f64;
        assert!(
            (t - placed).abs() < 0.8,
            "detection {k} at {t} s, clip at {placed} s"
        );
    }
}

#[test]
fn spot_streams_from_standard_input() {
    use std::io::{BufRead, Write};
    let run = &trained().run;
    let (want, long) = long_recording(run);
    let mut wav = std::io::Cursor::new(Vec::new());
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::new(&mut wav, spec).unwrap();
    for s in &long {
        w.write_sample(*s).unwrap();
    }
    w.finalize().unwrap();
    let bytes = wav.into_inner();
    let mut child = bin()
        .args(["spot", "--run", run.to_str().unwrap(), "--json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Fed in 100 ms pieces through the pipe, as a recorder would.
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        for piece in bytes.chunks(3_200) {
            stdin.write_all(piece).unwrap();
        }
    });
    let lines: Vec<serde_json::Value> = std::io::BufReader::new(child.stdout.take().unwrap())
        .lines()
        .map(|l| serde_json::from_str(&l.unwrap()).unwrap())
        .collect();
    feeder.join().unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && !err.contains("panicked"), "{err}");
    let found: Vec<&str> = lines.iter().map(|d| d["label"].as_str().unwrap()).collect();
    // In order, each word at most once, at most one word missed.
    let mut rest = want.iter();
    for f in &found {
        assert!(
            rest.any(|w| w.as_str() == *f),
            "{f} out of order or repeated: found {found:?}, placed {want:?}"
        );
    }
    assert!(found.len() + 1 >= want.len(), "found {found:?} of {want:?}");
    // Each reported while or just after its clip played (clip k spans 0.8 + 1.8 k … + 1 s).
    for d in &lines {
        let k = want
            .iter()
            .position(|w| w == d["label"].as_str().unwrap())
            .unwrap();
        let (start, end) = (0.8 + 1.8 * k as f64, 1.8 + 1.8 * k as f64);
        let t = d["end_s"].as_f64().unwrap();
        assert!(
            t > start && t < end + 1.0,
            "{d} for the clip at {start}–{end} s"
        );
    }
    assert!(err.contains("keyword(s)"), "{err}");
}

#[test]
fn robustness_report_and_fgsm_sanity() {
    let run = &trained().run;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rob");
    let stdout = run_ok(&[
        "robustness",
        "--run",
        run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--snr",
        "10",
        "--occlusion",
        "30",
        "--eps",
        "0,1,4",
    ]);
    assert!(stdout.contains("fgsm_eps_db"), "{stdout}");
    for f in [
        "robustness.csv",
        "robustness.md",
        "robustness_fgsm_eps_db.png",
        "robustness_white_noise_snr_db.png",
    ] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let csv = std::fs::read_to_string(out.join("robustness.csv")).unwrap();
    let acc = |pert: &str, sev: &str| -> f64 {
        csv.lines()
            .find(|l| {
                let c: Vec<&str> = l.split(',').collect();
                c[1] == pert && c[2] == sev
            })
            .unwrap_or_else(|| panic!("no row {pert} {sev} in\n{csv}"))
            .split(',')
            .nth(3)
            .unwrap()
            .parse()
            .unwrap()
    };
    let clean = acc("clean", "NaN");
    assert_eq!(
        acc("fgsm_eps_db", "0"),
        clean,
        "FGSM at ε = 0 must equal clean accuracy"
    );
    assert!(acc("fgsm_eps_db", "1") <= clean);
    assert!(acc("fgsm_eps_db", "4") <= acc("fgsm_eps_db", "1"));
    assert!(
        acc("fgsm_eps_db", "4") < clean,
        "FGSM at 4 dB did not hurt at all"
    );
    for p in ["white_noise_snr_db", "background_noise_snr_db"] {
        acc(p, "10");
    }
    for p in [
        "occlusion_box_pct",
        "occlusion_time_pct",
        "occlusion_band_pct",
    ] {
        acc(p, "30");
    }
}

#[test]
fn compare_produces_table_and_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("cmp");
    let args = [
        "compare",
        "--data",
        "data/synthetic",
        "--modes",
        "none,randommix",
        "--seeds",
        "1",
        "--epochs",
        "1",
        "--detect-minutes",
        "1",
        "--out",
        out.to_str().unwrap(),
    ];
    let stdout = run_ok(&args);
    assert!(stdout.contains("| `none` |"), "{stdout}");
    assert!(stdout.contains("FA/h at threshold 0.5"), "{stdout}");
    let results = std::fs::read_to_string(out.join("results.csv")).unwrap();
    assert!(
        results.lines().next().unwrap().contains("fa_per_hour"),
        "{results}"
    );
    for row in results.lines().skip(1) {
        // The mix column is quoted when the spec holds commas: count from the end
        // (fa_per_hour, false_reject_rate, secondary_test_acc, dir).
        let f: Vec<&str> = row.rsplitn(5, ',').collect();
        assert!(f[3].parse::<f64>().is_ok(), "no FA/h in {row}");
    }
    for f in ["summary.md", "summary.csv", "results.csv", "accuracy.png"] {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    // The table (header, rule, one row per mode), then the per-class table.
    let table: Vec<&str> = md.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(table.len(), 4, "{md}");
    assert!(table[0].contains("paired"), "{md}");
    assert!(
        md.contains("per class") && md.contains("| `none` | "),
        "{md}"
    );
    let png = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(out.join("accuracy.png")).unwrap(),
    ));
    let info = png.read_info().unwrap();
    assert!(info.info().width > 100 && info.info().height > 100);
    // A second call reuses the finished runs instead of retraining.
    let o = bin().args(args).output().unwrap();
    assert!(o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.matches("not retrained").count(), 2, "{err}");
}

/// A copy of the shared run, for commands that write into the run folder.
fn run_copy(tmp: &Path) -> PathBuf {
    let to = tmp.join("run");
    std::fs::create_dir_all(&to).unwrap();
    for e in std::fs::read_dir(&trained().run).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
    to
}

#[test]
fn detect_sweeps_thresholds_and_writes_csv_json_and_det_plot() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    let out = run_ok(&[
        "detect",
        "--run",
        run.to_str().unwrap(),
        "--minutes",
        "3",
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let sweep = r["sweep"].as_array().unwrap();
    assert_eq!(sweep.len(), randommix::detect::sweep_thresholds().len());
    let at = |t: f64| {
        sweep
            .iter()
            .find(|o| (o["threshold"].as_f64().unwrap() - t).abs() < 1e-6)
            .unwrap()
    };
    let recall = |t: f64| at(t)["recall"].as_f64().unwrap();
    let fa = |t: f64| at(t)["false_accepts"].as_u64().unwrap();
    let occurrences = at(0.5)["occurrences"].as_u64().unwrap();
    assert!(occurrences > 8, "{occurrences} keywords in 3 minutes");
    // Recall rises as the threshold falls, and so do false accepts.
    assert!(
        recall(0.3) >= recall(0.9),
        "{} < {}",
        recall(0.3),
        recall(0.9)
    );
    assert!(recall(0.9) >= recall(0.999));
    assert!(recall(0.5) > 0.5, "recall at 0.5: {}", recall(0.5));
    assert!(fa(0.3) >= fa(0.9) && fa(0.9) >= fa(0.999));
    // The stream holds non-speech sounds, not only words and noise files.
    let kinds = r["stream"]["seconds_by_kind"].as_object().unwrap();
    for k in ["tone", "hum", "clicks", "music", "keyword", "unknown_word"] {
        assert!(
            kinds.get(k).and_then(|v| v.as_f64()).unwrap_or(0.0) > 0.0,
            "{k}: {kinds:?}"
        );
    }
    assert_eq!(r["budgets"].as_array().unwrap().len(), 2);
    assert!(
        r["source"]["checkpoint"]
            .as_str()
            .unwrap()
            .ends_with("best.ckpt")
    );
    for f in ["detect_test.json", "detect_test.csv", "detect_test_det.png"] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    let csv = std::fs::read_to_string(run.join("detect_test.csv")).unwrap();
    assert_eq!(csv.lines().count(), sweep.len() + 1);
    assert!(csv.starts_with("threshold,detections,hits,keywords,false_accepts,recall"));
    let png = std::fs::read(run.join("detect_test_det.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    // The same seed gives the same report.
    let again: serde_json::Value = serde_json::from_str(&run_ok(&[
        "detect",
        "--run",
        run.to_str().unwrap(),
        "--minutes",
        "3",
        "--json",
    ]))
    .unwrap();
    assert_eq!(again["sweep"], r["sweep"]);
}

#[test]
fn detect_on_a_stream_without_keywords_finds_none_at_a_high_threshold() {
    let tmp = tempfile::tempdir().unwrap();
    let run = run_copy(tmp.path());
    // 60 s of a quiet room: low noise, nobody speaks.
    let wav = tmp.path().join("room.wav");
    let mut rng = 12345u64;
    let quiet: Vec<f32> = (0..16_000 * 60)
        .map(|_| {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((rng >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.004
        })
        .collect();
    randommix::audio::write_wav(&wav, &quiet, 16_000).unwrap();
    let out = run_ok(&[
        "detect",
        "--run",
        run.to_str().unwrap(),
        "--minutes",
        "0",
        "--negative",
        wav.to_str().unwrap(),
        "--threshold",
        "0.99",
        "--json",
    ]);
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    let at = &r["at_threshold"];
    assert_eq!(at["occurrences"], 0);
    assert_eq!(at["detections"], 0, "{at}");
    assert_eq!(at["false_accepts_per_hour"].as_f64(), Some(0.0));
    let secs = r["stream"]["seconds_by_kind"]["negative_recording"]
        .as_f64()
        .unwrap();
    assert!((secs - 60.0).abs() < 1e-6);
    // Without keywords there is no false-reject rate to plot.
    assert!(run.join("detect_test.csv").is_file());
    assert!(!run.join("detect_test_det.png").exists());
    // Bad input names the file.
    let missing = tmp.path().join("nope.wav");
    let o = bin()
        .args(["detect", "--run", run.to_str().unwrap(), "--minutes", "0"])
        .args(["--negative", missing.to_str().unwrap()])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("nope.wav"), "{err}");
}

#[test]
fn batched_posteriors_give_the_streaming_detections() {
    use randommix::detect::{DetectConfig, build_stream};
    use randommix::stream::{PosteriorTrace, Spotter, StreamConfig};
    let lr = randommix::LoadedRun::open(&trained().run, false).unwrap();
    let index = randommix::data::index::DatasetIndex::open(&data()).unwrap();
    let cfg = DetectConfig {
        minutes: 0.5,
        seed: 4,
        ..DetectConfig::default()
    };
    let (stream, _, _) = build_stream(&lr, &index, randommix::data::Split::Test, &cfg).unwrap();
    let sc = StreamConfig {
        hop_s: 0.1,
        smooth: 3,
        threshold: 0.5,
        thresholds: Vec::new(),
        refractory_s: 1.0,
    };
    let mut sp = Spotter::new(&lr, sc).unwrap();
    let mut live = Vec::new();
    for piece in stream.samples.chunks(160) {
        sp.push(piece, &mut |d| {
            live.push((d.end_s, d.label.clone(), d.score))
        })
        .unwrap();
    }
    let trace = PosteriorTrace::compute(&lr, &stream.samples, 0.1, 3).unwrap();
    let batched = trace.detections(lr.classes(), 0.5, 1.0);
    assert!(!live.is_empty());
    assert_eq!(live.len(), batched.len(), "{live:?} vs {batched:?}");
    for ((t, label, s), (bt, bc, bs)) in live.iter().zip(&batched) {
        assert!(
            (t - bt).abs() < 1e-6 && *label == lr.classes()[*bc],
            "{live:?} vs {batched:?}"
        );
        assert!((s - bs).abs() < 1e-4, "{s} vs {bs}");
    }
    // The end of a recording is flushed: one clip of exactly one second is scored once (its
    // last frames completed with zeros, as the offline front end pads it); before, the
    // batched trace never completed a window on it.
    let one = PosteriorTrace::compute(&lr, &stream.samples[..16_000], 0.1, 3).unwrap();
    assert_eq!(one.times.len(), 1, "{:?}", one.times);
}
