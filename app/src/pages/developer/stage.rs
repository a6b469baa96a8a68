//! The client page's lifecycle stage (issue 13): what development means for the
//! client, asking the administrators for production, and the administrators'
//! direct promotion (or move back to development, confirmed).

use leptos::prelude::*;

use super::CARD;
use crate::api::portal::stage::{RequestPromotion, SetClientStage};
use crate::components::forms::{
    CsrfField, FormError, BUTTON, BUTTON_SECONDARY, DANGER_SMALL, INPUT, LABEL,
};

/// The section's actions.
#[derive(Clone, Copy)]
pub struct StageActions {
    pub promote: ServerAction<RequestPromotion>,
    pub set: ServerAction<SetClientStage>,
}

impl StageActions {
    pub fn new() -> Self {
        Self {
            promote: ServerAction::new(),
            set: ServerAction::new(),
        }
    }

    pub fn forget(&self) {
        self.promote.value().set(None);
        self.set.value().set(None);
    }
}

/// Shown for a client in development, and to administrators for every client.
#[component]
pub fn StageSection(
    client_id: String,
    in_development: bool,
    /// A promotion request waits for a decision.
    pending: bool,
    admin: bool,
    /// The scopes it may add at once while in development.
    sandbox: Vec<String>,
    actions: StageActions,
) -> impl IntoView {
    let StageActions { promote, set } = actions;
    let promote_err = move || promote.value().get().and_then(|r| r.err());
    let set_err = move || set.value().get().and_then(|r| r.err());
    let id = client_id.clone();
    let development = move || {
        let id = id.clone();
        view! {
            <h2 id="stage-heading" class="text-lg font-semibold">"In development"</h2>
            <p class="mt-1 text-sm text-slate-700">
                "Only this client's team — its owner and co-owners — can sign in to it. Anyone else who tries is sent back to the app with “access denied”. Its refresh tokens last at most 7 days."
            </p>
            {(!sandbox.is_empty()).then(|| view! {
                <p class="mt-1 text-sm text-slate-700" data-testid="sandbox-scopes">
                    "While it is in development it may add these scopes without waiting for approval: "
                    {sandbox.join(", ")} "."
                </p>
            })}
            <p class="mt-1 text-sm text-slate-700">
                "When it is ready for everyone, ask the administrators to review it for production: they see the client as it is, with every scope it holds."
            </p>
            {if pending {
                view! {
                    <p class="mt-3 rounded border border-sky-200 bg-sky-50 p-3 text-sm text-sky-900" data-testid="promotion-pending">
                        "Your request to promote it to production waits for an administrator's decision. You are told when it is decided."
                    </p>
                }.into_any()
            } else {
                view! {
                    <FormError error=promote_err fields=vec!["justification"]/>
                    <ActionForm action=promote attr:class="mt-3 grid gap-2 sm:max-w-xl">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <label for="promotion-justification" class=LABEL>"What does the app do, and who will use it?"</label>
                        <textarea id="promotion-justification" name="justification" rows="3" required=true
                            maxlength={limits::JUSTIFICATION} class=INPUT
                            aria-describedby="promotion-justification-error"></textarea>
                        <p id="promotion-justification-error" class="text-sm text-red-700">
                            {move || promote_err().and_then(|e| e.field_message("justification"))}
                        </p>
                        <button type="submit" class=BUTTON>"Request production review"</button>
                    </ActionForm>
                }.into_any()
            }}
        }
    };
    let admin_form = move |to_development: bool| {
        let id = client_id.clone();
        view! {
            <div class="mt-4 border-t border-slate-100 pt-4">
                <FormError error=set_err fields=vec!["confirm", "reason"]/>
                <ActionForm action=set attr:class="grid gap-2 sm:max-w-xl">
                    <CsrfField/>
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="stage" value=if to_development { "development" } else { "production" }/>
                    <label for="stage-reason" class=LABEL>"Administrator: reason (optional, sent to the team)"</label>
                    <input id="stage-reason" name="reason" maxlength={limits::JUSTIFICATION} class=INPUT/>
                    {to_development.then(|| view! {
                        <span class="flex items-center gap-2 text-sm">
                            <input type="checkbox" id="stage-confirm" name="confirm" value="yes" required=true class="h-6 w-6 shrink-0"/>
                            <label for="stage-confirm">"Only its team can sign in to it from now on"</label>
                        </span>
                    })}
                    <div>
                        {if to_development {
                            view! { <button type="submit" class=DANGER_SMALL>"Move back to development"</button> }.into_any()
                        } else {
                            view! { <button type="submit" class=BUTTON_SECONDARY>"Promote to production now"</button> }.into_any()
                        }}
                    </div>
                </ActionForm>
            </div>
        }
    };
    view! {
        <section class=format!("{CARD} mt-6") id="stage" aria-labelledby="stage-heading" data-testid="stage">
            {if in_development {
                view! {
                    {development()}
                    {admin.then(|| admin_form(false))}
                }.into_any()
            } else {
                view! {
                    <h2 id="stage-heading" class="text-lg font-semibold">"In production"</h2>
                    <p class="mt-1 text-sm text-slate-700">
                        "Anyone allowed by its settings may sign in to it. Moving it back to development shuts out everyone outside its team at their next sign-in or token refresh."
                    </p>
                    {admin_form(true)}
                }.into_any()
            }}
        </section>
    }
}
