//! Selecting the part of an event that identifies a request, and hashing it.
//!
//! Expressions are [JMESPath](https://jmespath.org/specification.html), compiled and evaluated
//! by the `jmespath` crate (the reference Rust implementation, with its `sync` feature so a
//! compiled expression is `Send + Sync`: it is parsed once at init and read by concurrent
//! invocations). Everything JMESPath offers works: fields, quoted names, indexes, slices,
//! projections, filters, pipes, multi-select lists and hashes, the built-in functions.
//!
//! Two additions for Lambda events whose payload is a string holding JSON:
//! - `powertools_json(expr)` parses a string holding JSON, as in Powertools for AWS Lambda:
//!   `powertools_json(body).orderId`;
//! - a field or index step on a string that holds JSON reads into the parsed JSON, so
//!   `body.orderId` works on an API Gateway event whose `body` is a JSON string (standard
//!   JMESPath gives `null` there). Ferrule's earlier hand-written subset did this; it stays so
//!   the expressions written for it select the same values and give the same keys.
//!
//! Measured (x86_64 al2023, release profile, stripped; a lambda_runtime function selecting
//! `body.orderId`): 156 KiB more bootstrap and 71 KiB more zip than the hand-written subset this
//! replaces (1,126,784 / 546,963 bytes against 967,280 / 474,420). A function that never parses
//! a `Selection` links only its drop code: orders-api, which hands its key over with
//! `run_with_key`, grew by 4 KiB (bootstrap) and 2 KiB (zip). Compiling an expression and building
//! the function table take tens of microseconds at init; a selection on an API Gateway event about
//! 20 µs (the event is copied into the library's values), against 10 µs before.

use std::sync::LazyLock;

use jmespath::ast::{Ast, KeyValuePair};
use jmespath::functions::{ArgumentType, CustomFunction, Signature};
use jmespath::{Context, ErrorReason, Expression, JmespathError, Rcvar, Runtime, Variable};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Said when an expression with a `-` does not parse: the hand-written subset took
/// `headers.idempotency-key`; JMESPath wants the name quoted (the selected value, so the key,
/// is the same).
const NEEDS_QUOTES: &str = "; a name with characters other than letters, digits and `_` needs double quotes, as in `headers.\"idempotency-key\"`";

/// The function behind the implicit parse. Not an identifier, so no expression can name it.
const PARSE_IF_JSON: &str = "ferrule:parse-if-json";

/// The built-in functions, `powertools_json` and the implicit parse; built on first use.
static RUNTIME: LazyLock<Runtime> = LazyLock::new(|| {
    let mut runtime = Runtime::new();
    runtime.register_builtin_functions();
    runtime.register_function(
        "powertools_json",
        Box::new(CustomFunction::new(
            Signature::new(vec![ArgumentType::String], None),
            Box::new(powertools_json),
        )),
    );
    runtime.register_function(PARSE_IF_JSON, Box::new(parse_if_json));
    runtime
});

/// A compiled selection expression: parse it once (at init), select from every event.
#[derive(Clone)]
pub struct Selection {
    expression: Expression<'static>,
    /// The expression ends in a multi-select (`[a, b]`, `{a: a, b: b}`): one whose values are
    /// all null selects nothing.
    multi: bool,
}

impl std::fmt::Debug for Selection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Selection").field(&self.as_str()).finish()
    }
}

impl PartialEq for Selection {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Selection {}

/// An expression that cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid selection `{expression}`: {reason}")]
pub struct SelectionError {
    pub expression: String,
    pub reason: String,
}

impl Selection {
    /// Compiles a JMESPath expression such as `headers."idempotency-key"`,
    /// `[requestContext.authorizer.jwt.claims.sub, powertools_json(body).orderId]` or
    /// `Records[0].messageId`.
    ///
    /// ```
    /// use ferrule_idempotency::Selection;
    /// let selection = Selection::parse(r#"headers."idempotency-key""#).unwrap();
    /// let event = serde_json::json!({"headers": {"idempotency-key": "k-1"}});
    /// assert_eq!(selection.select(&event), Some(serde_json::json!("k-1")));
    ///
    /// let order = Selection::parse("powertools_json(body).orderId").unwrap();
    /// let event = serde_json::json!({"body": "{\"orderId\":\"o-1\"}"});
    /// assert_eq!(order.select(&event), Some(serde_json::json!("o-1")));
    /// ```
    pub fn parse(expression: &str) -> Result<Self, SelectionError> {
        let error = |reason: String| SelectionError {
            expression: expression.to_owned(),
            reason,
        };
        if expression.trim().is_empty() {
            return Err(error("the expression is empty".to_owned()));
        }
        let ast = jmespath::parse(expression).map_err(|e| {
            let mut reason = describe(&e);
            if expression.contains('-') {
                reason.push_str(NEEDS_QUOTES);
            }
            error(reason)
        })?;
        let multi = ends_in_multi_select(&ast);
        let ast = with_implicit_json(ast).map_err(error)?;
        Ok(Self {
            expression: Expression::new(expression, ast, &RUNTIME),
            multi,
        })
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        self.expression.as_str()
    }

    /// The selected value; `None` when nothing is there: the expression gives `null`, a
    /// multi-select gives only nulls, or the event does not fit the expression (a function
    /// given the wrong type, `powertools_json` given a string that is not JSON).
    pub fn select(&self, event: &Value) -> Option<Value> {
        let selected = match self.expression.search(event) {
            Ok(selected) => selected,
            Err(error) => {
                tracing::debug!(expression = self.as_str(), error = %describe(&error), "the selection does not apply to this event");
                return None;
            }
        };
        let value = to_json(&selected)?;
        let all_null = match &value {
            Value::Null => true,
            Value::Array(items) => self.multi && items.iter().all(Value::is_null),
            Value::Object(fields) => self.multi && fields.values().all(Value::is_null),
            _ => false,
        };
        (!all_null).then_some(value)
    }
}

/// The JSON of a selected value; `None` for an expression reference (`&a`), which is no data.
fn to_json(value: &Variable) -> Option<Value> {
    Some(match value {
        Variable::Null => Value::Null,
        Variable::Bool(b) => Value::Bool(*b),
        Variable::Number(n) => Value::Number(n.clone()),
        Variable::String(s) => Value::String(s.clone()),
        Variable::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| to_json(item))
                .collect::<Option<_>>()?,
        ),
        Variable::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(name, field)| Some((name.clone(), to_json(field)?)))
                .collect::<Option<_>>()?,
        ),
        Variable::Expref(_) => return None,
    })
}

/// Whether the expression's result is a multi-select: `[a, b]`, `{a: a}`, or one after a
/// `.` or `|` (`body | [a, b]`).
fn ends_in_multi_select(ast: &Ast) -> bool {
    match ast {
        Ast::MultiList { .. } | Ast::MultiHash { .. } => true,
        Ast::Subexpr { rhs, .. } => ends_in_multi_select(rhs),
        _ => false,
    }
}

/// A library error as one line: the reason and where it is.
fn describe(error: &JmespathError) -> String {
    format!("{} (column {})", error.reason, error.column + 1)
}

/// `powertools_json(string)`: the JSON the string holds; an error when it holds none.
fn powertools_json(args: &[Rcvar], ctx: &mut Context<'_>) -> Result<Rcvar, JmespathError> {
    let text = args
        .first()
        .and_then(|arg| arg.as_string())
        .ok_or_else(|| {
            JmespathError::from_ctx(
                ctx,
                ErrorReason::Parse("powertools_json takes a string".to_owned()),
            )
        })?;
    Variable::from_json(text).map(Rcvar::new).map_err(|detail| {
        JmespathError::from_ctx(
            ctx,
            ErrorReason::Parse(format!("powertools_json: not JSON: {detail}")),
        )
    })
}

/// The implicit parse: a string that holds JSON becomes that JSON; anything else is unchanged.
fn parse_if_json(args: &[Rcvar], _: &mut Context<'_>) -> Result<Rcvar, JmespathError> {
    let Some(value) = args.first() else {
        return Ok(Rcvar::new(Variable::Null));
    };
    Ok(value
        .as_string()
        .and_then(|text| Variable::from_json(text).ok())
        .map_or_else(|| value.clone(), Rcvar::new))
}

/// Puts the implicit parse before every field and index step (they give `null` on a string, so
/// only those results change) and refuses functions the runtime does not know, at compile time
/// rather than on the first event.
fn with_implicit_json(ast: Ast) -> Result<Ast, String> {
    let inner = |node: Box<Ast>| with_implicit_json(*node).map(Box::new);
    Ok(match ast {
        Ast::Field { offset, .. } | Ast::Index { offset, .. } => Ast::Subexpr {
            offset,
            lhs: Box::new(Ast::Function {
                offset,
                name: PARSE_IF_JSON.to_owned(),
                args: vec![Ast::Identity { offset }],
            }),
            rhs: Box::new(ast),
        },
        Ast::Function { offset, name, args } => {
            if RUNTIME.get_function(&name).is_none() {
                return Err(format!("unknown function `{name}`"));
            }
            Ast::Function {
                offset,
                name,
                args: args
                    .into_iter()
                    .map(with_implicit_json)
                    .collect::<Result<_, _>>()?,
            }
        }
        Ast::Comparison {
            offset,
            comparator,
            lhs,
            rhs,
        } => Ast::Comparison {
            offset,
            comparator,
            lhs: inner(lhs)?,
            rhs: inner(rhs)?,
        },
        Ast::Condition {
            offset,
            predicate,
            then,
        } => Ast::Condition {
            offset,
            predicate: inner(predicate)?,
            then: inner(then)?,
        },
        Ast::Expref { offset, ast } => Ast::Expref {
            offset,
            ast: inner(ast)?,
        },
        Ast::Flatten { offset, node } => Ast::Flatten {
            offset,
            node: inner(node)?,
        },
        Ast::Not { offset, node } => Ast::Not {
            offset,
            node: inner(node)?,
        },
        Ast::ObjectValues { offset, node } => Ast::ObjectValues {
            offset,
            node: inner(node)?,
        },
        Ast::MultiList { offset, elements } => Ast::MultiList {
            offset,
            elements: elements
                .into_iter()
                .map(with_implicit_json)
                .collect::<Result<_, _>>()?,
        },
        Ast::MultiHash { offset, elements } => Ast::MultiHash {
            offset,
            elements: elements
                .into_iter()
                .map(|pair| {
                    with_implicit_json(pair.value).map(|value| KeyValuePair {
                        key: pair.key,
                        value,
                    })
                })
                .collect::<Result<_, _>>()?,
        },
        Ast::Projection { offset, lhs, rhs } => Ast::Projection {
            offset,
            lhs: inner(lhs)?,
            rhs: inner(rhs)?,
        },
        Ast::And { offset, lhs, rhs } => Ast::And {
            offset,
            lhs: inner(lhs)?,
            rhs: inner(rhs)?,
        },
        Ast::Or { offset, lhs, rhs } => Ast::Or {
            offset,
            lhs: inner(lhs)?,
            rhs: inner(rhs)?,
        },
        Ast::Subexpr { offset, lhs, rhs } => Ast::Subexpr {
            offset,
            lhs: inner(lhs)?,
            rhs: inner(rhs)?,
        },
        leaf @ (Ast::Identity { .. } | Ast::Literal { .. } | Ast::Slice { .. }) => leaf,
    })
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
            ("  ", "empty"),
            ("a.\"b", "Unclosed"),
            ("a[x]", "Expected number"),
            ("a[1", "found Eof"),
            ("a b", "Did not parse the complete expression"),
            ("a.", "column 3"),
            ("nope(body)", "unknown function `nope`"),
            ("headers.idempotency-key", "needs double quotes"),
        ] {
            let err = Selection::parse(expression).unwrap_err();
            assert!(err.reason.contains(reason), "{expression}: {err}");
            assert!(err.to_string().contains(expression), "{err}");
        }
    }

    #[test]
    fn full_jmespath_filters_functions_pipes_and_slices() {
        let event = json!({
            "Records": [
                {"eventSource": "aws:s3", "id": "s-1"},
                {"eventSource": "aws:sqs", "id": "q-1", "body": "{\"orderId\":\"o-1\"}"},
                {"eventSource": "aws:sqs", "id": "q-2"}
            ],
            "detail": {"items": [3, 1, 2]}
        });
        let pick = |e: &str| Selection::parse(e).unwrap().select(&event);
        assert_eq!(
            pick("Records[?eventSource == 'aws:sqs'].id"),
            Some(json!(["q-1", "q-2"]))
        );
        assert_eq!(
            pick("Records[?eventSource == 'aws:sqs'] | [0].id"),
            Some(json!("q-1"))
        );
        assert_eq!(pick("Records[-1].id"), Some(json!("q-2")));
        assert_eq!(pick("sort(detail.items)"), Some(json!([1, 2, 3])));
        assert_eq!(pick("length(Records)"), Some(json!(3)));
        assert_eq!(pick("detail.items[:2]"), Some(json!([3, 1])));
        assert_eq!(
            pick("{id: Records[0].id, n: length(detail.items)}"),
            Some(json!({"id": "s-1", "n": 3}))
        );
        assert_eq!(pick("Records[1].body.orderId"), Some(json!("o-1")));
        assert_eq!(pick("Records[*].powertools_json(body).orderId"), None);
        assert_eq!(
            pick("Records[?body].powertools_json(body).orderId"),
            Some(json!(["o-1"]))
        );
    }

    #[test]
    fn powertools_json_parses_a_string_and_selects_what_the_implicit_parse_selects() {
        let event = json!({"body": "{\"orderId\":\"o-1\",\"lines\":[{\"sku\":\"A\"}]}", "text": "not json", "n": 4});
        let pick = |e: &str| Selection::parse(e).unwrap().select(&event);
        assert_eq!(pick("powertools_json(body).orderId"), Some(json!("o-1")));
        assert_eq!(
            pick("powertools_json(body).lines[0].sku"),
            pick("body.lines[0].sku")
        );
        assert_eq!(
            pick("powertools_json(body)"),
            Some(json!({"orderId": "o-1", "lines": [{"sku": "A"}]}))
        );
        // A string that holds no JSON, or no string: nothing selected (as a missing key).
        assert_eq!(pick("powertools_json(text)"), None);
        assert_eq!(pick("powertools_json(n)"), None);
        assert_eq!(pick("powertools_json(missing)"), None);
        // Without a following step a string stays a string: `body` is the text as sent.
        assert_eq!(pick("body"), event.get("body").cloned());
        assert_eq!(pick("text.length"), None);
    }

    #[test]
    fn nulls_and_expression_references_select_nothing() {
        let event = json!({"a": "x", "items": [], "none": [null, null]});
        let pick = |e: &str| Selection::parse(e).unwrap().select(&event);
        assert_eq!(pick("missing"), None);
        assert_eq!(pick("[missing, other]"), None);
        assert_eq!(pick("{m: missing, o: other}"), None);
        assert_eq!(pick("a | [missing, other]"), None);
        assert_eq!(pick("[a, missing]"), Some(json!(["x", null])));
        assert_eq!(
            pick("{a: a, m: missing}"),
            Some(json!({"a": "x", "m": null}))
        );
        // Not a multi-select: an array is a value, as before, even empty or all null.
        assert_eq!(pick("items"), Some(json!([])));
        assert_eq!(pick("none"), Some(json!([null, null])));
        assert_eq!(pick("&a"), None);
        assert_eq!(pick("[a, &a]"), None);
    }

    #[test]
    fn a_hyphenated_name_quoted_selects_what_the_subset_selected_unquoted() {
        // The subset took `headers.content-type`; JMESPath refuses it and takes the quoted name,
        // which selects the same value: the key (pinned below) does not change.
        assert!(Selection::parse("headers.content-type").is_err());
        let event = json!({"headers": {"content-type": "application/json"}});
        let selected = Selection::parse(r#"headers."content-type""#)
            .unwrap()
            .select(&event);
        assert_eq!(selected, Some(json!("application/json")));
    }

    #[test]
    fn a_selection_is_shared_by_concurrent_invocations() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Selection>();
        let selection = Selection::parse("[headers.\"idempotency-key\", body.orderId]").unwrap();
        std::thread::scope(|scope| {
            for i in 0..8 {
                let selection = &selection;
                scope.spawn(move || {
                    let event = json!({"headers": {"idempotency-key": format!("k-{i}")}, "body": format!("{{\"orderId\":{i}}}")});
                    assert_eq!(selection.select(&event), Some(json!([format!("k-{i}"), i])));
                });
            }
        });
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
