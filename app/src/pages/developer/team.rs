//! The client page's team (issue 13, teams): who owns the client and who
//! co-owns it, adding and removing co-owners, leaving, taking over from an owner
//! who left; and, in the danger zone, offering the client to another developer.
//! `/developer` lists the offers waiting for the viewer.

use crate::components::forms::{DANGER, DANGER_SMALL};
use leptos::prelude::*;

use super::{CARD, LINK};
use crate::api::portal::team::{
    list_offers, AddCoOwner, AnswerOffer, CancelOffer, OfferClient, RemoveCoOwner, TakeOver,
};
use crate::components::forms::{CsrfField, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL};
use crate::model::{MemberView, TeamView};

/// The team's actions on the client page.
#[derive(Clone, Copy)]
pub struct TeamActions {
    pub add: ServerAction<AddCoOwner>,
    pub remove: ServerAction<RemoveCoOwner>,
    pub take_over: ServerAction<TakeOver>,
    pub offer: ServerAction<OfferClient>,
    pub cancel: ServerAction<CancelOffer>,
}

impl TeamActions {
    pub fn new() -> Self {
        Self {
            add: ServerAction::new(),
            remove: ServerAction::new(),
            take_over: ServerAction::new(),
            offer: ServerAction::new(),
            cancel: ServerAction::new(),
        }
    }

    pub fn forget(&self) {
        self.add.value().set(None);
        self.remove.value().set(None);
        self.take_over.value().set(None);
        self.offer.value().set(None);
        self.cancel.value().set(None);
    }
}

/// Who the client belongs to, and what the viewer may change about it.
#[component]
pub fn TeamSection(client_id: String, team: TeamView, actions: TeamActions) -> impl IntoView {
    let TeamActions {
        add,
        remove,
        take_over,
        ..
    } = actions;
    let add_err = move || add.value().get().and_then(|r| r.err());
    let other_err = move || {
        remove
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| take_over.value().get().and_then(|r| r.err()))
    };
    let manages = team.viewer_manages_team;
    let members = team.members.clone();
    view! {
        <section class=format!("{CARD} mt-6") id="team" aria-labelledby="team-heading">
            <h2 id="team-heading" class="text-lg font-semibold">"Team"</h2>
            <p class="mt-1 text-sm text-slate-600">
                "Co-owners manage this client like its owner: they edit it, request scopes, rotate its secrets, read its usage and get its notices. Only the owner adds or removes co-owners, hands the client over or deletes it."
            </p>
            <div class="mt-3"><FormError error=other_err fields=vec!["confirm"]/></div>
            <ul class="mt-2 divide-y divide-slate-200" data-testid="team">
                {members.into_iter().map(|m| {
                    let remove_form = (!m.owner && (manages || team.viewer_is_co_owner)).then(|| {
                        view! { <RemoveMember client_id=client_id.clone() m=m.clone() remove/> }
                    });
                    view! { <MemberRow m=m.clone() remove_form/> }
                }).collect_view()}
            </ul>
            {team.viewer_may_take_over.then(|| {
                let id = client_id.clone();
                view! {
                    <div class="mt-4 rounded border border-amber-300 bg-amber-50 p-4" data-testid="take-over">
                        <p class="text-sm text-amber-900">"The owner can no longer manage this client (their account is disabled or no longer a developer's). Take it over, so that the client keeps an owner who can change its team."</p>
                        <ActionForm action=take_over attr:class="mt-2 flex flex-wrap items-center gap-3">
                            <CsrfField/>
                            <input type="hidden" name="id" value=id/>
                            <span class="flex items-center gap-2 text-sm">
                                <input type="checkbox" id="take-over-confirm" name="confirm" value="yes" required=true class="h-6 w-6 shrink-0"/>
                                <label for="take-over-confirm">"I become this client's owner"</label>
                            </span>
                            <button type="submit" class=BUTTON>"Take over the client"</button>
                        </ActionForm>
                    </div>
                }
            })}
            {manages.then(|| {
                let id = client_id.clone();
                view! {
                    <h3 class="mt-4 font-semibold">"Add a co-owner"</h3>
                    <ActionForm action=add attr:class="mt-2 flex flex-wrap items-end gap-2">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <div class="grow sm:max-w-sm">
                            <label for="member" class=LABEL>"A developer's username or e-mail address"</label>
                            <input id="member" name="member" class=format!("{INPUT} w-full") required=true
                                maxlength=limits::EMAIL autocomplete="off"/>
                        </div>
                        <button type="submit" class=BUTTON_SECONDARY>"Add co-owner"</button>
                        // Only when there is something to say: an empty alert region
                        // is an alert all the same to assistive technology.
                        {move || add_err().map(|e| view! {
                            <p id="member-error" class="w-full text-sm text-red-700" role="alert">
                                {e.field_message("member").unwrap_or_else(|| e.to_string())}
                            </p>
                        })}
                    </ActionForm>
                }
            })}
        </section>
    }
}

#[component]
fn MemberRow(m: MemberView, remove_form: Option<impl IntoView + 'static>) -> impl IntoView {
    let role = if m.owner { "Owner" } else { "Co-owner" };
    view! {
        <li class="flex flex-wrap items-center gap-x-4 gap-y-2 py-3" data-testid="member" data-role=if m.owner { "owner" } else { "co_owner" }>
            <div class="min-w-0 grow">
                <p class="font-medium break-words">{m.name.clone()} " "
                    <span class="text-sm font-normal text-slate-600">"@" {m.username.clone()}</span></p>
                <p class="text-sm text-slate-600 break-all">{m.email.clone()}</p>
            </div>
            <span class="rounded bg-slate-100 px-2 py-0.5 text-sm text-slate-800">{role}</span>
            {(!m.active).then(|| view! {
                <span class="rounded bg-amber-100 px-2 py-0.5 text-sm text-amber-900" data-testid="member-inactive">"Cannot manage clients now"</span>
            })}
            {m.since.clone().map(|s| view! { <span class="text-sm text-slate-600">"since " {s}</span> })}
            {remove_form}
        </li>
    }
}

/// Removing a co-owner (or leaving), with a box to tick.
#[component]
fn RemoveMember(
    client_id: String,
    m: MemberView,
    remove: ServerAction<RemoveCoOwner>,
) -> impl IntoView {
    let confirm_id = format!("remove-member-{}", m.user_id);
    view! {
        <ActionForm action=remove attr:class="flex flex-wrap items-center gap-3">
            <CsrfField/>
            <input type="hidden" name="id" value=client_id/>
            <input type="hidden" name="user_id" value=m.user_id.clone()/>
            <span class="flex items-center gap-2 text-sm">
                <input type="checkbox" id=confirm_id.clone() name="confirm" value="yes" required=true class="h-6 w-6 shrink-0"/>
                <label for=confirm_id>"They can no longer manage it"</label>
            </span>
            <button type="submit" class=DANGER_SMALL>"Remove " {m.name.clone()}</button>
        </ActionForm>
    }
}

/// In the danger zone: offering the client to another developer, or the offer
/// waiting and its withdrawal.
#[component]
pub fn TransferClient(client_id: String, team: TeamView, actions: TeamActions) -> impl IntoView {
    let TeamActions { offer, cancel, .. } = actions;
    let offer_err = move || {
        offer
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| cancel.value().get().and_then(|r| r.err()))
    };
    view! {
        <h3 class="mt-6 font-semibold text-red-800" id="transfer">"Transfer ownership"</h3>
        {match team.offer.clone() {
            Some(o) => {
                let id = client_id.clone();
                view! {
                    <p class="mt-1 text-sm text-slate-700" data-testid="offer-waiting">
                        "Offered to " <strong>{o.to_name}</strong> " on " {o.offered}
                        "; the offer ends on " {o.expires} " unless they accept it. The client stays yours until then."
                    </p>
                    <ActionForm action=cancel attr:class="mt-2">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class=BUTTON_SECONDARY>"Withdraw the offer"</button>
                    </ActionForm>
                }.into_any()
            }
            None => {
                let id = client_id.clone();
                view! {
                    <p class="mt-1 text-sm text-slate-700">"The developer you name is asked to accept. Once they do, the client is theirs — its secrets, scopes, consents and requests go with it — and you stay on its team as a co-owner until they remove you."</p>
                    <FormError error=offer_err fields=vec!["new_owner", "confirm"]/>
                    <ActionForm action=offer attr:class="mt-3 grid gap-2 sm:max-w-md">
                        <CsrfField/>
                        <input type="hidden" name="id" value=id/>
                        <label for="new-owner" class=LABEL>"New owner's username or e-mail address"</label>
                        <input id="new-owner" name="new_owner" class=INPUT required=true maxlength=limits::EMAIL autocomplete="off"/>
                        <p class="text-sm text-red-700">{move || offer_err().and_then(|e| e.field_message("new_owner"))}</p>
                        <div class="flex items-start gap-2 text-sm">
                            <input type="checkbox" id="offer-confirm" name="confirm" value="yes" required=true class="mt-1 h-6 w-6 shrink-0"/>
                            <label for="offer-confirm">"I understand that the client becomes theirs once they accept."</label>
                        </div>
                        <p class="text-sm text-red-700">{move || offer_err().and_then(|e| e.field_message("confirm"))}</p>
                        <button type="submit" class=DANGER>"Offer the client"</button>
                    </ActionForm>
                }.into_any()
            }
        }}
    }
}

/// On `/developer`: clients offered to the viewer, each to accept or decline.
#[component]
pub fn OffersForYou() -> impl IntoView {
    let answer = ServerAction::<AnswerOffer>::new();
    let offers = Resource::new(move || answer.version().get(), |_| list_offers());
    let err = move || answer.value().get().and_then(|r| r.err());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = offers.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class=format!("{CARD} mt-6 border-sky-300") id="offers" aria-labelledby="offers-heading">
                        <h2 id="offers-heading" class="text-lg font-semibold">"Clients offered to you"</h2>
                        <FormError error=err/>
                        <ul class="mt-2 divide-y divide-slate-200" data-testid="offers">
                            {list.into_iter().map(|o| {
                                let (id_accept, id_decline) = (o.client_id.clone(), o.client_id.clone());
                                view! {
                                <li class="flex flex-wrap items-center gap-3 py-3" data-testid="offer">
                                    <p class="min-w-0 grow">
                                        <strong class="break-words">{o.client_name.clone()}</strong>
                                        <span class="text-sm text-slate-600">" from " {o.from_name.clone().unwrap_or_else(|| "an administrator".into())}
                                            ", until " {o.expires.clone()}</span>
                                    </p>
                                    <ActionForm action=answer>
                                        <CsrfField/>
                                        <input type="hidden" name="id" value=id_accept/>
                                        <input type="hidden" name="answer" value="accept"/>
                                        <button type="submit" class=BUTTON>"Accept " {o.client_name.clone()}</button>
                                    </ActionForm>
                                    <ActionForm action=answer>
                                        <CsrfField/>
                                        <input type="hidden" name="id" value=id_decline/>
                                        <input type="hidden" name="answer" value="decline"/>
                                        <button type="submit" class=BUTTON_SECONDARY>"Decline"</button>
                                    </ActionForm>
                                </li>
                            }}).collect_view()}
                        </ul>
                        <p class="mt-2 text-sm text-slate-600">"Accepting makes you the client's owner; its former owner stays on its team as a co-owner until you remove them. See "
                            <a class=LINK href="/notifications">"your notifications"</a> " for who offered it."</p>
                    </section>
                })
            })}
        </Transition>
    }
}
