//! A subsegment being recorded, and its JSON document.
//!
//! Field names and limits follow the X-Ray segment document schema: names up to 200
//! characters of Unicode letters, digits, whitespace and `_ . : / % & # = + \ - @`;
//! annotation keys up to 500 characters of `[A-Za-z0-9_]`; annotation values string,
//! number or boolean, strings up to 1000 characters.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::header::TraceHeader;
use crate::id::SegmentId;

const MAX_NAME_CHARS: usize = 200;
const MAX_ANNOTATION_KEY_CHARS: usize = 500;
const MAX_ANNOTATION_VALUE_CHARS: usize = 1000;
/// Other free-text fields (exception messages, types): the schema's general string limit.
const MAX_STRING_CHARS: usize = 250;

/// The value of an annotation: X-Ray indexes strings, numbers and booleans only.
///
/// ```
/// use ferrule_tracer::AnnotationValue;
///
/// assert_eq!(AnnotationValue::from("gold"), AnnotationValue::String("gold".into()));
/// assert_eq!(AnnotationValue::from(3_u32), AnnotationValue::Int(3));
/// assert_eq!(AnnotationValue::from(true), AnnotationValue::Bool(true));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum AnnotationValue {
    /// A string, cut to 1000 characters when sent.
    String(String),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer too large for `Int`.
    UInt(u64),
    /// A float; NaN and infinities are not sent (JSON has no such numbers).
    Float(f64),
    /// A boolean.
    Bool(bool),
}

impl From<&str> for AnnotationValue {
    fn from(value: &str) -> Self {
        AnnotationValue::String(value.to_owned())
    }
}
impl From<String> for AnnotationValue {
    fn from(value: String) -> Self {
        AnnotationValue::String(value)
    }
}
impl From<&String> for AnnotationValue {
    fn from(value: &String) -> Self {
        AnnotationValue::String(value.clone())
    }
}
impl From<bool> for AnnotationValue {
    fn from(value: bool) -> Self {
        AnnotationValue::Bool(value)
    }
}
impl From<f64> for AnnotationValue {
    fn from(value: f64) -> Self {
        AnnotationValue::Float(value)
    }
}
impl From<f32> for AnnotationValue {
    fn from(value: f32) -> Self {
        AnnotationValue::Float(f64::from(value))
    }
}
impl From<u64> for AnnotationValue {
    fn from(value: u64) -> Self {
        i64::try_from(value).map_or(AnnotationValue::UInt(value), AnnotationValue::Int)
    }
}
macro_rules! int_annotation {
    ($($t:ty),*) => {$(
        impl From<$t> for AnnotationValue {
            fn from(value: $t) -> Self {
                AnnotationValue::Int(i64::from(value))
            }
        }
    )*};
}
int_annotation!(i8, i16, i32, i64, u8, u16, u32);

impl Serialize for AnnotationValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AnnotationValue::String(s) => {
                serializer.serialize_str(truncate(s, MAX_ANNOTATION_VALUE_CHARS))
            }
            AnnotationValue::Int(i) => serializer.serialize_i64(*i),
            AnnotationValue::UInt(u) => serializer.serialize_u64(*u),
            AnnotationValue::Float(f) => serializer.serialize_f64(*f),
            AnnotationValue::Bool(b) => serializer.serialize_bool(*b),
        }
    }
}

/// Epoch seconds with microseconds, as X-Ray wants `start_time`/`end_time`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    epoch_micros: u64,
    started: Instant,
}

impl Clock {
    pub(crate) fn start() -> Clock {
        let epoch_micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX));
        Clock {
            epoch_micros,
            started: Instant::now(),
        }
    }

    pub(crate) fn start_seconds(&self) -> f64 {
        micros_to_seconds(self.epoch_micros)
    }

    /// The end time measured on the monotonic clock, so a wall-clock step during the
    /// subsegment cannot make it end before it started.
    pub(crate) fn end_seconds(&self) -> f64 {
        let elapsed = u64::try_from(self.started.elapsed().as_micros()).unwrap_or(u64::MAX);
        micros_to_seconds(self.epoch_micros.saturating_add(elapsed))
    }
}

fn micros_to_seconds(micros: u64) -> f64 {
    // Whole seconds and the fraction separately: exact to the microsecond for any epoch.
    (micros / 1_000_000) as f64 + (micros % 1_000_000) as f64 / 1e6
}

/// An exception in a subsegment's `cause`.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Exception {
    pub(crate) id: SegmentId,
    pub(crate) message: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) remote: bool,
}

/// `aws` fields of an AWS SDK call.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct AwsFields {
    pub(crate) operation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) request_id: Option<String>,
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) retries: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A subsegment between its start and its end.
#[derive(Debug)]
pub(crate) struct Record {
    pub(crate) id: SegmentId,
    pub(crate) parent: SegmentId,
    /// The header of the trace this subsegment belongs to.
    pub(crate) trace: Arc<TraceHeader>,
    pub(crate) name: String,
    pub(crate) clock: Clock,
    pub(crate) namespace: Option<&'static str>,
    pub(crate) annotations: Vec<(String, AnnotationValue)>,
    pub(crate) metadata: BTreeMap<String, serde_json::Map<String, Value>>,
    pub(crate) error: bool,
    pub(crate) fault: bool,
    pub(crate) throttle: bool,
    pub(crate) exceptions: Vec<Exception>,
    pub(crate) aws: Option<AwsFields>,
    pub(crate) http_status: Option<u16>,
}

impl Record {
    /// Starts a subsegment named `name` (sanitised) under `trace`'s parent, or `None`
    /// when nothing would be sent: the trace is not sampled, or there is no parent
    /// segment to attach the subsegment to.
    pub(crate) fn start(trace: Arc<TraceHeader>, name: &str) -> Option<Record> {
        let parent = trace.parent().filter(|_| trace.is_sampled())?;
        Some(Record {
            id: SegmentId::random(),
            parent,
            trace,
            name: sanitize_name(name),
            clock: Clock::start(),
            namespace: None,
            annotations: Vec::new(),
            metadata: BTreeMap::new(),
            error: false,
            fault: false,
            throttle: false,
            exceptions: Vec::new(),
            aws: None,
            http_status: None,
        })
    }

    /// Sets an annotation; a key with nothing usable left after sanitising is dropped,
    /// as is a non-finite float. A repeated key replaces the earlier value.
    pub(crate) fn annotate(&mut self, key: &str, value: AnnotationValue) {
        if matches!(value, AnnotationValue::Float(f) if !f.is_finite()) {
            return;
        }
        let Some(key) = sanitize_annotation_key(key) else {
            return;
        };
        match self.annotations.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.annotations.push((key, value)),
        }
    }

    pub(crate) fn add_metadata(&mut self, namespace: &str, key: &str, value: Value) {
        self.metadata
            .entry(namespace.to_owned())
            .or_default()
            .insert(key.to_owned(), value);
    }

    /// Marks a failure in this subsegment's own code (`fault`) with its message.
    pub(crate) fn record_fault(&mut self, message: &dyn fmt::Display, kind: Option<&str>) {
        self.fault = true;
        self.add_exception(message, kind, false);
    }

    pub(crate) fn add_exception(
        &mut self,
        message: &dyn fmt::Display,
        kind: Option<&str>,
        remote: bool,
    ) {
        let message = message.to_string();
        self.exceptions.push(Exception {
            id: SegmentId::random(),
            message: truncate(&message, MAX_STRING_CHARS).to_owned(),
            kind: kind.map(|k| truncate(k, MAX_STRING_CHARS).to_owned()),
            remote,
        });
    }

    /// The daemon packet: the protocol header line, then the subsegment JSON.
    pub(crate) fn to_packet(&self) -> Vec<u8> {
        let mut packet = Vec::with_capacity(384);
        packet.extend_from_slice(DAEMON_HEADER);
        // Serialising plain strings, numbers and serde_json values into a Vec cannot fail.
        if serde_json::to_writer(&mut packet, &Document::new(self)).is_err() {
            packet.clear();
        }
        packet
    }
}

/// The first line of every UDP packet to the daemon.
pub(crate) const DAEMON_HEADER: &[u8] = b"{\"format\": \"json\", \"version\": 1}\n";

/// The subsegment as X-Ray's schema spells it, borrowing from the record.
#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: SegmentId,
    trace_id: &'a str,
    parent_id: SegmentId,
    name: &'a str,
    start_time: f64,
    end_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<&'static str>,
    #[serde(skip_serializing_if = "Annotations::is_empty")]
    annotations: Annotations<'a>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: &'a BTreeMap<String, serde_json::Map<String, Value>>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    error: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    fault: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    throttle: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cause: Option<Cause<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aws: Option<&'a AwsFields>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http: Option<Http>,
}

impl<'a> Document<'a> {
    fn new(record: &'a Record) -> Document<'a> {
        Document {
            kind: "subsegment",
            id: record.id,
            trace_id: record.trace.root(),
            parent_id: record.parent,
            name: &record.name,
            start_time: record.clock.start_seconds(),
            end_time: record.clock.end_seconds(),
            namespace: record.namespace,
            annotations: Annotations(&record.annotations),
            metadata: &record.metadata,
            error: record.error,
            fault: record.fault,
            throttle: record.throttle,
            cause: (!record.exceptions.is_empty()).then_some(Cause {
                exceptions: &record.exceptions,
            }),
            aws: record.aws.as_ref(),
            http: record.http_status.map(|status| Http {
                response: HttpResponse { status },
            }),
        }
    }
}

struct Annotations<'a>(&'a [(String, AnnotationValue)]);

impl Annotations<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Annotations<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct Cause<'a> {
    exceptions: &'a [Exception],
}

#[derive(Serialize)]
struct Http {
    response: HttpResponse,
}

#[derive(Serialize)]
struct HttpResponse {
    status: u16,
}

/// Keeps the characters X-Ray accepts in a name and at most 200 of them; an empty
/// result becomes `unnamed`.
pub(crate) fn sanitize_name(name: &str) -> String {
    let allowed =
        |c: &char| c.is_alphanumeric() || c.is_whitespace() || "_.:/%&#=+\\-@".contains(*c);
    let clean: String = name.chars().filter(allowed).take(MAX_NAME_CHARS).collect();
    let trimmed = clean.trim();
    if trimmed.is_empty() {
        "unnamed".to_owned()
    } else if trimmed.len() == clean.len() {
        clean
    } else {
        trimmed.to_owned()
    }
}

/// Replaces every character outside `[A-Za-z0-9_]` with `_` (so `order.id` becomes
/// `order_id`) and keeps at most 500; `None` when nothing but underscores is left.
pub(crate) fn sanitize_annotation_key(key: &str) -> Option<String> {
    let clean: String = key
        .chars()
        .take(MAX_ANNOTATION_KEY_CHARS)
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    clean.chars().any(|c| c != '_').then_some(clean)
}

fn truncate(s: &str, max_chars: usize) -> &str {
    match s.char_indices().nth(max_chars) {
        Some((end, _)) => &s[..end],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Arc<TraceHeader> {
        Arc::new(
            TraceHeader::parse(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1",
            )
            .unwrap(),
        )
    }

    fn start(name: &str) -> Record {
        Record::start(header(), name).unwrap()
    }

    fn document(record: &Record) -> Value {
        let packet = record.to_packet();
        let body = packet
            .strip_prefix(DAEMON_HEADER)
            .expect("daemon header first");
        serde_json::from_slice(body).unwrap()
    }

    #[test]
    fn minimal_document_has_the_required_fields_only() {
        let record = start("charge");
        let doc = document(&record);
        let obj = doc.as_object().unwrap();
        let mut keys: Vec<_> = obj.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "end_time",
                "id",
                "name",
                "parent_id",
                "start_time",
                "trace_id",
                "type"
            ]
        );
        assert_eq!(doc["type"], "subsegment");
        assert_eq!(doc["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(doc["parent_id"], "53995c3f42cd8ad8");
        assert_eq!(doc["id"], record.id.to_string());
        let (start, end) = (
            doc["start_time"].as_f64().unwrap(),
            doc["end_time"].as_f64().unwrap(),
        );
        assert!(start > 1.7e9 && end >= start, "{start} {end}");
    }

    #[test]
    fn packet_starts_with_the_daemon_header_line() {
        let packet = start("x").to_packet();
        assert!(packet.starts_with(b"{\"format\": \"json\", \"version\": 1}\n{"));
        assert_eq!(packet.iter().filter(|b| **b == b'\n').count(), 1);
    }

    #[test]
    fn times_keep_microseconds() {
        assert_eq!(
            micros_to_seconds(1_700_000_000_123_456),
            1_700_000_000.123_456
        );
        let json = serde_json::to_string(&micros_to_seconds(1_700_000_000_000_001)).unwrap();
        assert_eq!(json, "1700000000.000001");
    }

    #[test]
    fn annotations_are_typed_sanitised_and_replaced() {
        let mut record = start("x");
        record.annotate("order.id", "o-1".into());
        record.annotate("amount", 12.5.into());
        record.annotate("count", 3_u8.into());
        record.annotate("big", u64::MAX.into());
        record.annotate("vip", true.into());
        record.annotate("count", 4_i32.into());
        record.annotate("nan", f64::NAN.into());
        record.annotate("...", "dropped".into());
        record.annotate("", "dropped".into());
        let doc = document(&record);
        assert_eq!(
            doc["annotations"],
            serde_json::json!({"order_id": "o-1", "amount": 12.5, "count": 4, "big": u64::MAX, "vip": true})
        );
    }

    #[test]
    fn long_values_are_cut_at_character_boundaries() {
        let mut record = start(&"é".repeat(300));
        record.annotate(&"k".repeat(600), "ü".repeat(1200).into());
        let doc = document(&record);
        assert_eq!(doc["name"].as_str().unwrap().chars().count(), 200);
        let (key, value) = doc["annotations"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        assert_eq!(key.len(), 500);
        assert_eq!(value.as_str().unwrap().chars().count(), 1000);
    }

    #[test]
    fn names_keep_only_allowed_characters() {
        assert_eq!(sanitize_name("## handler"), "## handler");
        assert_eq!(sanitize_name("GET /users/{id}?x=1"), "GET /users/idx=1");
        assert_eq!(
            sanitize_name("a_b.c:d/e%f&g#h=i+j\\k-l@m"),
            "a_b.c:d/e%f&g#h=i+j\\k-l@m"
        );
        assert_eq!(sanitize_name("Ünïcødé 名前"), "Ünïcødé 名前");
        assert_eq!(sanitize_name(" (x) "), "x");
        assert_eq!(sanitize_name("<>!"), "unnamed");
        assert_eq!(sanitize_name(""), "unnamed");
    }

    #[test]
    fn annotation_keys_keep_ascii_alphanumerics_and_underscores() {
        assert_eq!(
            sanitize_annotation_key("order_id").as_deref(),
            Some("order_id")
        );
        assert_eq!(
            sanitize_annotation_key("Order Id!").as_deref(),
            Some("Order_Id_")
        );
        assert_eq!(sanitize_annotation_key("clé").as_deref(), Some("cl_"));
        assert_eq!(sanitize_annotation_key("_"), None);
    }

    #[test]
    fn metadata_is_namespaced() {
        let mut record = start("x");
        record.add_metadata("orders", "payload", serde_json::json!({"items": [1, 2]}));
        record.add_metadata("orders", "attempt", serde_json::json!(2));
        record.add_metadata("debug", "raw", serde_json::json!("text"));
        let doc = document(&record);
        assert_eq!(
            doc["metadata"],
            serde_json::json!({"orders": {"payload": {"items": [1, 2]}, "attempt": 2}, "debug": {"raw": "text"}})
        );
    }

    #[test]
    fn failures_set_flags_and_cause() {
        let mut record = start("x");
        record.record_fault(&"card declined", Some("PaymentError"));
        let doc = document(&record);
        assert_eq!(doc["fault"], true);
        assert!(doc.get("error").is_none());
        let exception = &doc["cause"]["exceptions"][0];
        assert_eq!(exception["message"], "card declined");
        assert_eq!(exception["type"], "PaymentError");
        assert_eq!(exception["id"].as_str().unwrap().len(), 16);
        assert!(exception.get("remote").is_none());
    }

    #[test]
    fn aws_and_http_fields_are_written() {
        let mut record = start("DynamoDB");
        record.namespace = Some("aws");
        record.error = true;
        record.throttle = true;
        record.http_status = Some(429);
        record.aws = Some(AwsFields {
            operation: "GetItem".into(),
            region: Some("eu-west-1".into()),
            request_id: Some("R1".into()),
            retries: 2,
        });
        record.add_exception(&"slow down", Some("ThrottlingException"), true);
        let doc = document(&record);
        assert_eq!(doc["namespace"], "aws");
        assert_eq!(
            doc["aws"],
            serde_json::json!({"operation": "GetItem", "region": "eu-west-1", "request_id": "R1", "retries": 2})
        );
        assert_eq!(
            doc["http"],
            serde_json::json!({"response": {"status": 429}})
        );
        assert_eq!(doc["error"], true);
        assert_eq!(doc["throttle"], true);
        assert_eq!(doc["cause"]["exceptions"][0]["remote"], true);
    }

    #[test]
    fn nothing_is_recorded_without_sampling_or_parent() {
        for unsent in [
            "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=?",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
        ] {
            let trace = Arc::new(TraceHeader::parse(unsent).unwrap());
            assert!(Record::start(trace, "x").is_none(), "{unsent}");
        }
    }
}
