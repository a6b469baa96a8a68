//! `/account`: the signed-in person's own account — profile, password, e-mail
//! address, active sessions (docs/IDENTITY.md, "The account page"). Plain forms
//! underneath, so every part works without JavaScript; a form that comes back with
//! errors shows them all beside their fields and keeps what was typed (never a
//! password).

use crate::components::forms::DANGER;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::{
    my_account, AccountView, ChangeEmail, ChangePassword, EndMySession, EndOtherSessions,
    SessionView, UpdateProfile,
};
use crate::components::forms::{
    CsrfField, Field, FormError, BUTTON, BUTTON_SECONDARY, INPUT, LABEL,
};
use crate::components::panels::{signed_in_or_prompt, ErrorPanel};
use crate::error::AppError;

const CARD: &str = "rounded-lg border border-slate-200 bg-white p-6 shadow-sm";
const PASSWORD_HINT: &str =
    "At least 10 characters and hard to guess: a few unrelated words work well.";

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text="My account · Portcullis"/>
        {signed_in_or_prompt("/account", |_, _| view! { <Account/> })}
    }
}

#[component]
fn Account() -> impl IntoView {
    let profile = ServerAction::<UpdateProfile>::new();
    let password = ServerAction::<ChangePassword>::new();
    let email = ServerAction::<ChangeEmail>::new();
    let end_one = ServerAction::<EndMySession>::new();
    let end_others = ServerAction::<EndOtherSessions>::new();
    let account = Resource::new(
        move || {
            profile.version().get()
                + password.version().get()
                + email.version().get()
                + end_one.version().get()
                + end_others.version().get()
        },
        |_| my_account(),
    );
    view! {
        <h1 class="text-2xl font-semibold">"My account"</h1>
        <p class="mt-2 text-slate-600"><a href="/account/two-factor" class="text-sky-700 underline">"Two-step sign-in (authenticator app, recovery codes)"</a></p>
        <p class="mt-1 text-slate-600"><a href="/account/tokens" class="text-sky-700 underline">"Personal access tokens (for scripts and tools using the REST API)"</a></p>
        <p class="mt-1 text-slate-600"><a href="/account/providers" class="text-sky-700 underline">"Sign-in providers (accounts elsewhere that sign you in here)"</a></p>
        <p class="mt-1 text-slate-600"><a href="/account/passkeys" class="text-sky-700 underline">"Passkeys (sign in without a password)"</a></p>
        <Transition fallback=|| view! { <p class="mt-4 text-slate-500">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(a) => view! {
                        <div class="mt-6 grid max-w-2xl gap-6">
                            <ProfileForm a=a.clone() action=profile/>
                            {if a.directory {
                                view! { <DirectoryNote a=a.clone()/> }.into_any()
                            } else {
                                view! {
                                    <PasswordForm action=password/>
                                    <EmailForm a=a.clone() action=email/>
                                }.into_any()
                            }}
                            <Sessions sessions=a.sessions end_one end_others/>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <div class="mt-4"><ErrorPanel error=e/></div> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A text input with a value: what was sent when the form came back, else `stored`.
#[component]
fn TextInput<F>(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: &'static str,
    #[prop(optional)] required: bool,
    maxlength: usize,
    value: String,
    error: F,
) -> impl IntoView
where
    F: Fn() -> Option<AppError> + Send + Sync + 'static + Copy,
{
    let id = format!("f-{name}");
    let err_id = format!("{id}-error");
    let message = move || error().and_then(|e| e.field_message(name));
    view! {
        <div class="mb-4">
            <label for=id.clone() class=LABEL>{label}</label>
            <input id=id name=name type=kind value=value required=required maxlength=maxlength
                autocomplete=(!autocomplete.is_empty()).then_some(autocomplete) class=INPUT
                aria-describedby=err_id.clone() aria-invalid=move || message().is_some().then_some("true")/>
            <p id=err_id class="mt-1 text-sm text-red-700">{message}</p>
        </div>
    }
}

#[component]
fn ProfileForm(a: AccountView, action: ServerAction<UpdateProfile>) -> impl IntoView {
    let error = move || action.value().get().and_then(|r| r.err());
    let sent = |field: &str, stored: String| error().and_then(|e| e.sent(field)).unwrap_or(stored);
    let name = sent("display_name", a.display_name);
    let given = sent("given_name", a.given_name);
    let family = sent("family_name", a.family_name);
    view! {
        <section class=CARD data-testid="profile">
            <h2 class="text-lg font-semibold mb-4">"Profile"</h2>
            <dl class="mb-4 grid grid-cols-2 gap-2 text-sm">
                <dt class="font-medium text-slate-600">"Username"</dt>
                <dd data-testid="account-username">{a.username}</dd>
                <dt class="font-medium text-slate-600">"Role"</dt>
                <dd data-testid="account-role">{a.role}</dd>
            </dl>
            <FormError error fields=vec!["display_name", "given_name", "family_name"]/>
            <ActionForm action>
                <CsrfField/>
                <TextInput name="display_name" label="Display name" autocomplete="name" required=true maxlength={limits::DISPLAY_NAME} value=name error/>
                <p class="mb-3 text-sm text-slate-600">"Apps you allow to see your profile receive these too. Both are optional."</p>
                <TextInput name="given_name" label="Given name" autocomplete="given-name" required=false maxlength={limits::PERSON_NAME} value=given error/>
                <TextInput name="family_name" label="Family name" autocomplete="family-name" required=false maxlength={limits::PERSON_NAME} value=family error/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Save"</button>
            </ActionForm>
        </section>
    }
}

/// A directory account's password and address are changed in the directory.
#[component]
fn DirectoryNote(a: AccountView) -> impl IntoView {
    view! {
        <section class=CARD data-testid="directory-account">
            <h2 class="text-lg font-semibold mb-2">"Password and e-mail address"</h2>
            <p class="text-sm">"E-mail address: " <span data-testid="account-email">{a.email}</span></p>
            <p class="mt-2 text-sm text-slate-600">
                "Your organisation's directory keeps your password and e-mail address: change them there. "
                "Your names here are brought up to date from it each time you sign in."
            </p>
        </section>
    }
}

#[component]
fn PasswordForm(action: ServerAction<ChangePassword>) -> impl IntoView {
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <section class=CARD data-testid="password">
            <h2 class="text-lg font-semibold mb-2">"Password"</h2>
            <p class="mb-4 text-sm text-slate-600">"Changing it signs you out everywhere else; this browser stays signed in."</p>
            <FormError error fields=vec!["current_password", "new_password", "new_password_confirm"]/>
            <ActionForm action>
                <CsrfField/>
                <Field name="current_password" label="Current password" kind="password" autocomplete="current-password" required=true maxlength={limits::PASSWORD} error/>
                <Field name="new_password" label="New password" kind="password" autocomplete="new-password" required=true maxlength={limits::PASSWORD} hint=PASSWORD_HINT error/>
                <Field name="new_password_confirm" label="Repeat the new password" kind="password" autocomplete="new-password" required=true maxlength={limits::PASSWORD} error/>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn EmailForm(a: AccountView, action: ServerAction<ChangeEmail>) -> impl IntoView {
    let error = move || action.value().get().and_then(|r| r.err());
    let typed = error().and_then(|e| e.sent("email")).unwrap_or_default();
    view! {
        <section class=CARD data-testid="email">
            <h2 class="text-lg font-semibold mb-2">"E-mail address"</h2>
            <p class="mb-2 text-sm">
                <span data-testid="account-email">{a.email}</span>" "
                {if a.email_verified {
                    view! { <span class="rounded bg-emerald-100 px-1.5 text-xs text-emerald-900" data-testid="email-verified">"verified"</span> }.into_any()
                } else {
                    view! { <span class="rounded bg-amber-100 px-1.5 text-xs text-amber-900" data-testid="email-unverified">"not verified"</span> }.into_any()
                }}
            </p>
            {a.pending_email.map(|p| view! {
                <p class="mb-2 text-sm text-slate-700" data-testid="pending-email">
                    "Waiting for confirmation: " <strong>{p}</strong>
                    ". Open the link we sent there; until then your account keeps its current address."
                </p>
            })}
            <FormError error fields=vec!["current_password", "email"]/>
            <ActionForm action>
                <CsrfField/>
                <TextInput name="email" label="New e-mail address" kind="email" autocomplete="email" required=true maxlength={limits::EMAIL} value=typed error/>
                <div class="mb-4">
                    <label for="f-email-current_password" class=LABEL>"Current password"</label>
                    <input id="f-email-current_password" name="current_password" type="password" autocomplete="current-password" required maxlength={limits::PASSWORD} class=INPUT
                        aria-describedby="f-email-current_password-error"/>
                    <p id="f-email-current_password-error" class="mt-1 text-sm text-red-700">{move || error().and_then(|e| e.field_message("current_password"))}</p>
                </div>
                <button type="submit" class=BUTTON disabled=move || action.pending().get()>"Send a confirmation link"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Sessions(
    sessions: Vec<SessionView>,
    end_one: ServerAction<EndMySession>,
    end_others: ServerAction<EndOtherSessions>,
) -> impl IntoView {
    let error = move || {
        end_one
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| end_others.value().get().and_then(|r| r.err()))
    };
    let others = sessions.iter().filter(|s| !s.current).count();
    view! {
        <section class=CARD data-testid="sessions">
            <h2 class="text-lg font-semibold mb-2">"Active sessions"</h2>
            <FormError error fields=vec!["confirm"]/>
            <ul class="divide-y divide-slate-200">
                {sessions.into_iter().map(|s| view! { <SessionRow s end_one/> }).collect_view()}
            </ul>
            {(others > 0).then(|| view! {
                <ActionForm action=end_others attr:class="mt-4 border-t border-slate-200 pt-4">
                    <CsrfField/>
                    <label class="mb-2 flex items-center gap-2 text-sm">
                        <input id="f-confirm" type="checkbox" name="confirm" value="on" required/>
                        "Yes, sign me out of my " {others} " other session(s)."
                    </label>
                    <p class="mb-2 text-sm text-red-700">{move || error().and_then(|e| e.field_message("confirm"))}</p>
                    <button type="submit" class=DANGER data-testid="end-others">"Sign out everywhere else"</button>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn SessionRow(s: SessionView, end_one: ServerAction<EndMySession>) -> impl IntoView {
    let testid = if s.current {
        "session-current"
    } else {
        "session"
    };
    view! {
        <li class="flex items-start justify-between gap-4 py-3 text-sm" data-testid=testid>
            <div>
                <p class="font-medium">
                    {s.user_agent.clone().unwrap_or_else(|| "Unknown browser".into())}
                    {s.current.then(|| view! { <span class="ml-2 rounded bg-sky-100 px-1.5 text-xs text-sky-900">"this session"</span> })}
                </p>
                <p class="text-slate-600">
                    "Signed in " {s.created.clone()} " · last seen " {s.last_seen.clone()}
                    {s.ip.clone().map(|ip| format!(" · from {ip}"))}
                </p>
            </div>
            <ActionForm action=end_one>
                <CsrfField/>
                <input type="hidden" name="session" value=s.handle.clone()/>
                <button type="submit" class=BUTTON_SECONDARY data-testid="end-session"
                    aria-label=format!("Sign out the session signed in {}", s.created)>"Sign out"</button>
            </ActionForm>
        </li>
    }
}
