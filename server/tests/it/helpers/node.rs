//! Independent JavaScript libraries (npm's `jose`, `openid-client`) run by Node
//! from the repository root, where npm installed them.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `script` (an ES module reading JSON on stdin, writing JSON on stdout)
/// with Node from the repository root; its output. Blocking: a script that calls
/// a server of the test runs it from `spawn_blocking`.
pub fn node(script: &str, input: &Value) -> Value {
    // The runner's variable, not `env!`: the build cache is shared between
    // clones at different paths, and a test binary built in another clone keeps
    // that clone's path (which may be gone).
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| env!("CARGO_MANIFEST_DIR").into());
    let root = manifest.parent().unwrap();
    let mut child = Command::new("node")
        .current_dir(root)
        .args(["--input-type=module", "-e", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("Node.js runs the npm packages the browser tests installed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("node printed JSON")
}

/// Runs `script` with npm's `openid-client` imported as `client` and the JSON
/// `input` parsed as `input`, off the runtime's thread (the script calls the
/// server this test runs); what it printed.
pub async fn openid_client(script: &'static str, input: Value) -> Value {
    let program = format!(
        "import * as client from 'openid-client';
const input = JSON.parse(await new Promise((ok) => {{
  let d = ''; process.stdin.on('data', (c) => d += c); process.stdin.on('end', () => ok(d));
}}));
{script}"
    );
    tokio::task::spawn_blocking(move || node(&program, &input))
        .await
        .unwrap()
}
