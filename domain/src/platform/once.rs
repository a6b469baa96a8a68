//! Identifiers accepted once: the `jti`s of client assertions and request objects
//! (RFC 7523 §3 item 7, RFC 9101 §10.8, RFC 9700 §2.7.4) and of DPoP proofs (RFC 9449
//! §11.1), remembered while what carried them could still be presented again, on
//! every process sharing the database.
//!
//! A claim is a conditional insert: the row's primary key is (scope, hash of the
//! `jti`), so of two presentations at once — on any processes — exactly one inserts
//! and wins. On the token endpoint's hot path claims ride the audit writer's group
//! commit ([`crate::audit::AuditWriter::claim_once`]): one statement and one fsync
//! for every claim queued at that moment, instead of one write transaction each
//! (docs/BENCHMARKS.md: per-request writes serialised the signed paths at ~1,000
//! tokens/s). PostgreSQL's batches go through [`claim_all`] in the pool transaction.

use std::collections::HashSet;

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use crate::platform::clock::Timestamp;
use crate::platform::secret::token_hash;
use crate::DomainResult;

/// Where a claim is remembered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ledger {
    /// `client_assertion_jtis`, scoped by client id: `private_key_jwt` assertions
    /// and request objects.
    ClientJwt,
    /// `dpop_proof_jtis`, scoped by the proof key's thumbprint.
    DpopProof,
}

impl Ledger {
    pub const ALL: [Ledger; 2] = [Ledger::ClientJwt, Ledger::DpopProof];

    fn table(self) -> &'static str {
        match self {
            Ledger::ClientJwt => "client_assertion_jtis",
            Ledger::DpopProof => "dpop_proof_jtis",
        }
    }

    fn scope_column(self) -> &'static str {
        match self {
            Ledger::ClientJwt => "client_id",
            Ledger::DpopProof => "jkt",
        }
    }
}

/// One identifier to accept once: `jti` (stored hashed) within `scope` until
/// `expires_at`.
#[derive(Clone, Debug)]
pub struct Claim {
    pub ledger: Ledger,
    pub scope: String,
    pub jti_hash: String,
    pub expires_at: Timestamp,
}

impl Claim {
    pub fn new(ledger: Ledger, scope: &str, jti: &str, expires_at: Timestamp) -> Self {
        Self {
            ledger,
            scope: scope.to_owned(),
            jti_hash: token_hash(jti),
            expires_at,
        }
    }

    fn key(&self) -> (String, String) {
        (self.scope.clone(), self.jti_hash.clone())
    }
}

/// The statement inserting `n` claims into `ledger`'s table, returning the keys of
/// the rows it inserted (a conflicting row — seen before, or earlier in the same
/// statement — inserts nothing and returns nothing). The same text serves SQLite
/// and PostgreSQL but for the placeholders.
pub fn insert_sql(ledger: Ledger, n: usize, backend: DbBackend) -> String {
    let scope = ledger.scope_column();
    let values = (0..n)
        .map(|i| match backend {
            DbBackend::Postgres => format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3),
            _ => "(?, ?, ?)".to_owned(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} ({scope}, jti_hash, expires_at) VALUES {values} \
         ON CONFLICT ({scope}, jti_hash) DO NOTHING RETURNING {scope}, jti_hash",
        table = ledger.table()
    )
}

/// Which of `claims` won, in order, given the keys each ledger's insert returned: a
/// claim wins when its row was inserted and no earlier claim in the batch took it.
pub fn winners(
    claims: &[Claim],
    mut inserted: impl FnMut(Ledger) -> HashSet<(String, String)>,
) -> Vec<bool> {
    let mut taken: Vec<(Ledger, HashSet<(String, String)>)> = Ledger::ALL
        .iter()
        .filter(|l| claims.iter().any(|c| c.ledger == **l))
        .map(|l| (*l, inserted(*l)))
        .collect();
    claims
        .iter()
        .map(|c| {
            taken
                .iter_mut()
                .find(|(l, _)| *l == c.ledger)
                .is_some_and(|(_, set)| set.remove(&c.key()))
        })
        .collect()
}

/// The claims of one ledger, in batch order.
pub fn of(claims: &[Claim], ledger: Ledger) -> Vec<&Claim> {
    claims.iter().filter(|c| c.ledger == ledger).collect()
}

/// Writes `claims` through `conn` (inside the caller's transaction, if any); which
/// won, in order.
pub async fn claim_all<C: ConnectionTrait>(conn: &C, claims: &[Claim]) -> DomainResult<Vec<bool>> {
    let backend = conn.get_database_backend();
    let mut inserted = std::collections::HashMap::new();
    for ledger in Ledger::ALL {
        let mine = of(claims, ledger);
        if mine.is_empty() {
            continue;
        }
        let values: Vec<Value> = mine
            .iter()
            .flat_map(|c| {
                [
                    c.scope.clone().into(),
                    c.jti_hash.clone().into(),
                    c.expires_at.into(),
                ]
            })
            .collect();
        let sql = insert_sql(ledger, mine.len(), backend);
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        let mut keys = HashSet::new();
        for row in rows {
            keys.insert((
                row.try_get_by_index::<String>(0)?,
                row.try_get_by_index::<String>(1)?,
            ));
        }
        inserted.insert(ledger, keys);
    }
    Ok(winners(claims, |l| inserted.remove(&l).unwrap_or_default()))
}

/// Forgets the claims that can no longer matter (the clean-up job): per ledger, how
/// many.
pub async fn purge<C: ConnectionTrait>(
    conn: &C,
    ledger: Ledger,
    now: Timestamp,
) -> DomainResult<u64> {
    let backend = conn.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    let sql = format!(
        "DELETE FROM {} WHERE expires_at < {placeholder}",
        ledger.table()
    );
    Ok(conn
        .execute_raw(Statement::from_sql_and_values(backend, sql, [now.into()]))
        .await?
        .rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(ledger: Ledger, scope: &str, jti: &str) -> Claim {
        Claim::new(ledger, scope, jti, 100)
    }

    #[test]
    fn the_first_of_two_equal_claims_in_a_batch_wins_and_ledgers_are_apart() {
        let claims = [
            claim(Ledger::ClientJwt, "c", "a"),
            claim(Ledger::ClientJwt, "c", "a"),
            claim(Ledger::DpopProof, "c", "a"),
            claim(Ledger::ClientJwt, "c", "b"),
        ];
        // The database inserted one row per distinct key, and not c/b (seen before).
        let won = winners(&claims, |l| match l {
            Ledger::ClientJwt => [claims[0].key()].into_iter().collect(),
            Ledger::DpopProof => [claims[2].key()].into_iter().collect(),
        });
        assert_eq!(won, [true, false, true, false]);
    }

    #[test]
    fn placeholders_follow_the_backend() {
        let pg = insert_sql(Ledger::DpopProof, 2, DbBackend::Postgres);
        assert!(pg.contains("($1, $2, $3), ($4, $5, $6)"), "{pg}");
        let lite = insert_sql(Ledger::ClientJwt, 2, DbBackend::Sqlite);
        assert!(lite.contains("(?, ?, ?), (?, ?, ?)"), "{lite}");
        assert!(lite.contains("ON CONFLICT (client_id, jti_hash) DO NOTHING"));
    }
}
