//! Mixes the log-mels of two clips with every mode and prints what happened.
//!
//!     cargo run --release --example mix_spectrograms [A.wav B.wav]
//!
//! Without arguments it takes the first file (sorted by name) of `data/yes` and `data/no`.

use std::error::Error;
use std::path::{Path, PathBuf};

use ndarray::{Array2, Array4, s};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use randommix::audio::{CLIP_SAMPLES, load_clip};
use randommix::features::{MelConfig, MelFrontend};
use randommix::mix::{MixMask, Mixer, RandomMix};

/// The first `.wav` file of `dir`, by name.
fn first_wav(dir: &Path) -> Result<PathBuf, Box<dyn Error>> {
    let mut wavs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("wav"))
        })
        .collect();
    wavs.sort();
    wavs.into_iter()
        .next()
        .ok_or_else(|| format!("no .wav file in {}", dir.display()).into())
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let paths = match args.as_slice() {
        [] => [
            first_wav(Path::new("data/real/yes"))?,
            first_wav(Path::new("data/real/no"))?,
        ],
        [a, b] => [PathBuf::from(a), PathBuf::from(b)],
        _ => return Err("usage: mix_spectrograms [A.wav B.wav]".into()),
    };

    // Two log-mels, [mels, frames] each, stacked into a batch [2, 1, mels, frames].
    let frontend = MelFrontend::new(&MelConfig::default())?;
    let mels: Vec<Array2<f32>> = paths
        .iter()
        .map(|p| Ok(frontend.compute(&load_clip(p, CLIP_SAMPLES)?)))
        .collect::<Result<_, Box<dyn Error>>>()?;
    let (h, w) = mels[0].dim();
    let mut x = Array4::<f32>::zeros((2, 1, h, w));
    for (i, m) in mels.iter().enumerate() {
        x.slice_mut(s![i, 0, .., ..]).assign(m);
        println!("sample {i}: {} ({h} mels x {w} frames)", paths[i].display());
    }
    // One-hot targets: sample 0 is class 0, sample 1 is class 1.
    let y = Array2::from_shape_fn((2, 2), |(i, k)| if i == k { 1.0 } else { 0.0 });

    let specs = [
        "mixup",
        "cutmix",
        "cutmix(region=time)",
        "resizemix",
        "fmix",
        "fmix(region=freq)",
        "mixup:1,cutmix:1,resizemix:1,fmix:1;per=sample",
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for spec in specs {
        let mixer: RandomMix = spec.parse()?;
        // Pair the two clips with each other (a random permutation of two is the identity
        // half of the time).
        let mixed = mixer.mix_pairs(x.view(), y.view(), &[1, 0], &mut rng)?;
        println!("\n{mixer}");
        for r in &mixed.records {
            let footprint = match &r.mask {
                MixMask::None => "unmixed".to_string(),
                MixMask::Blend => "every cell blended".to_string(),
                MixMask::Box(b) | MixMask::Pasted(b) => format!(
                    "box mels {}..{}, frames {}..{}",
                    b.top,
                    b.top + b.height,
                    b.left,
                    b.left + b.width
                ),
                MixMask::Mask(m) => format!(
                    "mask, {} of {} cells kept",
                    m.iter().filter(|&&k| k).count(),
                    m.len()
                ),
                // `MixMask` is non-exhaustive: footprints may be added.
                other => format!("{other:?}"),
            };
            let mode = r.mode.map_or("none".to_string(), |m| m.to_string());
            println!(
                "  sample {} <- partner {}: {mode:<9} lambda = {:.3}, target = [{:.3}, {:.3}], {footprint}",
                r.index,
                r.partner,
                r.lambda,
                mixed.y[[r.index, 0]],
                mixed.y[[r.index, 1]],
            );
        }
    }
    Ok(())
}
