//! Many invocations at once in one process, wrapped the way lambda_runtime 1.5's concurrent loop
//! (`Runtime::run_concurrent`, feature `concurrency-tokio`, Lambda Managed Instances) wraps them.
//!
//! With `AWS_LAMBDA_MAX_CONCURRENCY` = N, `run_concurrent` spawns N worker tasks (`tokio::spawn`),
//! each polling `/next` and handling one invocation at a time inside a `worker` span. Each
//! invocation goes through the runtime's service stack, whose outermost layer is
//! [`TracingLayer`](lambda_runtime::layers::TracingLayer): it opens the `Lambda runtime invoke`
//! span (`requestId`, `xrayTraceId`), enters it while the inner service is called, and instruments
//! the invocation's future with it. No environment variable is set (`_X_AMZN_TRACE_ID` is left
//! alone). [`ConcurrentRun`] does the same: N spawned workers, a `worker` span each, and
//! lambda_runtime's own `TracingLayer` around the handler, so the span is the runtime's own.
//!
//! Overlap is forced, not hoped for: [`Invocation::rendezvous`] waits until every worker's current
//! invocation has reached it, so all N are in flight at once whatever the machine's speed, and
//! [`Outcome::max_in_flight`] reports how many were. A library that serialised invocations (a lock
//! held across an `await`) makes the run stop at the rendezvous, reported as
//! [`ConcurrencyError::Stuck`] rather than a hang.
//!
//! ```
//! use ferrule_testkit::concurrent::ConcurrentRun;
//!
//! # tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(async {
//! let outcome = ConcurrentRun::new(16)
//!     .run(|invocation| async move {
//!         invocation.interleave().await;
//!         invocation.rendezvous().await; // all 16 are in flight here
//!         invocation.request_id.clone()
//!     })
//!     .await
//!     .unwrap();
//! assert_eq!(outcome.max_in_flight, 16);
//! assert!(outcome.finished.iter().all(|f| f.value == f.request_id));
//! # });
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use lambda_runtime::layers::TracingLayer;
use lambda_runtime::tower::{Layer, Service, ServiceExt};
use lambda_runtime::{Context, LambdaInvocation};
use tokio::sync::Barrier;
use tracing::Instrument;

use crate::ContextBuilder;

/// How long a run may take before it is reported as [`ConcurrencyError::Stuck`]. Not a speed
/// check: a run that does not finish in this time is waiting forever (a deadlock, or a
/// rendezvous some invocation never reaches).
pub const STUCK_AFTER: Duration = Duration::from_secs(300);

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum ConcurrencyError {
    /// Concurrent invocations need worker threads: use `#[tokio::test(flavor = "multi_thread")]`.
    #[error("run concurrent invocations on a multi-threaded tokio runtime: #[tokio::test(flavor = \"multi_thread\", worker_threads = 4)]")]
    NotMultiThreaded,
    /// The run did not end within [`STUCK_AFTER`].
    #[error("the invocations did not finish within {0:?}: a deadlock, or an invocation that never reached the rendezvous the others wait at")]
    Stuck(Duration),
    /// A worker task panicked (an assertion inside the handler, for example).
    #[error("a worker panicked: {0}")]
    Panicked(String),
    /// lambda_runtime's service stack returned an error.
    #[error("the runtime's service failed: {0}")]
    Service(String),
}

/// One invocation, as the handler receives it.
#[derive(Debug)]
pub struct Invocation {
    /// 0-based, in the order the invocations were created (worker `index % workers`).
    pub index: usize,
    /// `req-<index>-…`: distinct per invocation.
    pub request_id: String,
    /// The X-Ray trace id (`Root`) of this invocation's header: distinct per invocation.
    pub trace_id: String,
    /// The whole `Lambda-Runtime-Trace-Id` header: `Root=…;Parent=…;Sampled=1`.
    pub trace_header: String,
    /// The `Parent` of the header: Lambda's function segment of this invocation.
    pub parent_id: String,
    /// The context lambda_runtime builds from the `/next` response headers.
    pub context: Context,
    rendezvous: Arc<Barrier>,
    steps: AtomicUsize,
}

impl Invocation {
    /// Waits until the current invocation of every worker has reached this call: they are all in
    /// flight at once. Every invocation must call it the same number of times.
    pub async fn rendezvous(&self) {
        self.rendezvous.wait().await;
    }

    /// Lets the other invocations run before this one goes on: a yield to the scheduler, and on
    /// some steps a short sleep whose length varies with the invocation and the step, so that
    /// invocations resume in a different order each time.
    pub async fn interleave(&self) {
        let step = self.steps.fetch_add(1, Ordering::Relaxed);
        tokio::task::yield_now().await;
        let mix = self
            .index
            .wrapping_mul(31)
            .wrapping_add(step.wrapping_mul(17));
        if mix.is_multiple_of(3) {
            let micros = u64::try_from(mix % 700).unwrap_or_default();
            tokio::time::sleep(Duration::from_micros(50 + micros)).await;
        }
    }
}

/// The request id of invocation `index`.
pub fn request_id(index: usize) -> String {
    format!("req-{index:04}-8476a536-e9f4-11e8-9739-2dfe598c3fcd")
}

/// The X-Ray trace id (`Root`) of invocation `index`.
pub fn trace_id(index: usize) -> String {
    format!("1-5759e988-{:024x}", 0xbd86_0000_u64 + index as u64)
}

/// The `Parent` (Lambda's function segment) of invocation `index`.
pub fn parent_id(index: usize) -> String {
    format!("{:016x}", 0x5399_5c3f_0000_u64 + index as u64)
}

/// What one invocation returned, with its identity.
#[derive(Debug)]
pub struct Finished<T> {
    pub index: usize,
    pub request_id: String,
    pub trace_id: String,
    pub parent_id: String,
    pub value: T,
}

/// What a run returned: one [`Finished`] per invocation, in index order.
#[derive(Debug)]
pub struct Outcome<T> {
    pub finished: Vec<Finished<T>>,
    /// The most invocations that were inside the handler at the same moment.
    pub max_in_flight: usize,
}

/// Runs invocations as lambda_runtime's concurrent loop does. See the [module](self) docs.
#[derive(Debug, Clone)]
pub struct ConcurrentRun {
    workers: usize,
    rounds: usize,
    function_name: String,
}

struct Shared<T> {
    /// Invocations handed to a worker, taken by the handler service by request id (what
    /// `/next` would have answered).
    pending: Mutex<HashMap<String, Invocation>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    results: Mutex<Vec<Option<T>>>,
}

impl ConcurrentRun {
    /// `workers` worker tasks (`AWS_LAMBDA_MAX_CONCURRENCY`), one invocation each.
    pub fn new(workers: usize) -> Self {
        Self {
            workers: workers.max(1),
            rounds: 1,
            function_name: "test-function".to_owned(),
        }
    }

    /// Each worker handles `rounds` invocations one after the other, as a worker loop does
    /// (`workers × rounds` invocations in all): what one invocation leaves in its task is seen
    /// by the next one on the same worker.
    pub fn rounds(mut self, rounds: usize) -> Self {
        self.rounds = rounds.max(1);
        self
    }

    /// `AWS_LAMBDA_FUNCTION_NAME` as the context reports it.
    pub fn function_name(mut self, name: &str) -> Self {
        self.function_name = name.to_owned();
        self
    }

    /// Runs `handler` once per invocation and returns what each returned. Call it from a
    /// multi-threaded tokio runtime.
    pub async fn run<H, Fut, T>(self, handler: H) -> Result<Outcome<T>, ConcurrencyError>
    where
        H: Fn(Invocation) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let flavor = tokio::runtime::Handle::current().runtime_flavor();
        if flavor != tokio::runtime::RuntimeFlavor::MultiThread {
            return Err(ConcurrencyError::NotMultiThreaded);
        }
        let total = self.workers * self.rounds;
        let shared = Arc::new(Shared {
            pending: Mutex::new(HashMap::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            results: Mutex::new((0..total).map(|_| None).collect()),
        });
        let rendezvous = Arc::new(Barrier::new(self.workers));
        let mut workers = tokio::task::JoinSet::new();
        for worker in 0..self.workers {
            let invocations: Vec<Invocation> = (0..self.rounds)
                .map(|round| {
                    let index = round * self.workers + worker;
                    self.invocation(index, Arc::clone(&rendezvous))
                })
                .collect();
            let service = Self::service(handler.clone(), Arc::clone(&shared));
            workers.spawn(worker_loop(service, invocations, Arc::clone(&shared)));
        }
        let joined = tokio::time::timeout(STUCK_AFTER, async {
            while let Some(joined) = workers.join_next().await {
                match joined {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => return Err(ConcurrencyError::Service(error.to_string())),
                    Err(error) => return Err(ConcurrencyError::Panicked(error.to_string())),
                }
            }
            Ok(())
        })
        .await;
        match joined {
            Ok(Ok(())) => {}
            Ok(Err(error)) => return Err(error),
            Err(_) => return Err(ConcurrencyError::Stuck(STUCK_AFTER)),
        }
        let results = std::mem::take(
            &mut *shared
                .results
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let mut finished = Vec::with_capacity(total);
        for (index, value) in results.into_iter().enumerate() {
            let Some(value) = value else {
                return Err(ConcurrencyError::Service(format!(
                    "invocation {index} returned nothing"
                )));
            };
            finished.push(Finished {
                index,
                request_id: request_id(index),
                trace_id: trace_id(index),
                parent_id: parent_id(index),
                value,
            });
        }
        Ok(Outcome {
            finished,
            max_in_flight: shared.max_in_flight.load(Ordering::SeqCst),
        })
    }

    fn invocation(&self, index: usize, rendezvous: Arc<Barrier>) -> Invocation {
        let trace_header = format!(
            "Root={};Parent={};Sampled=1",
            trace_id(index),
            parent_id(index)
        );
        let context = ContextBuilder::new(&request_id(index))
            .remaining(STUCK_AFTER)
            .function_name(&self.function_name)
            .trace_header(&trace_header)
            .build();
        Invocation {
            index,
            request_id: request_id(index),
            trace_id: trace_id(index),
            trace_header,
            parent_id: parent_id(index),
            context,
            rendezvous,
            steps: AtomicUsize::new(0),
        }
    }

    /// The runtime's stack as far as spans and tasks go: `TracingLayer` around the handler.
    fn service<H, Fut, T>(
        handler: H,
        shared: Arc<Shared<T>>,
    ) -> impl Service<
        LambdaInvocation,
        Response = (),
        Error = lambda_runtime::Error,
        Future = impl Future<Output = Result<(), lambda_runtime::Error>> + Send,
    > + Send
    where
        H: Fn(Invocation) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let inner = lambda_runtime::service_fn(move |call: LambdaInvocation| {
            let handler = handler.clone();
            let shared = Arc::clone(&shared);
            async move {
                let taken = shared
                    .pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&call.context.request_id);
                let Some(invocation) = taken else {
                    return Err(lambda_runtime::Error::from(format!(
                        "no invocation {}",
                        call.context.request_id
                    )));
                };
                let index = invocation.index;
                let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
                let value = handler(invocation).await;
                shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                if let Some(slot) = shared
                    .results
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .get_mut(index)
                {
                    *slot = Some(value);
                }
                Ok::<(), lambda_runtime::Error>(())
            }
        });
        TracingLayer::new().layer(inner)
    }
}

/// One worker task of `run_concurrent`: a `worker` span, then one invocation after the other.
async fn worker_loop<S, T>(
    mut service: S,
    invocations: Vec<Invocation>,
    shared: Arc<Shared<T>>,
) -> Result<(), lambda_runtime::Error>
where
    S: Service<LambdaInvocation, Response = (), Error = lambda_runtime::Error>,
{
    let span = tracing::info_span!("worker", task_id = %tokio::task::id());
    for invocation in invocations {
        let call = LambdaInvocation {
            parts: http::Response::new(()).into_parts().0,
            body: Default::default(),
            context: invocation.context.clone(),
        };
        shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(invocation.request_id.clone(), invocation);
        async {
            let ready = service.ready().await?;
            ready.call(call).await
        }
        .instrument(span.clone())
        .await?;
    }
    Ok(())
}
