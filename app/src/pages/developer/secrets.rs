//! The client page's list of working secrets (issue 13, defect 9): after a
//! rotation, which secrets work, when the old one stops, when each was last used —
//! and revoking one early, confirmed, once every deployment has the new one.

use crate::components::forms::DANGER_SMALL;
use leptos::prelude::*;

use crate::api::portal::clients::RevokeSecret;
use crate::components::forms::CsrfField;
use crate::model::SecretView;

#[component]
pub fn SecretList(
    client_id: String,
    secrets: Vec<SecretView>,
    revoke: ServerAction<RevokeSecret>,
) -> impl IntoView {
    let error = move |secret: String| {
        move || {
            revoke
                .value()
                .get()
                .and_then(|r| r.err())
                .filter(|_| revoke.input().get().is_none_or(|i| i.secret_id == secret))
                .map(|e| e.field_message("confirm").unwrap_or_else(|| e.to_string()))
        }
    };
    let several = secrets.len() > 1;
    view! {
        <h3 class="mt-4 font-semibold">"Working secrets"</h3>
        {secrets.is_empty().then(|| view! {
            <p class="mt-1 text-sm text-slate-600">"None: the client cannot authenticate. Rotate the secret to get a new one."</p>
        })}
        <ul class="mt-2 space-y-3" data-testid="secrets">
            {secrets.into_iter().enumerate().map(|(i, s)| {
                let label = if i == 0 { "Newest secret" } else { "Previous secret" };
                let confirm_id = format!("revoke-confirm-{}", s.id);
                let err = error(s.id.clone());
                let client_id = client_id.clone();
                view! {
                    <li class="rounded border border-slate-200 p-3" data-testid="secret">
                        <p class="font-medium">{label}</p>
                        <dl class="mt-1 grid gap-x-4 gap-y-1 text-sm sm:grid-cols-3">
                            <div><dt class="text-slate-600">"Created"</dt><dd>{s.created.clone()}</dd></div>
                            <div><dt class="text-slate-600">"Stops working"</dt>
                                <dd data-testid="secret-expires">{s.expires.clone().unwrap_or_else(|| "When rotated".into())}</dd></div>
                            <div><dt class="text-slate-600">"Last used"</dt>
                                <dd data-testid="secret-last-used">{s.last_used.clone().unwrap_or_else(|| "Never".into())}</dd></div>
                        </dl>
                        {several.then(move || view! {
                            <ActionForm action=revoke attr:class="mt-2 flex flex-wrap items-center gap-3">
                                <CsrfField/>
                                <input type="hidden" name="id" value=client_id/>
                                <input type="hidden" name="secret_id" value=s.id.clone()/>
                                <span class="flex items-center gap-2 text-sm">
                                    <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required=true class="h-6 w-6 shrink-0"/>
                                    <label for=confirm_id>"It stops working at once"</label>
                                </span>
                                <button type="submit" class=DANGER_SMALL>"Revoke this secret"</button>
                                <p class="w-full text-sm text-red-700" role="alert">{err}</p>
                            </ActionForm>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
        {several.then(|| view! {
            <p class="mt-2 text-sm text-slate-600">"Revoke the previous secret once every deployment uses the newest one. If it is still used when it is about to stop working, you are warned a day before."</p>
        })}
    }
}
