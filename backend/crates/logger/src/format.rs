//! Writing one log line into a byte buffer: timestamp, field values, escaping.
//!
//! The JSON is written straight into the reused line buffer with `serde_json`
//! (strings escaped as they are formatted, no intermediate `String` or `Value`),
//! which is what keeps an event in the low microseconds.

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tracing::field::{Field, Visit};

use crate::bounds::sanitize;

/// Keys the logger writes itself; an event or span field with one of these names
/// is written as `field_<name>` so no line ever holds a key twice.
const RESERVED_KEYS: [&str; 10] = [
    "timestamp",
    "level",
    "message",
    "requestId",
    "traceId",
    "tenantId",
    "function_name",
    "function_version",
    "cold_start",
    "service",
];

/// Prefix given to a field whose name is one of [`RESERVED_KEYS`].
pub(crate) const RENAMED_FIELD_PREFIX: &str = "field_";

/// The field `tracing` macros put the format string in.
const MESSAGE_FIELD: &str = "message";

/// Written in place of a value whose `Debug`/`Display` implementation failed.
const UNFORMATTABLE: &str = "<unformattable>";

/// The latest instant `humantime` formats (9999-12-31T23:59:59.999Z).
const LATEST_FORMATTABLE: Duration = Duration::from_millis(253_402_300_799_999);

/// Writes `now` as RFC 3339 UTC with milliseconds and a `Z`, e.g. `2024-05-01T12:00:00.123Z`.
///
/// A clock outside 1970..=9999 is clamped: `humantime` panics before 1970 and
/// fails after 9999, and a logger must do neither.
pub(crate) fn write_timestamp(line: &mut Vec<u8>, now: SystemTime) {
    let since_epoch = now
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .min(LATEST_FORMATTABLE);
    // Writing into a Vec cannot fail and the clamped time always formats.
    let _ = write!(
        line,
        "{}",
        humantime::format_rfc3339_millis(UNIX_EPOCH + since_epoch)
    );
}

/// Writes `,"<name>":` for one of the logger's own keys.
pub(crate) fn write_own_json_key(line: &mut Vec<u8>, name: &str) {
    line.push(b',');
    write_json_value(line, name);
    line.push(b':');
}

/// Writes `,"<name>":` for a field (`,"field_<name>":` for a reserved name).
pub(crate) fn write_json_key(line: &mut Vec<u8>, name: &str) {
    if RESERVED_KEYS.contains(&name) {
        line.push(b',');
        // Joining two &str cannot fail, so serde_json's collect_str is safe here.
        write_json_value(line, &format_args!("{RENAMED_FIELD_PREFIX}{name}"));
        line.push(b':');
    } else {
        write_own_json_key(line, name);
    }
}

/// Writes `value` as a JSON value (the caller's types serialise infallibly; the
/// truncation only guards the line's validity).
pub(crate) fn write_json_value<T: serde::Serialize + ?Sized>(line: &mut Vec<u8>, value: &T) {
    let start = line.len();
    if serde_json::to_writer(&mut *line, value).is_err() {
        line.truncate(start);
        line.extend_from_slice(b"null");
    }
}

/// Formats `value` into `scratch`, falling back to `<unformattable>` if its
/// `Display` fails.
fn format_into(scratch: &mut String, value: impl fmt::Display) {
    scratch.clear();
    if write!(scratch, "{value}").is_err() {
        scratch.clear();
        scratch.push_str(UNFORMATTABLE);
    }
}

/// Writes a user value's `Display` as an escaped JSON string.
///
/// It goes through the reused `scratch` String rather than serde_json's
/// `collect_str`, which panics when a `Display` impl returns an error.
pub(crate) fn write_json_display(
    line: &mut Vec<u8>,
    scratch: &mut String,
    name: &str,
    value: impl fmt::Display,
) {
    format_into(scratch, value);
    write_json_value(line, &*sanitize(name, scratch));
}

/// `NaN` and infinities are not JSON numbers (serde_json would write `null`): keep them as strings.
fn write_json_f64(line: &mut Vec<u8>, value: f64) {
    if value.is_finite() {
        write_json_value(line, &value);
    } else if value.is_nan() {
        write_json_value(line, "NaN");
    } else if value > 0.0 {
        write_json_value(line, "inf");
    } else {
        write_json_value(line, "-inf");
    }
}

/// `Debug` as `Display`, so `serde_json` can stream it as a string.
struct DebugAsDisplay<'a>(&'a dyn fmt::Debug);

impl fmt::Display for DebugAsDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Writes `,"message":"..."` when the event has a message.
pub(crate) struct JsonMessage<'a> {
    pub(crate) line: &'a mut Vec<u8>,
    pub(crate) scratch: &'a mut String,
}

impl Visit for JsonMessage<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == MESSAGE_FIELD {
            self.line.extend_from_slice(b",\"message\":");
            write_json_value(self.line, &*sanitize(MESSAGE_FIELD, value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == MESSAGE_FIELD {
            self.line.extend_from_slice(b",\"message\":");
            write_json_display(
                self.line,
                self.scratch,
                MESSAGE_FIELD,
                DebugAsDisplay(value),
            );
        }
    }
}

/// Writes every field but the message as `,"name":value`, keeping JSON types,
/// and remembers the names so span fields do not repeat them.
pub(crate) struct JsonFields<'a> {
    pub(crate) line: &'a mut Vec<u8>,
    pub(crate) scratch: &'a mut String,
    pub(crate) written: &'a mut Vec<&'static str>,
}

impl JsonFields<'_> {
    /// Writes the key and says whether to write the value.
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        if name == MESSAGE_FIELD {
            return false;
        }
        self.written.push(name);
        write_json_key(self.line, name);
        true
    }
}

impl Visit for JsonFields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.key(field) {
            write_json_f64(self.line, value);
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.key(field) {
            write_json_value(self.line, &value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.key(field) {
            write_json_value(self.line, &value);
        }
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        if self.key(field) {
            // Beyond 64 bits, as text: as span fields, and no f64 rounding by readers.
            match i64::try_from(value) {
                Ok(narrow) => write_json_value(self.line, &narrow),
                Err(_) => write_json_display(self.line, self.scratch, "", value),
            }
        }
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        if self.key(field) {
            match u64::try_from(value) {
                Ok(narrow) => write_json_value(self.line, &narrow),
                Err(_) => write_json_display(self.line, self.scratch, "", value),
            }
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.key(field) {
            write_json_value(self.line, &value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            write_json_value(self.line, &*sanitize(field.name(), value));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.key(field) {
            write_json_display(self.line, self.scratch, field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            write_json_display(self.line, self.scratch, field.name(), DebugAsDisplay(value));
        }
    }
}

/// A span's fields, kept as JSON values from the span's creation (and later
/// `Span::record` calls) until its events are written.
#[derive(Debug, Default)]
pub(crate) struct SpanFields(pub(crate) Vec<(&'static str, Value)>);

impl SpanFields {
    fn set(&mut self, name: &'static str, value: Value) {
        match self.0.iter_mut().find(|(existing, _)| *existing == name) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((name, value)),
        }
    }

    /// Adds `other`'s values, replacing those already set.
    pub(crate) fn merge(&mut self, other: SpanFields) {
        for (name, value) in other.0 {
            self.set(name, value);
        }
    }
}

impl Visit for SpanFields {
    fn record_f64(&mut self, field: &Field, value: f64) {
        let value = if value.is_finite() {
            Value::from(value)
        } else {
            Value::String(value.to_string())
        };
        self.set(field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.set(field.name(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.set(field.name(), Value::from(value));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        // serde_json::Value holds 64-bit numbers only; a wider one is kept as text.
        let value = i64::try_from(value)
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(value.to_string()));
        self.set(field.name(), value);
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        let value = u64::try_from(value)
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(value.to_string()));
        self.set(field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.set(field.name(), Value::from(value));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(
            field.name(),
            Value::from(sanitize(field.name(), value).into_owned()),
        );
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let text = value.to_string();
        self.set(
            field.name(),
            Value::String(sanitize(field.name(), &text).into_owned()),
        );
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        self.set(
            field.name(),
            Value::String(sanitize(field.name(), &text).into_owned()),
        );
    }
}

/// Copies `text` with CR and LF escaped, so a Text line stays one line (Lambda
/// splits stdout into log events at newlines).
fn write_one_line(line: &mut Vec<u8>, text: &str) {
    let mut rest = text;
    while let Some(at) = rest.find(['\n', '\r']) {
        let (before, after) = rest.split_at(at);
        line.extend_from_slice(before.as_bytes());
        line.extend_from_slice(if after.starts_with('\n') {
            b"\\n"
        } else {
            b"\\r"
        });
        rest = after.get(1..).unwrap_or_default();
    }
    line.extend_from_slice(rest.as_bytes());
}

/// Writes a Text value bare when it is one plain word, quoted and escaped
/// (Rust `Debug` string syntax) when it is empty or holds spaces, quotes, `=`
/// or control characters, so `key=value` pairs split unambiguously.
pub(crate) fn write_text_value(line: &mut Vec<u8>, value: &str) {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=');
    if plain {
        line.extend_from_slice(value.as_bytes());
    } else {
        let _ = write!(line, "{value:?}");
    }
}

/// Writes ` <message>` for Text lines, newlines escaped.
pub(crate) struct TextMessage<'a> {
    pub(crate) line: &'a mut Vec<u8>,
    pub(crate) scratch: &'a mut String,
}

impl Visit for TextMessage<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == MESSAGE_FIELD {
            self.line.push(b' ');
            write_one_line(self.line, &sanitize(MESSAGE_FIELD, value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == MESSAGE_FIELD {
            format_into(self.scratch, DebugAsDisplay(value));
            self.line.push(b' ');
            write_one_line(self.line, &sanitize(MESSAGE_FIELD, self.scratch));
        }
    }
}

/// Writes every field but the message as ` name=value` for Text lines.
pub(crate) struct TextFields<'a> {
    pub(crate) line: &'a mut Vec<u8>,
    pub(crate) scratch: &'a mut String,
    pub(crate) written: &'a mut Vec<&'static str>,
}

impl TextFields<'_> {
    fn key(&mut self, field: &Field) -> bool {
        let name = field.name();
        if name == MESSAGE_FIELD {
            return false;
        }
        self.written.push(name);
        write_text_key(self.line, name);
        true
    }

    fn formatted(&mut self, name: &str, value: impl fmt::Display) {
        format_into(self.scratch, value);
        write_text_value(self.line, &sanitize(name, self.scratch));
    }
}

/// Writes ` name=`.
pub(crate) fn write_text_key(line: &mut Vec<u8>, name: &str) {
    line.push(b' ');
    line.extend_from_slice(name.as_bytes());
    line.push(b'=');
}

/// Writes a span field's value for a Text line: strings as [`write_text_value`], the rest as JSON.
pub(crate) fn write_text_json_value(line: &mut Vec<u8>, value: &Value) {
    match value {
        Value::String(text) => write_text_value(line, text),
        other => write_json_value(line, other),
    }
}

impl Visit for TextFields<'_> {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if self.key(field) {
            let _ = write!(self.line, "{value}");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.key(field) {
            let _ = write!(self.line, "{value}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.key(field) {
            let _ = write!(self.line, "{value}");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.key(field) {
            let _ = write!(self.line, "{value}");
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if self.key(field) {
            write_text_value(self.line, &sanitize(field.name(), value));
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if self.key(field) {
            self.formatted(field.name(), value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.key(field) {
            self.formatted(field.name(), DebugAsDisplay(value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(line: &[u8]) -> &str {
        std::str::from_utf8(line).unwrap()
    }

    #[test]
    fn timestamp_is_rfc3339_utc_with_milliseconds() {
        let mut line = Vec::new();
        let at = UNIX_EPOCH + Duration::from_millis(1_714_564_800_123);
        write_timestamp(&mut line, at);
        assert_eq!(text(&line), "2024-05-01T12:00:00.123Z");

        line.clear();
        write_timestamp(&mut line, UNIX_EPOCH + Duration::from_secs(86_400 * 366));
        assert_eq!(text(&line), "1971-01-02T00:00:00.000Z");
    }

    #[test]
    fn timestamp_outside_the_formattable_range_is_clamped_not_a_panic() {
        let mut line = Vec::new();
        write_timestamp(&mut line, UNIX_EPOCH - Duration::from_secs(10));
        assert_eq!(text(&line), "1970-01-01T00:00:00.000Z");
        line.clear();
        write_timestamp(&mut line, UNIX_EPOCH + Duration::from_secs(400_000_000_000));
        assert_eq!(text(&line), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn reserved_keys_are_renamed() {
        let mut line = Vec::new();
        write_json_key(&mut line, "level");
        write_json_key(&mut line, "order_id");
        write_json_key(&mut line, "we\"ird");
        assert_eq!(text(&line), r#","field_level":,"order_id":,"we\"ird":"#);
    }

    #[test]
    fn non_finite_floats_stay_strings_not_null() {
        let mut line = Vec::new();
        write_json_f64(&mut line, f64::NAN);
        line.push(b' ');
        write_json_f64(&mut line, f64::NEG_INFINITY);
        line.push(b' ');
        write_json_f64(&mut line, 1.5);
        assert_eq!(text(&line), r#""NaN" "-inf" 1.5"#);
    }

    struct FailingDisplay;

    impl fmt::Display for FailingDisplay {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("half")?;
            Err(fmt::Error)
        }
    }

    #[test]
    fn a_failing_display_leaves_valid_json_not_a_panic() {
        let mut line = b"{\"a\":".to_vec();
        let mut scratch = String::new();
        write_json_display(&mut line, &mut scratch, "value", FailingDisplay);
        line.extend_from_slice(b",\"b\":");
        write_json_display(&mut line, &mut scratch, "value", "fine\n");
        line.push(b'}');
        assert_eq!(text(&line), r#"{"a":"<unformattable>","b":"fine\n"}"#);
    }

    #[test]
    fn own_keys_are_never_renamed() {
        let mut line = Vec::new();
        write_own_json_key(&mut line, "level");
        assert_eq!(text(&line), r#","level":"#);
    }

    #[test]
    fn text_values_are_quoted_only_when_needed() {
        let mut line = Vec::new();
        for value in ["plain", "two words", "", "a=b", "say \"hi\"", "tab\there"] {
            write_text_value(&mut line, value);
            line.push(b'|');
        }
        assert_eq!(
            text(&line),
            r#"plain|"two words"|""|"a=b"|"say \"hi\""|"tab\there"|"#
        );
    }

    #[test]
    fn text_messages_stay_on_one_line() {
        let mut line = Vec::new();
        write_one_line(&mut line, "first\nsecond\r\nthird\n");
        assert_eq!(text(&line), r"first\nsecond\r\nthird\n");
    }

    #[test]
    fn span_fields_keep_json_types_and_replace_on_record() {
        let mut fields = SpanFields::default();
        fields.set("a", Value::from(1));
        fields.set("b", Value::from("x"));
        let mut later = SpanFields::default();
        later.set("a", Value::from(2));
        later.set("c", Value::from(true));
        fields.merge(later);
        assert_eq!(
            fields.0,
            vec![
                ("a", Value::from(2)),
                ("b", Value::from("x")),
                ("c", Value::from(true))
            ]
        );
    }

    #[test]
    fn span_json_values_render_in_text() {
        let mut line = Vec::new();
        write_text_json_value(&mut line, &Value::from("two words"));
        line.push(b' ');
        write_text_json_value(&mut line, &Value::from(42));
        assert_eq!(text(&line), r#""two words" 42"#);
    }
}
