//! The first sign-in through an app, as a browser without JavaScript makes it: the
//! app's authorization request, the sign-in form, the consent form, back to the app.
//! (The browser specs in end2end/ run the same flows in Chromium, hydrated too.)

use domain::clients::{ApplicationType, NewClient};

use crate::helpers::*;

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// `st-a +/=?&%~.:` as an app would send it: every reserved character encoded.
const STATE_ENCODED: &str = "st-a%20%2B%2F%3D%3F%26%25~.%3A";
const STATE: &str = "st-a +/=?&%~.:";

async fn app_with_client(self_signup: bool) -> (TestApp, Creds) {
    let app = spawn_app_with(|s| s.allow_self_signup = self_signup).await;
    create_user(&app.db, "alice", domain::accounts::Role::User).await;
    let rp = register(
        &app,
        NewClient {
            metadata: domain::clients::ClientPatch {
                name: Some("Notebook".into()),
                redirect_uris: Some(vec![REDIRECT.into()]),
                ..Default::default()
            },
            application_type: Some(ApplicationType::Web),
            scopes: vec!["openid".into(), "profile".into()],
            ..Default::default()
        },
    )
    .await;
    (app, rp)
}

fn authorize_path(rp: &Creds) -> String {
    format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid%20profile&state={STATE_ENCODED}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        rp.id,
        enc(REDIRECT)
    )
}

/// The value of the hidden field `name` on a page.
fn hidden(html: &str, name: &str) -> String {
    hidden_fields(html)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no hidden field {name} in {html}"))
        .1
}

#[tokio::test]
async fn state_with_reserved_characters_survives_sign_in_and_consent_exactly() {
    let (app, rp) = app_with_client(false).await;
    let b = app.browser();
    let authorize = authorize_path(&rp);

    // Signed out: the authorization request sends the person to sign in.
    let login = b.get_html(&authorize).await.location().expect("to sign-in");
    assert!(login.starts_with("/login?return_to="), "{login}");

    // The sign-in form carries the authorization request unchanged.
    let page = b.get_html(&login).await;
    assert_eq!(page.status, 200);
    let return_to = hidden(&page.body, "return_to");
    assert_eq!(return_to, authorize, "the form's return_to");

    let r = b
        .post(
            "/api/sign_in",
            &[
                ("username", "alice"),
                ("password", ADMIN_PASSWORD),
                ("return_to", &return_to),
            ],
        )
        .await;
    assert_eq!(r.location().as_deref(), Some(authorize.as_str()));

    let consent = b.get_html(&authorize).await.location().expect("to consent");
    assert!(consent.starts_with("/oauth/consent?"), "{consent}");
    let page = b.get_html(&consent).await.body;
    let mut fields: Vec<(String, String)> = hidden_fields(&page)
        .into_iter()
        .filter(|(n, _)| n != "csrf_token")
        .collect();
    assert!(
        fields.contains(&("state".into(), STATE.into())),
        "{fields:?}"
    );
    fields.push(("decision".into(), "allow".into()));
    let refs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let back = b
        .post("/oauth/consent", &refs)
        .await
        .location()
        .expect("back to the app");
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some(STATE));
    assert_eq!(
        query_param(&back, "iss").as_deref(),
        Some(app.settings.issuer.as_str())
    );
    assert!(
        query_param(&back, "code").is_some_and(|c| c.len() == 43),
        "{back}"
    );
}

#[tokio::test]
async fn a_return_to_that_a_browser_would_resolve_to_another_site_is_refused() {
    let app = spawn_app().await;
    for (given, expected) in [
        // Browsers strip TAB and newlines from URLs: `//evil.example`.
        ("/\t/evil.example", "/"),
        ("/\t\\evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("\t//evil.example", "/"),
        (" //evil.example", "/"),
        ("/.//evil.example", "/"),
        ("https://evil.example/", "/"),
        // What stays on this site is kept, query and all.
        ("/apps", "/apps"),
        (
            "/oauth/authorize?state=a%20%2B%26b&x=1",
            "/oauth/authorize?state=a%20%2B%26b&x=1",
        ),
    ] {
        let b = app.browser();
        let r = b
            .post(
                "/api/sign_in",
                &[
                    ("username", "admin"),
                    ("password", ADMIN_PASSWORD),
                    ("return_to", given),
                ],
            )
            .await;
        assert!(r.status < 400, "{}", r.body);
        assert_eq!(
            r.location().as_deref(),
            Some(expected),
            "return_to={given:?}"
        );
    }
}

#[tokio::test]
async fn signing_up_from_an_authorization_request_leads_back_to_it() {
    let (app, rp) = app_with_client(true).await;
    let b = app.browser();
    let authorize = authorize_path(&rp);
    let login = b.get_html(&authorize).await.location().unwrap();
    let page = b.get_html(&login).await.body;
    // The sign-in page's "Create one" link keeps where the person is going.
    let signup = format!("/signup?return_to={}", enc(&authorize));
    assert!(
        page.contains(&format!("href=\"{}\"", signup.replace('&', "&amp;"))),
        "{page}"
    );
    let page = b.get_html(&signup).await.body;
    assert_eq!(hidden(&page, "return_to"), authorize);
    let r = b
        .post(
            "/api/sign_up",
            &[
                ("username", "newcomer"),
                ("email", "newcomer@example.edu"),
                ("password", "a long new password"),
                ("password_confirm", "a long new password"),
                ("return_to", &authorize),
            ],
        )
        .await;
    let login = r
        .location()
        .unwrap_or_else(|| panic!("{} {}", r.status, r.body));
    assert_eq!(
        query_param(&login, "return_to").as_deref(),
        Some(authorize.as_str()),
        "{login}"
    );
    let page = b.get_html(&login).await.body;
    assert_eq!(hidden(&page, "return_to"), authorize);
}
