//! Looking at mixes: the library side of `randommix mix` and `randommix render`.
//!
//! [`mix_clips`] reads WAV clips, computes their log-mels, mixes them with a [`RandomMix`]
//! spec and writes, per mixed clip, the `[mels, frames]` log-mel as `.npy`, its audio as a
//! 16-bit WAV (mel → audio inversion with fast Griffin-Lim, seeded) and a [`MixPanel`] PNG
//! with its JSON sidecar. [`render`] draws and plays back any saved log-mel `.npy`.
//!
//! # Pairs and batches
//!
//! - **Two clips** `A B`: A (index 0) is the original and B its partner; the mix is drawn
//!   with the partner forced to B ([`Mixer::mix_pairs`]) and only A's result is written.
//! - **Three or more clips** form one batch mixed exactly as in training: RandomMix draws the
//!   permutation, so a clip may be paired with itself (it is then left unchanged, and said
//!   so). One result is written per clip.
//!
//! # Output names
//!
//! An output argument (`png`, `wav`, `npy`) is a **folder** if it ends with `/` or is an
//! existing folder: files are named `mix_000_<stem>.<ext>` (index, input stem) for
//! [`mix_clips`] and `<npy stem>.<ext>` or `<npy stem>_000.<ext>` for [`render`]. Otherwise it
//! is a **file name**, used as is for a single result; for several results it is a template
//! where `{i}` (three-digit index) and `{stem}` are replaced, or, without placeholders,
//! `_000_<stem>` (`_000` for [`render`]) is inserted before the extension.
//!
//! Every file is written atomically; no existing file is replaced unless `force` is set, and
//! all output names are checked before anything is computed or written. Missing parent
//! folders are created.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use ndarray::{Array2, Array4, ArrayView2, Axis, Ix3, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::{
    MixPanel, PanelMask, SpecStyle, VizError, save_spectrogram_png, sidecar_path, write_panel,
};
use randommix_frontend::audio::{AudioError, CLIP_SAMPLES, load_clip, write_wav};
use randommix_frontend::features::{
    FeatureError, GriffinLimConfig, MelConfig, MelFrontend, MelInverter, read_npy_f32,
};
use randommix_frontend::io::WriteError;
use randommix_mix::{
    MixError, MixRecord, Mixed, Mixer, Mode, ModeConfig, RandomMix, RandomMixConfig,
};

/// Seed offset of the Griffin-Lim phase draws, so that they do not repeat the mixing draws.
const GL_SEED_SALT: u64 = 0x6772_6966_6669_6e4c;

/// Seed offset of the clip choice of [`pick_random_clips`].
const PICK_SEED_SALT: u64 = 0x7069_636b_636c_6970;

/// Errors of [`mix_clips`], [`render`] and [`pick_random_clips`]. Every variant about a file
/// names it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InspectError {
    /// The mixing spec could not be parsed or describes an invalid mixer.
    #[error("cannot use mixing spec {spec:?}")]
    Spec {
        /// The spec as given.
        spec: String,
        /// Why it was rejected.
        #[source]
        source: MixError,
    },
    /// Mixing the batch failed (should not happen for clips of one shape).
    #[error("mixing failed")]
    Mix(#[source] MixError),
    /// Fewer than two clips to mix.
    #[error("need at least two clips to mix (original and partner), got {got}")]
    TooFewClips {
        /// Number of clips given.
        got: usize,
    },
    /// The dataset folder has fewer clips than asked for.
    #[error("{}: found {found} clips in word folders, cannot pick {wanted}", data.display())]
    NotEnoughClips {
        /// The dataset folder.
        data: PathBuf,
        /// Clips asked for.
        wanted: usize,
        /// Clips found.
        found: usize,
    },
    /// A file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An output file exists and `force` is not set.
    #[error("{} exists; pass --force to overwrite it", path.display())]
    Exists {
        /// The existing file.
        path: PathBuf,
    },
    /// Two outputs of one call would go to the same file.
    #[error("two outputs would be written to {}; use a folder or a name with {{i}}", path.display())]
    DuplicateOutput {
        /// The file named twice.
        path: PathBuf,
    },
    /// An input `.npy` holds an array this command cannot use.
    #[error("{}: {problem}", path.display())]
    BadInput {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A WAV input could not be read.
    #[error(transparent)]
    Audio(#[from] AudioError),
    /// The front end, the inversion or a `.npy` input failed (file errors name the file).
    #[error(transparent)]
    Features(#[from] FeatureError),
    /// A picture could not be drawn or written.
    #[error("cannot draw {}", path.display())]
    Viz {
        /// The picture being drawn.
        path: PathBuf,
        /// The drawing error.
        #[source]
        source: VizError,
    },
    /// An output file could not be written.
    #[error(transparent)]
    Write(#[from] WriteError),
}

/// What [`mix_clips`] should do. Build it with [`MixRequest::new`] and set the public fields.
#[derive(Debug, Clone)]
pub struct MixRequest {
    /// WAV clips (any rate and format; mono-mixed, resampled to 16 kHz, padded or cropped
    /// to 1 s). Two clips: original and partner; more: one batch.
    pub inputs: Vec<PathBuf>,
    /// Mixing spec in [`RandomMix`]'s string form (`mixup`, `cutmix`, `resizemix`, `fmix`,
    /// `mixup:1,cutmix:1(region=time)`, ...). The command line passes the training
    /// default's modes (`randommix::config::RECOMMENDED_MODES`) unless told otherwise.
    pub spec: String,
    /// Seed of the mix (mode, λ, box or mask, permutation) and of the Griffin-Lim phases.
    pub seed: u64,
    /// Panel PNG output (plus its JSON sidecar); see the module docs for names.
    pub png: Option<PathBuf>,
    /// Audio output (16-bit PCM, 16 kHz).
    pub wav: Option<PathBuf>,
    /// Log-mel output, `[mels, frames]` float32 `.npy`.
    pub npy: Option<PathBuf>,
    /// Replace existing output files.
    pub force: bool,
    /// The log-mel front end. Default: the canonical 40 × 101.
    pub mel: MelConfig,
    /// Mel → audio inversion settings (iterations, momentum).
    pub griffin_lim: GriffinLimConfig,
}

impl MixRequest {
    /// A request to mix `inputs` with the mixing `spec`, seed 0, no outputs, the default front
    /// end and inversion.
    pub fn new(inputs: Vec<PathBuf>, spec: impl Into<String>) -> Self {
        MixRequest {
            inputs,
            spec: spec.into(),
            seed: 0,
            png: None,
            wav: None,
            npy: None,
            force: false,
            mel: MelConfig::default(),
            griffin_lim: GriffinLimConfig::default(),
        }
    }
}

/// One mixed clip written by [`mix_clips`].
#[derive(Debug, Clone, PartialEq)]
pub struct MixOutput {
    /// Batch index of the clip (0 = A for a pair).
    pub index: usize,
    /// The clip's WAV file.
    pub input: PathBuf,
    /// Batch index of the partner (`index` itself when left unchanged).
    pub partner: usize,
    /// The partner's WAV file.
    pub partner_input: PathBuf,
    /// The mode drawn, `None` when the spec left the clip unmixed.
    pub mode: Option<Mode>,
    /// True when the clip was paired with itself: its output equals its input.
    pub self_paired: bool,
    /// Share of the original in the result (1 when unchanged).
    pub lambda: f32,
    /// The panel PNG written, if any.
    pub png: Option<PathBuf>,
    /// The panel's JSON sidecar, if any.
    pub json: Option<PathBuf>,
    /// The WAV written, if any.
    pub wav: Option<PathBuf>,
    /// The `.npy` written, if any.
    pub npy: Option<PathBuf>,
}

impl MixOutput {
    /// The files written for this clip, in the order png, json, wav, npy.
    pub fn files(&self) -> Vec<&Path> {
        [&self.png, &self.json, &self.wav, &self.npy]
            .into_iter()
            .flatten()
            .map(PathBuf::as_path)
            .collect()
    }

    /// Whether the output differs from the input clip.
    pub fn is_mixed(&self) -> bool {
        self.mode.is_some() && !self.self_paired
    }
}

impl fmt::Display for MixOutput {
    /// One line: `clip 0 (a.wav): cutmix with partner 1 (b.wav), λ = 0.734 (share of a.wav)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "clip {} ({}): ", self.index, self.input.display())?;
        match self.mode {
            None => write!(f, "unmixed, partner itself, λ = 1"),
            Some(m) if self.self_paired => {
                write!(
                    f,
                    "{m} drawn but paired with itself (partner {}), unchanged, λ = 1",
                    self.index
                )
            }
            Some(m) => write!(
                f,
                "{m} with partner {} ({}), λ = {:.3} (share of clip {})",
                self.partner,
                self.partner_input.display(),
                self.lambda,
                self.index
            ),
        }
    }
}

/// What [`render`] should do.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// A float32 `.npy`: `[mels, frames]`, `[clips, mels, frames]` or
    /// `[clips, 1, mels, frames]` of dB log-mels.
    pub input: PathBuf,
    /// Spectrogram PNG output(s); see the module docs for names.
    pub png: Option<PathBuf>,
    /// Audio output(s); needs `mels` to match [`RenderRequest::mel`].
    pub wav: Option<PathBuf>,
    /// Replace existing output files.
    pub force: bool,
    /// Seed of the Griffin-Lim phases.
    pub seed: u64,
    /// The front end the log-mels were computed with (for the inversion).
    pub mel: MelConfig,
    /// Mel → audio inversion settings.
    pub griffin_lim: GriffinLimConfig,
}

impl RenderRequest {
    /// A request for `input` with no outputs, seed 0 and the default front end and inversion.
    pub fn new(input: PathBuf) -> Self {
        RenderRequest {
            input,
            png: None,
            wav: None,
            force: false,
            seed: 0,
            mel: MelConfig::default(),
            griffin_lim: GriffinLimConfig::default(),
        }
    }
}

/// One spectrogram drawn or played back by [`render`].
#[derive(Debug, Clone, PartialEq)]
pub struct RenderOutput {
    /// Index along the first axis (0 for a 2-D input).
    pub index: usize,
    /// `[mels, frames]` of the spectrogram.
    pub shape: [usize; 2],
    /// The PNG written, if any.
    pub png: Option<PathBuf>,
    /// The WAV written, if any.
    pub wav: Option<PathBuf>,
}

/// Mixes WAV clips and writes what happened (see the module docs): returns one
/// [`MixOutput`] per result, in batch order.
///
/// # Errors
///
/// [`InspectError::TooFewClips`], [`InspectError::Spec`] for a bad spec,
/// [`InspectError::Exists`] / [`InspectError::DuplicateOutput`] before anything is written,
/// [`InspectError::Audio`] naming an unreadable clip, and the write errors naming the file.
pub fn mix_clips(req: &MixRequest) -> Result<Vec<MixOutput>, InspectError> {
    let b = req.inputs.len();
    if b < 2 {
        return Err(InspectError::TooFewClips { got: b });
    }
    let mixer: RandomMix = req.spec.parse().map_err(|source| InspectError::Spec {
        spec: req.spec.clone(),
        source,
    })?;
    let pair = b == 2;
    let written: Vec<usize> = if pair { vec![0] } else { (0..b).collect() };
    let many = written.len() > 1;

    // Plan every output name first, so that nothing is computed or written in vain.
    let stems: Vec<String> = req.inputs.iter().map(|p| stem(p)).collect();
    let plan = |base: &Option<PathBuf>, ext: &str| -> Vec<Option<PathBuf>> {
        written
            .iter()
            .map(|&i| {
                base.as_deref().map(|base| {
                    let folder_name = format!("mix_{i:03}_{}.{ext}", stems[i]);
                    let suffix = format!("_{i:03}_{}", stems[i]);
                    output_path(base, &folder_name, &suffix, many, i, &stems[i])
                })
            })
            .collect()
    };
    let pngs = plan(&req.png, "png");
    let jsons: Vec<Option<PathBuf>> = pngs
        .iter()
        .map(|p| p.as_deref().map(sidecar_path))
        .collect();
    let wavs = plan(&req.wav, "wav");
    let npys = plan(&req.npy, "npy");
    check_outputs(
        pngs.iter()
            .chain(&jsons)
            .chain(&wavs)
            .chain(&npys)
            .flatten(),
        req.force,
    )?;

    let frontend = MelFrontend::new(&req.mel)?;
    let mut feats: Option<Array4<f32>> = None;
    for (i, path) in req.inputs.iter().enumerate() {
        let clip = load_clip(path, CLIP_SAMPLES)?;
        let f = frontend.compute(&clip);
        let x = feats.get_or_insert_with(|| Array4::zeros((b, 1, f.nrows(), f.ncols())));
        x.slice_mut(s![i, 0, .., ..]).assign(&f);
    }
    let Some(x) = feats else {
        return Err(InspectError::TooFewClips { got: 0 });
    };
    let y = Array2::from_shape_fn((b, b), |(i, k)| if i == k { 1.0f32 } else { 0.0 });
    let mut rng = ChaCha8Rng::seed_from_u64(req.seed);
    let mixed: Mixed = if pair {
        mixer.mix_pairs(x.view(), y.view(), &[1, 0], &mut rng)
    } else {
        mixer.mix(x.view(), y.view(), &mut rng)
    }
    .map_err(InspectError::Mix)?;

    let inverter = if req.wav.is_some() {
        Some(MelInverter::new(&req.mel, &req.griffin_lim)?)
    } else {
        None
    };
    let labels: Vec<String> = req.inputs.iter().map(|p| label(p)).collect();
    let power_sum = mixup_adds_powers(mixer.config());
    let mut outputs = Vec::with_capacity(written.len());
    for (k, &i) in written.iter().enumerate() {
        let rec = &mixed.records[i];
        let a = x.slice(s![i, 0, .., ..]);
        let bp = x.slice(s![rec.partner, 0, .., ..]);
        let m = mixed.x.slice(s![i, 0, .., ..]);
        if let Some(path) = &pngs[k] {
            let mode = panel_mode(rec, power_sum);
            let mask = if rec.self_paired {
                PanelMask::blend()
            } else {
                PanelMask::Mix(&rec.mask)
            };
            let lambda = if rec.self_paired { 1.0 } else { rec.lambda };
            let mut panel = MixPanel::new(a, bp, m, mask, &mode, lambda);
            panel.a_label = &labels[i];
            panel.b_label = &labels[rec.partner];
            write_panel(path, &panel).map_err(|source| InspectError::Viz {
                path: path.clone(),
                source,
            })?;
        }
        if let (Some(path), Some(inv)) = (&wavs[k], &inverter) {
            let mut gl_rng = ChaCha8Rng::seed_from_u64(req.seed ^ GL_SEED_SALT ^ i as u64);
            let audio = inv.invert(m, &mut gl_rng)?;
            write_wav(path, &audio, req.mel.sample_rate)?;
        }
        if let Some(path) = &npys[k] {
            write_npy(path, m)?;
        }
        outputs.push(MixOutput {
            index: i,
            input: req.inputs[i].clone(),
            partner: rec.partner,
            partner_input: req.inputs[rec.partner].clone(),
            mode: rec.mode,
            self_paired: rec.self_paired,
            lambda: if rec.self_paired { 1.0 } else { rec.lambda },
            png: pngs[k].clone(),
            json: jsons[k].clone(),
            wav: wavs[k].clone(),
            npy: npys[k].clone(),
        });
    }
    Ok(outputs)
}

/// Draws and/or plays back the log-mels of a `.npy` file: one PNG and one WAV per
/// spectrogram (see the module docs for names).
///
/// # Errors
///
/// [`InspectError::Features`] naming the file for a missing, damaged or non-float32 `.npy`;
/// [`InspectError::BadInput`] naming the file for another rank, an empty array, a mel count
/// that does not match the front end (WAV only) or non-finite values (WAV only);
/// [`InspectError::Exists`] before anything is written; write errors naming the file.
pub fn render(req: &RenderRequest) -> Result<Vec<RenderOutput>, InspectError> {
    let bad = |problem: String| InspectError::BadInput {
        path: req.input.clone(),
        problem,
    };
    let a = read_npy_f32(&req.input)?;
    let shape = a.shape().to_vec();
    let (specs, is_batch) = match shape.len() {
        2 => (a.insert_axis(Axis(0)), false),
        3 => (a, true),
        4 if shape[1] == 1 => (a.index_axis_move(Axis(1), 0), true),
        _ => {
            return Err(bad(format!(
                "expected a [mels, frames], [clips, mels, frames] or [clips, 1, mels, frames] array, \
                 found shape {shape:?}"
            )));
        }
    };
    if specs.is_empty() {
        return Err(bad(format!(
            "empty array of shape {shape:?}: nothing to render"
        )));
    }
    let (n, mels, frames) = (specs.shape()[0], specs.shape()[1], specs.shape()[2]);
    if req.wav.is_some() {
        if mels != req.mel.n_mels {
            return Err(bad(format!(
                "has {mels} mel bands; the WAV inversion needs {} (the front end's n_mels)",
                req.mel.n_mels
            )));
        }
        let non_finite = specs.iter().filter(|v| !v.is_finite()).count();
        if non_finite > 0 {
            return Err(bad(format!(
                "holds {non_finite} non-finite values; cannot turn it into audio"
            )));
        }
    }
    let stem = stem(&req.input);
    let plan = |base: &Option<PathBuf>, ext: &str| -> Vec<Option<PathBuf>> {
        (0..n)
            .map(|i| {
                base.as_deref().map(|base| {
                    let (folder_name, suffix) = if is_batch {
                        (format!("{stem}_{i:03}.{ext}"), format!("_{i:03}"))
                    } else {
                        (format!("{stem}.{ext}"), String::new())
                    };
                    output_path(base, &folder_name, &suffix, is_batch, i, &stem)
                })
            })
            .collect()
    };
    let pngs = plan(&req.png, "png");
    let wavs = plan(&req.wav, "wav");
    check_outputs(pngs.iter().chain(&wavs).flatten(), req.force)?;

    let specs = specs
        .into_dimensionality::<Ix3>()
        .map_err(|e| bad(e.to_string()))?;
    let inverter = if req.wav.is_some() {
        Some(MelInverter::new(&req.mel, &req.griffin_lim)?)
    } else {
        None
    };
    let mut out = Vec::with_capacity(n);
    for (i, spec) in specs.outer_iter().enumerate() {
        if let Some(path) = &pngs[i] {
            save_spectrogram_png(path, spec, &SpecStyle::default()).map_err(|source| {
                InspectError::Viz {
                    path: path.clone(),
                    source,
                }
            })?;
        }
        if let (Some(path), Some(inv)) = (&wavs[i], &inverter) {
            let mut gl_rng = ChaCha8Rng::seed_from_u64(req.seed ^ GL_SEED_SALT ^ i as u64);
            let audio = inv.invert(spec, &mut gl_rng)?;
            write_wav(path, &audio, req.mel.sample_rate)?;
        }
        out.push(RenderOutput {
            index: i,
            shape: [mels, frames],
            png: pngs[i].clone(),
            wav: wavs[i].clone(),
        });
    }
    Ok(out)
}

/// Picks `n` distinct clips at random (from `seed`) among the `*.wav` files of the word
/// folders of a Speech Commands folder: every sub-folder except those starting with `_`
/// (such as `_background_noise_`) or `.`. The clips come back in the order drawn.
///
/// # Errors
///
/// [`InspectError::Io`] naming an unreadable folder, [`InspectError::NotEnoughClips`] if
/// fewer than `n` clips exist.
pub fn pick_random_clips(data: &Path, n: usize, seed: u64) -> Result<Vec<PathBuf>, InspectError> {
    // Word folders are the top-level folders not starting with `_` or `.`; their `*.wav`
    // files, sorted by path.
    let mut clips = Vec::new();
    let walk = walkdir::WalkDir::new(data)
        .min_depth(1)
        .max_depth(2)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() != 1 || {
                let name = e.file_name().to_string_lossy();
                !(name.starts_with('_') || name.starts_with('.')) && e.file_type().is_dir()
            }
        });
    for entry in walk {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(data).to_path_buf();
            InspectError::Io {
                path,
                source: e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("file system loop")),
            }
        })?;
        if entry.depth() == 2
            && entry.file_type().is_file()
            && entry
                .path()
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("wav"))
        {
            clips.push(entry.into_path());
        }
    }
    clips.sort();
    if clips.len() < n {
        return Err(InspectError::NotEnoughClips {
            data: data.to_path_buf(),
            wanted: n,
            found: clips.len(),
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ PICK_SEED_SALT);
    Ok(rand::seq::index::sample(&mut rng, clips.len(), n)
        .into_iter()
        .map(|i| clips[i].clone())
        .collect())
}

/// The mode as written on a panel: `cutmix`, `none`, `cutmix (paired with itself)`, or
/// `mixup (power sum)` when every Mixup of the spec adds powers (`power_sum`).
fn panel_mode(rec: &MixRecord, power_sum: bool) -> String {
    match rec.mode {
        None => "none".to_string(),
        Some(m) if rec.self_paired => format!("{m} (paired with itself)"),
        Some(Mode::Mixup) if power_sum => "mixup (power sum)".to_string(),
        Some(m) => m.to_string(),
    }
}

/// Whether the spec has Mixup candidates and all of them add the two sounds as powers.
fn mixup_adds_powers(cfg: &RandomMixConfig) -> bool {
    let power: Vec<bool> = cfg
        .candidates
        .iter()
        .filter_map(|c| match c.config {
            ModeConfig::Mixup(m) => Some(m.db_per_unit.is_some()),
            _ => None,
        })
        .collect();
    !power.is_empty() && power.iter().all(|&p| p)
}

/// The file stem, for output names (`clip` if there is none).
fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "clip".into())
}

/// A short label for a panel: the clip's folder name (its word in Speech Commands), else its
/// stem.
fn label(path: &Path) -> String {
    path.parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| stem(path))
}

/// Whether an output argument names a folder: it ends with a separator or is an existing
/// folder.
fn is_folder(base: &Path) -> bool {
    base.as_os_str()
        .to_string_lossy()
        .chars()
        .last()
        .is_some_and(std::path::is_separator)
        || base.is_dir()
}

/// The output file for result `i` (see the module docs): `folder_name` inside a folder;
/// `base` itself for one result; `{i}`/`{stem}` replaced, or `suffix` inserted before the
/// extension, for several.
fn output_path(
    base: &Path,
    folder_name: &str,
    suffix: &str,
    many: bool,
    i: usize,
    stem: &str,
) -> PathBuf {
    if is_folder(base) {
        return base.join(folder_name);
    }
    if !many {
        return base.to_path_buf();
    }
    let text = base.to_string_lossy();
    if text.contains("{i}") || text.contains("{stem}") {
        return PathBuf::from(
            text.replace("{i}", &format!("{i:03}"))
                .replace("{stem}", stem),
        );
    }
    let file_stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = match base.extension() {
        Some(ext) => format!("{file_stem}{suffix}.{}", ext.to_string_lossy()),
        None => format!("{file_stem}{suffix}"),
    };
    base.with_file_name(name)
}

/// Refuses duplicate names and existing files (unless `force`), then creates missing parent
/// folders.
fn check_outputs<'a>(
    paths: impl Iterator<Item = &'a PathBuf>,
    force: bool,
) -> Result<(), InspectError> {
    let mut seen = HashSet::new();
    let paths: Vec<&PathBuf> = paths.collect();
    for p in &paths {
        if !seen.insert(p.as_path()) {
            return Err(InspectError::DuplicateOutput {
                path: p.to_path_buf(),
            });
        }
        if p.is_dir() {
            return Err(InspectError::BadInput {
                path: p.to_path_buf(),
                problem: "is a folder, not a file".into(),
            });
        }
        if !force && p.exists() {
            return Err(InspectError::Exists {
                path: p.to_path_buf(),
            });
        }
    }
    for p in paths {
        if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
            // Name the output the user asked for, and the folder that could not be made.
            randommix_frontend::io::create_dir_all(dir).map_err(|e| {
                WriteError::new(
                    p,
                    std::io::Error::new(
                        e.cause.kind(),
                        format!("cannot create its folder {}: {}", dir.display(), e.cause),
                    ),
                )
            })?;
        }
    }
    Ok(())
}

/// Writes a `[mels, frames]` float32 `.npy`, atomically.
fn write_npy(path: &Path, a: ArrayView2<'_, f32>) -> Result<(), WriteError> {
    use ndarray_npy::WriteNpyExt;
    let a = a.as_standard_layout();
    randommix_frontend::io::atomic_write(path, |w| {
        a.write_npy(w)
            .map_err(|e| std::io::Error::other(e.to_string()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use randommix_mix::MixMask;

    #[test]
    fn panels_name_a_power_sum_mixup() {
        let spec = |s: &str| s.parse::<RandomMixConfig>().expect("spec");
        assert!(mixup_adds_powers(&spec("mixup(db=1)")));
        assert!(mixup_adds_powers(&spec("mixup:1(db=1),cutmix:1,fmix:1")));
        assert!(!mixup_adds_powers(&spec("mixup")));
        assert!(!mixup_adds_powers(&spec("cutmix")));
        assert!(!mixup_adds_powers(&spec("mixup:1(db=1),mixup:1")));
        let rec = MixRecord::new(0, 1, Some(Mode::Mixup), 0.6, MixMask::Blend);
        assert_eq!(panel_mode(&rec, true), "mixup (power sum)");
        assert_eq!(panel_mode(&rec, false), "mixup");
        let mut cut = rec.clone();
        cut.mode = Some(Mode::CutMix);
        assert_eq!(panel_mode(&cut, true), "cutmix");
    }

    #[test]
    fn output_names() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            output_path(&p("out/"), "mix_001_a.png", "_001_a", true, 1, "a"),
            p("out/mix_001_a.png")
        );
        assert_eq!(
            output_path(&p("x.png"), "mix_000_a.png", "_000_a", false, 0, "a"),
            p("x.png")
        );
        assert_eq!(
            output_path(&p("d/x.png"), "mix_002_a.png", "_002_a", true, 2, "a"),
            p("d/x_002_a.png")
        );
        assert_eq!(
            output_path(&p("d/m{i}-{stem}.wav"), "", "", true, 7, "b"),
            p("d/m007-b.wav")
        );
        assert_eq!(
            output_path(&p("d/noext"), "", "_003", true, 3, "b"),
            p("d/noext_003")
        );
    }

    #[test]
    fn existing_and_duplicate_outputs_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = dir.path().join("a.png");
        std::fs::write(&a, b"x").expect("write");
        let err = check_outputs([&a].into_iter(), false).unwrap_err();
        assert!(matches!(err, InspectError::Exists { .. }), "{err}");
        assert!(err.to_string().contains("a.png"));
        check_outputs([&a].into_iter(), true).expect("forced");
        let b = dir.path().join("sub/b.png");
        let err = check_outputs([&b, &b].into_iter(), false).unwrap_err();
        assert!(matches!(err, InspectError::DuplicateOutput { .. }), "{err}");
        check_outputs([&b].into_iter(), false).expect("new file");
        assert!(dir.path().join("sub").is_dir());
    }

    #[test]
    fn too_few_clips_and_bad_spec() {
        let err = mix_clips(&MixRequest::new(vec![PathBuf::from("a.wav")], "cutmix")).unwrap_err();
        assert!(matches!(err, InspectError::TooFewClips { got: 1 }));
        let req = MixRequest::new(
            vec![PathBuf::from("a.wav"), PathBuf::from("b.wav")],
            "cutmix(alpha=x)",
        );
        let err = mix_clips(&req).unwrap_err();
        assert!(matches!(err, InspectError::Spec { .. }), "{err}");
    }
}
