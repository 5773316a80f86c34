//! Selecting the part of an event that identifies a request, and hashing it.
//!
//! The selection language is a small, documented subset of JMESPath:
//! - `a.b.c` walks objects; `"idempotency-key"` quotes a name with other characters;
//!   `items[0]` indexes an array;
//! - `[a.b, c]` selects several values into an array (multi-select list);
//! - when a step lands on a **string that holds JSON** and more steps follow, the string is
//!   parsed (like Powertools' `powertools_json()`), so `body.orderId` works on an API Gateway
//!   event whose `body` is a JSON string.

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A parsed selection expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    source: String,
    paths: Vec<Vec<Step>>,
    multi: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Field(String),
    Index(usize),
}

/// An expression that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid selection `{expression}`: {reason}")]
pub struct SelectionError {
    pub expression: String,
    pub reason: &'static str,
}

impl Selection {
    /// Parses an expression such as `headers."idempotency-key"` or `[body.orderId, body.customerId]`.
    ///
    /// ```
    /// use ferrule_idempotency::Selection;
    /// let selection = Selection::parse(r#"headers."idempotency-key""#).unwrap();
    /// let event = serde_json::json!({"headers": {"idempotency-key": "k-1"}});
    /// assert_eq!(selection.select(&event), Some(serde_json::json!("k-1")));
    /// ```
    pub fn parse(expression: &str) -> Result<Self, SelectionError> {
        let error = |reason| SelectionError {
            expression: expression.to_owned(),
            reason,
        };
        let trimmed = expression.trim();
        let (multi, body) = match trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            Some(inner) => (true, inner),
            None => (false, trimmed),
        };
        let mut paths = Vec::new();
        for part in split_top_level(body, ',') {
            paths.push(parse_path(part.trim()).map_err(error)?);
        }
        if paths.is_empty() {
            return Err(error("the expression is empty"));
        }
        Ok(Self {
            source: expression.to_owned(),
            paths,
            multi,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The selected value; `None` when nothing (or only nulls) is there.
    pub fn select(&self, event: &Value) -> Option<Value> {
        if self.multi {
            let values: Vec<Value> = self
                .paths
                .iter()
                .map(|p| walk(event, p).unwrap_or(Value::Null))
                .collect();
            (!values.iter().all(Value::is_null)).then_some(Value::Array(values))
        } else {
            self.paths
                .first()
                .and_then(|p| walk(event, p))
                .filter(|v| !v.is_null())
        }
    }
}

fn split_top_level(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut in_quotes = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            c if c == separator && !in_quotes => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts.into_iter().filter(|p| !p.trim().is_empty()).collect()
}

fn parse_path(path: &str) -> Result<Vec<Step>, &'static str> {
    if path.is_empty() {
        return Err("a path is empty");
    }
    let mut steps = Vec::new();
    for segment in split_top_level(path, '.') {
        let segment = segment.trim();
        if let Some(quoted) = segment.strip_prefix('"') {
            let name = quoted
                .strip_suffix('"')
                .ok_or("a quoted name is not closed")?;
            steps.push(Step::Field(name.to_owned()));
            continue;
        }
        let (name, mut rest) = match segment.find('[') {
            Some(at) => (&segment[..at], &segment[at..]),
            None => (segment, ""),
        };
        if !name.is_empty() {
            if !name
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
            {
                return Err("a name has characters that need quotes");
            }
            steps.push(Step::Field(name.to_owned()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').ok_or("an index is not closed")?;
            let index = inner[..end]
                .trim()
                .parse::<usize>()
                .map_err(|_| "an index must be a non-negative number")?;
            steps.push(Step::Index(index));
            rest = &inner[end + 1..];
        }
        if !rest.is_empty() {
            return Err("unexpected characters after an index");
        }
    }
    if steps.is_empty() {
        return Err("a path is empty");
    }
    Ok(steps)
}

fn walk(event: &Value, steps: &[Step]) -> Option<Value> {
    let mut current = event.clone();
    for step in steps {
        if let Value::String(text) = &current {
            current = serde_json::from_str(text).ok()?;
        }
        current = match (step, current) {
            (Step::Field(name), Value::Object(mut map)) => map.remove(name)?,
            (Step::Index(i), Value::Array(mut items)) if *i < items.len() => items.swap_remove(*i),
            _ => return None,
        };
    }
    Some(current)
}

/// SHA-256 of the value's JSON with keys sorted (serde_json's map is ordered), hex encoded.
pub fn hash_value(value: &Value) -> String {
    let digest = Sha256::digest(value.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_nested_quoted_indexed_and_embedded_json() {
        let event = json!({
            "headers": {"idempotency-key": "abc"},
            "body": "{\"orderId\":\"o-1\",\"items\":[{\"sku\":\"A\"}]}",
            "requestContext": {"authorizer": {"jwt": {"claims": {"sub": "u-1"}}}}
        });
        let pick = |e: &str| Selection::parse(e).unwrap().select(&event);
        assert_eq!(pick(r#"headers."idempotency-key""#), Some(json!("abc")));
        assert_eq!(pick("body.orderId"), Some(json!("o-1")));
        assert_eq!(pick("body.items[0].sku"), Some(json!("A")));
        assert_eq!(
            pick("[requestContext.authorizer.jwt.claims.sub, body.orderId]"),
            Some(json!(["u-1", "o-1"]))
        );
        assert_eq!(pick("body.missing"), None);
        assert_eq!(pick("[a, b]"), None);
        assert_eq!(pick("body.items[5]"), None);
    }

    #[test]
    fn invalid_expressions_say_why() {
        for (expression, reason) in [
            ("", "empty"),
            ("[]", "empty"),
            ("a.\"b", "not closed"),
            ("a[x]", "non-negative number"),
            ("a[1", "not closed"),
            ("a b", "need quotes"),
            ("a[1]x", "unexpected characters"),
        ] {
            let err = Selection::parse(expression).unwrap_err();
            assert!(err.reason.contains(reason), "{expression}: {err}");
            assert!(err.to_string().contains(expression), "{err}");
        }
    }

    /// Record keys already stored must still match: these hashes were computed by the
    /// hand-written subset (Ferrule before JMESPath), for expressions it accepted.
    #[test]
    fn keys_of_expressions_that_worked_before_do_not_change() {
        let api = json!({
            "headers": {"idempotency-key": "k-1", "content-type": "application/json"},
            "body": "{\"orderId\":\"o-42\",\"customerId\":\"c-7\",\"amount\":12.5,\"items\":[{\"sku\":\"A-1\",\"qty\":2,\"note\":\"gift\"}]}",
            "requestContext": {"authorizer": {"jwt": {"claims": {"sub": "u-1"}}}}
        });
        let sqs = json!({
            "messageId": "m-1",
            "body": "{\"detail\":{\"orderId\":\"o-9\",\"total\":99}}",
            "attributes": {"ApproximateReceiveCount": "1"}
        });
        for (expression, event, hash) in [
            (
                r#"headers."idempotency-key""#,
                &api,
                "f613e2ddb1ed1aefc2d87a1bc773c3a3e671f40809ffe8875486d58482e5259a",
            ),
            (
                r#"headers."content-type""#,
                &api,
                "86e656fac293c0e97f0e566503c9c66941942e5ba446d82f58fffe486b822972",
            ),
            (
                "body",
                &api,
                "34a99ede48dd3f02532d24249e0b5e878c50c1693ea41d1abb084ad5242b0462",
            ),
            (
                "body.orderId",
                &api,
                "ac2b7f5b0ec10d675b8f985af809683e7168d7f0005af086a3fcd34bbc33a212",
            ),
            (
                "body.items[0]",
                &api,
                "24068000bea4faa383ed9b42d057c08b17e6f8ecb4b54e5e4cec2a0e951e5f1c",
            ),
            (
                "body.items[0].sku",
                &api,
                "2dcfc544ba0b906286fc401e7304d6e1a6b0c5a2ee46205ef8a3e85fcf1b238d",
            ),
            (
                "body.amount",
                &api,
                "b902cc4550838229a710bfec4c38cbc7eb11082367a409df9135e7f007a96bda",
            ),
            (
                "[requestContext.authorizer.jwt.claims.sub, body.orderId]",
                &api,
                "cdbef2b2089fefb0a8187a105127f53a98d01b1f82649302ad067d6b292c3568",
            ),
            (
                "[headers.missing, body.customerId]",
                &api,
                "796ac611be0b2c1506b7904be996e2460b28ea94ef820f074016c966bcbd5cb1",
            ),
            (
                "body.detail",
                &sqs,
                "c12a9c693a59e17a8507380c7a83a3ad73f1f5f13adb9385f346d2c52ae5314c",
            ),
            (
                "messageId",
                &sqs,
                "72ce11bb99bf49e73d7552e6e04d2e925d20a773e5fcc1bc30adfd3d1be1cccb",
            ),
        ] {
            let selected = Selection::parse(expression).unwrap().select(event).unwrap();
            assert_eq!(hash_value(&selected), hash, "{expression}");
        }
        // No key expression: the whole event.
        assert_eq!(
            hash_value(&sqs),
            "3e70e78d6fab7e6f28221ab1ae0798180d6ae7d011a98e9c57d032ec1dbd0830"
        );
    }

    #[test]
    fn hash_ignores_key_order() {
        assert_eq!(
            hash_value(&json!({"a": 1, "b": 2})),
            hash_value(&json!({"b": 2, "a": 1}))
        );
        assert_ne!(hash_value(&json!({"a": 1})), hash_value(&json!({"a": 2})));
        assert_eq!(hash_value(&json!("x")).len(), 64);
    }
}
