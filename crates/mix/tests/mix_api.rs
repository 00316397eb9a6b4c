//! The public mixing API as another crate sees it (`randommix_mix` with ndarray and rand).

use ndarray::{Array2, Array4, ArrayView2, ArrayView4, Axis, s};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use randommix_mix::{
    AnyMixer, Candidate, CutMix, CutMixConfig, DEFAULT_SPEC, FMix, FMixConfig, Granularity,
    MixBatchError, MixConfigError, MixError, MixMask, MixRecord, Mixed, Mixer, Mixup, MixupConfig,
    Mode, ModeConfig, RandomMix, RandomMixConfig, Rect, Region, ResizeMix, ResizeMixConfig,
};

/// Sample `i` is the constant `i + 1`; targets are one-hot with sample `i` in class `i`.
fn batch(b: usize) -> (Array4<f32>, Array2<f32>) {
    let x = Array4::from_shape_fn((b, 1, 40, 101), |(i, _, _, _)| (i + 1) as f32);
    let y = Array2::from_shape_fn((b, b), |(i, k)| if i == k { 1.0 } else { 0.0 });
    (x, y)
}

fn modes() -> Vec<AnyMixer> {
    vec![
        AnyMixer::Mixup(Mixup::new(MixupConfig::default()).unwrap()),
        AnyMixer::CutMix(
            CutMix::new(CutMixConfig::default().with_region(Region::FreqBands)).unwrap(),
        ),
        AnyMixer::ResizeMix(ResizeMix::new(ResizeMixConfig::default()).unwrap()),
        AnyMixer::FMix(FMix::new(FMixConfig::default().with_per(Granularity::Sample)).unwrap()),
    ]
}

#[test]
fn every_mode_keeps_shapes_and_reports_lambda_as_the_pixel_share() {
    let (x, y) = batch(8);
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut out = Mixed::default();
    for mixer in modes() {
        for _ in 0..5 {
            mixer
                .mix_into(x.view(), y.view(), &mut rng, &mut out)
                .unwrap();
            assert_eq!(out.x.dim(), x.dim());
            assert_eq!(out.y.dim(), y.dim());
            for r in &out.records {
                assert!((out.y.row(r.index).sum() - 1.0).abs() < 1e-6);
                let share = r.original_share(40, 101);
                assert!((share.mean().unwrap() - r.lambda).abs() < 1e-5);
                if r.self_paired {
                    continue;
                }
                assert_eq!(r.mode, Some(mixer.mode()));
                let plane = out.x.index_axis(Axis(0), r.index);
                let (ci, cp) = ((r.index + 1) as f32, (r.partner + 1) as f32);
                let expect = share.mapv(|s| s * ci + (1.0 - s) * cp);
                for (g, e) in plane.index_axis(Axis(0), 0).iter().zip(expect.iter()) {
                    assert!((g - e).abs() < 1e-4, "{:?}: {g} vs {e}", mixer.mode());
                }
                assert!((out.y[[r.index, r.index]] - r.lambda).abs() < 1e-6);
            }
        }
    }
}

#[test]
fn randommix_from_a_cli_string() {
    let spec =
        "mixup:1(alpha=0.4),cutmix:2(region=time),resizemix:1,fmix:1(decay=2);skip=0.1;per=sample";
    let mixer: RandomMix = spec.parse().unwrap();
    assert_eq!(mixer.to_string(), spec);
    assert_eq!(
        mixer.config().candidates[1].config,
        ModeConfig::CutMix(CutMixConfig::default().with_region(Region::TimeStrips))
    );
    let (x, y) = batch(32);
    let m = mixer
        .mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(1))
        .unwrap();
    assert!(m.records.iter().any(|r| r.mode == Some(Mode::CutMix)));
    for r in m.records.iter().filter(|r| r.mode == Some(Mode::CutMix)) {
        let MixMask::Box(rect) = r.mask else {
            panic!("cutmix records a box")
        };
        assert_eq!((rect.top, rect.height), (0, 40));
    }
    assert_eq!(RandomMixConfig::default().to_string(), DEFAULT_SPEC);
}

#[test]
fn errors_are_values_with_clear_messages() {
    let (x, _) = batch(4);
    let y = Array2::<f32>::zeros((3, 4));
    let mixer: RandomMix = "cutmix".parse().unwrap();
    let err = mixer
        .mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(0))
        .unwrap_err();
    assert_eq!(
        err,
        MixError::Batch(MixBatchError::BatchMismatch {
            expected: 4,
            actual: 3
        })
    );
    let err = "mixup:1,cutmx:1".parse::<RandomMix>().unwrap_err();
    assert!(err.to_string().contains("`cutmx`"), "{err}");
    assert!(matches!(
        err,
        MixError::Config(MixConfigError::Parse { .. })
    ));
}

#[test]
fn one_mixer_serves_many_threads() {
    fn send_sync<T: Send + Sync>(_: &T) {}
    let mixer = RandomMix::new(RandomMixConfig::default()).unwrap();
    send_sync(&mixer);
    let (x, y) = batch(16);
    std::thread::scope(|s| {
        for t in 0..2 {
            let (mixer, x, y) = (&mixer, &x, &y);
            s.spawn(move || {
                let mut rng = ChaCha8Rng::seed_from_u64(t);
                mixer.mix(x.view(), y.view(), &mut rng).unwrap();
            });
        }
    });
}

#[test]
fn saved_specs_with_p_still_parse() {
    // Run configs written before `p=` became `skip=` keep their meaning.
    for (old, new) in [
        ("mixup:1;p=0.5", "mixup:1;skip=0.5"),
        (
            "mixup:1,cutmix:1;p=0.25;per=sample",
            "mixup:1,cutmix:1;skip=0.25;per=sample",
        ),
    ] {
        let a: RandomMixConfig = old.parse().unwrap();
        let b: RandomMixConfig = new.parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), new);
    }
    let paper: RandomMixConfig = "randommix;skip=0.5".parse().unwrap();
    assert_eq!(paper.to_string(), format!("{DEFAULT_SPEC};skip=0.5"));
}

#[test]
fn mixers_as_trait_objects() {
    // `Mixer` is object-safe: modes and RandomMix side by side, one RNG for all.
    let mixers: Vec<Box<dyn Mixer + Send + Sync>> = vec![
        Box::new(Mixup::new(MixupConfig::default()).unwrap()),
        Box::new(FMix::new(FMixConfig::default()).unwrap()),
        Box::new(DEFAULT_SPEC.parse::<RandomMix>().unwrap()),
    ];
    let (x, y) = batch(4);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for m in &mixers {
        let out = m.mix(x.view(), y.view(), &mut rng).unwrap();
        assert_eq!(out.x.dim(), x.dim());
    }
    // A generic caller passes its `&mut impl Rng` straight through.
    fn mix_with_generic(m: &dyn Mixer, rng: &mut impl rand::Rng) -> Mixed {
        let (x, y) = batch(4);
        m.mix(x.view(), y.view(), rng).unwrap()
    }
    let a = mix_with_generic(&*mixers[2], &mut ChaCha8Rng::seed_from_u64(9));
    let b = mixers[2]
        .mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(9))
        .unwrap();
    assert_eq!(a, b);
}

#[test]
fn configs_build_without_struct_literals() {
    // Every setting a struct literal could give, through the `with_*` methods.
    let mixup = MixupConfig::default()
        .with_alpha(0.4)
        .with_per(Granularity::Sample)
        .with_db_per_unit(1.5);
    assert_eq!(
        (mixup.alpha, mixup.per, mixup.db_per_unit),
        (0.4, Granularity::Sample, Some(1.5))
    );
    assert_eq!(mixup.with_db_per_unit(None).db_per_unit, None);
    let cutmix = CutMixConfig::default()
        .with_alpha(2.0)
        .with_region(Region::FreqBands)
        .with_per(Granularity::Sample);
    assert_eq!(
        (cutmix.alpha, cutmix.region, cutmix.per),
        (2.0, Region::FreqBands, Granularity::Sample)
    );
    let resize = ResizeMixConfig::default()
        .with_min_scale(0.2)
        .with_max_scale(0.6)
        .with_region(Region::TimeStrips)
        .with_per(Granularity::Sample);
    assert_eq!((resize.min_scale, resize.max_scale), (0.2, 0.6));
    assert_eq!(
        (resize.region, resize.per),
        (Region::TimeStrips, Granularity::Sample)
    );
    assert_eq!(
        ResizeMixConfig::default().with_scale_range(0.2, 0.6),
        ResizeMixConfig::default()
            .with_min_scale(0.2)
            .with_max_scale(0.6)
    );
    let fmix = FMixConfig::default()
        .with_alpha(0.5)
        .with_decay(2.0)
        .with_region(Region::TimeStrips)
        .with_per(Granularity::Sample);
    assert_eq!(
        (fmix.alpha, fmix.decay, fmix.region, fmix.per),
        (0.5, 2.0, Region::TimeStrips, Granularity::Sample)
    );
    let config = RandomMixConfig::new(vec![Candidate::new(mixup, 1.0)])
        .with_candidate(cutmix, 2.0)
        .with_candidate(ModeConfig::ResizeMix(resize), 1.0)
        .with_candidate(fmix, 0.5)
        .with_skip_prob(0.25)
        .with_per(Granularity::Sample);
    let spec = "mixup:1(alpha=0.4,per=sample,db=1.5),cutmix:2(alpha=2,region=freq,per=sample),\
                resizemix:1(min=0.2,max=0.6,region=time,per=sample),\
                fmix:0.5(alpha=0.5,decay=2,region=time,per=sample);skip=0.25;per=sample";
    assert_eq!(config.to_string(), spec);
    assert_eq!(spec.parse::<RandomMixConfig>().unwrap(), config);
    assert_eq!(
        RandomMixConfig::none().with_candidate(CutMixConfig::default(), 1.0),
        RandomMixConfig::only(CutMixConfig::default())
    );
    RandomMix::new(config).unwrap();
}

/// A mixer written outside the crate: it swaps every pair of neighbours' right halves.
struct SwapHalves;

impl Mixer for SwapHalves {
    fn mix_with(
        &self,
        x: ArrayView4<'_, f32>,
        y: ArrayView2<'_, f32>,
        partners: Option<&[usize]>,
        _rng: &mut dyn RngCore,
        out: &mut Mixed,
    ) -> Result<(), MixError> {
        let (b, _, h, w) = x.dim();
        let mut mixed = Mixed::new(x.to_owned(), y.to_owned(), Vec::with_capacity(b));
        for i in 0..b {
            let p = partners.map_or(i ^ 1, |p| p[i]).min(b - 1);
            let rect = Rect::new(0, w / 2, h, w - w / 2);
            let lambda = 1.0 - rect.area() as f32 / (h * w) as f32;
            if p == i {
                mixed.records.push(MixRecord::unmixed(i));
                continue;
            }
            mixed
                .x
                .slice_mut(s![i, .., .., w / 2..])
                .assign(&x.slice(s![p, .., .., w / 2..]));
            let t = &y.row(i) * lambda + &y.row(p) * (1.0 - lambda);
            mixed.y.row_mut(i).assign(&t);
            let mask = MixMask::Box(rect);
            mixed
                .records
                .push(MixRecord::new(i, p, Some(Mode::CutMix), lambda, mask));
        }
        *out = mixed;
        Ok(())
    }
}

#[test]
fn a_mixer_outside_the_crate_builds_its_records() {
    let (x, y) = batch(3);
    let out = SwapHalves
        .mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(0))
        .unwrap();
    assert_eq!(out.records[0].partner, 1);
    assert!(!out.records[0].self_paired);
    assert!(out.records[2].self_paired);
    assert_eq!(out.records[2], MixRecord::unmixed(2));
    for r in &out.records {
        let share = r.original_share(40, 101);
        assert!((share.mean().unwrap() - r.lambda).abs() < 1e-6);
        assert!((out.y.row(r.index).sum() - 1.0).abs() < 1e-6);
    }
    assert_eq!(out.x[[0, 0, 0, 100]], 2.0);
    assert_eq!(out.x[[0, 0, 0, 0]], 1.0);
}

#[test]
fn ndarray_and_rand_are_re_exported() {
    // A caller can name the versions the crate was built with, without its own dependency.
    let x: randommix_mix::ndarray::Array4<f32> =
        randommix_mix::ndarray::Array4::zeros((2, 1, 4, 4));
    let y = randommix_mix::ndarray::Array2::<f32>::eye(2);
    let mut rng: Box<dyn randommix_mix::rand::RngCore> = Box::new(ChaCha8Rng::seed_from_u64(0));
    let out = Mixup::new(MixupConfig::default())
        .unwrap()
        .mix(x.view(), y.view(), &mut *rng)
        .unwrap();
    assert_eq!(out.x.dim(), (2, 1, 4, 4));
}
