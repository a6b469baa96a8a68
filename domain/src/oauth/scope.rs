//! Scope sets (RFC 6749 §3.3): space-delimited, case-sensitive, unordered, no
//! duplicates. One type instead of splitting and joining strings by hand.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// A set of scope names, kept sorted so its string form is canonical (what is
/// stored, signed into tokens and compared).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub struct ScopeSet(BTreeSet<String>);

/// One scope-token: `1*( %x21 / %x23-5B / %x5D-7E )` (RFC 6749 §3.3).
pub fn valid_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

impl ScopeSet {
    pub fn new() -> Self {
        Self::default()
    }

    /// Splits a `scope` parameter or a stored column. Empty items (repeated spaces)
    /// are skipped; duplicates collapse.
    pub fn parse(s: &str) -> Self {
        Self(
            s.split(' ')
                .filter(|x| !x.is_empty())
                .map(str::to_owned)
                .collect(),
        )
    }

    /// The first item that is not a valid scope-token, if any.
    pub fn invalid_token(&self) -> Option<&str> {
        self.0.iter().map(String::as_str).find(|s| !valid_token(s))
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.contains(scope)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn insert(&mut self, scope: impl Into<String>) {
        self.0.insert(scope.into());
    }

    /// Every scope of `self` is in `other`.
    pub fn is_subset(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    /// The first scope of `self` that `allowed` does not hold.
    pub fn first_outside(&self, allowed: &ScopeSet) -> Option<&str> {
        self.iter().find(|s| !allowed.contains(s))
    }

    /// The scopes both sets hold.
    pub fn intersection(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.intersection(&other.0).cloned().collect())
    }

    pub fn union(&self, other: &ScopeSet) -> ScopeSet {
        Self(self.0.union(&other.0).cloned().collect())
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// A stored or sent scope string as a sorted list without duplicates.
    pub fn parse_vec(s: &str) -> Vec<String> {
        Self::parse(s).to_vec()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s)?;
            first = false;
        }
        Ok(())
    }
}

impl From<ScopeSet> for String {
    fn from(s: ScopeSet) -> String {
        s.to_string()
    }
}

impl From<String> for ScopeSet {
    fn from(s: String) -> Self {
        Self::parse(&s)
    }
}

impl<S: Into<String>> FromIterator<S> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        Self(iter.into_iter().map(Into::into).collect())
    }
}

impl<'a> IntoIterator for &'a ScopeSet {
    type Item = &'a str;
    type IntoIter =
        std::iter::Map<std::collections::btree_set::Iter<'a, String>, fn(&String) -> &str>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_is_canonical_sorted_and_deduplicated() {
        let s = ScopeSet::parse("  profile openid  profile email");
        assert_eq!(s.to_string(), "email openid profile");
        assert_eq!(s.len(), 3);
        assert!(ScopeSet::parse("").is_empty());
        assert_eq!(ScopeSet::parse("b a"), ScopeSet::parse("a b"));
    }

    #[test]
    fn scope_tokens_follow_rfc6749_section_3_3() {
        assert!(valid_token("registrations:read"));
        assert!(valid_token("a!#[]~"));
        assert!(!valid_token("quote\"d"));
        assert!(!valid_token("back\\slash"));
        assert!(!valid_token("tab\there"));
        assert!(!valid_token("é"));
        assert_eq!(
            ScopeSet::parse("ok bad\u{0}").invalid_token(),
            Some("bad\u{0}")
        );
    }

    #[test]
    fn set_operations() {
        let asked = ScopeSet::parse("a b c");
        let allowed = ScopeSet::parse("a c d");
        assert_eq!(asked.first_outside(&allowed), Some("b"));
        assert_eq!(asked.intersection(&allowed).to_string(), "a c");
        assert!(ScopeSet::parse("a c").is_subset(&allowed));
        assert_eq!(asked.union(&allowed).to_string(), "a b c d");
    }

    #[test]
    fn serde_uses_the_space_delimited_string() {
        let s = ScopeSet::parse("openid email");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"email openid\"");
        let back: ScopeSet = serde_json::from_str("\"openid email\"").unwrap();
        assert_eq!(back, s);
    }
}
