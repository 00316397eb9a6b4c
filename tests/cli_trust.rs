//! Results you can trust (issue 20): nonsense settings, non-finite weights, invalid loaded
//! configurations, foreign output folders, runaway memory and threads each give a clear error
//! (exit code ≠ 0, nothing written) or the correct result, never a silent wrong answer.

mod common;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{assert_fails_naming, run, tiny_run};

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// One tiny trained run shared by the tests of this file (read only: copy it to change it).
struct Shared {
    _dir: tempfile::TempDir,
    run: PathBuf,
}

fn shared() -> &'static Path {
    static S: OnceLock<Shared> = OnceLock::new();
    &S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let run = tiny_run(dir.path());
        Shared { _dir: dir, run }
    })
    .run
}

/// A copy of the run folder `src` at `dst` (files only).
#[allow(dead_code)]
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
