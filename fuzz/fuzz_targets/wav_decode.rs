//! WAV decoding from arbitrary bytes: `decode_wav` returns a decoded clip or an error that
//! names the file; it never panics, never allocates from an unchecked header field (libFuzzer's
//! `-malloc_limit_mb` catches that), and a decoded clip holds only finite samples.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use randommix::audio::{self, AudioError, CLIP_SAMPLES, MIN_INPUT_RATE, SAMPLE_RATE};

fuzz_target!(|data: &[u8]| {
    let name = Path::new("fuzz/input.wav");
    match audio::decode_wav(data, name) {
        Ok(d) => {
            assert!(d.channels >= 1, "decoded a file with no channels");
            assert!(d.original_frames >= 1, "decoded a file with no frames");
            // At most one frame per `channels` container bytes actually present.
            let width = d.encoding.container_bytes();
            assert!(d.original_frames * width * usize::from(d.channels) <= data.len());
            // Resampling stretches by at most 16 kHz / MIN_INPUT_RATE (plus a filter's slack).
            let stretch = (SAMPLE_RATE / MIN_INPUT_RATE) as usize;
            assert!(d.samples.len() <= (d.original_frames + 1) * stretch + 1024);
            if let Some(i) = d.samples.iter().position(|x| !x.is_finite()) {
                panic!("sample {i} is {} after decoding", d.samples[i]);
            }
            let mut clip = d.samples;
            audio::fit_length(&mut clip, CLIP_SAMPLES);
            assert_eq!(clip.len(), CLIP_SAMPLES);
        }
        Err(e) => {
            assert_eq!(e.path(), name);
            let msg = e.to_string();
            assert!(
                msg.contains("fuzz/input.wav"),
                "error does not name the file: {msg}"
            );
            assert!(
                !matches!(e, AudioError::Io { .. }),
                "I/O error from memory: {msg}"
            );
        }
    }
});
