//! How guessable a new password is, estimated by zxcvbn (Dropbox's estimator; the
//! `zxcvbn` crate is its maintained Rust port) instead of a home-made rule list.
//!
//! NIST SP 800-63B §5.1.1.2 asks verifiers to refuse passwords that are commonly
//! used, expected or compromised, and to say why. zxcvbn estimates the guesses an
//! attacker needs from dictionaries (common passwords, words, names), keyboard
//! patterns, repeats, sequences and dates, and from the person's own username,
//! e-mail and name (its "user inputs"). A score below [`MIN_SCORE`] is refused with
//! zxcvbn's own warning and suggestions. See docs/SECURITY.md, "Password strength".

use zxcvbn::Score;

use crate::platform::secret::SecretString;
use crate::{DomainError, DomainResult};

/// zxcvbn's scale is 0–4; 3 means "safely unguessable: moderate protection from an
/// offline slow-hash scenario" (at least 10^8 guesses), which with argon2id at
/// OWASP's parameters is years of one core per password.
pub const MIN_SCORE: Score = Score::Three;

/// zxcvbn's time grows with the length of the password; the estimate of the first
/// this many characters is the estimate (a longer password only gets stronger).
const ESTIMATE_CHARS: usize = 100;

/// Refuses a guessable password, saying why. `user_inputs` are what an attacker
/// who targets this person knows: username, e-mail address (and its local part),
/// display name.
pub fn check(password: &SecretString, user_inputs: &[&str]) -> DomainResult<()> {
    let pw: String = password.expose().chars().take(ESTIMATE_CHARS).collect();
    let mut inputs: Vec<&str> = Vec::with_capacity(user_inputs.len() * 2);
    for i in user_inputs {
        inputs.push(i);
        // An address's parts on their own: `ann.lee@example.edu` → `ann.lee`, `example`.
        if let Some((local, domain)) = i.split_once('@') {
            inputs.push(local);
            inputs.extend(domain.split('.').filter(|p| p.len() > 2));
        }
    }
    let estimate = zxcvbn::zxcvbn(&pw, &inputs);
    if estimate.score() >= MIN_SCORE {
        return Ok(());
    }
    // One sentence per part; the caller's message adds the final full stop.
    let mut reason = String::from("is too easy to guess");
    let feedback = estimate.feedback();
    if let Some(w) = feedback.and_then(|f| f.warning()) {
        let w = w.to_string();
        let mut c = w.trim_end_matches('.').chars();
        if let Some(first) = c.next() {
            reason.push_str(": ");
            reason.extend(first.to_lowercase());
            reason.push_str(c.as_str());
        }
    }
    let tips: Vec<String> = feedback
        .map(|f| f.suggestions().iter().map(|s| s.to_string()).collect())
        .unwrap_or_default();
    let tips = if tips.is_empty() {
        "Add another word or two.".to_owned()
    } else {
        tips.join(" ")
    };
    reason.push_str(". ");
    reason.push_str(tips.trim_end_matches('.'));
    Err(DomainError::invalid("password", reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(pw: &str, inputs: &[&str]) -> Option<String> {
        check(&SecretString::new(pw), inputs)
            .err()
            .map(|e| e.to_string())
    }

    #[test]
    fn common_and_personal_passwords_are_refused_with_a_reason() {
        let common = refused("password1234", &[]).expect("a top-10 password");
        assert!(
            common.starts_with("password: is too easy to guess"),
            "{common}"
        );
        assert!(common.contains("common"), "{common}");
        assert!(refused("qwertyuiop12", &[]).is_some(), "a keyboard row");
        // Strong in general, weak for this person: their own name and address.
        assert_eq!(refused("zorblatt.quenby2024", &[]), None);
        let personal = refused(
            "zorblatt.quenby2024",
            &["zorblatt", "zorblatt.quenby@example.edu"],
        )
        .expect("the person's own name and address");
        assert!(personal.contains("Add another word"), "{personal}");
    }

    #[test]
    fn passphrases_and_random_strings_pass() {
        for ok in [
            "correct horse battery staple",
            "tangerine ladder whistle 42",
            "Vq8#mT2!rLp9",
        ] {
            assert_eq!(refused(ok, &["alice", "alice@example.edu"]), None, "{ok}");
        }
        let generated = crate::platform::secret::random_password();
        assert_eq!(refused(&generated, &["admin"]), None);
    }
}
