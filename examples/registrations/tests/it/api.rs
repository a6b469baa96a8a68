//! Seed 004's scenario: authorise on the application, audit the person.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::*;

fn set_status(status: &str) -> Option<Value> {
    Some(json!({ "status": status }))
}

#[tokio::test]
async fn a_person_through_the_engineering_app_updates_an_engineering_student_and_is_audited() {
    let env = setup().await;
    let token = env.alice_token().await;
    let r = call(
        &env.api,
        Method::PUT,
        "/students/s-1001/status",
        Some(&token),
        set_status("on_leave"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "on_leave");
    let r = call(
        &env.api,
        Method::GET,
        "/students/s-1001",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("on_leave"))
    );

    // The audit line names both identities, and never the token.
    let log = audit_log();
    let line = log
        .lines()
        .find(|l| l.contains("registration.updated") && l.contains(&env.engineering_app.id))
        .unwrap_or_else(|| panic!("no audit line in:\n{log}"));
    assert!(line.contains(&format!("user={}", env.alice_id)), "{line}");
    assert!(
        line.contains("student=s-1001") && line.contains("to=on_leave"),
        "{line}"
    );
    assert!(!log.contains(&token));
}

#[tokio::test]
async fn another_department_is_refused_for_people_and_services() {
    let env = setup().await;
    let token = env.alice_token().await;
    let r = call(
        &env.api,
        Method::PUT,
        "/students/s-2001/status",
        Some(&token),
        set_status("withdrawn"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(r.body["error"], "access_denied");

    let history = env.service_token(&env.history_service).await;
    let r = call(
        &env.api,
        Method::GET,
        "/students/s-2001",
        Some(&history),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "its own department");
    let r = call(
        &env.api,
        Method::GET,
        "/students/s-1001",
        Some(&history),
        None,
    )
    .await;
    assert_eq!(r.status, 403, "the Engineering student");
    assert!(audit_log()
        .lines()
        .any(|l| l.contains("registration.refused") && l.contains(&env.history_service.id)));
}

#[tokio::test]
async fn machine_to_machine_tokens_may_read_but_not_write() {
    let env = setup().await;
    // Granted registrations:write, but no person is behind the token.
    let token = env.service_token(&env.engineering_service).await;
    let r = call(
        &env.api,
        Method::GET,
        "/students/s-1002",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "Charles Babbage");
    let r = call(
        &env.api,
        Method::PUT,
        "/students/s-1002/status",
        Some(&token),
        set_status("withdrawn"),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body["error_description"]
        .as_str()
        .unwrap()
        .contains("machine-to-machine"));
    let r = call(
        &env.api,
        Method::GET,
        "/students/s-1002",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.body["status"], "registered", "unchanged");
}

#[tokio::test]
async fn a_token_without_the_scope_is_403_insufficient_scope() {
    let env = setup().await;
    let token = env.service_token(&env.history_service).await; // read only
    let r = call(
        &env.api,
        Method::PUT,
        "/students/s-2001/status",
        Some(&token),
        set_status("withdrawn"),
    )
    .await;
    assert_eq!(r.status, 403);
    let www = r.www_authenticate.unwrap();
    assert!(www.contains("error=\"insufficient_scope\""), "{www}");
    assert!(www.contains("scope=\"registrations:write\""), "{www}");
}

#[tokio::test]
async fn a_token_for_another_api_is_refused_as_invalid() {
    let env = setup().await;
    let token = env.service_token(&env.library_service).await;
    let r = call(
        &env.api,
        Method::GET,
        "/students/s-1001",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, 401);
    let www = r.www_authenticate.unwrap();
    assert!(www.starts_with("Bearer error=\"invalid_token\""), "{www}");
    assert!(www.contains("not meant for this API"), "{www}");
}

#[tokio::test]
async fn without_a_token_the_challenge_leads_to_metadata_naming_portcullis() {
    let env = setup().await;
    let r = call(&env.api, Method::GET, "/students/s-1001", None, None).await;
    assert_eq!(r.status, 401);
    let metadata_url = format!("{}/.well-known/oauth-protected-resource", env.api);
    assert_eq!(
        r.www_authenticate.as_deref(),
        Some(format!("Bearer resource_metadata=\"{metadata_url}\"").as_str())
    );
    // What an MCP client does next: read the metadata, then the issuer's.
    let m: Value = http()
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(m["resource"], env.api);
    assert_eq!(m["authorization_servers"], json!([env.issuer]));
    assert_eq!(
        m["scopes_supported"],
        json!(["registrations:read", "registrations:write"])
    );
    assert_eq!(m["bearer_methods_supported"], json!(["header"]));
    let as_meta: Value = http()
        .get(format!(
            "{}/.well-known/oauth-authorization-server",
            m["authorization_servers"][0].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(as_meta["issuer"], env.issuer);
}

#[tokio::test]
async fn a_revoked_token_is_refused_with_introspection_but_accepted_offline_until_it_expires() {
    let env = setup().await;
    let token = env.service_token(&env.engineering_service).await;
    for api in [&env.api, &env.api_introspecting] {
        let r = call(api, Method::GET, "/students/s-1001", Some(&token), None).await;
        assert_eq!(r.status, 200, "{api}");
    }
    env.revoke(&env.engineering_service, &token).await;

    let r = call(
        &env.api_introspecting,
        Method::GET,
        "/students/s-1001",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, 401, "introspection sees the revocation at once");
    assert!(r
        .www_authenticate
        .unwrap()
        .contains("the token is no longer active"));
    // The revocation window of offline checks: the token's remaining lifetime
    // (5 minutes by default).
    let r = call(
        &env.api,
        Method::GET,
        "/students/s-1001",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "offline checks cannot see revocation");
}

/// Issue 16: the API trades alice's token in (RFC 8693) to act further; the
/// verifier hands the handler the chain, which goes into the audit line; revoking
/// alice's token ends the derived one at once for an introspecting API.
#[tokio::test]
async fn an_exchanged_token_names_its_chain_and_dies_with_its_subject() {
    let env = setup().await;
    let alice = env.alice_token().await;
    let derived = env
        .exchange(&env.api_client, &alice, registrations::SCOPE_READ)
        .await;

    let r = call(
        &env.api_introspecting,
        Method::GET,
        "/me",
        Some(&derived),
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["client_id"], env.api_client.id.as_str());
    assert_eq!(r.body["user"], env.alice_id.as_str());
    let chain: Vec<&str> = r.body["acting"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        chain,
        [env.api_client.id.as_str(), env.engineering_app.id.as_str()]
    );
    let line = format!("acting={}<{}", env.api_client.id, env.engineering_app.id);
    assert!(audit_log().contains(&line), "{}", audit_log());

    // alice's own token, through her app: no chain.
    let r = call(&env.api, Method::GET, "/me", Some(&alice), None).await;
    assert_eq!(r.body["acting"], json!([]));

    env.revoke(&env.engineering_app, &alice).await;
    let r = call(
        &env.api_introspecting,
        Method::GET,
        "/me",
        Some(&derived),
        None,
    )
    .await;
    assert_eq!(r.status, 401, "the derived token died with alice's");
}
