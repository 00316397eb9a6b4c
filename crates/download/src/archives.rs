//! The official Speech Commands archives and what they must hash to.
//!
//! Addresses as the data set's authors publish them (TensorFlow's `speech_commands` tutorial
//! and TensorFlow Datasets). SHA-256 of v0.01 and v0.02 as torchaudio's `SPEECHCOMMANDS`
//! checks them (`torchaudio/datasets/speechcommands.py`, `_CHECKSUMS`); sizes of v0.02 and its
//! test set as ESPnet's Speech Commands recipe checks them (`data_tar_size`,
//! `test_data_tar_size`). The test set's SHA-256 has no such second source: it is the value
//! published beside its address by projects that download it, and a mismatch is reported, not
//! ignored.

use crate::DownloadError;

/// One downloadable archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Archive {
    /// The name `randommix download` knows it by.
    pub name: &'static str,
    /// What it holds.
    pub about: &'static str,
    /// Its official address.
    pub url: &'static str,
    /// SHA-256 of the whole archive (hex).
    pub sha256: &'static str,
    /// Size in bytes, where published.
    pub size: Option<u64>,
    /// The folder it unpacks to by default.
    pub folder: &'static str,
}

/// Every archive [`archive`] knows.
pub const ARCHIVES: [Archive; 3] = [
    Archive {
        name: "v0.02",
        about: "Speech Commands v0.02: 105,829 clips of 35 words, 2,618 speakers (2.3 GB)",
        url: "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
        sha256: "af14739ee7dc311471de98f5f9d2c9191b18aedfe957f4a6ff791c709868ff58",
        size: Some(2_428_923_189),
        folder: "speech_commands_v0.02",
    },
    Archive {
        name: "v0.01",
        about: "Speech Commands v0.01: 64,727 clips of 30 words, 1,881 speakers (1.4 GB)",
        url: "http://download.tensorflow.org/data/speech_commands_v0.01.tar.gz",
        sha256: "743935421bb51cccdb6bdd152e04c5c70274e935c82119ad7faeec31780d811d",
        size: None,
        folder: "speech_commands_v0.01",
    },
    Archive {
        name: "test-v0.02",
        about: "the official v0.02 test set: 4,890 clips of the 12-class task, silence and unknown included (112 MB)",
        url: "http://download.tensorflow.org/data/speech_commands_test_set_v0.02.tar.gz",
        sha256: "cc2a00c1147c2254e9be3fa0f779d8c17421dc349b86366567a8edfa9acd51df",
        size: Some(112_563_277),
        folder: "speech_commands_test_set_v0.02",
    },
];

/// The archive called `name` (`v0.02`, `v0.01` or `test-v0.02`; a leading `v` and `0.`
/// may be left out: `2`, `0.02`).
pub fn archive(name: &str) -> Result<&'static Archive, DownloadError> {
    let n = name.trim().to_ascii_lowercase();
    let canonical = match n.as_str() {
        "v0.02" | "0.02" | "v2" | "2" => "v0.02",
        "v0.01" | "0.01" | "v1" | "1" => "v0.01",
        "test-v0.02" | "test" | "test-0.02" | "test-v2" => "test-v0.02",
        _ => "",
    };
    ARCHIVES
        .iter()
        .find(|a| a.name == canonical)
        .ok_or_else(|| DownloadError::UnknownArchive {
            name: name.to_string(),
            known: ARCHIVES
                .iter()
                .map(|a| a.name)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_checksums_are_well_formed() {
        assert_eq!(archive("0.02").unwrap().name, "v0.02");
        assert_eq!(archive("V0.01").unwrap().name, "v0.01");
        assert_eq!(archive("test").unwrap().name, "test-v0.02");
        let e = archive("v3").unwrap_err().to_string();
        assert!(
            e.contains("v3") && e.contains("v0.02, v0.01, test-v0.02"),
            "{e}"
        );
        for a in ARCHIVES {
            assert_eq!(a.sha256.len(), 64, "{}", a.name);
            assert!(
                a.sha256.chars().all(|c| c.is_ascii_hexdigit()),
                "{}",
                a.name
            );
            assert!(a.url.ends_with(".tar.gz"), "{}", a.name);
        }
    }
}
