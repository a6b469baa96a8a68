use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub occurred_at: i64,
    pub event_type: String,
    pub actor_kind: String,
    pub actor_id: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    /// JSON object: before/after, reason and other event details.
    #[sea_orm(column_type = "Text")]
    pub data: String,
    /// The client `data` names at its top level (`client_id`, else `client`),
    /// indexed for the viewer's client filter (m0050). Derived, not hashed.
    #[sea_orm(column_type = "Text", nullable)]
    pub data_client: Option<String>,
    /// Position in the hash chain: 1, 2, 3, … without gaps, assigned by the appender.
    pub seq: Option<i64>,
    /// `hash` of the event at `seq - 1` (all zeros for the first).
    pub prev_hash: Option<String>,
    /// SHA-256 of this row's canonical encoding (`migrations::audit_hash`).
    pub hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
