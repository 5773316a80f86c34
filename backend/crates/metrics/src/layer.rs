//! A `tower` layer that wraps every invocation of a service in [`Metrics::flush_after`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower_layer::Layer;
use tower_service::Service;

use crate::Metrics;

/// Wraps a Lambda service (lambda_runtime or lambda_http) so each invocation flushes its
/// metrics once when it ends, `Ok` or `Err`; the same as calling [`Metrics::flush_after`]
/// in the handler closure.
///
/// ```
/// use ferrule_metrics::{MemoryWriter, Metrics, MetricsLayer, Unit};
/// use lambda_runtime::tower::{Layer, Service};
/// use lambda_runtime::{service_fn, Error, LambdaEvent};
/// use serde_json::{json, Value};
///
/// let output = MemoryWriter::default();
/// let metrics = Metrics::builder()
///     .namespace("Shop")
///     .capture_cold_start(false)
///     .writer(output.clone())
///     .build()?;
/// let recorder = metrics.clone();
/// let mut service = MetricsLayer::new(metrics).layer(service_fn(move |event: LambdaEvent<Value>| {
///     let metrics = recorder.clone();
///     async move {
///         metrics.add_metric("Processed", Unit::Count, 1)?;
///         Ok::<Value, Error>(event.payload)
///     }
/// }));
/// let event = LambdaEvent::new(json!({"id": 1}), lambda_runtime::Context::default());
/// let runtime = tokio::runtime::Builder::new_current_thread().build()?;
/// let response = runtime.block_on(service.call(event)).map_err(|e| e.to_string())?;
/// assert_eq!(response, json!({"id": 1}));
/// assert_eq!(output.documents()?[0]["Processed"], 1.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// In a function: `lambda_runtime::run(MetricsLayer::new(metrics).layer(service_fn(handler)))`.
#[derive(Clone, Debug)]
pub struct MetricsLayer {
    metrics: Metrics,
}

impl MetricsLayer {
    /// A layer flushing through `metrics` (a clone of the handle created in `main`).
    pub fn new(metrics: Metrics) -> Self {
        Self { metrics }
    }
}

impl<S> Layer<S> for MetricsLayer {
    type Service = MetricsService<S>;

    fn layer(&self, inner: S) -> MetricsService<S> {
        MetricsService {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

/// The service [`MetricsLayer`] produces.
#[derive(Clone, Debug)]
pub struct MetricsService<S> {
    inner: S,
    metrics: Metrics,
}

impl<S, Request> Service<Request> for MetricsService<S>
where
    S: Service<Request>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    /// Boxed because the wrapping future cannot be named without `unsafe` pin projection;
    /// one small allocation per invocation.
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        Box::pin(self.metrics.flush_after(self.inner.call(request)))
    }
}

#[cfg(test)]
mod tests {
    use std::future::{ready, Ready};
    use std::sync::Arc;
    use std::task::{Wake, Waker};

    use super::*;
    use crate::{MemoryWriter, Unit};

    /// Not ready until told; answers with the request doubled and records a metric.
    struct Doubler {
        ready: bool,
        metrics: Metrics,
    }

    impl Service<u32> for Doubler {
        type Response = u32;
        type Error = String;
        type Future = Ready<Result<u32, String>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), String>> {
            if self.ready {
                Poll::Ready(Ok(()))
            } else {
                Poll::Pending
            }
        }

        fn call(&mut self, request: u32) -> Self::Future {
            let recorded = self.metrics.add_metric("Doubled", Unit::Count, 1);
            ready(recorded.map(|()| request * 2).map_err(|e| e.to_string()))
        }
    }

    /// `Waker::noop` needs Rust 1.85; the workspace supports 1.84.
    struct NoopWaker;

    impl Wake for NoopWaker {
        fn wake(self: Arc<Self>) {}
    }

    #[test]
    fn readiness_is_the_inner_service_s_and_calls_are_flushed() {
        let output = MemoryWriter::default();
        let metrics = Metrics::builder()
            .namespace("Shop")
            .capture_cold_start(false)
            .writer(output.clone())
            .build()
            .unwrap();
        let mut service = MetricsLayer::new(metrics.clone()).layer(Doubler {
            ready: false,
            metrics,
        });
        let waker = Waker::from(Arc::new(NoopWaker));
        let mut cx = Context::from_waker(&waker);
        assert!(service.poll_ready(&mut cx).is_pending());
        service.inner.ready = true;
        assert_eq!(service.poll_ready(&mut cx), Poll::Ready(Ok(())));

        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(runtime.block_on(service.call(21)), Ok(42));
        let documents = output.documents().unwrap();
        assert_eq!(documents.len(), 1);
        assert_eq!(documents[0]["Doubled"], 1.0);
    }
}
