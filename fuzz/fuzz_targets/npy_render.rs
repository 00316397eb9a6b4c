//! `.npy` loading and `render`: the bytes are written to a file and given to `read_npy_f32`,
//! `read_logmel_npy` and `render` (PNG, and WAV by Griffin-Lim for 40-band inputs). Each
//! returns a result or an error naming the file, never panics, and never allocates from an
//! unchecked header field (libFuzzer's `-malloc_limit_mb` catches that).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use randommix::features::{read_logmel_npy, read_npy_f32};
use randommix_viz::inspect::{RenderRequest, render};

/// A private folder for this process (in /dev/shm when it exists, so nothing hits the disk).
fn workdir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = if std::path::Path::new("/dev/shm").is_dir() {
            PathBuf::from("/dev/shm")
        } else {
            std::env::temp_dir()
        };
        let d = base.join(format!("randommix-fuzz-npy-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("work folder");
        d
    })
}

fuzz_target!(|data: &[u8]| {
    let dir = workdir();
    let input = dir.join("in.npy");
    std::fs::write(&input, data).expect("write input");
    let named = |msg: String| {
        assert!(
            msg.contains("in.npy"),
            "error does not name the file: {msg}"
        )
    };

    let a = match read_npy_f32(&input) {
        Ok(a) => a,
        Err(e) => {
            named(e.to_string());
            assert!(read_logmel_npy(&input).is_err());
            return;
        }
    };
    assert!(a.len() * 4 + 10 <= data.len(), "more values than bytes");
    match read_logmel_npy(&input) {
        Ok(b) => assert!(matches!(a.ndim(), 2 | 3) && b.len() == a.len()),
        Err(e) => {
            assert!(!matches!(a.ndim(), 2 | 3) || a.is_empty(), "{e}");
            named(e.to_string());
        }
    }

    let mut req = RenderRequest::new(input.clone());
    req.force = true;
    // A folder output: one file per spectrogram, at most a handful per input.
    let clips = match a.ndim() {
        2 => 1,
        3 | 4 => a.shape()[0],
        _ => 0,
    };
    if clips > 8 {
        return;
    }
    let out = dir.join("out/");
    req.png = Some(out.clone());
    let frames = a.shape().last().copied().unwrap_or(0);
    if a.ndim() >= 2 && a.shape()[a.ndim() - 2] == req.mel.n_mels && frames <= 120 {
        req.wav = Some(out.clone());
        req.griffin_lim.n_iter = 2;
        req.griffin_lim.nnls_iter = 2;
    }
    match render(&req) {
        Ok(outputs) => {
            assert!(!outputs.is_empty());
            for o in &outputs {
                for p in [&o.png, &o.wav].into_iter().flatten() {
                    assert!(
                        p.starts_with(dir),
                        "{} written outside the work folder",
                        p.display()
                    );
                    assert!(p.is_file(), "{} reported but not written", p.display());
                }
            }
        }
        Err(e) => {
            // Errors about the input name it; errors about an output name the output.
            let msg = format!("{e}");
            assert!(msg.contains("in.npy") || msg.contains("out"), "{msg}");
        }
    }
    let _ = std::fs::remove_dir_all(&out);
});
