//! The Authorized JavaScript Origins of every usable client, in memory (issue 17):
//! a CORS preflight names no client, so the token, revocation and userinfo
//! endpoints answer it when *some* client registered the origin. Built from the
//! database on first use and dropped with the client cache (a client's change, on
//! any process, reaches every process through the change feed), so an origin
//! removed on the portal stops passing at once. Like the client rows, the set is
//! also kept at most the cache's TTL, a safety net for a process without the feed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::entities::client;
use crate::platform::clock::{Clock, Timestamp};
use crate::DomainResult;

/// Origin → when the last registration allowing it expires (None: never).
type Set = HashMap<String, Option<Timestamp>>;

#[derive(Default)]
struct State {
    /// Bumped by every invalidation: a set loaded before one is not kept.
    generation: u64,
    /// The set and when it was loaded (monotonic).
    set: Option<(Duration, Arc<Set>)>,
}

#[derive(Clone)]
pub struct Origins {
    state: Arc<Mutex<State>>,
    ttl: Duration,
    clock: Arc<dyn Clock>,
}

impl Origins {
    /// Kept at most `ttl` (zero: loaded for every question).
    pub fn new(ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            state: Default::default(),
            ttl,
            clock,
        }
    }

    /// Forgets the set; the next question loads it again.
    pub fn invalidate(&self) {
        if let Ok(mut s) = self.state.lock() {
            s.generation += 1;
            s.set = None;
        }
    }

    /// Whether a client that is not disabled and not expired at `now` registered
    /// exactly `origin` (compared byte for byte: no normalisation, no wildcard).
    pub async fn allows<C: ConnectionTrait>(
        &self,
        db: &C,
        origin: &str,
        now: Timestamp,
    ) -> DomainResult<bool> {
        let now_mono = self.clock.monotonic();
        let (generation, cached) = match self.state.lock() {
            Ok(s) => (
                s.generation,
                s.set
                    .as_ref()
                    .filter(|(at, _)| now_mono.saturating_sub(*at) < self.ttl)
                    .map(|(_, set)| set.clone()),
            ),
            Err(_) => (u64::MAX, None),
        };
        let set = match cached {
            Some(set) => set,
            None => {
                let loaded = Arc::new(load(db).await?);
                if let Ok(mut s) = self.state.lock() {
                    if s.generation == generation {
                        s.set = Some((now_mono, loaded.clone()));
                    }
                }
                loaded
            }
        };
        Ok(set
            .get(origin)
            .is_some_and(|expires| expires.is_none_or(|e| e > now)))
    }
}

async fn load<C: ConnectionTrait>(db: &C) -> DomainResult<Set> {
    let rows = client::Entity::find()
        .filter(client::Column::Disabled.eq(false))
        .filter(client::Column::AllowedOrigins.ne("[]"))
        .all(db)
        .await?;
    let mut set = Set::new();
    for row in rows {
        for origin in super::model::json_list(&row.allowed_origins)? {
            let e = set.entry(origin).or_insert(row.expires_at);
            // The longest-lived registration decides.
            *e = match (*e, row.expires_at) {
                (None, _) | (_, None) => None,
                (Some(a), Some(b)) => Some(a.max(b)),
            };
        }
    }
    Ok(set)
}
