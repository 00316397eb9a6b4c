//! The mixing example of the README, kept compiling and running.

use ndarray::{Array2, Array4};
use rand::SeedableRng;
use randommix_mix::{DEFAULT_SPEC, Mixer, RandomMix};

fn main() {
    let x = Array4::<f32>::zeros((8, 1, 40, 101)); // [B, C, H = mels, W = frames]
    let mut y = Array2::<f32>::zeros((8, 12)); // one-hot or soft targets [B, K]
    for i in 0..8 {
        y[[i, i % 12]] = 1.0;
    }
    let mixer: RandomMix = DEFAULT_SPEC.parse().unwrap(); // the paper's RandomMix
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
    let mixed = mixer.mix(x.view(), y.view(), &mut rng).unwrap();
    for r in &mixed.records {
        println!(
            "{} <- {} {:?} λ={:.3}",
            r.index, r.partner, r.mode, r.lambda
        );
    }
}
