//! Wrong endpoints, missing buckets, bad credentials, unknown host keys and untrusted TLS
//! certificates: a clear error naming the location, a documented exit code, no secret in
//! any output, and nothing damaged.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Scratch, FAST_KDF};

use super::Server;

#[test]
fn an_unreachable_endpoint_is_named_and_does_not_hang() {
    let s = Scratch::new();
    let pv = Server::S3
        .pvault(&s, "s3:http://127.0.0.1:9/nothing-listens-here")
        .with_env("AWS_ACCESS_KEY_ID", "AKID")
        .with_env("AWS_SECRET_ACCESS_KEY", "SECRET-MARKER-1");
    let out = pv.run_within(Duration::from_secs(60), ["-o", "retries=1", "snapshots"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("s3:http://127.0.0.1:9/nothing-listens-here"),
        "{out}"
    );
    assert!(!format!("{out}").contains("SECRET-MARKER"), "{out}");
}

#[test]
fn a_missing_bucket_is_no_repository() {
    let Some(base) = Server::S3.base() else {
        return;
    };
    let (endpoint, _bucket) = base.rsplit_once('/').unwrap();
    let missing = Server::S3.fresh_location("no-such-bucket").unwrap();
    let bucket = missing.rsplit_once('/').unwrap().1;
    let location = format!("{endpoint}/{bucket}");
    let s = Scratch::new();
    let out = Server::S3
        .pvault(&s, &location)
        .run(["-o", "retries=1", "snapshots"]);
    assert_eq!(out.code, 10, "{out}");
    assert!(out.stderr.contains(&location), "{out}");
}

#[test]
fn bad_s3_credentials_are_refused_without_showing_the_secret() {
    let Some(location) = Server::S3.fresh_location("bad-credentials") else {
        return;
    };
    let s = Scratch::new();
    let good = Server::S3.pvault(&s, &location);
    good.run(["init"].into_iter().chain(FAST_KDF)).success();
    let bad = good
        .with_env("AWS_SECRET_ACCESS_KEY", "SECRET-MARKER-2")
        .with_env("AWS_ACCESS_KEY_ID", "AKWRONG");
    for args in [vec!["snapshots"], vec!["--json", "snapshots"]] {
        let out = bad.run(["-o", "retries=1"].into_iter().chain(args));
        assert_ne!(out.code, 0, "{out}");
        assert!(
            out.stderr.contains(&location) || out.stdout.contains(&location),
            "{out}"
        );
        assert!(!format!("{out}").contains("SECRET-MARKER"), "{out}");
    }
    good.run(["check"]).success();
}

#[test]
fn an_unknown_host_key_is_refused_and_named() {
    let Some(base) = Server::Sftp.base() else {
        return;
    };
    // The test servers' known_hosts names the server as 127.0.0.1; as localhost it is
    // unknown, and a strict check refuses it.
    let location = base.replacen("127.0.0.1", "localhost", 1) + "/unknown-host";
    let s = Scratch::new();
    let out = Server::Sftp
        .pvault(&s, &location)
        .run_within(Duration::from_secs(60), ["-o", "retries=0", "init"]);
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("localhost"), "{out}");
}

/// `openssl s_server` on a loopback port with a self-signed certificate; stopped on drop.
struct TlsServer {
    port: u16,
    child: Child,
}

impl TlsServer {
    fn start(s: &Scratch) -> Option<TlsServer> {
        let (key, cert) = (s.path("tls-key.pem"), s.path("tls-cert.pem"));
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ed25519", "-nodes", "-days", "1"])
            .args(["-subj", "/CN=127.0.0.1", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !made {
            eprintln!("\n*** SKIPPED: no openssl to make a TLS server with ***\n");
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        let server = TlsServer { port, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "openssl s_server did not come up"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Some(server)
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_untrusted_tls_certificate_is_refused_and_named() {
    let s = Scratch::new();
    let Some(server) = TlsServer::start(&s) else {
        return;
    };
    let location = format!("s3:https://127.0.0.1:{}/bucket", server.port);
    let out = Server::S3
        .pvault(&s, &location)
        .with_env("AWS_ACCESS_KEY_ID", "AKID")
        .with_env("AWS_SECRET_ACCESS_KEY", "SECRET-MARKER-3")
        .run_within(Duration::from_secs(60), ["-o", "retries=0", "snapshots"]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains(&location), "{out}");
    // The handshake ran (rustls read and judged the certificate) and the advice fits.
    assert!(out.stderr.contains("invalid peer certificate"), "{out}");
    assert!(
        out.stderr.contains("TLS certificate is not trusted"),
        "{out}"
    );
    assert!(!out.stderr.contains("stopped answering"), "{out}");
    assert!(!format!("{out}").contains("SECRET-MARKER"), "{out}");
}

#[test]
fn a_server_that_fails_mid_backup_damages_nothing_and_a_later_backup_completes() {
    use std::sync::Arc;

    use photovault_core::backend::{Backend, CrashAfter, RetryPolicy};
    use photovault_core::{
        BackupOptions, CheckOptions, InitOptions, KdfParams, OpenOptions, Repository,
    };

    let Some(location) = Server::S3.fresh_location("dies") else {
        return;
    };
    let s = Scratch::new();
    let photos = s.path("photos");
    crate::support::copy_tree(crate::support::corpus(), &photos);
    let open = OpenOptions::default().cache_dir(s.path("cache"));
    let store = Server::S3.open(&location, RetryPolicy::immediate(2));
    let init = InitOptions::default()
        .kdf(KdfParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .open_options(open.clone());
    Repository::init(store.clone(), b"pw", &init).unwrap();
    // The store stops taking writes after a few packs, as a server that died would.
    let dying: Arc<dyn Backend> = Arc::new(CrashAfter::new(store.clone(), 4));
    let repo = Repository::open(dying, b"pw", &open)
        .unwrap()
        .to_indexed()
        .unwrap();
    assert!(repo
        .backup(
            std::slice::from_ref(&photos),
            &BackupOptions::default(),
            &()
        )
        .is_err());
    let repo = Repository::open(store, b"pw", &open)
        .unwrap()
        .to_indexed()
        .unwrap();
    repo.unlock(photovault_core::Unlock::All).ok();
    let check = repo
        .check(
            &CheckOptions::default().read_data(photovault_core::ReadData::All),
            &(),
        )
        .unwrap();
    assert!(check.is_ok(), "{check:?}");
    repo.backup(
        std::slice::from_ref(&photos),
        &BackupOptions::default(),
        &(),
    )
    .expect("a later backup completes");
    let check = repo
        .check(
            &CheckOptions::default().read_data(photovault_core::ReadData::All),
            &(),
        )
        .unwrap();
    assert!(check.is_ok(), "{check:?}");
}
