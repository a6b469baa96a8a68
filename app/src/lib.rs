#![recursion_limit = "256"]
//! The Portcullis portal UI: the HTML shell, routes, pages and server functions.

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod navigation;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::layout::Frame;
use crate::pages::*;

/// The HTML document the server renders around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en" class="h-full bg-slate-50">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                // Passkeys (WebAuthn) need the browser's API: a small script that
                // listens for the passkey buttons' clicks (public/passkeys.js).
                <script src="/passkeys.js" defer></script>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body class="h-full text-slate-900 antialiased">
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Before <Router>, which sets its own hook (the first one set wins).
    #[cfg(feature = "hydrate")]
    navigation::install_redirect_hook();
    view! {
        <Stylesheet id="leptos" href="/pkg/portcullis.css"/>
        <Title text="Portcullis"/>
        // Async SSR everywhere: the page is sent once its data is ready, so it is complete
        // without JavaScript, and status codes and cookies set while loading are kept.
        <Router>
            <Frame>
                <Routes fallback=|| view! { <NotFoundPage/> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/second-factor") view=SecondFactorPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/terms") view=TermsPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/link") view=crate::pages::upstream::LinkOfferPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/set-up-second-factor") view=SetUpSecondFactorPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/recovery-codes") view=RecoveryCodesAfterSetUpPage ssr=SsrMode::Async/>
                    <Route path=path!("/signup") view=SignUpPage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password") view=ResetPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/verify-email") view=VerifyEmailPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/two-factor") view=TwoFactorPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/tokens") view=PersonalTokensPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/providers") view=crate::pages::upstream::ProvidersPage ssr=SsrMode::Async/>
                    <Route path=path!("/account/passkeys") view=crate::pages::passkeys::PasskeysPage ssr=SsrMode::Async/>
                    <Route path=path!("/apps") view=MyAppsPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer") view=DeveloperPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/clients/new") view=NewClientPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/clients/:id") view=ClientDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/clients/:id/edit") view=EditClientPage ssr=SsrMode::Async/>
                    <Route path=path!("/developer/requests") view=MyRequestsPage ssr=SsrMode::Async/>
                    <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=AdminHomePage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users") view=AdminUsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/users/:id/apps") view=AdminUserAppsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/requests") view=AdminRequestsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/rules") view=AdminRulesPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/clients") view=AdminClientsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/outbox") view=AdminOutboxPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/settings") view=AdminSettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/registration") view=AdminRegistrationPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/apis") view=AdminApisPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/sign-in-providers") view=crate::pages::admin_upstream::AdminProvidersPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/sign-in-providers/new") view=crate::pages::admin_upstream::NewProviderPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/sign-in-providers/:id") view=crate::pages::admin_upstream::EditProviderPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin/audit") view=AdminAuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/oauth/consent") view=ConsentPage ssr=SsrMode::Async/>
                    <Route path=path!("/oauth/error") view=OAuthErrorPage ssr=SsrMode::Async/>
                    <Route path=path!("/oauth/logout") view=LogoutPage ssr=SsrMode::Async/>
                    <Route path=path!("/device") view=DevicePage ssr=SsrMode::Async/>
                </Routes>
            </Frame>
        </Router>
    }
}
