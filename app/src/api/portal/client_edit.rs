//! Editing a client on the portal's form. Beside the plain text fields: the
//! default maximum authentication age, the token-endpoint authentication method,
//! and the fields a form never sends because nobody edits them here (seed 001's
//! READ fields, and the secret, which only rotation issues) — issue 17.

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;
#[cfg(feature = "ssr")]
use domain::{clients::AuthMethod, DomainError};

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "portal/update_client")]
pub async fn update_client(
    csrf_token: String,
    id: String,
    name: String,
    #[server(default)] description: String,
    #[server(default)] redirect_uris: String,
    #[server(default)] post_logout_redirect_uris: String,
    #[server(default)] allowed_origins: String,
    #[server(default)] request_uris: String,
    #[server(default)] grant_refresh_token: Option<String>,
    #[server(default)] grant_client_credentials: Option<String>,
    #[server(default)] grant_device_code: Option<String>,
    #[server(default)] grant_token_exchange: Option<String>,
    #[server(default)] logo_uri: String,
    #[server(default)] client_uri: String,
    #[server(default)] policy_uri: String,
    #[server(default)] tos_uri: String,
    #[server(default)] jwks_uri: String,
    #[server(default)] contacts: String,
    #[server(default)] backchannel_logout_uri: String,
    #[server(default)] frontchannel_logout_uri: String,
    #[server(default)] frontchannel_logout_session_required: Option<String>,
    #[server(default)] id_token_alg: String,
    #[server(default)] userinfo_alg: String,
    #[server(default)] refresh_token_days: String,
    #[server(default)] password_grant: Option<String>,
    #[server(default)] justification: String,
    #[server(default)] version: Option<i64>,
    #[server(default)] default_max_age: String,
    #[server(default)] require_auth_time: Option<String>,
    #[server(default)] auth_method: String,
    #[server(default)] dpop_bound_access_tokens: Option<String>,
    #[server(default)] require_pushed_authorization_requests: Option<String>,
    #[server(default)] sector_identifier_uri: String,
    #[server(default)] subject_type: String,
    #[server(default)] jwks: String,
    #[server(default)] token_endpoint_auth_signing_alg: String,
    #[server(default)] request_object_signing_alg: String,
    // Not on the form: only `code` exists; anything else is refused by name.
    #[server(default)] response_types: Option<String>,
    #[server(default)] consent_every_time: Option<String>,
    // The administrators' section (issue 17): `governed` marks that it was on the
    // form, so its unticked boxes mean "off". Refused from anyone else.
    #[server(default)] governed: Option<String>,
    #[server(default)] access_token_ttl_secs: Option<String>,
    #[server(default)] first_party: Option<String>,
    #[server(default)] pre_authorized: Option<String>,
    #[server(default)] include_claims_in_id_token: String,
    #[server(default)] requestable_claims: Option<String>,
    // OIDC Registration §2 encryption (not on a service client's form: kept).
    #[server(default)] id_token_encrypted_response_alg: Option<String>,
    #[server(default)] id_token_encrypted_response_enc: Option<String>,
    #[server(default)] userinfo_encrypted_response_alg: Option<String>,
    #[server(default)] userinfo_encrypted_response_enc: Option<String>,
    #[server(default)] request_object_encryption_alg: Option<String>,
    #[server(default)] request_object_encryption_enc: Option<String>,
    // Never on the form: named only to be refused (seed 001's READ fields).
    #[server(default)] client_secret: Option<String>,
    #[server(default)] client_id: Option<String>,
    #[server(default)] created_at: Option<String>,
    #[server(default)] application_type: Option<String>,
) -> Result<(), AppError> {
    use super::clients::{grants_for, on};
    use super::conv::*;
    use crate::ssr::state;
    use domain::clients::ClientPatch;
    use domain::oauth::keys::Alg;
    check_csrf(&csrf_token)?;
    refuse_read_only(&[
        ("client_secret", &client_secret),
        ("client_id", &client_id),
        ("created_at", &created_at),
        ("application_type", &application_type),
    ])?;
    let st = state()?;
    let who = who()?;
    let governed_sent = [
        ("access_token_ttl_secs", &access_token_ttl_secs),
        ("first_party", &first_party),
        ("pre_authorized", &pre_authorized),
    ];
    if !who.is_admin() {
        // The section is not on a developer's form: a post naming its fields is
        // crafted, and refused whatever the value (stricter than seed 001's WRITE
        // for pre-authorization: docs/SECURITY.md).
        refuse_governed(&governed_sent)?;
    }
    let current = domain::portal::client_for(&st.db, &who, &id).await?;
    let alg = |field: &'static str, s: &str| -> Result<Option<Alg>, AppError> {
        match s {
            "" => Ok(None),
            a => Alg::parse(a)
                .map(Some)
                .ok_or_else(|| AppError::invalid(field, "Choose RS256 or ES256.")),
        }
    };
    let refresh_token_ttl_secs = match refresh_token_days.trim() {
        "" | "default" => None,
        d => Some(
            d.parse::<i64>()
                .map_err(|_| AppError::invalid("refresh_token_days", "Enter a number of days."))?
                * 86_400,
        ),
    };
    let mut sent = vec![
        ("name", name.clone()),
        ("description", description.clone()),
        ("redirect_uris", redirect_uris.clone()),
        (
            "post_logout_redirect_uris",
            post_logout_redirect_uris.clone(),
        ),
        ("allowed_origins", allowed_origins.clone()),
        ("request_uris", request_uris.clone()),
        ("grant_refresh_token", on(&grant_refresh_token)),
        ("grant_client_credentials", on(&grant_client_credentials)),
        ("grant_device_code", on(&grant_device_code)),
        ("grant_token_exchange", on(&grant_token_exchange)),
        ("logo_uri", logo_uri.clone()),
        ("client_uri", client_uri.clone()),
        ("policy_uri", policy_uri.clone()),
        ("tos_uri", tos_uri.clone()),
        ("jwks_uri", jwks_uri.clone()),
        ("contacts", contacts.clone()),
        ("backchannel_logout_uri", backchannel_logout_uri.clone()),
        ("frontchannel_logout_uri", frontchannel_logout_uri.clone()),
        (
            "frontchannel_logout_session_required",
            on(&frontchannel_logout_session_required),
        ),
        ("id_token_alg", id_token_alg.clone()),
        ("userinfo_alg", userinfo_alg.clone()),
        ("refresh_token_days", refresh_token_days.clone()),
        ("password_grant", on(&password_grant)),
        ("justification", justification.clone()),
        ("default_max_age", default_max_age.clone()),
        ("require_auth_time", on(&require_auth_time)),
        ("auth_method", auth_method.clone()),
        ("dpop_bound_access_tokens", on(&dpop_bound_access_tokens)),
        (
            "require_pushed_authorization_requests",
            on(&require_pushed_authorization_requests),
        ),
        ("sector_identifier_uri", sector_identifier_uri.clone()),
        ("subject_type", subject_type.clone()),
        ("jwks", jwks.clone()),
        (
            "token_endpoint_auth_signing_alg",
            token_endpoint_auth_signing_alg.clone(),
        ),
        (
            "request_object_signing_alg",
            request_object_signing_alg.clone(),
        ),
        ("consent_every_time", on(&consent_every_time)),
        (
            "access_token_ttl_secs",
            access_token_ttl_secs.clone().unwrap_or_default(),
        ),
        ("first_party", on(&first_party)),
        ("pre_authorized", on(&pre_authorized)),
        (
            "include_claims_in_id_token",
            include_claims_in_id_token.clone(),
        ),
        (
            "requestable_claims",
            requestable_claims.clone().unwrap_or_default(),
        ),
    ];
    let encryption = domain::clients::EncryptionPatch {
        id_token_encrypted_response_alg: id_token_encrypted_response_alg.clone().map(opt),
        id_token_encrypted_response_enc: id_token_encrypted_response_enc.clone().map(opt),
        userinfo_encrypted_response_alg: userinfo_encrypted_response_alg.clone().map(opt),
        userinfo_encrypted_response_enc: userinfo_encrypted_response_enc.clone().map(opt),
        request_object_encryption_alg: request_object_encryption_alg.clone().map(opt),
        request_object_encryption_enc: request_object_encryption_enc.clone().map(opt),
    };
    for (name, v) in [
        (
            "id_token_encrypted_response_alg",
            id_token_encrypted_response_alg,
        ),
        (
            "id_token_encrypted_response_enc",
            id_token_encrypted_response_enc,
        ),
        (
            "userinfo_encrypted_response_alg",
            userinfo_encrypted_response_alg,
        ),
        (
            "userinfo_encrypted_response_enc",
            userinfo_encrypted_response_enc,
        ),
        (
            "request_object_encryption_alg",
            request_object_encryption_alg,
        ),
        (
            "request_object_encryption_enc",
            request_object_encryption_enc,
        ),
    ] {
        sent.push((name, v.unwrap_or_default()));
    }
    let person = current.metadata.application_type != domain::clients::ApplicationType::Service;
    // Typing problems join the domain's, so every problem shows at once.
    let mut typed = Vec::new();
    let max_age = parse_max_age(&default_max_age)
        .map_err(|e| typed.push(e))
        .ok();
    let auth = parse_auth_method(&auth_method)
        .map_err(|e| typed.push(e))
        .ok()
        .flatten();
    let jwks = match jwks.trim() {
        "" => None,
        text => serde_json::from_str::<serde_json::Value>(text)
            .map_err(|_| {
                typed.push(DomainError::invalid(
                    "jwks",
                    "paste a JSON Web Key Set: {\"keys\": [ … ]}",
                ))
            })
            .ok(),
    };
    let subject_type = match subject_type.as_str() {
        // Not on the form (a service client's): left as it is.
        "" => current.metadata.subject_type,
        t => domain::clients::SubjectType::parse(t).unwrap_or_else(|| {
            typed.push(DomainError::invalid(
                "subject_type",
                "choose public or pairwise",
            ));
            current.metadata.subject_type
        }),
    };
    let governed = (who.is_admin()
        && (governed.is_some() || governed_sent.iter().any(|(_, v)| v.is_some())))
    .then(|| {
        let ttl = parse_access_token_ttl(access_token_ttl_secs.as_deref().unwrap_or_default())
            .map_err(|e| typed.push(e))
            .ok();
        domain::portal::Governed {
            access_token_ttl_secs: ttl,
            first_party: Some(first_party.is_some()),
            pre_authorized: Some(pre_authorized.is_some()),
        }
    });
    // OIDC Core §5.4 and §5.5; neither applies to service clients (nobody signs in).
    let in_id_token = match include_claims_in_id_token.as_str() {
        "" => None,
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            typed.push(DomainError::invalid(
                "include_claims_in_id_token",
                "choose the ID token and userinfo, or userinfo only",
            ));
            None
        }
    };
    let asked_claims = requestable_claims
        .as_deref()
        .filter(|_| person)
        .map(words)
        .and_then(|list| {
            domain::oauth::claims::requestable_list(&list)
                .map_err(|e| typed.push(e))
                .ok()
        });
    // The form shows every editable field, so it sends them all.
    let patch = ClientPatch {
        name: Some(name),
        description: Some(description),
        redirect_uris: Some(lines(&redirect_uris)),
        post_logout_redirect_uris: Some(lines(&post_logout_redirect_uris)),
        // Not shown for service clients (no browser app): left as they are.
        allowed_origins: person.then(|| lines(&allowed_origins)),
        // Not shown for service clients (no authorization requests).
        request_uris: person.then(|| lines(&request_uris)),
        grant_types: Some(grants_for(
            current.metadata.application_type,
            grant_refresh_token.is_some(),
            grant_client_credentials.is_some(),
            grant_device_code.is_some(),
            grant_token_exchange.is_some(),
        )),
        token_endpoint_auth_method: auth,
        logo_uri: Some(opt(logo_uri)),
        client_uri: Some(opt(client_uri)),
        policy_uri: Some(opt(policy_uri)),
        tos_uri: Some(opt(tos_uri)),
        jwks_uri: Some(opt(jwks_uri)),
        contacts: Some(words(&contacts)),
        id_token_signed_response_alg: alg("id_token_alg", &id_token_alg)?,
        userinfo_signed_response_alg: Some(alg("userinfo_alg", &userinfo_alg)?),
        // Not shown for service clients (nobody signs in): left as they are; a
        // maximum age that is not a number is left too (and reported below).
        default_max_age: max_age.filter(|_| person),
        require_auth_time: person.then_some(require_auth_time.is_some()),
        backchannel_logout_uri: Some(opt(backchannel_logout_uri)),
        // Portcullis always sends `sid` in logout tokens: nothing to choose.
        backchannel_logout_session_required: None,
        frontchannel_logout_uri: Some(opt(frontchannel_logout_uri)),
        frontchannel_logout_session_required: Some(frontchannel_logout_session_required.is_some()),
        require_pushed_authorization_requests: person
            .then_some(require_pushed_authorization_requests.is_some()),
        dpop_bound_access_tokens: Some(dpop_bound_access_tokens.is_some()),
        sector_identifier_uri: Some(opt(sector_identifier_uri)),
        // A set that is not JSON is left as it is (and reported below).
        jwks: (typed
            .iter()
            .all(|e| !matches!(e, DomainError::Invalid { field: "jwks", .. })))
        .then_some(jwks),
        token_endpoint_auth_signing_alg: Some(opt(token_endpoint_auth_signing_alg)),
        request_object_signing_alg: Some(opt(request_object_signing_alg)),
        response_types: response_types.map(|r| words(&r)),
        // Nobody signs in to a service client: no consent to remember.
        persist_consent: person.then_some(consent_every_time.is_none()),
        include_claims_in_id_token: in_id_token.filter(|_| person),
        encryption,
    };
    let mut problems = patch.clone().edit_problems(&current.metadata);
    for t in typed {
        // A field that could not be read has no domain problem of its own.
        problems.insert(0, t);
    }
    AppError::fields(problems, sent)?;
    let gated = domain::portal::Gated {
        refresh_token_ttl_secs,
        password_grant: password_grant.is_some(),
        subject_type,
        requestable_claims: asked_claims,
    };
    let out = domain::portal::update(
        &st.db,
        &st.clients,
        &st.documents,
        &who,
        &id,
        domain::portal::Edit {
            patch,
            gated: Some(gated),
            justification,
            expected_version: version,
            governed,
        },
        st.now(),
    )
    .await?;
    let notice = if out.needs_secret {
        "client_updated_needs_secret"
    } else if out.request.is_some() {
        "client_updated_request"
    } else {
        "client_updated"
    };
    leptos_axum::redirect(&format!("/developer/clients/{id}?notice={notice}"));
    Ok(())
}

#[cfg(feature = "ssr")]
/// Refuses a post that names a field this form does not edit, naming it (as the
/// REST API's PUT does) instead of ignoring it: a crafted post must not look as
/// if it had changed the secret or the client's identity.
fn refuse_read_only(sent: &[(&'static str, &Option<String>)]) -> Result<(), AppError> {
    for (field, v) in sent {
        if v.is_some() {
            let why = match *field {
                "client_secret" => {
                    "cannot be set: rotating the secret issues a new one (shown once)"
                }
                "application_type" => "is fixed at registration",
                _ => "is read-only",
            };
            return Err(AppError::invalid(*field, why));
        }
    }
    Ok(())
}

#[cfg(feature = "ssr")]
/// Refuses a developer's post naming a field of the administrators' section.
fn refuse_governed(sent: &[(&'static str, &Option<String>)]) -> Result<(), AppError> {
    match sent.iter().find(|(_, v)| v.is_some()) {
        Some((field, _)) => Err(AppError::invalid(*field, "is set by administrators")),
        None => Ok(()),
    }
}

#[cfg(feature = "ssr")]
/// The access-token lifetime as typed: seconds, or empty for the server's. The
/// bounds are the domain's; a number out of them is reported with the others.
fn parse_access_token_ttl(s: &str) -> Result<Option<i64>, DomainError> {
    let t = match s.trim() {
        "" => None,
        n => Some(n.parse::<i64>().map_err(|_| {
            DomainError::invalid(
                "access_token_ttl_secs",
                "enter a whole number of seconds, or leave it empty for the server's lifetime",
            )
        })?),
    };
    domain::portal::governed::check_access_token_ttl(t)?;
    Ok(t)
}

#[cfg(feature = "ssr")]
/// `default_max_age` as typed: seconds, or empty for no limit (OIDC Registration
/// §2). The range is the domain's to check; here only "is it a number".
fn parse_max_age(s: &str) -> Result<Option<i64>, DomainError> {
    match s.trim() {
        "" => Ok(None),
        n => n.parse::<i64>().map(Some).map_err(|_| {
            DomainError::invalid(
                "default_max_age",
                "enter a whole number of seconds, or leave it empty for no limit",
            )
        }),
    }
}

#[cfg(feature = "ssr")]
/// The authentication method chosen (empty: left as it is, for a form that does
/// not show it, such as a native client's).
fn parse_auth_method(s: &str) -> Result<Option<AuthMethod>, DomainError> {
    match s {
        "" => Ok(None),
        m => AuthMethod::parse(m).map(Some).ok_or_else(|| {
            DomainError::invalid(
                "token_endpoint_auth_method",
                "choose client_secret_basic, client_secret_post, private_key_jwt or none",
            )
        }),
    }
}
