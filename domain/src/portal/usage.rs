//! What a developer sees of their client's use (issue 13, "usage for developers"):
//! the people who allowed it, tokens issued per day, when it last got one, and the
//! refusals that point at a stolen or mishandled credential (an authorization code
//! or refresh token presented twice), and its refused token requests by
//! error code (`clients::refusals`: a wrong or old secret, used or expired codes).
//! The rest comes from what the server already keeps — the audit log's token
//! events, whose actor is the client (indexed), and the grants — counted by the
//! database, one grouped query per page view.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use super::access::{client_for, Who};
use crate::audit::EventType;
use crate::clients::refusals::TokenRefusals;
use crate::entities::{audit_event, client_token_refusal, grant};
use crate::platform::clock::Timestamp;
use crate::DomainResult;

/// How many days the chart covers, today included (UTC days).
pub const USAGE_DAYS: i64 = 30;
const DAY: i64 = 86_400;

/// One UTC day of a client's use.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageDay {
    /// The day's first second (UTC).
    pub start: Timestamp,
    /// Token responses other than refreshes (`token.issued`).
    pub issued: u64,
    /// Refresh-token grants (`token.refreshed`).
    pub refreshed: u64,
    /// Codes and refresh tokens presented a second time, refused (each also
    /// revoked what they had led to).
    pub refused: u64,
    /// Token requests of the client refused, replays included
    /// (`clients::refusals`: counted in memory, so a crash may lose a minute).
    pub failed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    /// `USAGE_DAYS` days, oldest first, every day present.
    pub days: Vec<UsageDay>,
    /// People whose consent for the client stands.
    pub people: u64,
    /// The last token response in the window (`None`: none in `USAGE_DAYS` days).
    pub last_token_at: Option<Timestamp>,
    /// Refused token requests in the window by OAuth error code, most first.
    pub failures: Vec<(String, u64)>,
}

impl Usage {
    pub fn issued(&self) -> u64 {
        self.days.iter().map(|d| d.issued + d.refreshed).sum()
    }
    pub fn refused(&self) -> u64 {
        self.days.iter().map(|d| d.refused).sum()
    }
    pub fn failed(&self) -> u64 {
        self.days.iter().map(|d| d.failed).sum()
    }
}

const COUNTED: [EventType; 4] = [
    EventType::TokenIssued,
    EventType::TokenRefreshed,
    EventType::CodeReplayed,
    EventType::RefreshTokenReused,
];

#[derive(FromQueryResult)]
struct Bucket {
    event_type: String,
    day: i64,
    n: i64,
}

/// The use of the client `id`, for whoever may manage it (`NotFound` otherwise).
/// The refusals this process counted and has not written yet are written first, so
/// the page shows them at once (other processes' within their minute).
pub async fn usage<C: ConnectionTrait>(
    conn: &C,
    who: &Who,
    id: &str,
    pending: &TokenRefusals,
    now: Timestamp,
) -> DomainResult<Usage> {
    let client = client_for(conn, who, id).await?;
    pending.flush(conn).await;
    let since = now - now.rem_euclid(DAY) - (USAGE_DAYS - 1) * DAY;
    // `since` is the server's own clock, never input: a literal keeps the select
    // and the GROUP BY the same expression on both databases.
    let day = format!("(occurred_at - {since}) / {DAY}");
    let in_window = || {
        audit_event::Entity::find()
            .filter(audit_event::Column::ActorKind.eq("client"))
            .filter(audit_event::Column::ActorId.eq(client.id.as_str()))
            .filter(audit_event::Column::OccurredAt.gte(since))
            .filter(audit_event::Column::EventType.is_in(COUNTED.map(EventType::as_str)))
    };
    let buckets = in_window()
        .select_only()
        .column(audit_event::Column::EventType)
        .column_as(Expr::cust(day.clone()), "day")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(audit_event::Column::EventType)
        .group_by(Expr::cust(day))
        .into_model::<Bucket>()
        .all(conn)
        .await?;
    let mut days: Vec<UsageDay> = (0..USAGE_DAYS)
        .map(|i| UsageDay {
            start: since + i * DAY,
            ..Default::default()
        })
        .collect();
    for b in buckets {
        let Some(d) = usize::try_from(b.day).ok().and_then(|i| days.get_mut(i)) else {
            continue; // an event dated after `now` (clock skew between nodes)
        };
        let n = u64::try_from(b.n).unwrap_or(0);
        match EventType::parse(&b.event_type) {
            Some(EventType::TokenIssued) => d.issued += n,
            Some(EventType::TokenRefreshed) => d.refreshed += n,
            _ => d.refused += n,
        }
    }
    let last_token_at = in_window()
        .filter(audit_event::Column::EventType.is_in([
            EventType::TokenIssued.as_str(),
            EventType::TokenRefreshed.as_str(),
        ]))
        .select_only()
        .column_as(audit_event::Column::OccurredAt.max(), "last")
        .into_tuple::<Option<i64>>()
        .one(conn)
        .await?
        .flatten();
    let refusals = client_token_refusal::Entity::find()
        .filter(client_token_refusal::Column::ClientId.eq(client.id.as_str()))
        .filter(client_token_refusal::Column::Day.gte(since))
        .all(conn)
        .await?;
    let mut failures: Vec<(String, u64)> = Vec::new();
    for r in refusals {
        let n = u64::try_from(r.n).unwrap_or(0);
        if let Some(d) = usize::try_from((r.day - since) / DAY)
            .ok()
            .and_then(|i| days.get_mut(i))
        {
            d.failed += n;
        }
        match failures.iter_mut().find(|(c, _)| *c == r.code) {
            Some((_, total)) => *total += n,
            None => failures.push((r.code, n)),
        }
    }
    failures.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let people = grant::Entity::find()
        .filter(grant::Column::ClientId.eq(client.id.as_str()))
        .count(conn)
        .await?;
    Ok(Usage {
        days,
        people,
        last_token_at,
        failures,
    })
}
