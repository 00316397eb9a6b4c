//! Several `--data` folders: the first judges the run, the others add training clips; splits
//! stay speaker-disjoint across folders.

mod common;

use std::path::Path;

use common::{TINY_WORDS, run, tiny_dataset, tiny_train_args};

/// A [`tiny_dataset`] whose speakers are renamed `e0`…`e5`, so that none of them is a speaker
/// of another tiny folder.
fn extra_dataset(root: &Path) {
    tiny_dataset(root);
    for w in TINY_WORDS {
        for s in 0..6 {
            std::fs::rename(
                root.join(w).join(format!("s{s}_nohash_0.wav")),
                root.join(w).join(format!("e{s}_nohash_0.wav")),
            )
            .unwrap();
        }
    }
    for list in ["validation_list.txt", "testing_list.txt"] {
        let p = root.join(list);
        let text = std::fs::read_to_string(&p).unwrap().replace("/s", "/e");
        std::fs::write(p, text).unwrap();
    }
}

fn train_line(stderr: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("data: "))
        .unwrap_or_else(|| panic!("no data line in\n{stderr}"));
    let n = line.split("train ").nth(1).unwrap();
    n.split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn further_folders_add_training_clips_and_are_scored_as_secondary() {
    let tmp = tempfile::tempdir().unwrap();
    let (main, extra) = (tmp.path().join("main"), tmp.path().join("extra"));
    tiny_dataset(&main);
    extra_dataset(&extra);

    let one = run(&tiny_train_args(&main, &tmp.path().join("one")));
    assert!(one.ok, "{}", one.stderr);

    let out = tmp.path().join("two");
    let mut args = tiny_train_args(&main, &out);
    args.extend(["--data".to_string(), extra.to_str().unwrap().to_string()]);
    let two = run(&args);
    assert!(two.ok, "{}", two.stderr);
    // The extra folder's four training speakers (not its validation or test speaker) join.
    assert_eq!(train_line(&two.stderr), 2 * train_line(&one.stderr));

    // --extra-share keeps a seeded part of the further folder's clips.
    let half_out = tmp.path().join("half");
    let mut args = tiny_train_args(&main, &half_out);
    args.extend(["--data", extra.to_str().unwrap(), "--extra-share", "0.5"].map(String::from));
    let half = run(&args);
    assert!(half.ok, "{}", half.stderr);
    let n_half = train_line(&half.stderr);
    assert!(
        train_line(&one.stderr) < n_half && n_half < train_line(&two.stderr),
        "{}",
        half.stderr
    );
    let half_cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(half_out.join("config.json")).unwrap())
            .unwrap();
    assert_eq!(half_cfg["extra_share"], 0.5);

    let cfg: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("config.json")).unwrap()).unwrap();
    let extra_saved = cfg["extra_data"][0].as_str().unwrap();
    assert!(Path::new(extra_saved).is_absolute(), "{cfg}");
    assert!(extra_saved.ends_with("extra"), "{cfg}");

    // The main folder's test split is the headline; the extra one's is a secondary file.
    let own: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("eval_test.json")).unwrap())
            .unwrap();
    assert!(own["source"]["data"].as_str().unwrap().ends_with("main"));
    let secondary: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("eval_test@extra-"))
        .collect();
    assert_eq!(secondary.len(), 1, "{secondary:?}");
    assert!(two.stdout.contains("extra test"), "{}", two.stdout);
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("further training data"), "{report}");
    assert!(report.contains("secondary"), "{report}");

    // `eval` on the run's own folder opens the extra folder too (its noise is part of the
    // silence samples) and gives the same figures as training did.
    let again = run(&["eval", "--run", out.to_str().unwrap(), "--json"]);
    assert!(again.ok, "{}", again.stderr);
    let again: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(again["accuracy"], own["accuracy"]);
    assert_eq!(again["confusion"], own["confusion"]);
}

#[test]
fn a_speaker_training_in_a_further_folder_and_tested_in_the_first_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (main, extra) = (tmp.path().join("main"), tmp.path().join("extra"));
    tiny_dataset(&main);
    tiny_dataset(&extra);
    // Without lists every clip of the extra folder trains, s4 and s5 too: the main folder's
    // validation and test speakers.
    for list in ["validation_list.txt", "testing_list.txt"] {
        std::fs::write(extra.join(list), "").unwrap();
    }
    let out = tmp.path().join("run");
    let mut args = tiny_train_args(&main, &out);
    args.extend(["--data".to_string(), extra.to_str().unwrap().to_string()]);
    let r = run(&args);
    assert!(!r.ok, "training succeeded");
    assert!(r.stderr.contains("speaker-disjoint"), "{}", r.stderr);
    assert!(r.stderr.contains("extra"), "{}", r.stderr);
    assert!(!out.join("best.ckpt").exists());

    // The same folder twice is refused too.
    let mut args = tiny_train_args(&main, &tmp.path().join("twice"));
    args.extend(["--data".to_string(), main.to_str().unwrap().to_string()]);
    let r = run(&args);
    assert!(!r.ok);
    assert!(r.stderr.contains("given twice"), "{}", r.stderr);
}
