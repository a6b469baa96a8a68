//! Administrators require a second factor of the people in some roles
//! (`RuntimeSettings::second_factor_roles`). What that means everywhere:
//!
//! - **Sign-in:** a person of such a role without a factor sets one up before any
//!   session is made (`sign_in::SignInStep::SetUp`): the same pending sign-in as
//!   the second step, under a purpose of its own.
//! - **Sessions:** a session made without a second factor (its `amr` lacks `mfa`)
//!   is no session for such a person (the request is treated as signed out), so a
//!   policy switched on, or a promotion, takes effect at the next request.
//! - **Turning it off:** refused to the person while the policy covers them; an
//!   administrator's reset (a lost phone) is allowed, and the person sets up a new
//!   factor at their next sign-in.
//! - **Password grant:** refused (it cannot carry a second factor).
//! - **Personal access tokens:** refused while the person has no active factor.

use crate::accounts::users::Role;

/// Whether people of `role` must use a second factor under `required`.
pub fn covers(required: &[Role], role: Role) -> bool {
    required.contains(&role)
}

/// Whether a session's stored `amr` shows a second factor.
pub fn session_has_second_factor(amr: Option<&str>) -> bool {
    super::amr_values(amr).iter().any(|v| v == "mfa")
}

/// Whether a session with `amr` counts for a person of `role` under `required`.
pub fn session_counts(required: &[Role], role: Role, amr: Option<&str>) -> bool {
    !covers(required, role) || session_has_second_factor(amr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_covered_roles_need_a_second_factor_session() {
        let required = [Role::Developer, Role::Admin];
        assert!(session_counts(&required, Role::User, None));
        assert!(!session_counts(&required, Role::Developer, None));
        assert!(!session_counts(&required, Role::Admin, Some("")));
        assert!(session_counts(&required, Role::Admin, Some("pwd otp mfa")));
        assert!(session_counts(&required, Role::Admin, Some("pwd mfa rc")));
        assert!(session_counts(&[], Role::Admin, None));
    }
}
