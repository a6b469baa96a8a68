//! Crash safety (issue 14, part 5): the real server binary, under token and portal
//! load, killed with SIGKILL (or stopped with SIGTERM, which must drain and exit 0). Every token whose response arrived has its audit event,
//! every client whose creation was acknowledged exists with its audit event, the
//! audit chain verifies, and the server starts again on the same database.

use std::collections::HashSet;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::accounts::Role;
use domain::audit::{Actor, Verification};
use domain::clients::{ApplicationType, ClientPatch, NewClient};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::helpers::*;

/// Load runs this long before the kill.
const LOAD: Duration = Duration::from_millis(1500);
const TOKEN_WORKERS: usize = 8;
const PORTAL_WORKERS: usize = 2;

/// How the node is stopped.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Stop {
    /// SIGKILL: no shutdown hook runs, no buffer is flushed.
    Kill,
    /// SIGTERM: the server drains what it accepted and flushes the audit writer.
    Term,
}

/// 5xx answers seen by the load (there must be none, crash or not).
static SERVER_ERRORS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn count_5xx(status: reqwest::StatusCode) {
    if status.is_server_error() {
        SERVER_ERRORS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

async fn token(
    http: &reqwest::Client,
    base: &str,
    c: &Creds,
    scope: Option<&str>,
) -> Option<Value> {
    let mut form = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let r = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&c.id, Some(&c.secret))
        .form(&form)
        .send()
        .await
        .ok()?;
    count_5xx(r.status());
    if r.status() != 200 {
        return None;
    }
    r.json().await.ok()
}

async fn stop_under_load(how: Stop) {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let mut node = start_node(&url, dir.path(), None);
    until_ready(&mut node).await;
    let db = domain::platform::db::connect(&url).await.unwrap();
    let owner = create_user(&db, "crash-owner", Role::Developer).await;
    let hasher = domain::platform::password::PasswordHasher::new();
    let client = |name: &str, scopes: &[&str]| NewClient {
        metadata: ClientPatch {
            name: Some(name.into()),
            ..Default::default()
        },
        application_type: Some(ApplicationType::Service),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        owner_id: Some(owner.id.clone()),
        ..Default::default()
    };
    let mut creds = Vec::new();
    for (name, scopes) in [("Loader", &[][..]), ("Portal CI", &["portal"][..])] {
        let c = domain::clients::create(&db, &hasher, Actor::Operator, client(name, scopes), START)
            .await
            .unwrap();
        creds.push(Creds {
            id: c.client.id,
            secret: c.secret.unwrap().expose().to_owned(),
        });
    }
    let (loader, ci) = (creds[0].clone(), creds[1].clone());
    let http = reqwest::Client::new();
    let api_token = token(&http, &node.base, &ci, Some("portal")).await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Load: tokens, and clients registered through the REST API.
    let jtis = Arc::new(Mutex::new(Vec::<String>::new()));
    let created = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..TOKEN_WORKERS {
        let (http, base, c, jtis, stop) = (
            http.clone(),
            node.base.clone(),
            loader.clone(),
            jtis.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                match token(&http, &base, &c, None).await {
                    Some(t) => {
                        let jti = peek(t["access_token"].as_str().unwrap())["jti"]
                            .as_str()
                            .unwrap()
                            .to_owned();
                        jtis.lock().unwrap().push(jti);
                    }
                    None => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        }));
    }
    for w in 0..PORTAL_WORKERS {
        let (http, base, bearer, created, stop) = (
            http.clone(),
            node.base.clone(),
            api_token.clone(),
            created.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let r = http
                    .post(format!("{base}/api/v1/clients"))
                    .bearer_auth(&bearer)
                    .json(&json!({
                        "name": format!("Crash {w}-{n}"),
                        "redirect_uris": [format!("https://app{w}.example.com/cb/{n}")],
                    }))
                    .send()
                    .await;
                if let Ok(r) = &r {
                    count_5xx(r.status());
                }
                match r {
                    Ok(r) if r.status() == 201 => {
                        let v: Value = r.json().await.unwrap();
                        created
                            .lock()
                            .unwrap()
                            .push(v["id"].as_str().unwrap().to_owned());
                    }
                    _ => tokio::time::sleep(Duration::from_millis(5)).await,
                }
            }
        }));
    }
    tokio::time::sleep(LOAD).await;
    match how {
        Stop::Kill => {
            node.child.kill().unwrap();
            node.child.wait().unwrap();
        }
        Stop::Term => {
            let pid = node.child.id().to_string();
            let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
            assert!(sent.success());
            // The load goes on while the node drains.
            let asked = Instant::now();
            let status = loop {
                if let Some(status) = node.child.try_wait().unwrap() {
                    break status;
                }
                assert!(
                    asked.elapsed() < Duration::from_secs(20),
                    "the node did not stop within 20 s of SIGTERM"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            println!("stopped {:?} after SIGTERM", asked.elapsed());
            assert!(status.success(), "a clean exit after SIGTERM: {status}");
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let jtis = jtis.lock().unwrap().clone();
    let created = created.lock().unwrap().clone();
    println!(
        "{}: stopped ({how:?}) after {} tokens and {} clients acknowledged",
        backend(),
        jtis.len(),
        created.len()
    );
    assert!(jtis.len() >= 10, "the load ran ({} tokens)", jtis.len());
    assert!(!created.is_empty(), "the portal load ran");
    assert_eq!(
        SERVER_ERRORS.load(std::sync::atomic::Ordering::Relaxed),
        0,
        "no request was answered with a server error"
    );

    // Every acknowledged token has its audit event.
    use domain::entities::audit_event;
    let issued: HashSet<String> = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("token.issued"))
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| {
            serde_json::from_str::<Value>(&e.data).ok()?["jti"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    let missing: Vec<_> = jtis.iter().filter(|j| !issued.contains(*j)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} tokens sent have no audit event",
        missing.len(),
        jtis.len()
    );
    // Every acknowledged client exists, with its audit event (one transaction).
    for id in &created {
        assert!(
            domain::entities::client::Entity::find_by_id(id.clone())
                .one(&db)
                .await
                .unwrap()
                .is_some(),
            "client {id} was acknowledged but is gone"
        );
        let events = audit_event::Entity::find()
            .filter(audit_event::Column::TargetId.eq(id.clone()))
            .filter(audit_event::Column::EventType.eq("client.created"))
            .all(&db)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "client {id}: its creation event");
    }
    match domain::audit::verify(&db).await.unwrap() {
        Verification::Intact { events, .. } => assert!(events as usize >= jtis.len()),
        broken => panic!("the audit chain is broken after the crash: {broken:?}"),
    }

    // The database opens again and the server serves.
    let mut again = start_node(&url, dir.path(), None);
    until_ready(&mut again).await;
    assert!(token(&http, &again.base, &loader, None).await.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_under_load_lost_nothing_it_acknowledged() {
    stop_under_load(Stop::Kill).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_stopped_under_load_drains_exits_cleanly_and_lost_nothing() {
    stop_under_load(Stop::Term).await;
}

/// A clean start and the pages people open first log no error: an error line in
/// an operator's log must mean something (the router once logged "RequestCtx
/// missing" at every start, listing its routes without a request).
#[tokio::test]
async fn a_server_starts_and_serves_its_first_pages_without_logging_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let log = dir.path().join("server.log");
    let mut node = start_node_logging(&url, dir.path(), &log);
    until_ready(&mut node).await;
    for path in [
        "/",
        "/login",
        "/developer",
        "/.well-known/openid-configuration",
    ] {
        let r = reqwest::get(format!("{}{path}", node.base)).await.unwrap();
        assert!(r.status().as_u16() < 400, "{path}: {}", r.status());
    }
    drop(node);
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(
        written.contains("Portcullis is serving at"),
        "the log is read: {written}"
    );
    let errors: Vec<&str> = written
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
