//! Sample-rate conversion with rubato's synchronous FFT resampler.

use std::cell::RefCell;

use rubato::audioadapter_buffers::direct::InterleavedSlice;
use rubato::{Fft, FixedSync, Resampler};

/// A resampler and the (from, to) rates it was planned for.
type Cached = Option<((u32, u32), Fft<f32>)>;

thread_local! {
    /// The last resampler built on this thread: a data set is almost always at one rate,
    /// so planning once per thread is enough.
    static CACHE: RefCell<Cached> = const { RefCell::new(None) };
}

/// Resamples mono `samples` from `from` Hz to `to` Hz.
///
/// Uses rubato's [`Fft`] resampler (fixed ratio, Blackman-Harris anti-aliasing window, the
/// startup delay trimmed), which is fast and of high quality. The output has
/// `ceil(len · to / from)` samples. The resampler is planned once per thread and rate pair.
/// Returns the input unchanged when the rates are equal, and an error message when a rate
/// is 0.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Result<Vec<f32>, String> {
    if from == 0 || to == 0 {
        return Err(format!("invalid sample rates {from} Hz -> {to} Hz"));
    }
    if from == to || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    CACHE.with(|cell| {
        let mut slot = cell.borrow_mut();
        let cached = matches!(&*slot, Some((key, _)) if *key == (from, to));
        if !cached {
            let r = Fft::<f32>::new(from as usize, to as usize, 1024, 1, FixedSync::Both)
                .map_err(|e| e.to_string())?;
            *slot = Some(((from, to), r));
        }
        let Some((_, resampler)) = slot.as_mut() else {
            return Err("resampler cache is empty".to_string());
        };
        let input = InterleavedSlice::new(samples, 1, samples.len()).map_err(|e| e.to_string())?;
        let out = resampler
            .process_all(&input, samples.len(), None)
            .map_err(|e| e.to_string())?;
        Ok(out.take_data())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, rate: u32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (2.0 * std::f32::consts::PI * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn lengths_and_identity() {
        let x = sine(1000.0, 44_100, 44_100);
        let y = resample(&x, 44_100, 16_000).unwrap();
        assert_eq!(y.len(), 16_000);
        let z = resample(&x[..1000], 8_000, 16_000).unwrap();
        assert_eq!(z.len(), 2000);
        assert_eq!(resample(&x[..10], 16_000, 16_000).unwrap(), &x[..10]);
        assert!(resample(&x, 0, 16_000).is_err());
    }

    #[test]
    fn sine_matches_after_upsampling() {
        let x = sine(1000.0, 8_000, 8_000);
        let y = resample(&x, 8_000, 16_000).unwrap();
        let want = sine(1000.0, 16_000, 16_000);
        // Away from the edges the resampled tone equals the tone sampled at 16 kHz.
        let err = y[1000..15000]
            .iter()
            .zip(&want[1000..15000])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(err < 1e-2, "max error {err}");
    }
}
