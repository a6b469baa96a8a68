mod account;
mod admin;
mod home;
mod not_found;
mod oauth;

pub use account::{LoginPage, SignUpPage};
pub use admin::{AdminHomePage, AdminUsersPage};
pub use home::{DeveloperPage, HomePage, MyAppsPage};
pub use not_found::NotFoundPage;
pub use oauth::{ConsentPage, OAuthErrorPage};
