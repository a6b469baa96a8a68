//! Ending sessions and telling the apps (OpenID Connect RP-Initiated Logout 1.0,
//! Front-Channel Logout 1.0, Back-Channel Logout 1.0).
//!
//! A session remembers the clients it signed in to (`session_clients`, noted when a
//! code is issued in it). Whatever ends a session — the person signing out here or
//! at an app, an administrator disabling them, a password change — goes through
//! [`end_sessions`], which in the same transaction deletes the sessions and writes
//! one back-channel delivery per client that registered a `backchannel_logout_uri`
//! (sent by `logout_outbox`, never on the person's request), and returns the
//! front-channel pages for the sign-out page to load.

use jsonwebtoken::Validation;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Deserialize;

use crate::entities::{client, logout_delivery, session, session_client};
use crate::oauth::keys::{Jws, KeySet};
use crate::platform::clock::Timestamp;
use crate::platform::secret::token_hash;
use crate::DomainResult;

/// Notes that the session behind `session_token` signed in to `client_id` (a code
/// was issued for it). Idempotent; a session that has just ended adds nothing.
pub async fn signed_in_to<C: ConnectionTrait>(
    conn: &C,
    session_token: &str,
    client_id: &str,
    now: Timestamp,
) -> DomainResult<()> {
    use sea_orm::{DbBackend, Statement};
    let id = token_hash(session_token);
    let backend = conn.get_database_backend();
    let (s, c, t) = match backend {
        DbBackend::Postgres => ("$1", "$2", "$3"),
        _ => ("?1", "?2", "?3"),
    };
    // One statement, on the code's path: the row is noted only while the session
    // exists (one that has just ended has no row to point at), once.
    let sql = format!(
        "INSERT INTO session_clients (session_id, client_id, created_at) \
         SELECT {s}, {c}, {t} WHERE EXISTS (SELECT 1 FROM sessions WHERE id = {s}) \
         ON CONFLICT (session_id, client_id) DO NOTHING"
    );
    conn.execute_raw(Statement::from_sql_and_values(
        backend,
        &sql,
        [id.into(), client_id.into(), now.into()],
    ))
    .await?;
    Ok(())
}

/// Which sessions end.
#[derive(Clone, Copy, Debug)]
pub enum Ending<'a> {
    /// The one behind this cookie token (signing out).
    Session(&'a str),
    /// Every session of this person (disabled, password changed).
    AllOf(&'a str),
    /// These sessions (stored ids) of this person, and no one else's (the account
    /// page: one session, or every session but the current one).
    OwnOf(&'a str, &'a [String]),
}

/// A page the sign-out page loads in an iframe (Front-Channel Logout §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrontChannel {
    pub client_name: String,
    registered: String,
    /// The session's id, when the client asked for `iss` and `sid`.
    sid: Option<String>,
}

impl FrontChannel {
    /// The URI to load: the registered one, with `iss` and `sid` added when the
    /// client registered `frontchannel_logout_session_required`.
    pub fn uri(&self, issuer: &str) -> String {
        front_channel_uri(&self.registered, issuer, self.sid.as_deref())
    }
}

/// What [`end_sessions`] did.
#[derive(Clone, Debug, Default)]
pub struct Ended {
    /// The person whose sessions ended (None: no session was found).
    pub user_id: Option<String>,
    pub sessions: u64,
    pub front_channel: Vec<FrontChannel>,
    /// The clients a back-channel logout was queued for.
    pub back_channel: Vec<String>,
}

/// Ends sessions and queues what tells their clients, in the caller's transaction.
pub async fn end_sessions<C: ConnectionTrait>(
    conn: &C,
    ending: Ending<'_>,
    now: Timestamp,
) -> DomainResult<Ended> {
    let found = match ending {
        Ending::Session(token) => {
            session::Entity::find_by_id(token_hash(token))
                .all(conn)
                .await?
        }
        Ending::AllOf(user_id) => {
            session::Entity::find()
                .filter(session::Column::UserId.eq(user_id))
                .all(conn)
                .await?
        }
        Ending::OwnOf(user_id, ids) => {
            session::Entity::find()
                .filter(session::Column::UserId.eq(user_id))
                .filter(session::Column::Id.is_in(ids.iter().cloned()))
                .all(conn)
                .await?
        }
    };
    let mut out = Ended {
        user_id: found.first().map(|s| s.user_id.clone()),
        ..Ended::default()
    };
    if found.is_empty() {
        return Ok(out);
    }
    let ids: Vec<String> = found.iter().map(|s| s.id.clone()).collect();
    let links = session_client::Entity::find()
        .filter(session_client::Column::SessionId.is_in(ids.clone()))
        .all(conn)
        .await?;
    let mut client_ids: Vec<String> = links.iter().map(|l| l.client_id.clone()).collect();
    client_ids.sort();
    client_ids.dedup();
    let clients = client::Entity::find()
        .filter(client::Column::Id.is_in(client_ids))
        .all(conn)
        .await?;
    for s in &found {
        for link in links.iter().filter(|l| l.session_id == s.id) {
            let Some(c) = clients.iter().find(|c| c.id == link.client_id) else {
                continue;
            };
            if c.backchannel_logout_uri.is_some() {
                logout_delivery::Entity::insert(logout_delivery::ActiveModel {
                    id: Set(crate::oauth::access_tokens::new_jti()),
                    client_id: Set(c.id.clone()),
                    user_id: Set(s.user_id.clone()),
                    sid: Set(s.sid.clone()),
                    created_at: Set(now),
                    attempts: Set(0),
                    next_attempt_at: Set(now),
                    delivered_at: Set(None),
                    gave_up_at: Set(None),
                    last_error: Set(None),
                })
                .exec_without_returning(conn)
                .await?;
                out.back_channel.push(c.id.clone());
            }
            if let Some(uri) = &c.frontchannel_logout_uri {
                out.front_channel.push(FrontChannel {
                    client_name: c.name.clone(),
                    registered: uri.clone(),
                    sid: s
                        .sid
                        .clone()
                        .filter(|_| c.frontchannel_logout_session_required),
                });
            }
        }
    }
    session_client::Entity::delete_many()
        .filter(session_client::Column::SessionId.is_in(ids.clone()))
        .exec(conn)
        .await?;
    out.sessions = session::Entity::delete_many()
        .filter(session::Column::Id.is_in(ids))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(out)
}

/// Front-Channel Logout §2: `iss` and `sid` added to the query (keeping its own).
fn front_channel_uri(uri: &str, issuer: &str, sid: Option<&str>) -> String {
    let Some(sid) = sid else {
        return uri.to_owned();
    };
    match url::Url::parse(uri) {
        Ok(mut u) => {
            u.query_pairs_mut()
                .append_pair("iss", issuer)
                .append_pair("sid", sid);
            u.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

/// What a valid `id_token_hint` says (RP-Initiated Logout §2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdTokenHint {
    pub sub: String,
    /// The client it was issued to (the single audience Portcullis gives).
    pub client_id: String,
    pub sid: Option<String>,
}

#[derive(Deserialize)]
struct HintClaims {
    sub: String,
    aud: Aud,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    sid: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Aud {
    One(String),
    Many(Vec<String>),
}

/// Checks an `id_token_hint`: an ID token this issuer signed with one of its keys.
/// It may have expired (RP-Initiated Logout §2: the OP should accept it then);
/// everything else about it must hold. None when it is not one of ours.
pub fn verify_id_token_hint(keys: &KeySet, token: &str, issuer: &str) -> Option<IdTokenHint> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    // An access token (`at+jwt`) or logout token is not an ID token.
    if header
        .typ
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return None;
    }
    let (alg, key) = keys.verifying.get(header.kid.as_deref()?)?;
    if header.alg != alg.jwt() {
        return None;
    }
    let mut v = Validation::new(alg.jwt());
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    v.set_issuer(&[issuer]);
    let claims = jsonwebtoken::decode::<HintClaims>(token, key, &v)
        .ok()?
        .claims;
    let client_id = match claims.aud {
        Aud::One(a) => a,
        Aud::Many(mut a) if a.len() == 1 => a.remove(0),
        // Several audiences: the authorized party names the client (OIDC Core §2).
        Aud::Many(a) => claims.azp.filter(|p| a.contains(p))?,
    };
    Some(IdTokenHint {
        sub: claims.sub,
        client_id,
        sid: claims.sid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_channel_uris_keep_their_query_and_add_iss_and_sid() {
        let u = "https://app.example/logout?x=1";
        assert_eq!(
            front_channel_uri(u, "https://id.example", Some("s 1")),
            "https://app.example/logout?x=1&iss=https%3A%2F%2Fid.example&sid=s+1"
        );
        assert_eq!(front_channel_uri(u, "https://id.example", None), u);
    }
}
