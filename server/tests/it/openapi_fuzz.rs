//! The REST API's OpenAPI document against the server, by an independent
//! property-based fuzzer (schemathesis, from PyPI): it generates requests from the
//! document — valid ones and, deliberately, invalid ones — sends them to a real
//! server on port 0 with a real `portal` token, and checks every answer against the
//! document: no server error, only documented statuses and content types, bodies
//! that match their schemas, and schema-violating requests refused. A live review
//! found 10 mismatches in 514 cases (a dangling `$ref`, undocumented 400 and 415
//! answers, valid requests refused, `per_page=2^63` accepted); the document must
//! say exactly what the server does.
//!
//! It needs the `schemathesis` command: `./x test` installs it into a Python
//! virtual environment and runs this test in its own step (SCHEMATHESIS names the
//! command). `cargo test` alone skips it (`#[ignore]`).

use std::time::Instant;

use domain::accounts::{AdminCtx, Role};
use domain::clients::{ApplicationType, NewClient};
use serde_json::{json, Value};

use crate::helpers::*;

/// Rows for the operations to find: an API with scopes, clients of every type,
/// and requests of every kind, so listings return real items for the response
/// schemas to be checked against.
async fn fixtures(app: &TestApp, http: &reqwest::Client, token: &str) {
    let ctx = AdminCtx::operator();
    let api = domain::apis::create_resource(
        &app.db,
        &ctx,
        "Reports",
        "https://reports.example.edu",
        START,
    )
    .await
    .unwrap();
    for (name, approval) in [("reports:read", false), ("reports:write", true)] {
        domain::apis::add_scope(&app.db, &ctx, &api.id, name, "Reports", approval, START)
            .await
            .unwrap();
    }
    let post = |path: &str, body: Value| {
        http.post(format!("{}/api/v1{path}", app.base))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let mut ids = Vec::new();
    for body in [
        json!({ "name": "Fixture web", "redirect_uris": ["https://app.example.edu/cb"],
                "contacts": ["ops@example.edu"], "logo_uri": "https://app.example.edu/logo.png" }),
        json!({ "name": "Fixture native", "application_type": "native",
                "redirect_uris": ["edu.example.app:/cb", "http://127.0.0.1/cb"] }),
        json!({ "name": "Fixture service", "application_type": "service" }),
    ] {
        let r: Value = post("/clients", body).await.unwrap().json().await.unwrap();
        ids.push(r["id"].as_str().unwrap().to_owned());
    }
    let web = &ids[0];
    for body in [
        json!({ "client_id": web, "kind": "scopes", "scopes": ["reports:write"], "justification": "dashboards" }),
        json!({ "client_id": web, "kind": "scopes", "scopes": ["reports:read"], "justification": "reading" }),
        json!({ "client_id": web, "kind": "extension", "expires_at": START + 400 * 86_400, "justification": "term" }),
    ] {
        let r = post("/requests", body).await.unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    }
    let r = http
        .put(format!("{}/api/v1/clients/{web}", app.base))
        .bearer_auth(token)
        .json(&json!({ "password_grant": true, "justification": "kiosk" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs schemathesis: `./x test` runs it in its own step"]
async fn the_openapi_document_says_exactly_what_the_server_does() {
    let bin = std::env::var("SCHEMATHESIS")
        .expect("SCHEMATHESIS names the schemathesis command (./x test sets it)");
    let app = spawn_app().await;
    // A developer's own token (the password grant of an operator's client): the
    // fuzzer may delete or disable any client it can see, and the client behind
    // its token is not one of them. Administrators' operations answer 403.
    create_user(&app.db, "fuzz-dev", Role::Developer).await;
    let tool = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Fuzzer".into()),
                grant_types: Some(vec!["password".into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: vec!["portal".into()],
            ..Default::default()
        },
    )
    .await;
    let http = reqwest::Client::new();
    let t: Value = http
        .post(format!("{}/oauth/token", app.base))
        .basic_auth(&tool.id, Some(&tool.secret))
        .form(&[
            ("grant_type", "password"),
            ("username", "fuzz-dev"),
            ("password", ADMIN_PASSWORD),
            ("scope", "portal"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = t["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a token: {t}"))
        .to_owned();
    fixtures(&app, &http, &token).await;

    let examples = std::env::var("FUZZ_EXAMPLES").unwrap_or_else(|_| "30".into());
    let report = app_dir().join("schemathesis-report");
    // Reported, never asserted on: how long the fuzzing step takes.
    #[allow(clippy::disallowed_methods)]
    let started = Instant::now();
    // RFC 9110 §13.2.1: preconditions are evaluated before the request content
    // is processed, so an edit against another version is 412 even when its body
    // is also invalid; on that one operation 412 is a refusal like 400.
    std::fs::create_dir_all(&report).expect("a report directory");
    let config = report.join("schemathesis.toml");
    std::fs::write(
        &config,
        r#"[[operations]]
include-name = "PUT /api/v1/clients/{id}"
checks.negative_data_rejection.expected-statuses = [
  "400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429",
]
"#,
    )
    .expect("write the schemathesis configuration");
    let mut cmd = std::process::Command::new(&bin);
    cmd.args([
        "--no-color",
        "--config-file",
        &config.display().to_string(),
        "run",
        &format!("{}/api/v1/openapi.json", app.base),
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,negative_data_rejection",
        "--header",
        &format!("Authorization: Bearer {token}"),
        "--max-examples",
        &examples,
        "--phases",
        "examples,coverage,fuzzing",
        "--seed",
        "11",
        // One worker: with more, Python 3.11's `ast` can fail inside
        // hypothesis ("AST constructor recursion depth mismatch").
        "--workers",
        "1",
        "--report",
        "junit",
        "--report-dir",
        &report.display().to_string(),
    ]);
    // Its cache and crash files go to the build directory, not the source tree.
    cmd.current_dir(&report);
    // The server runs on this runtime's workers meanwhile.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n{stderr}");
    println!(
        "schemathesis ran {:.1} s ({examples} examples per operation)",
        started.elapsed().as_secs_f64()
    );
    assert!(
        out.status.success(),
        "the fuzzer found mismatches between the document and the server (see above)"
    );
}

/// Where the fuzzer's report goes: the build directory, not the source tree.
fn app_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}
