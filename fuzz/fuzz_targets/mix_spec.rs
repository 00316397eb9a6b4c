//! The RandomMix spec string: `str::parse::<RandomMix>()` accepts or refuses any text without
//! panicking; an accepted spec prints back (`Display`) to a string that parses to the same
//! configuration, and the mixer it builds mixes a small batch.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ndarray::{Array2, Array4};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use randommix::mix::{Mixer, RandomMix, RandomMixConfig};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let config = match text.parse::<RandomMixConfig>() {
        Ok(c) => c,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(
                text.parse::<RandomMix>().is_err(),
                "config refused, mixer accepted: {text:?}"
            );
            return;
        }
    };
    let printed = config.to_string();
    let again: RandomMixConfig = printed
        .parse()
        .unwrap_or_else(|e| panic!("{text:?} printed as {printed:?}, which does not parse: {e}"));
    assert_eq!(again, config, "{text:?} printed as {printed:?}");
    let mixer = RandomMix::new(config)
        .unwrap_or_else(|e| panic!("{text:?} parsed but does not build: {e}"));

    let x = Array4::from_shape_fn((3, 1, 5, 7), |(b, _, h, w)| (b * 35 + h * 7 + w) as f32);
    let y = Array2::from_shape_fn((3, 3), |(b, k)| if b == k { 1.0f32 } else { 0.0 });
    let mut rng = ChaCha8Rng::seed_from_u64(data.len() as u64);
    let m = mixer
        .mix(x.view(), y.view(), &mut rng)
        .unwrap_or_else(|e| panic!("{text:?} cannot mix a 3 x 1 x 5 x 7 batch: {e}"));
    assert_eq!(m.x.dim(), x.dim());
    assert!(m.x.iter().all(|v| v.is_finite()));
    for row in m.y.rows() {
        assert!(
            (row.sum() - 1.0).abs() < 1e-4,
            "targets sum to {}",
            row.sum()
        );
    }
});
