//! Second factors (issue 15): TOTP (RFC 6238) with one-time recovery codes, the
//! pending second step of a sign-in, and how a sign-in was made (`amr`/`acr`).
//!
//! - `totp`: the codes themselves, the `otpauth://` URI and its QR code.
//! - `factor`: enrolment (a secret sealed at rest, active once a first code
//!   confirms it), disabling, and the one check of a code or recovery code —
//!   throttled like passwords, each time step accepted at most once.
//! - `recovery_codes`: ten one-time codes, stored hashed, each spent by a delete.
//! - `pending`: a sign-in between its password and its second step (or the
//!   setting up of a factor that an administrator requires).
//! - `policy`: the roles that must use a second factor, and what that means.

pub mod account;
pub mod factor;
mod notice;
pub mod pending;
pub mod policy;
pub mod recovery_codes;
pub mod totp;

/// How a person proved who they are at sign-in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Password,
    /// Password and a TOTP code.
    Totp,
    /// Password and a recovery code.
    RecoveryCode,
    /// An upstream OpenID provider (`accounts::upstream`) said who this is.
    Upstream,
    /// A WebAuthn passkey with user verification (`accounts::passkeys`): a key
    /// the person holds, unlocked by their PIN or biometrics — two factors.
    Passkey,
}

/// `acr` of a sign-in with a password only.
pub const ACR_PWD: &str = "urn:portcullis:acr:pwd";
/// `acr` of a sign-in with a password and a second factor.
pub const ACR_MFA: &str = "urn:portcullis:acr:mfa";
/// Every `acr` this server issues (discovery's `acr_values_supported`).
pub const ACR_VALUES: [&str; 2] = [ACR_PWD, ACR_MFA];

impl Method {
    /// RFC 8176 values, space-separated as stored. A recovery code is no
    /// registered method: `mfa` (two factors were shown) and our own `rc`, so a
    /// relying party can tell it from an authenticator app.
    pub fn amr(self) -> Option<&'static str> {
        match self {
            Method::Password => None,
            Method::Totp => Some("pwd otp mfa"),
            Method::RecoveryCode => Some("pwd mfa rc"),
            // No RFC 8176 value names federation: our own `fed`, as `rc` above.
            Method::Upstream => Some("fed"),
            // `swk`, not `hwk`: a synced passkey is not bound to one device.
            Method::Passkey => Some("swk mfa"),
        }
    }
}

impl Method {
    /// The stored `amr` of a sign-in whose first step was `first` and whose last
    /// was this one. A passkey's first step is two factors already: nothing
    /// after it adds to its `amr`.
    pub fn amr_after(self, first: pending::FirstStep) -> Option<&'static str> {
        use pending::FirstStep;
        match (first, self) {
            (FirstStep::Passkey, _) => Method::Passkey.amr(),
            (FirstStep::Upstream, Method::Password | Method::Upstream) => Method::Upstream.amr(),
            (FirstStep::Upstream, Method::Totp) => Some("fed otp mfa"),
            (FirstStep::Upstream, Method::RecoveryCode) => Some("fed mfa rc"),
            (FirstStep::Upstream, Method::Passkey) => Some("fed swk mfa"),
            // A passkey after a password: the second step.
            (FirstStep::Password, Method::Passkey) => Some("pwd swk mfa"),
            (FirstStep::Password, m) => m.amr(),
        }
    }
}

/// The `amr` claim's values for a stored `amr` (None: a password sign-in).
pub fn amr_values(stored: Option<&str>) -> Vec<String> {
    match stored {
        Some(s) if !s.is_empty() => s.split(' ').map(str::to_owned).collect(),
        _ => vec!["pwd".to_owned()],
    }
}

/// The `acr` of a stored `amr`.
pub fn acr_of(stored: Option<&str>) -> &'static str {
    if amr_values(stored).iter().any(|v| v == "mfa") {
        ACR_MFA
    } else {
        ACR_PWD
    }
}
