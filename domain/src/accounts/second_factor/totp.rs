//! RFC 6238 time-based one-time passwords as authenticator apps make them:
//! HMAC-SHA-1, 6 digits, 30-second steps (RFC 6238 §4, RFC 4226 §5.3), and the
//! `otpauth://` URI and QR code that carry the secret to the app.

use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::platform::clock::Timestamp;

pub const STEP_SECS: i64 = 30;
pub const DIGITS: usize = 6;
/// RFC 6238 §5.2: one step either side, for clocks apart and codes typed slowly.
pub const WINDOW_STEPS: i64 = 1;
/// 160 bits: RFC 4226 §4 recommends the length of the HMAC output.
pub const SECRET_BYTES: usize = 20;

/// The time step of `now` (RFC 6238 §4.2, T0 = 0).
pub fn step_of(now: Timestamp) -> i64 {
    now.div_euclid(STEP_SECS)
}

/// The code for `step` (RFC 4226 §5.3, dynamic truncation).
pub fn code_at(secret: &[u8], step: i64) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        // HMAC takes a key of any length; unreachable.
        return String::new();
    };
    mac.update(&(step as u64).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let offset = (h[h.len() - 1] & 0x0f) as usize;
    let bin = u32::from_be_bytes([
        h[offset] & 0x7f,
        h[offset + 1],
        h[offset + 2],
        h[offset + 3],
    ]);
    format!("{:0width$}", bin % 10u32.pow(DIGITS as u32), width = DIGITS)
}

/// The step within the window around `now` whose code is `code`, if any. Spaces a
/// person typed are ignored; every candidate is compared in constant time.
pub fn matching_step(secret: &[u8], code: &str, now: Timestamp) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = step_of(now);
    let mut found = None;
    for step in (t - WINDOW_STEPS)..=(t + WINDOW_STEPS) {
        if crate::platform::secret::ct_eq(&code_at(secret, step), &code) && found.is_none() {
            found = Some(step);
        }
    }
    found
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The Key Uri Format authenticator apps read (Google Authenticator's, followed by
/// the others): label `issuer:account`, algorithm and lengths spelled out.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

/// The URI as a QR code, an SVG drawn on the server (no script, no image request).
pub fn qr_svg(uri: &str) -> Option<String> {
    use qrcode::render::svg;
    let code =
        qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in HTML: without the XML declaration.
    svg.find("<svg").map(|at| svg[at..].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits there; the last 6 here).
    #[test]
    fn codes_match_rfc_6238_appendix_b() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, step_of(t)), eight[2..], "T = {t}");
        }
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_no_further() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let t = step_of(now);
        for d in -1..=1 {
            assert_eq!(
                matching_step(secret, &code_at(secret, t + d), now),
                Some(t + d)
            );
        }
        for d in [-2, 2] {
            assert_eq!(matching_step(secret, &code_at(secret, t + d), now), None);
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "abcdef", now), None);
    }

    #[test]
    fn base32_is_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }
}
