//! The example API against a real Portcullis: both run in-process on port 0 (Portcullis
//! on a fresh SQLite file), tokens are obtained over HTTP exactly as applications do
//! (client credentials; authorization code with PKCE through a signed-in browser),
//! and the API is called over HTTP.

mod api;
mod support;
