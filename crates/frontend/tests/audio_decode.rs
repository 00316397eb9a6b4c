//! WAV decoding: round trips through `io::Cursor` for every format, fixtures written by
//! libsndfile (tests/data/audio, see make_fixtures.py there), resampling, and every kind
//! of broken input giving an error that names the file.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use randommix_frontend::audio::{
    self, AudioError, CLIP_SAMPLES, Encoding, decode_wav, encode_wav, fit_length, load_clip,
    read_wav, write_wav,
};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/audio")
        .join(name)
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

fn wav_bytes<S: hound::Sample + Copy>(spec: hound::WavSpec, samples: &[S]) -> Vec<u8> {
    let mut c = Cursor::new(Vec::new());
    let mut w = hound::WavWriter::new(&mut c, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
    c.into_inner()
}

fn spec(bits: u16, float: bool, channels: u16, rate: u32) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: if float {
            hound::SampleFormat::Float
        } else {
            hound::SampleFormat::Int
        },
    }
}

fn name() -> &'static Path {
    Path::new("data/x.wav")
}

#[test]
fn roundtrip_every_integer_width() {
    let cases: [(u16, Encoding, i64); 4] = [
        (8, Encoding::U8, 1 << 7),
        (16, Encoding::I16, 1 << 15),
        (24, Encoding::I24, 1 << 23),
        (32, Encoding::I32, 1 << 31),
    ];
    for (bits, enc, scale) in cases {
        let max = scale - 1;
        let ints: Vec<i32> = [-(max + 1), -max / 2, -1, 0, 1, max / 3, max]
            .iter()
            .map(|&v| v as i32)
            .collect();
        let bytes = wav_bytes(spec(bits, false, 1, 16_000), &ints);
        let d = decode_wav(&bytes, name()).unwrap();
        assert_eq!(d.encoding, enc);
        assert_eq!(
            (d.channels, d.original_rate, d.original_frames),
            (1, 16_000, 7)
        );
        for (got, &i) in d.samples.iter().zip(&ints) {
            let want = (f64::from(i) / scale as f64) as f32;
            assert_eq!(*got, want, "{bits}-bit sample {i}");
        }
        assert_eq!(d.samples[0], -1.0);
    }
}

#[test]
fn roundtrip_float32() {
    let x = [0.0f32, 0.25, -0.5, 1.5, -1e-7];
    let d = decode_wav(&wav_bytes(spec(32, true, 1, 16_000), &x), name()).unwrap();
    assert_eq!(d.encoding, Encoding::F32);
    assert_eq!(d.samples, x);
}

#[test]
fn stereo_is_mixed_down_by_mean() {
    let interleaved: Vec<i16> = vec![1000, 3000, -2000, 2000, 16384, 0];
    let d = decode_wav(&wav_bytes(spec(16, false, 2, 16_000), &interleaved), name()).unwrap();
    assert_eq!(d.channels, 2);
    let want = [2000.0 / 32768.0, 0.0, 8192.0 / 32768.0];
    assert_eq!(d.samples, want);
}

#[test]
fn many_channels() {
    let interleaved: Vec<f32> = (0..6 * 10).map(|i| (i % 6) as f32 * 0.1).collect();
    let d = decode_wav(&wav_bytes(spec(32, true, 6, 16_000), &interleaved), name()).unwrap();
    assert_eq!(d.samples.len(), 10);
    assert!(d.samples.iter().all(|&v| (v - 0.25).abs() < 1e-6));
}

#[test]
fn libsndfile_fixtures_decode_like_soundfile() {
    for stem in [
        "pcm8-16000Hz-mono",
        "pcm16-16000Hz-mono",
        "pcm24-16000Hz-mono",
        "pcm32-16000Hz-mono",
        "float32-16000Hz-mono",
        "pcm16-16000Hz-stereo",
    ] {
        let d = read_wav(&fixture(&format!("{stem}.wav"))).unwrap();
        let want = read_f32(&fixture(&format!("{stem}.f32")));
        assert_eq!(d.samples.len(), want.len(), "{stem}");
        let err = d
            .samples
            .iter()
            .zip(&want)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err <= 1e-7, "{stem}: max |Δ| {err}");
    }
}

/// Zero crossings per second of the middle of `x` (16 kHz), away from the edges.
fn crossings_per_second(x: &[f32]) -> f32 {
    let mid = &x[800..x.len() - 800];
    let n = mid
        .windows(2)
        .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
        .count();
    n as f32 * 16_000.0 / mid.len() as f32
}

#[test]
fn resampling_keeps_frequency_and_length() {
    for (file, rate) in [
        ("pcm16-8000Hz-mono.wav", 8_000),
        ("float32-44100Hz-stereo.wav", 44_100),
    ] {
        let d = read_wav(&fixture(file)).unwrap();
        assert_eq!(d.original_rate, rate);
        let want_len = (d.original_frames as u64 * 16_000).div_ceil(u64::from(rate)) as usize;
        assert_eq!(d.samples.len(), want_len, "{file}");
        assert_eq!(d.samples.len(), 4000);
        // A 1 kHz tone crosses zero 2000 times a second.
        let zc = crossings_per_second(&d.samples);
        assert!((zc - 2000.0).abs() < 10.0, "{file}: {zc} crossings/s");
        let mid = &d.samples[800..3200];
        assert!((audio::rms(mid) - 0.5 / 2f32.sqrt()).abs() < 0.01, "{file}");
    }
}

#[test]
fn load_clip_fits_to_one_second() {
    let x = load_clip(&fixture("pcm16-16000Hz-mono.wav"), CLIP_SAMPLES).unwrap();
    assert_eq!(x.len(), CLIP_SAMPLES);
    assert!(x[4000..].iter().all(|&v| v == 0.0));
    let mut y = x.clone();
    fit_length(&mut y, 100);
    assert_eq!(y, &x[..100]);
}

#[test]
fn write_wav_roundtrips_and_is_atomic() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("out.wav");
    let x: Vec<f32> = (0..500).map(|i| ((i as f32) * 0.05).sin() * 0.9).collect();
    write_wav(&p, &x, 16_000).unwrap();
    let d = read_wav(&p).unwrap();
    assert!(
        d.samples
            .iter()
            .zip(&x)
            .all(|(a, b)| (a - b).abs() <= 0.5 / 32768.0)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    // Bad arguments and bad folders are errors naming the file.
    let e = write_wav(&p, &x, 0).unwrap_err();
    assert!(e.to_string().contains("out.wav"), "{e}");
    let e = write_wav(&dir.path().join("missing/o.wav"), &x, 16_000).unwrap_err();
    assert!(e.to_string().contains("o.wav"), "{e}");
    assert_eq!(encode_wav(&x, 16_000).unwrap(), std::fs::read(&p).unwrap());
}

/// Every broken file gives an error whose message names the file and says what is wrong.
fn assert_error(path: &Path, what: &str) -> AudioError {
    let e = read_wav(path).unwrap_err();
    let msg = e.to_string();
    let fname = path.file_name().unwrap().to_str().unwrap();
    assert!(msg.contains(fname), "message does not name the file: {msg}");
    assert!(msg.contains(what), "expected {what:?} in: {msg}");
    assert_eq!(e.path(), path);
    e
}

#[test]
fn broken_fixtures_are_named_errors() {
    assert_error(&fixture("bad-text.wav"), "not a WAV file (no RIFF header)");
    assert_error(&fixture("bad-truncated-data.wav"), "truncated data chunk");
    assert_error(&fixture("bad-huge-header.wav"), "truncated data chunk");
    let e = assert_error(&fixture("bad-nan.wav"), "contains non-finite samples");
    assert!(matches!(e, AudioError::NonFinite { frame: 100, .. }), "{e}");
    assert_error(&fixture("no-such-file.wav"), "cannot read");
}

#[test]
fn constructed_bad_inputs_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let put = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let good = wav_bytes(spec(16, false, 1, 16_000), &[1i16; 100]);

    assert_error(&put("zero.wav", b""), "empty file");
    assert_error(&put("hdr.wav", &good[..20]), "truncated header");
    assert_error(&put("hdr2.wav", &good[..6]), "truncated header");
    assert_error(
        &put("riff-only.wav", b"RIFF\x10\0\0\0AVI LIST"),
        "not a WAV file",
    );
    assert_error(
        &put("short-data.wav", &good[..good.len() - 3]),
        "truncated data chunk",
    );

    // No samples at all.
    let empty = wav_bytes::<i16>(spec(16, false, 1, 16_000), &[]);
    assert_error(&put("nosamples.wav", &empty), "empty (no samples)");

    // A header claiming gigabytes of data: an error, not a huge allocation.
    let mut huge = good.clone();
    huge[40..44].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
    assert_error(&put("huge.wav", &huge), "truncated data chunk");

    // 12-bit PCM and a compressed format are refused by name.
    let mut b12 = good.clone();
    b12[34..36].copy_from_slice(&12u16.to_le_bytes());
    assert_error(&put("twelve.wav", &b12), "unsupported format 12-bit");
    let mut adpcm = good.clone();
    adpcm[20..22].copy_from_slice(&2u16.to_le_bytes());
    assert_error(&put("adpcm.wav", &adpcm), "unsupported format");

    // A sample rate we do not resample from.
    let slow = wav_bytes(spec(16, false, 1, 10), &[1i16; 10]);
    assert_error(&put("slow.wav", &slow), "sample rate 10 Hz");

    // A low rate that would decode to more than MAX_DECODED_SAMPLES at 16 kHz.
    let frames = (audio::MAX_DECODED_SAMPLES / 16) as usize + 1;
    let mut long = wav_bytes(spec(8, false, 1, 1_000), &[0i32; 0]);
    long[40..44].copy_from_slice(&(frames as u32).to_le_bytes());
    long.resize(44 + frames, 128);
    let e = decode_wav(&long, Path::new("long.wav")).unwrap_err();
    assert!(e.to_string().contains("long.wav: too long"), "{e}");

    // Huge but finite floats at a rate that needs resampling.
    let huge = wav_bytes(spec(32, true, 1, 44_100), &[3e38f32; 500]);
    assert_error(&put("hugefloat.wav", &huge), "out of range");

    // Infinite floats.
    let inf = wav_bytes(
        spec(32, true, 2, 16_000),
        &[0.0f32, 0.0, 0.5, f32::INFINITY],
    );
    assert_error(&put("inf.wav", &inf), "non-finite");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

    /// Random bytes after a plausible RIFF/WAVE/fmt prefix never panic.
    #[test]
    fn random_bodies_never_panic(body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..120)) {
        let mut b = b"RIFF\x24\x08\0\0WAVEfmt \x10\0\0\0".to_vec();
        b.extend_from_slice(&body);
        let _ = decode_wav(&b, name());
        let _ = decode_wav(&body, name());
    }
}

#[test]
fn garbage_never_panics() {
    // Deterministic pseudo-random mutations of a valid file.
    let good = wav_bytes(spec(24, false, 2, 44_100), &[7i32; 64]);
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..3000 {
        let mut b = good.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state % b.len() as u64) as usize;
            b[i] = (state >> 32) as u8;
        }
        let cut = (state >> 40) as usize % (b.len() + 1);
        let _ = decode_wav(&b[..cut], name());
        let _ = decode_wav(&b, name());
    }
}
