//! Helpers shared by the robustness tests: running the binary, writing WAV files by hand,
//! a tiny Speech Commands folder and a quickly trained run.
#![allow(dead_code)]

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `randommix` binary, run from the repository root.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_randommix"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// What a run of the binary gave.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            ok: o.status.success(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Runs `randommix args…`; a panic message never reaches the user, whatever the outcome.
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let r: Run = bin().args(args).output().expect("run randommix").into();
    assert_no_panic(&r, args);
    r
}

/// Runs `randommix args…` with its virtual memory limited to `kib` KiB (`ulimit -v`), so that
/// an allocation sized from a header field fails instead of succeeding lazily.
pub fn run_limited<S: AsRef<std::ffi::OsStr>>(kib: u64, args: &[S]) -> Run {
    let r: Run = Command::new("sh")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("-c")
        .arg(format!("ulimit -v {kib} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_randommix"))
        .args(args)
        .output()
        .expect("run randommix under ulimit")
        .into();
    assert_no_panic(&r, args);
    r
}

pub fn assert_no_panic<S: AsRef<std::ffi::OsStr>>(r: &Run, args: &[S]) {
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
    for text in [&r.stderr, &r.stdout] {
        assert!(
            !text.contains("panicked at") && !text.contains("RUST_BACKTRACE"),
            "randommix {shown:?} panicked:\n{text}"
        );
    }
}

/// Asserts a failure whose message names `file` and contains every one of `problem`.
pub fn assert_fails_naming(r: &Run, file: &Path, problem: &[&str], what: &str) {
    assert!(!r.ok, "{what}: succeeded but should fail\n{}", r.stderr);
    let name = file.file_name().unwrap().to_string_lossy();
    assert!(
        r.stderr.contains(&*name),
        "{what}: the error does not name {name}:\n{}",
        r.stderr
    );
    for p in problem {
        assert!(
            r.stderr.contains(p),
            "{what}: the error does not say {p:?}:\n{}",
            r.stderr
        );
    }
    assert!(
        r.stderr.starts_with("error: ") || r.stderr.contains("\nerror: "),
        "{what}: no `error:` line:\n{}",
        r.stderr
    );
}

/// Files in `dir` (recursively) whose names mark them as temporary or partial outputs.
pub fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(leftovers(&p));
            } else if p.to_string_lossy().ends_with(".tmp") {
                out.push(p);
            }
        }
    }
    out
}

/// A tone of `seconds` at 16 kHz-equivalent phase, `freq` Hz, amplitude 0.5, evaluated at
/// `rate`.
pub fn tone(freq: f32, rate: u32, seconds: f32) -> Vec<f32> {
    let n = (rate as f32 * seconds).round() as usize;
    (0..n)
        .map(|i| 0.5 * (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
        .collect()
}

/// A WAV file in memory through hound: `bits`-bit integer PCM or 32-bit float, the same
/// `samples` on every channel.
pub fn hound_wav(samples: &[f32], rate: u32, channels: u16, bits: u16, float: bool) -> Vec<u8> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    };
    let mut c = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut c, spec).unwrap();
    for &s in samples {
        for _ in 0..channels {
            if float {
                w.write_sample(s).unwrap();
            } else {
                let scale = (1i64 << (bits - 1)) as f32;
                let v = (s * scale).round().clamp(-scale, scale - 1.0) as i32;
                if bits == 8 {
                    w.write_sample(v as i8).unwrap();
                } else {
                    w.write_sample(v).unwrap();
                }
            }
        }
    }
    w.finalize().unwrap();
    c.into_inner()
}

/// A WAV file written byte by byte: a 16-byte fmt chunk with the given fields and a data
/// chunk whose length field says `data_len_field` while `data` follows.
pub fn raw_wav(
    format_tag: u16,
    channels: u16,
    rate: u32,
    bits: u16,
    data_len_field: u32,
    data: &[u8],
) -> Vec<u8> {
    let block_align = channels * bits.div_ceil(8);
    let mut b = Vec::new();
    b.extend_from_slice(b"RIFF");
    b.extend_from_slice(&(36u32.wrapping_add(data_len_field)).to_le_bytes());
    b.extend_from_slice(b"WAVEfmt ");
    b.extend_from_slice(&16u32.to_le_bytes());
    b.extend_from_slice(&format_tag.to_le_bytes());
    b.extend_from_slice(&channels.to_le_bytes());
    b.extend_from_slice(&rate.to_le_bytes());
    b.extend_from_slice(&(rate * u32::from(block_align)).to_le_bytes());
    b.extend_from_slice(&block_align.to_le_bytes());
    b.extend_from_slice(&bits.to_le_bytes());
    b.extend_from_slice(b"data");
    b.extend_from_slice(&data_len_field.to_le_bytes());
    b.extend_from_slice(data);
    b
}

/// 16-bit PCM mono at 16 kHz.
pub fn pcm16(samples: &[f32]) -> Vec<u8> {
    hound_wav(samples, 16_000, 1, 16, false)
}

/// Deterministic white noise in [-amp, amp].
pub fn noise(n: usize, amp: f32, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s as f32 / u32::MAX as f32 * 2.0 - 1.0) * amp
        })
        .collect()
}

/// The words of [`tiny_dataset`]: two command words and one other word (the unknown class).
pub const TINY_WORDS: [&str; 3] = ["yes", "no", "cat"];

/// A Speech Commands folder with 6 clips per word of [`TINY_WORDS`] (speakers `s0`…`s5`;
/// `s4` in validation, `s5` in testing), one background-noise file, and both lists. Train it
/// with `--words yes,no`.
pub fn tiny_dataset(root: &Path) {
    for (w, word) in TINY_WORDS.iter().enumerate() {
        let dir = root.join(word);
        std::fs::create_dir_all(&dir).unwrap();
        for s in 0..6u32 {
            let f = 300.0 + 250.0 * w as f32 + 20.0 * s as f32;
            let mut x = tone(f, 16_000, 1.0);
            for (v, n) in x.iter_mut().zip(noise(16_000, 0.05, s + 10 * w as u32)) {
                *v += n;
            }
            std::fs::write(dir.join(format!("s{s}_nohash_0.wav")), pcm16(&x)).unwrap();
        }
    }
    let noise_dir = root.join("_background_noise_");
    std::fs::create_dir_all(&noise_dir).unwrap();
    std::fs::write(noise_dir.join("white.wav"), pcm16(&noise(32_000, 0.3, 99))).unwrap();
    let list = |s: u32| -> String {
        TINY_WORDS
            .iter()
            .map(|w| format!("{w}/s{s}_nohash_0.wav\n"))
            .collect()
    };
    std::fs::write(root.join("validation_list.txt"), list(4)).unwrap();
    std::fs::write(root.join("testing_list.txt"), list(5)).unwrap();
}

/// `train` arguments for a one-epoch run on a [`tiny_dataset`] folder.
pub fn tiny_train_args(data: &Path, out: &Path) -> Vec<String> {
    [
        "train",
        "--quiet",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--epochs",
        "1",
        "--batch",
        "4",
        "--words",
        "yes,no",
        "--seed",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Builds a [`tiny_dataset`] under `tmp/data` and trains a one-epoch run into `tmp/run`.
pub fn tiny_run(tmp: &Path) -> PathBuf {
    let data = tmp.join("data");
    tiny_dataset(&data);
    let out = tmp.join("run");
    let r = run(&tiny_train_args(&data, &out));
    assert!(r.ok, "training the tiny run failed:\n{}", r.stderr);
    out
}

/// `(offset, length)` of the sections of a checkpoint: state, model, optimizer.
pub fn sections(b: &[u8]) -> Vec<(usize, usize)> {
    let mut pos = 8;
    let mut out = Vec::new();
    for _ in 0..3 {
        let len = u64::from_le_bytes(b[pos..pos + 8].try_into().unwrap()) as usize;
        out.push((pos + 8, len));
        pos += 8 + len;
    }
    out
}
