//! Evaluation files that cannot be lost or mislabelled: evaluating on other data never
//! overwrites the run's own result, every file says what it describes, and runs keep finding
//! their data from any working directory.

mod common;

use std::path::Path;

use common::{Run, assert_no_panic, tiny_dataset, tiny_train_args};

fn run_in(dir: &Path, args: &[String]) -> Run {
    let r: Run = std::process::Command::new(env!("CARGO_BIN_EXE_randommix"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run randommix")
        .into();
    assert_no_panic(&r, args);
    r
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn json(p: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn eval_on_other_data_keeps_the_runs_own_result_and_records_its_source() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    tiny_dataset(&root.join("data"));
    tiny_dataset(&root.join("other"));
    // Train with a relative data path, from inside `root`.
    let mut train = tiny_train_args(Path::new("data"), Path::new("run"));
    train.push("--threads".into());
    train.push("1".into());
    let r = run_in(root, &train);
    assert!(r.ok, "{}", r.stderr);
    let run = root.join("run");
    let cfg = json(&run.join("config.json"));
    let data = Path::new(cfg["data"].as_str().unwrap());
    assert!(data.is_absolute(), "config.json keeps {data:?}");
    let own = std::fs::read(run.join("eval_test.json")).unwrap();
    let src = &json(&run.join("eval_test.json"))["source"];
    assert_eq!(src["data"].as_str().unwrap(), data.to_str().unwrap());
    assert!(src["checkpoint"].as_str().unwrap().ends_with("best.ckpt"));
    assert!(src["date"].as_str().unwrap().starts_with("20"));
    assert!(src["task"].is_object() || src["task"].is_string(), "{src}");

    // Evaluate from another working directory, on the other folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let r = run_in(
        elsewhere.path(),
        &args(&[
            "eval",
            "--run",
            run.to_str().unwrap(),
            "--data",
            root.join("other").to_str().unwrap(),
            "--split",
            "test",
            "--json",
        ]),
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(
        std::fs::read(run.join("eval_test.json")).unwrap(),
        own,
        "the run's own test result was overwritten"
    );
    let other: Vec<_> = std::fs::read_dir(&run)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("eval_test@other-") && n.ends_with(".json"))
        .collect();
    assert_eq!(other.len(), 1, "{other:?}");
    assert!(r.stderr.contains(&other[0]), "{}", r.stderr);
    let v = json(&run.join(&other[0]));
    assert_eq!(v["split"], "test");
    let d = v["source"]["data"].as_str().unwrap();
    assert!(d.ends_with("other"), "{d}");

    // The run's own data, evaluated from elsewhere, rewrites the run's own file only.
    let r = run_in(
        elsewhere.path(),
        &args(&["eval", "--run", run.to_str().unwrap(), "--json"]),
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stderr.contains("eval_test.json"), "{}", r.stderr);

    // A run saved with a relative data path (before paths were made absolute) is found from
    // the run folder's ancestors when the working directory does not have it.
    let p = run.join("config.json");
    let mut c = json(&p);
    c["data"] = serde_json::Value::String("data".into());
    std::fs::write(&p, serde_json::to_vec_pretty(&c).unwrap()).unwrap();
    let r = run_in(
        elsewhere.path(),
        &args(&["eval", "--run", run.to_str().unwrap(), "--json"]),
    );
    assert!(r.ok, "{}", r.stderr);
}

#[test]
fn train_without_data_says_where_the_bundled_data_is() {
    let tmp = tempfile::tempdir().unwrap();
    let r = run_in(tmp.path(), &args(&["train", "--epochs", "1"]));
    assert!(!r.ok);
    assert!(r.stderr.contains("no such folder"), "{}", r.stderr);
    assert!(r.stderr.contains("data/"), "{}", r.stderr);
    assert!(r.stderr.contains("--data"), "{}", r.stderr);
    assert!(
        std::fs::read_dir(tmp.path()).unwrap().next().is_none(),
        "a failed start left files behind"
    );
}

#[test]
fn eval_scores_a_folder_holding_only_some_of_the_keywords() {
    let tmp = tempfile::tempdir().unwrap();
    let run = common::tiny_run(tmp.path());
    // A user's own recordings of one keyword ("no") and one other word, no "yes" folder.
    let mine = tmp.path().join("mine");
    tiny_dataset(&mine);
    std::fs::remove_dir_all(mine.join("yes")).unwrap();
    for list in ["validation_list.txt", "testing_list.txt"] {
        let p = mine.join(list);
        let kept: String = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("yes/"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(p, kept).unwrap();
    }
    let r = common::run(&[
        "eval",
        "--run",
        run.to_str().unwrap(),
        "--data",
        mine.to_str().unwrap(),
        "--json",
    ]);
    assert!(r.ok, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let classes: Vec<&str> = v["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(classes, ["_silence_", "_unknown_", "yes", "no"]);
    let samples = |name: &str| {
        v["per_class"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["class"] == name)
            .unwrap()["samples"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(samples("yes"), 0);
    assert_eq!(samples("no"), 1);

    // A folder with none of the run's words is refused, naming it.
    let none = tmp.path().join("none");
    std::fs::create_dir_all(none.join("cat")).unwrap();
    std::fs::copy(
        mine.join("cat/s0_nohash_0.wav"),
        none.join("cat/s0_nohash_0.wav"),
    )
    .unwrap();
    let r = common::run(&[
        "eval",
        "--run",
        run.to_str().unwrap(),
        "--data",
        none.to_str().unwrap(),
    ]);
    assert!(!r.ok);
    assert!(r.stderr.contains("none of the run's words"), "{}", r.stderr);
    assert!(r.stderr.contains("none"), "{}", r.stderr);
}
