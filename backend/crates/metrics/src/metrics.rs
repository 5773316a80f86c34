//! The [`Metrics`] handle: configuration read once, recording, flushing, cold start.

use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

use crate::document::Emitter;
use crate::error::MetricsError;
use crate::set::{MetricSet, MAX_DIMENSIONS};
use crate::validate;
use crate::{StorageResolution, Unit};

const NAMESPACE_VARS: [&str; 2] = ["FERRULE_METRICS_NAMESPACE", "POWERTOOLS_METRICS_NAMESPACE"];
const SERVICE_VARS: [&str; 2] = ["FERRULE_SERVICE_NAME", "POWERTOOLS_SERVICE_NAME"];
const FUNCTION_NAME_VAR: &str = "AWS_LAMBDA_FUNCTION_NAME";

const SERVICE_DIMENSION: &str = "service";
const FUNCTION_NAME_DIMENSION: &str = "function_name";
const COLD_START_METRIC: &str = "ColdStart";

tokio::task_local! {
    /// The metric set of the invocation being polled, installed by [`Metrics::flush_after`].
    /// Task-local rather than shared, so concurrent invocations in one process
    /// (lambda_runtime's managed concurrency) each flush their own metrics and dimensions.
    static INVOCATION: InvocationScope;
}

struct InvocationScope {
    /// Which handle opened the scope: another handle (another namespace) records elsewhere.
    owner: u64,
    set: Arc<Mutex<MetricSet>>,
}

/// Identifies handles for [`InvocationScope::owner`]; clones share the id.
static NEXT_HANDLE_ID: AtomicU64 = AtomicU64::new(0);

/// Records metrics and writes them as CloudWatch EMF lines (stdout by default).
///
/// Create it once in `main` ([`Metrics::from_env`] or [`Metrics::builder`]) and clone it
/// into the handler: clones share configuration, writer and cold-start state.
/// Wrap each invocation in [`Metrics::flush_after`] (or the [`MetricsLayer`](crate::MetricsLayer))
/// so its metrics are written exactly once when it ends, whether it succeeds or fails.
///
/// Inside a wrapped invocation, `add_*` calls record into that invocation's own set.
/// Anywhere else (init code, a `tokio::spawn`ed task) they record into a set shared by
/// the handle, written at the end of the next wrapped invocation or by [`Metrics::flush`].
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    id: u64,
    namespace: String,
    /// `service` first (when known), then the builder's default dimensions.
    default_dimensions: Vec<(String, String)>,
    function_name: Option<String>,
    capture_cold_start: bool,
    cold_start_pending: AtomicBool,
    unscoped: Mutex<MetricSet>,
    output: Mutex<Output>,
}

struct Output {
    writer: Box<dyn Write + Send>,
    /// Reused for every document, so a flush allocates only when a document is larger
    /// than any before it.
    line: Vec<u8>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while recording leaves plain data behind, still worth flushing.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Metrics {
    /// A builder where everything is explicit: nothing is read from the environment.
    ///
    /// ```
    /// use ferrule_metrics::{MemoryWriter, Metrics, Unit};
    ///
    /// let output = MemoryWriter::default();
    /// let metrics = Metrics::builder()
    ///     .namespace("Shop")
    ///     .service("orders")
    ///     .default_dimension("environment", "prod")
    ///     .writer(output.clone())
    ///     .build()?;
    /// metrics.add_metric("OrdersPlaced", Unit::Count, 1)?;
    /// metrics.flush()?;
    /// let document = &output.documents()?[0];
    /// assert_eq!(document["OrdersPlaced"], 1.0);
    /// assert_eq!(document["environment"], "prod");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder() -> MetricsBuilder {
        MetricsBuilder::default()
    }

    /// Reads the configuration from the environment, writing to stdout.
    ///
    /// Namespace: `FERRULE_METRICS_NAMESPACE`, else `POWERTOOLS_METRICS_NAMESPACE` (required).
    /// `service` dimension: `FERRULE_SERVICE_NAME`, else `POWERTOOLS_SERVICE_NAME` (left out
    /// when neither is set). Cold-start `function_name`: `AWS_LAMBDA_FUNCTION_NAME`.
    ///
    /// ```
    /// use ferrule_metrics::{Metrics, MetricsError};
    ///
    /// match Metrics::from_env() {
    ///     Ok(metrics) => println!("metrics go to namespace {}", metrics.namespace()),
    ///     Err(MetricsError::MissingNamespace) => eprintln!("set FERRULE_METRICS_NAMESPACE"),
    ///     Err(other) => eprintln!("{other}"),
    /// }
    /// ```
    pub fn from_env() -> Result<Metrics, MetricsError> {
        MetricsBuilder::from_env().build()
    }

    /// The CloudWatch namespace every document is written to.
    ///
    /// ```
    /// let metrics = ferrule_metrics::Metrics::builder().namespace("Shop").build()?;
    /// assert_eq!(metrics.namespace(), "Shop");
    /// # Ok::<(), ferrule_metrics::MetricsError>(())
    /// ```
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// Records one value of a standard-resolution (60 s) metric. Values recorded under
    /// one name before a flush are written together as an array.
    ///
    /// ```
    /// use ferrule_metrics::{MemoryWriter, Metrics, Unit};
    ///
    /// let output = MemoryWriter::default();
    /// let metrics = Metrics::builder().namespace("Shop").writer(output.clone()).build()?;
    /// metrics.add_metric("ItemsInCart", Unit::Count, 3)?;
    /// metrics.add_metric("Latency", Unit::Milliseconds, 12.5)?;
    /// metrics.add_metric("Latency", Unit::Milliseconds, 8.0)?;
    /// metrics.flush()?;
    /// assert_eq!(output.documents()?[0]["Latency"], serde_json::json!([12.5, 8.0]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric(
        &self,
        name: &str,
        unit: Unit,
        value: impl Into<f64>,
    ) -> Result<(), MetricsError> {
        self.add_metric_with_resolution(name, unit, value, StorageResolution::Standard)
    }

    /// Records one value with an explicit storage resolution ([`StorageResolution::High`]:
    /// one-second, billed as a high-resolution metric).
    ///
    /// ```
    /// use ferrule_metrics::{MemoryWriter, Metrics, StorageResolution, Unit};
    ///
    /// let output = MemoryWriter::default();
    /// let metrics = Metrics::builder().namespace("Shop").writer(output.clone()).build()?;
    /// metrics.add_metric_with_resolution("QueueDepth", Unit::Count, 17, StorageResolution::High)?;
    /// metrics.flush()?;
    /// let definition = &output.documents()?[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"][0];
    /// assert_eq!(definition["StorageResolution"], 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metric_with_resolution(
        &self,
        name: &str,
        unit: Unit,
        value: impl Into<f64>,
        resolution: StorageResolution,
    ) -> Result<(), MetricsError> {
        let value = value.into();
        let defaults = &self.inner.default_dimensions;
        self.with_current_set(|set| set.add_metric(defaults, name, unit, value, resolution))
    }

    /// Adds a dimension to the current invocation's metrics, on top of the default ones
    /// (a default's name overrides its value for this invocation). At most 30 dimensions,
    /// defaults included.
    ///
    /// ```
    /// use ferrule_metrics::{MemoryWriter, Metrics, MetricsError, Unit};
    ///
    /// let output = MemoryWriter::default();
    /// let metrics = Metrics::builder()
    ///     .namespace("Shop")
    ///     .service("orders")
    ///     .writer(output.clone())
    ///     .build()?;
    /// metrics.add_dimension("channel", "web")?;
    /// assert!(matches!(
    ///     metrics.add_dimension("city", "Zürich"),
    ///     Err(MetricsError::InvalidDimensionValue { .. })
    /// ));
    /// metrics.add_metric("OrdersPlaced", Unit::Count, 1)?;
    /// metrics.flush()?;
    /// let document = &output.documents()?[0];
    /// assert_eq!(document["_aws"]["CloudWatchMetrics"][0]["Dimensions"], serde_json::json!([["service", "channel"]]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_dimension(&self, name: &str, value: &str) -> Result<(), MetricsError> {
        let defaults = &self.inner.default_dimensions;
        self.with_current_set(|set| set.add_dimension(defaults, name, value))
    }

    /// Adds a member to the document that is not a metric (searchable in CloudWatch Logs
    /// Insights, never a metric nor a dimension): request ids, order ids, anything
    /// high-cardinality.
    ///
    /// ```
    /// use ferrule_metrics::{MemoryWriter, Metrics, Unit};
    /// use serde_json::json;
    ///
    /// let output = MemoryWriter::default();
    /// let metrics = Metrics::builder().namespace("Shop").writer(output.clone()).build()?;
    /// metrics.add_metric("OrdersPlaced", Unit::Count, 1)?;
    /// metrics.add_metadata("orderId", "o-42")?;
    /// metrics.add_metadata("basket", json!({"items": 3}))?;
    /// metrics.flush()?;
    /// assert_eq!(output.documents()?[0]["basket"]["items"], 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn add_metadata(&self, key: &str, value: impl Into<Value>) -> Result<(), MetricsError> {
        let value = value.into();
        let defaults = &self.inner.default_dimensions;
        self.with_current_set(|set| set.add_metadata(defaults, key, value))
    }

    /// Writes what has been recorded in the current invocation (or, outside one, in the
    /// handle's shared set) and starts afresh; dimensions and metadata are cleared too,
    /// default dimensions stay. With no metric recorded it writes nothing.
    ///
    /// [`Metrics::flush_after`] calls this for you; call it yourself only outside a
    /// wrapped invocation. What it wrote is not written again.
    ///
    /// ```
    /// use ferrule_metrics::{MemoryWriter, Metrics, Unit};
    ///
    /// let output = MemoryWriter::default();
    /// let metrics = Metrics::builder().namespace("Shop").writer(output.clone()).build()?;
    /// metrics.flush()?;
    /// assert!(output.lines().is_empty(), "nothing recorded, nothing written");
    /// metrics.add_metric("OrdersPlaced", Unit::Count, 1)?;
    /// metrics.flush()?;
    /// metrics.flush()?;
    /// assert_eq!(output.lines().len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush(&self) -> Result<(), MetricsError> {
        match self.current_scope_set() {
            Some(set) => self.write_sets(&[&set]),
            None => self.write_sets(&[&self.inner.unscoped]),
        }
    }

    /// Runs one invocation and then writes its metrics, exactly once, however it ends:
    /// `Ok`, `Err`, panic (the runtime catches it and drops the future) or cancellation.
    /// On the first invocation of the handle it first writes the `ColdStart` document.
    ///
    /// The output of `invocation` is returned untouched. A write failure is logged with
    /// `tracing::error!` and never turns a successful invocation into a failed one.
    ///
    /// ```
    /// use ferrule_metrics::{MemoryWriter, Metrics, Unit};
    ///
    /// async fn handler(metrics: &Metrics, order: u32) -> Result<u32, String> {
    ///     metrics.add_metric("OrdersPlaced", Unit::Count, 1).map_err(|e| e.to_string())?;
    ///     if order == 0 {
    ///         return Err("order 0 does not exist".into());
    ///     }
    ///     Ok(order)
    /// }
    ///
    /// let output = MemoryWriter::default();
    /// let metrics = Metrics::builder()
    ///     .namespace("Shop")
    ///     .capture_cold_start(false)
    ///     .writer(output.clone())
    ///     .build()?;
    /// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
    /// let result = runtime.block_on(metrics.flush_after(handler(&metrics, 0)));
    /// assert!(result.is_err());
    /// assert_eq!(output.documents()?[0]["OrdersPlaced"], 1.0, "flushed although it failed");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// With lambda_runtime (the runtime API needs Lambda, hence `no_run`):
    ///
    /// ```no_run
    /// use ferrule_metrics::{Metrics, Unit};
    /// use lambda_runtime::{service_fn, Error, LambdaEvent};
    /// use serde_json::Value;
    ///
    /// async fn handle(metrics: &Metrics, event: LambdaEvent<Value>) -> Result<Value, Error> {
    ///     metrics.add_metric("Processed", Unit::Count, 1)?;
    ///     Ok(event.payload)
    /// }
    ///
    /// #[tokio::main(flavor = "current_thread")]
    /// async fn main() -> Result<(), Error> {
    ///     let metrics = Metrics::from_env()?;
    ///     lambda_runtime::run(service_fn(|event| metrics.flush_after(handle(&metrics, event)))).await
    /// }
    /// ```
    pub fn flush_after<F>(&self, invocation: F) -> impl Future<Output = F::Output>
    where
        F: Future,
    {
        let metrics = self.clone();
        async move {
            metrics.write_cold_start_once();
            let set = Arc::new(Mutex::new(MetricSet::default()));
            // Dropped when the invocation returns, or when its future is dropped after a
            // panic or a cancellation: either way the metrics are written once.
            let _flush_on_exit = FlushOnDrop {
                metrics: metrics.clone(),
                set: Arc::clone(&set),
            };
            let scope = InvocationScope {
                owner: metrics.inner.id,
                set,
            };
            INVOCATION.scope(scope, invocation).await
        }
    }

    fn with_current_set<R>(&self, record: impl FnOnce(&mut MetricSet) -> R) -> R {
        match self.current_scope_set() {
            Some(set) => record(&mut lock(&set)),
            None => record(&mut lock(&self.inner.unscoped)),
        }
    }

    fn current_scope_set(&self) -> Option<Arc<Mutex<MetricSet>>> {
        INVOCATION
            .try_with(|scope| (scope.owner == self.inner.id).then(|| Arc::clone(&scope.set)))
            .ok()
            .flatten()
    }

    /// Takes each set (leaving it empty) and writes those with metrics, under one writer lock.
    fn write_sets(&self, sets: &[&Mutex<MetricSet>]) -> Result<(), MetricsError> {
        let taken: Vec<MetricSet> = sets
            .iter()
            .map(|set| std::mem::take(&mut *lock(set)))
            .filter(|set| {
                let keep = set.has_metrics();
                if !keep && (!set.dimensions.is_empty() || !set.metadata.is_empty()) {
                    tracing::debug!("dimensions or metadata without any metric: nothing to flush");
                }
                keep
            })
            .collect();
        if taken.is_empty() {
            tracing::debug!("no metrics recorded: nothing to flush");
            return Ok(());
        }
        let emitter = Emitter {
            namespace: &self.inner.namespace,
            defaults: &self.inner.default_dimensions,
            timestamp_ms: now_ms(),
        };
        let mut output = lock(&self.inner.output);
        let Output { writer, line } = &mut *output;
        for set in &taken {
            emitter
                .write(set, writer.as_mut(), line)
                .map_err(|source| MetricsError::Write { source })?;
        }
        Ok(())
    }

    /// Powertools' cold-start metric: `ColdStart = 1 Count`, in its own document, with the
    /// default dimensions (`service` ...) and `function_name`, once per handle.
    fn write_cold_start_once(&self) {
        if !self.inner.capture_cold_start
            || !self.inner.cold_start_pending.swap(false, Ordering::Relaxed)
        {
            return;
        }
        let mut dimensions = self.inner.default_dimensions.clone();
        if let Some(function_name) = &self.inner.function_name {
            dimensions.push((FUNCTION_NAME_DIMENSION.to_owned(), function_name.clone()));
        }
        let mut set = MetricSet::default();
        let recorded = set.add_metric(
            &dimensions,
            COLD_START_METRIC,
            Unit::Count,
            1.0,
            StorageResolution::Standard,
        );
        let emitter = Emitter {
            namespace: &self.inner.namespace,
            defaults: &dimensions,
            timestamp_ms: now_ms(),
        };
        let mut output = lock(&self.inner.output);
        let Output { writer, line } = &mut *output;
        let written = recorded.and_then(|()| {
            emitter
                .write(&set, writer.as_mut(), line)
                .map_err(|source| MetricsError::Write { source })
        });
        if let Err(error) = written {
            tracing::error!(%error, "could not write the ColdStart metric");
        }
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("namespace", &self.inner.namespace)
            .field("default_dimensions", &self.inner.default_dimensions)
            .field("function_name", &self.inner.function_name)
            .field("capture_cold_start", &self.inner.capture_cold_start)
            .finish_non_exhaustive()
    }
}

struct FlushOnDrop {
    metrics: Metrics,
    set: Arc<Mutex<MetricSet>>,
}

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        // The handle's shared set too: metrics recorded outside the invocation scope
        // (e.g. in a spawned task) are written at the end of the invocation.
        let shared = &self.metrics.inner.unscoped;
        if let Err(error) = self.metrics.write_sets(&[&self.set, shared]) {
            tracing::error!(%error, "could not flush the invocation's metrics");
        }
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Configures a [`Metrics`] handle; [`MetricsBuilder::build`] validates everything once.
///
/// ```
/// use ferrule_metrics::{MemoryWriter, MetricsBuilder};
///
/// let metrics = MetricsBuilder::from_env()      // namespace, service, function name if set
///     .namespace("Shop")                        // explicit values win
///     .service("orders")
///     .function_name("orders-api")
///     .default_dimension("environment", "prod")
///     .capture_cold_start(true)
///     .writer(MemoryWriter::default())          // default: stdout
///     .build()?;
/// assert_eq!(metrics.namespace(), "Shop");
/// # Ok::<(), ferrule_metrics::MetricsError>(())
/// ```
pub struct MetricsBuilder {
    namespace: Option<String>,
    service: Option<String>,
    function_name: Option<String>,
    default_dimensions: Vec<(String, String)>,
    capture_cold_start: bool,
    writer: Option<Box<dyn Write + Send>>,
}

impl Default for MetricsBuilder {
    /// Nothing set, cold start captured, stdout.
    fn default() -> Self {
        Self {
            namespace: None,
            service: None,
            function_name: None,
            default_dimensions: Vec::new(),
            capture_cold_start: true,
            writer: None,
        }
    }
}

impl MetricsBuilder {
    /// A builder holding what the environment says (see [`Metrics::from_env`]); empty
    /// variables count as unset.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let first_set = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| lookup(name).filter(|value| !value.is_empty()))
        };
        Self {
            namespace: first_set(&NAMESPACE_VARS),
            service: first_set(&SERVICE_VARS),
            function_name: first_set(&[FUNCTION_NAME_VAR]),
            ..Self::default()
        }
    }

    /// The CloudWatch namespace (required): printable ASCII, at most 255 characters, not `AWS/...`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The value of the `service` default dimension.
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = Some(service.into());
        self
    }

    /// The `function_name` dimension of the `ColdStart` metric.
    pub fn function_name(mut self, function_name: impl Into<String>) -> Self {
        self.function_name = Some(function_name.into());
        self
    }

    /// A dimension added to every document of the handle (set once, never cleared).
    /// Adding a name again replaces its value.
    pub fn default_dimension(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.default_dimensions.push((name.into(), value.into()));
        self
    }

    /// Whether the first invocation writes the `ColdStart` metric (default: yes).
    pub fn capture_cold_start(mut self, capture: bool) -> Self {
        self.capture_cold_start = capture;
        self
    }

    /// Where EMF lines go (default: stdout, which Lambda ships to CloudWatch Logs).
    pub fn writer(mut self, writer: impl Write + Send + 'static) -> Self {
        self.writer = Some(Box::new(writer));
        self
    }

    /// Validates the configuration and creates the handle.
    pub fn build(self) -> Result<Metrics, MetricsError> {
        let namespace = self.namespace.ok_or(MetricsError::MissingNamespace)?;
        validate::namespace(&namespace).map_err(|rule| MetricsError::InvalidNamespace {
            namespace: namespace.clone(),
            rule,
        })?;

        let mut defaults: Vec<(String, String)> = Vec::new();
        let requested = self
            .service
            .map(|service| (SERVICE_DIMENSION.to_owned(), service))
            .into_iter()
            .chain(self.default_dimensions);
        for (name, value) in requested {
            validate_dimension(&name, &value)?;
            if let Some(existing) = defaults.iter_mut().find(|(key, _)| *key == name) {
                existing.1 = value;
            } else if defaults.len() >= MAX_DIMENSIONS {
                return Err(MetricsError::TooManyDimensions {
                    name,
                    max: MAX_DIMENSIONS,
                });
            } else {
                defaults.push((name, value));
            }
        }

        let function_name = if self.capture_cold_start {
            self.function_name
        } else {
            None
        };
        if let Some(function_name) = &function_name {
            validate_dimension(FUNCTION_NAME_DIMENSION, function_name)?;
            if defaults
                .iter()
                .any(|(key, _)| key == FUNCTION_NAME_DIMENSION)
            {
                // The cold-start document would name the key twice.
                return Err(MetricsError::InvalidDimensionName {
                    name: FUNCTION_NAME_DIMENSION.to_owned(),
                    rule: crate::Rule::CollidesWithDimension,
                });
            }
            if defaults.len() >= MAX_DIMENSIONS {
                return Err(MetricsError::TooManyDimensions {
                    name: FUNCTION_NAME_DIMENSION.to_owned(),
                    max: MAX_DIMENSIONS,
                });
            }
        }

        Ok(Metrics {
            inner: Arc::new(Inner {
                id: NEXT_HANDLE_ID.fetch_add(1, Ordering::Relaxed),
                namespace,
                default_dimensions: defaults,
                function_name,
                capture_cold_start: self.capture_cold_start,
                cold_start_pending: AtomicBool::new(true),
                unscoped: Mutex::new(MetricSet::default()),
                output: Mutex::new(Output {
                    writer: self.writer.unwrap_or_else(|| Box::new(io::stdout())),
                    line: Vec::with_capacity(1024),
                }),
            }),
        })
    }
}

fn validate_dimension(name: &str, value: &str) -> Result<(), MetricsError> {
    validate::dimension_name(name).map_err(|rule| MetricsError::InvalidDimensionName {
        name: name.to_owned(),
        rule,
    })?;
    validate::dimension_value(value).map_err(|rule| MetricsError::InvalidDimensionValue {
        name: name.to_owned(),
        value: value.to_owned(),
        rule,
    })
}

impl fmt::Debug for MetricsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsBuilder")
            .field("namespace", &self.namespace)
            .field("service", &self.service)
            .field("function_name", &self.function_name)
            .field("default_dimensions", &self.default_dimensions)
            .field("capture_cold_start", &self.capture_cold_start)
            .field("custom_writer", &self.writer.is_some())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::Rule;

    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    #[test]
    fn ferrule_variables_win_over_powertools_ones() {
        let builder = MetricsBuilder::from_lookup(lookup(&[
            ("FERRULE_METRICS_NAMESPACE", "Ferrule"),
            ("POWERTOOLS_METRICS_NAMESPACE", "Powertools"),
            ("FERRULE_SERVICE_NAME", "orders"),
            ("POWERTOOLS_SERVICE_NAME", "legacy"),
            ("AWS_LAMBDA_FUNCTION_NAME", "orders-api"),
        ]));
        let metrics = builder.build().unwrap();
        assert_eq!(metrics.namespace(), "Ferrule");
        assert_eq!(
            metrics.inner.default_dimensions,
            vec![("service".to_owned(), "orders".to_owned())]
        );
        assert_eq!(metrics.inner.function_name.as_deref(), Some("orders-api"));
    }

    #[test]
    fn powertools_variables_are_the_fallback_and_empty_counts_as_unset() {
        let builder = MetricsBuilder::from_lookup(lookup(&[
            ("FERRULE_METRICS_NAMESPACE", ""),
            ("POWERTOOLS_METRICS_NAMESPACE", "Powertools"),
            ("POWERTOOLS_SERVICE_NAME", "legacy"),
        ]));
        let metrics = builder.build().unwrap();
        assert_eq!(metrics.namespace(), "Powertools");
        assert_eq!(metrics.inner.default_dimensions[0].1, "legacy");
        assert_eq!(metrics.inner.function_name, None);
    }

    #[test]
    fn a_missing_namespace_is_a_typed_error() {
        let error = MetricsBuilder::from_lookup(lookup(&[("FERRULE_SERVICE_NAME", "orders")]))
            .build()
            .unwrap_err();
        assert!(matches!(error, MetricsError::MissingNamespace));
        assert!(error.to_string().contains("FERRULE_METRICS_NAMESPACE"));
    }

    #[test]
    fn without_service_there_is_no_service_dimension() {
        let metrics = MetricsBuilder::from_lookup(lookup(&[("FERRULE_METRICS_NAMESPACE", "Shop")]))
            .build()
            .unwrap();
        assert!(metrics.inner.default_dimensions.is_empty());
    }

    #[test]
    fn build_validates_namespace_and_default_dimensions() {
        let error = Metrics::builder()
            .namespace("AWS/Lambda")
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid metrics namespace \"AWS/Lambda\": must not start with 'AWS/' (reserved for AWS services)"
        );
        let error = Metrics::builder()
            .namespace("Shop")
            .service("")
            .build()
            .unwrap_err();
        assert!(
            matches!(error, MetricsError::InvalidDimensionValue { ref name, rule: Rule::Empty, .. } if name == "service")
        );
        let error = Metrics::builder()
            .namespace("Shop")
            .default_dimension("_aws", "x")
            .build()
            .unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidDimensionName {
                rule: Rule::ReservedAws,
                ..
            }
        ));
        let error = Metrics::builder()
            .namespace("Shop")
            .function_name("bad\nname")
            .build()
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid value for dimension \"function_name\": must not contain control characters"
        );
        let error = Metrics::builder()
            .namespace("Shop")
            .function_name("orders-api")
            .default_dimension("function_name", "x")
            .build()
            .unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidDimensionName {
                rule: Rule::CollidesWithDimension,
                ..
            }
        ));
    }

    #[test]
    fn default_dimensions_are_limited_to_thirty_with_room_for_function_name() {
        let thirty = (0..30).fold(Metrics::builder().namespace("Shop"), |builder, i| {
            builder.default_dimension(format!("d{i}"), "v")
        });
        let error = thirty.default_dimension("d30", "v").build().unwrap_err();
        assert!(
            matches!(error, MetricsError::TooManyDimensions { ref name, max: 30 } if name == "d30")
        );

        let thirty = (0..30).fold(Metrics::builder().namespace("Shop"), |builder, i| {
            builder.default_dimension(format!("d{i}"), "v")
        });
        let error = thirty.function_name("orders-api").build().unwrap_err();
        assert!(
            matches!(error, MetricsError::TooManyDimensions { ref name, .. } if name == "function_name")
        );

        let thirty = (0..30).fold(Metrics::builder().namespace("Shop"), |builder, i| {
            builder.default_dimension(format!("d{i}"), "v")
        });
        let metrics = thirty
            .default_dimension("d0", "replaced")
            .capture_cold_start(false)
            .function_name("ignored without cold start")
            .build()
            .unwrap();
        assert_eq!(metrics.inner.default_dimensions.len(), 30);
        assert_eq!(metrics.inner.default_dimensions[0].1, "replaced");
    }

    #[test]
    fn the_handle_is_send_sync_and_clones_share_state() {
        fn assert_send_sync<T: Send + Sync + Clone + 'static>() {}
        assert_send_sync::<Metrics>();
        let metrics = Metrics::builder()
            .namespace("Shop")
            .writer(io::sink())
            .build()
            .unwrap();
        let clone = metrics.clone();
        assert!(Arc::ptr_eq(&metrics.inner, &clone.inner));
        assert!(format!("{metrics:?}").contains("Shop"));
    }
}
