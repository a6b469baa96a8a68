//! The hash chain over `audit_events`: appending in order, and verifying.
//!
//! Every event carries `seq` (1, 2, 3, … without gaps), `prev_hash` (the `hash` of the
//! event at `seq - 1`) and `hash` (SHA-256 of its canonical encoding, defined once in
//! `migrations::audit_hash`). Appends are serialised per database: SQLite write
//! transactions already are (`BEGIN IMMEDIATE`), and on PostgreSQL the appender takes
//! a transaction-scoped advisory lock before reading the chain head, so transactions
//! in any number of processes append one after another. The unique index on `seq`
//! is the backstop: an append that raced anyway fails instead of forking the chain.

use migrations::audit_hash::{row_hash, HashedFields, GENESIS};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::AuditEvent;
use crate::entities::audit_event::{self, Column};
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// The PostgreSQL advisory lock key of the chain head ("pcaudit1" as an integer).
const CHAIN_LOCK: i64 = 8_098_423_711_765_984_305;

/// Appends `events` in order, after the current head, through `conn`.
pub(crate) async fn append<C: ConnectionTrait>(
    conn: &C,
    events: &[(Timestamp, AuditEvent)],
) -> DomainResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        // Held until the transaction ends, so the head read below is the head when we
        // commit. READ COMMITTED takes a fresh snapshot per statement: after waiting
        // for the lock, the SELECT sees the previous holder's committed event.
        conn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({CHAIN_LOCK})"))
            .await?;
    }
    let head: Option<(Option<i64>, Option<String>)> = audit_event::Entity::find()
        .select_only()
        .column(Column::Seq)
        .column(Column::Hash)
        .filter(Column::Seq.is_not_null())
        .order_by_desc(Column::Seq)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await?;
    let (seq, prev) = after(head);
    let rows: Vec<audit_event::ActiveModel> = link(seq, prev, events)
        .into_iter()
        .map(|r| audit_event::ActiveModel {
            occurred_at: Set(r.occurred_at),
            event_type: Set(r.event_type.to_owned()),
            actor_kind: Set(r.actor_kind.to_owned()),
            actor_id: Set(r.actor_id),
            target_kind: Set(r.target_kind),
            target_id: Set(r.target_id),
            ip: Set(r.ip),
            data: Set(r.data),
            data_client: Set(r.data_client),
            seq: Set(Some(r.seq)),
            prev_hash: Set(Some(r.prev_hash)),
            hash: Set(Some(r.hash)),
            ..Default::default()
        })
        .collect();
    audit_event::Entity::insert_many(rows)
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// One event ready to insert: its columns, numbered and hashed into the chain.
pub(crate) struct Linked {
    pub occurred_at: Timestamp,
    pub event_type: &'static str,
    pub actor_kind: &'static str,
    pub actor_id: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub data: String,
    /// The client `data` names at its top level (m0050): not hashed, derived.
    pub data_client: Option<String>,
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the next event links on, from the head row's (seq, hash): `(0, GENESIS)`
/// for an empty log.
pub(crate) fn after(head: Option<(Option<i64>, Option<String>)>) -> (i64, String) {
    match head {
        Some((Some(seq), hash)) => (seq, hash.unwrap_or_default()),
        _ => (0, GENESIS.to_owned()),
    }
}

/// Numbers and hashes `events` in order after the event (`seq`, `hash`); see
/// [`after`].
pub(crate) fn link(
    mut seq: i64,
    mut prev: String,
    events: &[(Timestamp, AuditEvent)],
) -> Vec<Linked> {
    let mut rows = Vec::with_capacity(events.len());
    for (now, event) in events {
        seq += 1;
        let (actor_kind, actor_id) = event.actor.parts();
        let (target_kind, target_id) = match &event.target {
            Some((k, id)) => (Some((*k).to_owned()), Some(id.clone())),
            None => (None, None),
        };
        let data = event.data.to_string();
        let hash = row_hash(&HashedFields {
            seq,
            occurred_at: *now,
            event_type: event.event.as_str(),
            actor_kind,
            actor_id: actor_id.as_deref(),
            target_kind: target_kind.as_deref(),
            target_id: target_id.as_deref(),
            ip: event.ip.as_deref(),
            data: &data,
            prev_hash: &prev,
        });
        rows.push(Linked {
            occurred_at: *now,
            event_type: event.event.as_str(),
            actor_kind,
            actor_id,
            target_kind,
            target_id,
            ip: event.ip.clone(),
            data,
            data_client: data_client(&event.data),
            seq,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
        });
    }
    rows
}

/// The client an event's data names: `client_id`, else `client`, at its top
/// level, when a string (the same rule as m0050's fill of older events).
pub(crate) fn data_client(data: &serde_json::Value) -> Option<String> {
    ["client_id", "client"]
        .iter()
        .find_map(|k| data.get(k).and_then(|v| v.as_str()))
        .map(str::to_owned)
}

/// What is wrong at the first bad event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Break {
    /// The row's content no longer matches its hash.
    Altered,
    /// The chain skips from the previous event to this one: events were deleted
    /// (or this one was inserted with a made-up number).
    Gap { expected_seq: i64 },
    /// The row does not point at the event before it: it was inserted, or the one
    /// before it was replaced.
    Relinked,
    /// A row outside the chain (no seq): inserted behind the appender's back.
    Unchained,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every event is chained; `head` is the last (seq, hash), worth writing down
    /// elsewhere: only an external copy of the head reveals a truncated tail.
    Intact {
        events: u64,
        head: Option<(i64, String)>,
    },
    Broken {
        seq: Option<i64>,
        id: i64,
        kind: Break,
    },
}

impl std::fmt::Display for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verification::Intact { events, head } => {
                write!(f, "audit log intact: {events} events")?;
                if let Some((seq, hash)) = head {
                    write!(f, " (head seq={seq} hash={hash})")?;
                }
                Ok(())
            }
            Verification::Broken { seq, id, kind } => {
                let at = match seq {
                    Some(s) => format!("seq={s} (id={id})"),
                    None => format!("seq=none (id={id})"),
                };
                let why = match kind {
                    Break::Altered => "altered: its content does not match its hash".to_owned(),
                    Break::Gap { expected_seq } => format!(
                        "inserted or deleted: expected seq={expected_seq} here, so events are missing before it"
                    ),
                    Break::Relinked => {
                        "inserted or deleted: its prev_hash is not the hash of the event before it"
                            .to_owned()
                    }
                    Break::Unchained => {
                        "inserted or deleted: a row outside the chain (it has no seq)".to_owned()
                    }
                };
                write!(f, "audit log broken at event {at}: {why}")
            }
        }
    }
}

const PAGE: u64 = 1000;

/// Re-computes the whole chain, oldest first, a page at a time (memory stays flat),
/// and reports the first event that was altered, inserted or deleted.
pub async fn verify<C: ConnectionTrait>(conn: &C) -> DomainResult<Verification> {
    let mut expected = 1i64;
    let mut prev = GENESIS.to_owned();
    loop {
        let rows = audit_event::Entity::find()
            .filter(Column::Seq.gte(expected))
            .order_by_asc(Column::Seq)
            .limit(PAGE)
            .all(conn)
            .await?;
        let n = rows.len() as u64;
        for r in rows {
            let seq = r.seq.unwrap_or_default();
            let broken = |kind| Verification::Broken {
                seq: Some(seq),
                id: r.id,
                kind,
            };
            let (Some(hash), Some(prev_hash)) = (&r.hash, &r.prev_hash) else {
                return Ok(broken(Break::Altered));
            };
            let computed = row_hash(&HashedFields {
                seq,
                occurred_at: r.occurred_at,
                event_type: &r.event_type,
                actor_kind: &r.actor_kind,
                actor_id: r.actor_id.as_deref(),
                target_kind: r.target_kind.as_deref(),
                target_id: r.target_id.as_deref(),
                ip: r.ip.as_deref(),
                data: &r.data,
                prev_hash,
            });
            if computed != *hash {
                return Ok(broken(Break::Altered));
            }
            if seq != expected {
                return Ok(broken(Break::Gap {
                    expected_seq: expected,
                }));
            }
            if *prev_hash != prev {
                return Ok(broken(Break::Relinked));
            }
            prev = hash.clone();
            expected += 1;
        }
        if n < PAGE {
            break;
        }
    }
    if let Some(stray) = audit_event::Entity::find()
        .filter(Column::Seq.is_null())
        .order_by_asc(Column::Id)
        .one(conn)
        .await?
    {
        return Ok(Verification::Broken {
            seq: None,
            id: stray.id,
            kind: Break::Unchained,
        });
    }
    let events = (expected - 1) as u64;
    Ok(Verification::Intact {
        events,
        head: (events > 0).then_some((expected - 1, prev)),
    })
}
