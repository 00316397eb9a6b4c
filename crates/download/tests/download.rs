//! `download` against a local HTTP server on 127.0.0.1 serving a small archive made from the
//! bundled real clips: a clean download, a dropped connection, an interrupted earlier run, a
//! server without ranges, a wrong checksum and size, an error status, an existing target and
//! a target that cannot be written.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use randommix_download::{DownloadError, FetchOptions, Source, download, sha256_hex};

/// How the test server behaves.
#[derive(Clone, Default)]
struct Behaviour {
    /// Close the first response's connection after this many body bytes.
    drop_first_after: Option<usize>,
    /// Answer every request with the whole file (200), ignoring `Range`.
    no_ranges: bool,
    /// Answer with this status and no body.
    status: Option<u16>,
}

struct Server {
    url: String,
    /// The `Range` header of every request (empty when none).
    ranges: Arc<Mutex<Vec<String>>>,
}

fn serve(body: Vec<u8>, how: Behaviour) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/sc.tar.gz", listener.local_addr().expect("addr"));
    let ranges = Arc::new(Mutex::new(Vec::new()));
    let seen = ranges.clone();
    std::thread::spawn(move || {
        for (k, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut range = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("range:") {
                    range = v.trim().to_string();
                }
            }
            seen.lock().unwrap().push(range.clone());
            if let Some(code) = how.status {
                let _ = write!(
                    stream,
                    "HTTP/1.1 {code} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
                continue;
            }
            let from: usize = range
                .strip_prefix("bytes=")
                .and_then(|r| r.trim_end_matches('-').parse().ok())
                .unwrap_or(0);
            let (head, part) = if from > 0 && !how.no_ranges {
                (
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n",
                        body.len() - from,
                        body.len() - 1,
                        body.len()
                    ),
                    &body[from..],
                )
            } else {
                (
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    ),
                    &body[..],
                )
            };
            let _ = stream.write_all(head.as_bytes());
            let send = match how.drop_first_after {
                Some(n) if k == 0 => &part[..n.min(part.len())],
                _ => part,
            };
            let _ = stream.write_all(send);
            let _ = stream.flush();
            // Dropping the stream closes the connection (early, for a dropped first response).
        }
    });
    Server { url, ranges }
}

fn bundled() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/real")
}

/// A Speech Commands-shaped `.tar.gz` (`./yes/…`, `./no/…`, `./testing_list.txt`) of a few
/// bundled clips, and the files it holds (relative path, bytes).
fn archive() -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let mut files = Vec::new();
    for word in ["yes", "no"] {
        let mut names: Vec<_> = std::fs::read_dir(bundled().join(word))
            .expect("bundled clips")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for n in names.into_iter().take(3) {
            let bytes = std::fs::read(bundled().join(word).join(&n)).unwrap();
            files.push((format!("{word}/{n}"), bytes));
        }
    }
    files.push(("testing_list.txt".into(), b"yes/a_nohash_0.wav\n".to_vec()));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    for (path, bytes) in &files {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, format!("./{path}"), &bytes[..])
            .unwrap();
    }
    let bytes = tar.into_inner().unwrap().finish().unwrap();
    (bytes, files)
}

fn sha(bytes: &[u8]) -> String {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("x");
    std::fs::write(&p, bytes).unwrap();
    sha256_hex(&p).unwrap()
}

fn fast() -> FetchOptions {
    FetchOptions::default().with_retry_wait_s(0.01)
}

fn source(url: &str, bytes: &[u8]) -> Source {
    Source {
        url: url.to_string(),
        sha256: sha(bytes),
        size: Some(bytes.len() as u64),
    }
}

fn assert_unpacked(to: &Path, files: &[(String, Vec<u8>)]) {
    for (path, bytes) in files {
        assert_eq!(&std::fs::read(to.join(path)).unwrap(), bytes, "{path}");
    }
}

/// Names in `dir` besides `keep`: leftovers of a download (temporary folders, `.part` files).
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

#[test]
fn a_clean_download_is_verified_and_unpacked_and_leaves_nothing_else() {
    let (bytes, files) = archive();
    let server = serve(bytes.clone(), Behaviour::default());
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    let r = download(&source(&server.url, &bytes), &to, false, &fast(), &mut ()).unwrap();
    assert_eq!(r.files, files.len());
    assert_eq!(r.archive_bytes, bytes.len() as u64);
    assert_eq!(r.fetched_bytes, bytes.len() as u64);
    assert_unpacked(&to, &files);
    assert_eq!(others(tmp.path(), &["sc"]), Vec::<String>::new());
    assert_eq!(*server.ranges.lock().unwrap(), vec![String::new()]);
}

#[test]
fn a_dropped_connection_is_resumed_with_a_range_request() {
    let (bytes, files) = archive();
    let server = serve(
        bytes.clone(),
        Behaviour {
            drop_first_after: Some(1000),
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    let r = download(&source(&server.url, &bytes), &to, true, &fast(), &mut ()).unwrap();
    assert_unpacked(&to, &files);
    assert_eq!(
        *server.ranges.lock().unwrap(),
        vec![String::new(), "bytes=1000-".to_string()]
    );
    assert_eq!(r.fetched_bytes, bytes.len() as u64);
    // --keep-archive: the verified archive stays beside the folder.
    assert_eq!(std::fs::read(tmp.path().join("sc.tar.gz")).unwrap(), bytes);
}

#[test]
fn an_interrupted_earlier_run_is_continued_not_restarted() {
    let (bytes, files) = archive();
    let server = serve(bytes.clone(), Behaviour::default());
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    std::fs::write(tmp.path().join("sc.tar.gz.part"), &bytes[..777]).unwrap();
    let r = download(&source(&server.url, &bytes), &to, false, &fast(), &mut ()).unwrap();
    assert_eq!(r.fetched_bytes, (bytes.len() - 777) as u64);
    assert_eq!(
        *server.ranges.lock().unwrap(),
        vec!["bytes=777-".to_string()]
    );
    assert_unpacked(&to, &files);
}

#[test]
fn a_server_without_ranges_is_downloaded_again_from_the_start() {
    let (bytes, files) = archive();
    let server = serve(
        bytes.clone(),
        Behaviour {
            no_ranges: true,
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    std::fs::write(tmp.path().join("sc.tar.gz.part"), &bytes[..500]).unwrap();
    download(&source(&server.url, &bytes), &to, false, &fast(), &mut ()).unwrap();
    assert_unpacked(&to, &files);
}

#[test]
fn a_wrong_checksum_unpacks_nothing_and_deletes_the_download() {
    let (bytes, _) = archive();
    let server = serve(bytes.clone(), Behaviour::default());
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    let mut src = source(&server.url, &bytes);
    src.sha256 = "00".repeat(32);
    let e = download(&src, &to, false, &fast(), &mut ()).unwrap_err();
    assert!(matches!(e, DownloadError::Checksum { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("sc.tar.gz.part")
            && msg.contains(&"00".repeat(32))
            && msg.contains(&sha(&bytes)),
        "{msg}"
    );
    assert!(!to.exists());
    assert_eq!(others(tmp.path(), &[]), Vec::<String>::new());
}

#[test]
fn a_wrong_size_is_refused_before_the_checksum() {
    let (bytes, _) = archive();
    let server = serve(bytes.clone(), Behaviour::default());
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    let mut src = source(&server.url, &bytes);
    src.size = Some(bytes.len() as u64 - 1);
    let e = download(&src, &to, false, &fast(), &mut ()).unwrap_err();
    assert!(matches!(e, DownloadError::Size { .. }), "{e}");
    assert!(!to.exists());
}

#[test]
fn an_error_status_is_reported_with_the_address_and_not_retried() {
    let server = serve(
        Vec::new(),
        Behaviour {
            status: Some(404),
            ..Default::default()
        },
    );
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    let src = Source {
        url: server.url.clone(),
        sha256: "00".repeat(32),
        size: None,
    };
    let e = download(&src, &to, false, &fast(), &mut ())
        .unwrap_err()
        .to_string();
    assert!(e.contains(&server.url) && e.contains("404"), "{e}");
    assert_eq!(server.ranges.lock().unwrap().len(), 1);
    assert!(!to.exists());
}

#[test]
fn a_server_that_cannot_be_reached_is_given_up_after_the_attempts_with_a_hint_to_resume() {
    // Every connection is refused: nothing listens on the port any more.
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    let src = Source {
        url: format!("http://127.0.0.1:{port}/sc.tar.gz"),
        sha256: "00".repeat(32),
        size: None,
    };
    let opts = fast().with_attempts(3);
    let e = download(&src, &to, false, &opts, &mut ())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("gave up after 3 attempts") && e.contains("run again to resume"),
        "{e}"
    );
    assert!(!to.exists());
}

#[test]
fn an_existing_target_is_never_touched() {
    let (bytes, _) = archive();
    let server = serve(bytes.clone(), Behaviour::default());
    let tmp = tempfile::tempdir().unwrap();
    let to = tmp.path().join("sc");
    std::fs::create_dir(&to).unwrap();
    std::fs::write(to.join("mine.txt"), b"keep me").unwrap();
    let e = download(&source(&server.url, &bytes), &to, false, &fast(), &mut ()).unwrap_err();
    assert!(matches!(e, DownloadError::TargetExists { .. }), "{e}");
    assert_eq!(std::fs::read(to.join("mine.txt")).unwrap(), b"keep me");
    assert!(
        server.ranges.lock().unwrap().is_empty(),
        "nothing is fetched"
    );
}

#[test]
fn a_target_that_cannot_be_written_is_an_error_naming_it() {
    let (bytes, _) = archive();
    let server = serve(bytes.clone(), Behaviour::default());
    let tmp = tempfile::tempdir().unwrap();
    // A file where the target's parent folder should be.
    let blocker = tmp.path().join("not_a_folder");
    std::fs::write(&blocker, b"x").unwrap();
    let to = blocker.join("sc");
    let e = download(&source(&server.url, &bytes), &to, false, &fast(), &mut ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("not_a_folder"), "{e}");
    assert_eq!(std::fs::read(&blocker).unwrap(), b"x");
}

#[test]
fn entries_that_leave_the_folder_are_refused_and_nothing_is_left_behind() {
    let tmp = tempfile::tempdir().unwrap();
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let mut h = tar::Header::new_gnu();
    h.set_size(1);
    h.set_mode(0o644);
    // `append_data` refuses `..`; write the name into the header as a hostile archive would.
    h.as_gnu_mut().unwrap().name[..11].copy_from_slice(b"../evil.txt");
    h.set_cksum();
    tar.append(&h, &b"x"[..]).unwrap();
    let bytes = tar.into_inner().unwrap().finish().unwrap();
    let archive = tmp.path().join("evil.tar.gz");
    std::fs::write(&archive, &bytes).unwrap();
    let to = tmp.path().join("sc");
    let e = randommix_download::unpack(&archive, &to)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("outside the target folder") || e.contains(".."),
        "{e}"
    );
    assert!(!to.exists());
    assert!(!tmp.path().join("evil.txt").exists());
    assert_eq!(others(tmp.path(), &["evil.tar.gz"]), Vec::<String>::new());
}
