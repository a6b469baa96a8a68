//! How the audit viewer shows one stored event to people (issue 13, defect 8):
//! people and clients by name, linked to their pages; the change as field, before
//! and after in words (the three shapes the domain writes: `{before, after}` of
//! objects or of one value, and `{changes: {field: {before, after}}}`); the other
//! details as label and value; and the event as stored, for the raw view.

use std::collections::HashMap;

use domain::audit::query::{rfc3339, EventRow};
use serde_json::{json, Map, Value};

use super::audit::{encode, AuditEventView, Change, Party};

/// Display names for the ids on a page of events.
pub struct Names {
    /// user id → user name
    pub users: HashMap<String, String>,
    /// client id → client name
    pub clients: HashMap<String, String>,
}

/// The ids of `kind` (as actor or target) among `events`.
pub fn ids_of(events: &[EventRow], kind: &str) -> Vec<String> {
    events
        .iter()
        .flat_map(|e| {
            let actor = (e.actor_kind == kind).then(|| e.actor_id.clone());
            let target = (e.target_kind.as_deref() == Some(kind)).then(|| e.target_id.clone());
            actor.flatten().into_iter().chain(target.flatten())
        })
        .collect()
}

pub fn event_view(e: &EventRow, names: &Names) -> AuditEventView {
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let (changes, details) = describe(&e.event_type, &data);
    let raw = json!({
        "id": e.id,
        "seq": e.seq,
        "occurred_at": rfc3339(e.occurred_at),
        "event_type": e.event_type,
        "actor": { "kind": e.actor_kind, "id": e.actor_id },
        "target": { "kind": e.target_kind, "id": e.target_id },
        "ip": e.ip,
        "data": data,
        "hash": e.hash,
    });
    AuditEventView {
        id: e.id,
        seq: e.seq,
        time: rfc3339(e.occurred_at),
        event_type: e.event_type.clone(),
        actor: party(&e.actor_kind, e.actor_id.as_deref(), names),
        target: e
            .target_kind
            .as_deref()
            .map(|k| party(k, e.target_id.as_deref(), names)),
        ip: e.ip.clone().unwrap_or_default(),
        changes,
        details,
        raw: serde_json::to_string_pretty(&raw).unwrap_or_default(),
    }
}

/// An actor or target by name. Opaque ids (requests, tokens, consents) are not
/// shown here: they are in the raw event.
fn party(kind: &str, id: Option<&str>, names: &Names) -> Party {
    let id = id.unwrap_or_default();
    let (kind_label, label, href) = match kind {
        "user" => match names.users.get(id) {
            Some(n) => (
                "Person",
                n.clone(),
                Some(format!("/admin/users?search={}", encode(n))),
            ),
            None => ("Person", "a deleted account".to_owned(), None),
        },
        "client" => match names.clients.get(id) {
            Some(n) => (
                "Client",
                n.clone(),
                Some(format!("/developer/clients/{}", encode(id))),
            ),
            None => ("Client", format!("a deleted client ({id})"), None),
        },
        "rule" => (
            "Approval rule",
            format!("the rule for {id}"),
            Some("/admin/rules".to_owned()),
        ),
        "system" => ("System", "Portcullis".to_owned(), None),
        "operator" => ("Operator", "the command line".to_owned(), None),
        "anonymous" => ("Anonymous", "someone not signed in".to_owned(), None),
        "scope" => ("Scope", id.to_owned(), None),
        "resource" => ("API", id.to_owned(), None),
        "setting" => ("Setting", humanise(id), None),
        "request" => ("Request", "a request".to_owned(), None),
        "grant" => ("Consent", "a consent".to_owned(), None),
        "token" | "refresh_token" => ("Token", "a token".to_owned(), None),
        other => ("Other", humanise(other), None),
    };
    Party {
        kind: kind_label.to_owned(),
        label,
        href,
    }
}

/// The changes and the other details of an event's data.
fn describe(event_type: &str, data: &Value) -> (Vec<Change>, Vec<(String, String)>) {
    let Value::Object(map) = data else {
        return (Vec::new(), Vec::new());
    };
    let mut changes = Vec::new();
    let (before, after) = (map.get("before"), map.get("after"));
    match (before, after) {
        (None, None) => {}
        (Some(Value::Object(_)), _) | (_, Some(Value::Object(_))) => {
            let (b, a) = (as_object(before), as_object(after));
            let mut fields: Vec<&String> = b.keys().chain(a.keys()).collect();
            fields.sort();
            fields.dedup();
            for f in fields {
                changes.push(change(f, b.get(f), a.get(f)));
            }
        }
        // One value before and after (e.g. an expiry).
        _ => {
            let field = if event_type.contains("expir") {
                "expires_at"
            } else {
                "value"
            };
            changes.push(change(field, before, after));
        }
    }
    if let Some(Value::Object(per_field)) = map.get("changes") {
        for (f, c) in per_field {
            changes.push(change(f, c.get("before"), c.get("after")));
        }
    }
    let details = map
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "before" | "after" | "changes"))
        .map(|(k, v)| (humanise(k), show(k, Some(v))))
        .collect();
    (changes, details)
}

fn as_object(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        _ => Map::new(),
    }
}

fn change(field: &str, before: Option<&Value>, after: Option<&Value>) -> Change {
    Change {
        field: humanise(field),
        before: show(field, before),
        after: show(field, after),
    }
}

/// A value in words: lists joined, yes/no, times as UTC dates, nothing as "".
fn show(field: &str, v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_owned(),
        Some(Value::Number(n)) if is_time(field) => n
            .as_i64()
            .map(|t| rfc3339(t).replace('T', " ").replace('Z', " UTC"))
            .unwrap_or_else(|| n.to_string()),
        // How a person acted on a client (issue 13, teams): "co-owner".
        Some(Value::String(s)) if field == "acting_as" => s.replace('_', "-"),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) if a.is_empty() => "none".to_owned(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| show(field, Some(x)))
            })
            .collect::<Vec<_>>()
            .join(", "),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| format!("{}: {}", humanise(k), show(k, Some(v))))
            .collect::<Vec<_>>()
            .join("; "),
        Some(other) => other.to_string(),
    }
}

/// Whether a field holds seconds since the epoch.
fn is_time(field: &str) -> bool {
    field.ends_with("_at") || field == "expires" || field == "expiry"
}

/// `refresh_token_ttl_secs` → `Refresh token lifetime (seconds)`: a field name in
/// words (the internal names must not reach people; issue 13, defect 4).
fn humanise(field: &str) -> String {
    let known = match field {
        "refresh_token_ttl_secs" => Some("Refresh-token lifetime (seconds)"),
        "expires_at" => Some("Expires"),
        "token_endpoint_auth_method" => Some("Token endpoint authentication"),
        "id_token_signed_response_alg" => Some("ID token signing"),
        "userinfo_signed_response_alg" => Some("Userinfo signing"),
        "id_token_encrypted_response_alg" => Some("ID token encryption (key management)"),
        "id_token_encrypted_response_enc" => Some("ID token encryption (content)"),
        "userinfo_encrypted_response_alg" => Some("Userinfo encryption (key management)"),
        "userinfo_encrypted_response_enc" => Some("Userinfo encryption (content)"),
        "request_object_encryption_alg" => Some("Request object encryption (key management)"),
        "request_object_encryption_enc" => Some("Request object encryption (content)"),
        _ => None,
    };
    if let Some(k) = known {
        return k.to_owned();
    }
    let words: Vec<String> = field
        .split(['_', '.'])
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "uri" | "url" | "id" | "ip" | "ttl" | "jwks" => w.to_uppercase(),
            "uris" => "URIs".to_owned(),
            "ids" => "IDs".to_owned(),
            _ => w.to_owned(),
        })
        .collect();
    let mut out = words.join(" ");
    if let Some(first) = out.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_shapes_of_a_change_read_as_field_before_after() {
        let (c, d) = describe(
            "client.updated",
            &json!({ "changes": { "name": { "before": "A", "after": "B" } }, "by_admin": false }),
        );
        assert_eq!(
            c,
            vec![Change {
                field: "Name".into(),
                before: "A".into(),
                after: "B".into()
            }]
        );
        assert_eq!(d, vec![("By admin".to_owned(), "no".to_owned())]);

        let (c, _) = describe(
            "user.role_changed",
            &json!({ "before": { "role": "user" }, "after": { "role": "developer" } }),
        );
        assert_eq!(
            c,
            vec![Change {
                field: "Role".into(),
                before: "user".into(),
                after: "developer".into()
            }]
        );

        let (c, _) = describe(
            "client.expiry_changed",
            &json!({ "before": null, "after": 0 }),
        );
        assert_eq!(
            c,
            vec![Change {
                field: "Expires".into(),
                before: "".into(),
                after: "1970-01-01 00:00:00 UTC".into()
            }]
        );
    }

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(
            humanise("post_logout_redirect_uris"),
            "Post logout redirect URIs"
        );
        assert_eq!(
            humanise("refresh_token_ttl_secs"),
            "Refresh-token lifetime (seconds)"
        );
        assert_eq!(show("scopes", Some(&json!(["a", "b"]))), "a, b");
        assert_eq!(show("scopes", Some(&json!([]))), "none");
        assert_eq!(
            (
                humanise("acting_as"),
                show("acting_as", Some(&json!("co_owner")))
            ),
            ("Acting as".to_owned(), "co-owner".to_owned())
        );
    }
}
