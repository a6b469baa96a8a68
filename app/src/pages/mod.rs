mod account;
mod admin;
mod admin_config;
mod admin_portal;
mod admin_registration;
mod admin_rules;
pub mod admin_upstream;
mod admin_user_apps;
mod apps;
mod audit;
mod developer;
mod device;
mod home;
mod my_account;
mod not_found;
mod notifications;
mod oauth;
pub mod passkeys;
mod personal_tokens;
mod recovery;
mod second_factor_set_up;
mod two_factor;
pub mod upstream;

pub use account::{LoginPage, SecondFactorPage, SignUpPage, TermsPage};
pub use admin::{AdminHomePage, AdminUsersPage};
pub use admin_config::{AdminApisPage, AdminSettingsPage};
pub use admin_portal::{AdminClientsPage, AdminOutboxPage, AdminRequestsPage};
pub use admin_registration::AdminRegistrationPage;
#[cfg(feature = "ssr")]
pub(crate) use admin_rules::draft_query as rules_draft_query;
pub use admin_rules::AdminRulesPage;
pub use admin_rules::REGISTRATION_EXAMPLES;
pub use admin_user_apps::AdminUserAppsPage;
pub use apps::MyAppsPage;
pub use audit::AdminAuditPage;
pub use developer::{
    ClientDetailPage, DeveloperPage, EditClientPage, MyRequestsPage, NewClientPage,
};
pub use device::DevicePage;
pub use home::HomePage;
pub use my_account::AccountPage;
pub use not_found::NotFoundPage;
pub use notifications::NotificationsPage;
pub use oauth::{ConsentPage, LogoutPage, OAuthErrorPage};
pub use personal_tokens::PersonalTokensPage;
pub use recovery::{ForgotPasswordPage, ResetPasswordPage, VerifyEmailPage};
pub use second_factor_set_up::{RecoveryCodesAfterSetUpPage, SetUpSecondFactorPage};
pub use two_factor::TwoFactorPage;
