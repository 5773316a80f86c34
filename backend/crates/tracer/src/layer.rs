//! Marked `tracing` spans as X-Ray subsegments.

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanValues};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, Registry, SpanRef};
use tracing_subscriber::Layer;

use crate::context::{self, Stop, LAYER_INSTALLED};
use crate::header::TraceHeader;
use crate::record::{AnnotationValue, Record};
use crate::tracer::Tracer;

/// The field that turns a span into a subsegment: `xray = true`.
pub const MARKER_FIELD: &str = "xray";

/// Fields named `annotation.<key>` become annotations.
pub const ANNOTATION_PREFIX: &str = "annotation.";

/// Fields named `metadata.<key>` become metadata in the tracer's namespace.
pub const METADATA_PREFIX: &str = "metadata.";

/// The span `lambda_runtime` opens around each invocation, with its `xrayTraceId`.
const INVOCATION_SPAN: &str = "Lambda runtime invoke";
const INVOCATION_TRACE_FIELD: &str = "xrayTraceId";

/// A `tracing_subscriber` layer that sends every span marked `xray = true` as a subsegment.
///
/// - the span's name is the subsegment's name;
/// - `annotation.<key> = value` fields become annotations (strings, numbers, booleans;
///   `%value` and `?value` become strings), `metadata.<key>` fields metadata;
/// - fields declared `tracing::field::Empty` and recorded later count too;
/// - an `ERROR` event inside the span (`tracing::error!`, `#[instrument(err)]`) marks
///   it as a `fault` with the event's `error` (or message) as cause;
/// - it nests under the enclosing marked span, else the enclosing
///   [`Tracer::in_subsegment`] closure, else the invocation: it reads the trace
///   header from `lambda_runtime`'s `Lambda runtime invoke` span (one per invocation,
///   so concurrent invocations each keep their own), else from a
///   [`TraceHeader::scope`](crate::TraceHeader::scope). Outside both (init code)
///   nothing is sent.
///
/// The span is sent when it closes. Spans must be enabled by the subscriber's filter
/// to be seen, so mark spans at `INFO` or above.
///
/// ```
/// use ferrule_tracer::Tracer;
/// use tracing_subscriber::layer::SubscriberExt;
///
/// let tracer = Tracer::disabled(); // Tracer::from_env()? in a function
/// let subscriber = tracing_subscriber::registry().with(tracer.layer());
/// tracing::subscriber::with_default(subscriber, || {
///     let order_id = "o-42";
///     let span = tracing::info_span!("charge", xray = true, annotation.order_id = %order_id);
///     let _entered = span.enter();
///     // ... work recorded in the "charge" subsegment ...
/// });
///
/// // With #[instrument]:
/// #[tracing::instrument(skip_all, fields(xray = true, annotation.sku = %sku))]
/// async fn reserve(sku: &str) -> Result<(), std::io::Error> { Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct XRayLayer {
    tracer: Tracer,
}

impl Tracer {
    /// The [`XRayLayer`] sending marked spans through this tracer.
    ///
    /// ```
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let tracer = ferrule_tracer::Tracer::disabled();
    /// let subscriber = tracing_subscriber::registry().with(tracer.layer());
    /// # drop(subscriber);
    /// ```
    pub fn layer(&self) -> XRayLayer {
        XRayLayer {
            tracer: self.clone(),
        }
    }
}

/// Span extension of a marked, sampled span.
struct SpanSubsegment {
    record: Record,
    /// The context inside the span: the trace with `Parent` = the subsegment.
    context: Arc<TraceHeader>,
}

/// Span extension of the runtime's invocation span.
struct InvocationHeader(Arc<TraceHeader>);

impl<S> Layer<S> for XRayLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_layer(&mut self, _subscriber: &mut S) {
        LAYER_INSTALLED.store(true, Ordering::Relaxed);
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let metadata = attrs.metadata();
        let Some(span) = ctx.span(id) else {
            return;
        };
        if metadata.fields().field(MARKER_FIELD).is_some() {
            let Some(parent) = parent_context(&span) else {
                return;
            };
            let Some(mut record) = self.tracer.start_record(parent, metadata.name()) else {
                return;
            };
            let mut visitor = FieldVisitor {
                record: &mut record,
                namespace: self.tracer.namespace(),
                marked: true,
            };
            attrs.record(&mut visitor);
            if visitor.marked {
                let context = Arc::new(record.trace.with_parent(record.id));
                span.extensions_mut()
                    .insert(SpanSubsegment { record, context });
            }
        } else if metadata.name() == INVOCATION_SPAN
            && metadata.fields().field(INVOCATION_TRACE_FIELD).is_some()
        {
            let mut visitor = InvocationVisitor(None);
            attrs.record(&mut visitor);
            match visitor.0.as_deref().map(TraceHeader::parse) {
                Some(Ok(header)) => span
                    .extensions_mut()
                    .insert(InvocationHeader(Arc::new(header))),
                Some(Err(error)) => {
                    tracing::debug!(target: "ferrule_tracer", %error, "invocation trace header ignored")
                }
                None => {}
            }
        }
    }

    fn on_record(&self, id: &Id, values: &SpanValues<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(subsegment) = extensions.get_mut::<SpanSubsegment>() {
            values.record(&mut FieldVisitor {
                record: &mut subsegment.record,
                namespace: self.tracer.namespace(),
                marked: true,
            });
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if *event.metadata().level() != Level::ERROR {
            return;
        }
        let Some(scope) = ctx.event_scope(event) else {
            return;
        };
        for span in scope {
            let mut extensions = span.extensions_mut();
            if let Some(subsegment) = extensions.get_mut::<SpanSubsegment>() {
                let mut visitor = ErrorVisitor::default();
                event.record(&mut visitor);
                let message = visitor
                    .error
                    .or(visitor.message)
                    .unwrap_or_else(|| event.metadata().name().to_owned());
                subsegment.record.record_fault(&message, None);
                return;
            }
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let subsegment = span.extensions_mut().remove::<SpanSubsegment>();
        if let Some(subsegment) = subsegment {
            self.tracer.finish(&subsegment.record);
        }
    }
}

/// The context a new marked span nests in.
fn parent_context<S>(span: &SpanRef<'_, S>) -> Option<Arc<TraceHeader>>
where
    S: for<'a> LookupSpan<'a>,
{
    let (fallback, stop) = context::current_without_spans();
    let ancestors = span.scope().skip(1);
    context_in(ancestors, &stop).or(fallback)
}

/// The innermost context among `spans` (innermost first), stopping at `stop`.
fn context_in<'a, S>(
    spans: impl Iterator<Item = SpanRef<'a, S>>,
    stop: &Stop,
) -> Option<Arc<TraceHeader>>
where
    S: LookupSpan<'a> + 'a,
{
    for span in spans {
        if matches!(stop, Stop::At(anchor) if *anchor == span.id()) {
            return None;
        }
        let extensions = span.extensions();
        if let Some(subsegment) = extensions.get::<SpanSubsegment>() {
            return Some(Arc::clone(&subsegment.context));
        }
        if let Some(invocation) = extensions.get::<InvocationHeader>() {
            return Some(Arc::clone(&invocation.0));
        }
    }
    None
}

/// The context from the current span and its ancestors, when the current subscriber
/// is built on a `tracing_subscriber` registry.
pub(crate) fn header_from_current_span(stop: &Stop) -> Option<Arc<TraceHeader>> {
    tracing::Span::current()
        .with_subscriber(|(id, dispatch)| {
            let registry = dispatch.downcast_ref::<Registry>()?;
            let span = registry.span(id)?;
            context_in(span.scope(), stop)
        })
        .flatten()
}

struct FieldVisitor<'a> {
    record: &'a mut Record,
    namespace: &'a str,
    /// `false` once `xray = false` is seen.
    marked: bool,
}

impl FieldVisitor<'_> {
    fn add(&mut self, field: &Field, value: impl FnOnce() -> AnnotationValue) {
        let name = field.name();
        if let Some(key) = name.strip_prefix(ANNOTATION_PREFIX) {
            self.record.annotate(key, value());
        } else if let Some(key) = name.strip_prefix(METADATA_PREFIX) {
            let json = match value() {
                AnnotationValue::String(s) => serde_json::Value::String(s),
                AnnotationValue::Int(i) => i.into(),
                AnnotationValue::UInt(u) => u.into(),
                AnnotationValue::Float(f) => f.into(),
                AnnotationValue::Bool(b) => b.into(),
            };
            self.record.add_metadata(self.namespace, key, json);
        }
    }
}

impl Visit for FieldVisitor<'_> {
    fn record_bool(&mut self, field: &Field, value: bool) {
        if field.name() == MARKER_FIELD {
            self.marked = value;
        } else {
            self.add(field, || value.into());
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add(field, || value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.add(field, || value.into());
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add(field, || value.into());
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.add(field, || value.into());
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.add(field, || value.to_string().into());
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.add(field, || format!("{value:?}").into());
    }
}

struct InvocationVisitor(Option<String>);

impl Visit for InvocationVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == INVOCATION_TRACE_FIELD {
            self.0 = Some(value.to_owned());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == INVOCATION_TRACE_FIELD {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

#[derive(Default)]
struct ErrorVisitor {
    error: Option<String>,
    message: Option<String>,
}

impl Visit for ErrorVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "error" => self.error = Some(value.to_owned()),
            "message" => self.message = Some(value.to_owned()),
            _ => {}
        }
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if field.name() == "error" {
            self.error = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        match field.name() {
            "error" => self.error = Some(format!("{value:?}")),
            "message" => self.message = Some(format!("{value:?}")),
            _ => {}
        }
    }
}
