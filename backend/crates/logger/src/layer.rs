//! The `tracing_subscriber` layer: per-invocation context from lambda_runtime's
//! span, cold start, and one line per event.

use std::cell::RefCell;
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::SystemTime;

use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::{Context, Filter};
use tracing_subscriber::registry::{LookupSpan, SpanRef};
use tracing_subscriber::Layer;

use crate::bounds::MAX_LINE_BYTES;
use crate::format::{
    write_json_key, write_json_value, write_own_json_key, write_text_json_value, write_text_key,
    write_text_value, write_timestamp, JsonFields, JsonMessage, SpanFields, TextFields,
    TextMessage,
};
use crate::LogFormat;

/// The span `lambda_runtime` (1.5, `tracing` feature) opens around every
/// invocation, in `lambda_runtime::layers::trace::request_span`.
pub const INVOKE_SPAN_NAME: &str = "Lambda runtime invoke";
/// Field of [`INVOKE_SPAN_NAME`] holding the request id (`Context::request_id`).
pub const REQUEST_ID_FIELD: &str = "requestId";
/// Field of [`INVOKE_SPAN_NAME`] holding the raw `Lambda-Runtime-Trace-Id`
/// header (`Root=1-...;Parent=...;Sampled=1`), when X-Ray sent one.
pub const TRACE_HEADER_FIELD: &str = "xrayTraceId";
/// Field of [`INVOKE_SPAN_NAME`] holding the tenant id of tenant-isolated functions.
pub const TENANT_ID_FIELD: &str = "tenantId";

fn is_invoke_span(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && metadata.name() == INVOKE_SPAN_NAME
}

/// Keeps lambda_runtime's invocation span whatever the level or `RUST_LOG`
/// says (it is opened at `INFO`): without it, the `WARN` and `ERROR` lines of
/// a function set to `AWS_LAMBDA_LOG_LEVEL=WARN` would lose their `requestId`.
/// Combined with the user's filter by `or`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InvokeSpanFilter;

impl<S> Filter<S> for InvokeSpanFilter {
    fn enabled(&self, metadata: &Metadata<'_>, _: &Context<'_, S>) -> bool {
        is_invoke_span(metadata)
    }

    fn callsite_enabled(&self, metadata: &'static Metadata<'static>) -> Interest {
        // Decided once per callsite, so other callsites pay nothing per event.
        if is_invoke_span(metadata) {
            Interest::always()
        } else {
            Interest::never()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::INFO)
    }
}

/// The trace id in an X-Ray trace header: the value of its `Root=` part.
pub(crate) fn trace_root(header: &str) -> Option<&str> {
    header
        .split(';')
        .find_map(|part| part.trim().strip_prefix("Root="))
        .filter(|root| !root.is_empty())
}

/// What the invoke span's fields say, stored in its extensions at creation.
#[derive(Debug)]
struct Invocation {
    request_id: String,
    /// `,"requestId":"…"[,"traceId":"…"][,"tenantId":"…"]`, serialised once per
    /// invocation and copied into every JSON line of it.
    json: Box<[u8]>,
    cold_start: bool,
}

#[derive(Default)]
struct InvocationVisitor {
    request_id: Option<String>,
    trace_header: Option<String>,
    tenant_id: Option<String>,
}

impl InvocationVisitor {
    fn slot(&mut self, field: &Field) -> Option<&mut Option<String>> {
        match field.name() {
            REQUEST_ID_FIELD => Some(&mut self.request_id),
            TRACE_HEADER_FIELD => Some(&mut self.trace_header),
            TENANT_ID_FIELD => Some(&mut self.tenant_id),
            _ => None,
        }
    }
}

impl Visit for InvocationVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(slot) = self.slot(field) {
            *slot = Some(value.to_owned());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if let Some(slot) = self.slot(field) {
            *slot = Some(format!("{value:?}"));
        }
    }
}

/// Per-thread buffers reused across events, so a warm event allocates nothing.
#[derive(Default)]
struct Scratch {
    line: Vec<u8>,
    text: String,
    written: Vec<&'static str>,
}

/// A buffer grown by one huge event is given back rather than kept for the
/// life of the environment.
const KEPT_CAPACITY: usize = 16 * 1024;

impl Scratch {
    fn clear(&mut self) {
        self.line.clear();
        self.text.clear();
        self.written.clear();
    }

    fn trim(&mut self) {
        self.line.shrink_to(KEPT_CAPACITY);
        self.text.shrink_to(KEPT_CAPACITY);
    }
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `write` with this thread's scratch buffers, or fresh ones when they are
/// in use (an event logged from inside a field's `Debug` or from the writer) or
/// gone (thread exit): never a `RefCell` panic.
fn with_scratch(write: impl FnOnce(&mut Scratch)) {
    let mut write = Some(write);
    let _ = SCRATCH.try_with(|cell| {
        if let Ok(mut scratch) = cell.try_borrow_mut() {
            if let Some(write) = write.take() {
                scratch.clear();
                write(&mut scratch);
                scratch.trim();
            }
        }
    });
    if let Some(write) = write {
        write(&mut Scratch::default());
    }
}

/// Formats events as Lambda JSON or Text lines and hands each to the writer.
pub(crate) struct LambdaLogLayer<W> {
    format: LogFormat,
    /// `[,"function_name":"…"][,"function_version":"…"]`, serialised once.
    function_json: Box<[u8]>,
    /// `,"service":"…"`, serialised once.
    service_json: Box<[u8]>,
    writer: W,
    /// The request id of the first invocation this process saw: that
    /// invocation is the cold one, whatever span or thread logs within it.
    first_request_id: OnceLock<Box<str>>,
}

impl<W> LambdaLogLayer<W> {
    pub(crate) fn new(
        format: LogFormat,
        service: &str,
        function_name: Option<&str>,
        function_version: Option<&str>,
        writer: W,
    ) -> Self {
        let mut function_json = Vec::new();
        for (key, value) in [
            ("function_name", function_name),
            ("function_version", function_version),
        ] {
            if let Some(value) = value {
                write_own_json_key(&mut function_json, key);
                write_json_value(&mut function_json, value);
            }
        }
        let mut service_json = Vec::new();
        write_own_json_key(&mut service_json, "service");
        write_json_value(&mut service_json, service);
        Self {
            format,
            function_json: function_json.into_boxed_slice(),
            service_json: service_json.into_boxed_slice(),
            writer,
            first_request_id: OnceLock::new(),
        }
    }

    fn invocation(&self, fields: InvocationVisitor) -> Option<Invocation> {
        let request_id = fields.request_id?;
        let first = self
            .first_request_id
            .get_or_init(|| request_id.as_str().into());
        let cold_start = **first == *request_id;

        let mut json = Vec::with_capacity(128);
        write_own_json_key(&mut json, "requestId");
        write_json_value(&mut json, &request_id);
        if let Some(root) = fields.trace_header.as_deref().and_then(trace_root) {
            write_own_json_key(&mut json, "traceId");
            write_json_value(&mut json, root);
        }
        if let Some(tenant_id) = &fields.tenant_id {
            write_own_json_key(&mut json, "tenantId");
            write_json_value(&mut json, tenant_id);
        }
        Some(Invocation {
            request_id,
            json: json.into_boxed_slice(),
            cold_start,
        })
    }

    /// Outside any invocation, it is cold until the first invocation starts (init).
    fn cold_outside_invocations(&self) -> bool {
        self.first_request_id.get().is_none()
    }
}

impl<W> LambdaLogLayer<W> {
    fn write_json<S>(&self, event: &Event<'_>, leaf: Option<SpanRef<'_, S>>, scratch: &mut Scratch)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let Scratch {
            line,
            text,
            written,
        } = scratch;
        line.extend_from_slice(b"{\"timestamp\":\"");
        write_timestamp(line, SystemTime::now());
        line.extend_from_slice(b"\",\"level\":\"");
        line.extend_from_slice(event.metadata().level().as_str().as_bytes());
        line.push(b'"');
        event.record(&mut JsonMessage {
            line,
            scratch: text,
        });

        let mut cold_start = None;
        if let Some(leaf) = &leaf {
            for span in leaf.scope() {
                if let Some(invocation) = span.extensions().get::<Invocation>() {
                    line.extend_from_slice(&invocation.json);
                    cold_start = Some(invocation.cold_start);
                    break;
                }
            }
        }
        line.extend_from_slice(&self.function_json);
        let cold_start = cold_start.unwrap_or_else(|| self.cold_outside_invocations());
        line.extend_from_slice(if cold_start {
            b",\"cold_start\":true"
        } else {
            b",\"cold_start\":false"
        });
        line.extend_from_slice(&self.service_json);

        event.record(&mut JsonFields {
            line,
            scratch: text,
            written,
        });
        write_span_fields(leaf, line, written, |line, name, value| {
            write_json_key(line, name);
            write_json_value(line, value);
        });
        line.extend_from_slice(b"}\n");
    }

    fn write_text<S>(&self, event: &Event<'_>, leaf: Option<SpanRef<'_, S>>, scratch: &mut Scratch)
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let Scratch {
            line,
            text,
            written,
        } = scratch;
        write_timestamp(line, SystemTime::now());
        line.push(b' ');
        line.extend_from_slice(event.metadata().level().as_str().as_bytes());
        line.push(b' ');
        let request_id = leaf.as_ref().and_then(|leaf| {
            leaf.scope().find_map(|span| {
                span.extensions()
                    .get::<Invocation>()
                    .map(|invocation| write_text_value(line, &invocation.request_id))
            })
        });
        if request_id.is_none() {
            line.push(b'-');
        }
        event.record(&mut TextMessage {
            line,
            scratch: text,
        });
        event.record(&mut TextFields {
            line,
            scratch: text,
            written,
        });
        write_span_fields(leaf, line, written, |line, name, value| {
            write_text_key(line, name);
            write_text_json_value(line, value);
        });
        line.push(b'\n');
    }
}

/// The line written in place of one longer than [`MAX_LINE_BYTES`].
fn write_oversized(line: &mut Vec<u8>, format: LogFormat, metadata: &Metadata<'_>, dropped: usize) {
    let message = format!(
        "log line of {dropped} bytes dropped: longer than {MAX_LINE_BYTES} bytes (from {})",
        metadata.target()
    );
    match format {
        LogFormat::Json => {
            line.extend_from_slice(b"{\"timestamp\":\"");
            write_timestamp(line, SystemTime::now());
            line.push(b'"');
            write_own_json_key(line, "level");
            write_json_value(line, metadata.level().as_str());
            write_own_json_key(line, "message");
            write_json_value(line, &message);
            line.extend_from_slice(b"}\n");
        }
        LogFormat::Text => {
            write_timestamp(line, SystemTime::now());
            line.push(b' ');
            line.extend_from_slice(metadata.level().as_str().as_bytes());
            line.extend_from_slice(b" - ");
            line.extend_from_slice(message.as_bytes());
            line.push(b'\n');
        }
    }
}

/// Fields recorded on the enclosing spans, innermost first; a name already written (by the
/// event or a nearer span) is skipped. `write` renders one field in the line's format.
fn write_span_fields<S>(
    leaf: Option<SpanRef<'_, S>>,
    line: &mut Vec<u8>,
    written: &mut Vec<&'static str>,
    write: impl Fn(&mut Vec<u8>, &str, &serde_json::Value),
) where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let Some(leaf) = leaf else { return };
    for span in leaf.scope() {
        if let Some(fields) = span.extensions().get::<SpanFields>() {
            for (name, value) in &fields.0 {
                if !written.contains(name) {
                    written.push(name);
                    write(line, name, value);
                }
            }
        }
    }
}

impl<S, W> Layer<S> for LambdaLogLayer<W>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if attrs.fields().is_empty() {
            return;
        }
        let Some(span) = ctx.span(id) else {
            return;
        };
        if is_invoke_span(attrs.metadata()) {
            let mut fields = InvocationVisitor::default();
            attrs.record(&mut fields);
            if let Some(invocation) = self.invocation(fields) {
                span.extensions_mut().replace(invocation);
                return;
            }
        }
        let mut fields = SpanFields::default();
        attrs.record(&mut fields);
        if !fields.0.is_empty() {
            span.extensions_mut().replace(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        // Formatting user values runs their Debug impls: do it before taking the
        // extensions lock, which an event logged from such an impl would need.
        let mut recorded = SpanFields::default();
        values.record(&mut recorded);
        if recorded.0.is_empty() {
            return;
        }
        let mut extensions = span.extensions_mut();
        if extensions.get_mut::<Invocation>().is_some() {
            // The invocation's ids are fixed when lambda_runtime opens the span.
            return;
        }
        match extensions.get_mut::<SpanFields>() {
            Some(fields) => fields.merge(recorded),
            None => extensions.insert(recorded),
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        with_scratch(|scratch| {
            let leaf = ctx.event_span(event);
            match self.format {
                LogFormat::Json => self.write_json(event, leaf, scratch),
                LogFormat::Text => self.write_text(event, leaf, scratch),
            }
            if scratch.line.len() > MAX_LINE_BYTES {
                // Values are cut at MAX_VALUE_BYTES each; only very many fields get here.
                // Say so in a line of its own rather than exceed CloudWatch's event limit.
                let dropped = scratch.line.len();
                scratch.line.clear();
                write_oversized(&mut scratch.line, self.format, event.metadata(), dropped);
            }
            // A log line that cannot be written has nowhere better to go, and
            // logging must never fail the invocation: the error is dropped.
            let _ = self
                .writer
                .make_writer_for(event.metadata())
                .write_all(&scratch.line);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_root_is_taken_from_the_header() {
        assert_eq!(
            trace_root(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            ),
            Some("1-5759e988-bd862e3fe1be46a994272793")
        );
        assert_eq!(
            trace_root("Parent=53995c3f42cd8ad8; Root=1-abc;Sampled=0"),
            Some("1-abc")
        );
        assert_eq!(trace_root("Parent=53995c3f42cd8ad8;Sampled=1"), None);
        assert_eq!(trace_root("Root=;Sampled=1"), None);
        assert_eq!(trace_root(""), None);
    }

    fn visitor(request_id: &str) -> InvocationVisitor {
        InvocationVisitor {
            request_id: Some(request_id.into()),
            trace_header: Some("Root=1-a-b;Sampled=1".into()),
            tenant_id: None,
        }
    }

    #[test]
    fn the_first_request_id_seen_is_the_cold_one() {
        let layer = LambdaLogLayer::new(LogFormat::Json, "svc", None, None, std::io::sink);
        assert!(layer.cold_outside_invocations());
        assert!(layer.invocation(visitor("r1")).unwrap().cold_start);
        // The same invocation seen again (another span of it) is still cold.
        assert!(layer.invocation(visitor("r1")).unwrap().cold_start);
        assert!(!layer.invocation(visitor("r2")).unwrap().cold_start);
        assert!(!layer.cold_outside_invocations());
    }

    #[test]
    fn an_invoke_span_without_request_id_is_not_an_invocation() {
        let layer = LambdaLogLayer::new(LogFormat::Json, "svc", None, None, std::io::sink);
        assert!(layer.invocation(InvocationVisitor::default()).is_none());
        assert!(layer.cold_outside_invocations());
    }

    #[test]
    fn invocation_json_omits_missing_ids() {
        let layer = LambdaLogLayer::new(LogFormat::Json, "svc", None, None, std::io::sink);
        let bare = layer
            .invocation(InvocationVisitor {
                request_id: Some("r1".into()),
                ..InvocationVisitor::default()
            })
            .unwrap();
        assert_eq!(&*bare.json, br#","requestId":"r1""#);
        let full = layer
            .invocation(InvocationVisitor {
                request_id: Some("r2".into()),
                trace_header: Some("Root=1-a-b;Parent=c".into()),
                tenant_id: Some("t\"1".into()),
            })
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&full.json).unwrap(),
            r#","requestId":"r2","traceId":"1-a-b","tenantId":"t\"1""#
        );
    }

    #[test]
    fn static_fragments_are_serialised_once_and_escaped() {
        let layer = LambdaLogLayer::new(
            LogFormat::Json,
            "my \"svc\"",
            Some("fn"),
            None,
            std::io::sink,
        );
        assert_eq!(&*layer.function_json, br#","function_name":"fn""#);
        assert_eq!(&*layer.service_json, br#","service":"my \"svc\"""#);
    }

    #[test]
    fn nested_scratch_use_gets_fresh_buffers() {
        let mut outer_len = 0;
        with_scratch(|outer| {
            outer.line.extend_from_slice(b"outer");
            with_scratch(|inner| {
                assert!(inner.line.is_empty());
                inner.line.extend_from_slice(b"inner");
            });
            outer_len = outer.line.len();
        });
        assert_eq!(outer_len, 5);
    }
}
