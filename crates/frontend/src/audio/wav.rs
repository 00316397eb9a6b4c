//! WAV decoding (hound parses the header, the samples are decoded here from the checked
//! data chunk) and 16-bit PCM writing.

use std::fs::File;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use super::{
    AudioError, MAX_DECODED_SAMPLES, MAX_INPUT_RATE, MAX_WAV_BYTES, MIN_INPUT_RATE, SAMPLE_RATE,
};

/// The sample encoding of a decoded file. `#[non_exhaustive]`: encodings may be added, so a
/// `match` needs a `_` arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// 8-bit unsigned integer PCM.
    U8,
    /// 16-bit signed integer PCM.
    I16,
    /// 24-bit signed integer PCM in 3-byte containers.
    I24,
    /// 32-bit signed integer PCM (also 24 valid bits in 4-byte containers, which the WAVE
    /// format stores left-justified).
    I32,
    /// 32-bit IEEE float.
    F32,
}

impl Encoding {
    /// Bytes per sample in the data chunk.
    pub fn container_bytes(self) -> usize {
        match self {
            Encoding::U8 => 1,
            Encoding::I16 => 2,
            Encoding::I24 => 3,
            Encoding::I32 | Encoding::F32 => 4,
        }
    }
}

/// A decoded WAV file: mono samples at 16 kHz and what the file held originally.
/// Returned by [`read_wav`] and [`decode_wav`]; the fields are public to read, and the struct
/// is `#[non_exhaustive]` (more may be reported later).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Decoded {
    /// Mono samples (mean of the channels) resampled to [`SAMPLE_RATE`], in `[-1, 1)` for
    /// integer files.
    pub samples: Vec<f32>,
    /// The file's sample rate (Hz).
    pub original_rate: u32,
    /// The file's channel count.
    pub channels: u16,
    /// Frames (samples per channel) in the file, before resampling.
    pub original_frames: usize,
    /// The file's sample encoding.
    pub encoding: Encoding,
}

/// Reads a WAV file: 8/16/24/32-bit integer or 32-bit float PCM, any channel count (mixed
/// down to mono by the mean) and any sample rate from [`MIN_INPUT_RATE`] to
/// [`MAX_INPUT_RATE`] (resampled to 16 kHz).
///
/// Files larger than [`MAX_WAV_BYTES`] are refused before they are read.
pub fn read_wav(path: &Path) -> Result<Decoded, AudioError> {
    let io_err = |source| AudioError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    let file = File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    if size > MAX_WAV_BYTES {
        return Err(AudioError::TooLarge {
            path: path.to_path_buf(),
            bytes: size,
            limit: MAX_WAV_BYTES,
        });
    }
    // `size` is checked above; read_to_end grows further only if the file grew meanwhile,
    // and `take` bounds that too.
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_WAV_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;
    if bytes.len() as u64 > MAX_WAV_BYTES {
        return Err(AudioError::TooLarge {
            path: path.to_path_buf(),
            bytes: bytes.len() as u64,
            limit: MAX_WAV_BYTES,
        });
    }
    decode_wav(&bytes, path)
}

/// Decodes a WAV file held in memory; `name` is only used in error messages.
///
/// This is [`read_wav`] without the file system, for tests and fuzzing. It never panics and
/// allocates at most one `f32` per frame that is actually present in `bytes`.
pub fn decode_wav(bytes: &[u8], name: &Path) -> Result<Decoded, AudioError> {
    let path = || name.to_path_buf();
    check_riff(bytes, name)?;

    let reader =
        hound::WavReader::new(Cursor::new(bytes)).map_err(|e| header_error(e, bytes, name))?;
    let spec = reader.spec();
    let n_samples = reader.len() as usize; // all channels, from the header
    let pos = reader.into_inner().position() as usize;

    // hound stops right after the data chunk header: the 8 bytes before `pos` are
    // "data" and the chunk length.
    let data_len = match pos.checked_sub(8).and_then(|s| bytes.get(s..pos)) {
        Some(h) if &h[..4] == b"data" => u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize,
        _ => {
            return Err(AudioError::Malformed {
                path: path(),
                problem: "cannot locate the data chunk".into(),
            });
        }
    };

    let channels = spec.channels;
    let rate = spec.sample_rate;
    if !(MIN_INPUT_RATE..=MAX_INPUT_RATE).contains(&rate) {
        return Err(AudioError::Unsupported {
            path: path(),
            format: format!(
                "sample rate {rate} Hz (supported: {MIN_INPUT_RATE} to {MAX_INPUT_RATE} Hz)"
            ),
        });
    }
    if n_samples == 0 {
        return Err(AudioError::NoSamples { path: path() });
    }
    let container = data_len / n_samples;
    let encoding = match (spec.sample_format, spec.bits_per_sample, container) {
        (hound::SampleFormat::Int, 8, 1) => Encoding::U8,
        (hound::SampleFormat::Int, 16, 2) => Encoding::I16,
        (hound::SampleFormat::Int, 24, 3) => Encoding::I24,
        (hound::SampleFormat::Int, 24 | 32, 4) => Encoding::I32,
        (hound::SampleFormat::Float, 32, 4) => Encoding::F32,
        (fmt, bits, c) => {
            let kind = match fmt {
                hound::SampleFormat::Int => "integer PCM",
                hound::SampleFormat::Float => "float",
            };
            let format = if usize::from(bits).div_ceil(8) == c {
                format!("{bits}-bit {kind}")
            } else {
                format!("{bits}-bit {kind} in {c}-byte containers")
            };
            return Err(AudioError::Unsupported {
                path: path(),
                format,
            });
        }
    };

    let available = bytes.len().saturating_sub(pos);
    if data_len > available {
        return Err(AudioError::Malformed {
            path: path(),
            problem: format!(
                "truncated data chunk (header says {data_len} bytes, file holds {available})"
            ),
        });
    }
    let frames = (n_samples / usize::from(channels)) as u64;
    let out_len = (frames * u64::from(SAMPLE_RATE)).div_ceil(u64::from(rate));
    if out_len > MAX_DECODED_SAMPLES {
        return Err(AudioError::TooLong {
            path: path(),
            samples: out_len,
            limit: MAX_DECODED_SAMPLES,
        });
    }
    let data = &bytes[pos..pos + data_len];
    let mono = decode_samples(data, encoding, usize::from(channels)).map_err(|(frame, nan)| {
        if nan {
            AudioError::NonFinite {
                path: path(),
                frame,
            }
        } else {
            AudioError::OutOfRange {
                path: path(),
                frame,
            }
        }
    })?;
    let original_frames = mono.len();
    let samples = if rate == SAMPLE_RATE {
        mono
    } else {
        let out =
            super::resample(&mono, rate, SAMPLE_RATE).map_err(|problem| AudioError::Resample {
                path: path(),
                from: rate,
                to: SAMPLE_RATE,
                problem,
            })?;
        // A safety net: the input is finite and bounded, so this cannot trigger.
        if let Some(i) = out.iter().position(|x| !x.is_finite()) {
            return Err(AudioError::NonFinite {
                path: path(),
                frame: i * rate as usize / SAMPLE_RATE as usize,
            });
        }
        out
    };
    Ok(Decoded {
        samples,
        original_rate: rate,
        channels,
        original_frames,
        encoding,
    })
}

/// Largest magnitude accepted in a float file: far above any real signal, far enough below
/// `f32::MAX` that filtering and resampling cannot overflow.
const MAX_FLOAT_SAMPLE: f32 = 1e30;

/// Decodes interleaved samples and mixes them down to mono. The error is the index of the
/// first bad frame of a float file, and whether it is non-finite (else above
/// [`MAX_FLOAT_SAMPLE`]).
fn decode_samples(
    data: &[u8],
    encoding: Encoding,
    channels: usize,
) -> Result<Vec<f32>, (usize, bool)> {
    let width = encoding.container_bytes();
    let frame_bytes = width * channels;
    let frames = data.len() / frame_bytes;
    let mut out = Vec::with_capacity(frames);
    let convert: fn(&[u8]) -> f32 = match encoding {
        Encoding::U8 => |b| (f32::from(b[0]) - 128.0) * (1.0 / 128.0),
        Encoding::I16 => |b| f32::from(i16::from_le_bytes([b[0], b[1]])) * (1.0 / 32768.0),
        Encoding::I24 => {
            |b| (i32::from_le_bytes([0, b[0], b[1], b[2]]) >> 8) as f32 * (1.0 / 8_388_608.0)
        }
        Encoding::I32 => {
            |b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f32 * (1.0 / 2_147_483_648.0)
        }
        Encoding::F32 => |b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
    };
    if channels == 1 {
        out.extend(data.chunks_exact(width).map(convert));
    } else {
        let scale = 1.0 / channels as f32;
        out.extend(
            data.chunks_exact(frame_bytes)
                .map(|f| f.chunks_exact(width).map(convert).sum::<f32>() * scale),
        );
    }
    if encoding == Encoding::F32 {
        // A NaN or ±inf in any channel makes the mean non-finite, and so does an overflow
        // of finite huge values, which is as unusable. Values beyond ±1e30 (a float file
        // normally holds [-1, 1]) are refused too: resampling could overflow them.
        if let Some(i) = out
            .iter()
            .position(|x| !x.is_finite() || x.abs() > MAX_FLOAT_SAMPLE)
        {
            return Err((i, !out[i].is_finite()));
        }
    }
    Ok(out)
}

/// Rejects what is not a RIFF/WAVE file before hound sees it, with a plain message.
fn check_riff(bytes: &[u8], name: &Path) -> Result<(), AudioError> {
    let path = || name.to_path_buf();
    if bytes.is_empty() {
        return Err(AudioError::EmptyFile { path: path() });
    }
    let head = &bytes[..bytes.len().min(12)];
    let riff_prefix = &b"RIFF"[..head.len().min(4)];
    if !head.starts_with(riff_prefix) {
        let problem = if head.starts_with(b"RIFX") {
            "big-endian RIFX is not supported"
        } else if head.starts_with(b"RF64") {
            "RF64 is not supported"
        } else {
            "no RIFF header"
        };
        return Err(AudioError::NotWav {
            path: path(),
            problem: problem.into(),
        });
    }
    if bytes.len() < 12 {
        return Err(AudioError::Malformed {
            path: path(),
            problem: format!("truncated header ({} bytes)", bytes.len()),
        });
    }
    if &bytes[8..12] != b"WAVE" {
        return Err(AudioError::NotWav {
            path: path(),
            problem: "RIFF file without a WAVE tag".into(),
        });
    }
    Ok(())
}

/// Turns a hound header error into a plain message, looking at the fmt chunk ourselves
/// where hound's message would be vague.
fn header_error(e: hound::Error, bytes: &[u8], name: &Path) -> AudioError {
    let path = name.to_path_buf();
    if let Some(fmt) = scan_fmt(bytes) {
        let tag = if fmt.tag == 0xFFFE {
            fmt.sub_tag
        } else {
            Some(fmt.tag)
        };
        match tag {
            Some(1) if !matches!(fmt.bits, 8 | 16 | 24 | 32) => {
                return AudioError::Unsupported {
                    path,
                    format: format!("{}-bit integer PCM", fmt.bits),
                };
            }
            Some(3) if fmt.bits != 32 => {
                return AudioError::Unsupported {
                    path,
                    format: format!("{}-bit float", fmt.bits),
                };
            }
            Some(1 | 3) | None => {}
            Some(other) => {
                return AudioError::Unsupported {
                    path,
                    format: format!("encoding {} (format tag 0x{other:04X})", tag_name(other)),
                };
            }
        }
    }
    let problem = match e {
        hound::Error::IoError(io) => match io.kind() {
            std::io::ErrorKind::UnexpectedEof => "truncated header".to_string(),
            _ => format!("truncated header ({io})"),
        },
        hound::Error::FormatError(msg) => format!("invalid WAV header: {msg}"),
        hound::Error::Unsupported => {
            return AudioError::Unsupported {
                path,
                format: "(unknown encoding)".into(),
            };
        }
        other => format!("invalid WAV header: {other}"),
    };
    AudioError::Malformed { path, problem }
}

fn tag_name(tag: u16) -> &'static str {
    match tag {
        2 => "MS ADPCM",
        6 => "A-law",
        7 => "mu-law",
        0x11 => "IMA ADPCM",
        0x55 => "MP3",
        _ => "compressed",
    }
}

/// What [`scan_fmt`] finds in a fmt chunk.
struct FmtInfo {
    tag: u16,
    bits: u16,
    sub_tag: Option<u16>,
}

/// Finds the fmt chunk by walking the RIFF chunks, without trusting any length beyond the
/// bytes present. Used only to word error messages.
fn scan_fmt(bytes: &[u8]) -> Option<FmtInfo> {
    let mut pos = 12usize;
    while let Some(h) = bytes.get(pos..pos.checked_add(8)?) {
        let len = u32::from_le_bytes([h[4], h[5], h[6], h[7]]) as usize;
        let body = pos + 8;
        if &h[..4] == b"fmt " {
            let f = bytes.get(body..body.checked_add(16)?)?;
            let tag = u16::from_le_bytes([f[0], f[1]]);
            let bits = u16::from_le_bytes([f[14], f[15]]);
            let sub_tag = bytes
                .get(body + 24..body + 26)
                .filter(|_| len >= 26)
                .map(|s| u16::from_le_bytes([s[0], s[1]]));
            return Some(FmtInfo { tag, bits, sub_tag });
        }
        pos = body.checked_add(len)?.checked_add(len & 1)?;
    }
    None
}

/// Encodes `samples` as a 16-bit PCM mono WAV file in memory. Samples are clipped to
/// `[-1, 1]` and scaled by 32768 (the inverse of the decoder's scaling); NaN becomes 0.
pub fn encode_wav(samples: &[f32], sample_rate: u32) -> Result<Vec<u8>, AudioError> {
    encode_named(samples, sample_rate, Path::new("<memory>"))
}

fn encode_named(samples: &[f32], sample_rate: u32, name: &Path) -> Result<Vec<u8>, AudioError> {
    let invalid = |problem: String| AudioError::InvalidOutput {
        path: PathBuf::from(name),
        problem,
    };
    if sample_rate == 0 {
        return Err(invalid("sample rate 0 Hz".into()));
    }
    // hound's 32-bit length fields: 2 bytes per sample plus a 44-byte header.
    if samples.len() > (u32::MAX as usize - 44) / 2 {
        return Err(invalid(format!(
            "{} samples do not fit a WAV file (4 GiB limit)",
            samples.len()
        )));
    }
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut cursor = Cursor::new(Vec::with_capacity(44 + 2 * samples.len()));
    let result = (|| {
        let mut w = hound::WavWriter::new(&mut cursor, spec)?;
        {
            let mut w16 = w.get_i16_writer(samples.len() as u32);
            for &x in samples {
                // `as` saturates and maps NaN to 0.
                w16.write_sample((x * 32768.0).round() as i16);
            }
            w16.flush()?;
        }
        w.finalize()
    })();
    result.map_err(|e| invalid(e.to_string()))?;
    Ok(cursor.into_inner())
}

/// Writes `samples` as a 16-bit PCM mono WAV file, atomically (a temporary file in the same
/// folder renamed into place). Samples are clipped to `[-1, 1]`.
pub fn write_wav(path: &Path, samples: &[f32], sample_rate: u32) -> Result<(), AudioError> {
    let bytes = encode_named(samples, sample_rate, path)?;
    crate::io::atomic_write_bytes(path, &bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Path {
        Path::new("t.wav")
    }

    #[test]
    fn i24_sign_extension() {
        let data = [0xFF, 0xFF, 0x7F, 0x00, 0x00, 0x80, 0xFF, 0xFF, 0xFF];
        let x = decode_samples(&data, Encoding::I24, 1).unwrap();
        assert_eq!(x[0], 8_388_607.0 / 8_388_608.0);
        assert_eq!(x[1], -1.0);
        assert_eq!(x[2], -1.0 / 8_388_608.0);
    }

    #[test]
    fn u8_scaling() {
        let x = decode_samples(&[0, 128, 255], Encoding::U8, 1).unwrap();
        assert_eq!(x, [-1.0, 0.0, 127.0 / 128.0]);
    }

    #[test]
    fn encode_clips_and_roundtrips() {
        let bytes = encode_wav(&[0.5, 2.0, -3.0, f32::NAN], 16_000).unwrap();
        let d = decode_wav(&bytes, p()).unwrap();
        assert_eq!(d.samples, [0.5, 32767.0 / 32768.0, -1.0, 0.0]);
    }

    #[test]
    fn scan_fmt_survives_garbage() {
        let mut b = b"RIFF\0\0\0\0WAVEfmt \xff\xff\xff\xff".to_vec();
        assert!(scan_fmt(&b).is_none());
        b.extend_from_slice(&[0u8; 64]);
        assert_eq!(scan_fmt(&b).map(|f| f.tag), Some(0));
        let chunk_len_overflow = b"RIFF\0\0\0\0WAVEjunk\xff\xff\xff\xff";
        assert!(scan_fmt(chunk_len_overflow).is_none());
    }

    #[test]
    fn short_prefixes_never_panic() {
        let full = encode_wav(&[0.1; 100], 16_000).unwrap();
        for n in 0..full.len() {
            let _ = decode_wav(&full[..n], p());
        }
    }
}
