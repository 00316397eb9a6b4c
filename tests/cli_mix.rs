//! `randommix mix` and `randommix render` run as a user would, on the bundled clips.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ndarray::{Array1, Array2, Array3, ArrayD};
use ndarray_npy::{ReadNpyExt, WriteNpyExt};

/// Panel size for a 40 × 101 log-mel: two 404 × 240 tiles per row (see `randommix_viz::render_panel`).
const PANEL_SIZE: (u32, u32) = (854, 686);

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/synthetic")
}

/// The first WAV (sorted by name) of a word folder of the bundled data.
fn first_wav(word: &str) -> PathBuf {
    let dir = data_dir().join(word);
    let mut wavs: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    wavs.sort();
    wavs.into_iter()
        .next()
        .unwrap_or_else(|| panic!("no wav in {}", dir.display()))
}

/// Runs the binary and checks that it never panics.
fn run(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_randommix"))
        .args(args)
        .output()
        .expect("run randommix");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked at"),
        "randommix {args:?} panicked:\n{stderr}"
    );
    out
}

fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        out.status.success(),
        "randommix {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail; returns its stderr.
fn fails(args: &[&str]) -> String {
    let out = run(args);
    assert!(
        !out.status.success(),
        "randommix {args:?} should have failed"
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(stderr.starts_with("error:"), "stderr: {stderr}");
    stderr
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        fs::File::open(path).expect("open png"),
    ));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("buffer size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    (info.width, info.height)
}

fn check_wav(path: &Path) {
    let r = hound::WavReader::open(path).expect("open wav");
    let spec = r.spec();
    assert_eq!(
        (spec.sample_rate, spec.bits_per_sample, spec.channels),
        (16_000, 16, 1)
    );
    assert_eq!(spec.sample_format, hound::SampleFormat::Int);
    let samples: Vec<i16> = r
        .into_samples::<i16>()
        .collect::<Result<_, _>>()
        .expect("samples");
    assert_eq!(samples.len(), 16_000);
    assert!(samples.iter().any(|&v| v != 0), "silent wav");
}

fn read_npy2(path: &Path) -> Array2<f32> {
    Array2::<f32>::read_npy(fs::File::open(path).expect("open npy")).expect("2-D f32 npy")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(path).expect("read json")).expect("parse json")
}

#[test]
fn mix_pair_writes_panel_audio_and_features() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (first_wav("yes"), first_wav("no"));
    let (png_path, wav_path, npy_path) = (
        dir.path().join("mix.png"),
        dir.path().join("mix.wav"),
        dir.path().join("mix.npy"),
    );
    let stdout = ok(&[
        "mix",
        s(&a),
        s(&b),
        "--mode",
        "cutmix",
        "--seed",
        "3",
        "--png",
        s(&png_path),
        "--wav",
        s(&wav_path),
        "--npy",
        s(&npy_path),
    ]);
    assert!(stdout.contains("cutmix with partner 1"), "{stdout}");
    assert!(stdout.contains("λ = "), "{stdout}");

    assert_eq!(png_size(&png_path), PANEL_SIZE);
    let side = json(&dir.path().join("mix.json"));
    assert_eq!(side["mode"], "cutmix");
    assert_eq!(
        (side["a_label"].as_str(), side["b_label"].as_str()),
        (Some("yes"), Some("no"))
    );
    assert_eq!(
        side["png_size"],
        serde_json::json!([PANEL_SIZE.0, PANEL_SIZE.1])
    );
    let lambda = side["lambda"].as_f64().expect("lambda");
    assert!((0.0..1.0).contains(&lambda), "λ {lambda}");
    check_wav(&wav_path);

    // The mix is A outside the box and B inside it: compare with each clip's own features.
    let mixed = read_npy2(&npy_path);
    assert_eq!(mixed.dim(), (40, 101));
    let (fa, fb) = (dir.path().join("a.npy"), dir.path().join("b.npy"));
    ok(&["features", s(&a), "--out", s(&fa)]);
    ok(&["features", s(&b), "--out", s(&fb)]);
    let (fa, fb) = (read_npy2(&fa), read_npy2(&fb));
    let m = &side["mask"];
    assert_eq!(m["kind"], "box");
    let get = |k: &str| m[k].as_u64().expect("box field") as usize;
    let (top, left, height, width) = (get("top"), get("left"), get("height"), get("width"));
    assert!(height * width > 0, "empty box");
    let box_share = 1.0 - (height * width) as f64 / (40.0 * 101.0);
    assert!(
        (box_share - lambda).abs() < 1e-6,
        "λ {lambda} vs box share {box_share}"
    );
    for ((r, c), &v) in mixed.indexed_iter() {
        let inside = (top..top + height).contains(&r) && (left..left + width).contains(&c);
        let expect = if inside { fb[[r, c]] } else { fa[[r, c]] };
        assert_eq!(v, expect, "cell ({r}, {c}) inside={inside}");
    }
}

#[test]
fn mix_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (first_wav("yes"), first_wav("no"));
    let npy = dir.path().join("m.npy");
    ok(&["mix", s(&a), s(&b), "--mode", "mixup", "--npy", s(&npy)]);
    let before = fs::read(&npy).expect("read");
    let err = fails(&["mix", s(&a), s(&b), "--mode", "fmix", "--npy", s(&npy)]);
    assert!(err.contains(s(&npy)) && err.contains("--force"), "{err}");
    assert_eq!(
        fs::read(&npy).expect("read"),
        before,
        "file changed without --force"
    );
    // The PNG's sidecar counts as an output too.
    let png = dir.path().join("p.png");
    fs::write(dir.path().join("p.json"), "{}").expect("write");
    let err = fails(&["mix", s(&a), s(&b), "--png", s(&png)]);
    assert!(err.contains("p.json"), "{err}");
    assert!(
        !png.exists(),
        "nothing may be written when an output exists"
    );
    ok(&[
        "mix",
        s(&a),
        s(&b),
        "--mode",
        "fmix",
        "--npy",
        s(&npy),
        "--force",
    ]);
    assert_ne!(fs::read(&npy).expect("read"), before);
}

#[test]
fn every_mode_pairs_a_with_b_and_same_seed_repeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (first_wav("yes"), first_wav("no"));
    for mode in [
        "mixup",
        "cutmix",
        "resizemix",
        "fmix",
        "mixup:1,fmix:1(region=time)",
    ] {
        let (n1, n2) = (
            dir.path().join(format!("{mode}1.npy")),
            dir.path().join(format!("{mode}2.npy")),
        );
        for (seed, n) in [("5", &n1), ("5", &n2)] {
            let stdout = ok(&[
                "mix",
                s(&a),
                s(&b),
                "--mode",
                mode,
                "--seed",
                seed,
                "--npy",
                s(n),
            ]);
            assert!(stdout.contains("with partner 1"), "{mode}: {stdout}");
            assert_eq!(
                stdout.lines().filter(|l| l.starts_with("clip ")).count(),
                1,
                "{stdout}"
            );
        }
        assert_eq!(
            fs::read(&n1).expect("read"),
            fs::read(&n2).expect("read"),
            "{mode}"
        );
        assert_eq!(read_npy2(&n1).dim(), (40, 101));
    }
}

#[test]
fn mix_random_batch_writes_one_result_per_clip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("out");
    let folder = format!("{}/", s(&out));
    let stdout = ok(&[
        "mix",
        "--random",
        "4",
        "--data",
        s(&data_dir()),
        "--seed",
        "1",
        "--png",
        &folder,
        "--npy",
        &folder,
    ]);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("clip ")).count(),
        4,
        "{stdout}"
    );
    assert!(stdout.contains("λ"), "{stdout}");
    assert!(!stdout.contains("_background_noise_"), "{stdout}");
    let mut names: Vec<String> = fs::read_dir(&out)
        .expect("out dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 12, "{names:?}");
    for i in 0..4 {
        let prefix = format!("mix_{i:03}_");
        for ext in ["png", "json", "npy"] {
            assert!(
                names
                    .iter()
                    .any(|n| n.starts_with(&prefix) && n.ends_with(ext)),
                "{prefix}*.{ext} in {names:?}"
            );
        }
    }
    for n in names.iter().filter(|n| n.ends_with(".png")) {
        assert_eq!(png_size(&out.join(n)), PANEL_SIZE, "{n}");
    }
    // Name templates.
    let tpl = dir.path().join("t/m{i}.npy");
    ok(&[
        "mix",
        s(&first_wav("yes")),
        s(&first_wav("no")),
        s(&first_wav("up")),
        "--npy",
        s(&tpl),
    ]);
    for i in 0..3 {
        assert_eq!(
            read_npy2(&dir.path().join(format!("t/m{i:03}.npy"))).dim(),
            (40, 101)
        );
    }
}

#[test]
fn render_draws_and_plays_saved_features() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (first_wav("yes"), first_wav("no"));
    let npy = dir.path().join("m.npy");
    ok(&["mix", s(&a), s(&b), "--mode", "resizemix", "--npy", s(&npy)]);
    let (png_path, wav_path) = (dir.path().join("r.png"), dir.path().join("r.wav"));
    let stdout = ok(&[
        "render",
        s(&npy),
        "--png",
        s(&png_path),
        "--wav",
        s(&wav_path),
    ]);
    assert!(stdout.contains("r.png"), "{stdout}");
    assert_eq!(png_size(&png_path), (404, 240));
    check_wav(&wav_path);
    let err = fails(&["render", s(&npy), "--png", s(&png_path)]);
    assert!(err.contains("r.png") && err.contains("--force"), "{err}");

    // [clips, mels, frames] from `features`: one file per clip.
    let batch = dir.path().join("batch.npy");
    ok(&["features", s(&a), s(&b), "--out", s(&batch)]);
    let outdir = format!("{}/", s(&dir.path().join("frames")));
    ok(&["render", s(&batch), "--png", &outdir]);
    for i in 0..2 {
        assert_eq!(
            png_size(&dir.path().join(format!("frames/batch_{i:03}.png"))),
            (404, 240)
        );
    }
}

#[test]
fn render_rejects_bad_npy_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("x.png");
    let f64_npy = dir.path().join("double.npy");
    Array2::<f64>::zeros((40, 101))
        .write_npy(fs::File::create(&f64_npy).expect("create"))
        .expect("write");
    let rank1 = dir.path().join("rank1.npy");
    Array1::<f32>::zeros(40)
        .write_npy(fs::File::create(&rank1).expect("create"))
        .expect("write");
    let rank5 = dir.path().join("rank5.npy");
    ArrayD::<f32>::zeros(vec![1, 1, 1, 2, 2])
        .write_npy(fs::File::create(&rank5).expect("create"))
        .expect("write");
    let empty = dir.path().join("empty.npy");
    Array3::<f32>::zeros((0, 40, 101))
        .write_npy(fs::File::create(&empty).expect("create"))
        .expect("write");
    let text = dir.path().join("notes.npy");
    fs::write(&text, "not an array\n").expect("write");
    let missing = dir.path().join("missing.npy");
    for (bad, word) in [
        (&f64_npy, "float32"),
        (&rank1, "shape"),
        (&rank5, "shape"),
        (&empty, "empty"),
        (&text, "npy"),
        (&missing, ""),
    ] {
        let err = fails(&["render", s(bad), "--png", s(&out)]);
        assert!(err.contains(s(bad)) && err.contains(word), "{err}");
    }
    assert!(!out.exists());
    // The WAV inversion needs the front end's 40 mel bands.
    let mels64 = dir.path().join("mels64.npy");
    Array2::<f32>::zeros((64, 101))
        .write_npy(fs::File::create(&mels64).expect("create"))
        .expect("write");
    let err = fails(&["render", s(&mels64), "--wav", s(&dir.path().join("x.wav"))]);
    assert!(
        err.contains("mels64.npy") && err.contains("64 mel bands"),
        "{err}"
    );
}

#[test]
fn mix_errors_are_clear() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = first_wav("yes");
    let missing = dir.path().join("missing.wav");
    let err = fails(&["mix", s(&a), s(&missing)]);
    assert!(err.contains("missing.wav"), "{err}");
    let text = dir.path().join("text.wav");
    fs::write(&text, "hello").expect("write");
    let err = fails(&["mix", s(&a), s(&text)]);
    assert!(err.contains("text.wav"), "{err}");
    let err = fails(&["mix", s(&a)]);
    assert!(err.contains("at least two clips"), "{err}");
    let err = fails(&["mix", s(&a), s(&a), "--mode", "cutmix(alpha=x)"]);
    assert!(err.contains("alpha=x"), "{err}");
    let err = fails(&["mix", "--random", "100000", "--data", s(&data_dir())]);
    assert!(err.contains("cannot pick 100000"), "{err}");
    let err = fails(&["mix", "--random", "3", "--data", s(&missing)]);
    assert!(err.contains("missing.wav"), "{err}");
}
