//! WAV → log-mel with the librosa-equal front end, no burn involved.
//!
//!     cargo run --release -p randommix-frontend --example logmel [clip.wav]
//!
//! Without an argument it reads the crate's test clip `tests/data/logmel_ref/yes_0a495d81.wav`
//! (shipped with the crate, so the example also runs from the published package); prints the
//! shape and a few statistics of the log-mel and of a Griffin-Lim reconstruction.

use std::error::Error;
use std::path::PathBuf;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use randommix_frontend::audio::{CLIP_SAMPLES, load_clip};
use randommix_frontend::features::{GriffinLimConfig, MelConfig, MelFrontend, MelInverter};

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/logmel_ref/yes_0a495d81.wav")
        });
    // 16 kHz mono, padded or cropped to 1 s; other rates and formats are converted.
    let clip = load_clip(&path, CLIP_SAMPLES)?;
    let cfg = MelConfig::default(); // n_fft 480, hop 160, 40 Slaney mels, power 2, dB
    let frontend = MelFrontend::new(&cfg)?;
    let logmel = frontend.compute(&clip); // [40, 101]
    let (lo, hi) = logmel
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    println!(
        "{}: log-mel {:?}, {lo:.1} … {hi:.1} dB",
        path.display(),
        logmel.dim()
    );
    // Back to audio: mel → linear magnitude (NNLS) → fast Griffin-Lim, seeded phases.
    let inverter = MelInverter::new(&cfg, &GriffinLimConfig::default())?;
    let audio = inverter.invert(logmel.view(), &mut ChaCha8Rng::seed_from_u64(0))?;
    let rms = (audio.iter().map(|v| v * v).sum::<f32>() / audio.len() as f32).sqrt();
    println!("Griffin-Lim: {} samples, RMS {rms:.4}", audio.len());
    Ok(())
}
