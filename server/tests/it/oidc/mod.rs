//! The authorization-code flow end to end with the `openidconnect` crate as the
//! relying party (discovery, PKCE, ID token validation, userinfo, refresh), and the
//! raw-HTTP negatives a certified provider must get right.

mod authorization;
mod claims;
pub(crate) mod flow;
mod tokens;
