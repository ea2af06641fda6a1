//! Context rules: a secret whose shape alone does not identify it (32 alphanumerics) counts
//! only near one of its provider's words. Such a rule gives its `context` words and its value's
//! `shape`; the regex around them is written once, here, so every context rule reads the same
//! layouts and a fix to one layout reaches them all.
//!
//! The value is accepted in two layouts:
//! - **named key**: the provider word, then within 40 bytes a key word (`key`, `token`,
//!   `secret`, ...), then within 40 more bytes the value: `AI21_API_KEY=...`,
//!   `{"ai21": {"apiKey": "..."}}`, `<ai21Token>\n  ...\n</ai21Token>`, a YAML key on the next
//!   line, `ai21 token - ...`;
//! - **provider key**: the provider word is the key itself (`ai21: ...`, `"AI21": "..."`,
//!   `ai21_pat=...`, .NET's `<add key="Ai21" value="..."/>`): at most 24 name bytes, then
//!   separators.
//!
//! A `_`, `-` or `.` inside a context word matches any of the three or none, so `polygon_api`
//! also reads Spring's `polygon.api.key` and .NET's `PolygonApiKey`; [`keyword_variants`] gives
//! the prefilter the same spellings.
//!
//! The value must stand alone: the bytes on each side are ones the shape cannot hold (nor a
//! letter or digit), so a 40-character token never yields a 32-character "secret" inside it.

use regex_syntax::hir::Hir;

use super::hir::collect_bytes;

/// Words that name a credential, looked for between the provider word and the value.
const KEY_WORDS: &[&str] = &[
    "key",
    "token",
    "secret",
    "pass",
    "pwd",
    "access",
    "private",
    "auth",
    "credential",
    "bearer",
    "api",
    "sid",
];

/// Bytes between the provider word and the key word, and between the key word and the value.
const GAP: usize = 40;
/// Bytes of key name after the provider word in the provider-key layout (`ai21_prod_pat`).
const NAME_TAIL: usize = 24;

/// The regex of a context rule: one of `context` (case-insensitive), then the value of `shape`
/// (case as written) as the `secret` group, in either layout.
pub(super) fn context_regex(context: &[String], shape: &str) -> Result<String, String> {
    if context.is_empty() {
        return Err("a `shape` needs `context` words".into());
    }
    if context.iter().any(|word| word.trim().is_empty()) {
        return Err("a context word is empty".into());
    }
    let shape_hir =
        super::hir::parse(shape).map_err(|reason| format!("invalid shape: {reason}"))?;
    if shape_hir.properties().explicit_captures_len() > 0 {
        return Err("a shape has no capture groups (the whole shape is the secret)".into());
    }
    let boundary = boundary_class(&shape_hir);
    // What may stand just before the value: a boundary byte, or an assignment sign even when
    // the value's alphabet holds it (base64 ends in `=`; `KEY=value` must still be read).
    let opening = format!("(?:{boundary}|[=:])");
    let words = context
        .iter()
        .map(|word| provider_word(word))
        .collect::<Vec<_>>()
        .join("|");
    let keys = KEY_WORDS.join("|");
    Ok(format!(
        "(?:{words})\
         (?:(?s:.){{0,{GAP}}}?(?i:{keys})(?s:.){{0,{GAP}}}?{opening}\
         |[\\w.-]{{0,{NAME_TAIL}}}?(?:{APP_SETTING_KEY_END})?{opening}{{1,6}})\
         (?P<secret>{shape})(?:{boundary}|\\z)"
    ))
}

/// The end of a .NET appSettings key, before its value: `<add key="Acme" value="...`.
const APP_SETTING_KEY_END: &str = r#"["'][ \t]{1,3}(?i:value)"#;

/// Bytes that join the parts of a key name, each spelled differently by each file kind.
const NAME_SEPARATORS: &[u8] = b"_-.";

/// The spellings of a context word the keyword prefilter must know: as written, and with the
/// separators between its parts all `_`, all `-`, all `.` or gone (`polygon_api`,
/// `polygon.api`, `polygonapi`). A separator at either end stays: it marks the word's end
/// (`chec_` must not become `chec`, found in every `check`).
pub(super) fn keyword_variants(word: &str) -> Vec<String> {
    let mut variants = vec![word.to_string()];
    let (head, parts, tail) = name_parts(word);
    if parts.len() > 1 {
        for separator in ["_", "-", ".", ""] {
            let variant = format!("{head}{}{tail}", parts.join(separator));
            if !variants.contains(&variant) {
                variants.push(variant);
            }
        }
    }
    variants
}

/// A context word split at its inner separators, with the separators it opens and ends with.
fn name_parts(word: &str) -> (&str, Vec<&str>, &str) {
    let is_separator = |c: char| c.is_ascii() && NAME_SEPARATORS.contains(&(c as u8));
    let inner = word.trim_matches(is_separator);
    let head = &word[..word.len() - word.trim_start_matches(is_separator).len()];
    let tail = &word[word.trim_end_matches(is_separator).len()..];
    let parts = inner
        .split(is_separator)
        .filter(|part| !part.is_empty())
        .collect();
    (head, parts, tail)
}

/// A provider word as a case-insensitive regex. Words of three letters or fewer must not
/// follow a letter, so `box` does not fire inside `checkbox`.
fn provider_word(word: &str) -> String {
    let lowercase = word.to_ascii_lowercase();
    let (head, parts, tail) = name_parts(&lowercase);
    let escaped = format!(
        "{}{}{}",
        regex_syntax::escape(head),
        parts
            .iter()
            .map(|part| regex_syntax::escape(part))
            .collect::<Vec<_>>()
            .join("[_.-]?"),
        regex_syntax::escape(tail)
    );
    if word.len() <= 3 {
        format!("(?:\\A|[^A-Za-z])(?i:{escaped})")
    } else {
        format!("(?i:{escaped})")
    }
}

/// A class of the bytes that may border the value: none the shape can hold, and no letter or
/// digit.
fn boundary_class(shape: &Hir) -> String {
    let mut inside = [false; 256];
    collect_bytes(shape, &mut inside);
    for byte in (b'0'..=b'9').chain(b'A'..=b'Z').chain(b'a'..=b'z') {
        inside[byte as usize] = true;
    }
    // Runs of outside bytes as ranges: a class of single escapes took most of the parse.
    let mut class = String::from("[");
    let mut byte = 0;
    while byte < 256 {
        if inside[byte] {
            byte += 1;
            continue;
        }
        let start = byte;
        while byte + 1 < 256 && !inside[byte + 1] {
            byte += 1;
        }
        class.push_str(&format!("\\x{start:02X}"));
        if byte > start {
            class.push_str(&format!("-\\x{byte:02X}"));
        }
        byte += 1;
    }
    class.push(']');
    class
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(context: &[&str], shape: &str, text: &str) -> Vec<String> {
        let context: Vec<String> = context.iter().map(|w| w.to_string()).collect();
        let pattern = context_regex(&context, shape).unwrap();
        let regex = regex::bytes::RegexBuilder::new(&pattern)
            .unicode(false)
            .build()
            .unwrap();
        regex
            .captures_iter(text.as_bytes())
            .map(|caps| String::from_utf8_lossy(&caps["secret"]).into_owned())
            .collect()
    }

    const VALUE: &str = "S2ATbyrGP3krePRu0V9UqPoTxe9CUvNr";

    #[test]
    fn both_layouts_on_one_line_and_across_lines() {
        let found = [
            format!("AI21_API_KEY={VALUE}"),
            format!("{{\"ai21\": \"{VALUE}\"}}"),
            format!("ai21:\n  apiKey: '{VALUE}'"),
            format!("<Ai21Token>\n    {VALUE}\n</Ai21Token>"),
            format!("ai21 token - {VALUE}"),
            format!("export AI21_PROD_PAT=\"{VALUE}\""),
        ];
        for text in &found {
            assert_eq!(
                secrets(&["ai21"], "[A-Za-z0-9]{32}", text),
                [VALUE],
                "{text}"
            );
        }
    }

    #[test]
    fn values_inside_longer_tokens_or_far_away_are_not_found() {
        let missed = [
            format!("AI21_API_KEY={VALUE}abc"),
            format!("AI21_API_KEY=abc{VALUE}"),
            format!("AI21_API_KEY={}", &VALUE[..31]),
            format!("ai21 {} {VALUE}", "x".repeat(GAP + 10)),
            format!("ai21model version is {VALUE}"),
        ];
        for text in &missed {
            assert!(
                secrets(&["ai21"], "[A-Za-z0-9]{32}", text).is_empty(),
                "{text}"
            );
        }
    }

    #[test]
    fn values_whose_alphabet_holds_the_assignment_sign_are_read_after_it() {
        // Padding written where it goes: `=` anywhere would let `KEY=...` pass for a value.
        let shape = "[A-Za-z0-9+/]{20,43}=?";
        let value = "q8Zk3Lp0Vw7Rt2Yx5Nb9Mc4Hd6Jf1Gs=";
        for text in [
            format!("BEAMER_API_KEY={value}"),
            format!("beamer={value}"),
            format!("beamer: {value}"),
        ] {
            assert_eq!(secrets(&["beamer"], shape, &text), [value], "{text}");
        }
    }

    #[test]
    fn short_provider_words_need_a_word_start() {
        let shape = "[a-z0-9]{32}";
        let value = "k5v9x2m4q8w1e7r3t6y0u2i4o6p8a1s3";
        assert_eq!(
            secrets(&["box"], shape, &format!("BOX_TOKEN={value}")),
            [value]
        );
        assert!(secrets(&["box"], shape, &format!("checkbox_token={value}")).is_empty());
    }

    #[test]
    fn separators_in_context_words_match_every_spelling() {
        let shape = "[A-Za-z0-9]{32}";
        for text in [
            format!("polygon.api.key={VALUE}"),
            format!("POLYGON_API_KEY={VALUE}"),
            format!("<add key=\"PolygonApiKey\" value=\"{VALUE}\" />"),
            format!("polygon-api:\n  key: {VALUE}"),
        ] {
            assert_eq!(secrets(&["polygon_api"], shape, &text), [VALUE], "{text}");
        }
        assert_eq!(
            keyword_variants("polygon_api"),
            ["polygon_api", "polygon-api", "polygon.api", "polygonapi"]
        );
        assert_eq!(keyword_variants("polygon"), ["polygon"]);
        assert_eq!(keyword_variants("chec_"), ["chec_"]);
        assert_eq!(
            keyword_variants("-a_b-"),
            ["-a_b-", "-a-b-", "-a.b-", "-ab-"]
        );
        assert!(secrets(&["chec_"], shape, &format!("check={VALUE}")).is_empty());
    }

    #[test]
    fn dotnet_app_settings_name_the_provider_in_the_key_attribute() {
        let text = format!("<add key=\"Ai21\" value=\"{VALUE}\" />");
        assert_eq!(secrets(&["ai21"], "[A-Za-z0-9]{32}", &text), [VALUE]);
        let text = format!("<add key=\"Ai21\" value=\"{}\" />", &VALUE[..20]);
        assert!(secrets(&["ai21"], "[A-Za-z0-9]{32}", &text).is_empty());
    }

    #[test]
    fn bad_shapes_and_empty_context_are_errors() {
        assert!(context_regex(&[], "[a-z]{8}").is_err());
        assert!(context_regex(&["".into()], "[a-z]{8}").is_err());
        assert!(context_regex(&["acme".into()], "[a-z").is_err());
        assert!(context_regex(&["acme".into()], "([a-z]{8})").is_err());
    }
}
