use leptos::prelude::*;

use crate::error::AppError;
use crate::model::UserPage;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;
use leptos::server_fn::codec::GetUrl;

pub const USERS_PER_PAGE: u64 = 20;

#[server(input = GetUrl, endpoint = "admin/users")]
pub async fn list_users(
    #[server(default)] search: String,
    #[server(default)] page: u64,
) -> Result<UserPage, AppError> {
    use crate::ssr::{require_admin, state, user_view};
    let (_, _admin) = require_admin()?;
    let st = state()?;
    let p = domain::accounts::list(&st.db, &search, page.max(1), USERS_PER_PAGE).await?;
    let ids: Vec<String> = p.items.iter().map(|u| u.id.clone()).collect();
    let directory = domain::accounts::directory::link::linked_among(&st.db, &ids)
        .await?
        .into_iter()
        .collect();
    Ok(UserPage {
        directory,
        pages: p.pages(),
        users: p.items.iter().map(user_view).collect(),
        page: p.page,
        total: p.total,
        search,
    })
}

#[server(endpoint = "admin/create_user")]
pub async fn create_user(
    csrf_token: String,
    username: String,
    email: String,
    #[server(default)] display_name: String,
    password: String,
    role: String,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    use domain::accounts::{self, NewUser, Role};
    use domain::platform::secret::SecretString;
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let role = Role::parse(&role)?;
    let new = NewUser {
        username,
        email,
        display_name,
        password: SecretString::new(password),
        role,
    };
    let u = accounts::create_user(&st.db, &st.hasher, &admin, new, st.now()).await?;
    leptos_axum::redirect(&format!(
        "/admin/users?notice=user_created&search={}",
        u.username
    ));
    Ok(())
}

#[server(endpoint = "admin/set_role")]
pub async fn set_role(csrf_token: String, user_id: String, role: String) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    use domain::accounts::{self, Role};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    let role = Role::parse(&role)?;
    accounts::set_role(&st.db, &admin, &user_id, role, st.now()).await?;
    Ok(())
}

#[server(endpoint = "admin/set_disabled")]
pub async fn set_disabled(
    csrf_token: String,
    user_id: String,
    disabled: bool,
    /// Disabling signs the person out everywhere at once: the form asks for a
    /// ticked box, and the server checks it too (issue 13, defect 5).
    #[server(default)]
    confirm: String,
) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    if disabled && confirm != "yes" {
        return Err(AppError::invalid(
            "confirm",
            "Tick the box to confirm that the account loses access at once.",
        ));
    }
    let (me, admin) = require_admin()?;
    if me.id == user_id && disabled {
        return Err(AppError::Message(
            "You cannot disable your own account.".into(),
        ));
    }
    let st = state()?;
    domain::accounts::set_disabled(
        &st.db,
        &st.revocations,
        &admin,
        &user_id,
        disabled,
        st.now(),
    )
    .await?;
    Ok(())
}

/// An administrator sets a person's e-mail address: theirs at once, unverified
/// until the person opens the link mailed to it (the old address gets a notice).
#[server(endpoint = "admin/set_email")]
pub async fn set_email(csrf_token: String, user_id: String, email: String) -> Result<(), AppError> {
    use crate::ssr::{require_admin, state};
    check_csrf(&csrf_token)?;
    let (_, admin) = require_admin()?;
    let st = state()?;
    domain::accounts::set_email(
        &st.db,
        &st.config.recovery,
        &admin,
        &user_id,
        &email,
        st.now(),
    )
    .await?;
    Ok(())
}
