//! The tracer: created once per process, cloned freely.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde::Serialize;

use crate::config::{ConfigError, TracerConfig};
use crate::context;
use crate::emitter::Emitter;
use crate::header::TraceHeader;
use crate::id::SegmentId;
use crate::record::{AnnotationValue, Record};

/// Metadata namespace when no service name is configured.
const DEFAULT_NAMESPACE: &str = "default";

/// Sends subsegments to the X-Ray daemon.
///
/// Create it once at init with [`Tracer::from_env`] and clone it where needed (a
/// clone is a reference count). Nothing is sent unless the invocation's trace is
/// sampled (`Sampled=1`), and sending never blocks nor fails the invocation.
///
/// ```no_run
/// use ferrule_tracer::Tracer;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tracer = Tracer::from_env()?;
/// let total = tracer
///     .in_subsegment("charge", |seg| async move {
///         seg.annotate("order_id", "o-42");
///         Ok::<_, std::io::Error>(42)
///     })
///     .await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Tracer {
    inner: Arc<Inner>,
}

struct Inner {
    config: TracerConfig,
    emitter: Emitter,
    namespace: String,
    cold_start: AtomicBool,
}

impl fmt::Debug for Tracer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracer")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl Tracer {
    /// A tracer configured from the environment (see [`TracerConfig::from_lookup`]).
    ///
    /// Fails only when `AWS_XRAY_DAEMON_ADDRESS` is set and invalid. No socket is
    /// opened until the first document is sent.
    ///
    /// ```
    /// let tracer = ferrule_tracer::Tracer::from_env()?;
    /// # Ok::<(), ferrule_tracer::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Tracer, ConfigError> {
        TracerConfig::from_env().map(Tracer::new)
    }

    /// A tracer with an explicit configuration (tests, local daemons).
    ///
    /// ```
    /// use ferrule_tracer::{Tracer, TracerConfig};
    ///
    /// let tracer = Tracer::new(TracerConfig::new("127.0.0.1:2000".parse().unwrap()));
    /// assert!(tracer.is_enabled());
    /// ```
    pub fn new(config: TracerConfig) -> Tracer {
        let namespace = config
            .service
            .clone()
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        Tracer {
            inner: Arc::new(Inner {
                emitter: Emitter::new(config.daemon),
                config,
                namespace,
                cold_start: AtomicBool::new(true),
            }),
        }
    }

    /// A tracer that sends nothing; everything else behaves the same.
    ///
    /// ```
    /// let tracer = ferrule_tracer::Tracer::disabled();
    /// assert!(!tracer.is_enabled());
    /// ```
    pub fn disabled() -> Tracer {
        let mut config = TracerConfig::new((std::net::Ipv4Addr::LOCALHOST, 2000).into());
        config.enabled = false;
        Tracer::new(config)
    }

    /// Whether documents are sent at all (`POWERTOOLS_TRACE_DISABLED` is not `true`).
    pub fn is_enabled(&self) -> bool {
        self.inner.config.enabled
    }

    /// The configuration this tracer was built from.
    pub fn config(&self) -> &TracerConfig {
        &self.inner.config
    }

    /// Runs `f` inside a new subsegment named `name` and sends it when `f`'s future ends.
    ///
    /// The subsegment's parent is the current context (the enclosing subsegment, or
    /// Lambda's function segment), and inside `f` it is the current context, so
    /// subsegments, marked spans and AWS SDK calls made there nest under it. An `Err`
    /// marks it as a `fault` with the error's message and type in `cause`. If the
    /// future is dropped before it ends, the subsegment is still sent.
    ///
    /// ```
    /// use ferrule_tracer::Tracer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let tracer = Tracer::disabled();
    /// let result = tracer
    ///     .in_subsegment("reserve stock", |seg| async move {
    ///         seg.annotate("sku", "A-1");
    ///         seg.metadata("request", &serde_json::json!({"quantity": 2}));
    ///         Err::<(), _>("out of stock")
    ///     })
    ///     .await;
    /// assert_eq!(result, Err("out of stock"));
    /// # }
    /// ```
    pub async fn in_subsegment<F, Fut, T, E>(&self, name: &str, f: F) -> Result<T, E>
    where
        F: FnOnce(Subsegment) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: fmt::Display,
    {
        let subsegment = self.begin_subsegment(name);
        self.run_in(subsegment, f).await
    }

    /// [`in_subsegment`](Tracer::in_subsegment) for a Lambda handler, as Powertools'
    /// `capture_lambda_handler`: the subsegment is named `## <name>` and annotated with
    /// `ColdStart` (true on this tracer's first handler subsegment) and `Service`
    /// (when `POWERTOOLS_SERVICE_NAME` is set).
    ///
    /// ```
    /// use ferrule_tracer::Tracer;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let tracer = Tracer::disabled();
    /// let answer = tracer
    ///     .in_handler_subsegment("handler", |_seg| async { Ok::<_, std::io::Error>("done") })
    ///     .await;
    /// assert_eq!(answer.unwrap(), "done");
    /// # }
    /// ```
    pub async fn in_handler_subsegment<F, Fut, T, E>(&self, name: &str, f: F) -> Result<T, E>
    where
        F: FnOnce(Subsegment) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: fmt::Display,
    {
        let cold_start = self.inner.cold_start.swap(false, Ordering::Relaxed);
        let subsegment = self.begin_subsegment(&format!("## {name}"));
        subsegment.annotate("ColdStart", cold_start);
        if let Some(service) = &self.inner.config.service {
            subsegment.annotate("Service", service.as_str());
        }
        self.run_in(subsegment, f).await
    }

    async fn run_in<F, Fut, T, E>(&self, subsegment: Subsegment, f: F) -> Result<T, E>
    where
        F: FnOnce(Subsegment) -> Fut,
        Fut: Future<Output = Result<T, E>>,
        E: fmt::Display,
    {
        let result = match subsegment.context() {
            Some(header) => context::scope(header, f(subsegment.clone())).await,
            None => f(subsegment.clone()).await,
        };
        if let Err(error) = &result {
            subsegment.record_failure_of_type(error, std::any::type_name::<E>());
        }
        subsegment.end();
        result
    }

    /// Starts a subsegment under the current context, for code that is not one
    /// future (synchronous code, or a start and end in different places).
    ///
    /// It is sent by [`Subsegment::end`] or when the last clone is dropped. It does
    /// not become the current context; use [`Subsegment::child`] to nest under it.
    ///
    /// ```
    /// let tracer = ferrule_tracer::Tracer::disabled();
    /// let seg = tracer.begin_subsegment("parse");
    /// seg.annotate("bytes", 512_u32);
    /// seg.end();
    /// ```
    pub fn begin_subsegment(&self, name: &str) -> Subsegment {
        match context::current() {
            Some(parent) => self.start(parent, name),
            None => Subsegment::noop(),
        }
    }

    /// Starts a subsegment under `parent`; a no-op handle when nothing would be sent.
    pub(crate) fn start(&self, parent: Arc<TraceHeader>, name: &str) -> Subsegment {
        match self.start_record(parent, name) {
            Some(record) => Subsegment {
                active: Some(Arc::new(Active {
                    tracer: self.clone(),
                    context: Arc::new(record.trace.with_parent(record.id)),
                    id: record.id,
                    record: Mutex::new(Some(record)),
                })),
            },
            None => Subsegment::noop(),
        }
    }

    pub(crate) fn start_record(&self, parent: Arc<TraceHeader>, name: &str) -> Option<Record> {
        if !self.is_enabled() {
            return None;
        }
        Record::start(parent, name)
    }

    /// The metadata namespace of [`Subsegment::metadata`]: the service name or `default`.
    pub(crate) fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// Ends `record` now and sends it.
    pub(crate) fn finish(&self, record: &Record) {
        let packet = record.to_packet();
        if !packet.is_empty() {
            self.inner.emitter.send(&packet);
        }
    }
}

/// A handle on an open subsegment: annotate it, add metadata, mark failures.
///
/// Cheap to clone; every method takes `&self`. On an unsampled trace (or with no
/// trace at all) every method does nothing, at the cost of a branch.
#[derive(Clone, Debug)]
pub struct Subsegment {
    active: Option<Arc<Active>>,
}

#[derive(Debug)]
struct Active {
    tracer: Tracer,
    id: SegmentId,
    /// The context inside this subsegment: the trace header with `Parent` = `id`.
    context: Arc<TraceHeader>,
    /// `None` once ended.
    record: Mutex<Option<Record>>,
}

impl Drop for Active {
    fn drop(&mut self) {
        let record = self
            .record
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(record) = record {
            self.tracer.finish(&record);
        }
    }
}

impl Subsegment {
    fn noop() -> Subsegment {
        Subsegment { active: None }
    }

    fn with_record(&self, f: impl FnOnce(&mut Record, &Tracer)) {
        if let Some(active) = &self.active {
            let mut record = active.record.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(record) = record.as_mut() {
                f(record, &active.tracer);
            }
        }
    }

    /// Whether this subsegment will be sent (the trace is sampled and it has not ended).
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// assert!(!seg.is_recording());
    /// ```
    pub fn is_recording(&self) -> bool {
        self.active.as_ref().is_some_and(|active| {
            active
                .record
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .is_some()
        })
    }

    /// The subsegment's id, when it is recorded.
    pub fn id(&self) -> Option<SegmentId> {
        self.active.as_ref().map(|active| active.id)
    }

    /// The trace header for a call made inside this subsegment (`Parent` = its id).
    ///
    /// When the trace is not sampled there is no subsegment: use
    /// [`current_trace_header`](crate::current_trace_header), which also covers that case.
    pub fn trace_header(&self) -> Option<TraceHeader> {
        self.active
            .as_ref()
            .map(|active| TraceHeader::clone(&active.context))
    }

    fn context(&self) -> Option<Arc<TraceHeader>> {
        self.active
            .as_ref()
            .map(|active| Arc::clone(&active.context))
    }

    /// Adds an annotation (indexed, searchable with filter expressions).
    ///
    /// The key keeps `[A-Za-z0-9_]`, others become `_`; strings are cut to 1000
    /// characters. X-Ray keeps at most 50 annotations per trace.
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.annotate("order_id", "o-42");
    /// seg.annotate("amount_cents", 1999_u32);
    /// seg.annotate("express", true);
    /// ```
    pub fn annotate(&self, key: &str, value: impl Into<AnnotationValue>) {
        self.with_record(|record, _| record.annotate(key, value.into()));
    }

    /// Adds metadata (any JSON, not indexed) in the tracer's namespace: the service
    /// name, or `default`.
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.metadata("order", &serde_json::json!({"lines": 3}));
    /// ```
    pub fn metadata(&self, key: &str, value: &impl Serialize) {
        self.with_record(|record, tracer| add_metadata(record, tracer.namespace(), key, value));
    }

    /// Adds metadata in `namespace`.
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.metadata_in("payments", "provider", &"acme");
    /// ```
    pub fn metadata_in(&self, namespace: &str, key: &str, value: &impl Serialize) {
        self.with_record(|record, _| add_metadata(record, namespace, key, value));
    }

    /// Marks a client error (`error`, as for a 4xx).
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.set_error();
    /// ```
    pub fn set_error(&self) {
        self.with_record(|record, _| record.error = true);
    }

    /// Marks a server error (`fault`, as for a 5xx).
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.set_fault();
    /// ```
    pub fn set_fault(&self) {
        self.with_record(|record, _| record.fault = true);
    }

    /// Marks throttling (`throttle` and `error`, as for a 429).
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.set_throttle();
    /// ```
    pub fn set_throttle(&self) {
        self.with_record(|record, _| {
            record.throttle = true;
            record.error = true;
        });
    }

    /// Marks a `fault` and records `error`'s message in `cause`.
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.record_failure(&"inventory unavailable");
    /// ```
    pub fn record_failure(&self, error: &dyn fmt::Display) {
        self.with_record(|record, _| record.record_fault(error, None));
    }

    fn record_failure_of_type(&self, error: &dyn fmt::Display, kind: &str) {
        self.with_record(|record, _| record.record_fault(error, Some(kind)));
    }

    /// Starts a subsegment nested in this one (not current; see
    /// [`Tracer::begin_subsegment`]).
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("import");
    /// let row = seg.child("row 1");
    /// row.end();
    /// seg.end();
    /// ```
    pub fn child(&self, name: &str) -> Subsegment {
        match &self.active {
            Some(active) => active.tracer.start(Arc::clone(&active.context), name),
            None => Subsegment::noop(),
        }
    }

    /// Ends the subsegment and sends it; later calls on any clone do nothing.
    ///
    /// ```
    /// let seg = ferrule_tracer::Tracer::disabled().begin_subsegment("x");
    /// seg.end();
    /// ```
    pub fn end(&self) {
        if let Some(active) = &self.active {
            let record = active
                .record
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            if let Some(record) = record {
                active.tracer.finish(&record);
            }
        }
    }
}

fn add_metadata(record: &mut Record, namespace: &str, key: &str, value: &impl Serialize) {
    match serde_json::to_value(value) {
        Ok(value) => record.add_metadata(namespace, key, value),
        Err(error) => {
            tracing::debug!(target: "ferrule_tracer", key, %error, "X-Ray metadata not serialisable")
        }
    }
}
