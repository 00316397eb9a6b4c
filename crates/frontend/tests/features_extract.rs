//! `extract_to_npy` and the `.npy` readers: shapes, the file list, atomic output, and
//! errors that name the file.

use std::fs;
use std::path::{Path, PathBuf};

use ndarray::{Array, Array2, Axis, IxDyn};
use ndarray_npy::WriteNpyExt;
use randommix_frontend::audio::write_wav;
use randommix_frontend::features::{
    FeatureError, MelConfig, MelFrontend, extract_to_npy, read_logmel_npy, read_npy_f32,
};

fn tone(freq: f32, n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| 0.3 * (2.0 * std::f32::consts::PI * freq * i as f32 / 16_000.0).sin())
        .collect()
}

/// A folder with a/one.wav, a/b/two.WAV, three.wav and a text file.
fn dataset(dir: &Path) -> Vec<PathBuf> {
    fs::create_dir_all(dir.join("a/b")).unwrap();
    let files = vec![
        dir.join("a/b/two.WAV"),
        dir.join("a/one.wav"),
        dir.join("three.wav"),
    ];
    for (i, p) in files.iter().enumerate() {
        write_wav(p, &tone(300.0 * (i + 1) as f32, 12_000 + 3000 * i), 16_000).unwrap();
    }
    fs::write(dir.join("notes.txt"), "not audio").unwrap();
    files
}

#[test]
fn folder_gives_3d_array_and_file_list_in_sorted_order() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let files = dataset(&data);
    let out = tmp.path().join("feats.npy");
    let summary = extract_to_npy(std::slice::from_ref(&data), &out, &MelConfig::default()).unwrap();
    assert_eq!(summary.shape, [3, 40, 101]);
    assert_eq!(summary.files, files); // sorted by path: a/b/two.WAV, a/one.wav, three.wav
    let list = summary.file_list.clone().unwrap();
    assert_eq!(list, tmp.path().join("feats.files.txt"));
    let listed: Vec<PathBuf> = fs::read_to_string(&list)
        .unwrap()
        .lines()
        .map(PathBuf::from)
        .collect();
    assert_eq!(listed, files);

    let feats = read_logmel_npy(&out).unwrap();
    assert_eq!(feats.dim(), (3, 40, 101));
    let fe = MelFrontend::new(&MelConfig::default()).unwrap();
    for (i, p) in files.iter().enumerate() {
        let clip = randommix_frontend::audio::load_clip(p, 16_000).unwrap();
        assert_eq!(feats.index_axis(Axis(0), i), fe.compute(&clip));
    }
    // Only the outputs were written beside the data (no temporary files left).
    let mut names: Vec<String> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["data", "feats.files.txt", "feats.npy"]);
}

#[test]
fn single_file_gives_2d_array() {
    let tmp = tempfile::tempdir().unwrap();
    let files = dataset(tmp.path());
    let out = tmp.path().join("one.npy");
    let summary = extract_to_npy(&files[1..2], &out, &MelConfig::default()).unwrap();
    assert_eq!(summary.shape, [40, 101]);
    assert!(summary.file_list.is_none());
    let a = read_npy_f32(&out).unwrap();
    assert_eq!(a.shape(), [40, 101]);
    assert_eq!(read_logmel_npy(&out).unwrap().dim(), (1, 40, 101));
}

#[test]
fn other_configs_change_the_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let files = dataset(tmp.path());
    let out = tmp.path().join("x.npy");
    let cfg = MelConfig::default().with_n_mels(64).with_hop_length(128);
    let s = extract_to_npy(&files, &out, &cfg).unwrap();
    assert_eq!(s.shape, [3, 64, 126]);
}

#[test]
fn errors_name_the_file_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let files = dataset(tmp.path());
    let bad = tmp.path().join("a/broken.wav");
    fs::write(&bad, b"RIFF....WAVEjunk").unwrap();
    let out = tmp.path().join("o.npy");
    let e = extract_to_npy(&[tmp.path().to_path_buf()], &out, &MelConfig::default()).unwrap_err();
    assert!(e.to_string().contains("broken.wav"), "{e}");
    assert!(!out.exists());

    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    let e = extract_to_npy(&[empty], &out, &MelConfig::default()).unwrap_err();
    assert!(matches!(e, FeatureError::NoInputs { .. }), "{e}");
    assert!(e.to_string().contains("empty"), "{e}");

    let e = extract_to_npy(&[tmp.path().join("missing")], &out, &MelConfig::default()).unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");

    let cfg = MelConfig::default().with_hop_length(0);
    let e = extract_to_npy(&files, &out, &cfg).unwrap_err();
    assert!(e.to_string().contains("hop_length"), "{e}");

    let e = extract_to_npy(
        &files,
        &tmp.path().join("no/dir/o.npy"),
        &MelConfig::default(),
    )
    .unwrap_err();
    assert!(e.to_string().contains("o.npy"), "{e}");
}

#[test]
fn npy_reader_rejects_wrong_dtype_rank_and_damage() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);

    let f64s = Array2::<f64>::zeros((40, 101));
    f64s.write_npy(fs::File::create(p("f64.npy")).unwrap())
        .unwrap();
    let e = read_npy_f32(&p("f64.npy")).unwrap_err().to_string();
    assert!(
        e.contains("f64.npy") && e.contains("float32") && e.contains("<f8"),
        "{e}"
    );

    let four = Array::<f32, _>::zeros(IxDyn(&[2, 3, 4, 5]));
    four.write_npy(fs::File::create(p("four.npy")).unwrap())
        .unwrap();
    assert_eq!(read_npy_f32(&p("four.npy")).unwrap().ndim(), 4);
    let e = read_logmel_npy(&p("four.npy")).unwrap_err().to_string();
    assert!(e.contains("four.npy") && e.contains("4-D"), "{e}");

    let good = Array2::<f32>::from_elem((40, 101), 1.5);
    good.write_npy(fs::File::create(p("good.npy")).unwrap())
        .unwrap();
    assert_eq!(read_npy_f32(&p("good.npy")).unwrap(), good.into_dyn());

    let bytes = fs::read(p("good.npy")).unwrap();
    fs::write(p("short.npy"), &bytes[..bytes.len() - 10]).unwrap();
    let e = read_npy_f32(&p("short.npy")).unwrap_err().to_string();
    assert!(e.contains("short.npy") && e.contains("damaged"), "{e}");

    // A header claiming an enormous shape is refused before any allocation.
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let huge = text.replacen("(40, 101)", "(400000000000, 101)", 1);
    assert_ne!(huge, text);
    let mut hb = huge.into_bytes();
    hb.truncate(bytes.len() + 9); // header grew by 9 characters
    fs::write(p("huge.npy"), &hb).unwrap();
    let e = read_npy_f32(&p("huge.npy")).unwrap_err().to_string();
    assert!(e.contains("huge.npy"), "{e}");

    fs::write(p("text.npy"), "hello").unwrap();
    let e = read_npy_f32(&p("text.npy")).unwrap_err().to_string();
    assert!(
        e.contains("text.npy") && e.contains("not a .npy file"),
        "{e}"
    );

    let e = read_npy_f32(&p("absent.npy")).unwrap_err().to_string();
    assert!(e.contains("absent.npy"), "{e}");
}
