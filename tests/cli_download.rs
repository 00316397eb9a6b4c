//! `randommix download` end to end: a local server on 127.0.0.1 serves a Speech Commands-shaped
//! archive of bundled clips; the command verifies and unpacks it, and the folder it makes
//! trains-ready (word folders, lists) and is never overwritten by a second run.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use common::run;

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Serves `body` to every request (whole, status 200) and returns its address.
fn serve(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/sc.tar.gz", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line != "\r\n" {
                line.clear();
            }
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// A `.tar.gz` of two bundled real clips and a testing list, and the SHA-256 of it.
fn archive(tmp: &Path) -> (Vec<u8>, String) {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut tar = tar::Builder::new(gz);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/real");
    let mut names: Vec<_> = std::fs::read_dir(root.join("yes"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in &names[..2] {
        tar.append_path_with_name(root.join("yes").join(n), format!("./yes/{n}"))
            .unwrap();
    }
    let list = format!("yes/{}\n", names[1]);
    let mut h = tar::Header::new_gnu();
    h.set_size(list.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append_data(&mut h, "./testing_list.txt", list.as_bytes())
        .unwrap();
    let bytes = tar.into_inner().unwrap().finish().unwrap();
    let p = tmp.join("a.tar.gz");
    std::fs::write(&p, &bytes).unwrap();
    let sha = randommix_download::sha256_hex(&p).unwrap();
    std::fs::remove_file(&p).unwrap();
    (bytes, sha)
}

#[test]
fn download_verifies_unpacks_and_never_overwrites() {
    let tmp = tempfile::tempdir().unwrap();
    let (bytes, sha) = archive(tmp.path());
    let url = serve(bytes);
    let to = tmp.path().join("sc");
    let args = ["download", "--url", &url, "--sha256", &sha, "--to", &s(&to)];
    let r = run(&args);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("3 files unpacked"), "{}", r.stdout);
    assert!(to.join("testing_list.txt").is_file());
    assert_eq!(std::fs::read_dir(to.join("yes")).unwrap().count(), 2);
    // A second run leaves the folder alone and says so.
    let again = run(&args);
    assert!(!again.ok);
    assert!(again.stderr.contains("exists already"), "{}", again.stderr);
    assert_eq!(std::fs::read_dir(to.join("yes")).unwrap().count(), 2);
    // A wrong checksum unpacks nothing.
    let other = tmp.path().join("other");
    let bad = "ab".repeat(32);
    let r = run(&[
        "download",
        "--url",
        &url,
        "--sha256",
        &bad,
        "--to",
        &s(&other),
    ]);
    assert!(
        !r.ok && r.stderr.contains("SHA-256") && r.stderr.contains(&bad),
        "{}",
        r.stderr
    );
    assert!(!other.exists());
}

#[test]
fn download_lists_the_official_archives_and_refuses_unknown_ones() {
    let r = run(&["download", "--list"]);
    assert!(r.ok, "{}", r.stderr);
    for name in ["v0.02", "v0.01", "test-v0.02", "download.tensorflow.org"] {
        assert!(r.stdout.contains(name), "{}", r.stdout);
    }
    let r = run(&["download", "v9"]);
    assert!(
        !r.ok && r.stderr.contains("no archive called \"v9\""),
        "{}",
        r.stderr
    );
}
