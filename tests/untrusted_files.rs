//! Untrusted checkpoints and spectrograms, and safe outputs: a corrupt or mismatched
//! checkpoint or run configuration, and a `.npy` of the wrong dtype, rank or size, fail with
//! an error naming the file; an unwritable or full output location is an error that leaves
//! no partial file; existing outputs are never silently replaced.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_fails_naming, leftovers, pcm16, run, sections, tiny_run, tone};

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
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

/// Runs `eval` and `predict` on `run_dir` and checks both fail naming `file` and `problem`.
fn assert_run_refused(run_dir: &Path, clip: &Path, file: &Path, problem: &[&str], what: &str) {
    let r = run(&["eval", "--run", &s(run_dir), "--json"]);
    assert_fails_naming(&r, file, problem, &format!("eval: {what}"));
    let r = run(&["predict", "--run", &s(run_dir), &s(clip)]);
    assert_fails_naming(&r, file, problem, &format!("predict: {what}"));
    let r = run(&["spot", "--run", &s(run_dir), &s(clip)]);
    assert_fails_naming(&r, file, problem, &format!("spot: {what}"));
}

fn edit_config(run_dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let p = run_dir.join("config.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn corrupt_and_mismatched_checkpoints_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tiny_run(tmp.path());
    let clip = tmp.path().join("clip.wav");
    std::fs::write(&clip, pcm16(&tone(440.0, 16_000, 1.0))).unwrap();
    assert!(run(&["predict", "--run", &s(&good), &s(&clip)]).ok);

    let ckpt = std::fs::read(good.join("best.ckpt")).unwrap();
    let secs = sections(&ckpt);
    let (model_at, model_len) = secs[1];
    let mut k = 0;
    let mut case = |what: &str, bytes: Vec<u8>, problem: &[&str]| {
        k += 1;
        let dir = tmp.path().join(format!("case{k}"));
        copy_run(&good, &dir);
        let best = dir.join("best.ckpt");
        std::fs::write(&best, bytes).unwrap();
        assert_run_refused(&dir, &clip, &best, problem, what);
    };
    case(
        "empty checkpoint",
        Vec::new(),
        &["not a randommix checkpoint"],
    );
    case("text", b"hello".to_vec(), &["not a randommix checkpoint"]);
    case("cut after the magic", ckpt[..12].to_vec(), &["truncated"]);
    case(
        "cut in the model section",
        ckpt[..model_at + model_len / 2].to_vec(),
        &["truncated or corrupt"],
    );
    case(
        "cut by one byte",
        ckpt[..ckpt.len() - 1].to_vec(),
        &["truncated or corrupt"],
    );
    let mut trailing = ckpt.clone();
    trailing.extend_from_slice(b"junk");
    case("trailing bytes", trailing, &["trailing bytes"]);
    let mut huge = ckpt.clone();
    huge[model_at - 8..model_at].copy_from_slice(&(1u64 << 40).to_le_bytes());
    case(
        "a section claiming a terabyte",
        huge,
        &["claims 1099511627776 bytes"],
    );
    let mut state = ckpt.clone();
    state[secs[0].0] = b'#';
    case("corrupt state JSON", state, &["checksum mismatch"]);
    // Garbage over the whole model section, same length.
    let mut garbage = ckpt.clone();
    for (i, b) in garbage[model_at..model_at + model_len]
        .iter_mut()
        .enumerate()
    {
        *b = (i * 7 + 3) as u8;
    }
    case("garbage model section", garbage, &["checksum mismatch"]);
    // Flipped bytes in the middle of the model section (header intact, weights damaged or not).
    let mut flipped = ckpt.clone();
    for b in &mut flipped[model_at + model_len / 3..model_at + model_len / 3 + 64] {
        *b ^= 0xA5;
    }
    let dir = tmp.path().join("flipped");
    copy_run(&good, &dir);
    std::fs::write(dir.join("best.ckpt"), flipped).unwrap();
    // The checksum catches damage that would otherwise load as wrong weights.
    assert_run_refused(
        &dir,
        &clip,
        &dir.join("best.ckpt"),
        &["checksum mismatch"],
        "flipped bytes in the weights",
    );

    // A missing checkpoint.
    let dir = tmp.path().join("missing");
    copy_run(&good, &dir);
    std::fs::remove_file(dir.join("best.ckpt")).unwrap();
    assert_run_refused(
        &dir,
        &clip,
        &dir.join("best.ckpt"),
        &[],
        "missing best.ckpt",
    );

    // config.json edited: other class count, other model shape, other input size, garbage.
    let mut k = 0;
    let mut config_case =
        |what: &str, edit: &dyn Fn(&mut serde_json::Value), file: &str, problem: &[&str]| {
            k += 1;
            let dir = tmp.path().join(format!("config{k}"));
            copy_run(&good, &dir);
            edit_config(&dir, edit);
            assert_run_refused(&dir, &clip, &dir.join(file), problem, what);
        };
    config_case(
        "model with 7 classes",
        &|v| v["model"]["n_classes"] = 7.into(),
        "config.json",
        &["lists 4 classes", "7 outputs"],
    );
    config_case(
        "class list of 6",
        &|v| {
            v["classes"] = serde_json::json!(["_silence_", "_unknown_", "yes", "no", "up", "down"])
        },
        "config.json",
        &["6 classes", "4"],
    );
    config_case(
        "class list and model of 6",
        &|v| {
            v["classes"] = serde_json::json!(["_silence_", "_unknown_", "yes", "no", "up", "down"]);
            v["model"]["n_classes"] = 6.into();
        },
        "best.ckpt",
        &["do not fit"],
    );
    config_case(
        "other channel list",
        &|v| v["model"]["channels"] = serde_json::json!([16, 32, 32, 64]),
        "best.ckpt",
        &["do not fit"],
    );
    config_case(
        "one block more",
        &|v| v["model"]["channels"] = serde_json::json!([16, 32, 64, 64, 64]),
        "best.ckpt",
        &["do not fit"],
    );
    config_case(
        "one block less",
        &|v| v["model"]["channels"] = serde_json::json!([16, 32, 64]),
        "best.ckpt",
        &["do not fit"],
    );
    config_case(
        "no channels",
        &|v| v["model"]["channels"] = serde_json::json!([]),
        "config.json",
        &["channels"],
    );
    config_case(
        "80 mel bands in the front end",
        &|v| v["mel"]["n_mels"] = 80.into(),
        "config.json",
        &["n_mels", "80", "40"],
    );
    config_case(
        "a 2 s clip length",
        &|v| v["clip_samples"] = 32_000.into(),
        "config.json",
        &["frames"],
    );
    config_case(
        "zero normalisation std",
        &|v| v["normalization"]["std"] = 0.0.into(),
        "config.json",
        &["normalisation"],
    );
    config_case(
        "not JSON",
        &|v| *v = serde_json::json!("not a config"),
        "config.json",
        &["not a valid run configuration"],
    );
    // The damaged runs above did not touch the good one.
    assert!(run(&["predict", "--run", &s(&good), &s(&clip)]).ok);
}

#[test]
fn resuming_from_a_damaged_checkpoint_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tiny_run(tmp.path());
    let dir = tmp.path().join("damaged");
    copy_run(&good, &dir);
    let last = dir.join("last.ckpt");
    let b = std::fs::read(&last).unwrap();
    std::fs::write(&last, &b[..b.len() / 2]).unwrap();
    edit_config(&dir, |v| v["epochs"] = 2.into());
    let r = run(&["train", "--quiet", "--resume", &s(&dir)]);
    assert_fails_naming(&r, &last, &["truncated or corrupt"], "resume");
    // Its weights do not fit the model: refused too, before any training.
    let dir = tmp.path().join("mismatched");
    copy_run(&good, &dir);
    edit_config(&dir, |v| {
        v["epochs"] = 2.into();
        v["model"]["channels"] = serde_json::json!([8, 8, 8, 8]);
    });
    let before = std::fs::read(dir.join("metrics.csv")).unwrap();
    let r = run(&["train", "--quiet", "--resume", &s(&dir)]);
    assert_fails_naming(
        &r,
        &dir.join("last.ckpt"),
        &["do not fit"],
        "resume mismatched",
    );
    assert_eq!(std::fs::read(dir.join("metrics.csv")).unwrap(), before);
}

/// A `.npy` file: `descr`, shape and raw data bytes.
fn npy(descr: &str, shape: &str, data: &[u8]) -> Vec<u8> {
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(header.len() as u16).to_le_bytes());
    b.extend_from_slice(header.as_bytes());
    b.extend_from_slice(data);
    b
}

fn f32_bytes(n: usize, v: f32) -> Vec<u8> {
    (0..n).flat_map(|_| v.to_le_bytes()).collect()
}

#[test]
fn corrupt_or_mismatched_npy_for_render_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let good = npy("<f4", "(40, 101)", &f32_bytes(40 * 101, -30.0));
    let mut v3 = b"\x93NUMPY\x03\x00".to_vec();
    v3.extend_from_slice(&u32::MAX.to_le_bytes());
    v3.extend_from_slice(b"{'descr': '<f4'");
    let mut v2 = b"\x93NUMPY\x02\x00".to_vec();
    v2.extend_from_slice(&0xFFFF_FF00u32.to_le_bytes());
    let cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("empty", Vec::new(), &["not a .npy file"]),
        ("text", b"40 101\n".to_vec(), &["not a .npy file"]),
        (
            "wav",
            pcm16(&tone(440.0, 16_000, 0.1)),
            &["not a .npy file"],
        ),
        (
            "float64",
            npy("<f8", "(40, 101)", &vec![0u8; 40 * 101 * 8]),
            &["dtype", "<f8"],
        ),
        (
            "int32",
            npy("<i4", "(40, 101)", &vec![0u8; 40 * 101 * 4]),
            &["dtype", "<i4"],
        ),
        (
            "uint8",
            npy("|u1", "(40, 101)", &vec![0u8; 40 * 101]),
            &["dtype"],
        ),
        (
            "rank1",
            npy("<f4", "(4040,)", &f32_bytes(4040, 0.0)),
            &["shape", "[4040]"],
        ),
        ("rank0", npy("<f4", "()", &f32_bytes(1, 0.0)), &["shape"]),
        (
            "rank5",
            npy("<f4", "(1, 1, 1, 40, 101)", &f32_bytes(4040, 0.0)),
            &["shape", "[1, 1, 1, 40, 101]"],
        ),
        (
            "rank4-two-channels",
            npy("<f4", "(1, 2, 40, 101)", &f32_bytes(8080, 0.0)),
            &["shape"],
        ),
        ("empty-array", npy("<f4", "(0, 101)", &[]), &["empty array"]),
        (
            "truncated",
            good[..good.len() - 100].to_vec(),
            &["damaged", "16160"],
        ),
        ("trailing", [&good[..], &[0u8; 12]].concat(), &["damaged"]),
        ("header-cut", good[..40].to_vec(), &["not a .npy file"]),
        (
            "claims-petabytes",
            npy("<f4", "(1000000000, 1000000)", &f32_bytes(16, 0.0)),
            &["damaged", "1000000000, 1000000"],
        ),
        (
            "shape-overflow",
            npy("<f4", "(18446744073709551615, 3)", &f32_bytes(16, 0.0)),
            &["overflows"],
        ),
        ("header-claims-4GiB-v3", v3, &["not a .npy file"]),
        ("header-claims-4GiB-v2", v2, &["not a .npy file"]),
        (
            "fortran-bad",
            good.iter()
                .map(|&b| if b == b'F' { b'X' } else { b })
                .collect(),
            &["not a .npy file"],
        ),
    ];
    for (name, bytes, problem) in cases {
        let input = tmp.path().join(format!("{name}.npy"));
        std::fs::write(&input, &bytes).unwrap();
        let out = tmp.path().join(format!("{name}-out"));
        let r = common::run_limited(
            1 << 20,
            &[
                "render",
                &s(&input),
                "--png",
                &format!("{}/", s(&out)),
                "--wav",
                &format!("{}/", s(&out)),
            ],
        );
        assert_fails_naming(&r, &input, problem, &format!("render {name}"));
        assert!(
            !out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(),
            "{name}"
        );
    }
    // Non-finite values draw (NaN in magenta) but cannot become audio.
    let mut nan = f32_bytes(40 * 101, -30.0);
    nan[400..404].copy_from_slice(&f32::NAN.to_le_bytes());
    let input = tmp.path().join("nan.npy");
    std::fs::write(&input, npy("<f4", "(40, 101)", &nan)).unwrap();
    let png = tmp.path().join("nan.png");
    assert!(run(&["render", &s(&input), "--png", &s(&png)]).ok);
    assert!(png.is_file());
    let r = run(&[
        "render",
        &s(&input),
        "--wav",
        &s(&tmp.path().join("nan.wav")),
    ]);
    assert_fails_naming(&r, &input, &["non-finite"], "render NaN to audio");
    // The well-formed file renders, big-endian too.
    for (name, bytes) in [
        ("good", good.clone()),
        (
            "big-endian",
            npy(
                ">f4",
                "(40, 101)",
                &(0..4040)
                    .flat_map(|_| (-30.0f32).to_be_bytes())
                    .collect::<Vec<u8>>(),
            ),
        ),
    ] {
        let input = tmp.path().join(format!("{name}.npy"));
        std::fs::write(&input, bytes).unwrap();
        let r = run(&[
            "render",
            &s(&input),
            "--png",
            &s(&tmp.path().join(format!("{name}.png"))),
        ]);
        assert!(r.ok, "{name}: {}", r.stderr);
    }
    assert_eq!(leftovers(tmp.path()), Vec::<PathBuf>::new());
}

#[test]
fn unwritable_outputs_are_errors_without_partial_files() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.wav");
    std::fs::write(&clip, pcm16(&tone(440.0, 16_000, 1.0))).unwrap();
    let partner = tmp.path().join("partner.wav");
    std::fs::write(&partner, pcm16(&tone(880.0, 16_000, 1.0))).unwrap();
    // A path under a regular file cannot be created, even by root.
    let file = tmp.path().join("file.txt");
    std::fs::write(&file, "I am a file").unwrap();
    let under_file = file.join("out.npy");
    let r = run(&["features", &s(&clip), "--out", &s(&under_file)]);
    assert_fails_naming(&r, &under_file, &["cannot write"], "features under a file");
    for (flag, name) in [("--npy", "m.npy"), ("--png", "m.png"), ("--wav", "m.wav")] {
        let p = file.join(name);
        let r = run(&["mix", &s(&clip), &s(&partner), flag, &s(&p)]);
        assert_fails_naming(&r, &p, &[], &format!("mix {flag} under a file"));
    }
    let good_npy = tmp.path().join("good.npy");
    assert!(run(&["features", &s(&clip), "--out", &s(&good_npy)]).ok);
    for flag in ["--png", "--wav"] {
        let p = file.join("r.out");
        let r = run(&["render", &s(&good_npy), flag, &s(&p)]);
        assert_fails_naming(&r, &p, &[], &format!("render {flag} under a file"));
    }
    // /proc refuses new files.
    let proc_out = Path::new("/proc/randommix-forbidden.npy");
    let r = run(&["features", &s(&clip), "--out", &s(proc_out)]);
    assert_fails_naming(&r, proc_out, &["cannot write"], "features into /proc");
    // A run folder under a file.
    let data = tmp.path().join("data");
    common::tiny_dataset(&data);
    let run_out = file.join("run");
    let r = run(&common::tiny_train_args(&data, &run_out));
    assert_fails_naming(&r, &run_out, &[], "train under a file");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "I am a file");
    assert_eq!(leftovers(tmp.path()), Vec::<PathBuf>::new());
}

#[test]
fn existing_outputs_are_not_replaced_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let clip = tmp.path().join("clip.wav");
    std::fs::write(&clip, pcm16(&tone(440.0, 16_000, 1.0))).unwrap();
    let partner = tmp.path().join("partner.wav");
    std::fs::write(&partner, pcm16(&tone(880.0, 16_000, 1.0))).unwrap();
    let keep = b"precious".to_vec();
    let out = tmp.path().join("x.npy");
    std::fs::write(&out, &keep).unwrap();
    let r = run(&["features", &s(&clip), "--out", &s(&out)]);
    assert_fails_naming(&r, &out, &["exists", "--force"], "features over a file");
    let r = run(&["mix", &s(&clip), &s(&partner), "--npy", &s(&out)]);
    assert_fails_naming(&r, &out, &["exists", "--force"], "mix over a file");
    let png = tmp.path().join("x.png");
    std::fs::write(&png, &keep).unwrap();
    let good = tmp.path().join("good.npy");
    assert!(run(&["features", &s(&clip), "--out", &s(&good)]).ok);
    let r = run(&["render", &s(&good), "--png", &s(&png)]);
    assert_fails_naming(&r, &png, &["exists", "--force"], "render over a file");
    assert_eq!(std::fs::read(&out).unwrap(), keep);
    assert_eq!(std::fs::read(&png).unwrap(), keep);
    // With --force the file is replaced whole.
    assert!(run(&["features", &s(&clip), "--out", &s(&out), "--force"]).ok);
    assert_eq!(
        randommix::features::read_npy_f32(&out).unwrap().shape(),
        [40, 101]
    );
}

/// A full disk: a 64 KiB tmpfs. Needs the right to mount (root in a privileged container);
/// elsewhere the test says so and checks nothing.
#[test]
fn a_full_disk_is_an_error_without_partial_files() {
    let tmp = tempfile::tempdir().unwrap();
    let mnt = tmp.path().join("small");
    std::fs::create_dir_all(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs", &s(&mnt)])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|st| st.success());
    if !mounted {
        eprintln!(
            "a_full_disk_is_an_error_without_partial_files: cannot mount a tmpfs here; skipped"
        );
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
        }
    }
    let _guard = Unmount(mnt.clone());
    let clips = tmp.path().join("clips");
    std::fs::create_dir_all(&clips).unwrap();
    for i in 0..8 {
        std::fs::write(
            clips.join(format!("c{i}.wav")),
            pcm16(&tone(300.0 + 40.0 * i as f32, 16_000, 1.0)),
        )
        .unwrap();
    }
    // 8 × 40 × 101 × 4 bytes = 129 KB: more than the disk holds.
    let out = mnt.join("feats.npy");
    let r = run(&["features", &s(&clips), "--out", &s(&out)]);
    assert_fails_naming(&r, &out, &["cannot write"], "features on a full disk");
    assert!(
        r.stderr.contains("No space left") || r.stderr.contains("space"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_dir(&mnt).unwrap().count(),
        0,
        "a partial file was left on the full disk"
    );
    // One clip fits: the same command works there.
    let one = mnt.join("one.npy");
    let r = run(&["features", &s(&clips.join("c0.wav")), "--out", &s(&one)]);
    assert!(r.ok, "{}", r.stderr);
}

#[test]
fn a_run_folder_in_use_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let run_dir = tiny_run(tmp.path());
    let data = tmp.path().join("data");
    // Hold the run's lock as a training process does.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(run_dir.join("train.lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let before = std::fs::read(run_dir.join("last.ckpt")).unwrap();
    let r = run(&["train", "--quiet", "--resume", &s(&run_dir)]);
    assert_fails_naming(
        &r,
        &run_dir,
        &["another training process"],
        "resume while locked",
    );
    // A fresh folder whose lock is held (a training that has not written config.json yet).
    let fresh = tmp.path().join("fresh");
    std::fs::create_dir_all(&fresh).unwrap();
    let lock2 = std::fs::File::create(fresh.join("train.lock")).unwrap();
    lock2.try_lock().unwrap();
    let r = run(&common::tiny_train_args(&data, &fresh));
    assert_fails_naming(
        &r,
        &fresh,
        &["another training process"],
        "train while locked",
    );
    assert!(!fresh.join("config.json").exists());
    drop((lock, lock2));
    assert_eq!(std::fs::read(run_dir.join("last.ckpt")).unwrap(), before);
    // Unlocked, the fresh folder trains.
    assert!(run(&common::tiny_train_args(&data, &fresh)).ok);
}
