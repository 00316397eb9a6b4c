//! Unit and property tests for the mixers, checked against naive reference implementations.

use std::sync::Arc;

use ndarray::{Array2, Array4, ArrayView2, ArrayView4, Axis, s};
use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use realfft::num_complex::Complex;

use crate::cutmix::clipped_span;
use crate::draw::{Draw, share, taps};
use crate::engine::Dims;
use crate::fmix::tests_support as fmix_support;
use crate::*;

// ---------------------------------------------------------------------------------------------
// Helpers and naive references.
// ---------------------------------------------------------------------------------------------

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// Random `[B, C, H, W]` inputs in `[-1, 1)`.
fn random_x(seed: u64, shape: (usize, usize, usize, usize)) -> Array4<f32> {
    let mut r = rng(seed ^ 0x5eed);
    Array4::from_shape_simple_fn(shape, || r.random_range(-1.0f32..1.0))
}

/// Random soft targets whose rows sum to 1.
fn soft_y(seed: u64, b: usize, k: usize) -> Array2<f32> {
    let mut r = rng(seed ^ 0x7a26);
    let mut y = Array2::from_shape_simple_fn((b, k), || r.random_range(0.01f32..1.0));
    for mut row in y.rows_mut() {
        let s = row.sum();
        row.mapv_inplace(|v| v / s);
    }
    y
}

/// One-hot targets, sample `i` in class `i`.
fn eye(b: usize) -> Array2<f32> {
    Array2::from_shape_fn((b, b), |(i, k)| if i == k { 1.0 } else { 0.0 })
}

/// Sample `i` is the constant `i + 1` everywhere.
fn const_x(shape: (usize, usize, usize, usize)) -> Array4<f32> {
    Array4::from_shape_fn(shape, |(b, _, _, _)| (b + 1) as f32)
}

/// `F.interpolate(mode="bilinear", align_corners=False)` written out per pixel in f64.
fn naive_bilinear(src: ArrayView2<'_, f32>, oh: usize, ow: usize) -> Array2<f32> {
    let (h, w) = src.dim();
    let coord = |j: usize, n: usize, o: usize| {
        let s = ((j as f64 + 0.5) * n as f64 / o as f64 - 0.5).max(0.0);
        let i0 = s.floor() as usize;
        let i1 = if i0 < n - 1 { i0 + 1 } else { i0 };
        (i0, i1, s - i0 as f64)
    };
    Array2::from_shape_fn((oh, ow), |(i, j)| {
        let (y0, y1, wy) = coord(i, h, oh);
        let (x0, x1, wx) = coord(j, w, ow);
        let v = |r: usize, c: usize| src[[r, c]] as f64;
        ((1.0 - wy) * ((1.0 - wx) * v(y0, x0) + wx * v(y0, x1))
            + wy * ((1.0 - wx) * v(y1, x0) + wx * v(y1, x1))) as f32
    })
}

/// What sample `rec.index` must look like, built from the record alone.
fn reference_sample(rec: &MixRecord, x: ArrayView4<'_, f32>) -> Array4<f32> {
    let xi = x.slice(s![rec.index..rec.index + 1, .., .., ..]);
    let xp = x.slice(s![rec.partner..rec.partner + 1, .., .., ..]);
    let (_, c, h, w) = x.dim();
    let mut out = xi.to_owned();
    if rec.self_paired {
        return out;
    }
    match &rec.mask {
        MixMask::None => {}
        MixMask::Blend => {
            out.zip_mut_with(&xp, |o, &p| *o = rec.lambda * *o + (1.0 - rec.lambda) * p);
        }
        MixMask::Box(r) => {
            let rows = r.top..r.top + r.height;
            let cols = r.left..r.left + r.width;
            out.slice_mut(s![.., .., rows.clone(), cols.clone()])
                .assign(&xp.slice(s![.., .., rows, cols]));
        }
        MixMask::Pasted(r) => {
            for ch in 0..c {
                let small = naive_bilinear(xp.slice(s![0, ch, .., ..]), r.height, r.width);
                out.slice_mut(s![0, ch, r.top..r.top + r.height, r.left..r.left + r.width])
                    .assign(&small);
            }
        }
        MixMask::Mask(m) => {
            for ch in 0..c {
                for row in 0..h {
                    for col in 0..w {
                        if !m[[row, col]] {
                            out[[0, ch, row, col]] = xp[[0, ch, row, col]];
                        }
                    }
                }
            }
        }
    }
    out
}

/// Checks every invariant of a mixing result against the naive reference.
fn check_result(
    x: ArrayView4<'_, f32>,
    y: ArrayView2<'_, f32>,
    m: &Mixed,
) -> Result<(), TestCaseError> {
    let (b, _, h, w) = x.dim();
    let n = h * w;
    prop_assert_eq!(m.x.dim(), x.dim());
    prop_assert_eq!(m.y.dim(), y.dim());
    prop_assert_eq!(m.records.len(), b);
    prop_assert!(m.x.iter().all(|v| v.is_finite()));
    prop_assert!(m.y.iter().all(|v| v.is_finite()));
    for (i, rec) in m.records.iter().enumerate() {
        prop_assert_eq!(rec.index, i);
        prop_assert!(rec.partner < b);
        prop_assert_eq!(rec.self_paired, rec.partner == i);
        prop_assert!((0.0..=1.0).contains(&rec.lambda), "lambda {}", rec.lambda);
        // λ is the exact share of the original for box and mask modes.
        match &rec.mask {
            MixMask::None => {
                prop_assert_eq!(rec.mode, None);
                prop_assert_eq!(rec.lambda, 1.0);
                prop_assert!(rec.self_paired);
            }
            MixMask::Blend => prop_assert_eq!(rec.mode, Some(Mode::Mixup)),
            MixMask::Box(r) | MixMask::Pasted(r) => {
                prop_assert!(r.top + r.height <= h && r.left + r.width <= w);
                prop_assert_eq!(rec.lambda, share(n - r.area(), n));
            }
            MixMask::Mask(mask) => {
                prop_assert_eq!(mask.dim(), (h, w));
                let kept = mask.iter().filter(|&&k| k).count();
                prop_assert_eq!(rec.lambda, share(kept, n));
            }
        }
        let share_mean = rec.original_share(h, w).mean().unwrap_or(0.0);
        prop_assert!((share_mean - rec.lambda).abs() < 1e-5);
        // Inputs: the output equals the reference built from the record.
        let expect = reference_sample(rec, x);
        let got = m.x.slice(s![i..i + 1, .., .., ..]);
        for (g, e) in got.iter().zip(expect.iter()) {
            prop_assert!(
                (g - e).abs() <= 1e-5 * (1.0 + e.abs()),
                "sample {i}: {g} vs {e} ({rec:?})"
            );
        }
        // Targets: t = λ y_i + (1 − λ) y_p, rows still sum to what they summed to.
        let (yi, yp) = (y.row(i), y.row(rec.partner));
        let l = if rec.self_paired { 1.0 } else { rec.lambda };
        for (k, t) in m.y.row(i).iter().enumerate() {
            prop_assert!((t - (l * yi[k] + (1.0 - l) * yp[k])).abs() < 1e-6);
        }
        let (sum_in, sum_out) = (yi.sum(), m.y.row(i).sum());
        if (yi.sum() - 1.0).abs() < 1e-6 && (yp.sum() - 1.0).abs() < 1e-6 {
            prop_assert!(
                (sum_out - 1.0).abs() < 1e-5,
                "row sum {sum_out} (input {sum_in})"
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Strategies.
// ---------------------------------------------------------------------------------------------

fn region() -> impl Strategy<Value = Region> {
    prop_oneof![
        Just(Region::Full),
        Just(Region::TimeStrips),
        Just(Region::FreqBands)
    ]
}

fn per() -> impl Strategy<Value = Granularity> {
    prop_oneof![Just(Granularity::Batch), Just(Granularity::Sample)]
}

fn mode_config() -> impl Strategy<Value = ModeConfig> {
    let alpha = 0.05f64..4.0;
    prop_oneof![
        // Linear sums only: the reference below adds values (power sums have their own test).
        (alpha.clone(), per()).prop_map(|(alpha, per)| ModeConfig::Mixup(MixupConfig {
            alpha,
            per,
            db_per_unit: None
        })),
        (alpha.clone(), region(), per()).prop_map(|(alpha, region, per)| ModeConfig::CutMix(
            CutMixConfig { alpha, region, per }
        )),
        (0.01f64..1.0, 0.0f64..1.0, region(), per()).prop_map(|(a, t, region, per)| {
            let max_scale = a + (1.0 - a) * t;
            ModeConfig::ResizeMix(ResizeMixConfig {
                min_scale: a,
                max_scale,
                region,
                per,
            })
        }),
        (alpha, 0.0f64..4.0, region(), per()).prop_map(|(alpha, decay, region, per)| {
            ModeConfig::FMix(FMixConfig {
                alpha,
                decay,
                region,
                per,
            })
        }),
    ]
}

fn random_mix_config() -> impl Strategy<Value = RandomMixConfig> {
    (
        proptest::collection::vec((mode_config(), 0.0f64..5.0), 0..5),
        per(),
        prop_oneof![Just(0.0), Just(1.0), 0.0f64..1.0],
    )
        .prop_map(|(cands, per, p)| {
            let mut candidates: Vec<Candidate> = cands
                .into_iter()
                .map(|(config, weight)| Candidate { config, weight })
                .collect();
            if let Some(first) = candidates.first_mut() {
                first.weight += 0.5; // never all zero
            }
            RandomMixConfig {
                candidates,
                per,
                skip_prob: p,
            }
        })
}

fn shape() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (1usize..7, 1usize..3, 1usize..14, 1usize..24)
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every mode: shapes kept, no NaN, targets sum to 1, λ = pixel share, output = reference
    /// built from the record, same seed = same output, `mix_into` with dirty buffers = `mix`.
    #[test]
    fn prop_modes(config in mode_config(), shape in shape(), seed in any::<u64>()) {
        let mixer = config.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let x = random_x(seed, shape);
        let y = soft_y(seed, shape.0, 5);
        let m = mixer.mix(x.view(), y.view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_result(x.view(), y.view(), &m)?;
        for rec in &m.records {
            prop_assert!(rec.self_paired || rec.mode == Some(config.mode()));
        }
        let again = mixer.mix(x.view(), y.view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&again, &m);
        // Reuse of a dirty output of another shape, then of the same shape.
        let mut out = mixer.mix(random_x(seed + 1, (2, 1, 3, 3)).view(), eye(2).view(), &mut rng(1))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        mixer.mix_into(x.view(), y.view(), &mut rng(seed), &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&out, &m);
        out.x.fill(f32::NAN);
        out.y.fill(f32::NAN);
        mixer.mix_into(x.view(), y.view(), &mut rng(seed), &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&out, &m);
    }

    /// Power-sum Mixup: every value is the dB sum of the two powers (f64 reference), between
    /// the two values, finite; targets as for linear Mixup; same seed, same output.
    #[test]
    fn prop_power_mixup(alpha in 0.05f64..4.0, per in per(), db in 0.1f64..30.0, shape in shape(), seed in any::<u64>()) {
        let mixer = Mixup::new(MixupConfig { alpha, per, db_per_unit: Some(db) })
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        // Values up to ±60 units: at 30 dB per unit far beyond what `exp` of f32 holds.
        let x = random_x(seed, shape).mapv(|v| v * 60.0);
        let y = soft_y(seed, shape.0, 5);
        let m = mixer.mix(x.view(), y.view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&mixer.mix(x.view(), y.view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?, &m);
        // Into dirty buffers of the same shape (written in place), the same result.
        let mut out = m.clone();
        out.x.fill(f32::NAN);
        mixer.mix_into(x.view(), y.view(), &mut rng(seed), &mut out).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&out, &m);
        prop_assert!(m.x.iter().all(|v| v.is_finite()));
        for rec in &m.records {
            let (i, p) = (rec.index, rec.partner);
            let l = f64::from(rec.lambda);
            for ((o, &a), &b) in m.x.slice(s![i, .., .., ..]).iter()
                .zip(x.slice(s![i, .., .., ..]))
                .zip(x.slice(s![p, .., .., ..]))
            {
                let (a, b, o) = (f64::from(a), f64::from(b), f64::from(*o));
                let k = db * std::f64::consts::LN_10 / 10.0;
                // In f64 the sum is taken around the larger exponent (k·60·30 dB overflows).
                let (u, v) = (k * a + l.ln(), k * b + (1.0 - l).ln());
                let hi = u.max(v);
                let want = if rec.self_paired { a } else { (hi + ((u - hi).exp() + (v - hi).exp()).ln()) / k };
                prop_assert!((o - want).abs() <= 1e-4 * (1.0 + want.abs()), "{} vs {} ({:?})", o, want, rec);
                prop_assert!(o >= a.min(b) - 1e-3 && o <= a.max(b) + 1e-3);
                // At least the louder share, at most twice it (ln 2 / k above).
                if !rec.self_paired {
                    prop_assert!(o >= hi / k - 1e-3 && o <= (hi + 2f64.ln()) / k + 1e-3);
                }
            }
            let l = l as f32;
            for (k, t) in m.y.row(i).iter().enumerate() {
                prop_assert!((t - (l * y[[i, k]] + (1.0 - l) * y[[p, k]])).abs() < 1e-6);
            }
        }
    }

    /// Constant planes with one-hot targets: every cell is exactly the original or the partner
    /// and the share of original cells is λ (box and mask modes); targets are (λ, 1 − λ).
    #[test]
    fn prop_constant_planes_share(config in mode_config(), shape in shape(), seed in any::<u64>()) {
        let mixer = config.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let x = const_x(shape);
        let y = eye(shape.0);
        let m = mixer.mix(x.view(), y.view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let n = (shape.1 * shape.2 * shape.3) as f32;
        for rec in m.records.iter().filter(|r| !r.self_paired) {
            let (ci, cp) = ((rec.index + 1) as f32, (rec.partner + 1) as f32);
            let plane = m.x.index_axis(Axis(0), rec.index);
            if rec.mode == Some(Mode::Mixup) {
                let e = rec.lambda * ci + (1.0 - rec.lambda) * cp;
                prop_assert!(plane.iter().all(|&v| (v - e).abs() < 1e-5));
            } else {
                prop_assert!(plane.iter().all(|&v| v == ci || v == cp));
                let kept = plane.iter().filter(|&&v| v == ci).count() as f32;
                prop_assert!((kept / n - rec.lambda).abs() < 1e-6, "kept {} of {}, λ {}", kept, n, rec.lambda);
            }
            prop_assert!((m.y[[rec.index, rec.index]] - rec.lambda).abs() < 1e-6);
            prop_assert!((m.y[[rec.index, rec.partner]] - (1.0 - rec.lambda)).abs() < 1e-6);
        }
        for rec in m.records.iter().filter(|r| r.self_paired) {
            prop_assert_eq!(m.x.index_axis(Axis(0), rec.index), x.index_axis(Axis(0), rec.index));
            prop_assert_eq!(m.y.row(rec.index), y.row(rec.index));
        }
    }

    /// RandomMix, any candidates, weights, p and granularity: the same invariants.
    #[test]
    fn prop_randommix(config in random_mix_config(), shape in shape(), seed in any::<u64>()) {
        let mixer = RandomMix::new(config.clone()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let x = random_x(seed, shape);
        let y = soft_y(seed, shape.0, 3);
        let m = mixer.mix(x.view(), y.view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        check_result(x.view(), y.view(), &m)?;
        let modes: Vec<Mode> = config.candidates.iter().map(|c| c.config.mode()).collect();
        for rec in &m.records {
            prop_assert!(rec.mode.is_none_or(|md| modes.contains(&md)));
        }
        if config.per == Granularity::Batch {
            let first = m.records[0].mode;
            prop_assert!(m.records.iter().all(|r| r.mode == first || r.self_paired));
        }
        let again = mixer.mix(x.view(), y.view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(again, m);
    }

    /// `Display` then `FromStr` gives back the same config.
    #[test]
    fn prop_spec_round_trip(config in random_mix_config()) {
        let text = config.to_string();
        let back: RandomMixConfig = text.parse().map_err(|e: MixError| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back, config);
    }

    /// Non-contiguous input views give the same result as their contiguous copies.
    #[test]
    fn prop_strided_input(config in mode_config(), seed in any::<u64>()) {
        let mixer = config.build().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let big = random_x(seed, (4, 1, 12, 20));
        let x = big.slice(s![..;-1, .., ..;2, 1..]);
        let yb = soft_y(seed, 4, 8);
        let y = yb.slice(s![.., ..;2]);
        let a = mixer.mix(x, y, &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let b = mixer.mix(x.to_owned().view(), y.to_owned().view(), &mut rng(seed)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(a, b);
    }
}

// ---------------------------------------------------------------------------------------------
// Seeds.
// ---------------------------------------------------------------------------------------------

fn every_mixer() -> Vec<(String, RandomMix)> {
    let specs = [
        "mixup",
        "mixup(per=sample)",
        "cutmix",
        "cutmix(region=time)",
        "cutmix(region=freq,per=sample)",
        "resizemix",
        "resizemix(min=0.5,max=0.5)",
        "resizemix(region=time)",
        "resizemix(region=freq)",
        "fmix",
        "fmix(region=time)",
        "fmix(region=freq,per=sample)",
        DEFAULT_SPEC,
        &format!("{DEFAULT_SPEC};per=sample"),
        "mixup:1,cutmix:1;p=0.5",
    ];
    specs
        .iter()
        .map(|s| (s.to_string(), s.parse().expect("valid spec")))
        .collect()
}

#[test]
fn same_seed_same_output_different_seeds_differ() {
    let x = random_x(1, (6, 1, 40, 101));
    let y = eye(6);
    for (spec, mixer) in every_mixer() {
        let first = mixer.mix(x.view(), y.view(), &mut rng(0)).expect("mix");
        assert_eq!(
            first,
            mixer.mix(x.view(), y.view(), &mut rng(0)).expect("mix"),
            "{spec}"
        );
        let differs = (1..8u64).any(|seed| {
            mixer
                .mix(x.view(), y.view(), &mut rng(seed))
                .expect("mix")
                .x
                != first.x
        });
        assert!(differs, "{spec}: eight seeds gave identical outputs");
    }
}

#[test]
fn mixers_are_send_and_sync() {
    fn is_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
    is_send_sync::<Mixup>();
    is_send_sync::<CutMix>();
    is_send_sync::<ResizeMix>();
    is_send_sync::<FMix>();
    is_send_sync::<AnyMixer>();
    is_send_sync::<RandomMix>();
    is_send_sync::<Mixed>();
}

#[test]
fn shared_randommix_across_threads() {
    let mixer: RandomMix = "fmix:1,cutmix:1;per=sample".parse().expect("spec");
    let x = random_x(3, (8, 1, 40, 101));
    let y = eye(8);
    let expect = mixer.mix(x.view(), y.view(), &mut rng(11)).expect("mix");
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| mixer.mix(x.view(), y.view(), &mut rng(11)).expect("mix")))
            .collect();
        for h in handles {
            assert_eq!(h.join().expect("thread"), expect);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Hand-made geometry.
// ---------------------------------------------------------------------------------------------

#[test]
fn batch_of_one_is_self_paired() {
    let x = random_x(0, (1, 2, 40, 101));
    let y = soft_y(0, 1, 4);
    for (spec, mixer) in every_mixer() {
        let m = mixer.mix(x.view(), y.view(), &mut rng(4)).expect("mix");
        let r = &m.records[0];
        assert!(r.self_paired && r.partner == 0, "{spec}");
        assert_eq!(m.x, x, "{spec}");
        assert_eq!(m.y, y, "{spec}");
    }
}

#[test]
fn clipped_span_at_borders() {
    assert_eq!(clipped_span(20, 10, 40), (15, 10));
    assert_eq!(clipped_span(0, 10, 40), (0, 5));
    assert_eq!(clipped_span(2, 9, 40), (0, 7));
    assert_eq!(clipped_span(38, 10, 40), (33, 7));
    assert_eq!(clipped_span(39, 40, 40), (19, 21));
    assert_eq!(clipped_span(5, 0, 40), (5, 0));
}

#[test]
fn cutmix_boxes_clipped_at_border_recompute_lambda() {
    // Over many seeds, some boxes are clipped; λ must follow the box actually pasted.
    let cutmix = CutMix::new(CutMixConfig::default()).expect("config");
    let x = const_x((2, 1, 40, 101));
    let y = eye(2);
    let mut clipped = 0;
    for seed in 0..200 {
        let m = cutmix.mix(x.view(), y.view(), &mut rng(seed)).expect("mix");
        let r = &m.records[0];
        let rect = r.mask.rect().expect("box");
        if rect.top == 0
            || rect.left == 0
            || rect.top + rect.height == 40
            || rect.left + rect.width == 101
        {
            clipped += 1;
        }
        assert_eq!(r.lambda, share(40 * 101 - rect.area(), 40 * 101));
        if !r.self_paired {
            let partner_cells = m.x.iter().take(40 * 101).filter(|&&v| v == 2.0).count();
            assert_eq!(partner_cells, rect.area());
            assert!((m.y[[0, 0]] - r.lambda).abs() < 1e-7);
        }
    }
    assert!(clipped > 20, "only {clipped} clipped boxes in 200 draws");
}

#[test]
fn cutmix_regions_span_the_other_axis() {
    let x = random_x(0, (4, 1, 40, 101));
    let y = eye(4);
    for seed in 0..20 {
        let time = CutMix::new(CutMixConfig {
            region: Region::TimeStrips,
            ..Default::default()
        })
        .expect("c");
        let r = time
            .mix(x.view(), y.view(), &mut rng(seed))
            .expect("mix")
            .records[0]
            .mask
            .rect()
            .expect("box");
        assert_eq!((r.top, r.height), (0, 40));
        let freq = CutMix::new(CutMixConfig {
            region: Region::FreqBands,
            ..Default::default()
        })
        .expect("c");
        let r = freq
            .mix(x.view(), y.view(), &mut rng(seed))
            .expect("mix")
            .records[0]
            .mask
            .rect()
            .expect("box");
        assert_eq!((r.left, r.width), (0, 101));
    }
}

#[test]
fn bilinear_taps_match_torch() {
    // torch.nn.functional.interpolate(torch.arange(16.).view(1,1,4,4), size=(2,2),
    // mode="bilinear", align_corners=False) == [[2.5, 4.5], [10.5, 12.5]]
    let src = Array2::from_shape_fn((4, 4), |(r, c)| (r * 4 + c) as f32);
    let d = Dims {
        b: 1,
        c: 1,
        h: 4,
        w: 4,
        k: 1,
    };
    let rect = Rect {
        top: 1,
        left: 2,
        height: 2,
        width: 2,
    };
    let draw = Draw::Paste {
        rect,
        rows: taps(4, 2),
        cols: taps(4, 2),
        lambda: 0.75,
    };
    let xi = vec![-1.0f32; 16];
    let mut out = vec![0.0f32; 16];
    draw.apply(
        &xi,
        src.as_slice().expect("standard"),
        &mut out,
        d,
        &mut Vec::new(),
    );
    let expect = [
        -1., -1., -1., -1., -1., -1., 2.5, 4.5, -1., -1., 10.5, 12.5, -1., -1., -1., -1.,
    ];
    assert_eq!(out, expect);
    // Edge clamping, upsampling 2 -> 5: torch reads source positions
    // max((j + 0.5) * 0.4 - 0.5, 0) = 0, 0.1, 0.5, 0.9, 1.3, the last clamped to index 1.
    let pos: Vec<f32> = taps(2, 5)
        .iter()
        .map(|t| t.i0 as f32 + t.t * (t.i1 as f32 - t.i0 as f32))
        .collect();
    for (p, e) in pos.iter().zip([0.0, 0.1, 0.5, 0.9, 1.0]) {
        assert!((p - e).abs() < 1e-6, "{pos:?}");
    }
}

#[test]
fn resizemix_matches_naive_bilinear_reference() {
    for (seed, region) in [
        (0u64, Region::Full),
        (1, Region::TimeStrips),
        (2, Region::FreqBands),
        (3, Region::Full),
    ] {
        let rm = ResizeMix::new(ResizeMixConfig {
            region,
            ..Default::default()
        })
        .expect("config");
        let x = random_x(seed, (5, 2, 40, 101));
        let y = eye(5);
        let m = rm.mix(x.view(), y.view(), &mut rng(seed)).expect("mix");
        for rec in m.records.iter().filter(|r| !r.self_paired) {
            let r = rec.mask.rect().expect("box");
            for ch in 0..2 {
                let small = naive_bilinear(x.slice(s![rec.partner, ch, .., ..]), r.height, r.width);
                let got = m.x.slice(s![
                    rec.index,
                    ch,
                    r.top..r.top + r.height,
                    r.left..r.left + r.width
                ]);
                for (g, e) in got.iter().zip(small.iter()) {
                    assert!((g - e).abs() < 1e-5, "{g} vs {e}");
                }
            }
            // Outside the box: the original.
            let mut outside = m.x.index_axis(Axis(0), rec.index).to_owned();
            let mut orig = x.index_axis(Axis(0), rec.index).to_owned();
            outside
                .slice_mut(s![.., r.top..r.top + r.height, r.left..r.left + r.width])
                .fill(0.0);
            orig.slice_mut(s![.., r.top..r.top + r.height, r.left..r.left + r.width])
                .fill(0.0);
            assert_eq!(outside, orig);
        }
    }
}

#[test]
fn resizemix_box_sizes_follow_scale_range() {
    let rm = ResizeMix::new(ResizeMixConfig {
        min_scale: 0.25,
        max_scale: 0.5,
        ..Default::default()
    })
    .expect("config");
    let x = random_x(0, (3, 1, 40, 101));
    for seed in 0..100 {
        let m = rm
            .mix(x.view(), eye(3).view(), &mut rng(seed))
            .expect("mix");
        let r = m.records[0].mask.rect().expect("box");
        assert!((10..=20).contains(&r.height), "{r:?}");
        assert!((25..=51).contains(&r.width), "{r:?}");
        assert!(r.top + r.height <= 40 && r.left + r.width <= 101);
    }
}

#[test]
fn mixup_granularity() {
    let x = random_x(0, (16, 1, 4, 4));
    let y = eye(16);
    let batch = Mixup::new(MixupConfig::default())
        .expect("c")
        .mix(x.view(), y.view(), &mut rng(1))
        .expect("mix");
    assert!(
        batch
            .records
            .iter()
            .all(|r| r.lambda == batch.records[0].lambda)
    );
    let sample = Mixup::new(MixupConfig {
        per: Granularity::Sample,
        ..Default::default()
    })
    .expect("c")
    .mix(x.view(), y.view(), &mut rng(1))
    .expect("mix");
    assert!(
        sample
            .records
            .iter()
            .any(|r| r.lambda != sample.records[0].lambda)
    );
}

#[test]
fn power_mixup_adds_the_two_sounds_as_powers() {
    // dB values, 1 dB per unit: 10·log10(λ·10^(a/10) + (1 − λ)·10^(b/10)).
    let x = Array4::from_shape_fn((2, 1, 3, 5), |(b, _, h, w)| {
        if b == 0 {
            -80.0 + 7.0 * (h * 5 + w) as f32
        } else {
            20.0 - 9.0 * w as f32 + h as f32
        }
    });
    let mixup = Mixup::new(MixupConfig {
        db_per_unit: Some(1.0),
        ..Default::default()
    })
    .expect("c");
    let m = mixup
        .mix_pairs(x.view(), eye(2).view(), &[1, 0], &mut rng(3))
        .expect("mix");
    for r in &m.records {
        let l = f64::from(r.lambda);
        assert!(l > 0.0 && l < 1.0);
        for ((o, &a), &b) in
            m.x.slice(s![r.index, .., .., ..])
                .iter()
                .zip(x.slice(s![r.index, .., .., ..]))
                .zip(x.slice(s![r.partner, .., .., ..]))
        {
            let p =
                l * 10f64.powf(f64::from(a) / 10.0) + (1.0 - l) * 10f64.powf(f64::from(b) / 10.0);
            let want = 10.0 * p.log10();
            assert!((f64::from(*o) - want).abs() < 1e-3, "{o} vs {want}");
            // The sum of powers lies between the two values, and at or above the louder one's
            // share of the power.
            assert!(f64::from(*o) <= f64::from(a.max(b)) + 1e-4);
            assert!(f64::from(*o) >= f64::from(a.min(b)) - 1e-4);
            let share = (10.0 * (l.log10() + f64::from(a) / 10.0))
                .max(10.0 * ((1.0 - l).log10() + f64::from(b) / 10.0));
            assert!(f64::from(*o) >= share - 1e-4, "{o} below {share}");
        }
        assert!((m.y[[r.index, r.index]] - r.lambda).abs() < 1e-6);
    }
    // Standardised values with `db_per_unit = std` give the dB result divided by std, for any
    // mean: the sum does not depend on the offset.
    let (mean, std) = (-35.0f32, 17.0f32);
    let z = x.mapv(|v| (v - mean) / std);
    let scaled = Mixup::new(MixupConfig {
        db_per_unit: Some(f64::from(std)),
        ..Default::default()
    })
    .expect("c")
    .mix_pairs(z.view(), eye(2).view(), &[1, 0], &mut rng(3))
    .expect("mix");
    for (o, d) in scaled.x.iter().zip(&m.x) {
        assert!(
            (o * std + mean - d).abs() < 2e-3,
            "{} vs {d}",
            o * std + mean
        );
    }
}

#[test]
fn power_sum_at_the_ends_far_apart_and_at_infinity() {
    // 10 dB per unit: values 300 units apart would overflow a plain `exp(k·a)`.
    let k = (10.0 * std::f64::consts::LN_10 / 10.0) as f32;
    let d = Dims {
        b: 1,
        c: 1,
        h: 1,
        w: 6,
        k: 1,
    };
    let xi = [150.0f32, -150.0, 0.0, 3.0, f32::NEG_INFINITY, f32::INFINITY];
    let xp = [-150.0f32, 150.0, 0.0, 3.0, f32::NEG_INFINITY, f32::INFINITY];
    let run = |lambda: f32| {
        let draw = Draw::Blend {
            lambda,
            power: Some(k),
        };
        let mut out = vec![f32::NAN; 6];
        draw.apply(&xi, &xp, &mut out, d, &mut Vec::new());
        let mut ext = Vec::new();
        draw.extend(&xi, &xp, &mut ext, d, &mut Vec::new());
        assert_eq!(
            out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            ext.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        out
    };
    // A weight of 1 returns its sample exactly.
    assert_eq!(run(1.0), xi);
    assert_eq!(run(0.0), xp);
    // In between: the power sum, against plain f64 arithmetic.
    for lambda in [0.3f32, 0.5, 0.9] {
        let o = run(lambda);
        let l = f64::from(lambda);
        let kk = f64::from(k);
        for j in 0..4 {
            // Plain f64 (e^345 still fits): ln(λ·e^(k·a) + (1 − λ)·e^(k·b)) / k.
            let (a, b) = (f64::from(xi[j]), f64::from(xp[j]));
            let want = (l * (kk * a).exp() + (1.0 - l) * (kk * b).exp()).ln() / kk;
            assert!(
                (f64::from(o[j]) - want).abs() < 1e-4,
                "λ {lambda}, cell {j}: {} vs {want}",
                o[j]
            );
        }
        // Equal values stay where they are: λ·P + (1 − λ)·P = P.
        assert!(o[2].abs() < 1e-5 && (o[3] - 3.0).abs() < 1e-5, "{o:?}");
        assert_eq!(o[4], f32::NEG_INFINITY);
        assert_eq!(o[5], f32::INFINITY);
    }
}

#[test]
fn power_mixup_spec_and_validation() {
    let c: RandomMixConfig = "mixup:1(db=1),cutmix:1".parse().expect("spec");
    assert_eq!(c.to_string(), "mixup:1(db=1),cutmix:1");
    let ModeConfig::Mixup(m) = c.candidates[0].config else {
        panic!("mixup expected")
    };
    assert_eq!(m.db_per_unit, Some(1.0));
    let scaled = c.clone().with_values_divided_by(17.5);
    assert_eq!(scaled.to_string(), "mixup:1(db=17.5),cutmix:1");
    assert_eq!(scaled.candidates[1], c.candidates[1]);
    for bad in ["mixup(db=0)", "mixup(db=-3)", "mixup(db=inf)"] {
        let e = bad.parse::<RandomMix>().unwrap_err().to_string();
        assert!(e.contains("db") && e.contains("> 0"), "{bad}: {e}");
    }
    let e = "cutmix(db=1)".parse::<RandomMix>().unwrap_err().to_string();
    assert!(e.contains("unknown option"), "{e}");
    assert_eq!(
        Mixup::new(MixupConfig {
            db_per_unit: Some(f64::NAN),
            ..Default::default()
        })
        .unwrap_err()
        .to_string(),
        "mixup: db (decibels per unit) must be finite and > 0, got NaN"
    );
}

#[test]
fn small_alpha_pushes_lambda_to_the_ends() {
    let x = random_x(0, (2, 1, 4, 4));
    let mixup = Mixup::new(MixupConfig {
        alpha: 0.05,
        per: Granularity::Sample,
        db_per_unit: None,
    })
    .expect("c");
    let mut ends = 0;
    for seed in 0..50 {
        let m = mixup
            .mix(x.view(), eye(2).view(), &mut rng(seed))
            .expect("mix");
        ends += m
            .records
            .iter()
            .filter(|r| r.lambda < 0.05 || r.lambda > 0.95)
            .count();
    }
    assert!(ends > 70, "{ends} of 100 draws near 0 or 1");
}

// ---------------------------------------------------------------------------------------------
// FMix.
// ---------------------------------------------------------------------------------------------

#[test]
fn fmix_mask_has_round_lambda_n_ones() {
    for (h, w, region) in [
        (40, 101, Region::Full),
        (7, 9, Region::Full),
        (1, 13, Region::Full),
        (12, 1, Region::Full),
        (40, 101, Region::TimeStrips),
        (40, 101, Region::FreqBands),
    ] {
        let mut r = rng(3);
        for lambda in [0.0, 0.013, 0.25, 0.5, 0.5049, 0.77, 0.999, 1.0] {
            let (mask, realised) = fmix_support::mask(h, w, region, 3.0, &mut r, lambda);
            let cells = match region {
                Region::Full => h * w,
                Region::TimeStrips => w,
                Region::FreqBands => h,
            };
            let k = (lambda * cells as f64).round() as usize;
            let ones = mask.iter().filter(|&&m| m).count();
            assert_eq!(ones, k * (h * w / cells), "{h}x{w} {region:?} λ={lambda}");
            assert_eq!(realised, share(k, cells));
            match region {
                Region::TimeStrips => {
                    assert!(mask.rows().into_iter().all(|row| row == mask.row(0)))
                }
                Region::FreqBands => {
                    assert!(mask.columns().into_iter().all(|c| c == mask.column(0)))
                }
                Region::Full => {}
            }
        }
    }
}

/// Pairs of 4-neighbours whose mask values differ.
fn boundary(mask: &Array2<bool>) -> usize {
    let (h, w) = mask.dim();
    let mut n = 0;
    for r in 0..h {
        for c in 0..w {
            if c + 1 < w && mask[[r, c]] != mask[[r, c + 1]] {
                n += 1;
            }
            if r + 1 < h && mask[[r, c]] != mask[[r + 1, c]] {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn fmix_masks_are_low_frequency() {
    let (h, w) = (40, 101);
    let edges = (h * (w - 1) + (h - 1) * w) as f64;
    let (mut smooth, mut white) = (0.0, 0.0);
    let mut r = rng(8);
    for _ in 0..20 {
        smooth += boundary(&fmix_support::mask(h, w, Region::Full, 3.0, &mut r, 0.5).0) as f64;
        white += boundary(&fmix_support::mask(h, w, Region::Full, 0.0, &mut r, 0.5).0) as f64;
    }
    let (smooth, white) = (smooth / 20.0 / edges, white / 20.0 / edges);
    // A random half mask cuts about half of the edges; decay 3 gives a few smooth blobs.
    assert!(white > 0.4, "white-noise boundary share {white}");
    assert!(smooth < 0.08, "decay-3 boundary share {smooth}");
}

/// Unnormalised `numpy.fft.irfft2(spec, s=(h, w))` by direct summation.
fn naive_irfft2(spec: &Array2<Complex<f64>>, h: usize, w: usize) -> Array2<f64> {
    let wc = w / 2 + 1;
    let tau = std::f64::consts::TAU;
    // Inverse DFT over rows.
    let z = Array2::from_shape_fn((h, wc), |(r, kx)| {
        (0..h)
            .map(|ky| spec[[ky, kx]] * Complex::from_polar(1.0, tau * (ky * r) as f64 / h as f64))
            .sum::<Complex<f64>>()
    });
    Array2::from_shape_fn((h, w), |(r, c)| {
        let mut v = z[[r, 0]].re;
        for kx in 1..wc {
            let term = z[[r, kx]] * Complex::from_polar(1.0, tau * (kx * c) as f64 / w as f64);
            if w.is_multiple_of(2) && kx == wc - 1 {
                v += z[[r, kx]].re * if c % 2 == 0 { 1.0 } else { -1.0 };
            } else {
                v += 2.0 * term.re;
            }
        }
        v
    })
}

#[test]
fn fmix_grey_image_is_the_inverse_rfft2_of_the_scaled_spectrum() {
    for (h, w, decay) in [
        (5, 6, 3.0),
        (4, 7, 2.0),
        (3, 5, 3.0),
        (7, 4, 0.0),
        (40, 101, 3.0),
        (40, 100, 3.0),
        (1, 8, 1.0),
        (1, 9, 3.0),
        (6, 1, 3.0),
        (2, 2, 3.0),
    ] {
        let seed = 42;
        let grey = fmix_support::grey(h, w, decay, &mut rng(seed));
        // The same draws, in the same order: column-major over [rfft bins][rows], re then im.
        let wc = w / 2 + 1;
        let mut r = rng(seed);
        let mut spec = Array2::from_elem((h, wc), Complex::new(0.0, 0.0));
        let floor = 1.0 / h.max(w) as f64;
        for kx in 0..wc {
            for ky in 0..h {
                let fy = if ky < h.div_ceil(2) {
                    ky as f64
                } else {
                    ky as f64 - h as f64
                } / h as f64;
                let fx = kx as f64 / w as f64;
                let scale = 1.0 / (fx * fx + fy * fy).sqrt().max(floor).powf(decay);
                let re: f64 = StandardNormal.sample(&mut r);
                let im: f64 = StandardNormal.sample(&mut r);
                spec[[ky, kx]] = Complex::new(re * scale, im * scale);
            }
        }
        let expect = naive_irfft2(&spec, h, w);
        let peak = expect.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (g, e) in grey.iter().zip(expect.iter()) {
            assert!((g - e).abs() <= 1e-9 * peak, "{h}x{w}: {g} vs {e}");
        }
    }
}

#[test]
fn fmix_ties_are_broken_by_index() {
    // Decay 0 over a 1 x 1 plane, or any constant signal: the first cells win.
    let (mask, _) = fmix_support::mask(1, 1, Region::Full, 3.0, &mut rng(0), 1.0);
    assert!(mask[[0, 0]]);
    let values = [1.0, 2.0, 2.0, 0.5, 2.0, 3.0];
    assert_eq!(fmix_support::top_k(&values, 0), Vec::<u32>::new());
    assert_eq!(fmix_support::top_k(&values, 1), vec![5]);
    assert_eq!(fmix_support::top_k(&values, 2), vec![1, 5]);
    assert_eq!(fmix_support::top_k(&values, 3), vec![1, 2, 5]);
    assert_eq!(fmix_support::top_k(&values, 5), vec![0, 1, 2, 4, 5]);
    assert_eq!(fmix_support::top_k(&values, 6), vec![0, 1, 2, 3, 4, 5]);
}

// ---------------------------------------------------------------------------------------------
// RandomMix.
// ---------------------------------------------------------------------------------------------

#[test]
fn randommix_weights_set_the_mode_frequencies() {
    let mixer: RandomMix = "mixup:3,cutmix:1".parse().expect("spec");
    let x = random_x(0, (2, 1, 4, 4));
    let (mut mixup, total) = (0, 2000);
    let mut r = rng(5);
    for _ in 0..total {
        let m = mixer.mix(x.view(), eye(2).view(), &mut r).expect("mix");
        if m.records[0].mode == Some(Mode::Mixup) {
            mixup += 1;
        }
    }
    let share = mixup as f64 / total as f64;
    assert!((share - 0.75).abs() < 0.04, "mixup share {share}");
}

#[test]
fn randommix_per_sample_uses_several_modes_and_one_permutation() {
    let mixer: RandomMix = format!("{DEFAULT_SPEC};per=sample").parse().expect("spec");
    let x = random_x(0, (64, 1, 40, 101));
    let m = mixer
        .mix(x.view(), eye(64).view(), &mut rng(2))
        .expect("mix");
    let mut partners: Vec<usize> = m.records.iter().map(|r| r.partner).collect();
    partners.sort_unstable();
    assert_eq!(partners, (0..64).collect::<Vec<_>>());
    for &mode in Mode::ALL {
        assert!(
            m.records.iter().any(|r| r.mode == Some(mode)),
            "{mode} never drawn"
        );
    }
}

#[test]
fn randommix_unmixed() {
    let x = random_x(0, (8, 1, 5, 5));
    let y = soft_y(0, 8, 3);
    for spec in [
        "none",
        "mixup:1,fmix:1;p=1",
        "cutmix;p=1;per=sample",
        "none;per=sample",
    ] {
        let mixer: RandomMix = spec.parse().expect("spec");
        let m = mixer.mix(x.view(), y.view(), &mut rng(0)).expect("mix");
        assert_eq!(m.x, x, "{spec}");
        assert_eq!(m.y, y, "{spec}");
        for (i, r) in m.records.iter().enumerate() {
            assert_eq!(
                r,
                &MixRecord {
                    index: i,
                    partner: i,
                    self_paired: true,
                    mode: None,
                    lambda: 1.0,
                    mask: MixMask::None
                }
            );
        }
    }
    // p = 0.5 per sample: some samples mixed, some not.
    let mixer: RandomMix = "mixup;p=0.5;per=sample".parse().expect("spec");
    let m = mixer
        .mix(
            random_x(0, (64, 1, 5, 5)).view(),
            eye(64).view(),
            &mut rng(0),
        )
        .expect("mix");
    let kept = m.records.iter().filter(|r| r.mode.is_none()).count();
    assert!((16..48).contains(&kept), "{kept} of 64 unmixed");
}

// ---------------------------------------------------------------------------------------------
// String form.
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_strings() {
    let d: RandomMixConfig = DEFAULT_SPEC.parse().expect("spec");
    assert_eq!(d, RandomMixConfig::default());
    assert_eq!(RandomMixConfig::default().to_string(), DEFAULT_SPEC);
    assert_eq!(
        "cutmix".parse::<RandomMixConfig>().expect("spec"),
        RandomMixConfig::only(CutMixConfig::default())
    );
    assert_eq!(
        " NONE ".parse::<RandomMixConfig>().expect("spec"),
        RandomMixConfig::none()
    );
    assert_eq!(RandomMixConfig::none().to_string(), "none");
    let c: RandomMixConfig =
        "mixup:1(alpha=0.4), cutmix:2(alpha=1,region=time), fmix:1(decay=3) ; p=0.5 ; per=sample"
            .parse()
            .expect("spec");
    assert_eq!(c.candidates.len(), 3);
    assert_eq!(
        c.candidates[0].config,
        ModeConfig::Mixup(MixupConfig {
            alpha: 0.4,
            per: Granularity::Batch,
            db_per_unit: None,
        })
    );
    assert_eq!(
        c.candidates[1],
        Candidate {
            config: ModeConfig::CutMix(CutMixConfig {
                alpha: 1.0,
                region: Region::TimeStrips,
                per: Granularity::Batch
            }),
            weight: 2.0
        }
    );
    assert_eq!(
        c.candidates[2].config,
        ModeConfig::FMix(FMixConfig::default())
    );
    assert_eq!((c.skip_prob, c.per), (0.5, Granularity::Sample));
    assert_eq!(
        c.to_string(),
        "mixup:1(alpha=0.4),cutmix:2(region=time),fmix:1;skip=0.5;per=sample"
    );
    let r: RandomMixConfig = "resizemix:0.5(min=0.2,max=0.6,region=freq,per=sample)"
        .parse()
        .expect("spec");
    assert_eq!(
        r.candidates[0].config,
        ModeConfig::ResizeMix(ResizeMixConfig {
            min_scale: 0.2,
            max_scale: 0.6,
            region: Region::FreqBands,
            per: Granularity::Sample
        })
    );
    assert_eq!(
        r.to_string(),
        "resizemix:0.5(min=0.2,max=0.6,region=freq,per=sample)"
    );
}

#[test]
fn spec_errors_name_the_bad_token() {
    let cases = [
        ("", ""),
        ("foo", "foo"),
        ("mixup:abc", "mixup:abc"),
        ("mixup:-1", "mixup:-1"),
        ("mixup:nan", "mixup:nan"),
        ("cutmix(alpha=x)", "alpha=x"),
        ("cutmix(alpha=0)", "cutmix(alpha=0)"),
        ("cutmix(beta=2)", "beta=2"),
        ("cutmix(region=diagonal)", "region=diagonal"),
        ("cutmix(alpha=1", "cutmix(alpha=1"),
        ("cutmix)", "cutmix)"),
        ("mixup,,cutmix", ""),
        ("fmix(decay=-1)", "fmix(decay=-1)"),
        ("resizemix(min=0.9,max=0.2)", "resizemix(min=0.9,max=0.2)"),
        ("mixup;p=2", "mixup;p=2"),
        ("mixup;q=1", "q=1"),
        ("mixup;per=epoch", "per=epoch"),
        ("mixup;p", "p"),
        ("mixup:0,cutmix:0", "mixup:0,cutmix:0"),
    ];
    for (spec, token) in cases {
        match spec.parse::<RandomMixConfig>() {
            Err(MixError::Config(MixConfigError::Parse { token: t, reason })) => {
                assert_eq!(t, token, "{spec}: {reason}");
                let msg = MixConfigError::Parse { token: t, reason }.to_string();
                assert!(msg.contains(&format!("`{token}`")), "{msg}");
            }
            other => panic!("{spec}: expected a parse error, got {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors.
// ---------------------------------------------------------------------------------------------

#[test]
fn run_errors() {
    let mixer: RandomMix = DEFAULT_SPEC.parse().expect("spec");
    let mut r = rng(0);
    let x = Array4::<f32>::zeros((4, 1, 5, 5));
    assert_eq!(
        mixer.mix(x.view(), eye(3).view(), &mut r).unwrap_err(),
        MixError::Batch(MixBatchError::BatchMismatch {
            expected: 4,
            actual: 3
        })
    );
    let empty = Array4::<f32>::zeros((0, 1, 5, 5));
    assert_eq!(
        mixer
            .mix(empty.view(), Array2::zeros((0, 3)).view(), &mut r)
            .unwrap_err(),
        MixError::Batch(MixBatchError::EmptyBatch)
    );
    let flat = Array4::<f32>::zeros((2, 1, 0, 5));
    assert_eq!(
        mixer.mix(flat.view(), eye(2).view(), &mut r).unwrap_err(),
        MixError::Batch(MixBatchError::EmptyPlane { shape: [1, 0, 5] })
    );
    let mut y = eye(4);
    y[[2, 1]] = f32::NAN;
    assert!(matches!(
        mixer.mix(x.view(), y.view(), &mut r).unwrap_err(),
        MixError::Batch(MixBatchError::NonFiniteTarget { row: 2, col: 1, .. })
    ));
    y[[2, 1]] = f32::INFINITY;
    for &m in Mode::ALL {
        let any = ModeConfig::default_for(m).build().expect("default");
        assert!(matches!(
            any.mix(x.view(), y.view(), &mut r),
            Err(MixError::Batch(MixBatchError::NonFiniteTarget { .. }))
        ));
        assert!(matches!(
            any.mix(flat.view(), eye(2).view(), &mut r),
            Err(MixError::Batch(MixBatchError::EmptyPlane { .. }))
        ));
    }
    // On error the output buffer is untouched.
    let mut out = mixer.mix(x.view(), eye(4).view(), &mut r).expect("mix");
    let before = out.clone();
    assert!(
        mixer
            .mix_into(x.view(), y.view(), &mut r, &mut out)
            .is_err()
    );
    assert_eq!(out, before);
}

#[test]
fn config_errors() {
    for alpha in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            Mixup::new(MixupConfig {
                alpha,
                ..Default::default()
            }),
            Err(MixConfigError::InvalidAlpha {
                mode: Mode::Mixup,
                ..
            })
        ));
        assert!(matches!(
            CutMix::new(CutMixConfig {
                alpha,
                ..Default::default()
            }),
            Err(MixConfigError::InvalidAlpha {
                mode: Mode::CutMix,
                ..
            })
        ));
        assert!(matches!(
            FMix::new(FMixConfig {
                alpha,
                ..Default::default()
            }),
            Err(MixConfigError::InvalidAlpha {
                mode: Mode::FMix,
                ..
            })
        ));
    }
    for decay in [-0.1, f64::NAN] {
        assert!(matches!(
            FMix::new(FMixConfig {
                decay,
                ..Default::default()
            }),
            Err(MixConfigError::InvalidDecay { .. })
        ));
    }
    for (min_scale, max_scale) in [
        (0.0, 0.5),
        (0.6, 0.5),
        (0.5, 1.5),
        (f64::NAN, 0.5),
        (-0.1, 0.5),
    ] {
        assert!(matches!(
            ResizeMix::new(ResizeMixConfig {
                min_scale,
                max_scale,
                ..Default::default()
            }),
            Err(MixConfigError::InvalidScaleRange { .. })
        ));
    }
    let cand = |weight| Candidate {
        config: ModeConfig::default_for(Mode::Mixup),
        weight,
    };
    let cfg = |candidates, skip_prob| RandomMixConfig {
        candidates,
        per: Granularity::Batch,
        skip_prob,
    };
    assert!(matches!(
        RandomMix::new(cfg(vec![cand(-1.0)], 0.0)),
        Err(MixConfigError::InvalidWeight { .. })
    ));
    assert!(matches!(
        RandomMix::new(cfg(vec![cand(f64::NAN)], 0.0)),
        Err(MixConfigError::InvalidWeight { .. })
    ));
    assert_eq!(
        RandomMix::new(cfg(vec![cand(0.0), cand(0.0)], 0.0)).unwrap_err(),
        MixConfigError::ZeroTotalWeight
    );
    assert!(matches!(
        RandomMix::new(cfg(vec![cand(1.0)], 1.5)),
        Err(MixConfigError::InvalidSkipProb { .. })
    ));
    assert!(matches!(
        RandomMix::new(cfg(vec![cand(1.0)], f64::NAN)),
        Err(MixConfigError::InvalidSkipProb { .. })
    ));
    assert!(RandomMix::new(cfg(vec![cand(0.0), cand(2.0)], 1.0)).is_ok());
}

#[test]
fn original_share_draws_the_record() {
    let rec = MixRecord {
        index: 0,
        partner: 1,
        self_paired: false,
        mode: Some(Mode::CutMix),
        lambda: share(12 - 4, 12),
        mask: MixMask::Box(Rect {
            top: 1,
            left: 2,
            height: 2,
            width: 2,
        }),
    };
    let a = rec.original_share(3, 4);
    assert_eq!(
        a,
        ndarray::array![[1., 1., 1., 1.], [1., 1., 0., 0.], [1., 1., 0., 0.]]
    );
    let m = Arc::new(ndarray::array![[true, false]]);
    let rec = MixRecord {
        mask: MixMask::Mask(m),
        lambda: 0.5,
        mode: Some(Mode::FMix),
        ..rec
    };
    assert_eq!(rec.original_share(1, 2), ndarray::array![[1., 0.]]);
}

// ---------------------------------------------------------------------------------------------
// Caller-chosen partners.
// ---------------------------------------------------------------------------------------------

#[test]
fn mix_pairs_uses_the_given_partners() {
    let x = random_x(5, (4, 1, 40, 101));
    let y = eye(4);
    for partners in [[1, 0, 3, 2], [1, 1, 0, 3], [3, 2, 1, 0]] {
        for (spec, mixer) in every_mixer() {
            let m = mixer
                .mix_pairs(x.view(), y.view(), &partners, &mut rng(2))
                .expect("mix");
            for r in &m.records {
                let expect = if r.mode.is_some() {
                    partners[r.index]
                } else {
                    r.index
                };
                assert_eq!(r.partner, expect, "{spec} {partners:?}");
            }
            check_result(x.view(), y.view(), &m)
                .map_err(|e| e.to_string())
                .expect(&spec);
        }
    }
}

#[test]
fn mix_pairs_with_the_drawn_permutation_equals_mix() {
    use rand::seq::SliceRandom;
    let x = random_x(6, (5, 1, 40, 101));
    let y = eye(5);
    // RandomMix with one mode per batch draws its mode before the permutation; every other
    // mixer draws the permutation first.
    for (spec, mixer) in every_mixer()
        .into_iter()
        .filter(|(s, _)| !s.contains(',') || s.contains("per=sample"))
    {
        let expect = mixer.mix(x.view(), y.view(), &mut rng(8)).expect("mix");
        let mut r = rng(8);
        let mut perm: Vec<usize> = (0..5).collect();
        perm.shuffle(&mut r);
        let got = mixer
            .mix_pairs(x.view(), y.view(), &perm, &mut r)
            .expect("mix");
        assert_eq!(got, expect, "{spec}");
    }
}

#[test]
fn mix_pairs_errors() {
    let x = Array4::<f32>::zeros((3, 1, 5, 5));
    let y = eye(3);
    for (spec, mixer) in every_mixer() {
        let mut r = rng(0);
        assert_eq!(
            mixer
                .mix_pairs(x.view(), y.view(), &[1, 0], &mut r)
                .unwrap_err(),
            MixError::Batch(MixBatchError::PartnerCount {
                expected: 3,
                actual: 2
            }),
            "{spec}"
        );
        assert_eq!(
            mixer
                .mix_pairs(x.view(), y.view(), &[1, 3, 0], &mut r)
                .unwrap_err(),
            MixError::Batch(MixBatchError::PartnerOutOfRange {
                index: 1,
                partner: 3,
                batch: 3
            }),
            "{spec}"
        );
    }
}

#[test]
fn single_mode_randommix_equals_the_bare_mixer() {
    let x = random_x(7, (6, 1, 40, 101));
    let y = eye(6);
    for &mode in Mode::ALL {
        let bare = ModeConfig::default_for(mode).build().expect("default");
        let random: RandomMix = mode.name().parse().expect("spec");
        for seed in 0..4 {
            let a = bare.mix(x.view(), y.view(), &mut rng(seed)).expect("mix");
            let b = random.mix(x.view(), y.view(), &mut rng(seed)).expect("mix");
            assert_eq!(a, b, "{mode}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Spec aliases, error kinds, lazy FMix plans.
// ---------------------------------------------------------------------------------------------

#[test]
fn p_is_an_alias_of_skip() {
    for (old, new) in [
        ("mixup:1;p=0.5", "mixup:1;skip=0.5"),
        ("cutmix;p=1;per=sample", "cutmix;skip=1;per=sample"),
        (" mixup:1,fmix:2 ; P = 0.25 ", "mixup:1,fmix:2;SKIP=0.25"),
        ("none;p=0.3", "none;skip=0.3"),
    ] {
        let a: RandomMixConfig = old.parse().expect(old);
        let b: RandomMixConfig = new.parse().expect(new);
        assert_eq!(a, b, "{old} vs {new}");
        // Display writes `skip=`, and the printed form parses back.
        assert!(!a.to_string().contains(";p="), "{a}");
        assert_eq!(a.to_string().parse::<RandomMixConfig>().expect("print"), a);
    }
    let c: RandomMixConfig = "mixup;p=0.5".parse().expect("spec");
    assert_eq!(c.skip_prob, 0.5);
    assert_eq!(c.to_string(), "mixup:1;skip=0.5");
    // The later of the two spellings wins, like any repeated global option.
    let c: RandomMixConfig = "mixup;p=0.5;skip=0.25".parse().expect("spec");
    assert_eq!(c.skip_prob, 0.25);
    // The same mixes for the same seed.
    let x = random_x(2, (8, 1, 6, 7));
    let y = eye(8);
    for seed in 0..4 {
        let a: RandomMix = "mixup:1,cutmix:1;p=0.5;per=sample".parse().expect("spec");
        let b: RandomMix = "mixup:1,cutmix:1;skip=0.5;per=sample"
            .parse()
            .expect("spec");
        assert_eq!(
            a.mix(x.view(), y.view(), &mut rng(seed)).expect("mix"),
            b.mix(x.view(), y.view(), &mut rng(seed)).expect("mix")
        );
    }
    // Errors name the token as written.
    for (spec, token) in [("mixup;skip=2", "mixup;skip=2"), ("mixup;skip=x", "skip=x")] {
        match spec.parse::<RandomMixConfig>() {
            Err(MixError::Config(MixConfigError::Parse { token: t, .. })) => {
                assert_eq!(t, token, "{spec}")
            }
            other => panic!("{spec}: {other:?}"),
        }
    }
}

#[test]
fn randommix_alias_is_the_default_spec() {
    let default = RandomMixConfig::default();
    assert_eq!(default.to_string(), DEFAULT_SPEC);
    assert_eq!(
        DEFAULT_SPEC.parse::<RandomMixConfig>().expect("spec"),
        default
    );
    for spec in ["randommix", "RandomMix", " RANDOMMIX "] {
        assert_eq!(
            spec.parse::<RandomMixConfig>().expect(spec),
            default,
            "{spec}"
        );
    }
    let c: RandomMixConfig = "randommix;skip=0.5;per=sample".parse().expect("spec");
    assert_eq!(
        c,
        RandomMixConfig {
            skip_prob: 0.5,
            per: Granularity::Sample,
            ..RandomMixConfig::default()
        }
    );
    assert_eq!(c.to_string(), format!("{DEFAULT_SPEC};skip=0.5;per=sample"));
    let c: RandomMixConfig = "randommix;p=0.5".parse().expect("spec");
    assert_eq!(c.skip_prob, 0.5);
    // Same seed, same mix as the spelled-out spec.
    let x = random_x(4, (6, 1, 40, 101));
    let a: RandomMix = "randommix".parse().expect("spec");
    let b: RandomMix = DEFAULT_SPEC.parse().expect("spec");
    for seed in 0..4 {
        assert_eq!(
            a.mix(x.view(), eye(6).view(), &mut rng(seed)).expect("mix"),
            b.mix(x.view(), eye(6).view(), &mut rng(seed)).expect("mix")
        );
    }
    // The alias is a whole mode list, not a candidate.
    for (spec, token) in [
        ("randommix,mixup", "randommix"),
        ("mixup,randommix:2", "randommix:2"),
        ("randommix(alpha=1)", "randommix(alpha=1)"),
    ] {
        match spec.parse::<RandomMixConfig>() {
            Err(MixError::Config(MixConfigError::Parse { token: t, reason })) => {
                assert_eq!(t, token, "{spec}: {reason}");
                assert!(reason.contains("whole mode list"), "{reason}");
            }
            other => panic!("{spec}: expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn config_errors_and_batch_errors_are_apart() {
    // Building: only configuration errors, as `MixConfigError`.
    let e: MixConfigError = Mixup::new(MixupConfig {
        alpha: 0.0,
        ..Default::default()
    })
    .unwrap_err();
    assert!(matches!(
        e,
        MixConfigError::InvalidAlpha {
            mode: Mode::Mixup,
            ..
        }
    ));
    assert!(matches!(
        ModeConfig::FMix(FMixConfig {
            decay: -1.0,
            ..Default::default()
        })
        .build(),
        Err(MixConfigError::InvalidDecay { .. })
    ));
    // Parsing: `MixError::Config`, for the grammar and for the values alike.
    for spec in ["", "foo", "cutmix(alpha=0)", "mixup;skip=2", "mixup:0"] {
        let e = spec.parse::<RandomMix>().unwrap_err();
        assert!(matches!(e, MixError::Config(_)), "{spec}: {e:?}");
        let e = spec.parse::<RandomMixConfig>().unwrap_err();
        assert!(matches!(e, MixError::Config(_)), "{spec}: {e:?}");
    }
    assert!(matches!(
        "diagonal".parse::<Region>(),
        Err(MixError::Config(MixConfigError::Parse { .. }))
    ));
    assert!(matches!(
        "epoch".parse::<Granularity>(),
        Err(MixError::Config(MixConfigError::Parse { .. }))
    ));
    assert!(matches!(
        "mixer".parse::<Mode>(),
        Err(MixError::Config(MixConfigError::Parse { .. }))
    ));
    // Mixing: `MixError::Batch`, with `{ expected, actual }` where it fits.
    let mixer: RandomMix = DEFAULT_SPEC.parse().expect("spec");
    let x = Array4::<f32>::zeros((4, 1, 5, 5));
    let err = mixer.mix(x.view(), eye(3).view(), &mut rng(0)).unwrap_err();
    let MixError::Batch(batch) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        batch,
        &MixBatchError::BatchMismatch {
            expected: 4,
            actual: 3
        }
    );
    // The umbrella keeps the inner message and source-less chain, and converts with `?`.
    assert_eq!(err.to_string(), batch.to_string());
    fn via_question_mark() -> Result<(), MixError> {
        Err(MixConfigError::ZeroTotalWeight)?;
        Ok(())
    }
    assert_eq!(
        via_question_mark().unwrap_err(),
        MixError::Config(MixConfigError::ZeroTotalWeight)
    );
    assert_eq!(
        MixError::from(MixBatchError::EmptyBatch),
        MixError::Batch(MixBatchError::EmptyBatch)
    );
    let cfg = MixError::from(MixConfigError::InvalidSkipProb { skip_prob: 2.0 });
    assert_eq!(cfg.to_string(), "skip probability must be in [0, 1], got 2");
}

#[test]
fn fmix_plans_lazily_for_each_shape_it_sees() {
    for per in [Granularity::Batch, Granularity::Sample] {
        let config = FMixConfig {
            per,
            ..Default::default()
        };
        let fmix = FMix::new(config).expect("config");
        // Nothing planned for a shape the mixer has not seen.
        assert!(fmix_support::planned_shapes(&fmix).is_empty());
        let a = random_x(1, (4, 1, 40, 101));
        let b = random_x(2, (3, 2, 32, 50));
        let (ya, yb) = (eye(4), soft_y(2, 3, 4));
        let first_a = fmix.mix(a.view(), ya.view(), &mut rng(5)).expect("mix");
        assert_eq!(fmix_support::planned_shapes(&fmix), vec![(40, 101)]);
        let first_b = fmix.mix(b.view(), yb.view(), &mut rng(6)).expect("mix");
        assert_eq!(
            fmix_support::planned_shapes(&fmix),
            vec![(40, 101), (32, 50)]
        );
        check_result(b.view(), yb.view(), &first_b)
            .map_err(|e| e.to_string())
            .expect("32 x 50");
        for r in &first_b.records {
            let MixMask::Mask(m) = &r.mask else {
                panic!("fmix records a mask")
            };
            assert_eq!(m.dim(), (32, 50));
        }
        // Back to the first shape: its cached plan gives what a fresh mixer gives.
        let again_a = fmix.mix(a.view(), ya.view(), &mut rng(5)).expect("mix");
        assert_eq!(again_a, first_a);
        assert_eq!(fmix_support::planned_shapes(&fmix).len(), 2);
        let fresh = FMix::new(config).expect("config");
        assert_eq!(
            fresh.mix(b.view(), yb.view(), &mut rng(6)).expect("mix"),
            first_b
        );
        // Clones start with no plans; `prepare` plans ahead.
        let clone = fmix.clone();
        assert!(fmix_support::planned_shapes(&clone).is_empty());
        clone.prepare(16, 20);
        clone.prepare(0, 20);
        assert_eq!(fmix_support::planned_shapes(&clone), vec![(16, 20)]);
        // Past the cache size, the oldest shape is dropped and replanned on demand.
        for h in 1..=6 {
            fmix.prepare(h, 9);
        }
        assert!(fmix_support::planned_shapes(&fmix).len() <= 4);
        assert_eq!(
            fmix.mix(a.view(), ya.view(), &mut rng(5)).expect("mix"),
            first_a
        );
    }
}
