//! Text that people type: every field is bounded (the numbers live in the `limits`
//! crate) and refuses characters that have no business in it.
//!
//! Refused everywhere: control characters (C0 — NUL included, which PostgreSQL
//! cannot store in `text` — DEL and C1), the bidirectional formatting characters
//! (Unicode TR #9: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM), which
//! can make a name read differently from what it is ("Trojan Source",
//! CVE-2021-42574), invisible characters (zero-width space and joiners, word joiner,
//! byte-order mark, soft hyphen, invisible operators, tags), and line and paragraph
//! separators. Multi-line fields (justifications, reasons, descriptions) accept
//! line breaks and tabs, nothing else of the above.
//!
//! Look-alike names are not refused (people write in every script); administrators
//! see them flagged instead: see [`crate::platform::lookalike`].

use crate::{DomainError, DomainResult};

/// The characters no text field accepts, as inclusive ranges.
pub const FORBIDDEN: &[(char, char)] = &[
    ('\u{0000}', '\u{001F}'),   // C0 controls, NUL included
    ('\u{007F}', '\u{009F}'),   // DEL, C1 controls
    ('\u{00AD}', '\u{00AD}'),   // soft hyphen
    ('\u{034F}', '\u{034F}'),   // combining grapheme joiner
    ('\u{061C}', '\u{061C}'),   // Arabic letter mark
    ('\u{115F}', '\u{1160}'),   // Hangul fillers
    ('\u{17B4}', '\u{17B5}'),   // Khmer inherent vowels
    ('\u{180B}', '\u{180F}'),   // Mongolian free variation selectors, vowel separator
    ('\u{200B}', '\u{200F}'),   // zero-width space, ZWNJ, ZWJ, LRM, RLM
    ('\u{2028}', '\u{202E}'),   // line/paragraph separators, LRE RLE PDF LRO RLO
    ('\u{2060}', '\u{206F}'),   // word joiner, invisible operators, LRI RLI FSI PDI
    ('\u{3164}', '\u{3164}'),   // Hangul filler
    ('\u{FEFF}', '\u{FEFF}'),   // byte-order mark / zero-width no-break space
    ('\u{FFA0}', '\u{FFA0}'),   // halfwidth Hangul filler
    ('\u{FFF9}', '\u{FFFB}'),   // interlinear annotation
    ('\u{1D173}', '\u{1D17A}'), // musical formatting
    ('\u{E0000}', '\u{E007F}'), // tags (invisible ASCII)
];

/// Whether `c` is never accepted in a text field; `multiline` allows tab and line
/// breaks.
pub fn is_forbidden(c: char, multiline: bool) -> bool {
    if multiline && matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    FORBIDDEN.iter().any(|&(a, b)| (a..=b).contains(&c))
}

/// The forbidden characters of the Basic Multilingual Plane as the inside of a
/// regular-expression character class (`\u0000-\u001f…`), for JSON Schema
/// `pattern`s (ECMA-262 and Python alike). The two ranges beyond it cannot be
/// written without the `u` flag; the document is silent about them.
pub fn forbidden_class(multiline: bool) -> String {
    let mut out = String::new();
    let mut push = |a: u32, b: u32| {
        if a == b {
            out.push_str(&format!("\\u{a:04x}"));
        } else {
            out.push_str(&format!("\\u{a:04x}-\\u{b:04x}"));
        }
    };
    for &(a, b) in FORBIDDEN.iter().filter(|(a, _)| (*a as u32) < 0x10000) {
        let (a, b) = (a as u32, b as u32);
        if multiline && a == 0 {
            // Everything in C0 but tab (9), line feed (10) and carriage return (13).
            push(0x00, 0x08);
            push(0x0b, 0x0c);
            push(0x0e, b);
        } else {
            push(a, b);
        }
    }
    out
}

fn describe(c: char) -> String {
    let what = if c == '\0' {
        "a NUL character"
    } else if c.is_control() {
        "a control character"
    } else if matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    {
        "a character that changes the text direction"
    } else {
        "an invisible character"
    };
    format!("must not contain {what} (U+{:04X})", c as u32)
}

/// Refuses forbidden characters in `value`.
pub fn check_chars(field: &'static str, value: &str, multiline: bool) -> DomainResult<()> {
    match value.chars().find(|&c| is_forbidden(c, multiline)) {
        Some(c) => Err(DomainError::invalid(field, describe(c))),
        None => Ok(()),
    }
}

/// Refuses text longer than `max` characters. Counting stops past the bound, so
/// a megabyte costs no more than the bound.
pub fn check_len(field: &'static str, value: &str, max: usize) -> DomainResult<()> {
    if value.chars().nth(max).is_some() {
        return Err(DomainError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(())
}

/// A one-line field: trimmed, at most `max` characters, no forbidden characters.
/// May be empty; callers that need a value say so in their own words.
pub fn line(field: &'static str, value: &str, max: usize) -> DomainResult<String> {
    // The bound applies to what was sent, as the OpenAPI document's maxLength does.
    check_len(field, value, max)?;
    let v = value.trim();
    check_chars(field, v, false)?;
    Ok(v.to_owned())
}

/// A multi-line field (line breaks and tabs allowed).
pub fn paragraph(field: &'static str, value: &str, max: usize) -> DomainResult<String> {
    check_len(field, value, max)?;
    let v = value.trim();
    check_chars(field, v, true)?;
    Ok(v.to_owned())
}

/// Refuses a list longer than `max` entries (before anything looks at its items).
pub fn check_items<T>(field: &'static str, items: &[T], max: usize) -> DomainResult<()> {
    if items.len() > max {
        return Err(DomainError::invalid(
            field,
            format!("must have at most {max} entries"),
        ));
    }
    Ok(())
}

/// A search or filter text (trimmed).
pub fn search(field: &'static str, value: &str) -> DomainResult<String> {
    line(field, value, limits::SEARCH)
}

/// The bounds every URI field shares, checked before parsing: the URL parser
/// quietly drops or escapes control characters, so the stored text would not be
/// what was checked.
pub fn uri(field: &'static str, uri: &str) -> DomainResult<()> {
    check_len(field, uri, limits::URI)?;
    check_chars(field, uri, false)?;
    if uri.chars().any(char::is_whitespace) {
        return Err(DomainError::invalid(field, "must not contain spaces"));
    }
    Ok(())
}

/// Whether `key` can name a stored row at all (identifiers, names, scope names):
/// lookups with anything else are answered "no such thing" without asking the
/// database — PostgreSQL refuses a NUL in a query parameter with an error.
pub fn could_exist(key: &str) -> bool {
    !key.is_empty() && key.len() <= 4 * limits::URI && !key.chars().any(|c| is_forbidden(c, false))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_controls_direction_changes_and_invisible_characters() {
        for bad in [
            "a\0b",
            "evil\u{202E}gpj.exe",
            "pay\u{200B}pal",
            "x\u{2066}y",
            "\u{FEFF}bom",
            "bell\u{7}",
            "c1\u{85}x",
            "line\u{2028}sep",
            "tag\u{E0041}",
        ] {
            let e = line("name", bad, 100).unwrap_err();
            assert!(
                matches!(&e, DomainError::Invalid { field: "name", message } if message.starts_with("must not contain")),
                "{bad:?}: {e:?}"
            );
        }
        assert!(line("name", "multi\nline", 100).is_err());
        assert_eq!(
            paragraph("why", " multi\nline\twith tab ", 100).unwrap(),
            "multi\nline\twith tab"
        );
        assert!(paragraph("why", "nul\0", 100).is_err());
    }

    #[test]
    fn accepts_every_script_and_emoji() {
        for ok in [
            "Grading bot",
            "Café Ünïcode",
            "Расписание",
            "時間割アプリ",
            "مدرسة",
            "🎓 Exams",
        ] {
            assert_eq!(line("name", ok, 100).unwrap(), ok);
        }
    }

    #[test]
    fn length_counts_characters_and_names_the_bound() {
        assert!(line("name", &"é".repeat(100), 100).is_ok());
        let e = line("name", &"é".repeat(101), 100).unwrap_err();
        assert_eq!(e.to_string(), "name: must be at most 100 characters");
        let e = check_items("contacts", &[0; 11], 10).unwrap_err();
        assert_eq!(e.to_string(), "contacts: must have at most 10 entries");
    }

    #[test]
    fn the_regex_class_lists_exactly_the_forbidden_characters_of_the_bmp() {
        for multiline in [false, true] {
            let class = forbidden_class(multiline);
            // Parse the class back: `\uXXXX` or `\uXXXX-\uYYYY`, one after another.
            let mut ranges = Vec::new();
            let mut rest = class.as_str();
            let hex = |s: &str| u32::from_str_radix(&s[2..6], 16).unwrap();
            while !rest.is_empty() {
                let a = hex(rest);
                rest = &rest[6..];
                let b = match rest.strip_prefix('-') {
                    Some(r) => {
                        rest = &r[6..];
                        hex(r)
                    }
                    None => a,
                };
                ranges.push((a, b));
            }
            for c in (0u32..0x10000).filter_map(char::from_u32) {
                let listed = ranges.iter().any(|&(a, b)| (a..=b).contains(&(c as u32)));
                assert_eq!(listed, is_forbidden(c, multiline), "U+{:04X}", c as u32);
            }
        }
        // Every control character is in the table.
        assert!((0..0x10000)
            .filter_map(char::from_u32)
            .filter(|c| c.is_control())
            .all(|c| is_forbidden(c, false)));
    }

    #[test]
    fn the_password_policy_is_the_bound_the_forms_show() {
        assert_eq!(
            crate::platform::password::MIN_PASSWORD_CHARS,
            limits::PASSWORD_MIN
        );
        assert_eq!(
            crate::platform::password::MAX_PASSWORD_CHARS,
            limits::PASSWORD
        );
    }

    #[test]
    fn keys_with_nul_cannot_exist() {
        assert!(could_exist("abc_DEF-123"));
        assert!(!could_exist("abc\0"));
        assert!(!could_exist(""));
        assert!(!could_exist(&"x".repeat(10_000)));
    }
}
