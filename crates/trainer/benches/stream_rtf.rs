//! Real-time factor of streaming keyword spotting: seconds of audio processed per second of
//! wall time (criterion's `elem/s`, one element = one second of audio), with the default
//! network at a 100 ms hop. Run on one core: `RAYON_NUM_THREADS=1 cargo bench --bench
//! stream_rtf`.
//!
//! - `spotter`: `spot -` as it runs — one log-mel frame per 10 ms, the model on the last
//!   second every hop (batch 1), smoothing and the decision rule.
//! - `frames_only`: the incremental front end alone (the part no window recomputes).
//! - `batched_trace`: the same posteriors with the windows batched, as `detect` computes them.
//!
//! The network is untrained (the speed does not depend on the weights), its weights held in
//! memory as a loaded run's are.

use burn::module::Module;
use burn::tensor::Device;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use randommix::LoadedRun;
use randommix::config::TrainConfig;
use randommix::data::Normalization;
use randommix::features::MelFrontend;
use randommix::model::ModelConfig;
use randommix::stream::{FrameStream, PosteriorTrace, Spotter, StreamConfig};

/// The binary's allocator and its setting (`crates/cli/main.rs`), so that the figures are the
/// tool's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn keep_freed_memory() {
    // SAFETY: sets mimalloc's purge delay (option 15) to "never"; no memory is touched.
    unsafe { libmimalloc_sys::mi_option_set(15, -1) };
}

const SECONDS: usize = 20;

fn run() -> LoadedRun {
    let config = TrainConfig {
        classes: [
            "_silence_",
            "_unknown_",
            "yes",
            "no",
            "up",
            "down",
            "left",
            "right",
            "on",
            "off",
            "stop",
            "go",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        ..TrainConfig::default()
    };
    let device = Device::flex();
    let n_frames = MelFrontend::new(&config.mel)
        .expect("front end")
        .n_frames(config.clip_samples);
    // Through its record and back, as a loaded run's weights are: a freshly initialised
    // parameter is drawn again on every read, which would time the random draws.
    let cfg = ModelConfig::new(12, config.mel.n_mels, n_frames);
    let bytes = cfg
        .init(&device)
        .into_record()
        .into_bytes()
        .expect("record");
    let record = burn::store::ModuleRecord::from_bytes(bytes).expect("record");
    let model = cfg.init(&device).try_load_record(record).expect("load");
    LoadedRun {
        frontend: MelFrontend::new(&config.mel).expect("front end"),
        config,
        model,
        device,
        norm: Normalization {
            mean: -40.0,
            std: 20.0,
        },
        checkpoint_epoch: 0,
        checkpoint: std::path::PathBuf::from("untrained"),
        dir: std::path::PathBuf::from("untrained"),
    }
}

/// Deterministic audio: a gliding tone over low noise.
fn audio() -> Vec<f32> {
    let mut state = 1u32;
    (0..SECONDS * 16_000)
        .map(|i| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let t = i as f32 / 16_000.0;
            0.2 * (std::f32::consts::TAU * (300.0 + 50.0 * t) * t).sin() + 0.01 * noise
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    keep_freed_memory();
    let run = run();
    let x = audio();
    let cfg = StreamConfig {
        hop_s: 0.1,
        smooth: 3,
        threshold: 0.5,
        thresholds: Vec::new(),
        refractory_s: 1.0,
    };
    let mut g = c.benchmark_group("stream");
    g.sample_size(10);
    g.throughput(Throughput::Elements(SECONDS as u64));
    g.bench_function("spotter_hop100ms", |b| {
        b.iter(|| {
            let mut sp = Spotter::new(&run, cfg.clone()).expect("spotter");
            let mut n = 0usize;
            for piece in x.chunks(160) {
                sp.push(piece, &mut |_| n += 1).expect("push");
            }
            n
        })
    });
    g.bench_function("frames_only", |b| {
        b.iter(|| {
            let mut fs = FrameStream::new(&run.config.mel).expect("frames");
            let mut n = 0usize;
            for piece in x.chunks(160) {
                fs.push(piece, &mut |_| n += 1);
            }
            n
        })
    });
    g.bench_function("batched_trace_hop100ms", |b| {
        b.iter(|| {
            PosteriorTrace::compute(&run, &x, 0.1, 3)
                .expect("trace")
                .times
                .len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
