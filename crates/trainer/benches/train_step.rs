//! Training-step and inference throughput of the CNN on [64, 1, 40, 101], burn-flex.
//!
//! `reference` is the network of `../shared/peers/bench_train.py` (conv 32-64-64, BN, ReLU,
//! two max-pools, GAP, linear); `default` is randommix's default network. Compare with
//! `/tmp/peers/bin/python ../shared/peers/bench_train.py --threads 2` run in the same session
//! (`benches/train_speed.sh` runs both at 1 and 2 threads and prints the ratios). Set
//! `RANDOMMIX_GENERIC_KERNELS=1` for burn's generic convolution / batch-norm / max-pool.

use burn::module::Module;
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Distribution, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use randommix::model::ModelConfig;

/// The binary's allocator and its setting (`crates/cli/main.rs`), so that the figures are the
/// tool's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn keep_freed_memory() {
    // SAFETY: sets mimalloc's purge delay (option 15) to "never"; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(15, -1) };
}

fn nets() -> Vec<(&'static str, ModelConfig)> {
    let mut reference = ModelConfig::new(12, 40, 101);
    reference.channels = vec![32, 64, 64];
    reference.dropout = 0.0;
    vec![
        ("reference", reference),
        ("default", ModelConfig::new(12, 40, 101)),
        ("bcresnet1", ModelConfig::bcresnet(12, 40, 101, 1)),
    ]
}

/// A random tensor held in memory (`Tensor::random` may be regenerated on every read).
fn random<const D: usize>(dims: [usize; D], device: &Device) -> Tensor<D> {
    let t: Tensor<D> = Tensor::random(dims, Distribution::Normal(0.0, 1.0), device);
    Tensor::from_data(t.into_data(), device)
}

fn bench(c: &mut Criterion) {
    keep_freed_memory();
    let batch = 64;
    let mut g = c.benchmark_group("train_step");
    g.sample_size(10);
    g.throughput(Throughput::Elements(batch as u64));
    for (name, cfg) in nets() {
        let device = Device::flex().autodiff();
        device.seed(0);
        let mut model = cfg.init(&device);
        let mut optim = AdamWConfig::new().init();
        let x: Tensor<4> = random([batch, 1, 40, 101], &device);
        let t: Tensor<2> = burn::tensor::activation::softmax(random([batch, 12], &device), 1);
        g.bench_function(format!("{name}_b{batch}"), |b| {
            b.iter(|| {
                let loss = (t.clone() * log_softmax(model.forward(x.clone()), 1))
                    .sum_dim(1)
                    .mean()
                    .neg();
                let grads = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(1e-3, model.clone(), grads);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("inference");
    g.sample_size(10);
    g.throughput(Throughput::Elements(batch as u64));
    for (name, cfg) in nets() {
        let device = Device::flex();
        let model = cfg.init(&device).valid();
        let x: Tensor<4> = random([batch, 1, 40, 101], &device);
        g.bench_function(format!("{name}_b{batch}"), |b| {
            b.iter(|| model.forward(x.clone()).into_data())
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
