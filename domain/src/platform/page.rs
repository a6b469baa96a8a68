//! Pages of a listing, safe for any page number a caller sends.

use serde::{Deserialize, Serialize};

/// One page of a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// 1-based.
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// A page request made safe for any input: `per_page` within 1..=`max_per_page`,
/// `page` at least 1 and at most the last page whose offset fits the databases'
/// signed 64-bit OFFSET (a huge `page` used to overflow `(page - 1) * per_page`
/// and panic). A page past the end is simply empty. Returns `(page, per_page)`.
pub fn page_bounds(page: u64, per_page: u64, max_per_page: u64) -> (u64, u64) {
    let per_page = per_page.clamp(1, max_per_page.max(1));
    let last = i64::MAX as u64 / per_page;
    (page.clamp(1, last), per_page)
}
