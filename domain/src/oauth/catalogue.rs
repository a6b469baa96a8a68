//! The scope catalogue and the registered APIs, as the token hot paths read them:
//! from memory when fresh (see `cache_ttl_ms`), else from the database.

use std::sync::Arc;
use std::time::Duration;

use crate::apis::{self, ApiInfo, ScopeInfo};
use crate::platform::cache::TtlCache;
use crate::platform::clock::Clock;
use crate::platform::db::Db;
use crate::DomainResult;

#[derive(Clone)]
pub struct Catalogue {
    db: Db,
    scopes: TtlCache<String, Option<ScopeInfo>>,
    apis: TtlCache<String, Option<ApiInfo>>,
}

impl Catalogue {
    pub fn new(db: Db, ttl: Duration, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            scopes: TtlCache::new("scopes", ttl, 10_000, clock.clone()),
            apis: TtlCache::new("apis", ttl, 10_000, clock),
        }
    }

    /// The catalogue entry for `name`.
    pub async fn scope(&self, name: &str) -> DomainResult<Option<ScopeInfo>> {
        if let Some(hit) = self.scopes.get(&name.to_owned()) {
            return Ok(hit);
        }
        let found = apis::find_scope(&self.db, name).await?;
        self.scopes.insert(name.to_owned(), found.clone());
        Ok(found)
    }

    /// The API registered with this audience (identifier), if any.
    pub async fn api(&self, audience: &str) -> DomainResult<Option<ApiInfo>> {
        if let Some(hit) = self.apis.get(&audience.to_owned()) {
            return Ok(hit);
        }
        let found = apis::find_api_info(&self.db, audience).await?;
        self.apis.insert(audience.to_owned(), found.clone());
        Ok(found)
    }

    /// Forgets what this process holds (after a change to APIs or scopes).
    pub fn invalidate(&self) {
        self.scopes.clear();
        self.apis.clear();
    }
}
