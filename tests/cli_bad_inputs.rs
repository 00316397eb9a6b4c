//! The bad-input matrix, through the command line: for every kind of input WAV (empty, not a
//! WAV, truncated header or data, a header claiming gigabytes, every supported encoding,
//! stereo, other rates, NaN/∞ samples, a long clip), `features`, `mix`, `predict` and the
//! dataset loader (`train`) either give the documented result or exit non-zero with a message
//! that names the file and the problem. No panic message ever reaches the user.

mod common;

use std::path::{Path, PathBuf};

use common::{
    assert_fails_naming, hound_wav, leftovers, pcm16, raw_wav, run, run_limited, tiny_dataset,
    tiny_run, tiny_train_args, tone,
};
use randommix::features::read_npy_f32;

/// What a case must give.
enum Expect {
    /// Decodes: the documented result.
    Ok,
    /// Fails with a message naming the file and containing all of these.
    Err(&'static [&'static str]),
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

/// A one-second 440 Hz tone in the given format.
fn tone_in(rate: u32, channels: u16, bits: u16, float: bool) -> Vec<u8> {
    hound_wav(&tone(440.0, rate, 1.0), rate, channels, bits, float)
}

/// A float WAV whose sample 100 is `bad`.
fn float_with(bad: f32) -> Vec<u8> {
    let mut x = tone(440.0, 16_000, 1.0);
    x[100] = bad;
    hound_wav(&x, 16_000, 1, 32, true)
}

fn cases() -> Vec<Case> {
    let good = pcm16(&tone(440.0, 16_000, 1.0));
    let data_of_16k = vec![0u8; 32_000];
    let c = |name, bytes, expect| Case {
        name,
        bytes,
        expect,
    };
    vec![
        c("zero-byte.wav", Vec::new(), Expect::Err(&["empty file"])),
        c(
            "text.wav",
            b"yes, this is a text file\n".to_vec(),
            Expect::Err(&["not a WAV file"]),
        ),
        c(
            "truncated-header.wav",
            good[..30].to_vec(),
            Expect::Err(&["truncated header"]),
        ),
        c(
            "truncated-data.wav",
            good[..44 + 1000].to_vec(),
            Expect::Err(&["truncated data chunk", "32000"]),
        ),
        c(
            "claims-gigabytes.wav",
            raw_wav(1, 1, 16_000, 16, 0xFFFF_FFF0, &data_of_16k),
            Expect::Err(&["truncated data chunk", "4294967280"]),
        ),
        c(
            "claims-gigabytes-float.wav",
            raw_wav(3, 2, 16_000, 32, 0xFFFF_FFF8, &data_of_16k),
            Expect::Err(&["truncated data chunk", "4294967288"]),
        ),
        c(
            "alaw.wav",
            raw_wav(6, 1, 8_000, 8, 8_000, &[0xD5u8; 8_000]),
            Expect::Err(&["unsupported format", "A-law"]),
        ),
        c(
            "pcm12.wav",
            raw_wav(1, 1, 16_000, 12, 32_000, &data_of_16k),
            Expect::Err(&["unsupported format", "12-bit"]),
        ),
        c(
            "rate-0.wav",
            raw_wav(1, 1, 0, 16, 32_000, &data_of_16k),
            Expect::Err(&["sample rate"]),
        ),
        c("pcm8.wav", tone_in(16_000, 1, 8, false), Expect::Ok),
        c("pcm16.wav", tone_in(16_000, 1, 16, false), Expect::Ok),
        c("pcm24.wav", tone_in(16_000, 1, 24, false), Expect::Ok),
        c("pcm32.wav", tone_in(16_000, 1, 32, false), Expect::Ok),
        c("float32.wav", tone_in(16_000, 1, 32, true), Expect::Ok),
        c("stereo.wav", tone_in(16_000, 2, 16, false), Expect::Ok),
        c("rate-8k.wav", tone_in(8_000, 1, 16, false), Expect::Ok),
        c("rate-44k1.wav", tone_in(44_100, 1, 16, false), Expect::Ok),
        c("rate-1k.wav", tone_in(1_000, 1, 16, false), Expect::Ok),
        c("rate-96k.wav", tone_in(96_000, 2, 24, false), Expect::Ok),
        c(
            "rate-999.wav",
            tone_in(999, 1, 16, false),
            Expect::Err(&["unsupported format", "sample rate 999 Hz"]),
        ),
        c(
            "nan.wav",
            float_with(f32::NAN),
            Expect::Err(&["non-finite samples", "frame 100"]),
        ),
        c(
            "inf.wav",
            float_with(f32::INFINITY),
            Expect::Err(&["non-finite samples", "frame 100"]),
        ),
        c(
            "minus-inf.wav",
            float_with(f32::NEG_INFINITY),
            Expect::Err(&["non-finite samples"]),
        ),
        c(
            "long-30s.wav",
            pcm16(&tone(440.0, 16_000, 30.0)),
            Expect::Ok,
        ),
    ]
}

fn write_cases(dir: &Path) -> Vec<(PathBuf, Case)> {
    std::fs::create_dir_all(dir).unwrap();
    cases()
        .into_iter()
        .map(|c| {
            let p = dir.join(c.name);
            std::fs::write(&p, &c.bytes).unwrap();
            (p, c)
        })
        .collect()
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// A `[40, 101]` log-mel with finite values, as `features` and `mix --npy` document.
fn assert_logmel(p: &Path, what: &str) -> ndarray::ArrayD<f32> {
    let a = read_npy_f32(p).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(a.shape(), [40, 101], "{what}");
    assert!(
        a.iter().all(|v| v.is_finite()),
        "{what}: non-finite log-mel"
    );
    a
}

#[test]
fn features_and_mix_on_every_input() {
    let tmp = tempfile::tempdir().unwrap();
    let inputs = tmp.path().join("in");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let partner = tmp.path().join("partner.wav");
    std::fs::write(&partner, pcm16(&tone(880.0, 16_000, 1.0))).unwrap();

    for (path, case) in write_cases(&inputs) {
        let stem = case.name.trim_end_matches(".wav");
        let feats = out.join(format!("{stem}.features.npy"));
        // 1 GiB of address space: a 4 GiB allocation from a header field would fail.
        let r = run_limited(1 << 20, &["features", &s(&path), "--out", &s(&feats)]);
        let mixed = out.join(format!("{stem}.mix.npy"));
        let panel = out.join(format!("{stem}.mix.png"));
        let rm = run_limited(
            1 << 20,
            &[
                "mix",
                &s(&path),
                &s(&partner),
                "--mode",
                "cutmix",
                "--npy",
                &s(&mixed),
                "--png",
                &s(&panel),
            ],
        );
        match case.expect {
            Expect::Ok => {
                assert!(r.ok, "features {}: {}", case.name, r.stderr);
                assert_logmel(&feats, case.name);
                assert!(rm.ok, "mix {}: {}", case.name, rm.stderr);
                assert_logmel(&mixed, case.name);
                assert!(panel.is_file() && panel.with_extension("json").is_file());
            }
            Expect::Err(problem) => {
                assert_fails_naming(&r, &path, problem, &format!("features {}", case.name));
                assert!(!feats.exists(), "features {}: output written", case.name);
                assert_fails_naming(&rm, &path, problem, &format!("mix {}", case.name));
                assert!(!mixed.exists() && !panel.exists(), "mix {}", case.name);
            }
        }
        // The partner position reads the file the same way.
        let r = run(&["mix", &s(&partner), &s(&path), "--mode", "mixup"]);
        match case.expect {
            Expect::Ok => assert!(r.ok, "mix (partner) {}: {}", case.name, r.stderr),
            Expect::Err(problem) => {
                assert_fails_naming(&r, &path, problem, &format!("mix (partner) {}", case.name))
            }
        }
    }
    assert_eq!(leftovers(tmp.path()), Vec::<PathBuf>::new());

    // The documented results in detail. A long clip is cropped to its first second.
    let first_second = inputs.join("first-second.wav");
    std::fs::write(&first_second, pcm16(&tone(440.0, 16_000, 1.0))).unwrap();
    let a = out.join("first-second.npy");
    assert!(run(&["features", &s(&first_second), "--out", &s(&a)]).ok);
    let long = assert_logmel(&out.join("long-30s.features.npy"), "long");
    assert_eq!(
        read_npy_f32(&a).unwrap(),
        long,
        "a long clip is not its first second"
    );
    // Stereo is the mean of the channels: both channels equal gives the mono result.
    assert_eq!(
        assert_logmel(&out.join("stereo.features.npy"), "stereo"),
        assert_logmel(&out.join("pcm16.features.npy"), "mono"),
    );
    // Every encoding and rate gives the same tone: the 440 Hz band is the loudest one.
    let peak_band = |name: &str| {
        let a = assert_logmel(&out.join(format!("{name}.features.npy")), name);
        let col = a.index_axis(ndarray::Axis(1), 50).to_owned();
        col.iter()
            .enumerate()
            .max_by(|x, y| x.1.total_cmp(y.1))
            .unwrap()
            .0
    };
    let want = peak_band("pcm16");
    for name in [
        "pcm8",
        "pcm24",
        "pcm32",
        "float32",
        "stereo",
        "rate-8k",
        "rate-44k1",
        "rate-1k",
        "rate-96k",
    ] {
        assert_eq!(peak_band(name), want, "{name}");
    }
}

#[test]
fn features_on_a_folder_names_the_bad_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("clips");
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..5 {
        std::fs::write(
            dir.join(format!("ok{i}.wav")),
            pcm16(&tone(300.0 + 50.0 * i as f32, 16_000, 1.0)),
        )
        .unwrap();
    }
    let bad = dir.join("broken.wav");
    std::fs::write(&bad, &pcm16(&tone(300.0, 16_000, 1.0))[..100]).unwrap();
    let out = tmp.path().join("all.npy");
    let r = run(&["features", &s(&dir), "--out", &s(&out)]);
    assert_fails_naming(&r, &bad, &["truncated data chunk"], "features on a folder");
    assert!(!out.exists() && !out.with_extension("files.txt").exists());
    std::fs::remove_file(&bad).unwrap();
    let r = run(&["features", &s(&dir), "--out", &s(&out)]);
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(read_npy_f32(&out).unwrap().shape(), [5, 40, 101]);
}

#[test]
fn predict_on_every_input() {
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tiny_run(tmp.path());
    let inputs = tmp.path().join("in");
    let classes = ["_silence_", "_unknown_", "yes", "no"];
    for (path, case) in write_cases(&inputs) {
        let r = run_limited(
            2 << 20,
            &["predict", "--run", &s(&run_dir), &s(&path), "--json"],
        );
        match case.expect {
            Expect::Ok => {
                assert!(r.ok, "predict {}: {}", case.name, r.stderr);
                let v: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
                let top = v[0]["top"].as_array().unwrap();
                assert_eq!(top.len(), 3, "{}", case.name);
                let mut total = 0.0;
                for t in top {
                    assert!(classes.contains(&t["label"].as_str().unwrap()));
                    let p = t["probability"].as_f64().unwrap();
                    assert!((0.0..=1.0).contains(&p), "{}: {p}", case.name);
                    total += p;
                }
                assert!(total <= 1.0 + 1e-5, "{}", case.name);
            }
            Expect::Err(problem) => {
                assert_fails_naming(&r, &path, problem, &format!("predict {}", case.name))
            }
        }
        // `spot` reads the recording the same way.
        let r = run(&["spot", "--run", &s(&run_dir), &s(&path), "--json"]);
        match case.expect {
            Expect::Ok => {
                assert!(r.ok, "spot {}: {}", case.name, r.stderr);
                assert!(serde_json::from_str::<serde_json::Value>(r.stdout.trim()).is_ok());
            }
            Expect::Err(problem) => {
                assert_fails_naming(&r, &path, problem, &format!("spot {}", case.name))
            }
        }
    }
    // One bad clip among good ones stops the command with its name; nothing is printed for
    // the others.
    let good = inputs.join("pcm16.wav");
    let bad = inputs.join("nan.wav");
    let r = run(&["predict", "--run", &s(&run_dir), &s(&good), &s(&bad)]);
    assert_fails_naming(&r, &bad, &["non-finite"], "predict good + bad");
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn dataset_loader_on_every_input() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = write_cases(&tmp.path().join("in"));

    // Every decodable format in one data set: training works.
    let good = tmp.path().join("good");
    tiny_dataset(&good);
    let mut n_good = 0;
    for (path, case) in &cases {
        if matches!(case.expect, Expect::Ok) {
            let name = format!("x{}_nohash_0.wav", case.name.trim_end_matches(".wav"));
            std::fs::copy(path, good.join("yes").join(name)).unwrap();
            n_good += 1;
        }
    }
    assert!(n_good >= 9);
    let r = run(&tiny_train_args(&good, &tmp.path().join("run-good")));
    assert!(r.ok, "training on every format failed:\n{}", r.stderr);

    // Each bad file alone in an otherwise good data set: a precise error.
    for (path, case) in &cases {
        let Expect::Err(problem) = case.expect else {
            continue;
        };
        let data = tmp.path().join(format!("data-{}", case.name));
        tiny_dataset(&data);
        let placed = data.join("yes").join(format!("bad_nohash_{}", case.name));
        std::fs::copy(path, &placed).unwrap();
        let out = tmp.path().join(format!("run-{}", case.name));
        let r = run_limited(2 << 20, &tiny_train_args(&data, &out));
        assert_fails_naming(&r, &placed, problem, &format!("train with {}", case.name));
        assert!(
            r.stderr.contains(&s(&placed)),
            "the error does not give the full path {}:\n{}",
            placed.display(),
            r.stderr
        );
        assert!(!out.join("best.ckpt").exists() && !out.join("config.json").exists());
        // `eval --data` on this folder, with the file in the test split: the same error.
        let listed = format!("yes/bad_nohash_{}\n", case.name);
        let test_list = data.join("testing_list.txt");
        let original = std::fs::read_to_string(&test_list).unwrap();
        std::fs::write(&test_list, format!("{original}{listed}")).unwrap();
        let r = run(&[
            "eval",
            "--run",
            &s(&tmp.path().join("run-good")),
            "--data",
            &s(&data),
            "--split",
            "test",
        ]);
        assert_fails_naming(&r, &placed, problem, &format!("eval with {}", case.name));
        std::fs::write(&test_list, original).unwrap();
        // The same file as background noise is refused the same way.
        let noise = data.join("_background_noise_").join(case.name);
        std::fs::rename(&placed, &noise).unwrap();
        let r = run(&tiny_train_args(
            &data,
            &tmp.path().join(format!("run2-{}", case.name)),
        ));
        assert_fails_naming(&r, &noise, problem, &format!("noise {}", case.name));
    }
}
