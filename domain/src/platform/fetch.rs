//! Documents this server fetches from addresses developers chose (sector
//! identifier documents), through the adapter that knows how to do so safely:
//! the server's SSRF-guarded client (`server::outbound`). The domain only says
//! what to fetch and how much at most.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

type Fetched = Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send>>;

/// GETs a URI, answering its body (at most the given bytes) or why not, in
/// words fit to show the developer who named the URI.
#[derive(Clone)]
pub struct Documents(Arc<dyn Fn(String, usize) -> Fetched + Send + Sync>);

impl Documents {
    pub fn new<F, Fut>(get: F) -> Self
    where
        F: Fn(String, usize) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<u8>, String>> + Send + 'static,
    {
        Self(Arc::new(move |uri, max| Box::pin(get(uri, max))))
    }

    /// Fetches nothing (unit tests, tools without network access).
    pub fn offline() -> Self {
        Self::new(|_, _| async { Err("this process does not fetch documents".to_owned()) })
    }

    pub async fn get(&self, uri: &str, max_bytes: usize) -> Result<Vec<u8>, String> {
        (self.0)(uri.to_owned(), max_bytes).await
    }
}

impl std::fmt::Debug for Documents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Documents")
    }
}
