//! The `portcullis` binary: every error is one line on stderr and a non-zero exit.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const SECRETS: [(&str, &str); 2] = [
    (
        "PORTCULLIS_SESSION_SECRET",
        "cli-test-session-secret-0123456789abcdef",
    ),
    (
        "PORTCULLIS_KEY_ENCRYPTION_KEY",
        "cli-test-key-encryption-key-0123456789ab",
    ),
];

fn portcullis(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_portcullis"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run portcullis");
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            input.write_all(s.as_bytes()).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_one_line_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err:?}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains(needle), "{err:?} does not mention {needle:?}");
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

fn with_db<'a>(url: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = SECRETS.to_vec();
    v.push(("PORTCULLIS_DATABASE_URL", url));
    v.extend_from_slice(extra);
    v
}

#[test]
fn an_unreachable_database_is_one_line_and_a_failure() {
    let o = portcullis(
        &["migrate"],
        &with_db("postgres://nobody:secretpw@127.0.0.1:1/none", &[]),
        None,
    );
    assert_one_line_error(
        &o,
        "cannot open the database postgres://nobody:***@127.0.0.1:1/none",
    );
    assert!(
        !stderr(&o).contains("secretpw"),
        "the password is never printed"
    );
}

#[test]
fn an_unwritable_database_path_is_one_line_and_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let url = format!("sqlite://{}/sub/portcullis.db", file.display());
    let o = portcullis(&["migrate"], &with_db(&url, &[]), None);
    assert_one_line_error(&o, "cannot open the database");
}

#[test]
fn an_unknown_setting_is_named() {
    let o = portcullis(
        &["migrate"],
        &with_db("sqlite::memory:", &[("PORTCULLIS_SESION_SECRET", "typo")]),
        None,
    );
    assert_one_line_error(&o, "unknown setting `sesion_secret`");
}

#[test]
fn a_bad_database_url_and_missing_secrets_are_explained() {
    let o = portcullis(&["migrate"], &with_db("mysql://db/x", &[]), None);
    assert_one_line_error(&o, "database_url must start with sqlite:// or postgres://");
    let o = portcullis(
        &["migrate"],
        &[("PORTCULLIS_DATABASE_URL", "sqlite::memory:")],
        None,
    );
    assert_one_line_error(&o, "session_secret must be set");
}

#[test]
fn a_missing_settings_file_and_bad_arguments_are_one_line() {
    let o = portcullis(&["--config", "/nonexistent/p.toml", "migrate"], &[], None);
    assert_one_line_error(&o, "settings file /nonexistent/p.toml does not exist");
    let o = portcullis(&["user", "frobnicate"], &[], None);
    assert_one_line_error(&o, "unrecognized subcommand");
}

#[test]
fn users_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let env = with_db(&url, &[]);
    let o = portcullis(&["migrate"], &env, None);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = portcullis(
        &[
            "user",
            "add",
            "--username",
            "ada",
            "--email",
            "ada@example.edu",
            "--role",
            "developer",
        ],
        &env,
        Some("a long password\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("created ada") && !out.contains("generated password"),
        "{out}"
    );

    let o = portcullis(
        &[
            "user",
            "add",
            "--username",
            "ada",
            "--email",
            "other@example.edu",
        ],
        &env,
        Some("a long password\n"),
    );
    assert_one_line_error(&o, "the username 'ada' is already taken");

    let o = portcullis(&["user", "set-role", "ada", "admin"], &env, None);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = portcullis(&["user", "set-role", "ada", "emperor"], &env, None);
    assert_one_line_error(&o, "unknown role 'emperor'");
    let o = portcullis(&["user", "set-role", "nobody", "admin"], &env, None);
    assert_one_line_error(&o, "no such user");

    let o = portcullis(&["user", "set-password", "ada"], &env, Some("short\n"));
    assert_one_line_error(&o, "password: must be at least 10 characters long");
    // Issue 15: a guessable password is refused wherever it is set, saying why.
    let o = portcullis(
        &["user", "set-password", "ada"],
        &env,
        Some("password1234\n"),
    );
    assert_one_line_error(
        &o,
        "password: is too easy to guess: this is a very common password",
    );
    let o = portcullis(
        &[
            "user",
            "add",
            "--username",
            "bea",
            "--email",
            "bea@example.edu",
        ],
        &env,
        Some("bea@example.edu\n"),
    );
    assert_one_line_error(&o, "password: is too easy to guess");
    let o = portcullis(&["user", "set-password", "ada"], &env, Some(""));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("generated password: "),
        "empty input generates one"
    );

    let o = portcullis(&["user", "list"], &env, None);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with("ada ") && l.contains("admin") && l.contains("active")),
        "{out}"
    );
}

#[test]
fn a_busy_port_is_one_line_and_creates_no_administrator() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/serve.db", dir.path().display());
    let o = portcullis(
        &["serve"],
        &with_db(
            &url,
            &[
                ("PORTCULLIS_BIND", &addr),
                ("PORTCULLIS_LOG__LEVEL", "error"),
            ],
        ),
        None,
    );
    assert_one_line_error(&o, &format!("cannot listen on {addr}"));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("generated password"));
    let o = portcullis(&["user", "list"], &with_db(&url, &[]), None);
    assert!(
        !String::from_utf8_lossy(&o.stdout).contains("admin"),
        "no administrator was created"
    );
}

#[test]
fn client_metadata_documents_are_set_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let env = with_db(&url, &[]);
    assert!(portcullis(&["migrate"], &env, None).status.success());
    let run = |args: &[&str]| {
        let mut all = vec!["registration"];
        all.extend_from_slice(args);
        let o = portcullis(&all, &env, None);
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(run(&["documents"]).contains("client ID metadata documents: off"));
    run(&["documents", "on"]);
    run(&["trust-host", "Agent.Example.com"]);
    run(&["trust-host", "agent.example.com"]);
    let out = run(&["protect-name", "Claude", "claude.ai"]);
    assert!(out.contains("client ID metadata documents: on"), "{out}");
    assert!(out.contains("trusted hosts: agent.example.com\n"), "{out}");
    assert!(out.contains("protected name: Claude\tclaude.ai"), "{out}");
    let out = run(&["untrust-host", "agent.example.com"]);
    assert!(out.contains("trusted hosts: \n"), "{out}");
    let o = portcullis(
        &["registration", "trust-host", "https://agent.example.com"],
        &env,
        None,
    );
    assert_one_line_error(&o, "not a host name");
}

/// Several operators (or deploy scripts) adding the same API and scope at once:
/// one creates each, every other is told it already exists — never an internal
/// error (the check before the insert is raced; the unique index decides).
#[test]
fn the_same_api_and_scope_added_at_once_exist_once_and_the_others_are_told() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let env = with_db(&url, &[]);
    assert!(portcullis(&["migrate"], &env, None).status.success());
    let audience = "https://plans.example.edu";
    for args in [
        vec!["api", "add", "--name", "Plans", "--audience", audience],
        vec![
            "api",
            "add-scope",
            "--api",
            audience,
            "--name",
            "plans:read",
            "--description",
            "See your plans",
        ],
    ] {
        let outs: Vec<Output> = std::thread::scope(|s| {
            let runs: Vec<_> = (0..6)
                .map(|_| s.spawn(|| portcullis(&args, &env, None)))
                .collect();
            runs.into_iter().map(|r| r.join().unwrap()).collect()
        });
        let made = outs.iter().filter(|o| o.status.success()).count();
        assert_eq!(made, 1, "{:?}", outs.iter().map(stderr).collect::<Vec<_>>());
        for o in outs.iter().filter(|o| !o.status.success()) {
            assert_one_line_error(o, "already exists");
        }
    }
}

#[tokio::test]
async fn a_lost_second_factor_is_reset_from_the_command_line() {
    use domain::entities::totp_factor as tf;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let env = with_db(&url, &[]);
    let o = portcullis(
        &[
            "user",
            "add",
            "--username",
            "ada",
            "--email",
            "ada@example.edu",
            "--role",
            "admin",
        ],
        &env,
        Some("a long passphrase for ada\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = portcullis(&["user", "reset-second-factor", "ada"], &env, None);
    assert_one_line_error(&o, "ada has no two-step sign-in to reset");
    let o = portcullis(&["user", "reset-second-factor", "nobody"], &env, None);
    assert_one_line_error(&o, "no such user");

    // Ada's authenticator app, as enrolment leaves it.
    let db = domain::platform::db::connect(&url).await.unwrap();
    let ada = domain::accounts::find_by_username(&db, "ada")
        .await
        .unwrap()
        .unwrap();
    tf::ActiveModel {
        user_id: Set(ada.id.clone()),
        secret_sealed: Set("sealed".into()),
        confirmed_at: Set(Some(1)),
        last_step: Set(-1),
        created_at: Set(1),
    }
    .insert(&db)
    .await
    .unwrap();
    let o = portcullis(&["user", "reset-second-factor", "ada"], &env, None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("two-step sign-in of ada was reset"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(tf::Entity::find_by_id(ada.id)
        .one(&db)
        .await
        .unwrap()
        .is_none());
}

/// `client add --id-token-signed-response-alg`: ES256 is registered as asked; a
/// name outside the two is one line and registers nothing.
#[tokio::test]
async fn a_client_added_from_the_command_line_may_sign_its_id_tokens_es256() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/cli.db", dir.path().display());
    let env = with_db(&url, &[]);
    let add = |alg: &str| {
        portcullis(
            &[
                "client",
                "add",
                "--name",
                "Quick app",
                "--redirect-uri",
                "https://app.example.edu/cb",
                "--id-token-signed-response-alg",
                alg,
            ],
            &env,
            None,
        )
    };
    let o = add("HS256");
    assert_one_line_error(&o, "--id-token-signed-response-alg: must be RS256 or ES256");
    let o = add("ES256");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let id = out
        .lines()
        .find_map(|l| l.strip_prefix("client_id: "))
        .unwrap_or_else(|| panic!("{out}"));

    let db = domain::platform::db::connect(&url).await.unwrap();
    let client = domain::clients::find(&db, id).await.unwrap().unwrap();
    assert_eq!(
        client.metadata.id_token_signed_response_alg,
        domain::clients::SigningAlg::ES256
    );
    use sea_orm::{EntityTrait, PaginatorTrait};
    let count = domain::entities::client::Entity::find()
        .count(&db)
        .await
        .unwrap();
    assert_eq!(count, 1, "the refused one registered nothing");
}
