//! Where a training step's time goes: each layer type of a CNN timed on its own, forward and
//! forward + backward, on the shapes of a `[64, 1, 40, 101]` batch, with our convolution
//! backward and with burn's generic one.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p randommix --example profile_step [reference|default]
//! ```
//!
//! `reference` is the conv 32-64-64 network of `../shared/peers/bench_train.py`; `default` is
//! randommix's default network; `bcresnet1` times BC-ResNet-1's whole step only. Times are medians of 7 repetitions, in milliseconds per batch.

use std::time::Instant;

use burn::module::Module;
use burn::nn::conv::Conv2dConfig;
use burn::nn::pool::MaxPool2dConfig;
use burn::nn::{BatchNormConfig, PaddingConfig2d, Relu};
use burn::optim::{AdamWConfig, GradientsParams};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Distribution, Tensor};
use randommix::model::{ModelConfig, fastblock, fastbn, fastconv, fastpool};

/// The binary's allocator and its setting (`crates/cli/main.rs`), so that the figures are the
/// tool's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn keep_freed_memory() {
    // SAFETY: sets mimalloc's purge delay (option 15) to "never"; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(15, -1) };
}

const REPS: usize = 7;

fn median_ms(mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..REPS)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[REPS / 2]
}

/// A random tensor held in memory (burn may keep `Tensor::random` lazy and regenerate it on
/// every read, which would be timed with the op).
fn random<const D: usize>(dims: [usize; D], dev: &Device) -> Tensor<D> {
    let t: Tensor<D> = Tensor::random(dims, Distribution::Normal(0.0, 1.0), dev);
    Tensor::from_data(t.into_data(), dev)
}

fn main() {
    keep_freed_memory();
    let which = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "reference".into());
    let mut cfg = ModelConfig::new(12, 40, 101);
    if which == "reference" {
        cfg.channels = vec![32, 64, 64];
        cfg.dropout = 0.0;
    }
    // `bcresnet1`: the whole step only (the per-layer rows are the CNN's).
    if which == "bcresnet1" {
        cfg = ModelConfig::bcresnet(12, 40, 101, 1);
    }
    let batch = 64;
    let dev = Device::flex().autodiff();
    dev.seed(0);
    println!(
        "# {which} net {:?}, batch {batch}, {} rayon thread(s); ms per batch",
        cfg.channels,
        rayon::current_num_threads()
    );
    // The whole step: forward, soft cross-entropy, backward, AdamW.
    let mut model = cfg.init(&dev);
    let mut optim = AdamWConfig::new().init();
    let x: Tensor<4> = random([batch, 1, 40, 101], &dev);
    let t: Tensor<2> = burn::tensor::activation::softmax(random([batch, 12], &dev), 1);
    let mut opt_ms = 0.0;
    let mut step = |generic: bool, opt_ms: &mut f64| {
        fastconv::set_generic(generic);
        median_ms(|| {
            let loss = (t.clone() * log_softmax(model.forward(x.clone()), 1))
                .sum_dim(1)
                .mean()
                .neg();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            let s = Instant::now();
            model = optim.step(1e-3, model.clone(), grads);
            let _ = model.clone().valid();
            *opt_ms = s.elapsed().as_secs_f64() * 1e3;
        })
    };
    let fast = step(false, &mut opt_ms);
    // `fast` as the second argument: only randommix's kernels (for a profiler).
    if std::env::args().nth(2).as_deref() == Some("fast") {
        println!("| whole training step | | | {fast:.1} |");
        return;
    }
    let generic = step(true, &mut opt_ms);
    fastconv::set_generic(false);
    println!(
        "| whole training step | | | {fast:.1} ({:.0} samples/s) | {generic:.1} ({:.0} samples/s) |",
        batch as f64 / fast * 1e3,
        batch as f64 / generic * 1e3
    );
    println!("| of which AdamW step (last repetition) | | | {opt_ms:.1} | |");
    if std::env::args().nth(2).as_deref() == Some("step") || which == "bcresnet1" {
        return;
    }
    println!("| op | shape | forward | fwd+bwd (ours) | fwd+bwd (burn generic) |");
    println!("|---|---|---|---|---|");
    let (mut h, mut w, mut c_in) = (40usize, 101usize, 1usize);
    let (mut tot_f, mut tot_fast, mut tot_gen) = (0.0, 0.0, 0.0);
    for (k, &c_out) in cfg.channels.iter().enumerate() {
        let last = k + 1 == cfg.channels.len();
        let x: Tensor<4> = random([batch, c_in, h, w], &dev);
        let conv = Conv2dConfig::new([c_in, c_out], [3, 3])
            .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
            .with_bias(false)
            .init(&dev);
        let xg = if k == 0 {
            x.clone()
        } else {
            x.clone().require_grad()
        };
        let fwd = median_ms(|| {
            let _ = fastconv::forward(&conv, x.clone()).into_data();
        });
        let mut both = [0.0; 2];
        for (i, generic) in [false, true].into_iter().enumerate() {
            fastconv::set_generic(generic);
            both[i] = median_ms(|| {
                let y = fastconv::forward(&conv, xg.clone());
                let _ = y.sum().backward();
            });
        }
        fastconv::set_generic(false);
        println!(
            "| conv{} 3×3 | {c_in}→{c_out} @ {h}×{w} | {fwd:.1} | {:.1} | {:.1} |",
            k + 1,
            both[0],
            both[1]
        );
        tot_f += fwd;
        tot_fast += both[0];
        tot_gen += both[1];
        let y: Tensor<4> = random([batch, c_out, h, w], &dev).require_grad();
        let bn = BatchNormConfig::new(c_out).init(&dev);
        let f = median_ms(|| {
            let _ = fastbn::forward(&bn, y.clone()).into_data();
        });
        let mut both = [0.0; 2];
        for (i, generic) in [false, true].into_iter().enumerate() {
            fastconv::set_generic(generic);
            both[i] = median_ms(|| {
                let _ = fastbn::forward(&bn, y.clone()).sum().backward();
            });
        }
        fastconv::set_generic(false);
        let b = both[0];
        println!(
            "| batch norm {} | {c_out} @ {h}×{w} | {f:.1} | {:.1} | {:.1} |",
            k + 1,
            both[0],
            both[1]
        );
        tot_gen += both[1] - both[0];
        let relu = Relu::new();
        let f2 = median_ms(|| {
            let _ = relu.forward(y.clone()).into_data();
        });
        let b2 = median_ms(|| {
            let _ = relu.forward(y.clone()).sum().backward();
        });
        println!(
            "| ReLU {} | {c_out} @ {h}×{w} | {f2:.1} | {b2:.1} | {b2:.1} |",
            k + 1
        );
        tot_f += f + f2;
        tot_fast += b + b2;
        tot_gen += b + b2;
        // What the CNN runs in training instead of the rows above and below: one fused op.
        let window = if last { [1, 1] } else { [2, 2] };
        let fused_f = median_ms(|| {
            let _ = fastblock::forward(&bn, y.clone(), window).into_data();
        });
        let fused_b = median_ms(|| {
            let _ = fastblock::forward(&bn, y.clone(), window).sum().backward();
        });
        let fused_row = format!(
            "| (fused batch norm + ReLU{} {}, instead of the rows above) | {c_out} @ {h}×{w} | {fused_f:.1} | {fused_b:.1} | |",
            if last { "" } else { " + max-pool" },
            k + 1
        );
        if !last {
            let pool = MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init();
            let f = median_ms(|| {
                let _ = fastpool::forward(&pool, y.clone()).into_data();
            });
            let mut both = [0.0; 2];
            for (i, generic) in [false, true].into_iter().enumerate() {
                fastconv::set_generic(generic);
                both[i] = median_ms(|| {
                    let _ = fastpool::forward(&pool, y.clone()).sum().backward();
                });
            }
            fastconv::set_generic(false);
            println!(
                "| max-pool {} | {c_out} @ {h}×{w} | {f:.1} | {:.1} | {:.1} |",
                k + 1,
                both[0],
                both[1]
            );
            tot_f += f;
            tot_fast += both[0];
            tot_gen += both[1];
            h /= 2;
            w /= 2;
        }
        println!("{fused_row}");
        c_in = c_out;
    }
    println!("| sum of the rows | | {tot_f:.1} | {tot_fast:.1} | {tot_gen:.1} |");
}
