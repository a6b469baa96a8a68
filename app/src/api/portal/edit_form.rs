//! The edit form's fields that are not plain text (issue 17): the default maximum
//! authentication age, the token-endpoint authentication method, and the fields a
//! form never sends because nobody edits them here (seed 001's READ fields, and
//! the secret, which only rotation issues).

use domain::clients::AuthMethod;
use domain::DomainError;

use crate::error::AppError;

/// Refuses a post that names a field this form does not edit, naming it (as the
/// REST API's PUT does) instead of ignoring it: a crafted post must not look as
/// if it had changed the secret or the client's identity.
pub fn refuse_read_only(sent: &[(&'static str, &Option<String>)]) -> Result<(), AppError> {
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

/// `default_max_age` as typed: seconds, or empty for no limit (OIDC Registration
/// §2). The range is the domain's to check; here only "is it a number".
pub fn max_age(s: &str) -> Result<Option<i64>, DomainError> {
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

/// The authentication method chosen (empty: left as it is, for a form that does
/// not show it, such as a native client's).
pub fn auth_method(s: &str) -> Result<Option<AuthMethod>, DomainError> {
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
