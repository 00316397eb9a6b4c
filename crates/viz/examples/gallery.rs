//! One picture of each kind this crate draws, for looking at them side by side.
//!
//!     cargo run --release -p randommix-viz --example gallery [OUT_DIR [PREFIX]]
//!
//! Run from the repository root (it reads two bundled clips). Writes into `OUT_DIR` (default
//! `gallery/`) `PREFIXspectrogram.png`, `PREFIXpanel.png` (+ `.json`), `PREFIXcompare.png`,
//! `PREFIXrobustness.png` and `PREFIXdet.png`. The chart numbers are real: they are copied from
//! `docs/results/summary.csv`, `robustness.csv` and `detect/*_detect_test.json`.

use std::error::Error;
use std::path::PathBuf;

use randommix_frontend::audio::{CLIP_SAMPLES, load_clip};
use randommix_frontend::features::{MelConfig, MelFrontend};
use randommix_viz::inspect::{MixRequest, mix_clips};
use randommix_viz::{SpecStyle, bar_chart_png, det_plot_png, line_plot_png, save_spectrogram_png};

const CLIP_A: &str = "data/real/yes/0a7c2a8d_nohash_0.wav";
const CLIP_B: &str = "data/real/no/0a2b400e_nohash_0.wav";

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().unwrap_or_else(|| "gallery".into()));
    let prefix = args.next().unwrap_or_default();
    std::fs::create_dir_all(&out)?;
    let name = |kind: &str| out.join(format!("{prefix}{kind}.png"));

    // A spectrogram of one clip.
    let clip = load_clip(CLIP_A.as_ref(), CLIP_SAMPLES)?;
    let logmel = MelFrontend::new(&MelConfig::default())?.compute(&clip);
    save_spectrogram_png(&name("spectrogram"), logmel.view(), &SpecStyle::default())?;

    // A CutMix panel of two clips, as `randommix mix A B --mode cutmix --png` draws it.
    let mut req = MixRequest::new(vec![CLIP_A.into(), CLIP_B.into()], "cutmix");
    req.seed = 3;
    req.png = Some(name("panel"));
    req.force = true;
    mix_clips(&req)?;

    // `compare`'s bar chart (docs/results/summary.csv, test accuracy in %).
    let modes = [
        "none",
        "mixup;skip=0.7",
        "cutmix;skip=0.7",
        "resizemix;skip=0.7",
        "fmix;skip=0.7",
        "mixup:1,cutmix:1,resizemix:1,fmix:1;skip=0.7",
    ];
    let names: Vec<String> = modes.iter().map(|s| s.to_string()).collect();
    let means = [92.8251, 92.6756, 92.9746, 94.3199, 91.1809, 93.7220];
    let stds = [1.5534, 2.3012, 0.6850, 0.6850, 0.6850, 1.1864];
    bar_chart_png(
        &name("compare"),
        "test accuracy by mixing mode (mean +- std over seeds)",
        &names,
        &means,
        &stds,
        "test accuracy (%)",
    )?;

    // `robustness`' line plot for white noise (docs/results/robustness.csv, seeds 0-1).
    let ticks: Vec<String> = ["clean", "20", "10", "5", "0"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let series = vec![
        (
            "none-s0".to_string(),
            vec![93.72, 82.96, 69.51, 41.70, 9.87],
        ),
        (
            "mixup-1-cutmix-1-resizemix-1-fmix-1-skip-0-7-s0".to_string(),
            vec![92.83, 87.00, 60.99, 21.52, 8.52],
        ),
        (
            "none-s1".to_string(),
            vec![93.72, 86.10, 60.99, 27.80, 8.52],
        ),
        (
            "mixup-1-cutmix-1-resizemix-1-fmix-1-skip-0-7-s1".to_string(),
            vec![95.07, 88.79, 60.09, 19.28, 8.52],
        ),
    ];
    line_plot_png(
        &name("robustness"),
        "test accuracy vs. white_noise_snr_db",
        "white_noise_snr_db",
        "accuracy (%)",
        &ticks,
        &series,
    )?;

    // `detect`'s DET plot (docs/results/detect, 2 h streams): false accepts per hour against
    // false rejects in %. Three runs on one chart, as a library user could draw them.
    let det = vec![
        ("none-s0".to_string(), NONE_S0.to_vec()),
        ("default-s0".to_string(), DEFAULT_S0.to_vec()),
    ];
    det_plot_png(
        &name("det"),
        "DET, test split, 2.0 h",
        &det,
        &[0.5, 1.0],
        0.1,
    )?;
    println!("wrote {prefix}*.png into {}", out.display());
    Ok(())
}

const NONE_S0: [(f64, f64); 25] = [
    (675.5, 13.7),
    (680.5, 9.6),
    (605.0, 8.19),
    (512.5, 9.32),
    (404.5, 9.46),
    (321.0, 9.75),
    (237.0, 9.46),
    (166.0, 8.47),
    (122.0, 9.32),
    (95.5, 10.17),
    (74.0, 11.58),
    (54.0, 13.84),
    (42.0, 17.09),
    (27.5, 21.33),
    (17.0, 25.0),
    (10.5, 29.52),
    (6.0, 37.01),
    (4.0, 49.44),
    (1.0, 64.41),
    (1.0, 68.08),
    (0.5, 73.16),
    (0.5, 76.98),
    (0.5, 87.57),
    (0.0, 94.21),
    (0.0, 99.58),
];

const DEFAULT_S0: [(f64, f64); 25] = [
    (627.5, 15.82),
    (639.0, 10.45),
    (533.0, 9.32),
    (426.5, 8.76),
    (328.5, 9.18),
    (249.5, 9.89),
    (187.5, 10.59),
    (143.0, 10.88),
    (102.5, 12.85),
    (81.0, 16.1),
    (59.5, 18.64),
    (45.0, 22.03),
    (30.5, 26.41),
    (22.5, 33.9),
    (14.5, 41.53),
    (9.5, 48.45),
    (8.5, 57.77),
    (3.5, 70.34),
    (2.0, 85.03),
    (1.0, 88.7),
    (0.5, 91.81),
    (0.5, 95.06),
    (0.5, 98.31),
    (0.0, 99.44),
    (0.0, 100.0),
];
