//! The log-mel front end against references: librosa's output for bundled clips and its
//! filterbanks (tests/data/logmel_ref, see the README there), and a naive f64 DFT
//! implementation written here from the formulas.

use std::path::{Path, PathBuf};

use ndarray::{Array2, ArrayView2, Ix2};
use randommix_frontend::audio::{CLIP_SAMPLES, load_clip};
use randommix_frontend::features::{
    MelConfig, MelFrontend, MelNorm, MelScale, mel_filterbank_dense, read_npy_f32,
};

fn ref_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/logmel_ref")
}

fn npy2(path: &Path) -> Array2<f32> {
    read_npy_f32(path)
        .unwrap()
        .into_dimensionality::<Ix2>()
        .unwrap()
}

/// Deterministic test signals: a chirp with noise, a loud tone, near-silence, clicks.
fn signals() -> Vec<(String, Vec<f32>)> {
    let mut state = 12345u64;
    let mut noise = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5
    };
    let n = CLIP_SAMPLES;
    let chirp: Vec<f32> = (0..n)
        .map(|i| {
            let t = i as f32 / 16_000.0;
            0.3 * (2.0 * std::f32::consts::PI * (100.0 + 3000.0 * t) * t).sin() + 0.01 * noise()
        })
        .collect();
    let tone: Vec<f32> = (0..n)
        .map(|i| 0.99 * (i as f32 * 2.0 * std::f32::consts::PI * 440.0 / 16_000.0).sin())
        .collect();
    let quiet: Vec<f32> = (0..n).map(|_| 1e-4 * noise()).collect();
    let mut clicks = vec![0f32; n];
    for i in (0..n).step_by(1234) {
        clicks[i] = 0.8;
    }
    let short: Vec<f32> = (0..5000).map(|_| 0.2 * noise()).collect();
    vec![
        ("chirp".into(), chirp),
        ("tone".into(), tone),
        ("quiet".into(), quiet),
        ("clicks".into(), clicks),
        ("short".into(), short),
    ]
}

// ---- naive reference, in f64, from the formulas -------------------------------------

fn naive_hz_to_mel(f: f64, htk: bool) -> f64 {
    if htk {
        return 2595.0 * (1.0 + f / 700.0).log10();
    }
    let f_sp = 200.0 / 3.0;
    if f >= 1000.0 {
        1000.0 / f_sp + (f / 1000.0).ln() / (6.4f64.ln() / 27.0)
    } else {
        f / f_sp
    }
}

fn naive_mel_to_hz(m: f64, htk: bool) -> f64 {
    if htk {
        return 700.0 * (10f64.powf(m / 2595.0) - 1.0);
    }
    let f_sp = 200.0 / 3.0;
    if m >= 1000.0 / f_sp {
        1000.0 * ((6.4f64.ln() / 27.0) * (m - 1000.0 / f_sp)).exp()
    } else {
        f_sp * m
    }
}

/// Dense f64 filterbank: triangles between consecutive mel-spaced edges.
fn naive_filterbank(cfg: &MelConfig) -> Array2<f64> {
    let htk = cfg.mel_scale == MelScale::Htk;
    let n_bins = cfg.n_fft / 2 + 1;
    let (lo, hi) = (
        naive_hz_to_mel(cfg.fmin as f64, htk),
        naive_hz_to_mel(cfg.fmax as f64, htk),
    );
    let edges: Vec<f64> = (0..cfg.n_mels + 2)
        .map(|i| naive_mel_to_hz(lo + (hi - lo) * i as f64 / (cfg.n_mels + 1) as f64, htk))
        .collect();
    let mut w = Array2::zeros((cfg.n_mels, n_bins));
    for m in 0..cfg.n_mels {
        let (a, b, c) = (edges[m], edges[m + 1], edges[m + 2]);
        for k in 0..n_bins {
            let f = k as f64 * cfg.sample_rate as f64 / cfg.n_fft as f64;
            let v = if f > a && f <= b {
                (f - a) / (b - a)
            } else if f > b && f < c {
                (c - f) / (c - b)
            } else {
                0.0
            };
            let norm = match cfg.norm {
                MelNorm::Slaney => 2.0 / (c - a),
                MelNorm::None => 1.0,
                other => panic!("no reference for {other:?}"),
            };
            w[[m, k]] = v * norm;
        }
    }
    w
}

/// Log-mel by direct DFT of zero-padded, Hann-windowed frames, in f64.
fn naive_logmel(x: &[f32], cfg: &MelConfig) -> Array2<f64> {
    let n = cfg.n_fft;
    let n_bins = n / 2 + 1;
    let lpad = (n - cfg.win_length) / 2;
    let window: Vec<f64> = (0..n)
        .map(|j| {
            if j < lpad || j >= lpad + cfg.win_length {
                0.0
            } else {
                let i = (j - lpad) as f64;
                0.5 - 0.5 * (2.0 * std::f64::consts::PI * i / cfg.win_length as f64).cos()
            }
        })
        .collect();
    let frames = 1 + x.len() / cfg.hop_length;
    let fb = naive_filterbank(cfg);
    let mut out = Array2::zeros((cfg.n_mels, frames));
    let mut frame = vec![0f64; n];
    let mut power = vec![0f64; n_bins];
    for t in 0..frames {
        for (j, f) in frame.iter_mut().enumerate() {
            let i = (t * cfg.hop_length + j) as isize - (n / 2) as isize;
            let s = if i >= 0 && (i as usize) < x.len() {
                f64::from(x[i as usize])
            } else {
                0.0
            };
            *f = s * window[j];
        }
        for (k, p) in power.iter_mut().enumerate() {
            let (mut re, mut im) = (0.0, 0.0);
            for (j, &v) in frame.iter().enumerate() {
                let ang = -2.0 * std::f64::consts::PI * ((k * j) % n) as f64 / n as f64;
                re += v * ang.cos();
                im += v * ang.sin();
            }
            *p = re * re + im * im;
        }
        for m in 0..cfg.n_mels {
            let s: f64 = (0..n_bins).map(|k| fb[[m, k]] * power[k]).sum();
            out[[m, t]] = 10.0 * s.max(f64::from(cfg.amin)).log10();
        }
    }
    out
}

/// (max |Δ|, median |Δ|) over the cells within 80 dB of the reference's maximum.
fn compare(ours: ArrayView2<f32>, reference: ArrayView2<f64>) -> (f64, f64) {
    assert_eq!(ours.dim(), reference.dim());
    let max = reference.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut d: Vec<f64> = ours
        .iter()
        .zip(reference.iter())
        .filter(|&(_, &r)| r >= max - 80.0)
        .map(|(&o, &r)| (f64::from(o) - r).abs())
        .collect();
    assert!(!d.is_empty());
    d.sort_by(f64::total_cmp);
    (d[d.len() - 1], d[d.len() / 2])
}

#[test]
fn filterbank_matches_naive_slaney_and_htk() {
    for scale in [MelScale::Slaney, MelScale::Htk] {
        for norm in [MelNorm::Slaney, MelNorm::None] {
            for (n_mels, n_fft) in [(40, 512), (64, 1024), (13, 256)] {
                let cfg = MelConfig::default()
                    .with_mel_scale(scale)
                    .with_norm(norm)
                    .with_n_mels(n_mels)
                    .with_n_fft(n_fft)
                    .with_win_length(n_fft);
                let ours = mel_filterbank_dense(&cfg);
                let naive = naive_filterbank(&cfg);
                let peak = naive.iter().copied().fold(0.0, f64::max);
                for ((i, &a), &b) in ours.indexed_iter().zip(naive.iter()) {
                    assert!(
                        (f64::from(a) - b).abs() <= 1e-6 * peak,
                        "{scale:?} {norm:?} {n_mels}x{n_fft} at {i:?}: {a} vs {b}"
                    );
                }
                // The frontend's sparse bank is the same matrix.
                let fe = MelFrontend::new(&cfg).unwrap();
                assert_eq!(fe.filterbank().to_dense(), ours);
            }
        }
    }
}

#[test]
fn filterbank_matches_librosa() {
    for (file, scale, norm) in [
        ("melfb_slaney.npy", MelScale::Slaney, MelNorm::Slaney),
        ("melfb_htk.npy", MelScale::Htk, MelNorm::Slaney),
        ("melfb_slaney_nonorm.npy", MelScale::Slaney, MelNorm::None),
    ] {
        let want = npy2(&ref_dir().join(file));
        let cfg = MelConfig::default().with_mel_scale(scale).with_norm(norm);
        let ours = mel_filterbank_dense(&cfg);
        assert_eq!(ours.dim(), want.dim());
        let max_rel = ours
            .iter()
            .zip(want.iter())
            .map(|(a, b)| (a - b).abs() / b.abs().max(1e-12))
            .filter(|r| r.is_finite())
            .fold(0.0f32, f32::max);
        // Same f64 arithmetic, same f32 rounding: equal up to one f32 ulp.
        assert!(
            max_rel <= 2.0 * f32::EPSILON,
            "{file}: max relative {max_rel}"
        );
    }
}

#[test]
fn logmel_matches_naive_dft() {
    let cfg = MelConfig::default();
    let fe = MelFrontend::new(&cfg).unwrap();
    for (name, x) in signals() {
        let ours = fe.compute(&x);
        let naive = naive_logmel(&x, &cfg);
        let (max, median) = compare(ours.view(), naive.view());
        eprintln!("{name}: max |Δ| {max:.5} dB, median {median:.6} dB vs naive f64 DFT");
        assert!(max <= 0.02, "{name}: max |Δ| {max} dB");
        assert!(median <= 0.001, "{name}: median |Δ| {median} dB");
    }
}

#[test]
fn logmel_matches_librosa_on_bundled_clips() {
    let fe = MelFrontend::new(&MelConfig::default()).unwrap();
    let mut wavs: Vec<PathBuf> = std::fs::read_dir(ref_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    wavs.sort();
    assert!(
        wavs.len() >= 10,
        "expected ≥ 10 reference clips, found {}",
        wavs.len()
    );
    let (mut worst_max, mut worst_median) = (0.0f64, 0.0f64);
    for wav in &wavs {
        let want = npy2(&wav.with_extension("npy")).mapv(f64::from);
        let clip = load_clip(wav, CLIP_SAMPLES).unwrap();
        let ours = fe.compute(&clip);
        let (max, median) = compare(ours.view(), want.view());
        let name = wav.file_name().unwrap().to_string_lossy();
        eprintln!("{name}: max |Δ| {max:.5} dB, median {median:.6} dB");
        assert!(max <= 0.05, "{name}: max |Δ| {max} dB");
        assert!(median <= 0.001, "{name}: median |Δ| {median} dB");
        worst_max = worst_max.max(max);
        worst_median = worst_median.max(median);
    }
    eprintln!(
        "worst over {} clips: max {worst_max:.5} dB, median {worst_median:.6} dB",
        wavs.len()
    );
}

#[test]
fn compute_into_with_dirty_scratch_and_batch_agree() {
    let fe = MelFrontend::new(&MelConfig::default()).unwrap();
    let sigs = signals();
    let mut scratch = fe.scratch();
    for (_, x) in &sigs {
        let a = fe.compute(x);
        let mut b = Array2::from_elem(a.dim(), f32::NAN);
        fe.compute_into(x, b.view_mut(), &mut scratch); // scratch dirty from the last clip
        assert_eq!(a, b);
    }
    let clips: Vec<Vec<f32>> = sigs.iter().map(|(_, x)| x.clone()).collect();
    let batch = fe.compute_batch(&clips);
    assert_eq!(batch.dim(), (clips.len(), 40, 101));
    for (i, x) in clips.iter().enumerate() {
        // Shorter clips are zero-padded to the batch's frame count.
        let mut padded = x.clone();
        padded.resize(CLIP_SAMPLES, 0.0);
        assert_eq!(batch.index_axis(ndarray::Axis(0), i), fe.compute(&padded));
    }
    let refs: Vec<&[f32]> = clips.iter().map(|c| c.as_slice()).collect();
    assert_eq!(fe.compute_batch(&refs), batch);
    assert_eq!(fe.compute_batch::<Vec<f32>>(&[]).dim(), (0, 40, 1));
}

#[test]
fn transposed_output_view_is_filled_the_same() {
    let fe = MelFrontend::new(&MelConfig::default()).unwrap();
    let x = &signals()[0].1;
    let a = fe.compute(x);
    let mut t = Array2::<f32>::zeros((101, 40));
    fe.compute_into(x, t.view_mut().reversed_axes(), &mut fe.scratch());
    assert_eq!(t.t(), a);
}

#[test]
fn options_change_the_output_as_documented() {
    let x = &signals()[0].1;
    let base = MelConfig::default();
    let fe = MelFrontend::new(&base).unwrap();
    let db = fe.compute(x);
    let power = fe.power_mel(x);
    for (d, p) in db.iter().zip(power.iter()) {
        assert!((d - 10.0 * p.max(1e-10).log10()).abs() < 1e-4);
    }
    // top_db clips from below at max − top_db.
    let top = MelFrontend::new(&base.clone().with_top_db(30.0))
        .unwrap()
        .compute(x);
    let max = db.iter().copied().fold(f32::MIN, f32::max);
    for (a, b) in db.iter().zip(top.iter()) {
        assert_eq!(*b, a.max(max - 30.0));
    }
    // power 1 = magnitude: compare with the naive reference of the same options.
    let mag_cfg = base.clone().with_power(1.0).with_center(true);
    let mag = MelFrontend::new(&mag_cfg).unwrap().power_mel(x);
    assert!(
        mag.iter()
            .zip(power.iter())
            .all(|(m, p)| *m >= 0.0 && p.is_finite())
    );
    // center = false: frames start at sample 0.
    let nc = base.with_center(false);
    let fe_nc = MelFrontend::new(&nc).unwrap();
    assert_eq!(fe_nc.n_frames(16_000), 1 + (16_000 - 512) / 160);
    assert_eq!(fe_nc.compute(&x[..100]).dim(), (40, 0));
    let a = fe_nc.compute(x);
    let b = fe.compute(x);
    // Non-centred frame t equals centred frame t + n_fft / (2 · hop) when that is whole:
    // 512 / 2 = 256 is not a multiple of 160, so check on a hop that divides it.
    assert_eq!(a.ncols(), 97);
    assert!(b.ncols() > a.ncols());
    let cfg128 = MelConfig::default().with_hop_length(128);
    let c = MelFrontend::new(&cfg128).unwrap().compute(x);
    let n = MelFrontend::new(&cfg128.with_center(false))
        .unwrap()
        .compute(x);
    for t in 0..n.ncols() {
        for m in 0..40 {
            assert!((n[[m, t]] - c[[m, t + 2]]).abs() < 1e-4);
        }
    }
}
