//! Servers that answer slowly, drip bytes or send too much cannot keep a command running or
//! fill its memory: every request has a deadline, the command has one, and answers are capped.
//! The servers here are plain sockets on 127.0.0.1 that misbehave on purpose.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Output;
use std::time::{Duration, Instant};

use common::{bin, write};

/// How a fake server answers every request.
#[derive(Clone, Copy)]
enum Misbehaviour {
    /// The status line, then one byte of a header every 100 ms, never finishing.
    DripHeaders,
    /// A complete head promising a body, then one body byte every 100 ms.
    DripBody,
    /// `Content-Length` of 40 MiB (the body is never sent).
    DeclaresHugeBody,
    /// A chunked body that goes on past 33 MiB, sent as fast as the client reads.
    StreamsHugeBody,
    /// `202` with an upload id that is a path and a query, not an id.
    HostileUploadId,
}

/// A server on 127.0.0.1 that answers every connection with `how`; its base URL.
fn serve(how: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream, how));
        }
    });
    format!("http://{address}")
}

fn answer(mut stream: TcpStream, how: Misbehaviour) {
    // Read the request head (the bodies sent here are small enough to arrive with it).
    let mut head = Vec::new();
    let mut buf = [0u8; 65536];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let give_up = Instant::now() + Duration::from_secs(120);
    let drip = |stream: &mut TcpStream, prefix: &[u8], byte: &[u8]| {
        if stream.write_all(prefix).is_err() {
            return;
        }
        while Instant::now() < give_up {
            std::thread::sleep(Duration::from_millis(100));
            if stream.write_all(byte).and_then(|_| stream.flush()).is_err() {
                return;
            }
        }
    };
    match how {
        Misbehaviour::DripHeaders => drip(&mut stream, b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"),
        Misbehaviour::DripBody => drip(
            &mut stream,
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n",
            b" ",
        ),
        Misbehaviour::DeclaresHugeBody => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 41943040\r\n\r\n",
            );
            std::thread::sleep(Duration::from_secs(5));
        }
        Misbehaviour::StreamsHugeBody => {
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n",
            );
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..34 {
                let mut frame = format!("{:x}\r\n", chunk.len()).into_bytes();
                frame.extend_from_slice(&chunk);
                frame.extend_from_slice(b"\r\n");
                if stream.write_all(&frame).is_err() {
                    return;
                }
            }
            let _ = stream.write_all(b"0\r\n\r\n");
        }
        Misbehaviour::HostileUploadId => {
            let body = r#"{"id":"../../../user/keys?x=1","url":"x"}"#;
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .as_bytes(),
            );
        }
    }
}

const TOKEN: &str = "ghs_NetworkLimitsFakeToken00000000000042";

/// `portcullis upload` of a small SARIF file to `api`, with `extra` arguments.
fn upload(api: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "portcullis.sarif",
        r#"{"version":"2.1.0","runs":[]}"#,
    );
    let out = bin()
        .current_dir(dir.path())
        .env_clear()
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_API_URL", api)
        .env("GITHUB_TOKEN", TOKEN)
        .args(["upload", "--no-wait"])
        .args(extra)
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!all.contains(TOKEN), "token printed: {all}");
    out
}

/// `portcullis fix --pin --dry-run` of `FROM alpine:3.20`, asking `registry` for the digest.
fn pin_image(registry: &str, extra: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "Dockerfile", "FROM alpine:3.20\n");
    bin()
        .current_dir(dir.path())
        .env_clear()
        .args(["fix", "--pin", "--dry-run", "--registry-mirror", registry])
        .args(extra)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_server_that_drips_its_answer_is_cut_off_at_the_request_timeout() {
    for how in [Misbehaviour::DripHeaders, Misbehaviour::DripBody] {
        let api = serve(how);
        let out = upload(&api, &["--request-timeout", "1"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("no complete answer within 1 s"), "{err}");
    }
    let registry = serve(Misbehaviour::DripHeaders);
    let out = pin_image(&registry, &["--request-timeout", "1"]);
    let err = stderr(&out);
    assert!(
        err.contains("alpine:3.20") && err.contains("no complete answer within 1 s"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "nothing pinned");
}

#[test]
fn the_command_deadline_bounds_every_request_together() {
    let api = serve(Misbehaviour::DripBody);
    // A request may take 30 s, but the command only has 1 s.
    let out = upload(&api, &["--request-timeout", "30", "--timeout", "1"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("the command's time for network requests is used up (raise --timeout)"),
        "{err}"
    );
    let out = upload(&api, &["--timeout", "0"]);
    assert!(stderr(&out).contains("time for network requests is used up"));
}

#[test]
fn answers_larger_than_the_cap_are_not_read() {
    for how in [
        Misbehaviour::DeclaresHugeBody,
        Misbehaviour::StreamsHugeBody,
    ] {
        let api = serve(how);
        let out = upload(&api, &[]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(err.contains("larger than 32 MiB"), "{err}");
    }
    // A registry that sends no digest header has its manifest read, within the same cap.
    let registry = serve(Misbehaviour::DeclaresHugeBody);
    let out = pin_image(&registry, &[]);
    let err = stderr(&out);
    assert!(err.contains("larger than 32 MiB"), "{err}");
}

#[test]
fn an_upload_id_that_is_not_an_id_never_goes_into_a_url() {
    let api = serve(Misbehaviour::HostileUploadId);
    let out = upload(&api, &[]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("its id is not one"), "{err}");
    assert!(!err.contains("user/keys"), "{err}");
}

/// A listener on 127.0.0.1 that counts connections (and closes them); its `host:port`.
fn counting_listener() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counted.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (address, count)
}

fn scan_online(dir: &std::path::Path, extra: &[&str]) -> Output {
    bin()
        .current_dir(dir)
        .env_clear()
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .args([
            "scan",
            "--online",
            "--format",
            "json",
            "--request-timeout",
            "5",
        ])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn online_checks_ask_only_public_registries_and_those_the_configuration_names() {
    use std::sync::atomic::Ordering;
    let (registry, connections) = counting_listener();
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "Dockerfile",
        &format!("FROM {registry}/team/app:1.2\n"),
    );

    // A scanned file names the server: it is not contacted.
    let out = scan_online(dir.path(), &[]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(connections.load(Ordering::SeqCst), 0, "{report}");
    assert!(
        report.contains(&format!(
            "`{registry}` is not a public registry Portcullis knows, so it was not asked"
        )),
        "{report}"
    );

    // The repository's configuration names it: it is asked.
    write(
        dir.path(),
        "portcullis.toml",
        &format!("[online]\nregistries = [\"{registry}\"]\n"),
    );
    let out = scan_online(dir.path(), &[]);
    assert!(
        connections.load(Ordering::SeqCst) > 0,
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Under a policy, only the policy names registries.
    let before = connections.load(Ordering::SeqCst);
    write(dir.path(), "policy.toml", "fail-on = \"error\"\n");
    let out = scan_online(dir.path(), &["--policy", "policy.toml"]);
    assert_eq!(connections.load(Ordering::SeqCst), before);
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`[online] registries` is not applied under a policy"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
