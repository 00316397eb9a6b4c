//! The mixers on arbitrary shapes and values: every mode (each region and granularity) and
//! RandomMix, through `mix`, `mix_into` with a reused output and `mix_pairs` with arbitrary
//! partners. Each call returns `Ok` or `Err` and never panics; on `Ok` the shapes are kept,
//! every λ is in [0, 1], targets that sum to one still do, and the outputs are finite when
//! the inputs are finite and below `f32::MAX / 4` in magnitude (so that no rounding of a
//! convex combination can overflow).
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use ndarray::{Array2, Array4};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use randommix::mix::{Mixed, Mixer, RandomMix};

/// Mixer specs covering every mode, region and granularity, plus RandomMix combinations.
const SPECS: &[&str] = &[
    "none",
    "mixup",
    "mixup(alpha=0.01)",
    "mixup(alpha=50,per=sample)",
    "mixup(db=1)",
    "mixup(db=30,alpha=0.05,per=sample)",
    "mixup(db=1e-6)",
    "cutmix",
    "cutmix(region=time)",
    "cutmix(region=freq,per=sample)",
    "cutmix(alpha=0.05)",
    "resizemix",
    "resizemix(min=0.01,max=1)",
    "resizemix(min=0.5,max=0.5,region=time)",
    "resizemix(region=freq,per=sample)",
    "fmix",
    "fmix(decay=0)",
    "fmix(decay=8,alpha=0.1,region=time)",
    "fmix(region=freq,per=sample)",
    "mixup:1,cutmix:1,resizemix:1,fmix:1",
    "mixup:1,cutmix:2(region=time),resizemix:1,fmix:3;p=0.5;per=sample",
    "cutmix:1,fmix:1(region=freq);per=sample",
    "mixup:0,fmix:1;p=0.999",
    "mixup:1(db=1),cutmix:1,resizemix:1,fmix:1;skip=0.7",
];

#[derive(Debug)]
struct Case {
    spec: usize,
    b: usize,
    c: usize,
    h: usize,
    w: usize,
    k: usize,
    seed: u64,
    x: Vec<f32>,
    y: Vec<f32>,
    partners: Vec<usize>,
    second: Option<(usize, usize, usize)>,
}

/// A value: mostly ordinary numbers, sometimes raw bit patterns (NaN, ±∞, subnormals, huge).
fn value(u: &mut Unstructured) -> arbitrary::Result<f32> {
    Ok(match u.int_in_range(0u8..=7)? {
        0 => f32::from_bits(u.arbitrary()?),
        1 => 0.0,
        2 => f32::from(u.arbitrary::<i8>()?),
        _ => f32::from(u.arbitrary::<i16>()?) / 64.0,
    })
}

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let spec = u.choose_index(SPECS.len())?;
        // Zero sizes are allowed on purpose: they must be errors, not panics.
        let b = u.int_in_range(0..=6)?;
        let c = u.int_in_range(0..=2)?;
        let h = u.int_in_range(0..=48)?;
        let w = u.int_in_range(0..=110)?;
        let k = u.int_in_range(0..=12)?;
        let seed = u.arbitrary()?;
        let n = b * c * h * w;
        let fill = u.int_in_range(0u8..=3)?;
        let mut x = Vec::with_capacity(n);
        if fill == 0 {
            // Every cell from the input (short inputs end in zeros).
            for _ in 0..n {
                x.push(value(u)?);
            }
        } else {
            // A few arbitrary cells over a smooth background.
            x.extend((0..n).map(|i| ((i % 97) as f32 - 48.0) * 0.5));
            for _ in 0..u.int_in_range(0..=8)? {
                if n > 0 {
                    let i = u.choose_index(n)?;
                    x[i] = value(u)?;
                }
            }
        }
        let mut y = vec![0.0f32; b * k];
        match u.int_in_range(0u8..=3)? {
            // One-hot rows.
            0 | 1 if k > 0 => {
                for i in 0..b {
                    y[i * k + u.choose_index(k)?] = 1.0;
                }
            }
            // Soft rows that sum to one.
            2 if k > 0 => {
                for i in 0..b {
                    let a = u.choose_index(k)?;
                    let s = f32::from(u.int_in_range(0u8..=100)?) / 100.0;
                    y[i * k + a] += s;
                    y[i * k + (a + 1) % k] += 1.0 - s;
                }
            }
            _ => {
                for v in &mut y {
                    *v = value(u)?;
                }
            }
        }
        let n_partners = if u.arbitrary()? {
            b
        } else {
            u.int_in_range(0..=7)?
        };
        let mut partners = Vec::with_capacity(n_partners);
        for _ in 0..n_partners {
            partners.push(u.int_in_range(0..=b + 1)?);
        }
        let second = if u.arbitrary()? {
            Some((
                u.int_in_range(1..=4)?,
                u.int_in_range(1..=40)?,
                u.int_in_range(1..=101)?,
            ))
        } else {
            None
        };
        Ok(Case {
            spec,
            b,
            c,
            h,
            w,
            k,
            seed,
            x,
            y,
            partners,
            second,
        })
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(case) = Case::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let mixer: RandomMix = SPECS[case.spec].parse().expect("fixed spec parses");
    let x = Array4::from_shape_vec((case.b, case.c, case.h, case.w), case.x).expect("shape");
    let y = Array2::from_shape_vec((case.b, case.k), case.y).expect("shape");
    let mut rng = ChaCha8Rng::seed_from_u64(case.seed);

    let r = mixer.mix(x.view(), y.view(), &mut rng);
    check(&x, &y, r.as_ref(), None);

    // The same draws into a reused output, first filled by another batch shape.
    let mut out = Mixed::default();
    if let Some((b2, h2, w2)) = case.second {
        let x2 = Array4::from_shape_fn((b2, 1, h2, w2), |(i, _, r, c)| (i + r + c) as f32);
        let y2 = Array2::from_shape_fn((b2, 2), |(i, k)| if i % 2 == k { 1.0f32 } else { 0.0 });
        let r2 = mixer.mix(x2.view(), y2.view(), &mut rng);
        check(&x2, &y2, r2.as_ref(), None);
        let _ = mixer.mix_into(x2.view(), y2.view(), &mut rng, &mut out);
    }
    let before = out.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(case.seed);
    let r_into = mixer.mix_into(x.view(), y.view(), &mut rng, &mut out);
    match (&r, &r_into) {
        (Ok(a), Ok(())) => {
            assert_eq!(a.y, out.y, "mix and mix_into disagree on the targets");
            assert_eq!(a.records.len(), out.records.len());
            if a.x.iter().all(|v| v.is_finite()) {
                assert_eq!(a.x, out.x, "mix and mix_into disagree on the inputs");
            }
        }
        (Err(a), Err(b)) => {
            // Compared as text: the error may carry the NaN that caused it.
            assert_eq!(a.to_string(), b.to_string());
            assert_eq!(before, out, "mix_into changed its output on error");
        }
        _ => panic!("mix and mix_into disagree: {r:?} vs {r_into:?}"),
    }

    let mut rng = ChaCha8Rng::seed_from_u64(case.seed);
    let r = mixer.mix_pairs(x.view(), y.view(), &case.partners, &mut rng);
    if case.partners.len() != case.b || case.partners.iter().any(|&p| p >= case.b) {
        assert!(
            r.is_err(),
            "bad partners {:?} accepted for B = {}",
            case.partners,
            case.b
        );
    }
    check(&x, &y, r.as_ref(), Some(&case.partners));
});

fn check(
    x: &Array4<f32>,
    y: &Array2<f32>,
    r: Result<&Mixed, &randommix::mix::MixError>,
    partners: Option<&[usize]>,
) {
    let (b, c, h, w) = x.dim();
    let m = match r {
        Ok(m) => m,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert!(
        b > 0 && c > 0 && h > 0 && w > 0,
        "empty batch {:?} mixed",
        x.dim()
    );
    assert!(
        y.iter().all(|v| v.is_finite()),
        "non-finite targets accepted"
    );
    assert_eq!(m.x.dim(), x.dim());
    assert_eq!(m.y.dim(), y.dim());
    assert_eq!(m.records.len(), b);
    for (i, rec) in m.records.iter().enumerate() {
        assert_eq!(rec.index, i);
        assert!(rec.partner < b);
        if let Some(p) = partners {
            assert!(
                rec.partner == p[i] || rec.mode.is_none(),
                "{rec:?} vs {p:?}"
            );
        }
        assert!((0.0..=1.0).contains(&rec.lambda), "λ = {}", rec.lambda);
        if let Some(r) = rec.mask.rect() {
            assert!(
                r.top + r.height <= h && r.left + r.width <= w,
                "box {r:?} outside {h} x {w}"
            );
        }
        let share = rec.original_share(h, w);
        assert_eq!(share.dim(), (h, w));
    }
    let tame = |v: &f32| v.is_finite() && v.abs() <= f32::MAX / 4.0;
    if x.iter().all(tame) {
        if let Some(i) = m.x.iter().position(|v| !v.is_finite()) {
            panic!("finite inputs gave a non-finite output at flat index {i}");
        }
    }
    if y.iter().all(tame) {
        assert!(
            m.y.iter().all(|v| v.is_finite()),
            "finite targets gave non-finite ones"
        );
    }
    let stochastic = y
        .rows()
        .into_iter()
        .all(|row| row.iter().all(|v| (0.0..=1.0).contains(v)) && (row.sum() - 1.0).abs() < 1e-5);
    if stochastic {
        for row in m.y.rows() {
            assert!(
                (row.sum() - 1.0).abs() < 1e-4,
                "targets sum to {}",
                row.sum()
            );
        }
    }
}
