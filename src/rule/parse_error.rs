//! Parser errors in words that hold nothing from the parsed file (issue 15): the TOML of rule
//! files and configs, and the JSON of baselines. Here, at the lowest layer that parses TOML, so
//! `config` and `filter` share it without importing each other.

/// A TOML error as `line L, column C: what was expected`, without anything from the file: no
/// excerpt, no key name, no value (issue 15). The parser's message is not trusted to keep
/// quoted input apart (a value may hold quotes and backticks); it is mapped to a fixed wording,
/// keeping only an `expected ...` tail that consists of names from leakhound's own schema.
pub fn describe_toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = safe_parse_message(err.message());
    match err.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let column = before.len()
                - before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1)
                + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

/// A TOML or JSON parser's `message` in words that hold nothing from the file (see
/// [`describe_toml_error`]).
pub fn safe_parse_message(message: &str) -> String {
    // serde puts the expectation last, after anything quoted from the input: the last
    // `, expected ` starts it, and it is kept only if it reads as schema words.
    let expected = message
        .rfind(", expected ")
        .map(|at| &message[at + ", expected ".len()..])
        .filter(|tail| is_schema_words(tail))
        .map(|tail| format!(", expected {tail}"))
        .unwrap_or_default();
    let what = [
        ("unknown field", "unknown key"),
        ("unknown variant", "unknown value"),
        ("invalid type", "wrong type of value"),
        ("invalid value", "invalid value"),
        ("invalid length", "wrong number of values"),
        ("duplicate key", "duplicate key"),
    ]
    .into_iter()
    .find(|(prefix, _)| message.starts_with(prefix));
    if let Some((_, what)) = what {
        return format!("{what}{expected}");
    }
    if let Some(field) = message.strip_prefix("missing field ") {
        // serde names the field from the schema, never from the file.
        return match is_schema_words(field) {
            true => format!("missing key {field}"),
            false => "a required key is missing".to_string(),
        };
    }
    // A syntax error: a fixed phrase, then what the grammar expected.
    let head = message.split(", expected ").next().unwrap_or_default();
    if !head.is_empty()
        && head
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return format!("{head}{expected}");
    }
    "invalid syntax".to_string()
}

/// Whether `text` is a list of schema names or grammar tokens: `a string`, `` `paths` ``,
/// ``one of `info`, `low` ``, `` `=` ``, `letters, numbers`.
fn is_schema_words(text: &str) -> bool {
    let text = text.strip_prefix("one of ").unwrap_or(text);
    !text.is_empty()
        && text.split(", ").all(|item| {
            let word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == ' ';
            match item
                .strip_prefix('`')
                .and_then(|rest| rest.strip_suffix('`'))
            {
                // A name, or a punctuation token of the grammar (`"`, `]`, `\`).
                Some(token) => {
                    (!token.is_empty()
                        && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
                        || (token.chars().count() == 1
                            && token.chars().all(|c| c.is_ascii_punctuation()))
                }
                None => !item.is_empty() && item.chars().all(word),
            }
        })
}
