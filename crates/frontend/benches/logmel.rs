//! Log-mel front end and mel inversion benchmarks.
//!
//! - `logmel/per_clip_1s`: one 1 s clip, one thread, reused scratch (`compute_into`).
//! - `logmel/per_clip_1s_alloc`: the same through `compute` (allocates the output).
//! - `logmel/batch_256`: `compute_batch` on 256 clips, all cores (rayon).
//! - `invert/mel_to_audio_1s`: NNLS + 32 fast Griffin-Lim iterations for one clip.
//!
//! Compare with `peers/bench_logmel.py --threads 1` and `benches/peers_invert.py` in the
//! same session.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::Array2;
use rand::SeedableRng;
use randommix_frontend::features::{GriffinLimConfig, MelConfig, MelFrontend, MelInverter};

/// A deterministic 1 s clip: a chirp plus noise (speed does not depend on content).
fn clip(seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..16_000)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let t = i as f32 / 16_000.0;
            let noise = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            0.3 * (2.0 * std::f32::consts::PI * (200.0 + 2000.0 * t) * t).sin() + 0.05 * noise
        })
        .collect()
}

fn logmel(c: &mut Criterion) {
    let fe = MelFrontend::new(&MelConfig::default()).unwrap();
    let x = clip(1);
    let mut out = Array2::<f32>::zeros((fe.n_mels(), fe.n_frames(x.len())));
    let mut scratch = fe.scratch();
    let mut g = c.benchmark_group("logmel");
    g.throughput(Throughput::Elements(1));
    g.bench_function("per_clip_1s", |b| {
        b.iter(|| fe.compute_into(black_box(&x), out.view_mut(), &mut scratch))
    });
    g.bench_function("per_clip_1s_alloc", |b| {
        b.iter(|| fe.compute(black_box(&x)))
    });
    let clips: Vec<Vec<f32>> = (0..256).map(clip).collect();
    g.throughput(Throughput::Elements(clips.len() as u64));
    g.bench_function("batch_256", |b| {
        b.iter(|| fe.compute_batch(black_box(&clips)))
    });
    g.finish();
}

fn invert(c: &mut Criterion) {
    let cfg = MelConfig::default();
    let fe = MelFrontend::new(&cfg).unwrap();
    let inv = MelInverter::new(&cfg, &GriffinLimConfig::default()).unwrap();
    let lm = fe.compute(&clip(3));
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mut g = c.benchmark_group("invert");
    g.sample_size(20);
    g.bench_function("mel_to_audio_1s", |b| {
        b.iter(|| inv.invert(black_box(lm.view()), &mut rng).unwrap())
    });
    g.bench_function("nnls_only_1s", |b| {
        b.iter(|| inv.mel_to_magnitude(black_box(lm.view())).unwrap())
    });
    g.finish();
}

criterion_group!(benches, logmel, invert);
criterion_main!(benches);
