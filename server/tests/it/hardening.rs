//! Findings of the live security review (issue 11) that are about input: every
//! field bounded (N1), any `page` answered (N2), no control, direction-changing or
//! invisible characters and look-alike names flagged (N3), unknown or read-only
//! fields refused (N5), CEL nesting bounded (L9). Black-box over HTTP, as the
//! review found them.

use domain::accounts::Role;
use serde_json::{json, Value};

use crate::helpers::*;

/// Asserts a 400 `invalid_request` naming `field`, with a message containing `says`.
fn refused(r: &Reply, field: &str, says: &str) {
    assert_eq!(r.status, 400, "{}", r.body);
    let v = r.json();
    assert_eq!(v["error"], "invalid_request", "{}", r.body);
    assert_eq!(v["field"], field, "{}", r.body);
    let m = v["message"].as_str().unwrap_or_default();
    assert!(m.contains(says), "message {m:?} should say {says:?}");
}

/// The error a server function answered with, as `(field, message)`.
fn server_fn_error(r: &Reply) -> (String, String) {
    let v = r.json();
    // A form that reports every field at once (`Fields`, issue 13): its first.
    if let Some([field, message]) = v["Fields"]["errors"][0].as_array().map(Vec::as_slice) {
        return (
            field.as_str().unwrap_or_default().to_owned(),
            message.as_str().unwrap_or_default().to_owned(),
        );
    }
    let inv = &v["Invalid"];
    (
        inv["field"].as_str().unwrap_or_default().to_owned(),
        inv["message"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn signed_in(app: &TestApp, name: &str, role: Role) -> Browser {
    if name != "admin" {
        create_user(&app.db, name, role).await;
    }
    let b = app.browser();
    assert!(b.sign_in(name, ADMIN_PASSWORD).await.status < 400);
    b
}

// ------------------------------------------------------------------ N1

/// N1: a developer could store a 1 MB redirect URI (then `/oauth/authorize` emitted
/// a broken response), 10,000 contacts and 20,000 e-mail domains, each copied into
/// an audit event. Every field now has a bound, refused alike by the REST API, the
/// portal's form and the CLI, naming the field and its bound; nothing is stored.
#[tokio::test]
async fn oversized_fields_are_refused_naming_the_field_and_its_bound() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "dana", Role::Developer).await;
    let api = Api::for_user(&app, &dev).await;
    let clients_before = app.count("clients").await;
    let events_before = app.count("audit_events").await;

    let long_uri = format!("https://app.example.edu/{}", "a".repeat(1_000_000));
    let base = json!({ "name": "Big", "redirect_uris": ["https://app.example.edu/cb"] });
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, field, says) in [
        (
            with("redirect_uris", json!([long_uri])),
            "redirect_uris",
            "at most 2000 characters",
        ),
        (
            with(
                "redirect_uris",
                json!((0..21)
                    .map(|i| format!("https://app.example.edu/{i}"))
                    .collect::<Vec<_>>()),
            ),
            "redirect_uris",
            "at most 20 entries",
        ),
        (
            with(
                "contacts",
                json!((0..10_000)
                    .map(|i| format!("c{i}@example.edu"))
                    .collect::<Vec<_>>()),
            ),
            "contacts",
            "at most 10 entries",
        ),
        (
            with(
                "allowed_email_domains",
                json!((0..20_000)
                    .map(|i| format!("d{i}.example.edu"))
                    .collect::<Vec<_>>()),
            ),
            "allowed_email_domains",
            "at most 50 entries",
        ),
        (
            with("name", json!("n".repeat(101))),
            "name",
            "at most 100 characters",
        ),
        (
            with("logo_uri", json!(long_uri)),
            "logo_uri",
            "at most 2000 characters",
        ),
        (
            with("description", json!("d".repeat(2001))),
            "description",
            "at most 2000 characters",
        ),
    ] {
        let r = api.post("/api/v1/clients", body).await;
        refused(&r, field, says);
    }

    // The portal's registration form refuses the same, naming the same field.
    let b = signed_in(&app, "dora", Role::Developer).await;
    let r = b
        .post(
            "/api/portal/create_client",
            &[
                ("name", "Big"),
                ("application_type", "web"),
                ("redirect_uris", long_uri.as_str()),
            ],
        )
        .await;
    assert!(r.location().is_none(), "not registered: {}", r.status);
    let (field, message) = server_fn_error(&r);
    assert_eq!(field, "redirect_uris", "{}", r.body);
    assert!(message.contains("at most 2000 characters"), "{message}");

    // The same bound on an edit, and on a justification.
    let id = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Small", "application_type": "service" }),
        )
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api
        .put(
            &format!("/api/v1/clients/{id}"),
            json!({ "contacts": (0..11).map(|i| format!("c{i}@example.edu")).collect::<Vec<_>>() }),
        )
        .await;
    refused(&r, "contacts", "at most 10 entries");
    let r = api
        .post(
            "/api/v1/requests",
            json!({ "client_id": id, "kind": "scopes", "scopes": ["portal"], "justification": "j".repeat(2001) }),
        )
        .await;
    refused(&r, "justification", "at most 2000 characters");

    assert_eq!(app.count("clients").await, clients_before + 1, "only Small");
    // Nothing oversized reached the audit log either.
    use domain::entities::audit_event;
    use sea_orm::EntityTrait;
    let events = audit_event::Entity::find().all(&app.db).await.unwrap();
    assert!(events.len() as i64 > events_before);
    assert!(
        events.iter().all(|e| e.data.len() < 20_000),
        "an audit event carries an oversized value"
    );
}

/// N1 for the operator: the CLI goes through the same validation.
#[tokio::test]
async fn the_cli_refuses_an_oversized_redirect_uri() {
    let app = spawn_app().await;
    let long_uri = format!("https://app.example.edu/{}", "a".repeat(3000));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"))
        .args([
            "client",
            "add",
            "--name",
            "Big",
            "--type",
            "web",
            "--redirect-uri",
            &long_uri,
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "PORTCULLIS_DATABASE_URL",
            app.settings.database_url.expose(),
        )
        .env(
            "PORTCULLIS_SESSION_SECRET",
            "cli-test-session-secret-0123456789abcdef",
        )
        .env(
            "PORTCULLIS_KEY_ENCRYPTION_KEY",
            app.settings.key_encryption_key.expose(),
        )
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("redirect_uris") && err.contains("at most 2000 characters"),
        "{err}"
    );
    assert_eq!(
        app.count("clients").await,
        0,
        "nothing registered: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ------------------------------------------------------------------ N2

/// N2: a huge `page` made every paginated endpoint panic (500, HTML even on the
/// JSON API). Any page is answered: past the end, an empty page.
#[tokio::test]
async fn a_huge_page_is_an_empty_page_everywhere() {
    let app = spawn_app().await;
    let api = Api::for_user(&app, &app.admin).await;
    let huge = "9223372036854775807";
    for path in ["/api/v1/clients", "/api/v1/requests"] {
        let r = api.get(&format!("{path}?page={huge}&all=true")).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.json()["items"], json!([]), "{path}");
        let r = api.get(&format!("{path}?page={huge}&per_page=1")).await;
        assert_eq!(r.status, 200, "{path}: {}", r.body);
    }
    // Outside what the document allows: refused, naming the parameter.
    for (q, field) in [
        ("per_page=9223372036854775808", "per_page"),
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=9223372036854775808", "page"),
    ] {
        let r = api.get(&format!("/api/v1/clients?{q}")).await;
        assert_eq!(r.status, 400, "{q}: {}", r.body);
        assert_eq!(r.json()["field"], field, "{q}: {}", r.body);
    }

    // The portal's listings: server functions and the pages that call them.
    let b = signed_in(&app, "admin", Role::Admin).await;
    let max = u64::MAX.to_string();
    for path in [
        "/api/portal/clients?all=true&page=",
        "/api/portal/requests?status=pending&page=",
        "/api/portal/requests?mine=true&page=",
        "/api/portal/notifications?page=",
        "/api/admin/users?page=",
        "/api/admin/audit?page=",
        "/api/admin/outbox?page=",
    ] {
        for page in [huge, max.as_str()] {
            let r = b.get(&format!("{path}{page}")).await;
            assert_eq!(r.status, 200, "{path}{page}: {}", r.body);
        }
    }
    for path in [
        "/developer?page=",
        "/admin/clients?page=",
        "/admin/requests?page=",
        "/admin/users?page=",
        "/admin/audit?page=",
        "/admin/outbox?page=",
        "/developer/requests?page=",
    ] {
        let r = b.get_html(&format!("{path}{max}")).await;
        assert_eq!(r.status, 200, "{path}: {}", r.status);
        assert!(!r.body.contains("panicked"), "{path}");
    }
}

// ------------------------------------------------------------------ N3

/// N3: client names accepted NUL, right-to-left override and zero-width
/// characters; on PostgreSQL a NUL anywhere was a 500. Each is refused with a 400
/// naming the field — in bodies, query parameters and paths, on every surface.
#[tokio::test]
async fn control_direction_and_invisible_characters_are_refused_everywhere() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "dana", Role::Developer).await;
    let api = Api::for_user(&app, &dev).await;
    let clients_before = app.count("clients").await;

    for (name, says) in [
        ("Pay\u{0}Pal", "NUL"),
        ("Invoice \u{202E}fdp.exe", "U+202E"),
        ("Pay\u{200B}Pal", "U+200B"),
        ("Bell\u{7}", "control character"),
    ] {
        let r = api
            .post(
                "/api/v1/clients",
                json!({ "name": name, "application_type": "service" }),
            )
            .await;
        refused(&r, "name", says);
    }
    let r = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Ok", "application_type": "service", "description": "a\u{2066}b" }),
        )
        .await;
    refused(&r, "description", "U+2066");
    assert_eq!(app.count("clients").await, clients_before);

    // Query parameters and path segments, on the REST API.
    let r = api.get("/api/v1/clients?q=%00").await;
    refused(&r, "q", "NUL");
    let r = api.get("/api/v1/requests?client_id=a%E2%80%AEb").await;
    refused(&r, "client_id", "U+202E");
    let r = api.get("/api/v1/clients/abc%00def").await;
    refused(&r, "path", "NUL");
    // A NUL inside a JSON body that is only looked up: never a server error.
    let r = api
        .post(
            "/api/v1/requests",
            json!({ "client_id": "a\u{0}b", "kind": "scopes", "scopes": ["x\u{0}"], "justification": "why" }),
        )
        .await;
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);

    // The portal: a search box, a client id in a URL, a form field.
    let b = signed_in(&app, "admin", Role::Admin).await;
    for path in [
        "/api/portal/clients?search=%00",
        "/api/portal/client?id=%00",
        "/api/admin/users?search=x%00",
        "/api/admin/audit?client=%00",
        "/developer?search=%00",
        "/developer/clients/%00",
        "/admin/audit/export.csv?actor=%00",
        "/oauth/authorize?response_type=code&client_id=%00",
    ] {
        let r = b.get(path).await;
        assert_eq!(r.status, 400, "{path}: {}", r.body);
        assert!(r.body.contains("NUL"), "{path}: {}", r.body);
    }
    let r = b.sign_in("ad\u{0}min", ADMIN_PASSWORD).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // A form field that is stored: refused with a message in the form.
    let r = b
        .post(
            "/api/admin/create_user",
            &[
                ("username", "eve"),
                ("email", "eve@example.edu"),
                ("display_name", "Eve \u{202E}nimda"),
                ("password", "a long enough password"),
                ("role", "user"),
            ],
        )
        .await;
    let (field, message) = server_fn_error(&r);
    assert_eq!(field, "display_name", "{}", r.body);
    assert!(message.contains("U+202E"), "{message}");
    assert!(domain::accounts::find_by_username(&app.db, "eve")
        .await
        .unwrap()
        .is_none());
}

/// N3: look-alike names are shown on consent screens, so administrators see them
/// flagged — mixed scripts, or confusable with another client's name (Unicode
/// TS #39 skeletons) — on the client list and in the approval queue.
#[tokio::test]
async fn look_alike_client_names_are_flagged_for_administrators() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "mallory", Role::Developer).await;
    let api = Api::for_user(&app, &dev).await;
    let real = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Paypal", "application_type": "service" }),
        )
        .await
        .json();
    // Cyrillic Р, а, у, а, р, а and a Latin l.
    let fake = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Раураl", "application_type": "service" }),
        )
        .await;
    assert_eq!(
        fake.status, 201,
        "look-alikes are not refused: {}",
        fake.body
    );
    let fake = fake.json();
    let fake_id = fake["id"].as_str().unwrap();
    let plain = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Grading bot", "application_type": "service" }),
        )
        .await
        .json();

    let adm = signed_in(&app, "admin", Role::Admin).await;
    let list = adm.get("/api/portal/clients?all=true").await.json();
    let warnings = |id: &str| -> Vec<String> {
        list["clients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["name_warnings"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|w| w.as_str().unwrap().to_owned())
            .collect()
    };
    let w = warnings(fake_id);
    assert!(w.iter().any(|w| w.contains("mixes scripts")), "{w:?}");
    assert!(
        w.iter()
            .any(|w| w.contains("Paypal") && w.contains(real["id"].as_str().unwrap())),
        "{w:?}"
    );
    assert!(!warnings(real["id"].as_str().unwrap()).is_empty());
    assert!(warnings(plain["id"].as_str().unwrap()).is_empty());

    // The approval queue shows the same next to the client's name.
    let why = "integration with the finance office";
    let r = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Раураl web", "redirect_uris": ["https://pay.example/cb"] }),
        )
        .await
        .json();
    let web_id = r["id"].as_str().unwrap().to_owned();
    let ctx = domain::accounts::AdminCtx::operator();
    let api_res = domain::apis::create_resource(
        &app.db,
        &ctx,
        "Payroll",
        "https://payroll.example.edu",
        START,
    )
    .await
    .unwrap();
    domain::apis::add_scope(
        &app.db,
        &ctx,
        &api_res.id,
        "payroll:read",
        "Read payroll",
        true,
        START,
    )
    .await
    .unwrap();
    let r = api
        .post(
            "/api/v1/requests",
            json!({ "client_id": web_id, "kind": "scopes", "scopes": ["payroll:read"], "justification": why }),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let queue = adm.get("/api/portal/requests?status=pending").await.json();
    let item = queue["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["client_id"] == web_id.as_str())
        .cloned()
        .expect("the request is queued");
    let w = item["name_warnings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        w.iter()
            .any(|w| w.as_str().unwrap().contains("mixes scripts")),
        "{item}"
    );
    // Developers are not shown other people's client names.
    let dev_b = signed_in(&app, "dora", Role::Developer).await;
    let mine = dev_b.get("/api/portal/clients").await.json();
    assert_eq!(mine["clients"], json!([]));
}

// ------------------------------------------------------------------ N5

/// N5: `PUT /api/v1/clients/{id}` silently ignored unknown and read-only fields
/// (`id`, `client_secret`, fields Portcullis does not have…). They are refused, naming the field,
/// like `POST /api/v1/requests` does; a client sent back as GET returned it
/// still works.
#[tokio::test]
async fn an_edit_refuses_unknown_and_read_only_fields() {
    let app = spawn_app().await;
    let dev = create_user(&app.db, "dana", Role::Developer).await;
    let api = Api::for_user(&app, &dev).await;
    let created = api
        .post(
            "/api/v1/clients",
            json!({ "name": "Edit me", "redirect_uris": ["https://app.example.edu/cb"] }),
        )
        .await
        .json();
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/clients/{id}");
    for (body, field) in [
        (json!({ "client_secret": "mine-now" }), "client_secret"),
        (
            json!({ "id_token_encrypted_response_alg": "RSA-OAEP-256" }),
            "id_token_encrypted_response_alg",
        ),
        (json!({ "name": "x", "nmae": "typo" }), "nmae"),
        (json!({ "id": "another-client" }), "id"),
        (json!({ "owner_id": "someone-else" }), "owner_id"),
        (json!({ "created_at": 1 }), "created_at"),
    ] {
        let r = api.put(&path, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.json()["field"], field, "{body}: {}", r.body);
    }
    let after = api.get(&path).await.json();
    assert_eq!(after["name"], "Edit me", "nothing changed");

    // What GET returns may be sent back with a change.
    let mut round = after.clone();
    round["name"] = json!("Edited");
    let r = api.put(&path, round).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["name"], "Edited");

    // Every other JSON body refuses unknown fields the same way.
    for (p, body) in [
        (
            "/api/v1/clients".to_owned(),
            json!({ "name": "n", "client_secret": "s" }),
        ),
        (
            format!("{path}/rotate-secret"),
            json!({ "overlap": "1h", "x": 1 }),
        ),
        (format!("{path}/disable"), json!({ "because": "x" })),
    ] {
        let r = api.post(&p, body.clone()).await;
        assert_eq!(r.status, 400, "{p} {body}: {}", r.body);
    }
}

// ------------------------------------------------------------------ L9

/// L9: a 600-deep CEL expression sent to the rule tester overflowed the stack and
/// killed the process. Nesting is bounded before compiling, for the tester and
/// for saving; the server keeps answering.
#[tokio::test]
async fn a_deeply_nested_rule_is_refused_and_the_server_lives_on() {
    let app = spawn_app().await;
    let ctx = domain::accounts::AdminCtx::operator();
    let r = domain::apis::create_resource(
        &app.db,
        &ctx,
        "Payroll",
        "https://payroll.example.edu",
        START,
    )
    .await
    .unwrap();
    domain::apis::add_scope(&app.db, &ctx, &r.id, "payroll:read", "Read", true, START)
        .await
        .unwrap();
    let adm = signed_in(&app, "admin", Role::Admin).await;
    let deep = format!("{}true{}", "(".repeat(600), ")".repeat(600));
    for endpoint in ["/api/admin/test_rule", "/api/admin/save_rule"] {
        let r = adm
            .post(
                endpoint,
                &[("scope", "payroll:read"), ("approve_if", deep.as_str())],
            )
            .await;
        let (field, message) = server_fn_error(&r);
        assert_eq!(field, "approve_if", "{endpoint}: {}", r.body);
        assert!(message.contains("nests too deeply"), "{message}");
    }
    let r = adm
        .post(
            "/api/admin/test_rule",
            &[("scope", "payroll:read"), ("approve_if", "true")],
        )
        .await;
    assert_eq!(r.status, 200, "still serving: {}", r.body);
    assert_eq!(app.count("approval_rules").await, 0);
}
