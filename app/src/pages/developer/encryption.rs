//! The edit form's encryption fields (OpenID Connect Registration §2): for ID
//! tokens, userinfo responses and request objects, a key management (`alg`) and
//! a content encryption (`enc`), or none.

use leptos::prelude::*;
use metadata::jwe::{DEFAULT_ENC, ENCS, REQUEST_OBJECT_ALGS, SEAL_ALGS};

use crate::components::forms::{INPUT, LABEL};
use crate::error::AppError;
use crate::model::ClientMetadata;

/// The form's names of the six fields (for the form's error summary).
pub(super) const ENCRYPTION_FIELDS: [&str; 6] = [
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "userinfo_encrypted_response_alg",
    "userinfo_encrypted_response_enc",
    "request_object_encryption_alg",
    "request_object_encryption_enc",
];

/// One `alg`/`enc` pair as two selects, each with its own error.
#[component]
fn Pair<F, S>(
    title: &'static str,
    alg_name: &'static str,
    enc_name: &'static str,
    algs: &'static [&'static str],
    off: &'static str,
    alg: Option<String>,
    enc: Option<String>,
    sent: S,
    error: F,
) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
    S: Fn(&str, String) -> String + Send + Sync + 'static + Copy,
{
    let alg = sent(alg_name, alg.unwrap_or_default());
    let enc = sent(enc_name, enc.unwrap_or_default());
    let select = move |name: &'static str,
                       label: String,
                       chosen: String,
                       none: String,
                       values: &'static [&'static str]| {
        let id = format!("f-{name}");
        let err_id = format!("{id}-error");
        let message = move || error().and_then(|e| e.field_message(name));
        view! {
            <div>
                <label for=id.clone() class=LABEL>{label}</label>
                <select id=id name=name class=INPUT aria-describedby=err_id.clone()
                    aria-invalid=move || message().is_some().then_some("true")>
                    <option value="" selected=chosen.is_empty()>{none}</option>
                    {values.iter().map(|v| view! {
                        <option value=*v selected=chosen == *v>{*v}</option>
                    }).collect_view()}
                </select>
                <p id=err_id class="mt-1 text-sm text-red-700">{message}</p>
            </div>
        }
    };
    view! {
        <div class="mb-2 grid gap-4 sm:grid-cols-2">
            {select(alg_name, format!("{title}: key management"), alg, off.to_owned(), algs)}
            {select(enc_name, format!("{title}: content encryption"), enc, format!("Default ({DEFAULT_ENC})"), ENCS)}
        </div>
    }
}

/// The three pairs, with what they do in plain words.
#[component]
pub(super) fn EncryptionFields<F, S>(m: ClientMetadata, sent: S, error: F) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
    S: Fn(&str, String) -> String + Send + Sync + 'static + Copy,
{
    view! {
        <fieldset class="mb-4">
            <legend class=LABEL>"Encryption (JWE)"</legend>
            <p class="mb-2 text-xs text-slate-500">"ID tokens and userinfo responses can be signed and then encrypted to your app's public key (a key of your JWKS with \"use\": \"enc\", or without \"use\"). Request objects can be encrypted to Portcullis's key; once you choose that, unencrypted ones are refused."</p>
            <Pair title="ID tokens" alg_name="id_token_encrypted_response_alg" enc_name="id_token_encrypted_response_enc"
                algs=SEAL_ALGS off="Not encrypted" alg=m.id_token_encrypted_response_alg.clone() enc=m.id_token_encrypted_response_enc.clone() sent error/>
            <Pair title="Userinfo" alg_name="userinfo_encrypted_response_alg" enc_name="userinfo_encrypted_response_enc"
                algs=SEAL_ALGS off="Not encrypted" alg=m.userinfo_encrypted_response_alg.clone() enc=m.userinfo_encrypted_response_enc.clone() sent error/>
            <Pair title="Request objects" alg_name="request_object_encryption_alg" enc_name="request_object_encryption_enc"
                algs=REQUEST_OBJECT_ALGS off="Plain or encrypted" alg=m.request_object_encryption_alg.clone() enc=m.request_object_encryption_enc.clone() sent error/>
        </fieldset>
    }
}
