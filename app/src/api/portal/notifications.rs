//! A person's notifications: list them, mark them all read.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::error::AppError;
use crate::model::NotificationPage;
#[cfg(feature = "ssr")]
use crate::ssr::check_csrf;

#[server(input = GetUrl, endpoint = "portal/notifications")]
pub async fn list_notifications(
    #[server(default)] page: u64,
) -> Result<NotificationPage, AppError> {
    use crate::model::NotificationView;
    use crate::ssr::{require_user, state};
    let st = state()?;
    let user = require_user()?;
    let p = domain::portal::notify::list(&st.db, &user.id, page.max(1), 20).await?;
    Ok(NotificationPage {
        pages: p.pages(),
        page: p.page,
        total: p.total,
        items: p
            .items
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                title: n.title,
                body: n.body,
                link: n.link,
                created: domain::platform::clock::format_utc(n.created_at),
                read: n.read,
            })
            .collect(),
    })
}

#[server(endpoint = "portal/mark_read")]
pub async fn mark_all_read(csrf_token: String) -> Result<(), AppError> {
    use crate::ssr::{require_user, state};
    check_csrf(&csrf_token)?;
    let st = state()?;
    let user = require_user()?;
    domain::portal::notify::mark_all_read(&st.db, &user.id, st.now()).await?;
    leptos_axum::redirect("/notifications?notice=notifications_read");
    Ok(())
}
