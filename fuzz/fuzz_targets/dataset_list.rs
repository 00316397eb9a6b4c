//! Dataset list parsing: every line of `validation_list.txt` / `testing_list.txt` is either
//! accepted as `word/file` inside the dataset root or refused with an error naming the list
//! file and the line. An accepted entry can never leave the root.
#![no_main]

use std::path::{Component, Path};

use libfuzzer_sys::fuzz_target;
use randommix::data::DataError;
use randommix::data::index::{check_list_entry, parse_list};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let list = Path::new("/root/dataset/testing_list.txt");
    match parse_list(&text, list) {
        Ok(entries) => {
            let non_blank = text.lines().filter(|l| !l.trim().is_empty()).count();
            assert_eq!(entries.len(), non_blank);
            for e in &entries {
                check_entry(e);
                // Canonical entries parse to themselves.
                assert_eq!(check_list_entry(e).as_deref(), Ok(e.as_str()));
            }
        }
        Err(DataError::List {
            path,
            line,
            problem,
        }) => {
            assert_eq!(path, list);
            let n_lines = text.lines().count();
            assert!(line >= 1 && line <= n_lines, "line {line} of {n_lines}");
            assert!(!problem.is_empty());
        }
        Err(other) => panic!("unexpected error kind: {other}"),
    }
    // Line by line too (the same checks without the list around them).
    for line in text.lines() {
        if let Ok(e) = check_list_entry(line) {
            check_entry(&e);
        }
    }
});

fn check_entry(e: &str) {
    let p = Path::new(e);
    assert!(!p.is_absolute(), "absolute entry accepted: {e:?}");
    let parts: Vec<Component> = p.components().collect();
    assert_eq!(parts.len(), 2, "entry {e:?} is not word/file");
    assert!(
        parts.iter().all(|c| matches!(c, Component::Normal(_))),
        "entry {e:?} has a component that is not a plain name"
    );
    assert!(!e.contains('\\'), "backslash left in {e:?}");
    let root = Path::new("/root/dataset");
    assert!(root.join(p).starts_with(root));
}
