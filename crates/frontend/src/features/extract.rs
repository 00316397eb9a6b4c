//! Feature extraction to `.npy` files, and reading them back.

use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ndarray::{Array3, ArrayD, ArrayViewMut2, Axis, Ix3};
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyExt, WriteNpyExt};
use rayon::prelude::*;

use super::{FeatureError, MelConfig, MelFrontend};
use crate::audio::{CLIP_SAMPLES, load_clip};

/// The largest `.npy` file [`read_npy_f32`] reads (2 GiB).
pub const MAX_NPY_BYTES: u64 = 2 << 30;

/// What [`extract_to_npy`] wrote. The fields are public to read; the struct is
/// `#[non_exhaustive]` (more may be reported later).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExtractSummary {
    /// The WAV files, in the order of the array's first axis.
    pub files: Vec<PathBuf>,
    /// Shape of the array written: `[mels, frames]` or `[clips, mels, frames]`.
    pub shape: Vec<usize>,
    /// The `.npy` file written.
    pub output: PathBuf,
    /// The list of files written beside it (several inputs only).
    pub file_list: Option<PathBuf>,
}

/// Expands `inputs` into WAV files: a file is taken as is, a folder is searched
/// recursively for `*.wav` (any case), and its files are sorted by path. Symbolic links to
/// folders are not followed.
pub fn collect_wavs(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, FeatureError> {
    let mut out = Vec::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|source| FeatureError::Io {
            path: input.clone(),
            cause: source,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            out.extend(found);
        } else {
            out.push(input.clone());
        }
    }
    Ok(out)
}

/// Every `*.wav` file (any case) under `dir`, recursively, without following links.
fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> Result<(), FeatureError> {
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(dir).to_path_buf();
            FeatureError::Io {
                path,
                cause: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("file system loop")),
            }
        })?;
        let path = entry.path();
        // A link to a file counts (as the file); links to folders are not followed.
        let is_file = entry.file_type().is_file() || (entry.path_is_symlink() && path.is_file());
        if is_file
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
        {
            found.push(entry.into_path());
        }
    }
    Ok(())
}

/// Computes the log-mel of every WAV in `inputs` (files or folders, see [`collect_wavs`])
/// and writes them to the `.npy` file `out`, atomically.
///
/// Each clip is read, mixed to mono, resampled to 16 kHz and padded or cropped to 1 s
/// ([`CLIP_SAMPLES`]), as in training. A single input that is a file gives a
/// `[mels, frames]` array; anything else gives `[clips, mels, frames]` plus a text file
/// `out.with_extension("files.txt")` (e.g. `feats.files.txt`) listing the WAV files in
/// order, one per line. Clips are processed in parallel; the first failing file stops the
/// extraction and nothing is written.
pub fn extract_to_npy(
    inputs: &[PathBuf],
    out: &Path,
    cfg: &MelConfig,
) -> Result<ExtractSummary, FeatureError> {
    let frontend = MelFrontend::new(cfg)?;
    let files = collect_wavs(inputs)?;
    if files.is_empty() {
        return Err(FeatureError::NoInputs {
            paths: inputs.to_vec(),
        });
    }
    let single = inputs.len() == 1 && files.len() == 1 && !inputs[0].is_dir();
    let (m, f) = (frontend.n_mels(), frontend.n_frames(CLIP_SAMPLES));
    let mut data = vec![0f32; files.len() * m * f];
    data.par_chunks_mut((m * f).max(1))
        .zip(files.par_iter())
        .try_for_each_init(
            || frontend.scratch(),
            |scratch, (chunk, path)| {
                let clip = load_clip(path, CLIP_SAMPLES)?;
                if let Ok(view) = ArrayViewMut2::from_shape((m, f), chunk) {
                    frontend.compute_into(&clip, view, scratch);
                }
                Ok::<(), FeatureError>(())
            },
        )?;
    let feats =
        Array3::from_shape_vec((files.len(), m, f), data).map_err(|e| FeatureError::Shape {
            expected: format!("[{}, {m}, {f}]", files.len()),
            actual: e.to_string(),
        })?;

    let to_io = |e: ndarray_npy::WriteNpyError| io::Error::other(e.to_string());
    let (shape, file_list) = if single {
        let a = feats.index_axis(Axis(0), 0);
        crate::io::atomic_write(out, |w| a.write_npy(w).map_err(to_io))?;
        (vec![m, f], None)
    } else {
        crate::io::atomic_write(out, |w| feats.write_npy(w).map_err(to_io))?;
        let list = out.with_extension("files.txt");
        crate::io::atomic_write(&list, |w| {
            for p in &files {
                writeln!(w, "{}", p.display())?;
            }
            Ok(())
        })?;
        (vec![files.len(), m, f], Some(list))
    };
    Ok(ExtractSummary {
        files,
        shape,
        output: out.to_path_buf(),
        file_list,
    })
}

/// Reads a float32 `.npy` file of any rank. Errors name the file and say what is wrong:
/// not a `.npy` file, another dtype, a data size that does not match the header's shape.
/// The header's shape is checked against the file size before anything is allocated.
pub fn read_npy_f32(path: &Path) -> Result<ArrayD<f32>, FeatureError> {
    let npy_err = |problem: String| FeatureError::Npy {
        path: path.to_path_buf(),
        problem,
    };
    let io_err = |source| FeatureError::Io {
        path: path.to_path_buf(),
        cause: source,
    };
    let file = fs::File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    if size > MAX_NPY_BYTES {
        return Err(npy_err(format!(
            "file too large ({size} bytes, limit {MAX_NPY_BYTES})"
        )));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(MAX_NPY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(io_err)?;

    // ndarray-npy allocates the header's claimed length (up to 4 GiB in format 2 and 3)
    // before reading it: check that length against the bytes present first.
    if let Some(problem) = npy_header_len_problem(&bytes) {
        return Err(npy_err(problem));
    }
    let mut rest: &[u8] = &bytes;
    let header = Header::from_reader(&mut rest)
        .map_err(|e| npy_err(format!("not a .npy file or damaged header ({e})")))?;
    let desc = header.type_descriptor.to_string();
    let desc_plain = desc.trim_matches('\'');
    if !matches!(desc_plain, "<f4" | ">f4") {
        return Err(npy_err(format!(
            "expected dtype float32 ('<f4'), found {desc}"
        )));
    }
    let n = header
        .shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .and_then(|n| n.checked_mul(4));
    let shape_str = format!("{:?}", header.shape);
    match n {
        Some(n) if n == rest.len() => {}
        Some(n) => {
            return Err(npy_err(format!(
                "damaged: shape {shape_str} needs {n} data bytes, file holds {}",
                rest.len()
            )));
        }
        None => return Err(npy_err(format!("damaged: shape {shape_str} overflows"))),
    }
    ArrayD::<f32>::read_npy(&bytes[..]).map_err(|e| npy_err(format!("damaged: {e}")))
}

/// Checks the header length field of a `.npy` file against its size: `Some(problem)` when the
/// header claims more bytes than the file holds. Other damage is left to the header parser.
fn npy_header_len_problem(bytes: &[u8]) -> Option<String> {
    let (len_field, start) = match bytes.get(6..8)? {
        [1, _] => (
            u64::from(u16::from_le_bytes(bytes.get(8..10)?.try_into().ok()?)),
            10,
        ),
        [2 | 3, _] => (
            u64::from(u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?)),
            12,
        ),
        _ => return None,
    };
    let held = (bytes.len() - start) as u64;
    (len_field > held).then(|| {
        format!(
            "not a .npy file or damaged header (it claims {len_field} header bytes, the file holds {held})"
        )
    })
}

/// Reads a log-mel `.npy` written by [`extract_to_npy`] as `[clips, mels, frames]`: a 2-D
/// `[mels, frames]` array becomes one clip; any other rank is an error naming the file.
pub fn read_logmel_npy(path: &Path) -> Result<Array3<f32>, FeatureError> {
    let a = read_npy_f32(path)?;
    let shape = a.shape().to_vec();
    let a = match a.ndim() {
        2 => a.insert_axis(Axis(0)),
        3 => a,
        d => {
            return Err(FeatureError::Npy {
                path: path.to_path_buf(),
                problem: format!(
                    "expected a 2-D [mels, frames] or 3-D [clips, mels, frames] array, \
                     found {d}-D shape {shape:?}"
                ),
            });
        }
    };
    a.into_dimensionality::<Ix3>()
        .map_err(|e| FeatureError::Npy {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })
}
