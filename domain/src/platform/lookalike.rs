//! Client names that may deceive: consent screens show a client's name, so
//! "Раураl" (Cyrillic) next to "Paypal" (Latin) is a phishing tool. People write
//! in every script, so such names are not refused; administrators see them
//! flagged on the client list and in the approval queue.
//!
//! Two checks from Unicode Technical Standard #39: mixed-script detection (§5.1: no
//! single script covers the name, with Han/Hiragana/Katakana and the like counted
//! together) and confusable detection (§4: two names are confusable when their
//! skeletons — each character mapped to its prototype in the confusables table —
//! are equal). We compare the skeletons of the lower-cased names, so names that
//! differ only in case are flagged too.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use unicode_script::{Script, UnicodeScript};
use unicode_security::{skeleton, MixedScript};

use crate::entities::client;
use crate::DomainResult;

/// The UTS #39 skeleton of a name, case-insensitively: lower-cased before (so
/// "PAYPAL" meets "paypal") and after (prototypes may be capitals: 0 becomes O).
pub fn skeleton_of(name: &str) -> String {
    skeleton(&name.trim().to_lowercase())
        .collect::<String>()
        .to_lowercase()
}

/// The scripts a name mixes, when no single script covers it (UTS #39 §5.1).
pub fn mixed_scripts(name: &str) -> Option<Vec<&'static str>> {
    if name.is_single_script() {
        return None;
    }
    let mut scripts: Vec<&'static str> = Vec::new();
    for c in name.chars() {
        let s = c.script();
        if matches!(s, Script::Common | Script::Inherited | Script::Unknown) {
            continue;
        }
        if !scripts.contains(&s.full_name()) {
            scripts.push(s.full_name());
        }
    }
    Some(scripts)
}

/// The warnings to show an administrator about a name, given the clients whose
/// names look like it ([`twins_of`]): mixed scripts, and those other clients.
pub fn warnings_for(id: &str, name: &str, skeletons: &Skeletons) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(scripts) = mixed_scripts(name) {
        out.push(format!(
            "The name mixes scripts ({}): it may imitate another name.",
            scripts.join(", ")
        ));
    }
    let twins: Vec<&(String, String)> = skeletons
        .0
        .get(&skeleton_of(name))
        .map(|v| v.iter().filter(|(other, _)| other != id).collect())
        .unwrap_or_default();
    for (other_id, other_name) in twins.iter().take(3) {
        out.push(if other_name == name {
            format!("Another client has the same name ({other_id}).")
        } else {
            format!("The name looks like \u{201c}{other_name}\u{201d} ({other_id}).")
        });
    }
    if twins.len() > 3 {
        out.push(format!(
            "…and {} more clients with a name that looks the same.",
            twins.len() - 3
        ));
    }
    out
}

/// Clients' `(id, name)` by skeleton.
pub struct Skeletons(HashMap<String, Vec<(String, String)>>);

/// Every client whose name has the skeleton of one of `names` (the names a page
/// shows): one indexed read, however many clients there are (m0049).
pub async fn twins_of<'a, C: ConnectionTrait>(
    conn: &C,
    names: impl IntoIterator<Item = &'a str>,
) -> DomainResult<Skeletons> {
    let mut wanted: Vec<String> = names.into_iter().map(skeleton_of).collect();
    wanted.sort();
    wanted.dedup();
    let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
    if wanted.is_empty() {
        return Ok(Skeletons(map));
    }
    let rows: Vec<(String, String, Option<String>)> = client::Entity::find()
        .select_only()
        .column(client::Column::Id)
        .column(client::Column::Name)
        .column(client::Column::NameSkeleton)
        .filter(client::Column::NameSkeleton.is_in(wanted))
        .into_tuple()
        .all(conn)
        .await?;
    for (id, name, skeleton) in rows {
        map.entry(skeleton.unwrap_or_else(|| skeleton_of(&name)))
            .or_default()
            .push((id, name));
    }
    Ok(Skeletons(map))
}

/// Writes the skeleton of every client that has none (rows from before m0049),
/// in the caller's transaction; returns how many. Run after the migrations.
pub async fn fill_skeletons<C: ConnectionTrait>(conn: &C) -> DomainResult<u64> {
    let rows: Vec<(String, String)> = client::Entity::find()
        .select_only()
        .column(client::Column::Id)
        .column(client::Column::Name)
        .filter(client::Column::NameSkeleton.is_null())
        .into_tuple()
        .all(conn)
        .await?;
    for (id, name) in &rows {
        client::Entity::update_many()
            .col_expr(
                client::Column::NameSkeleton,
                sea_orm::sea_query::Expr::value(skeleton_of(name)),
            )
            .filter(client::Column::Id.eq(id.as_str()))
            .exec(conn)
            .await?;
    }
    Ok(rows.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skeletons(names: &[(&str, &str)]) -> Skeletons {
        let mut map: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for (id, name) in names {
            map.entry(skeleton_of(name))
                .or_default()
                .push((id.to_string(), name.to_string()));
        }
        Skeletons(map)
    }

    #[test]
    fn flags_cyrillic_imitations_and_mixed_scripts() {
        let all = skeletons(&[("a", "Paypal"), ("b", "Раураl"), ("c", "Pаypal")]);
        // All Cyrillic but the final l: mixed, and it looks like Paypal.
        let w = warnings_for("b", "Раураl", &all);
        assert!(
            w.iter()
                .any(|w| w.contains("mixes scripts (Cyrillic, Latin)")),
            "{w:?}"
        );
        assert!(
            w.iter()
                .any(|w| w.contains("looks like \u{201c}Paypal\u{201d} (a)")),
            "{w:?}"
        );
        // One Cyrillic а inside Latin.
        let w = warnings_for("c", "Pаypal", &all);
        assert!(w.iter().any(|w| w.contains("mixes scripts")), "{w:?}");
        // The original is flagged as looking like the imitations, too: either may
        // be the impostor.
        let w = warnings_for("a", "Paypal", &all);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(!w.iter().any(|w| w.contains("mixes")));
    }

    #[test]
    fn ordinary_names_in_any_script_are_not_flagged() {
        let all = skeletons(&[
            ("a", "Grading bot"),
            ("b", "Расписание"),
            ("c", "時間割アプリ"),
            ("d", "Café 2"),
        ]);
        for (id, name) in [
            ("a", "Grading bot"),
            ("b", "Расписание"),
            ("c", "時間割アプリ"),
            ("d", "Café 2"),
        ] {
            assert!(warnings_for(id, name, &all).is_empty(), "{name}");
        }
    }

    #[test]
    fn look_alike_digits_letters_and_case_are_confusable() {
        assert_eq!(skeleton_of("G00gle"), skeleton_of("Google"));
        assert_eq!(skeleton_of("paypal"), skeleton_of("PAYPAL"));
        assert_eq!(skeleton_of("rn"), skeleton_of("m"));
        assert_ne!(skeleton_of("Grading bot"), skeleton_of("Grading box"));
    }
}
