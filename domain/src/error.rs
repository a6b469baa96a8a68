use sea_orm::DbErr;

/// What a domain operation can fail with. Adapters map these to HTTP statuses or
/// CLI messages; `Internal` and `Database` carry a cause that is logged, never shown
/// to users.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    /// Forbidden, with the reason the caller can act on (a co-owner asking for
    /// what only the owner may do): the same 403, said in words.
    #[error("{0}")]
    NotAllowed(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// Something the operation depends on (the LDAP directory) did not answer; the
    /// message is for the person, who may try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The database failed (connection, I/O, a constraint the operation did not
    /// expect); the driver's error is kept as the source, for the log.
    #[error("internal error: database: {0}")]
    Database(#[source] DbErr),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<DbErr> for DomainError {
    fn from(e: DbErr) -> Self {
        DomainError::Database(e)
    }
}
