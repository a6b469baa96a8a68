//! The tower layer that guards a route: verify the bearer token, check the route's
//! scopes, put the [`Caller`] on the request — or answer with the RFC 6750 rejection
//! without calling the handler.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::response::{IntoResponse, Response};
use http::Request;
use tower::{Layer, Service};

use crate::verifier::Verifier;

/// Layers are made from a verifier.
impl Verifier {
    /// A layer that admits requests with a valid token carrying every scope in
    /// `scopes` (none: any valid token) and hands the handler a [`Caller`].
    pub fn require_all<I, T>(&self, scopes: I) -> RequireLayer
    where
        I: IntoIterator<Item = T>,
        T: Into<String>,
    {
        RequireLayer::new(self.clone(), scopes.into_iter().map(Into::into).collect())
    }

    /// A layer that admits requests with a valid token carrying `scope`.
    pub fn require(&self, scope: &str) -> RequireLayer {
        self.require_all([scope])
    }

    /// A layer that admits any valid token (check scopes in the handler with
    /// [`Caller::require`]).
    pub fn authenticate(&self) -> RequireLayer {
        self.require_all(std::iter::empty::<String>())
    }
}

/// Made by [`Verifier::require`], [`Verifier::require_all`] and
/// [`Verifier::authenticate`]; use it with `MethodRouter::layer` or
/// `Router::route_layer`.
#[derive(Clone, Debug)]
pub struct RequireLayer {
    verifier: Verifier,
    scopes: Arc<[String]>,
}

impl RequireLayer {
    pub(crate) fn new(verifier: Verifier, scopes: Vec<String>) -> Self {
        Self {
            verifier,
            scopes: scopes.into(),
        }
    }
}

impl<S> Layer<S> for RequireLayer {
    type Service = RequireService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireService {
            inner,
            verifier: self.verifier.clone(),
            scopes: self.scopes.clone(),
        }
    }
}

/// The service [`RequireLayer`] wraps around a handler.
#[derive(Clone, Debug)]
pub struct RequireService<S> {
    inner: S,
    verifier: Verifier,
    scopes: Arc<[String]>,
}

impl<S, B> Service<Request<B>> for RequireService<S>
where
    S: Service<Request<B>, Response = Response> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        // The clone that was polled ready is the one that gets called.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        let scopes = self.scopes.clone();
        Box::pin(async move {
            // The URI as the client sent it (a nested router strips its prefix).
            let uri = req
                .extensions()
                .get::<axum::extract::OriginalUri>()
                .map_or_else(|| req.uri().clone(), |o| o.0.clone());
            match verifier
                .authorize_request(req.method(), &uri, req.headers(), &scopes)
                .await
            {
                Ok(caller) => {
                    req.extensions_mut().insert(caller);
                    inner.call(req).await
                }
                Err(rejection) => Ok(rejection.into_response()),
            }
        })
    }
}
