//! What a log line may carry: values from outside are bounded, credentials never appear.
//!
//! Every string value (message, event field, span field) goes through [`sanitize`]:
//! - a field whose name says it holds a credential (`authorization`, `cookie`, `token`,
//!   `password`, `secret`, `api_key`, ...) is written as `[REDACTED]`;
//! - JSON text (a raw event, a request dumped for debugging) has the values of such keys
//!   replaced inside it, and bearer tokens and JWTs in free text are replaced too;
//! - anything longer than [`MAX_VALUE_BYTES`] is cut there, with a marker saying how much was
//!   left out.
//!
//! A whole line longer than [`MAX_LINE_BYTES`] (many large fields) is replaced by a short line
//! that keeps the level, the message's start and the invocation's ids (see `layer.rs`), so no
//! line reaches CloudWatch Logs' per-event limit (256 KB until April 2025, 1 MB since).

use std::borrow::Cow;

use serde_json::Value;

/// Longest string value written as is: 8 KiB. Longer values are cut there with a marker.
pub const MAX_VALUE_BYTES: usize = 8 * 1024;
/// Longest line written: 256 KiB, CloudWatch Logs' per-event limit before April 2025.
pub const MAX_LINE_BYTES: usize = 256 * 1024;
/// What replaces a credential.
pub const REDACTED: &str = "[REDACTED]";

/// JSON text longer than this is not parsed for redaction (it is cut to [`MAX_VALUE_BYTES`]
/// anyway, and the free-text scan still replaces bearer tokens and JWTs in what is kept).
const MAX_JSON_SCAN_BYTES: usize = 1024 * 1024;

/// Key fragments (case-insensitive, `-` and `_` ignored) that mark a credential.
const SENSITIVE: [&str; 9] = [
    "authorization",
    "cookie",
    "token",
    "password",
    "passwd",
    "secret",
    "apikey",
    "credential",
    "signature",
];

/// Whether a field or JSON key names a credential (`Authorization`, `set-cookie`, `id_token`).
pub fn is_sensitive(name: &str) -> bool {
    // Called for every string field of every line: compare on the fly, no allocation.
    let letters = || name.bytes().filter(|b| *b != b'-' && *b != b'_');
    let count = letters().count();
    SENSITIVE.iter().any(|fragment| {
        (0..=count.saturating_sub(fragment.len())).any(|start| {
            fragment.len() <= count
                && letters()
                    .skip(start)
                    .zip(fragment.bytes())
                    .all(|(letter, wanted)| letter.to_ascii_lowercase() == wanted)
        })
    })
}

/// The value as it may be written for the field `name`.
pub fn sanitize<'a>(name: &str, value: &'a str) -> Cow<'a, str> {
    if is_sensitive(name) {
        return Cow::Borrowed(REDACTED);
    }
    let mut value = Cow::Borrowed(value);
    let trimmed = value.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('[')) && value.len() <= MAX_JSON_SCAN_BYTES
    {
        if let Ok(mut json) = serde_json::from_str::<Value>(&value) {
            if redact_json(&mut json) {
                value = Cow::Owned(json.to_string());
            }
        }
    }
    if let Some(scrubbed) = redact_free_text(&value) {
        value = Cow::Owned(scrubbed);
    }
    match truncate(&value) {
        Some(cut) => Cow::Owned(cut),
        None => value,
    }
}

/// Replaces the values of credential keys anywhere in `json`; says whether it changed.
fn redact_json(json: &mut Value) -> bool {
    match json {
        Value::Object(map) => {
            let mut changed = false;
            for (key, value) in map.iter_mut() {
                if is_sensitive(key) && !value.is_null() {
                    *value = Value::String(REDACTED.to_owned());
                    changed = true;
                } else {
                    changed |= redact_json(value);
                }
            }
            changed
        }
        Value::Array(items) => items
            .iter_mut()
            .fold(false, |changed, item| redact_json(item) | changed),
        _ => false,
    }
}

/// `Bearer <token>` and JWT-shaped words (`eyJ...`, three base64url segments) replaced.
fn redact_free_text(text: &str) -> Option<String> {
    if !text.contains("earer ") && !text.contains("eyJ") {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut changed = false;
    while let Some((start, end)) = next_secret(rest) {
        out.push_str(rest.get(..start).unwrap_or_default());
        out.push_str(REDACTED);
        rest = rest.get(end..).unwrap_or_default();
        changed = true;
    }
    out.push_str(rest);
    changed.then_some(out)
}

/// The byte range of the first bearer token or JWT in `text`.
fn next_secret(text: &str) -> Option<(usize, usize)> {
    [find_bearer(text), find_jwt(text)]
        .into_iter()
        .flatten()
        .min_by_key(|(start, _)| *start)
}

/// The token after the first `Bearer ` (any case) that has one.
fn find_bearer(text: &str) -> Option<(usize, usize)> {
    // ASCII lowering keeps byte offsets.
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while let Some(offset) = lower.get(from..).and_then(|rest| rest.find("bearer ")) {
        let start = from + offset + "bearer ".len();
        let len = text
            .get(start..)
            .unwrap_or_default()
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ','))
            .unwrap_or(text.len() - start);
        if len > 0 {
            return Some((start, start + len));
        }
        from = start;
    }
    None
}

/// The first JWT-shaped word in `text`: `eyJ` + base64url, `.`, base64url, `.`, base64url.
fn find_jwt(text: &str) -> Option<(usize, usize)> {
    let is_b64 = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let mut from = 0;
    while let Some(offset) = text.get(from..).and_then(|rest| rest.find("eyJ")) {
        let start = from + offset;
        let word_end = text
            .get(start..)
            .and_then(|rest| rest.find(|c: char| !(is_b64(c) || c == '.')))
            .map_or(text.len(), |len| start + len);
        let word = text.get(start..word_end).unwrap_or_default();
        let segments: Vec<&str> = word.split('.').collect();
        if segments.len() == 3 && segments.iter().take(2).all(|s| s.len() >= 4) {
            return Some((start, word_end));
        }
        from = start + 3;
    }
    None
}

/// The value cut at [`MAX_VALUE_BYTES`] (on a character boundary) with a marker, if longer.
fn truncate(value: &str) -> Option<String> {
    if value.len() <= MAX_VALUE_BYTES {
        return None;
    }
    let mut end = MAX_VALUE_BYTES;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    let kept = value.get(..end).unwrap_or_default();
    Some(format!(
        "{kept}…[truncated: {} more bytes]",
        value.len() - end
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_fields_are_redacted_whatever_their_spelling() {
        for name in [
            "authorization",
            "Authorization",
            "set-cookie",
            "cookies",
            "id_token",
            "accessToken",
            "x-api-key",
            "password",
            "client_secret",
        ] {
            assert_eq!(sanitize(name, "abc"), REDACTED, "{name}");
        }
        assert_eq!(sanitize("order_id", "o-1"), "o-1");
    }

    #[test]
    fn json_values_of_credential_keys_are_redacted_inside_text() {
        let raw = r#"{"headers":{"authorization":"Bearer abc.def.ghi","host":"x"},"cookies":["a=1"],"body":"ok"}"#;
        let clean = sanitize("body", raw);
        let json: Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(json["headers"]["authorization"], REDACTED);
        assert_eq!(json["headers"]["host"], "x");
        assert_eq!(json["cookies"], REDACTED);
        assert_eq!(json["body"], "ok");
    }

    #[test]
    fn bearer_tokens_and_jwts_in_free_text_are_redacted() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        let text = format!("call failed with Bearer {jwt}, again {jwt} end");
        let clean = sanitize("detail", &text);
        assert!(!clean.contains("eyJ"), "{clean}");
        assert_eq!(
            clean,
            format!("call failed with Bearer {REDACTED}, again {REDACTED} end")
        );
        assert_eq!(sanitize("m", "Bearer "), "Bearer ");
        assert_eq!(sanitize("m", "eyJ is not a token"), "eyJ is not a token");
    }

    #[test]
    fn long_values_are_cut_on_a_character_boundary_with_a_marker() {
        let long = "é".repeat(MAX_VALUE_BYTES);
        let cut = sanitize("name", &long);
        assert!(cut.len() < MAX_VALUE_BYTES + 64, "{}", cut.len());
        assert!(cut.ends_with(&format!(
            "…[truncated: {} more bytes]",
            long.len() - MAX_VALUE_BYTES
        )));
        let short = "x".repeat(MAX_VALUE_BYTES);
        assert_eq!(sanitize("name", &short), short);
    }

    #[test]
    fn huge_json_is_cut_without_being_parsed() {
        let huge = format!("{{\"a\":\"{}\"}}", "x".repeat(2 * MAX_JSON_SCAN_BYTES));
        assert!(sanitize("body", &huge).len() < MAX_VALUE_BYTES + 64);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any value: bounded output; a credential field never shows its value.
        #[test]
        fn sanitized_values_are_bounded(name in "[a-zA-Z_-]{0,24}", value in any::<String>(), repeat in 1usize..2000) {
            let long = value.repeat(repeat);
            let clean = sanitize(&name, &long);
            prop_assert!(clean.len() <= MAX_VALUE_BYTES + 64, "{}", clean.len());
            if is_sensitive(&name) {
                prop_assert_eq!(clean.as_ref(), REDACTED);
            }
        }

        /// A credential key inside JSON text never keeps its value, however deep.
        #[test]
        fn credential_keys_in_json_are_redacted(secret in "[a-zA-Z0-9]{12,40}", depth in 0usize..20, key in prop::sample::select(vec!["authorization", "Cookie", "id_token", "x-api-key", "password"])) {
            let mut json = serde_json::json!({ key: secret.clone() });
            for _ in 0..depth {
                json = serde_json::json!({ "nested": [json] });
            }
            let text = json.to_string();
            let clean = sanitize("body", &text);
            prop_assert!(!clean.contains(&secret), "{}", clean);
        }
    }
}
