//! Names for new run folders.

use std::path::{Path, PathBuf};

/// A fresh run folder under `root`, named by the current UTC date and time
/// (`runs/20261201-084512`); `-1`, `-2`, ... are appended when that name is taken.
pub fn default_run_dir(root: &Path) -> PathBuf {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
    let mut p = root.join(&stamp);
    let mut k = 1;
    while p.exists() {
        p = root.join(format!("{stamp}-{k}"));
        k += 1;
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_dated_and_unique() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let a = default_run_dir(tmp.path());
        let name = a.file_name().and_then(|n| n.to_str()).expect("utf-8 name");
        assert_eq!(name.len(), 15, "{name}");
        assert_eq!(&name[8..9], "-");
        assert!(name[..8].chars().all(|c| c.is_ascii_digit()), "{name}");
        assert!(name[..4].parse::<u32>().expect("year") >= 2024);
        std::fs::create_dir(&a).expect("mkdir");
        let b = default_run_dir(tmp.path());
        assert_ne!(a, b);
        assert!(b.to_string_lossy().ends_with("-1") || b.file_name() != a.file_name());
    }
}
