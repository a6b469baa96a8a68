//! Real server processes (the `portcullis` binary) on one database: for the tests
//! that kill a node or spread one person's requests over several nodes.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

use super::ADMIN_PASSWORD;

pub const NODE_SESSION_SECRET: &str = "node-session-secret-0123456789abcdefghij";
pub const NODE_KEY_ENCRYPTION_KEY: &str = "node-key-encryption-key-0123456789abcdef";

/// A server process; killed (SIGKILL) when dropped.
pub struct Node {
    pub child: Child,
    pub base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The environment every node and CLI process of a test shares.
pub fn node_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PORTCULLIS_DATABASE_URL", url.to_owned()),
        ("PORTCULLIS_SESSION_SECRET", NODE_SESSION_SECRET.to_owned()),
        (
            "PORTCULLIS_KEY_ENCRYPTION_KEY",
            NODE_KEY_ENCRYPTION_KEY.to_owned(),
        ),
        ("PORTCULLIS_ADMIN_PASSWORD", ADMIN_PASSWORD.to_owned()),
        ("PORTCULLIS_LOG__LEVEL", "warn".to_owned()),
        // Caches that would hold a row for ten minutes: only the change feed can
        // explain a node learning promptly of another's change.
        ("PORTCULLIS_CACHE_TTL_MS", "600000".to_owned()),
    ]
}

/// Starts `portcullis serve` on a free port; `issuer` is the address clients use
/// (one load-balanced address for a cluster), or the node's own when `None`.
pub fn start_node(url: &str, dir: &std::path::Path, issuer: Option<&str>) -> Node {
    start_node_with(url, dir, issuer, Stdio::null(), Stdio::inherit())
}

/// As [`start_node`], what it prints and logs (standard output and error) written
/// to `log` to be read back.
pub fn start_node_logging(url: &str, dir: &std::path::Path, log: &std::path::Path) -> Node {
    let file = std::fs::File::create(log).unwrap();
    let out = file.try_clone().unwrap();
    start_node_with(url, dir, None, out.into(), file.into())
}

fn start_node_with(
    url: &str,
    dir: &std::path::Path,
    issuer: Option<&str>,
    stdout: Stdio,
    stderr: Stdio,
) -> Node {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .arg("serve")
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(node_env(url))
        .env("PORTCULLIS_BIND", format!("127.0.0.1:{port}"))
        .env("PORTCULLIS_ISSUER", issuer.unwrap_or(&base))
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .expect("the server binary starts");
    Node { child, base }
}

/// Waits until the node answers `/readyz` (database and keys ready).
pub async fn until_ready(node: &mut Node) {
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{}/readyz", node.base)).await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(
            node.child.try_wait().unwrap().is_none(),
            "the server exited while starting"
        );
        assert!(start.elapsed() < Duration::from_secs(60), "not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Runs the CLI (`portcullis <args>`) on the same database; returns its stdout, or
/// panics with its stderr.
pub async fn cli(url: &str, args: &[&str]) -> String {
    let (url, args): (String, Vec<String>) =
        (url.to_owned(), args.iter().map(|s| s.to_string()).collect());
    let out = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_portcullis"))
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(node_env(&url))
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
