use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approval_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub scope: String,
    /// The rule this scope's row belongs to: rows sharing it are one rule (m0028).
    pub rule_id: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub approve_if: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reject_if: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reject_reason: Option<String>,
    pub updated_at: i64,
    pub updated_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
