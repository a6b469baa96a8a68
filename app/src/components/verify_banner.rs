//! The banner of a signed-in person whose e-mail address is not verified yet, with
//! "Resend" (a plain form: works without JavaScript).

use leptos::prelude::*;

use crate::api::recovery::ResendVerification;
use crate::components::forms::{FormError, BUTTON_SECONDARY};
use crate::components::layout::use_shell;

#[component]
pub fn UnverifiedBanner() -> impl IntoView {
    let shell = use_shell();
    let action = ServerAction::<ResendVerification>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let info = shell.await.ok()?;
                let user = info.user.filter(|u| !u.email_verified)?;
                Some(view! {
                    <div class="mb-6 rounded border border-amber-300 bg-amber-50 px-4 py-3 text-amber-950" data-testid="unverified-banner">
                        <FormError error/>
                        <ActionForm action attr:class="flex flex-wrap items-center gap-3">
                            <input type="hidden" name="csrf_token" value=info.csrf_token/>
                            <span>
                                "Your e-mail address " <strong>{user.email}</strong>
                                " is not verified yet: open the link we sent to it. Some apps accept only verified addresses."
                            </span>
                            <button type="submit" class=BUTTON_SECONDARY>"Resend"</button>
                        </ActionForm>
                    </div>
                })
            })}
        </Suspense>
    }
}
