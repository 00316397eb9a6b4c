//! The public mixing API as another crate sees it (`randommix_mix` with ndarray and rand).

use ndarray::{Array2, Array4, Axis};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use randommix_mix::{
    AnyMixer, CutMix, CutMixConfig, FMix, FMixConfig, Granularity, MixError, MixMask, Mixed, Mixer,
    Mixup, MixupConfig, Mode, ModeConfig, RandomMix, RandomMixConfig, Region, ResizeMix,
    ResizeMixConfig,
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
            CutMix::new(CutMixConfig {
                region: Region::FreqBands,
                ..Default::default()
            })
            .unwrap(),
        ),
        AnyMixer::ResizeMix(ResizeMix::new(ResizeMixConfig::default()).unwrap()),
        AnyMixer::FMix(
            FMix::new(FMixConfig {
                per: Granularity::Sample,
                ..Default::default()
            })
            .unwrap(),
        ),
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
        "mixup:1(alpha=0.4),cutmix:2(region=time),resizemix:1,fmix:1(decay=2);p=0.1;per=sample";
    let mixer: RandomMix = spec.parse().unwrap();
    assert_eq!(mixer.to_string(), spec);
    assert_eq!(
        mixer.config().candidates[1].config,
        ModeConfig::CutMix(CutMixConfig {
            region: Region::TimeStrips,
            ..Default::default()
        })
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
    assert_eq!(
        RandomMixConfig::default().to_string(),
        "mixup:1,cutmix:1,resizemix:1,fmix:1"
    );
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
        MixError::BatchMismatch {
            expected: 4,
            actual: 3
        }
    );
    let err = "mixup:1,cutmx:1".parse::<RandomMix>().unwrap_err();
    assert!(err.to_string().contains("`cutmx`"), "{err}");
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
