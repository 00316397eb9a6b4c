//! `--modes` lists: splitting them into mix specifications and naming their folders.

/// Splits a `--modes` list: commas separate specs unless the spec has weights (`name:w`), in
/// which case `/` separates them. `randommix` stands for [`DEFAULT_SPEC`](crate::mix::DEFAULT_SPEC).
/// `globals` (e.g. `skip=0.5`) is appended to every spec but `none` that has no global options
/// of its own, so that every mode is compared under the same schedule.
pub fn split_modes_with(s: &str, globals: &str) -> Vec<String> {
    let g = globals.trim().trim_start_matches(';');
    split_modes(s)
        .into_iter()
        .map(|m| {
            if g.is_empty() || m.eq_ignore_ascii_case("none") || m.contains(';') {
                m
            } else {
                format!("{m};{g}")
            }
        })
        .collect()
}

/// [`split_modes_with`] without global options. Commas inside a mode's options
/// (`mixup(db=1,alpha=0.4)`) never separate specs.
pub fn split_modes(s: &str) -> Vec<String> {
    let parts: Vec<String> = if s.contains('/') {
        s.split('/').map(str::to_string).collect()
    } else if s.contains(':') {
        vec![s.to_string()]
    } else {
        split_outside_parens(s)
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .map(|p| {
            if p.eq_ignore_ascii_case("randommix") {
                crate::mix::DEFAULT_SPEC.to_string()
            } else {
                p
            }
        })
        .collect()
}

/// `s` split at the commas that are not inside parentheses.
fn split_outside_parens(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut depth = 0usize;
    for c in s.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            _ => {}
        }
        parts.last_mut().expect("never empty").push(c);
    }
    parts
}

/// A folder-safe name for a mix specification.
pub fn slug(spec: &str) -> String {
    let mut s: String = spec
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s.trim_matches('-').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_lists_split_between_specs_only() {
        assert_eq!(
            split_modes("none, mixup(db=1,alpha=0.4),cutmix(region=time) ,randommix"),
            vec![
                "none",
                "mixup(db=1,alpha=0.4)",
                "cutmix(region=time)",
                crate::mix::DEFAULT_SPEC
            ]
        );
        assert_eq!(
            split_modes("none/mixup:1(db=1),cutmix:1"),
            vec!["none", "mixup:1(db=1),cutmix:1"]
        );
        assert_eq!(split_modes("mixup:2,cutmix:1"), vec!["mixup:2,cutmix:1"]);
        assert_eq!(
            split_modes_with("none,mixup(db=1)", "skip=0.7"),
            vec!["none", "mixup(db=1);skip=0.7"]
        );
    }

    #[test]
    fn slugs_are_folder_safe() {
        assert_eq!(slug("mixup:1,cutmix:1"), "mixup-1-cutmix-1");
        assert_eq!(slug("none"), "none");
    }
}
