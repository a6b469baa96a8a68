//! Types shared by the server and the browser (no storage types here).

use serde::{Deserialize, Serialize};

/// The signed-in user as pages see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: String,
    pub username: String,
    pub email: String,
    pub display_name: String,
    /// `user`, `developer` or `admin`.
    pub role: String,
    pub disabled: bool,
    pub created: String,
}

impl UserView {
    pub fn is_admin(&self) -> bool {
        self.role == "admin"
    }
    pub fn can_develop(&self) -> bool {
        self.role == "developer" || self.role == "admin"
    }
}

pub fn role_label(role: &str) -> &'static str {
    match role {
        "admin" => "Administrator",
        "developer" => "Developer",
        _ => "End user",
    }
}

/// What every page needs: who is signed in, the CSRF token for forms, and whether
/// self sign-up is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShellInfo {
    pub user: Option<UserView>,
    pub csrf_token: String,
    pub allow_signup: bool,
}

/// One page of users for the admin list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserView>,
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub search: String,
}
