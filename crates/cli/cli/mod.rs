//! Subcommands: argument structs (clap) turned into library calls.

pub mod charts;
pub mod inspect;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};

use randommix::data::{NoiseSnr, SpecAugment, Split, TaskSpec, VoiceAugment};
use randommix::model::{Arch, Backend};
use randommix::train::{self, EpochMetrics, Progress, TrainConfig, default_run_dir};
use randommix::{LoadedRun, experiments};

/// `randommix train`.
#[derive(Args, Debug)]
pub struct TrainArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Run folder to create (default: runs/<UTC date-time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the stopped run in this folder (its config.json decides everything else, so
    /// the settings of a new run are refused beside it).
    #[arg(long, value_name = "RUN_DIR", conflicts_with_all = [
        "out", "folders", "epochs", "batch", "mix", "seed", "task", "words", "lr",
        "weight_decay", "backend", "model", "width", "mix_off_share", "label_smoothing",
        "voice_aug", "spec_augment", "noise_snr", "nonspeech",
    ])]
    pub resume: Option<PathBuf>,
    /// Epochs.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Mixing: `none`, one mode (`mixup`, `cutmix`, `resizemix`, `fmix`), `randommix` (the
    /// paper's four at 1:1:1:1) or weighted candidates such as `mixup:2,cutmix:1`, per-mode
    /// options such as `mixup(db=1)` (Mixup as a sum of powers), with global options such as
    /// `;skip=0.5` (probability of an unmixed batch) or `;per=sample` (README).
    #[arg(long, default_value = randommix::config::RECOMMENDED_MIX)]
    pub mix: String,
    #[command(flatten)]
    pub recipe: RecipeArgs,
    /// Seed of every random draw.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Task: `12` (silence, unknown + the words) or `all` (every word folder is a class).
    #[arg(long, default_value = "12")]
    pub task: String,
    /// Command words of the 12-class task, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = TaskSpec::default_words())]
    pub words: Vec<String>,
    /// Peak learning rate (AdamW, warm-up then cosine).
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// AdamW weight decay.
    #[arg(long, default_value_t = 1e-2)]
    pub weight_decay: f32,
    /// Compute backend: one of flex, ndarray, vulkan, wgpu (the last three need their cargo feature).
    #[arg(long, default_value_t = Backend::Flex, value_parser = |s: &str| s.parse::<Backend>())]
    pub backend: Backend,
    /// Print one line per epoch instead of a progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// The data folders of `train` and `compare`.
#[derive(Args, Debug)]
pub struct DataArgs {
    /// Speech Commands folder (v0.01/v0.02 layout); give it again for more folders. The first
    /// is the one the run is judged on (its validation split picks the checkpoint, its test
    /// split is the report's headline); each further one adds its training clips and its
    /// background noise to training. Default: the bundled real clips, plus the bundled
    /// synthetic set for training.
    #[arg(long = "data", value_name = "DIR", default_values = [randommix::config::DEFAULT_DATA, randommix::config::DEFAULT_EXTRA_DATA[0]])]
    pub folders: Vec<PathBuf>,
}

impl DataArgs {
    /// Sets the configuration's data folders, after checking that they exist.
    fn apply(&self, cfg: &mut TrainConfig) -> Result<()> {
        for d in &self.folders {
            if !d.exists() {
                bail!(
                    "{}: no such folder. The bundled data sets are `data/real` and \
                     `data/synthetic` in the randommix repository: run from the repository \
                     root, or pass --data PATH to a Speech Commands folder \
                     (word/<speaker>_nohash_<n>.wav, validation_list.txt, testing_list.txt)",
                    std::path::absolute(d)
                        .unwrap_or_else(|_| d.clone())
                        .display()
                );
            }
        }
        let (first, rest) = self
            .folders
            .split_first()
            .context("--data needs at least one folder")?;
        cfg.data = first.clone();
        cfg.extra_data = rest.to_vec();
        Ok(())
    }
}

/// The parts of the training recipe that `train` and `compare` share.
#[derive(Args, Debug)]
pub struct RecipeArgs {
    /// Network: `cnn` (the plain CNN) or `bcresnet` (BC-ResNet with SubSpectral norm).
    #[arg(long, default_value_t = Arch::Cnn, value_parser = |s: &str| s.parse::<Arch>())]
    pub model: Arch,
    /// BC-ResNet width factor (1-8).
    #[arg(long, default_value_t = 1)]
    pub width: usize,
    /// Share of the epochs at the end trained without mixing (0.15 of the default 60 = the last 9).
    #[arg(long, default_value_t = TrainConfig::default().mix_off_share)]
    pub mix_off_share: f64,
    /// Label smoothing ε (0 = off).
    #[arg(long, default_value_t = 0.0)]
    pub label_smoothing: f32,
    /// Voice and channel augmentation (speed, gain, mel warp, EQ, band-limiting, reverb):
    /// on, off, or a strength in [0, 1] that scales every stage's probability.
    #[arg(long, default_value = "off", value_parser = strength)]
    pub voice_aug: f32,
    /// SpecAugment time and frequency masks: on|off.
    #[arg(long, default_value = "off", value_parser = on_off, action = clap::ArgAction::Set)]
    pub spec_augment: bool,
    /// Noise for word clips at an SNR drawn from MIN:MAX dB (white noise for a third of them,
    /// background recordings for the rest), or `off` for a volume drawn from U(0, 0.1).
    #[arg(long, default_value = "off", value_parser = noise_snr)]
    pub noise_snr: NoiseChoice,
    /// Probability that a silence sample also holds a synthesized non-speech sound (tone,
    /// hum, clicks, siren, music, ring), so that the model learns not to fire on them.
    #[arg(long, default_value_t = randommix::data::AugmentConfig::default().nonspeech_prob)]
    pub nonspeech: f32,
}

/// `--noise-snr`: off or a range.
#[derive(Debug, Clone, Copy)]
pub struct NoiseChoice(pub Option<NoiseSnr>);

fn noise_snr(s: &str) -> std::result::Result<NoiseChoice, String> {
    match s {
        "off" => Ok(NoiseChoice(None)),
        "on" => Ok(NoiseChoice(Some(NoiseSnr::standard()))),
        other => NoiseSnr::parse_range(other).map(|n| NoiseChoice(Some(n))),
    }
}

fn strength(s: &str) -> std::result::Result<f32, String> {
    match s {
        "on" => Ok(1.0),
        "off" => Ok(0.0),
        other => match other.parse::<f32>() {
            Ok(v) if (0.0..=1.0).contains(&v) => Ok(v),
            _ => Err(format!("{other:?}: expected on, off or a number in [0, 1]")),
        },
    }
}

fn on_off(s: &str) -> std::result::Result<bool, String> {
    match s {
        "on" | "true" | "yes" => Ok(true),
        "off" | "false" | "no" => Ok(false),
        other => Err(format!("{other:?}: expected on or off")),
    }
}

impl RecipeArgs {
    /// Applies the recipe to a configuration.
    fn apply(&self, cfg: &mut TrainConfig) {
        cfg.arch = self.model;
        cfg.width = self.width;
        cfg.mix_off_share = self.mix_off_share;
        cfg.label_smoothing = self.label_smoothing;
        cfg.augment.voice = VoiceAugment::scaled(self.voice_aug);
        cfg.augment.noise_snr = self.noise_snr.0;
        cfg.augment.nonspeech_prob = self.nonspeech;
        cfg.augment.spec_augment = if self.spec_augment {
            SpecAugment::standard()
        } else {
            SpecAugment::default()
        };
    }
}

/// `randommix eval`.
#[derive(Args, Debug)]
pub struct EvalArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// Speech Commands folder (default: the run's own).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Split to evaluate.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Print one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `randommix detect`.
#[derive(Args, Debug)]
pub struct DetectArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// Speech Commands folder the stream is built from (default: the run's own).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Split whose clips make the stream.
    #[arg(long, default_value = "test")]
    pub split: Split,
    /// Minutes of synthesized stream (0: only the --negative recordings; at most 1440). It is
    /// composed and scored a minute at a time, so memory does not grow with its length.
    #[arg(long, default_value_t = 60.0)]
    pub minutes: f32,
    /// Seed of the stream's composition.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// A recording without keywords appended to the stream (every detection in it is a false
    /// accept); repeat for several.
    #[arg(long)]
    pub negative: Vec<PathBuf>,
    /// Hop between 1 s windows, in seconds.
    #[arg(long, default_value_t = 0.1)]
    pub hop: f32,
    /// Windows averaged when smoothing the posteriors.
    #[arg(long, default_value_t = 3)]
    pub smooth: usize,
    /// Seconds after a detection during which nothing else is reported.
    #[arg(long, default_value_t = 1.0)]
    pub refractory: f32,
    /// The threshold reported beside the 0.5 and 1 FA/h operating points.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f32,
    /// Print the report as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

/// `randommix features`.
#[derive(Args, Debug)]
pub struct FeaturesArgs {
    /// WAV files or folders (searched recursively for *.wav).
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Output .npy: [mels, frames] for one WAV, [clips, mels, frames] for several (with a
    /// sidecar `<out>.files.txt` listing them in order).
    #[arg(long)]
    pub out: PathBuf,
    /// Overwrite the output if it exists.
    #[arg(long)]
    pub force: bool,
}

struct Bar {
    bar: Option<ProgressBar>,
    quiet: bool,
}

impl Progress for Bar {
    fn message(&mut self, line: &str) {
        match &self.bar {
            Some(b) => b.println(line),
            None => eprintln!("{line}"),
        }
    }
    fn epoch_start(&mut self, epoch: usize, epochs: usize, steps: usize) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let b = ProgressBar::new(steps as u64);
        b.set_style(
            ProgressStyle::with_template("epoch {prefix} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b.set_prefix(format!("{epoch}/{epochs}"));
        self.bar = Some(b);
    }
    fn step(&mut self, step: usize, loss: f64, acc: f64, sps: f64) {
        if let Some(b) = &self.bar {
            b.set_position(step as u64);
            b.set_message(format!("loss {loss:.4} acc {acc:.3} {sps:.0} samples/s"));
        }
    }
    fn epoch_end(&mut self, m: &EpochMetrics) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        eprintln!(
            "epoch {:>3}: train loss {:.4} acc {:.3} | valid loss {:.4} acc {:.4} | {:.0} samples/s, data wait {:.1} % | {:.1} s",
            m.epoch,
            m.train_loss,
            m.train_acc,
            m.valid_loss,
            m.valid_acc,
            m.samples_per_s,
            100.0 * m.data_wait_share,
            m.seconds
        );
    }
}

pub fn train(a: TrainArgs) -> Result<()> {
    let mut bar = Bar {
        bar: None,
        quiet: a.quiet,
    };
    let (cfg, out, resume) = match a.resume {
        Some(dir) => (TrainConfig::default(), dir, true),
        None => {
            let mut cfg = TrainConfig {
                task: TaskSpec::parse(&a.task, &a.words)?,
                epochs: a.epochs,
                batch_size: a.batch,
                lr: a.lr,
                weight_decay: a.weight_decay,
                mix: a.mix,
                seed: a.seed,
                backend: a.backend,
                ..TrainConfig::default()
            };
            a.recipe.apply(&mut cfg);
            a.data.apply(&mut cfg)?;
            (
                cfg,
                a.out.unwrap_or_else(|| default_run_dir(Path::new("runs"))),
                false,
            )
        }
    };
    eprintln!("run folder: {}", out.display());
    let s = train::train(&cfg, &out, resume, &mut bar)
        .with_context(|| format!("training into {}", out.display()))?;
    let secondary: String = s
        .secondary
        .iter()
        .map(|e| {
            let folder = e
                .source
                .as_ref()
                .and_then(|src| src.data.file_name())
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("; {folder} {} {:.4} on {}", e.split, e.accuracy, e.samples)
        })
        .collect();
    println!(
        "best validation accuracy {:.4} (epoch {}); test accuracy {:.4} on {} samples{}{secondary}; {:.1} s",
        s.best_valid_acc,
        s.best_epoch,
        s.test.accuracy,
        s.test.samples,
        s.indomain
            .as_ref()
            .map(|d| format!(
                "; in-domain test accuracy {:.4} on {} samples",
                d.accuracy, d.samples
            ))
            .unwrap_or_default(),
        s.seconds
    );
    println!(
        "run folder: {}  (evaluate: randommix eval --run {})",
        out.display(),
        out.display()
    );
    Ok(())
}

pub fn eval(a: EvalArgs) -> Result<()> {
    let (r, file) = randommix::eval::evaluate(&a.run, a.data.as_deref(), a.split)
        .with_context(|| format!("evaluating {}", a.run.display()))?;
    eprintln!("wrote {}", file.display());
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        print!("{}", r.to_text());
    }
    Ok(())
}

pub fn detect(a: DetectArgs) -> Result<()> {
    let cfg = randommix::detect::DetectConfig {
        minutes: a.minutes,
        seed: a.seed,
        negatives: a.negative,
        hop_s: a.hop,
        smooth: a.smooth,
        refractory_s: a.refractory,
        threshold: a.threshold,
    };
    let (r, files) =
        randommix::detect::detect(&a.run, a.data.as_deref(), a.split, &cfg, &charts::VizCharts)
            .with_context(|| format!("measuring detection of {}", a.run.display()))?;
    for f in &files {
        eprintln!("wrote {}", f.display());
    }
    if a.json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        print!("{}", r.to_text());
    }
    Ok(())
}

pub fn features(a: FeaturesArgs) -> Result<()> {
    if a.out.exists() && !a.force {
        bail!("{} exists; pass --force to overwrite it", a.out.display());
    }
    let cfg = randommix::features::MelConfig::default();
    let s = randommix::features::extract_to_npy(&a.inputs, &a.out, &cfg)?;
    eprintln!(
        "wrote {} {:?} from {} file(s){}",
        s.output.display(),
        s.shape,
        s.files.len(),
        s.file_list
            .map(|p| format!("; file list {}", p.display()))
            .unwrap_or_default()
    );
    Ok(())
}

/// `randommix predict`.
#[derive(Args, Debug)]
pub struct PredictArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// WAV clips (any rate/format; padded or cropped to the run's clip length).
    #[arg(required = true)]
    pub clips: Vec<PathBuf>,
    /// How many labels to show per clip.
    #[arg(long, default_value_t = 3)]
    pub top: usize,
    /// Print JSON (one array of objects).
    #[arg(long)]
    pub json: bool,
}

/// `randommix export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// The ONNX file to write; the JSON description goes beside it (`model.onnx` → `model.json`).
    #[arg(long)]
    pub out: PathBuf,
    /// Export the last checkpoint instead of the best.
    #[arg(long)]
    pub last: bool,
    /// Overwrite existing output files.
    #[arg(long)]
    pub force: bool,
}

pub fn export(a: ExportArgs) -> Result<()> {
    let s = randommix::export::export_run(&a.run, &a.out, a.last, a.force)
        .with_context(|| format!("exporting {}", a.run.display()))?;
    eprintln!(
        "wrote {} ({} nodes, ONNX opset {}) and {}",
        s.model.display(),
        s.nodes,
        randommix::export::OPSET,
        s.info.display()
    );
    Ok(())
}

/// `randommix spot`.
#[derive(Args, Debug)]
pub struct SpotArgs {
    /// The run folder.
    #[arg(long)]
    pub run: PathBuf,
    /// A long recording, or `-` for a stream on standard input (WAV, or raw with `--raw`),
    /// e.g. `arecord -f S16_LE -r 16000 | randommix spot --run R -`.
    pub wav: PathBuf,
    /// The stream on standard input is raw 16-bit little-endian mono at 16 kHz, not WAV.
    #[arg(long)]
    pub raw: bool,
    /// Streaming: seconds after a detection during which nothing else is reported.
    #[arg(long, default_value_t = 1.0)]
    pub refractory: f32,
    /// Streaming: per-keyword thresholds, e.g. `yes=0.8,no=0.7` (others use --threshold).
    #[arg(long, value_delimiter = ',')]
    pub threshold_for: Vec<String>,
    /// Hop between 1 s windows, in seconds.
    #[arg(long, default_value_t = 0.1)]
    pub hop: f32,
    /// Windows averaged when smoothing the posteriors.
    #[arg(long, default_value_t = 3)]
    pub smooth: usize,
    /// Smallest smoothed probability reported.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f32,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `randommix compare`.
#[derive(Args, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub data: DataArgs,
    /// Report folder (runs go to <out>/runs; finished runs are reused).
    #[arg(long, default_value = "runs/compare")]
    pub out: PathBuf,
    /// Mix specifications to compare, separated by `/` or `,` between plain mode names
    /// (e.g. `none,mixup,cutmix,resizemix,fmix,randommix`; `randommix` = the paper's four at
    /// 1:1:1:1). The default: no mixing, each mode as the training default uses it and the
    /// training default's RandomMix.
    #[arg(long, default_value = randommix::config::COMPARE_MODES)]
    pub modes: String,
    /// Seeds per mode (0, 1, ...).
    #[arg(long, default_value_t = 3)]
    pub seeds: usize,
    /// Epochs per run.
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Batch size.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Task: 12 or all.
    #[arg(long, default_value = "12")]
    pub task: String,
    /// Global mixing options appended to every mode but `none` (same schedule for all), e.g.
    /// `skip=0.5`; empty for none.
    #[arg(long, default_value = "skip=0.7")]
    pub mix_options: String,
    /// Minutes of detection stream per run (`randommix detect` on the test split: FA/h and
    /// false rejects at threshold 0.5 in the table); 0 leaves detection out.
    #[arg(long, default_value_t = 20.0)]
    pub detect_minutes: f32,
    #[command(flatten)]
    pub recipe: RecipeArgs,
}

/// `randommix robustness`.
#[derive(Args, Debug)]
pub struct RobustnessArgs {
    /// Trained run folders (one line per run in the plots).
    #[arg(long = "run", required = true)]
    pub runs: Vec<PathBuf>,
    /// Speech Commands folder (default: each run's own).
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Report folder.
    #[arg(long, default_value = "runs/robustness")]
    pub out: PathBuf,
    /// SNRs in dB for white and background noise (each from -50 to 100).
    #[arg(long, value_delimiter = ',', default_values_t = [20.0f32, 10.0, 5.0, 0.0])]
    pub snr: Vec<f32>,
    /// Occluded shares of the spectrogram in % (boxes, time strips, bands; each from 0 to 100).
    #[arg(long, value_delimiter = ',', default_values_t = [10.0f32, 20.0, 30.0, 40.0])]
    pub occlusion: Vec<f32>,
    /// FGSM ε in dB of log-mel (each from 0 to 100).
    #[arg(long, value_delimiter = ',', default_values_t = [0.0f32, 0.5, 1.0, 2.0, 4.0])]
    pub eps: Vec<f32>,
    /// Seed of noise segments and occlusion positions.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

pub fn predict(a: PredictArgs) -> Result<()> {
    if a.top == 0 {
        bail!("--top 0: the number of labels shown per clip must be at least 1");
    }
    let run =
        LoadedRun::open(&a.run, false).with_context(|| format!("loading {}", a.run.display()))?;
    let preds = run.predict_files(&a.clips, a.top)?;
    if a.json {
        println!("{}", serde_json::to_string(&preds)?);
    } else {
        for p in preds {
            let labels: Vec<String> = p
                .top
                .iter()
                .map(|s| format!("{} {:.3}", s.label, s.probability))
                .collect();
            println!("{}\t{}", p.file.display(), labels.join("  "));
        }
    }
    Ok(())
}

pub fn spot(a: SpotArgs) -> Result<()> {
    use std::io::Write;
    let run =
        LoadedRun::open(&a.run, false).with_context(|| format!("loading {}", a.run.display()))?;
    let mut thresholds = Vec::new();
    for t in &a.threshold_for {
        let (k, v) = t
            .split_once('=')
            .with_context(|| format!("--threshold-for {t:?}: expected WORD=PROBABILITY"))?;
        let v: f32 = v
            .parse()
            .with_context(|| format!("--threshold-for {t:?}: {v:?} is not a number"))?;
        thresholds.push((k.to_string(), v));
    }
    let cfg = randommix::stream::StreamConfig {
        hop_s: a.hop,
        smooth: a.smooth,
        threshold: a.threshold,
        thresholds,
        refractory_s: a.refractory,
    };
    let line = |d: &randommix::stream::StreamDetection| {
        format!(
            "{:>8.2} s  {:<10} {:.3}  (reported {:.2} s after the word)",
            d.end_s, d.label, d.score, d.latency_s
        )
    };
    if a.wav.as_os_str() != "-" {
        // A file: the same detector, fed as if the file arrived in 10 ms pieces.
        let mut found = Vec::new();
        let secs = randommix::stream::spot_file(&run, &a.wav, cfg, &mut |d| found.push(d.clone()))
            .with_context(|| format!("spotting in {}", a.wav.display()))?;
        if a.json {
            println!("{}", serde_json::to_string(&found)?);
        } else {
            for d in &found {
                println!("{}", line(d));
            }
        }
        eprintln!(
            "{} keyword(s) in {secs:.1} s of {}",
            found.len(),
            a.wav.display()
        );
        return Ok(());
    }
    let format = if a.raw {
        randommix::stream::StreamFormat::RawS16
    } else {
        randommix::stream::StreamFormat::Wav
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut failed: Option<std::io::Error> = None;
    let mut n = 0usize;
    let secs = randommix::stream::spot_stream(
        &run,
        std::io::stdin().lock(),
        format,
        cfg,
        "standard input",
        &mut |d| {
            n += 1;
            let text = if a.json {
                serde_json::to_string(d).unwrap_or_default()
            } else {
                line(d)
            };
            if failed.is_none()
                && let Err(e) = writeln!(out, "{text}").and_then(|_| out.flush())
            {
                failed = Some(e);
            }
        },
    )?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    eprintln!("{n} keyword(s) in {secs:.1} s of audio from standard input");
    Ok(())
}

pub fn compare(a: CompareArgs) -> Result<()> {
    let mut base = TrainConfig {
        task: TaskSpec::parse(&a.task, &TaskSpec::default_words())?,
        epochs: a.epochs,
        batch_size: a.batch,
        ..TrainConfig::default()
    };
    a.recipe.apply(&mut base);
    a.data.apply(&mut base)?;
    let modes = experiments::split_modes_with(&a.modes, &a.mix_options);
    let mut bar = Bar {
        bar: None,
        quiet: false,
    };
    let detect = randommix::detect::DetectConfig {
        minutes: a.detect_minutes,
        ..Default::default()
    };
    let detect = (a.detect_minutes > 0.0).then_some(&detect);
    let rows = experiments::compare(
        &base,
        &modes,
        a.seeds,
        &a.out,
        detect,
        &mut bar,
        &charts::VizCharts,
    )?;
    print!("{}", experiments::compare_markdown(&rows));
    println!(
        "report: {}/summary.md, summary.csv, results.csv, accuracy.png",
        a.out.display()
    );
    Ok(())
}

pub fn robustness(a: RobustnessArgs) -> Result<()> {
    let cfg = experiments::RobustnessConfig {
        snrs_db: a.snr,
        occlusion_pct: a.occlusion,
        fgsm_eps_db: a.eps,
        seed: a.seed,
    };
    let mut bar = Bar {
        bar: None,
        quiet: true,
    };
    experiments::robustness(
        &a.runs,
        a.data.as_deref(),
        &cfg,
        &a.out,
        &mut bar,
        &charts::VizCharts,
    )?;
    let md_path = a.out.join("robustness.md");
    let md = std::fs::read_to_string(&md_path)
        .with_context(|| format!("reading the report {}", md_path.display()))?;
    println!("{md}");
    println!(
        "report: {}/robustness.md, robustness.csv, robustness_*.png",
        a.out.display()
    );
    Ok(())
}
