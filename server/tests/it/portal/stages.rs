//! Lifecycle states (issue 13): a client in development is for its team alone (its
//! owner and co-owners sign in, anyone else is refused at the authorization and
//! token endpoints), its refresh tokens live at most a week, and it adds the
//! administrators' sandbox scopes at once. A team member asks for production
//! through the approval queue (`POST …/promotion`); administrators move a client
//! either way at once (`PUT …/stage`), audited as `client.stage_changed`.

use domain::accounts::Role;
use domain::clients::{ApplicationType, ClientPatch, NewClient, Stage};
use domain::portal::stage::DEVELOPMENT_ONLY;
use serde_json::{json, Value};
use server::api::routes;

use crate::helpers::*;
use crate::rp::{introspect, refresh, through_consent, CHALLENGE, VERIFIER};

const CALLBACK: &str = "https://planner.example.edu/cb";
const WEEK: i64 = Stage::DEVELOPMENT_REFRESH_SECS;
const MONTH: i64 = 30 * 86_400;

fn at(template: &str, id: &str) -> String {
    template.replace("{id}", id)
}

/// New clients that developers register start in development from now on.
async fn development_for_new_clients(app: &TestApp) {
    change_settings(app, |s| s.new_clients_in_development = true).await;
}

/// A web client registered over the REST API by `api`'s owner, with its
/// credentials and its JSON.
async fn web_client(api: &Api, name: &str) -> (Creds, Value) {
    let v = api.register_web_client(name, CALLBACK).await;
    let creds = Creds {
        id: v["id"].as_str().unwrap().to_owned(),
        secret: v["client_secret"].as_str().unwrap().to_owned(),
    };
    (creds, v)
}

/// The client's stage as `api` reads it.
async fn stage_of(api: &Api, id: &str) -> Value {
    let r = api.get(&at(routes::CLIENT, id)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["stage"].clone()
}

/// Where `b` (signed in) ends up after asking `client_id` for a code with `state`:
/// past the consent page when it is shown, or, when the server sends an error to
/// a redirect URI nobody reviewed, the address its error page links back to.
async fn back_at_client(b: &Browser, client_id: &str, state: &str) -> String {
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&state={state}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        enc(CALLBACK),
    );
    let r = b.get(&path).await;
    if let Some(loc) = r.location() {
        return through_consent(b, &loc).await;
    }
    let marker = r#"data-testid="oauth-error-return""#;
    let tag = r
        .body
        .split("<a ")
        .find(|t| t.contains(marker))
        .unwrap_or_else(|| {
            panic!(
                "neither a redirect nor an error page: {} {}",
                r.status, r.body
            )
        });
    let href = tag
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    href.replace("&amp;", "&")
}

/// Asserts that `back` is the client's redirect URI carrying the development
/// refusal, with the request's state and no code.
fn refused_at_client(back: &str, state: &str) {
    assert!(back.starts_with(CALLBACK), "{back}");
    assert_eq!(
        query_param(back, "error").as_deref(),
        Some("access_denied"),
        "{back}"
    );
    assert_eq!(
        query_param(back, "error_description").as_deref(),
        Some(DEVELOPMENT_ONLY),
        "{back}"
    );
    assert_eq!(query_param(back, "state").as_deref(), Some(state), "{back}");
    assert!(query_param(back, "code").is_none(), "{back}");
}

/// Signs in to the client through the code flow; returns the token response.
async fn tokens_for(app: &TestApp, b: &Browser, c: &Creds) -> Value {
    let back = back_at_client(b, &c.id, "go").await;
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code: {back}"));
    let (status, t) = crate::rp::token(
        app,
        c,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ],
    )
    .await;
    assert_eq!(status, 200, "{t}");
    t
}

fn refresh_token(t: &Value) -> String {
    t["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("a refresh token: {t}"))
        .to_owned()
}

fn assert_refused_grant(status: u16, body: &Value) {
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert_eq!(body["error_description"], DEVELOPMENT_ONLY, "{body}");
}

/// Of two racing replies, the one that won with `won` and the one that lost
/// with 409, asserting there is exactly one of each.
fn one_won(replies: &[Reply], won: u16) -> (&Reply, &Reply) {
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [won, 409],
        "{:?}",
        replies.iter().map(|r| &r.body).collect::<Vec<_>>()
    );
    let winner = replies.iter().find(|r| r.status == won).unwrap();
    let loser = replies.iter().find(|r| r.status == 409).unwrap();
    (winner, loser)
}

async fn put_stage(api: &Api, id: &str, body: Value) -> Reply {
    api.put(&at(routes::STAGE, id), body).await
}

#[tokio::test]
async fn developers_new_clients_start_in_development_only_when_the_setting_is_on() {
    let app = spawn_app().await;
    let (_, olga) = Api::developer(&app, "olga").await;
    let admin = Api::admin(&app).await;

    // Off (this harness turns it off in its settings file): new clients are in production.
    let (_, before) = web_client(&olga, "Before").await;
    assert_eq!(before["stage"], "production", "{before}");

    development_for_new_clients(&app).await;
    let (dev_client, created) = web_client(&olga, "Planner").await;
    assert_eq!(created["stage"], "development", "{created}");
    assert_eq!(stage_of(&olga, &dev_client.id).await, "development");
    let list = olga.get(routes::CLIENTS).await.json();
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == json!(dev_client.id))
        .cloned()
        .unwrap_or_else(|| panic!("listed: {list}"));
    assert_eq!(listed["stage"], "development");

    // On the portal's form too.
    let browser = signed_in(&app, "olga").await;
    let in_portal = register_in_portal(&browser, "Portal planner", "web", CALLBACK).await;
    assert_eq!(stage_of(&olga, &in_portal).await, "development");

    // An administrator's registration is its own review.
    let (_, theirs) = web_client(&admin, "Registrar").await;
    assert_eq!(theirs["stage"], "production", "{theirs}");

    // `stage` is read-only in an edit: GET's answer goes back unchanged, a
    // different stage is refused, naming the field.
    let path = at(routes::CLIENT, &dev_client.id);
    let shown = olga.get(&path).await.json();
    let r = olga.put(&path, shown).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["stage"], "development");
    for stage in ["production", "staging"] {
        let r = olga.put(&path, json!({ "stage": stage })).await;
        assert_eq!(r.status, 400, "{stage}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_request");
    }
    let r = olga.put(&path, json!({ "stage": "production" })).await;
    assert_eq!(r.json()["field"], "stage", "{}", r.body);
    assert_eq!(stage_of(&olga, &dev_client.id).await, "development");
}

#[tokio::test]
async fn only_the_owner_and_co_owners_sign_in_to_a_client_in_development() {
    let app = spawn_app().await;
    development_for_new_clients(&app).await;
    let (_, olga) = Api::developer(&app, "olga").await;
    Api::developer(&app, "carl").await;
    create_user(&app.db, "sam", Role::User).await;
    let (c, _) = web_client(&olga, "Planner").await;

    // A stranger is sent back to the app with access_denied, the state kept.
    let sam = signed_in(&app, "sam").await;
    let back = back_at_client(&sam, &c.id, "sam-1").await;
    refused_at_client(&back, "sam-1");
    let admin = Api::admin(&app).await;
    // The co-owner is added through the team endpoints.
    let r = olga
        .post(&at(routes::CO_OWNERS, &c.id), json!({ "member": "carl" }))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    for name in ["olga", "carl"] {
        let b = signed_in(&app, name).await;
        let t = tokens_for(&app, &b, &c).await;
        assert!(t["access_token"].is_string(), "{name}: {t}");
        let rt = refresh_token(&t);
        let (status, again) = refresh(&app, &c, &rt).await;
        assert_eq!(status, 200, "{name} refreshes: {again}");
    }
    // An administrator is not on the team either.
    let adm = signed_in(&app, "admin").await;
    refused_at_client(&back_at_client(&adm, &c.id, "adm").await, "adm");

    // The refusal is the stage's: promoted, the stranger signs in.
    let r = put_stage(&admin, &c.id, json!({ "stage": "production" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t = tokens_for(&app, &sam, &c).await;
    assert!(t["access_token"].is_string(), "{t}");
}

/// `portcullis client stage`: the operator moves a client either way from the
/// command line; the running server follows; mistakes are one line and change
/// nothing.
#[tokio::test]
async fn the_operator_moves_a_client_between_stages_from_the_command_line() {
    use crate::cluster::{cli_process, within_patience};
    let app = spawn_app().await;
    development_for_new_clients(&app).await;
    let (olga_user, olga) = Api::developer(&app, "olga").await;
    create_user(&app.db, "sam", Role::User).await;
    let (c, _) = web_client(&olga, "Lab notebook").await;
    let sam = signed_in(&app, "sam").await;
    refused_at_client(&back_at_client(&sam, &c.id, "before").await, "before");

    let fails = |out: &std::process::Output, says: &str| {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(says), "{says}: {err}");
    };
    fails(
        &cli_process(&app, &["client", "stage", &c.id, "staging"]).await,
        "use development or production",
    );
    fails(
        &cli_process(&app, &["client", "stage", "no-such-client", "production"]).await,
        "not found",
    );
    fails(
        &cli_process(&app, &["client", "stage", &c.id, "development"]).await,
        "already in development",
    );
    assert!(app.audit_events_of("client.stage_changed").await.is_empty());

    let out = cli_process(
        &app,
        &[
            "client",
            "stage",
            &c.id,
            "production",
            "--reason",
            "Reviewed at the board",
        ],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("is in production now"));
    assert_eq!(stage_of(&olga, &c.id).await, "production");
    // The running server learns it from the change feed: the stranger signs in.
    within_patience("a client promoted by the CLI", || {
        let (sam, id) = (&sam, c.id.clone());
        async move {
            let back = back_at_client(sam, &id, "after").await;
            query_param(&back, "code").is_some()
        }
    })
    .await;
    let events = app.audit_events_of("client.stage_changed").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["after"]["stage"], "production");
    assert_eq!(events[0]["reason"], "Reviewed at the board");
    use domain::entities::{audit_event, notification};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let e = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("client.stage_changed"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the event");
    assert_eq!((e.actor_kind.as_str(), e.actor_id), ("operator", None));
    // The team is told who did it.
    let told = notification::Entity::find()
        .filter(notification::Column::UserId.eq(olga_user.id.as_str()))
        .filter(notification::Column::Kind.eq("client.stage_changed"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0]
            .body
            .starts_with("The operator promoted your client"),
        "{}",
        told[0].body
    );
}

#[tokio::test]
async fn a_development_clients_refresh_tokens_live_at_most_a_week() {
    let app = spawn_app().await;
    change_settings(&app, |s| s.refresh_token_secs = MONTH).await;
    let (_, olga) = Api::developer(&app, "olga").await;
    let (prod, _) = web_client(&olga, "Released").await;
    development_for_new_clients(&app).await;
    let (dev, created) = web_client(&olga, "Planner").await;
    assert_eq!(created["stage"], "development");
    let b = signed_in(&app, "olga").await;

    let now = app.clock_now();
    let dev_rt = refresh_token(&tokens_for(&app, &b, &dev).await);
    let prod_rt = refresh_token(&tokens_for(&app, &b, &prod).await);
    let seen = introspect(&app, &dev, &dev_rt).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["token_type"], "refresh_token", "{seen}");
    assert_eq!(seen["exp"].as_i64(), Some(now + WEEK), "{seen}");
    let seen = introspect(&app, &prod, &prod_rt).await;
    assert_eq!(
        seen["exp"].as_i64(),
        Some(now + MONTH),
        "production keeps the server's lifetime: {seen}"
    );

    // A rotation inherits the family's expiry…
    app.clock.advance(6 * 86_400);
    let (status, t) = refresh(&app, &dev, &dev_rt).await;
    assert_eq!(status, 200, "{t}");
    let dev_rt = refresh_token(&t);
    let seen = introspect(&app, &dev, &dev_rt).await;
    assert_eq!(seen["exp"].as_i64(), Some(now + WEEK), "{seen}");
    // …and after the week the family is over; production's is not.
    app.clock.advance(86_400 + 1);
    let (status, t) = refresh(&app, &dev, &dev_rt).await;
    assert_eq!(
        (status, t["error"].as_str()),
        (400, Some("invalid_grant")),
        "{t}"
    );
    let (status, t) = refresh(&app, &prod, &prod_rt).await;
    assert_eq!(status, 200, "{t}");
}

#[tokio::test]
async fn a_sandbox_scope_is_added_at_once_in_development_and_waits_for_approval_in_production() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    // Another scope that needs approval, not in the sandbox.
    let api = domain::apis::find_resource_by_audience(&app.db, REGISTRATIONS)
        .await
        .unwrap()
        .unwrap();
    let ctx = domain::accounts::AdminCtx::operator();
    domain::apis::add_scope(
        &app.db,
        &ctx,
        &api.id,
        "registrations:admin",
        "Admin",
        true,
        START,
    )
    .await
    .unwrap();
    change_settings(&app, |s| s.sandbox_scopes = vec![WRITE.into()]).await;
    let (_, olga) = Api::developer(&app, "olga").await;
    let service = |name: &str| json!({ "name": name, "application_type": "service" });
    let created = |r: Reply| {
        assert_eq!(r.status, 201, "{}", r.body);
        let v = r.json();
        let creds = Creds {
            id: v["id"].as_str().unwrap().to_owned(),
            secret: v["client_secret"].as_str().unwrap().to_owned(),
        };
        (creds, v["stage"].clone())
    };
    let (prod, stage) = created(olga.post(routes::CLIENTS, service("Released")).await);
    assert_eq!(stage, "production");
    development_for_new_clients(&app).await;
    let (dev, stage) = created(olga.post(routes::CLIENTS, service("Sandbox")).await);
    assert_eq!(stage, "development");
    let ask = |id: &str, scope: &str| json!({ "client_id": id, "kind": "scopes", "scopes": [scope], "justification": "test data" });

    // In development: added at once, recorded as the sandbox's decision.
    let r = olga.post(routes::REQUESTS, ask(&dev.id, WRITE)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "approved", "{v}");
    assert_eq!(v["granted"], json!([WRITE]), "{v}");
    assert_eq!(v["evaluations"][0]["scope"], WRITE, "{v}");
    assert_eq!(v["evaluations"][0]["by"], "sandbox", "{v}");
    let (status, t) = cc_token(&app, &dev.id, &dev.secret, Some(WRITE)).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["scope"], WRITE);
    // A gated scope outside the sandbox still waits.
    let r = olga
        .post(routes::REQUESTS, ask(&dev.id, "registrations:admin"))
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["status"], "pending", "{}", r.body);

    // In production: the same scope waits for an administrator.
    let r = olga.post(routes::REQUESTS, ask(&prod.id, WRITE)).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let v = r.json();
    assert_eq!(v["status"], "pending", "{v}");
    assert_ne!(v["evaluations"][0]["by"], "sandbox", "{v}");
    let shown = olga.get(&at(routes::CLIENT, &prod.id)).await.json();
    assert!(
        !shown["scopes"].as_array().unwrap().contains(&json!(WRITE)),
        "{shown}"
    );
    let (status, t) = cc_token(&app, &prod.id, &prod.secret, Some(WRITE)).await;
    assert_eq!(t["error"], "invalid_scope", "{status} {t}");
}

#[tokio::test]
async fn a_promotion_goes_through_the_queue_and_an_administrator_moves_the_client_either_way() {
    let app = spawn_app().await;
    development_for_new_clients(&app).await;
    let (olga_user, olga) = Api::developer(&app, "olga").await;
    let (_, mallory) = Api::developer(&app, "mallory").await;
    create_user(&app.db, "sam", Role::User).await;
    let admin = Api::admin(&app).await;
    let (c, _) = web_client(&olga, "Planner").await;
    let promotion = at(routes::PROMOTION, &c.id);

    // Malformed bodies and empty or oversized justifications ask nothing.
    for body in [
        json!({}),
        json!({ "justification": "   " }),
        json!({ "justification": "x".repeat(limits::JUSTIFICATION + 1) }),
        json!({ "justification": "ok", "stage": "production" }),
    ] {
        let r = olga.post(&promotion, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert_eq!(r.json()["error"], "invalid_request", "{}", r.body);
    }
    let r = olga
        .post(&promotion, json!({ "justification": "   " }))
        .await;
    assert_eq!(r.json()["field"], "justification", "{}", r.body);
    // Someone else's client is not there.
    let r = mallory
        .post(&promotion, json!({ "justification": "mine" }))
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(app.count("change_requests").await, 0);

    // Two requests at once: exactly one is queued.
    let replies = burst(2, |i| {
        let (olga, promotion) = (olga.clone(), promotion.clone());
        async move {
            olga.post(
                &promotion,
                json!({ "justification": format!("Ready for students ({i})") }),
            )
            .await
        }
    })
    .await;
    let (queued, lost) = one_won(&replies, 202);
    assert_eq!(lost.json()["error"], "conflict", "{}", lost.body);
    let req = queued.json();
    assert_eq!(
        (&req["kind"], &req["status"], &req["client_id"]),
        (&json!("change"), &json!("pending"), &json!(c.id)),
        "{req}"
    );
    assert_eq!(
        req["changes"],
        json!([{ "field": "stage", "before": "development", "after": "production" }]),
        "{req}"
    );
    assert_eq!(req["requester_id"], json!(olga_user.id));
    let rid = req["id"].as_str().unwrap().to_owned();
    assert_eq!(
        queued.location().as_deref(),
        Some(format!("{}/{rid}", routes::REQUESTS).as_str())
    );
    assert_eq!(app.count("change_requests").await, 1);
    let r = olga
        .post(&promotion, json!({ "justification": "again" }))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    // Asked, not granted: the stranger is still refused.
    assert_eq!(stage_of(&olga, &c.id).await, "development");
    let sam = signed_in(&app, "sam").await;
    refused_at_client(&back_at_client(&sam, &c.id, "before").await, "before");

    // The administrator approves it in the queue: in production, anyone signs in.
    let queue = admin
        .get(&format!("{}?status=pending&kind=change", routes::REQUESTS))
        .await
        .json();
    assert!(
        queue["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == json!(rid)),
        "{queue}"
    );
    let r = admin.post(&at(routes::APPROVE, &rid), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "approved");
    assert_eq!(stage_of(&olga, &c.id).await, "production");
    // Recorded as a stage change too, naming the request that carried it.
    let events = app.audit_events_of("client.stage_changed").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (
            &events[0]["before"]["stage"],
            &events[0]["after"]["stage"],
            &events[0]["request_id"]
        ),
        (&json!("development"), &json!("production"), &json!(rid)),
        "{events:?}"
    );
    let sam_tokens = tokens_for(&app, &sam, &c).await;
    let sam_rt = refresh_token(&sam_tokens);
    let owner = signed_in(&app, "olga").await;
    let olga_rt = refresh_token(&tokens_for(&app, &owner, &c).await);
    let r = olga
        .post(&promotion, json!({ "justification": "again" }))
        .await;
    assert_eq!(r.status, 409, "already in production: {}", r.body);

    // Only administrators change the stage directly.
    for api in [&olga, &mallory] {
        let r = put_stage(api, &c.id, json!({ "stage": "development" })).await;
        assert_eq!(r.status, 403, "{}", r.body);
        assert_eq!(r.json()["error"], "forbidden");
    }
    let r = put_stage(&admin, "no-such-client", json!({ "stage": "development" })).await;
    assert_eq!(r.status, 404, "{}", r.body);
    for body in [
        json!({}),
        json!({ "stage": "staging" }),
        json!({ "stage": "development", "why": "x" }),
        json!({ "stage": "development", "reason": "x".repeat(limits::JUSTIFICATION + 1) }),
    ] {
        let r = put_stage(&admin, &c.id, body.clone()).await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
    }
    let r = put_stage(
        &admin,
        &c.id,
        json!({ "stage": "development", "reason": "x".repeat(limits::JUSTIFICATION + 1) }),
    )
    .await;
    assert_eq!(r.json()["field"], "reason", "{}", r.body);
    assert_eq!(app.audit_events_of("client.stage_changed").await.len(), 1);

    // Back to development, twice at once: one moves it, the other finds it moved.
    let replies = burst(2, |_| {
        let (admin, id) = (admin.clone(), c.id.clone());
        async move {
            put_stage(
                &admin,
                &id,
                json!({ "stage": "development", "reason": "Failing the accessibility review" }),
            )
            .await
        }
    })
    .await;
    let (moved, _) = one_won(&replies, 200);
    let v = moved.json();
    assert_eq!(v["stage"], "development", "{v}");
    assert_eq!(
        moved.headers.get("etag").and_then(|e| e.to_str().ok()),
        Some(format!("\"{}\"", v["version"]).as_str())
    );
    let current = olga.get(&at(routes::CLIENT, &c.id)).await;
    assert_eq!(
        current.json()["version"],
        v["version"],
        "the stored version"
    );

    // The stranger's refresh token stops working and a new sign-in is refused;
    // the owner's keeps working.
    let (status, body) = refresh(&app, &c, &sam_rt).await;
    assert_refused_grant(status, &body);
    refused_at_client(&back_at_client(&sam, &c.id, "after").await, "after");
    let (status, body) = refresh(&app, &c, &olga_rt).await;
    assert_eq!(status, 200, "{body}");

    // Audited: who, from what to what, and why.
    use domain::entities::audit_event;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::EventType.eq("client.stage_changed"))
        .order_by_asc(audit_event::Column::Id)
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(events.len(), 2, "{events:?}");
    let e = &events[1];
    assert_eq!(e.actor_id.as_deref(), Some(app.admin.id.as_str()));
    assert_eq!(e.target_id.as_deref(), Some(c.id.as_str()), "{e:?}");
    let data: Value = serde_json::from_str(&e.data).unwrap();
    assert_eq!(data["before"]["stage"], "production", "{data}");
    assert_eq!(data["after"]["stage"], "development", "{data}");
    assert_eq!(data["reason"], "Failing the accessibility review", "{data}");

    // And to production directly, without a request; the reason may be left out.
    let r = put_stage(&admin, &c.id, json!({ "stage": "production" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["stage"], "production");
    let r = put_stage(
        &admin,
        &c.id,
        json!({ "stage": "production", "reason": null }),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert_eq!(r.json()["error"], "conflict");
    assert!(tokens_for(&app, &sam, &c).await["access_token"].is_string());
    let events = app.audit_events_of("client.stage_changed").await;
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[2]["after"]["stage"], "production");
}

#[tokio::test]
async fn the_password_grant_of_a_client_in_development_is_for_its_team_and_an_ownerless_client_stays_in_production(
) {
    let app = spawn_app().await;
    let olga = create_user(&app.db, "olga", Role::Developer).await;
    create_user(&app.db, "sam", Role::User).await;
    let admin = Api::admin(&app).await;
    let client = |owner: Option<String>| NewClient {
        metadata: ClientPatch {
            name: Some("Kiosk".into()),
            redirect_uris: Some(vec![CALLBACK.into()]),
            grant_types: Some(vec!["password".into()]),
            ..Default::default()
        },
        application_type: Some(ApplicationType::Web),
        owner_id: owner,
        ..Default::default()
    };
    let kiosk = register(&app, client(Some(olga.id.clone()))).await;
    let orphan = register(&app, client(None)).await;
    let password = |user: &'static str| {
        [
            ("grant_type", "password"),
            ("username", user),
            ("password", ADMIN_PASSWORD),
        ]
    };
    assert_eq!(
        crate::rp::token(&app, &kiosk, &password("sam")).await.0,
        200
    );

    let r = put_stage(&admin, &kiosk.id, json!({ "stage": "development" })).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (status, body) = crate::rp::token(&app, &kiosk, &password("sam")).await;
    assert_refused_grant(status, &body);
    let (status, body) = crate::rp::token(&app, &kiosk, &password("olga")).await;
    assert_eq!(status, 200, "{body}");

    // Nobody could sign in to an ownerless client in development.
    let r = put_stage(&admin, &orphan.id, json!({ "stage": "development" })).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert_eq!(r.json()["field"], "stage", "{}", r.body);
    assert_eq!(stage_of(&admin, &orphan.id).await, "production");
    assert_eq!(
        crate::rp::token(&app, &orphan, &password("sam")).await.0,
        200
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_stage_and_its_endpoints_with_their_bounds() {
    let app = spawn_app().await;
    let doc = Api::with_token(&app, None)
        .get(routes::OPENAPI)
        .await
        .json();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Stage"]["enum"],
        json!(["development", "production"]),
        "{}",
        schemas["Stage"]
    );
    // ClientView flattens the metadata (an `allOf`): its own part holds `stage`.
    let own = schemas["ClientView"]["allOf"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s.get("properties").is_some())
        .unwrap();
    assert_eq!(
        own["properties"]["stage"]["$ref"],
        "#/components/schemas/Stage"
    );
    assert!(own["required"]
        .as_array()
        .unwrap()
        .contains(&json!("stage")));
    let justification = &schemas["Promotion"]["properties"]["justification"];
    assert_eq!(justification["maxLength"], json!(limits::JUSTIFICATION));
    assert_eq!(justification["minLength"], 1);
    assert_eq!(schemas["Promotion"]["required"], json!(["justification"]));
    assert_eq!(schemas["StageChange"]["required"], json!(["stage"]));
    let reason = serde_json::to_string(&schemas["StageChange"]["properties"]["reason"]).unwrap();
    assert!(
        reason.contains(&format!("\"maxLength\":{}", limits::JUSTIFICATION)),
        "{reason}"
    );
    for (path, method, ok) in [
        (routes::PROMOTION, "post", "202"),
        (routes::STAGE, "put", "200"),
    ] {
        let responses = &doc["paths"][path][method]["responses"];
        for code in [ok, "400", "401", "403", "404", "409", "413", "415"] {
            assert!(responses.get(code).is_some(), "{method} {path} {code}");
        }
    }
}
