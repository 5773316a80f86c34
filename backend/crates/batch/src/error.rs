//! Why a record could not be turned into the handler's input.

use ferrule_errors::{Classify, ErrorKind};

/// A record whose payload does not decode into the handler's type.
///
/// It fails that record only: the processor logs it and reports the record for retry
/// (after `maxReceiveCount` receives an SQS message ends in the queue's DLQ).
/// Messages never quote the payload: serde errors often do (`invalid type: string
/// "ada@example.com"`), so only the parts that cannot carry personal data are kept.
///
/// ```
/// use ferrule_batch::DecodeError;
/// use ferrule_errors::{Classify, ErrorKind};
///
/// let error = DecodeError::MissingBody;
/// assert_eq!(error.kind(), ErrorKind::Validation);
/// assert_eq!(error.to_string(), "the record has no body");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// An SQS record without a `body`.
    #[error("the record has no body")]
    MissingBody,
    /// The payload (`body`, Kinesis `data`, `NewImage`, `OldImage` or `Keys`) is not a
    /// valid `type_name`.
    #[error("the {part} is not a valid `{type_name}`: {detail}")]
    Payload {
        /// Which part of the record: `body`, `data`, `NewImage`, `OldImage` or `Keys`.
        part: &'static str,
        /// The Rust type the part was decoded into.
        type_name: &'static str,
        /// What went wrong, without any value taken from the payload.
        detail: String,
    },
    /// A DynamoDB Streams record whose `eventName` is not INSERT, MODIFY or REMOVE.
    #[error("unknown eventName `{0}`; expected INSERT, MODIFY or REMOVE")]
    UnknownEventName(String),
}

impl DecodeError {
    /// A payload error; `detail` is the decoder's message, scrubbed of quoted values.
    pub(crate) fn payload<T>(part: &'static str, detail: &str) -> Self {
        DecodeError::Payload {
            part,
            type_name: std::any::type_name::<T>(),
            detail: scrub(detail),
        }
    }

    /// A JSON payload error: serde_json's message when it quotes nothing from the
    /// payload, else its category and position.
    #[cfg(any(feature = "sqs", feature = "kinesis"))]
    pub(crate) fn json<T>(part: &'static str, error: &serde_json::Error) -> Self {
        let message = error.to_string();
        let detail = if quotes_nothing(&message) {
            message
        } else {
            let category = match error.classify() {
                serde_json::error::Category::Io => "I/O error",
                serde_json::error::Category::Syntax => "invalid JSON",
                serde_json::error::Category::Eof => "JSON ends early",
                serde_json::error::Category::Data => "a value has the wrong type or is not allowed",
            };
            format!(
                "{category} at line {} column {} ({WITHHELD})",
                error.line(),
                error.column()
            )
        };
        DecodeError::Payload {
            part,
            type_name: std::any::type_name::<T>(),
            detail,
        }
    }
}

impl Classify for DecodeError {
    /// The same payload fails the same way on every retry: it is a validation error.
    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

const WITHHELD: &str = "details withheld: they quote the payload";

/// Serde quotes offending values in backticks (`integer \`5\``), double quotes
/// (`string "x"`) or single quotes (serde_dynamo's `'x'`); field names of the target
/// type are the only quoted text that is safe, and serde names them in `missing field`.
fn quotes_nothing(message: &str) -> bool {
    message.starts_with("missing field") || !message.contains(['`', '"', '\''])
}

fn scrub(message: &str) -> String {
    if quotes_nothing(message) {
        message.to_owned()
    } else {
        format!("a value has the wrong type or is not allowed ({WITHHELD})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decode_error_is_a_validation_error() {
        let errors = [
            DecodeError::MissingBody,
            DecodeError::payload::<u32>("body", "Expected num"),
            DecodeError::UnknownEventName("TRUNCATE".into()),
        ];
        for error in errors {
            assert_eq!(error.kind(), ErrorKind::Validation, "{error}");
        }
    }

    #[test]
    fn a_quoted_value_is_withheld() {
        let error = DecodeError::payload::<u32>(
            "NewImage",
            "invalid type: string \"ada@example.com\", expected u32",
        );
        let message = error.to_string();
        assert!(!message.contains("ada@example.com"), "{message}");
        assert!(message.contains("NewImage"), "{message}");
        assert!(message.contains("`u32`"), "{message}");
        assert!(message.contains(WITHHELD), "{message}");

        let single =
            DecodeError::payload::<u32>("Keys", "Failed to parse '0612345678' as an integer");
        assert!(!single.to_string().contains("0612345678"), "{single}");
    }

    #[test]
    fn a_missing_field_is_named() {
        let error = DecodeError::payload::<u32>("OldImage", "missing field `orderId`");
        assert!(
            error.to_string().contains("missing field `orderId`"),
            "{error}"
        );
    }

    #[cfg(any(feature = "sqs", feature = "kinesis"))]
    #[test]
    fn json_errors_keep_safe_messages_and_position_only() -> Result<(), String> {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Order {
            order_id: u64,
        }
        let syntax = serde_json::from_str::<Order>("not json")
            .err()
            .ok_or("parsed")?;
        let syntax = DecodeError::json::<Order>("body", &syntax).to_string();
        assert!(
            syntax.contains("expected ident at line 1 column 2"),
            "{syntax}"
        );

        let data = serde_json::from_str::<Order>(r#"{"order_id":"ada@example.com"}"#)
            .err()
            .ok_or("parsed")?;
        let data = DecodeError::json::<Order>("body", &data).to_string();
        assert!(!data.contains("ada@example.com"), "{data}");
        assert!(data.contains("at line 1 column 29"), "{data}");
        assert!(data.contains("wrong type"), "{data}");
        Ok(())
    }
}
