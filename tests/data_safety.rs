//! Dataset safety: list entries that are absolute or leave the dataset root are refused with
//! the list file and the line; missing listed files, empty word folders, unknown folders and
//! a missing `_background_noise_` are reported precisely (errors, or warnings where training
//! stays honest); nothing outside the dataset folder is read.

mod common;

use std::path::Path;

use common::{pcm16, run, tiny_dataset, tiny_train_args, tone};
use randommix::data::{DataError, DatasetIndex, Split, Task, TaskSpec};

fn open_err(root: &Path) -> String {
    DatasetIndex::open(root)
        .expect_err("must be refused")
        .to_string()
}

#[test]
fn escaping_or_absolute_list_entries_are_refused_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    tiny_dataset(&root);
    // A real WAV outside the root, so that only the path check can refuse the entry.
    std::fs::write(
        tmp.path().join("outside.wav"),
        pcm16(&tone(500.0, 16_000, 1.0)),
    )
    .unwrap();
    std::fs::create_dir_all(tmp.path().join("yes")).unwrap();
    std::fs::write(
        tmp.path().join("yes/outside.wav"),
        pcm16(&tone(500.0, 16_000, 1.0)),
    )
    .unwrap();
    let original = std::fs::read_to_string(root.join("testing_list.txt")).unwrap();
    for (bad, needle) in [
        ("../outside.wav", "leaves the dataset root"),
        ("yes/../../yes/outside.wav", "leaves the dataset root"),
        ("../yes/outside.wav", "leaves the dataset root"),
        (
            "yes/../../../../../../etc/passwd",
            "leaves the dataset root",
        ),
        ("/etc/passwd", "absolute path"),
        ("//etc/passwd", "absolute path"),
        ("\\etc\\passwd", "absolute path"),
        ("yes\\..\\..\\outside.wav", "leaves the dataset root"),
        ("yes/sub/deeper.wav", "not of the form word/file.wav"),
        ("justafile.wav", "not of the form word/file.wav"),
    ] {
        // Line 2 of the list (a good line first).
        let first = original.lines().next().unwrap();
        std::fs::write(root.join("testing_list.txt"), format!("{first}\n{bad}\n")).unwrap();
        let e = open_err(&root);
        assert!(e.contains("testing_list.txt"), "{bad}: {e}");
        assert!(e.contains("line 2"), "{bad}: {e}");
        assert!(e.contains(needle), "{bad}: {e}");
        // The same through the command line: the message reaches the user, nothing panics.
        let r = run(&tiny_train_args(&root, &tmp.path().join("run")));
        assert!(!r.ok);
        assert!(
            r.stderr.contains("testing_list.txt") && r.stderr.contains("line 2"),
            "{bad}: {}",
            r.stderr
        );
        assert!(!tmp.path().join("run/config.json").exists());
    }
    // The validation list is checked the same way.
    std::fs::write(root.join("testing_list.txt"), &original).unwrap();
    std::fs::write(root.join("validation_list.txt"), "\n\n/etc/shadow\n").unwrap();
    let e = open_err(&root);
    assert!(
        e.contains("validation_list.txt") && e.contains("line 3"),
        "{e}"
    );
}

#[test]
fn missing_listed_files_are_an_error_naming_list_line_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    tiny_dataset(&root);
    let mut text = std::fs::read_to_string(root.join("validation_list.txt")).unwrap();
    text.push_str("yes/ghost_nohash_0.wav\nno/ghost_nohash_1.wav\n");
    std::fs::write(root.join("validation_list.txt"), &text).unwrap();
    let e = open_err(&root);
    assert!(e.contains("validation_list.txt"), "{e}");
    assert!(e.contains("2 listed file(s) do not exist"), "{e}");
    assert!(e.contains("yes/ghost_nohash_0.wav"), "{e}");
    assert!(e.contains("line 4"), "{e}");
    // A listed folder that is not a word folder: the same error, not a silent skip.
    std::fs::write(
        root.join("validation_list.txt"),
        "_background_noise_/white.wav\n",
    )
    .unwrap();
    let e = open_err(&root);
    assert!(
        e.contains("_background_noise_/white.wav") && e.contains("line 1"),
        "{e}"
    );
}

#[test]
fn a_list_without_its_partner_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    tiny_dataset(&root);
    std::fs::remove_file(root.join("testing_list.txt")).unwrap();
    let e = open_err(&root);
    assert!(
        e.contains("testing_list.txt") && e.contains("missing"),
        "{e}"
    );
    // Neither list: the hash rule, with a warning.
    std::fs::remove_file(root.join("validation_list.txt")).unwrap();
    let idx = DatasetIndex::open(&root).unwrap();
    assert!(
        idx.warnings.iter().any(|w| w.contains("hash rule")),
        "{:?}",
        idx.warnings
    );
}

#[test]
fn empty_and_unknown_folders_are_warnings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    tiny_dataset(&root);
    std::fs::create_dir_all(root.join("bird")).unwrap();
    std::fs::write(root.join("bird/readme.txt"), "no clips here").unwrap();
    std::fs::create_dir_all(root.join("_foo")).unwrap();
    std::fs::write(root.join("_foo/a.wav"), pcm16(&tone(500.0, 16_000, 1.0))).unwrap();
    std::fs::write(root.join("stray.wav"), pcm16(&tone(500.0, 16_000, 1.0))).unwrap();
    let idx = DatasetIndex::open(&root).unwrap();
    let w = idx.warnings.join("\n");
    assert!(w.contains("bird") && w.contains("no .wav files"), "{w}");
    assert!(w.contains("_foo") && w.contains("not a word folder"), "{w}");
    assert!(
        w.contains("stray.wav") && w.contains("not in a word folder"),
        "{w}"
    );
    assert!(!idx.words.contains(&"bird".to_string()));
    assert!(idx.entries.iter().all(|e| !e.rel_path.starts_with("_foo")));

    // Through the CLI: the warnings are printed and training goes on.
    let r = run(&tiny_train_args(&root, &tmp.path().join("run")));
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning:") && r.stderr.contains("_foo"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("bird"), "{}", r.stderr);

    // An empty folder for a requested word is an error that says the folder is empty.
    let t = Task::resolve(
        &TaskSpec::Twelve {
            words: vec!["yes".into(), "bird".into()],
            silence_pct: 10.0,
            unknown_pct: 10.0,
        },
        &idx,
    )
    .unwrap_err()
    .to_string();
    assert!(t.contains("\"bird\"") && t.contains("no .wav files"), "{t}");
}

#[test]
fn a_class_without_training_clips_is_an_error_and_without_test_clips_a_warning() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    tiny_dataset(&root);
    // Every "no" clip in the testing list: the class cannot be learnt.
    let mut test = String::new();
    for s in 0..6 {
        test.push_str(&format!("no/s{s}_nohash_0.wav\n"));
    }
    test.push_str("yes/s5_nohash_0.wav\n");
    std::fs::write(root.join("testing_list.txt"), &test).unwrap();
    std::fs::write(root.join("validation_list.txt"), "yes/s4_nohash_0.wav\n").unwrap();
    let r = run(&tiny_train_args(&root, &tmp.path().join("run")));
    assert!(!r.ok);
    assert!(
        r.stderr.contains("\"no\"")
            && r.stderr.contains("train split")
            && r.stderr.contains("no samples"),
        "{}",
        r.stderr
    );

    // "no" without validation clips: a warning naming the class and the split, training works.
    std::fs::write(
        root.join("testing_list.txt"),
        "yes/s5_nohash_0.wav\nno/s5_nohash_0.wav\n",
    )
    .unwrap();
    let r = run(&tiny_train_args(&root, &tmp.path().join("run2")));
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning:")
            && r.stderr.contains("\"no\"")
            && r.stderr.contains("valid split"),
        "{}",
        r.stderr
    );
}

#[test]
fn no_background_noise_is_a_warning_and_training_works() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    tiny_dataset(&root);
    std::fs::remove_dir_all(root.join("_background_noise_")).unwrap();
    let idx = DatasetIndex::open(&root).unwrap();
    assert!(idx.noise_files.is_empty());
    assert!(
        idx.warnings
            .iter()
            .any(|w| w.contains("_background_noise_")),
        "{:?}",
        idx.warnings
    );
    let out = tmp.path().join("run");
    let r = run(&tiny_train_args(&root, &out));
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("warning:") && r.stderr.contains("_background_noise_"));
    assert!(out.join("best.ckpt").is_file());
    // An empty noise folder says the same.
    std::fs::create_dir_all(root.join("_background_noise_")).unwrap();
    let idx = DatasetIndex::open(&root).unwrap();
    assert!(
        idx.warnings
            .iter()
            .any(|w| w.contains("_background_noise_"))
    );
}

#[test]
fn only_files_inside_the_root_are_indexed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("data");
    tiny_dataset(&root);
    let idx = DatasetIndex::open(&root).unwrap();
    for e in &idx.entries {
        let p = idx.path_of(e);
        assert!(p.starts_with(&root), "{}", p.display());
        assert!(!e.rel_path.contains(".."));
    }
    // Every split exists; list entries decide the validation and testing splits.
    for (split, n) in [(Split::Valid, 3), (Split::Test, 3), (Split::Train, 12)] {
        assert_eq!(idx.entries.iter().filter(|e| e.split == split).count(), n);
    }
    // A root that is not a folder, or holds no word folder, is a clear error.
    let e = open_err(&root.join("validation_list.txt"));
    assert!(e.contains("not a folder"), "{e}");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = open_err(&empty);
    assert!(e.contains("no word folders"), "{e}");
    assert!(matches!(
        DatasetIndex::open(&empty),
        Err(DataError::NotADataset { .. })
    ));
}
