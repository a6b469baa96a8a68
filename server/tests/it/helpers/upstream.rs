//! A real upstream OpenID provider for the tests: a second Portcullis, on
//! `localhost` (its cookies apart from the app's on `127.0.0.1`), with a
//! confidential client for the app, whose redirect URI is the app's callback.

use domain::accounts::upstream::{ClientAuth, ProviderConfig};
use domain::clients::{ApplicationType, AuthMethod, ClientPatch, NewClient};

use super::*;

pub const PROVIDER: &str = "campus";

/// The app, the provider it trusts, and the app's client at the provider.
pub struct Federation {
    pub provider: TestApp,
    pub app: TestApp,
    pub client: Creds,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// How the app knows the provider.
pub enum Known {
    /// A `[[upstream]]` section of its settings (`tweak`ed before it starts).
    Settings(Box<dyn FnOnce(&mut ProviderConfig)>),
    /// Nothing at start: an administrator adds it on the page
    /// ([`Federation::add_by_admin`]), with the client registered at the
    /// provider for this way of authenticating.
    Admin(ClientAuth),
}

impl Federation {
    /// `tweak` changes the app's `[[upstream]]` section before it starts.
    pub async fn start(tweak: impl FnOnce(&mut ProviderConfig) + 'static) -> Federation {
        Self::start_with(Known::Settings(Box::new(tweak)), |_| {}).await
    }

    /// The app and the provider; `app_tweak` changes the app's settings.
    pub async fn start_with(known: Known, app_tweak: impl FnOnce(&mut Settings)) -> Federation {
        let provider = spawn_app_with(|s| {
            s.issuer = format!("http://localhost:{}", s.bind.port());
            // It reads the app's keys (private_key_jwt) at 127.0.0.1.
            s.outbound.allow_private_addresses = true;
        })
        .await;
        // The app's address must be known for its client at the provider.
        let port = free_port();
        let app_base = format!("http://127.0.0.1:{port}");
        let callback = format!("{app_base}/api/upstream_callback");
        let key_only = matches!(known, Known::Admin(ClientAuth::PrivateKeyJwt));
        let auth = match known {
            Known::Admin(ClientAuth::ClientSecretPost) => AuthMethod::ClientSecretPost,
            Known::Admin(ClientAuth::PrivateKeyJwt) => AuthMethod::PrivateKeyJwt,
            _ => AuthMethod::ClientSecretBasic,
        };
        let client = register(
            &provider,
            NewClient {
                metadata: ClientPatch {
                    name: Some("Portcullis downstream".into()),
                    redirect_uris: Some(vec![callback]),
                    token_endpoint_auth_method: Some(auth),
                    jwks_uri: key_only.then(|| Some(format!("{app_base}/oauth/jwks"))),
                    ..Default::default()
                },
                application_type: Some(ApplicationType::Web),
                scopes: ["openid", "profile", "email", "portcullis_role"]
                    .iter()
                    .map(|s| s.to_string())
                    .collect(),
                ..Default::default()
            },
        )
        .await;
        let fixed = match known {
            Known::Settings(tweak) => {
                let mut config: ProviderConfig = serde_json::from_value(serde_json::json!({
                    "id": PROVIDER,
                    "name": "Campus IdM",
                    "issuer": provider.settings.issuer,
                    "client_id": client.id,
                    "client_secret": client.secret,
                    "domains": ["campus.example"],
                }))
                .unwrap();
                tweak(&mut config);
                vec![config]
            }
            Known::Admin(_) => vec![],
        };
        let app = spawn_app_with(move |s| {
            s.bind = format!("127.0.0.1:{port}").parse().unwrap();
            s.issuer = app_base;
            s.upstream = fixed;
            app_tweak(s);
        })
        .await;
        Federation {
            provider,
            app,
            client,
        }
    }

    /// The form an administrator fills in to add the provider (`client_auth`
    /// and, for a secret, the client's secret), to change at will.
    pub fn form(&self, client_auth: ClientAuth) -> Vec<(String, String)> {
        let mut f = vec![
            ("id", PROVIDER.to_owned()),
            ("name", "Campus IdM".to_owned()),
            ("issuer", self.provider.settings.issuer.clone()),
            ("client_id", self.client.id.clone()),
            ("client_auth", client_auth.as_str().to_owned()),
            ("scopes", "profile email".to_owned()),
            ("domains", "campus.example".to_owned()),
            ("provision", "on".to_owned()),
            ("default_role", "user".to_owned()),
        ];
        if client_auth.uses_secret() {
            f.push(("client_secret", self.client.secret.clone()));
        }
        f.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    /// An administrator of the app adds the provider with `form`: the reply.
    pub async fn add_by_admin(&self, admin: &Browser, form: &[(String, String)]) -> Reply {
        let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        admin.post("/api/admin/sign-in-providers/add", &refs).await
    }

    /// A person at the provider, with an address on the provider's domain.
    pub async fn person(&self, username: &str, role: Role, verified: bool) -> User {
        let u = create_user(&self.provider.db, username, role).await;
        self.provider
            .db
            .execute_unprepared(&format!(
                "UPDATE users SET email = '{username}@campus.example', email_verified = {} \
                 WHERE id = '{}'",
                if verified { "TRUE" } else { "FALSE" },
                u.id
            ))
            .await
            .unwrap();
        u
    }

    /// The same browser, at the provider.
    pub fn at_provider(&self, b: &Browser) -> Browser {
        Browser {
            client: b.client.clone(),
            base: self.provider.settings.issuer.clone(),
        }
    }

    /// Presses "Continue with Campus IdM" on the app's sign-in page: where the
    /// browser is sent.
    pub async fn start_sign_in(&self, b: &Browser, return_to: &str) -> String {
        let r = b
            .post(
                "/api/upstream_start",
                &[("provider", PROVIDER), ("return_to", return_to)],
            )
            .await;
        r.location()
            .unwrap_or_else(|| panic!("to the provider: {} {}", r.status, r.body))
    }

    /// At the provider: signs `who` in (when needed), opens the authorization
    /// request `url`, allows it, and returns where the provider sends the browser
    /// back (the app's callback, with the code or an error).
    pub async fn consent(&self, b: &Browser, who: &str, url: &str, allow: bool) -> String {
        let p = self.at_provider(b);
        if p.signed_in_as().await.as_deref() != Some(who) {
            let r = p.sign_in(who, ADMIN_PASSWORD).await;
            assert!(r.status < 400, "{} {}", r.status, r.body);
        }
        let path = url
            .strip_prefix(&self.provider.settings.issuer)
            .expect("an address at the provider");
        let loc = p.get(path).await.location().expect("authorize redirects");
        if !loc.starts_with("/oauth/consent?") {
            return loc;
        }
        let mut fields: Vec<(String, String)> = url::Url::parse(&format!("http://x{loc}"))
            .unwrap()
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let decision = if allow { "allow" } else { "deny" };
        fields.push(("decision".into(), decision.into()));
        let refs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        p.post("/oauth/consent", &refs)
            .await
            .location()
            .expect("consent redirects")
    }

    /// The browser arrives back at the app's callback `url`: the app's answer.
    pub async fn back(&self, b: &Browser, url: &str) -> Reply {
        let path = url
            .strip_prefix(&self.app.base)
            .unwrap_or_else(|| panic!("back at the app: {url}"));
        b.get_html(path).await
    }

    /// The whole way: start, sign in and allow at the provider as `who`, back.
    pub async fn sign_in(&self, b: &Browser, who: &str, return_to: &str) -> Reply {
        let url = self.start_sign_in(b, return_to).await;
        let back = self.consent(b, who, &url, true).await;
        self.back(b, &back).await
    }
}
