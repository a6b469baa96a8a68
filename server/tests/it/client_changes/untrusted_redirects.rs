//! L1 (RFC 9700 §4.11.2): the authorization endpoint redirects an error on its own
//! only to a redirect URI it trusts — a first-party client's, or one on an origin
//! an administrator reviewed. For any other, the person sees our page naming the
//! application and the error, with a link that carries the error back.

use domain::accounts::Role;
use domain::clients::{ApplicationType, NewClient};

use super::*;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "https://n.example/cb";

fn authorize(client_id: &str, extra: &str) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={client_id}&redirect_uri=https%3A%2F%2Fn.example%2Fcb&scope=openid&state=st%20%2B1&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}"
    )
}

/// The "Return to …" link of our error page, unescaped.
fn return_link(page: &str) -> String {
    let at = page
        .find("data-testid=\"oauth-error-return\"")
        .unwrap_or_else(|| panic!("no return link: {page}"));
    let tag_start = page[..at].rfind("<a ").unwrap();
    let tag = &page[tag_start..];
    let href = tag.split("href=\"").nth(1).unwrap();
    href[..href.find('"').unwrap()].replace("&amp;", "&")
}

fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn errors_for_a_redirect_uri_nobody_reviewed_stay_on_our_page_with_a_link_back() {
    let app = spawn_app().await;
    registrations_api(&app).await;
    let dev = developer(&app, "ada").await;
    let (id, _) = create_in_portal(&dev, "Mallory's Notebook", REDIRECT).await;
    let anon = app.browser();

    // An unsupported response type from a signed-out browser: our page, 400.
    let r = anon
        .get_html(&authorize(&id, "").replace("response_type=code", "response_type=token"))
        .await;
    assert_eq!(r.status, 400, "{:?} {}", r.location(), r.body);
    assert!(r.location().is_none());
    assert!(r.body.contains("Mallory&#39;s Notebook"), "{}", r.body);
    assert!(r.body.contains("unsupported_response_type"));
    assert!(r.body.contains("Return to n.example"));
    let back = return_link(&r.body);
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );
    assert_eq!(
        param(&back, "state").as_deref(),
        Some("st +1"),
        "state exactly"
    );
    assert_eq!(param(&back, "iss").as_deref(), Some(app.base.as_str()));

    // prompt=none without a session: the same (see docs/SECURITY.md).
    let r = anon.get_html(&authorize(&id, "&prompt=none")).await;
    assert_eq!(r.status, 400, "{:?} {}", r.location(), r.body);
    assert_eq!(
        param(&return_link(&r.body), "error").as_deref(),
        Some("login_required")
    );
    // A scope the client may not have: the page does not echo the request's text.
    let r = anon
        .get_html(&authorize(&id, "").replace("scope=openid", "scope=Call%20555-0100"))
        .await;
    assert_eq!(r.status, 400);
    let back = return_link(&r.body);
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_scope"));
    let words = r.body.replace(&back.replace('&', "&amp;"), "");
    assert!(!words.contains("555-0100"), "{}", r.body);

    // A person's own answers still go back: Deny on our consent page, and codes.
    create_user(&app.db, "alice", Role::User).await;
    let alice = signed_in(&app, "alice").await;
    let consent = alice.get(&authorize(&id, "")).await.location().unwrap();
    assert!(consent.starts_with("/oauth/consent?"), "{consent}");
    let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{consent}"))
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    fields.push(("decision".into(), "deny".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = alice
        .post("/oauth/consent", &refs)
        .await
        .location()
        .unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&back, "error").as_deref(), Some("access_denied"));
    let last = refs.len() - 1;
    let mut allow = refs.clone();
    allow[last] = ("decision", "allow");
    let back = alice
        .post("/oauth/consent", &allow)
        .await
        .location()
        .unwrap();
    assert!(param(&back, "code").is_some(), "{back}");

    // Once an administrator reviewed the client (here: approving a scope that needs
    // approval), its errors are redirected as before.
    let admin = signed_in(&app, "admin").await;
    approved_in_portal(&dev, &admin, &id, WRITE).await;
    let r = anon
        .get(&authorize(&id, "").replace("response_type=code", "response_type=token"))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let back = r.location().unwrap();
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(
        param(&back, "error").as_deref(),
        Some("unsupported_response_type")
    );
}

#[tokio::test]
async fn errors_go_back_to_clients_the_operator_registered_and_to_first_party_clients() {
    let app = spawn_app().await;
    let c = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Registrar".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: vec!["openid".into()],
            ..Default::default()
        },
    )
    .await;
    let dev = developer(&app, "ada").await;
    let (own, _) = create_in_portal(&dev, "Notebook", REDIRECT).await;
    let anon = app.browser();
    assert_eq!(anon.get(&authorize(&own, "&prompt=none")).await.status, 400);
    // An administrator makes the developer's client first-party.
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let m = domain::entities::client::Entity::find_by_id(own.clone())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: domain::entities::client::ActiveModel = m.into();
    am.first_party = Set(true);
    am.update(&app.db).await.unwrap();

    for id in [c.id.as_str(), own.as_str()] {
        let r = anon.get(&authorize(id, "&prompt=none")).await;
        assert_eq!(r.status, 303, "{}", r.body);
        let back = r.location().unwrap();
        assert!(back.starts_with(REDIRECT), "{back}");
        assert_eq!(param(&back, "error").as_deref(), Some("login_required"));
    }
}
