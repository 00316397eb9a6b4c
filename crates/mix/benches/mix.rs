//! Mixing throughput on a batch of [128, 1, 40, 101] log-mels with 12 one-hot classes,
//! single thread: the work `../shared/peers/bench_mix.py` measures for timm, torchvision,
//! an mmpretrain-style ResizeMix and numpy FMix (mixed inputs and mixed targets, outputs
//! freshly allocated per batch). `mix_into/*` reuses the output buffers instead.
//!
//!     cargo bench --bench mix
//!     /tmp/peers/bin/python ../shared/peers/bench_mix.py --threads 1

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array2, Array4};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use randommix_mix::{DEFAULT_SPEC, Mixed, Mixer, RandomMix};

const B: usize = 128;
const K: usize = 12;

fn inputs() -> (Array4<f32>, Array2<f32>) {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let x = Array4::from_shape_simple_fn((B, 1, 40, 101), || rng.random_range(-1.0f32..1.0));
    let y = Array2::from_shape_fn((B, K), |(i, k)| if i % K == k { 1.0 } else { 0.0 });
    (x, y)
}

fn bench_mix(c: &mut Criterion) {
    let (x, y) = inputs();
    let per_sample = format!("{DEFAULT_SPEC};per=sample");
    let cases = [
        ("mixup", "mixup"),
        ("mixup_power", "mixup(db=1)"),
        ("cutmix", "cutmix"),
        ("resizemix", "resizemix"),
        ("fmix", "fmix"),
        ("randommix", DEFAULT_SPEC),
        ("randommix_per_sample", per_sample.as_str()),
        (
            "randommix_power",
            "mixup:1(db=1),cutmix:1,resizemix:1,fmix:1",
        ),
    ];
    let mut group = c.benchmark_group("mix");
    group.throughput(Throughput::Elements(B as u64));
    for (name, spec) in cases {
        let mixer: RandomMix = spec.parse().expect("valid spec");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        group.bench_function(name, |b| {
            b.iter(|| black_box(mixer.mix(x.view(), y.view(), &mut rng).expect("mix")))
        });
    }
    group.finish();

    let mut group = c.benchmark_group("mix_into");
    group.throughput(Throughput::Elements(B as u64));
    for (name, spec) in cases {
        let mixer: RandomMix = spec.parse().expect("valid spec");
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut out = Mixed::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                mixer
                    .mix_into(x.view(), y.view(), &mut rng, &mut out)
                    .expect("mix");
                black_box(&out);
            })
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    targets = bench_mix
}
criterion_main!(benches);
