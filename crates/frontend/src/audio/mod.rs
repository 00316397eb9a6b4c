//! Audio input and output: WAV decoding, resampling to 16 kHz, fixed-length clips,
//! WAV writing and the noise helpers used by data augmentation.
//!
//! # Conventions
//!
//! - Samples are `f32` in `[-1, 1)`, mono, at [`SAMPLE_RATE`] (16 kHz) after [`read_wav`].
//! - Integer PCM is scaled like soundfile/librosa: 8-bit unsigned `(x − 128) / 128`,
//!   16-bit `x / 2^15`, 24-bit `x / 2^23`, 32-bit `x / 2^31`. 32-bit float is taken as is.
//! - Several channels are mixed down to mono by their mean.
//! - Other sample rates are converted with rubato's synchronous FFT resampler.
//! - Float files holding NaN or ±∞ are rejected ([`AudioError::NonFinite`]); silently
//!   replacing them would hide a broken file. So are magnitudes above 1e30
//!   ([`AudioError::OutOfRange`]), which resampling could overflow.
//!
//! Decoding never panics on malformed input and never allocates from an unchecked header
//! field: the data length that a header claims is checked against the bytes actually present
//! before anything is allocated, and files larger than [`MAX_WAV_BYTES`] are refused.
//!
//! ```
//! use randommix_frontend::audio::{decode_wav, encode_wav, SAMPLE_RATE};
//! use std::path::Path;
//!
//! let tone: Vec<f32> = (0..1600).map(|i| (i as f32 * 0.1).sin() * 0.5).collect();
//! let bytes = encode_wav(&tone, SAMPLE_RATE).unwrap();
//! let decoded = decode_wav(&bytes, Path::new("tone.wav")).unwrap();
//! assert_eq!(decoded.samples.len(), 1600);
//! assert!((decoded.samples[10] - tone[10]).abs() < 1e-4);
//! ```

mod noise;
mod resample;
mod wav;

use std::path::{Path, PathBuf};

pub use noise::{add_noise_at_snr, mix_noise, rms};
pub use resample::resample;
pub use wav::{Decoded, Encoding, decode_wav, encode_wav, read_wav, write_wav};

/// The sample rate every clip is converted to (Hz).
pub const SAMPLE_RATE: u32 = 16_000;

/// The default clip length: one second at [`SAMPLE_RATE`].
pub const CLIP_SAMPLES: usize = SAMPLE_RATE as usize;

/// The largest WAV file [`read_wav`] accepts, in bytes (512 MiB, about 4.6 hours of
/// 16-bit mono audio at 16 kHz).
pub const MAX_WAV_BYTES: u64 = 512 << 20;

/// The most samples a decoded file may have at 16 kHz (2^28, about 4.7 hours), checked
/// before decoding so that a low sample rate cannot blow up the output.
pub const MAX_DECODED_SAMPLES: u64 = 1 << 28;

/// The lowest sample rate accepted on input (Hz).
pub const MIN_INPUT_RATE: u32 = 1_000;

/// The highest sample rate accepted on input (Hz).
pub const MAX_INPUT_RATE: u32 = 768_000;

/// An audio input or output error. Every variant names the file and says what is wrong
/// with it in plain words, e.g. `data/x.wav: not a WAV file (no RIFF header)`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AudioError {
    /// The file could not be opened or read.
    #[error("cannot read {}: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying I/O error.
        cause: std::io::Error,
    },
    /// The file has zero bytes.
    #[error("{}: empty file (0 bytes)", path.display())]
    EmptyFile {
        /// The file.
        path: PathBuf,
    },
    /// The file is a valid WAV file without any sample.
    #[error("{}: empty (no samples)", path.display())]
    NoSamples {
        /// The file.
        path: PathBuf,
    },
    /// The file is not a RIFF/WAVE file at all.
    #[error("{}: not a WAV file ({problem})", path.display())]
    NotWav {
        /// The file.
        path: PathBuf,
        /// What was found instead, e.g. `no RIFF header`.
        problem: String,
    },
    /// The file is a WAV file but its header or data are damaged (truncated header,
    /// truncated data chunk, inconsistent fields).
    #[error("{}: {problem}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong, e.g. `truncated data chunk (header says 32000 bytes, file holds 100)`.
        problem: String,
    },
    /// The file is a valid WAV file in an encoding we do not decode.
    #[error("{}: unsupported format {format}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The encoding, e.g. `12-bit integer PCM`.
        format: String,
    },
    /// A float WAV file holds NaN or infinite samples.
    #[error("{}: contains non-finite samples (first at frame {frame})", path.display())]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// Index of the first frame (sample per channel) that is not finite.
        frame: usize,
    },
    /// A float WAV file holds magnitudes above 1e30, which filtering could overflow (a float
    /// file normally holds values in [-1, 1]).
    #[error("{}: sample values out of range (above 1e30 at frame {frame})", path.display())]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// Index of the first frame out of range.
        frame: usize,
    },
    /// The file is larger than [`MAX_WAV_BYTES`].
    #[error("{}: file too large ({bytes} bytes, limit {limit})", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        bytes: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The file would decode to more than [`MAX_DECODED_SAMPLES`] samples at 16 kHz.
    #[error("{}: too long ({samples} samples at 16 kHz, limit {limit})", path.display())]
    TooLong {
        /// The file.
        path: PathBuf,
        /// Samples it would decode to.
        samples: u64,
        /// The limit.
        limit: u64,
    },
    /// Resampling failed (a rubato error; should not happen for accepted rates).
    #[error("{}: cannot resample from {from} Hz to {to} Hz: {problem}", path.display())]
    Resample {
        /// The file.
        path: PathBuf,
        /// Input rate (Hz).
        from: u32,
        /// Output rate (Hz).
        to: u32,
        /// The resampler's message.
        problem: String,
    },
    /// Samples could not be written (or the arguments to a writer were invalid).
    #[error("{}: cannot write WAV: {problem}", path.display())]
    InvalidOutput {
        /// The file.
        path: PathBuf,
        /// What is wrong, e.g. `sample rate 0 Hz`.
        problem: String,
    },
    /// The output file could not be written.
    #[error(transparent)]
    Write(#[from] crate::io::WriteError),
}

impl AudioError {
    /// The file this error is about.
    pub fn path(&self) -> &Path {
        match self {
            AudioError::Io { path, .. }
            | AudioError::EmptyFile { path }
            | AudioError::NoSamples { path }
            | AudioError::NotWav { path, .. }
            | AudioError::Malformed { path, .. }
            | AudioError::Unsupported { path, .. }
            | AudioError::NonFinite { path, .. }
            | AudioError::OutOfRange { path, .. }
            | AudioError::TooLarge { path, .. }
            | AudioError::TooLong { path, .. }
            | AudioError::Resample { path, .. }
            | AudioError::InvalidOutput { path, .. } => path,
            AudioError::Write(e) => &e.path,
        }
    }
}

/// Zero-pads `samples` at the end, or crops it, to exactly `len` samples. A cropped vector's
/// spare capacity is given back, so that a clip cut from a long recording holds only `len`
/// samples (`Vec::resize` alone keeps the whole recording's allocation).
///
/// ```
/// let mut x = vec![1.0_f32; 3];
/// randommix_frontend::audio::fit_length(&mut x, 5);
/// assert_eq!(x, [1.0, 1.0, 1.0, 0.0, 0.0]);
/// randommix_frontend::audio::fit_length(&mut x, 2);
/// assert_eq!(x, [1.0, 1.0]);
/// let mut long = vec![0.5_f32; 1 << 20];
/// randommix_frontend::audio::fit_length(&mut long, 16_000);
/// assert!(long.capacity() < 1 << 20);
/// ```
pub fn fit_length(samples: &mut Vec<f32>, len: usize) {
    samples.resize(len, 0.0);
    samples.shrink_to_fit();
}

/// Reads a WAV file, converts it to mono 16 kHz and pads or crops it to `len` samples
/// (usually [`CLIP_SAMPLES`]).
pub fn load_clip(path: &Path, len: usize) -> Result<Vec<f32>, AudioError> {
    let mut samples = read_wav(path)?.samples;
    fit_length(&mut samples, len);
    Ok(samples)
}
