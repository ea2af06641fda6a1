//! Go RE2 regex syntax (what gitleaks configs are written in) rewritten into the syntax of
//! Rust's `regex`, for the constructs where the two differ. Everything else is copied as is.
//!
//! | RE2 | Rust `regex` | rewritten to |
//! |---|---|---|
//! | `{` that does not start a valid `{n}`, `{n,}`, `{n,m}` is a literal (`\${x}`, `{,5}`) | an error | `\{` |
//! | a lone `}` is a literal | a literal | `\}` |
//! | `\Q...\E` quotes literal text | an error | the text, escaped |
//! | `\0`, `\12`, `\177`: octal escapes | an error | `\x{..}` |
//! | `\<`, `\>`: escaped punctuation, literal | word boundaries | `<`, `>` |
//! | `[` inside a class is a literal (`[[]`) | a nested class | `\[` |
//! | `&&`, `--`, `~~` inside a class are literals | class set operations | escaped |
//! | `\pL`, `\p{Greek}` | need Unicode mode, which rules run without | `(?u:\pL)` (outside classes) |
//! | flags other than `i`, `m`, `s`, `U` (`(?x)`) | accepted | rejected, as RE2 does |
//!
//! `\d`, `\w`, `\s` and `\b` are ASCII in RE2; rules are compiled without Unicode mode, so they
//! are ASCII in leakhound too and need no rewriting.
//! See <https://github.com/google/re2/wiki/Syntax> and Go's `regexp/syntax` documentation.

/// Rewrites the RE2 `pattern` for Rust's `regex`. Errors are what RE2 itself rejects and cannot
/// be carried over; the result may still fail to compile in Rust, for the caller to report.
pub fn translate(pattern: &str) -> Result<String, String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut i = 0;
    // Whether the last thing written can take a repetition operator.
    let mut repeatable = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                let (text, next, atom) = escape(&chars, i, false)?;
                out.push_str(&text);
                repeatable = atom;
                i = next;
            }
            '[' => {
                i = class(&chars, i, &mut out)?;
                repeatable = true;
            }
            '{' => match repetition(&chars, i) {
                Some(end) if repeatable => {
                    let counts: String = chars[i + 1..end - 1].iter().collect();
                    if counts
                        .split(',')
                        .any(|n| n.parse::<u32>().is_ok_and(|n| n > 1000))
                    {
                        return Err("invalid repeat count".into());
                    }
                    out.extend(&chars[i..end]);
                    i = end;
                }
                Some(_) => return Err("missing argument to repetition operator".into()),
                None => {
                    // RE2: "If the repeat cannot be parsed, { is a literal."
                    out.push_str("\\{");
                    repeatable = true;
                    i += 1;
                }
            },
            '}' => {
                out.push_str("\\}");
                repeatable = true;
                i += 1;
            }
            '(' if chars.get(i + 1) == Some(&'?') => {
                let end = group_flags(&chars, i)?;
                out.extend(&chars[i..end]);
                repeatable = false;
                i = end;
            }
            '(' | '|' => {
                out.push(c);
                repeatable = false;
                i += 1;
            }
            '*' | '+' | '?' => {
                out.push(c);
                // A lazy `?` may follow; a second operator is RE2's "nested repetition" error,
                // which Rust's parser reports too.
                repeatable = false;
                i += 1;
            }
            _ => {
                out.push(c);
                repeatable = !matches!(c, '^' | '$');
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The end (exclusive) of a valid RE2 repetition `{n}`, `{n,}` or `{n,m}` starting at `start`.
fn repetition(chars: &[char], start: usize) -> Option<usize> {
    let mut i = start + 1;
    let digits = |i: &mut usize| {
        let from = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        let text: String = chars[from..*i].iter().collect();
        // RE2 reads a count with a leading zero as no count (`{` is then a literal).
        let leading_zero = text.len() > 1 && text.starts_with('0');
        (!text.is_empty() && !leading_zero).then_some(text)
    };
    digits(&mut i)?;
    if chars.get(i) == Some(&',') {
        i += 1;
        if chars.get(i) != Some(&'}') {
            digits(&mut i)?;
        }
    }
    (chars.get(i) == Some(&'}')).then_some(i + 1)
}

/// Checks a `(?` group opener at `start`: named groups pass, flags must be RE2's. Returns the
/// end of the opener.
fn group_flags(chars: &[char], start: usize) -> Result<usize, String> {
    let mut i = start + 2;
    match chars.get(i) {
        Some('P') | Some('<') => return Ok(i),
        Some(':') => return Ok(i + 1),
        _ => {}
    }
    while let Some(&c) = chars.get(i) {
        match c {
            'i' | 'm' | 's' | 'U' | '-' => i += 1,
            ')' | ':' => return Ok(i + 1),
            _ => {
                let seen: String = chars[start..=i].iter().collect();
                return Err(format!("invalid or unsupported Perl syntax: `{seen}`"));
            }
        }
    }
    Err("missing closing )".into())
}

/// One escape at `start` (a backslash): its Rust text, the index after it, and whether it is a
/// single character or class (so can be repeated). `in_class`: inside `[...]`.
fn escape(chars: &[char], start: usize, in_class: bool) -> Result<(String, usize, bool), String> {
    let Some(&c) = chars.get(start + 1) else {
        return Err("trailing backslash at end of expression".into());
    };
    let next = start + 2;
    Ok(match c {
        'Q' if !in_class => {
            // Literal text up to `\E` or the end.
            let mut end = next;
            while end < chars.len() && !(chars[end] == '\\' && chars.get(end + 1) == Some(&'E')) {
                end += 1;
            }
            let text: String = chars[next..end].iter().collect();
            let after = if end < chars.len() { end + 2 } else { end };
            // A repetition after it applies to the last character, as in RE2.
            (regex_syntax::escape(&text), after, !text.is_empty())
        }
        '0'..='7' => {
            // RE2: `\1`..`\7` alone would be backreferences (unsupported); `\0` and two or
            // three digits are octal.
            let mut end = next;
            while end < chars.len() && end < next + 2 && ('0'..='7').contains(&chars[end]) {
                end += 1;
            }
            if c != '0' && end == next {
                return Err(format!("invalid escape sequence: `\\{c}`"));
            }
            let digits: String = chars[start + 1..end].iter().collect();
            let value = u32::from_str_radix(&digits, 8).map_err(|err| err.to_string())?;
            (format!("\\x{{{value:X}}}"), end, true)
        }
        '<' | '>' => (c.to_string(), next, true),
        'p' | 'P' => {
            // `\pL` or `\p{Name}`: Unicode classes, in Unicode mode.
            let end = if chars.get(next) == Some(&'{') {
                chars[next..]
                    .iter()
                    .position(|&c| c == '}')
                    .map(|offset| next + offset + 1)
                    .ok_or("invalid character class range: missing }")?
            } else {
                (next + 1).min(chars.len())
            };
            let class: String = chars[start..end].iter().collect();
            if in_class {
                // No flag group fits inside a class: left as is, so the rule is reported as
                // not loadable (no known config has one).
                (class, end, true)
            } else {
                (format!("(?u:{class})"), end, true)
            }
        }
        'b' | 'B' | 'A' | 'z' if !in_class => (format!("(?:\\{c})"), next, false),
        'x' => {
            // `\xHH` or `\x{H..}`: copied.
            let end = if chars.get(next) == Some(&'{') {
                chars[next..]
                    .iter()
                    .position(|&c| c == '}')
                    .map(|offset| next + offset + 1)
                    .ok_or("invalid escape sequence: unclosed \\x{")?
            } else {
                (next + 2).min(chars.len())
            };
            (chars[start..end].iter().collect(), end, true)
        }
        c if c.is_ascii_punctuation() => (regex_syntax::escape(&c.to_string()), next, true),
        // `\d`, `\w`, `\s`, `\n`, `\t`, ...: the same in both.
        c => (format!("\\{c}"), next, true),
    })
}

/// Copies the class opening at `start` into `out` in Rust syntax; returns the index after it.
/// Items follow RE2: a POSIX class, or a character or escape optionally followed by `-` and the
/// end of a range; any other `-`, and `[`, `&`, `~`, are literals (Rust reads `[`, `&&`, `--`
/// and `~~` as nesting and set operations, so they are escaped).
fn class(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        match chars.get(i) {
            None => return Err("missing closing ]".into()),
            // `]` first in a class is a literal.
            Some(']') if !first => {
                out.push(']');
                return Ok(i + 1);
            }
            Some('[') if chars.get(i + 1) == Some(&':') => {
                let rest: String = chars[i..].iter().collect();
                match rest.find(":]") {
                    Some(end) if end > 1 => {
                        out.push_str(&rest[..end + 2]);
                        i += rest[..end + 2].chars().count();
                    }
                    _ => i = class_item(chars, i, out)?,
                }
            }
            Some(_) => {
                i = class_item(chars, i, out)?;
                if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']') {
                    out.push('-');
                    i = class_item(chars, i + 1, out)?;
                }
            }
        }
        first = false;
    }
}

/// One character or escape in a class, at `i`; returns the index after it.
fn class_item(chars: &[char], i: usize, out: &mut String) -> Result<usize, String> {
    match chars.get(i) {
        None => Err("missing closing ]".into()),
        Some('\\') => {
            let (text, next, _) = escape(chars, i, true)?;
            out.push_str(&text);
            Ok(next)
        }
        Some(&c) => {
            if matches!(c, '[' | ']' | '&' | '~' | '-' | '^') {
                out.push('\\');
            }
            out.push(c);
            Ok(i + 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles like leakhound compiles rules: bytes, no Unicode mode.
    fn rust(pattern: &str) -> regex::bytes::Regex {
        regex::bytes::RegexBuilder::new(pattern)
            .unicode(false)
            .build()
            .unwrap_or_else(|err| panic!("{pattern}: {err}"))
    }

    #[test]
    fn rewrites_what_re2_and_rust_read_differently() {
        // (RE2 pattern, text it matches, text it does not match)
        let cases: &[(&str, &str, &str)] = &[
            (r"\${([a-z]+)}", "${name}", "$name"),
            (r"a{,5}", "a{,5}", "aaaaa"),
            (r"x{2}", "xx", "x{2}"),
            (r"x{2,}y", "xxxy", "xy"),
            (r"{{ secret }}", "{{ secret }}", "{ secret }"),
            (r"key={0", "key={0", "key="),
            (r"x{01}", "x{01}", "x"),
            (r"\Qa.b*c\E+", "a.b*cc", "aXbc"),
            (r"\101\0", "A\0", "A0"),
            (r"\<tag\>", "<tag>", "tag"),
            (r"[[]x", "[x", "x"),
            (r"[a&&b]", "&", "c"),
            (r"[--/]", ".", "a"),
            (r"[a~~z]", "~", "m"),
            (r"[]a]", "]", "b"),
            (r"[-a]", "-", "b"),
            (r"[a-]", "-", "b"),
            (r"[[:digit:]x]", "7", "y"),
            (r"[\d\-_]", "-", "y"),
            (r"\bab\z", "ab", "abc"),
            (r"(?i)tok(?-i:EN)", "TOKEN", "TOKen"),
            (r"\b(p8e-(?i)[a-z0-9]{4})", "p8e-AbC1", "P8E-abc1"),
            (r"a{2}}", "aa}", "aa"),
        ];
        for &(re2, yes, no) in cases {
            let translated = translate(re2).unwrap();
            let regex = rust(&format!("^(?:{translated})$"));
            assert!(
                regex.is_match(yes.as_bytes()),
                "{re2} -> {translated} on {yes:?}"
            );
            assert!(
                !regex.is_match(no.as_bytes()),
                "{re2} -> {translated} on {no:?}"
            );
        }
    }

    #[test]
    fn unicode_classes_get_unicode_mode() {
        let translated = translate(r"\pL+\p{Greek}").unwrap();
        let regex = regex::bytes::RegexBuilder::new(&translated)
            .unicode(false)
            .build()
            .unwrap();
        assert!(regex.is_match("éλ".as_bytes()));
    }

    #[test]
    fn what_re2_rejects_is_rejected_with_its_reason() {
        let cases = [
            (r"(?x) a b", "invalid or unsupported Perl syntax: `(?x`"),
            (r"\1", "invalid escape sequence: `\\1`"),
            (r"{2}", "missing argument to repetition operator"),
            (r"a{1001}", "invalid repeat count"),
            (r"abc\", "trailing backslash"),
            (r"[abc", "missing closing ]"),
        ];
        for (re2, reason) in cases {
            let err = translate(re2).unwrap_err();
            assert!(err.contains(reason), "{re2}: {err}");
        }
    }
}
