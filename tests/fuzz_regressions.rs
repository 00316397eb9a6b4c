//! Replays every input under `tests/data/fuzz/<target>/` (inputs that once crashed a fuzz
//! target or misbehaved, see the README there) through the same library calls and checks as
//! the fuzz targets in `fuzz/`: each gives a result or an error naming its file, never a panic.

use std::path::{Path, PathBuf};

use ndarray::{Array2, Array4};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use randommix::audio::decode_wav;
use randommix::data::index::{check_list_entry, parse_list};
use randommix::features::{read_logmel_npy, read_npy_f32};
use randommix::mix::{Mixer, RandomMix, RandomMixConfig};
use randommix_viz::inspect::{RenderRequest, render};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target);
    let mut v: Vec<PathBuf> = match std::fs::read_dir(&dir) {
        Ok(rd) => rd.flatten().map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    v.sort();
    v
}

#[test]
fn wav_decode() {
    for p in inputs("wav_decode") {
        let bytes = std::fs::read(&p).unwrap();
        match decode_wav(&bytes, &p) {
            Ok(d) => assert!(d.samples.iter().all(|x| x.is_finite()), "{}", p.display()),
            Err(e) => assert!(e.to_string().contains(&*p.to_string_lossy()), "{e}"),
        }
    }
}

#[test]
fn npy_render() {
    let tmp = tempfile::tempdir().unwrap();
    for p in inputs("npy_render") {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        match read_npy_f32(&p) {
            Ok(_) => {
                let mut req = RenderRequest::new(p.clone());
                req.png = Some(tmp.path().join(format!("{name}/")));
                let _ = render(&req);
            }
            Err(e) => {
                assert!(e.to_string().contains(&name), "{e}");
                assert!(read_logmel_npy(&p).is_err());
            }
        }
    }
}

#[test]
fn dataset_list() {
    for p in inputs("dataset_list") {
        let text = String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned();
        if let Ok(entries) = parse_list(&text, &p) {
            for e in entries {
                assert!(!e.contains("..") && !e.starts_with('/'), "{e:?}");
                assert_eq!(check_list_entry(&e).as_deref(), Ok(e.as_str()));
            }
        }
        for line in text.lines() {
            if let Ok(e) = check_list_entry(line) {
                assert_eq!(check_list_entry(&e).as_deref(), Ok(e.as_str()), "{line:?}");
            }
        }
    }
}

#[test]
fn mix_spec() {
    for p in inputs("mix_spec") {
        let Ok(text) = String::from_utf8(std::fs::read(&p).unwrap()) else {
            continue;
        };
        let Ok(config) = text.parse::<RandomMixConfig>() else {
            continue;
        };
        let again: RandomMixConfig = config.to_string().parse().unwrap();
        assert_eq!(again, config, "{}", p.display());
        let mixer = RandomMix::new(config).unwrap();
        let x = Array4::<f32>::zeros((3, 1, 5, 7));
        let y = Array2::from_shape_fn((3, 3), |(b, k)| if b == k { 1.0f32 } else { 0.0 });
        mixer
            .mix(x.view(), y.view(), &mut ChaCha8Rng::seed_from_u64(0))
            .unwrap();
    }
}
