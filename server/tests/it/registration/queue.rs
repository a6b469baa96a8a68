//! Admission through the approval queue (issue 16, item 1): every registration
//! is a request in the queue, decided by the admission rule (CEL over how the
//! client came) or by a person; enabling the client directly closes it.

use domain::settings::RegistrationMode;

use super::*;
use crate::rp::{authorize_path, code_as, exchange};

/// The pending admissions, as the REST API lists them to administrators.
async fn admissions(admin: &Api, status: &str) -> Vec<Value> {
    let r = admin
        .get(&format!(
            "/api/v1/requests?kind=admission&status={status}&per_page=100"
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["items"].as_array().unwrap().clone()
}

fn of<'a>(list: &'a [Value], client_id: &str) -> Option<&'a Value> {
    list.iter().find(|r| r["client_id"] == client_id)
}

/// Saves the admission rule as an administrator would.
async fn admission_rule(admin: &Api, approve_if: &str, reject_if: &str) -> Reply {
    admin
        .post(
            "/api/v1/rules",
            json!({
                "scopes": ["@registrations"],
                "approve_if": approve_if,
                "reject_if": reject_if,
                "reject_reason": "This software is not welcome here.",
            }),
        )
        .await
}

#[tokio::test]
async fn a_registration_waits_in_the_queue_until_an_administrator_admits_it() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let admin = Api::admin(&app).await;
    let notes = app.count("notifications").await;
    let mut body = web_metadata("Queued agent");
    body["scope"] = json!("openid profile");
    let v = register_with(&app, None, &body).await.json();
    let rp = Creds {
        id: s(&v, "client_id").to_owned(),
        secret: s(&v, "client_secret").to_owned(),
    };

    let pending = admissions(&admin, "pending").await;
    let req = of(&pending, &rp.id).expect("an admission request");
    assert_eq!(req["kind"], "admission", "{req}");
    assert_eq!(req["requester_id"], Value::Null, "{req}");
    let arrival = &req["arrival"];
    assert_eq!(arrival["via"], "open", "{req}");
    assert_eq!(arrival["ip"], "127.0.0.1", "{req}");
    assert_eq!(arrival["software_id"], "4NRB1-0XZABZI9E6-5SM3R", "{req}");
    assert_eq!(arrival["scopes"], json!(["openid", "profile"]), "{req}");
    assert_eq!(arrival["again"], json!(false), "{req}");
    // Administrators are told.
    assert!(app.count("notifications").await > notes);

    // The queue page shows how it came, without a developer.
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let page = b.get_html("/admin/requests?kind=admission").await;
    assert_eq!(page.status, 200);
    for text in ["open dynamic registration", "registered itself", "Admit"] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let loc = b.get(&authorize_path(&rp, "openid", "")).await.location();
    assert_eq!(
        loc.as_deref(),
        Some("/oauth/error?reason=awaiting_admission")
    );

    // Admitted from the queue: it signs people in, and the request says who.
    let id = s(req, "id").to_owned();
    let r = admin
        .post(
            &format!("/api/v1/requests/{id}/approve"),
            json!({ "note": "known vendor" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let decided = r.json();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"]["kind"], "user");
    let code = code_as(&b, &app.admin.username, &rp, "openid").await;
    assert!(exchange(&app, &rp, &code).await["id_token"].is_string());
    let ev = app.audit_events_of("request.approved").await;
    assert_eq!(ev.last().unwrap()["ask"]["kind"], "admission");
    // Deciding twice is refused.
    let again = admin
        .post(&format!("/api/v1/requests/{id}/approve"), json!({}))
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
}

#[tokio::test]
async fn a_refused_registration_gets_no_tokens_and_people_are_told() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let admin = Api::admin(&app).await;
    let v = register_with(&app, None, &web_metadata("Refused agent"))
        .await
        .json();
    let rp = Creds {
        id: s(&v, "client_id").to_owned(),
        secret: s(&v, "client_secret").to_owned(),
    };
    let req = of(&admissions(&admin, "pending").await, &rp.id)
        .unwrap()
        .clone();
    let r = admin
        .post(
            &format!("/api/v1/requests/{}/reject", s(&req, "id")),
            json!({ "reason": "unknown vendor" }),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let b = app.browser();
    let loc = b
        .get(&authorize_path(&rp, "openid", ""))
        .await
        .location()
        .unwrap();
    assert_eq!(loc, "/oauth/error?reason=admission_refused");
    let page = b.get_html(&loc).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("did not admit it"), "{}", page.body);
    let (status, body) = cc_token(&app, &rp.id, &rp.secret, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
}

#[tokio::test]
async fn the_admission_rule_admits_refuses_or_leaves_it_to_a_person() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let admin = Api::admin(&app).await;
    let r = admission_rule(
        &admin,
        r#"registration.software_id == "trusted-agent" && registration.via == "open""#,
        r#"registration.software_id == "known-bad""#,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);

    let register = |software: &'static str| {
        let app = &app;
        async move {
            let mut body = service_metadata(software);
            body["software_id"] = json!(software);
            let v = register_with(app, None, &body).await.json();
            (
                s(&v, "client_id").to_owned(),
                s(&v, "client_secret").to_owned(),
            )
        }
    };
    // Admitted at once: tokens straight away, decided by the rule.
    let (ok_id, ok_secret) = register("trusted-agent").await;
    let (status, body) = cc_token(&app, &ok_id, &ok_secret, None).await;
    assert_eq!(status, 200, "{body}");
    let done = admissions(&admin, "approved").await;
    let req = of(&done, &ok_id).expect("the rule's decision is kept");
    assert_eq!(req["decided_by"]["kind"], "rule", "{req}");
    assert_eq!(req["evaluations"][0]["verdict"], "approve", "{req}");

    // Refused at once, with the rule's reason.
    let (bad_id, bad_secret) = register("known-bad").await;
    let (status, _) = cc_token(&app, &bad_id, &bad_secret, None).await;
    assert_eq!(status, 401);
    let refused = admissions(&admin, "rejected").await;
    let req = of(&refused, &bad_id).expect("refused by the rule");
    assert_eq!(req["reason"], "This software is not welcome here.");

    // Neither: a person decides.
    let (other_id, _) = register("someone-else").await;
    let pending = admissions(&admin, "pending").await;
    let req = of(&pending, &other_id).expect("left for a person");
    assert_eq!(req["evaluations"][0]["verdict"], "human", "{req}");
    assert!(of(&pending, &ok_id).is_none() && of(&pending, &bad_id).is_none());
}

#[tokio::test]
async fn the_admission_rule_is_checked_before_it_is_saved() {
    let app = spawn_app().await;
    let admin = Api::admin(&app).await;
    // A developer's variables are not an admission's.
    let r = admission_rule(&admin, r#"developer.email.endsWith("@x.org")"#, "").await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("use request, client or registration"),
        "{}",
        r.body
    );
    // Nor are an admission's a scope rule's.
    registrations_api(&app).await;
    let r = admin
        .post(
            "/api/v1/rules",
            json!({ "scopes": [WRITE], "approve_if": r#"registration.via == "open""# }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    // The rule for registrations decides nothing else.
    let r = admin
        .post(
            "/api/v1/rules",
            json!({ "scopes": ["@registrations", WRITE], "approve_if": "true" }),
        )
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("admissions only"), "{}", r.body);
    assert_eq!(app.count("approval_rules").await, 0);
    assert_eq!(app.count("admission_rules").await, 0);

    // Saved, it is listed with the others, and replaced in place.
    let r = admission_rule(&admin, r#"registration.via == "token""#, "").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = admission_rule(&admin, r#"registration.ip == "10.0.0.1""#, "").await;
    assert_eq!(r.json()["id"], id.as_str(), "{}", r.body);
    let list = admin.get("/api/v1/rules").await.json();
    assert_eq!(list[0]["scopes"], json!(["@registrations"]), "{list}");
    assert_eq!(list[0]["approve_if"], r#"registration.ip == "10.0.0.1""#);
    assert_eq!(app.count("admission_rules").await, 1);
    let r = admin.delete(&format!("/api/v1/rules/{id}")).await;
    assert!(r.status < 300, "{}", r.body);
    assert_eq!(app.count("admission_rules").await, 0);
}

#[tokio::test]
async fn enabling_a_client_admits_it_and_closes_its_request() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let admin = Api::admin(&app).await;
    let a = register_with(&app, None, &service_metadata("By the page"))
        .await
        .json();
    let b = register_with(&app, None, &service_metadata("By the CLI"))
        .await
        .json();
    admit(&app, s(&a, "client_id")).await;
    // What `portcullis client enable` does.
    domain::clients::set_disabled(
        &app.db,
        domain::audit::Actor::Operator,
        s(&b, "client_id"),
        false,
        app.clock_now(),
    )
    .await
    .unwrap();
    assert!(admissions(&admin, "pending").await.is_empty());
    let done = admissions(&admin, "approved").await;
    let by = |id: &str| of(&done, id).unwrap()["decided_by"]["kind"].clone();
    assert_eq!(by(s(&a, "client_id")), "user");
    assert_eq!(by(s(&b, "client_id")), "operator");
}

#[tokio::test]
async fn changing_what_admission_vetted_asks_again() {
    let app = spawn_app().await;
    set_mode(&app, RegistrationMode::Open).await;
    let admin = Api::admin(&app).await;
    let v = register_with(&app, None, &web_metadata("Mover"))
        .await
        .json();
    let id = s(&v, "client_id").to_owned();
    admit(&app, &id).await;
    assert!(admissions(&admin, "pending").await.is_empty());

    let mut body = web_metadata("Mover");
    body["client_id"] = json!(id);
    body["redirect_uris"] = json!(["https://elsewhere.example/cb"]);
    let r = manage(
        reqwest::Method::PUT,
        s(&v, "registration_client_uri"),
        s(&v, "registration_access_token"),
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pending = admissions(&admin, "pending").await;
    let req = of(&pending, &id).expect("asks again");
    assert_eq!(req["arrival"]["again"], json!(true), "{req}");
    // A second change while it waits opens nothing more.
    body["redirect_uris"] = json!(["https://elsewhere.example/cb2"]);
    let r = manage(
        reqwest::Method::PUT,
        s(&v, "registration_client_uri"),
        s(&v, "registration_access_token"),
        Some(&body),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(admissions(&admin, "pending").await.len(), 1);
}

/// The whole-rule examples the rules page offers for registrations are accepted
/// as they are, and decide what they say: the native agent on loopback is
/// admitted, a web app left to a person, a client asking to write refused.
#[tokio::test]
async fn the_rules_pages_registration_examples_save_and_decide_as_they_say() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    set_mode(&app, RegistrationMode::Open).await;
    let admin = Api::admin(&app).await;
    for (what, field, rule) in app::pages::REGISTRATION_EXAMPLES {
        let (approve, reject) = if field == "approve_if" {
            (rule, "")
        } else {
            ("", rule)
        };
        let r = admission_rule(&admin, approve, reject).await;
        assert!(r.status < 300, "{what}: {}", r.body);
    }
    let b = app.browser();
    assert!(b.sign_in(&app.admin.username, ADMIN_PASSWORD).await.status < 400);
    let page = b.get_html("/admin/rules").await;
    assert!(page.body.contains(r#"data-testid="registration-examples""#));

    // The first and the last at once, as one rule.
    let [native, .., write] = app::pages::REGISTRATION_EXAMPLES;
    let r = admission_rule(&admin, native.2, write.2).await;
    assert!(r.status < 300, "{}", r.body);
    let register = |body: Value| {
        let app = &app;
        async move { s(&register_with(app, None, &body).await.json(), "client_id").to_owned() }
    };
    let agent = register(json!({
        "client_name": "Loopback agent",
        "application_type": "native",
        "redirect_uris": ["http://127.0.0.1:7777/cb"],
        "token_endpoint_auth_method": "none",
        "scope": READ,
    }))
    .await;
    let web = register(web_metadata("Web app")).await;
    let mut greedy = json!({
        "client_name": "Writing agent",
        "application_type": "native",
        "redirect_uris": ["http://127.0.0.1:7777/cb"],
        "token_endpoint_auth_method": "none",
    });
    greedy["scope"] = json!(format!("{READ} {WRITE}"));
    let greedy = register(greedy).await;
    assert!(of(&admissions(&admin, "approved").await, &agent).is_some());
    assert!(of(&admissions(&admin, "pending").await, &web).is_some());
    assert!(of(&admissions(&admin, "rejected").await, &greedy).is_some());
}
