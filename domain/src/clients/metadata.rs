//! Client metadata as registered and edited: a [`ClientPatch`] (what a form or a
//! request body sent) applied to a client's [`ClientMetadata`] and validated for
//! its type of client (RFC 7591 names; RFC 9700 and RFC 8252 rules for redirect
//! URIs).

use super::encryption::{EncryptionPatch, Keys};
use super::model::{
    ApplicationType, AuthMethod, ClientMetadata, GrantType, SigningAlg, SubjectType,
};
use super::redirect_uri::RedirectUri;
use super::validate::{
    check_auth, check_grants, opt, validate_client_alg, validate_contact, validate_jwks,
    validate_logout_uri, validate_origin, validate_request_uri, validate_web_uri,
};
use crate::platform::clock::Timestamp;
use crate::{DomainError, DomainResult};

/// A client to create: its metadata as sent (validated by
/// [`crate::clients::store::create`]) and what the registering party decides.
#[derive(Clone, Debug, Default)]
pub struct NewClient {
    /// Default `web`.
    pub application_type: Option<ApplicationType>,
    /// Fields left out get the defaults of the type ([`ClientPatch::register`]).
    pub metadata: ClientPatch,
    pub scopes: Vec<String>,
    pub first_party: bool,
    /// No consent screen (the operator's or an administrator's decision).
    pub pre_authorized: bool,
    pub allowed_email_domains: Vec<String>,
    pub owner_id: Option<String>,
    /// Registration expiry (None = never).
    pub expires_at: Option<Timestamp>,
    /// Claims it may request individually (OIDC Core §5.5): set only by a
    /// registering party that may approve them (the operator, an administrator).
    pub requestable_claims: Vec<String>,
    /// OIDC Core §8 (approval-gated): set only by a registering party that may
    /// approve it; it needs a sector (see [`crate::clients::sector`]).
    pub subject_type: SubjectType,
    /// A developer's self-service registration: nobody has reviewed its grant types
    /// and redirect URIs yet. Otherwise (the operator, an administrator) the
    /// registration itself is the review.
    pub unreviewed: bool,
    /// Development or production (issue 13): production unless a developer
    /// registers it while the runtime setting says new clients start in development.
    pub stage: super::model::Stage,
}

/// The problems found so far, at most one per field (the first).
#[derive(Default)]
struct Problems(Vec<DomainError>);

impl Problems {
    fn add(&mut self, e: DomainError) {
        let field = match &e {
            DomainError::Invalid { field, .. } => Some(*field),
            _ => None,
        };
        let seen = field.is_some_and(|f| {
            self.0
                .iter()
                .any(|p| matches!(p, DomainError::Invalid { field, .. } if *field == f))
        });
        if !seen {
            self.0.push(e);
        }
    }

    fn check<T>(&mut self, r: DomainResult<T>) -> Option<T> {
        r.map_err(|e| self.add(e)).ok()
    }
}

/// An edit of a client's metadata as sent: `None` leaves a field as it is, so two
/// edits of different fields both apply (the REST API's PUT sends only what it
/// changes; the portal's form sends every field). Values are raw (untrimmed,
/// grant types as spelled) until [`ClientPatch::edit`] or
/// [`ClientPatch::register`] validates them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientPatch {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Validated against the type (native clients are public, others are not).
    pub token_endpoint_auth_method: Option<AuthMethod>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// For an edit, without `password` (approval-gated: see `portal::Gated`).
    pub grant_types: Option<Vec<String>>,
    /// `Some(None)` clears the field.
    pub logo_uri: Option<Option<String>>,
    pub client_uri: Option<Option<String>>,
    pub policy_uri: Option<Option<String>>,
    pub tos_uri: Option<Option<String>>,
    pub jwks_uri: Option<Option<String>>,
    pub contacts: Option<Vec<String>>,
    pub id_token_signed_response_alg: Option<SigningAlg>,
    pub userinfo_signed_response_alg: Option<Option<SigningAlg>>,
    /// Seconds, [`limits::MIN_DEFAULT_MAX_AGE`] to [`limits::MAX_DEFAULT_MAX_AGE`];
    /// `Some(None)` clears it.
    pub default_max_age: Option<Option<i64>>,
    pub require_auth_time: Option<bool>,
    /// `Some(None)` clears it.
    pub backchannel_logout_uri: Option<Option<String>>,
    pub backchannel_logout_session_required: Option<bool>,
    pub frontchannel_logout_uri: Option<Option<String>>,
    pub frontchannel_logout_session_required: Option<bool>,
    pub require_pushed_authorization_requests: Option<bool>,
    pub dpop_bound_access_tokens: Option<bool>,
    /// Exact origins (CORS); validated by [`validate_origin`].
    pub allowed_origins: Option<Vec<String>>,
    /// `Some(None)` clears it. Its document is checked by
    /// [`crate::clients::sector`] before an edit is saved.
    pub sector_identifier_uri: Option<Option<String>>,
    /// `Some(None)` clears it; validated by [`validate_jwks`].
    pub jwks: Option<Option<serde_json::Value>>,
    /// `Some(None)` clears them; one of [`CLIENT_SIGNING_ALGS`].
    pub token_endpoint_auth_signing_alg: Option<Option<String>>,
    pub request_object_signing_alg: Option<Option<String>>,
    /// Only `["code"]` is accepted (OAuth 2.1).
    pub response_types: Option<Vec<String>>,
    /// Validated by [`validate_request_uri`].
    pub request_uris: Option<Vec<String>>,
    pub persist_consent: Option<bool>,
    /// OIDC Core §5.4: scope-released claims in the ID token too (default true).
    pub include_claims_in_id_token: Option<bool>,
    /// The six JWE fields (see [`super::encryption`]).
    pub encryption: EncryptionPatch,
}

/// The metadata a new client of this type starts from.
pub fn defaults(app: ApplicationType) -> ClientMetadata {
    ClientMetadata {
        name: String::new(),
        description: String::new(),
        application_type: app,
        token_endpoint_auth_method: match app {
            ApplicationType::Native => AuthMethod::None,
            _ => AuthMethod::ClientSecretBasic,
        },
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: match app {
            ApplicationType::Service => vec![GrantType::ClientCredentials],
            _ => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        },
        logo_uri: None,
        client_uri: None,
        policy_uri: None,
        tos_uri: None,
        jwks_uri: None,
        contacts: Vec::new(),
        id_token_signed_response_alg: SigningAlg::RS256,
        userinfo_signed_response_alg: None,
        default_max_age: None,
        require_auth_time: false,
        backchannel_logout_uri: None,
        backchannel_logout_session_required: false,
        frontchannel_logout_uri: None,
        frontchannel_logout_session_required: false,
        require_pushed_authorization_requests: false,
        dpop_bound_access_tokens: false,
        allowed_origins: Vec::new(),
        subject_type: SubjectType::Public,
        sector_identifier_uri: None,
        jwks: None,
        token_endpoint_auth_signing_alg: None,
        request_object_signing_alg: None,
        response_types: ::metadata::code_only(),
        request_uris: Vec::new(),
        persist_consent: true,
        // Approval-gated (`portal::Gated`): never set by a patch.
        requestable_claims: Vec::new(),
        include_claims_in_id_token: true,
        id_token_encrypted_response_alg: None,
        id_token_encrypted_response_enc: None,
        userinfo_encrypted_response_alg: None,
        userinfo_encrypted_response_enc: None,
        request_object_encryption_alg: None,
        request_object_encryption_enc: None,
    }
}

impl ClientPatch {
    /// Every field of `m`, as a form that shows them all sends them.
    pub fn all(m: &ClientMetadata) -> Self {
        Self {
            name: Some(m.name.clone()),
            description: Some(m.description.clone()),
            token_endpoint_auth_method: Some(m.token_endpoint_auth_method),
            redirect_uris: Some(m.redirect_uris.clone()),
            post_logout_redirect_uris: Some(m.post_logout_redirect_uris.clone()),
            grant_types: Some(
                m.grant_types
                    .iter()
                    .map(|g| g.as_str().to_owned())
                    .collect(),
            ),
            logo_uri: Some(m.logo_uri.clone()),
            client_uri: Some(m.client_uri.clone()),
            policy_uri: Some(m.policy_uri.clone()),
            tos_uri: Some(m.tos_uri.clone()),
            jwks_uri: Some(m.jwks_uri.clone()),
            contacts: Some(m.contacts.clone()),
            id_token_signed_response_alg: Some(m.id_token_signed_response_alg),
            userinfo_signed_response_alg: Some(m.userinfo_signed_response_alg),
            default_max_age: Some(m.default_max_age),
            require_auth_time: Some(m.require_auth_time),
            backchannel_logout_uri: Some(m.backchannel_logout_uri.clone()),
            backchannel_logout_session_required: Some(m.backchannel_logout_session_required),
            frontchannel_logout_uri: Some(m.frontchannel_logout_uri.clone()),
            frontchannel_logout_session_required: Some(m.frontchannel_logout_session_required),
            require_pushed_authorization_requests: Some(m.require_pushed_authorization_requests),
            dpop_bound_access_tokens: Some(m.dpop_bound_access_tokens),
            allowed_origins: Some(m.allowed_origins.clone()),
            sector_identifier_uri: Some(m.sector_identifier_uri.clone()),
            jwks: Some(m.jwks.clone()),
            token_endpoint_auth_signing_alg: Some(m.token_endpoint_auth_signing_alg.clone()),
            request_object_signing_alg: Some(m.request_object_signing_alg.clone()),
            response_types: Some(m.response_types.clone()),
            request_uris: Some(m.request_uris.clone()),
            persist_consent: Some(m.persist_consent),
            include_claims_in_id_token: Some(m.include_claims_in_id_token),
            encryption: EncryptionPatch::all(m),
        }
    }

    /// The metadata of a new client of type `app`: the defaults of the type with
    /// this patch applied, validated. An empty list of grant types means the
    /// type's default.
    pub fn register(mut self, app: ApplicationType) -> DomainResult<ClientMetadata> {
        if self.grant_types.as_ref().is_some_and(Vec::is_empty) {
            self.grant_types = None;
        }
        self.apply_to(&defaults(app))
    }

    /// `current` with this edit applied, validated. The password grant is not
    /// edited here (it is approval-gated): it stays as `current` has it.
    pub fn edit(self, current: &ClientMetadata) -> DomainResult<ClientMetadata> {
        let mut base = current.clone();
        base.grant_types.retain(|g| *g != GrantType::Password);
        let mut next = self.apply_to(&base)?;
        next.grant_types.retain(|g| *g != GrantType::Password);
        if current.allows(GrantType::Password) {
            next.grant_types.push(GrantType::Password);
        }
        Ok(next)
    }

    /// Every problem with registering this patch as a client of type `app`, one per
    /// field (empty when [`ClientPatch::register`] would accept it): a form shows
    /// them all at once, beside their fields (issue 13, defect 4).
    pub fn registration_problems(mut self, app: ApplicationType) -> Vec<DomainError> {
        if self.grant_types.as_ref().is_some_and(Vec::is_empty) {
            self.grant_types = None;
        }
        self.apply_all(&defaults(app)).err().unwrap_or_default()
    }

    /// Every problem with this edit of `current`, one per field (see
    /// [`ClientPatch::registration_problems`]).
    pub fn edit_problems(self, current: &ClientMetadata) -> Vec<DomainError> {
        let mut base = current.clone();
        base.grant_types.retain(|g| *g != GrantType::Password);
        self.apply_all(&base).err().unwrap_or_default()
    }

    /// `base` with the fields of this patch, validated for `base`'s type.
    fn apply_to(self, base: &ClientMetadata) -> DomainResult<ClientMetadata> {
        self.apply_all(base).map_err(|mut all| all.swap_remove(0))
    }

    /// [`ClientPatch::apply_to`], going on past a field's problem to find those of
    /// the other fields (the first error first; at most one per field).
    fn apply_all(self, base: &ClientMetadata) -> Result<ClientMetadata, Vec<DomainError>> {
        let mut problems = Problems::default();
        let app = base.application_type;
        let keep = |v: Option<Option<String>>, b: &Option<String>| v.unwrap_or_else(|| b.clone());
        let keep_list = |v: Option<Vec<String>>, b: &[String]| v.unwrap_or_else(|| b.to_vec());
        let name = problems
            .check(crate::platform::text::line(
                "name",
                self.name.as_deref().unwrap_or(&base.name),
                limits::CLIENT_NAME,
            ))
            .unwrap_or_default();
        if name.is_empty() {
            problems.add(DomainError::invalid(
                "name",
                format!("must be 1 to {} characters", limits::CLIENT_NAME),
            ));
        }
        let description = problems
            .check(crate::platform::text::paragraph(
                "description",
                self.description.as_deref().unwrap_or(&base.description),
                limits::CLIENT_DESCRIPTION,
            ))
            .unwrap_or_default();
        let redirect_uris = keep_list(self.redirect_uris, &base.redirect_uris);
        let post_logout = keep_list(
            self.post_logout_redirect_uris,
            &base.post_logout_redirect_uris,
        );
        let origins = keep_list(self.allowed_origins, &base.allowed_origins);
        let request_uris = keep_list(self.request_uris, &base.request_uris);
        let grants = self.grant_types.unwrap_or_else(|| {
            base.grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect()
        });
        let contacts = keep_list(self.contacts, &base.contacts);
        // Lists are bounded before anything looks at their entries: a list over
        // its bound is not looked into.
        let bounded = |problems: &mut Problems, field, list: &[String], max| {
            problems
                .check(crate::platform::text::check_items(field, list, max))
                .is_some()
        };
        let clean = |v: &[String]| -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            for x in v.iter().map(|x| x.trim()).filter(|x| !x.is_empty()) {
                if !out.iter().any(|o| o == x) {
                    out.push(x.to_owned());
                }
            }
            out
        };
        let redirect_uris = if bounded(
            &mut problems,
            "redirect_uris",
            &redirect_uris,
            limits::REDIRECT_URIS,
        ) {
            clean(&redirect_uris)
        } else {
            Vec::new()
        };
        let post_logout = if bounded(
            &mut problems,
            "post_logout_redirect_uris",
            &post_logout,
            limits::POST_LOGOUT_REDIRECT_URIS,
        ) {
            clean(&post_logout)
        } else {
            Vec::new()
        };
        let origins = if bounded(
            &mut problems,
            "allowed_origins",
            &origins,
            limits::ALLOWED_ORIGINS,
        ) {
            clean(&origins)
        } else {
            Vec::new()
        };
        for o in &origins {
            problems.check(validate_origin(o));
        }
        let request_uris = if bounded(
            &mut problems,
            "request_uris",
            &request_uris,
            limits::REQUEST_URIS,
        ) {
            clean(&request_uris)
        } else {
            Vec::new()
        };
        for u in &request_uris {
            problems.check(validate_request_uri(app, u));
        }
        let grants_ok = bounded(&mut problems, "grant_types", &grants, limits::GRANT_TYPES);
        let contacts = if bounded(&mut problems, "contacts", &contacts, limits::CONTACTS) {
            clean(&contacts)
        } else {
            Vec::new()
        };
        let auth = self
            .token_endpoint_auth_method
            .unwrap_or(base.token_endpoint_auth_method);
        problems.check(check_auth(app, auth));
        let grant_types = if grants_ok {
            problems
                .check(check_grants(app, &clean(&grants)))
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        if app != ApplicationType::Service
            && redirect_uris.is_empty()
            && grant_types.contains(&GrantType::AuthorizationCode)
        {
            problems.add(DomainError::invalid(
                "redirect_uris",
                "need at least one entry for the authorization code grant",
            ));
        }
        for uri in &redirect_uris {
            problems.check(RedirectUri::parse(app, uri));
        }
        for uri in &post_logout {
            problems.check(RedirectUri::parse(app, uri).map_err(|e| match e {
                DomainError::Invalid { message, .. } => {
                    DomainError::invalid("post_logout_redirect_uris", message)
                }
                other => other,
            }));
        }
        let (logo, home, policy, tos, jwks) = (
            opt(&keep(self.logo_uri, &base.logo_uri)),
            opt(&keep(self.client_uri, &base.client_uri)),
            opt(&keep(self.policy_uri, &base.policy_uri)),
            opt(&keep(self.tos_uri, &base.tos_uri)),
            opt(&keep(self.jwks_uri, &base.jwks_uri)),
        );
        for (field, v) in [
            ("logo_uri", &logo),
            ("client_uri", &home),
            ("policy_uri", &policy),
            ("tos_uri", &tos),
            ("jwks_uri", &jwks),
        ] {
            if let Some(v) = v {
                problems.check(validate_web_uri(field, v));
            }
        }
        for c in &contacts {
            problems.check(validate_contact(c));
        }
        let sector_uri = opt(&keep(
            self.sector_identifier_uri,
            &base.sector_identifier_uri,
        ));
        if let Some(v) = &sector_uri {
            problems.check(validate_web_uri("sector_identifier_uri", v));
        }
        let jwks_inline = self.jwks.unwrap_or_else(|| base.jwks.clone());
        if let Some(set) = &jwks_inline {
            problems.check(validate_jwks(set));
            if jwks.is_some() {
                problems.add(DomainError::invalid(
                    "jwks",
                    "give the keys either inline (jwks) or at jwks_uri, not both (RFC 7591 §2)",
                ));
            }
        }
        let assertion_alg = self
            .token_endpoint_auth_signing_alg
            .unwrap_or_else(|| base.token_endpoint_auth_signing_alg.clone())
            .filter(|a| !a.is_empty());
        let object_alg = self
            .request_object_signing_alg
            .unwrap_or_else(|| base.request_object_signing_alg.clone())
            .filter(|a| !a.is_empty());
        for (field, alg) in [
            ("token_endpoint_auth_signing_alg", &assertion_alg),
            ("request_object_signing_alg", &object_alg),
        ] {
            if let Some(a) = alg {
                problems.check(validate_client_alg(field, a));
            }
        }
        let response_types = self
            .response_types
            .unwrap_or_else(|| base.response_types.clone());
        if response_types != ::metadata::code_only() {
            problems.add(DomainError::invalid(
                "response_types",
                "only [\"code\"] is supported: OAuth 2.1 has no implicit or hybrid flows",
            ));
        }

        let (backchannel, frontchannel) = (
            opt(&keep(
                self.backchannel_logout_uri,
                &base.backchannel_logout_uri,
            )),
            opt(&keep(
                self.frontchannel_logout_uri,
                &base.frontchannel_logout_uri,
            )),
        );
        for (field, v) in [
            ("backchannel_logout_uri", &backchannel),
            ("frontchannel_logout_uri", &frontchannel),
        ] {
            if let Some(v) = v {
                problems.check(validate_logout_uri(app, field, v));
            }
        }
        let default_max_age = self.default_max_age.unwrap_or(base.default_max_age);
        if let Some(secs) = default_max_age {
            // At least a minute: a person who has just signed in must not be sent
            // to sign in again because the redirect back took a second (a client
            // that wants a sign-in every time sends `prompt=login`).
            if !(limits::MIN_DEFAULT_MAX_AGE..=limits::MAX_DEFAULT_MAX_AGE).contains(&secs) {
                problems.add(DomainError::invalid(
                    "default_max_age",
                    format!(
                        "must be {} to {} seconds (one year), or empty for no limit; for a sign-in every time, send prompt=login",
                        limits::MIN_DEFAULT_MAX_AGE,
                        limits::MAX_DEFAULT_MAX_AGE
                    ),
                ));
            }
        }
        let keys = match (&jwks_inline, &jwks) {
            (Some(set), _) => Keys::Inline(set),
            (None, Some(_)) => Keys::AtUri,
            (None, None) => Keys::Missing,
        };
        let (encryption, found) = self.encryption.apply(base, keys);
        for e in found {
            problems.add(e);
        }
        if auth == AuthMethod::PrivateKeyJwt && jwks.is_none() && jwks_inline.is_none() {
            problems.add(DomainError::invalid(
                "token_endpoint_auth_method",
                "private_key_jwt needs the client's keys: set jwks_uri (or jwks)",
            ));
        }
        if !problems.0.is_empty() {
            return Err(problems.0);
        }
        let next = ClientMetadata {
            default_max_age,
            require_auth_time: self.require_auth_time.unwrap_or(base.require_auth_time),
            backchannel_logout_uri: backchannel,
            backchannel_logout_session_required: self
                .backchannel_logout_session_required
                .unwrap_or(base.backchannel_logout_session_required),
            frontchannel_logout_uri: frontchannel,
            frontchannel_logout_session_required: self
                .frontchannel_logout_session_required
                .unwrap_or(base.frontchannel_logout_session_required),
            require_pushed_authorization_requests: self
                .require_pushed_authorization_requests
                .unwrap_or(base.require_pushed_authorization_requests),
            dpop_bound_access_tokens: self
                .dpop_bound_access_tokens
                .unwrap_or(base.dpop_bound_access_tokens),
            allowed_origins: origins,
            request_uris,
            persist_consent: self.persist_consent.unwrap_or(base.persist_consent),
            // Approval-gated: kept as it is (see `portal::Gated`).
            requestable_claims: base.requestable_claims.clone(),
            include_claims_in_id_token: self
                .include_claims_in_id_token
                .unwrap_or(base.include_claims_in_id_token),
            name,
            description,
            application_type: app,
            token_endpoint_auth_method: auth,
            redirect_uris,
            post_logout_redirect_uris: post_logout,
            grant_types,
            logo_uri: logo,
            client_uri: home,
            policy_uri: policy,
            tos_uri: tos,
            jwks_uri: jwks,
            contacts,
            id_token_signed_response_alg: self
                .id_token_signed_response_alg
                .unwrap_or(base.id_token_signed_response_alg),
            userinfo_signed_response_alg: self
                .userinfo_signed_response_alg
                .unwrap_or(base.userinfo_signed_response_alg),
            // Approval-gated: changed only through `portal::Gated`.
            subject_type: base.subject_type,
            sector_identifier_uri: sector_uri,
            jwks: jwks_inline,
            token_endpoint_auth_signing_alg: assertion_alg,
            request_object_signing_alg: object_alg,
            response_types,
            id_token_encrypted_response_alg: encryption.id_token.0,
            id_token_encrypted_response_enc: encryption.id_token.1,
            userinfo_encrypted_response_alg: encryption.userinfo.0,
            userinfo_encrypted_response_enc: encryption.userinfo.1,
            request_object_encryption_alg: encryption.request_object.0,
            request_object_encryption_enc: encryption.request_object.1,
        };
        match super::sector::problem(Some(base), &next) {
            Some(e) => Err(vec![e]),
            None => Ok(next),
        }
    }
}

#[cfg(test)]
mod tests;
