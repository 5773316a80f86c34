//! Which trace, and which parent, a new subsegment belongs to.
//!
//! The current context is a [`TraceHeader`] whose `Parent` is the innermost open
//! subsegment (or Lambda's function segment at the top level). It is looked up, from
//! the most specific source to the least:
//!
//! 1. the innermost marked span, or the runtime's invocation span, among the current
//!    span's ancestors (only when an [`XRayLayer`](crate::XRayLayer) is installed),
//!    unless a closure scope (2) was opened inside it;
//! 2. the scope opened by [`Tracer::in_subsegment`](crate::Tracer::in_subsegment) or
//!    [`TraceHeader::scope`], a tokio task-local.
//!
//! Both belong to one invocation. The process environment (`_X_AMZN_TRACE_ID`) is never
//! read: it holds one value for the whole process, so it cannot tell concurrent
//! invocations apart (lambda_runtime's concurrent loop never sets it). Code outside any
//! invocation (init) has no trace context: it sends no subsegment and propagates no header.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tracing::span;

use crate::header::TraceHeader;

tokio::task_local! {
    static SCOPE: Scope;
}

/// A closure scope: its header, and the span that was current when it was opened, so
/// that marked spans opened inside the scope win over it and those outside do not.
#[derive(Clone)]
struct Scope {
    header: Arc<TraceHeader>,
    anchor: Option<span::Id>,
}

/// Set once an `XRayLayer` is installed; until then no span is looked at.
pub(crate) static LAYER_INSTALLED: AtomicBool = AtomicBool::new(false);

pub(crate) fn scope<F: Future>(
    header: Arc<TraceHeader>,
    future: F,
) -> impl Future<Output = F::Output> {
    let anchor = if LAYER_INSTALLED.load(Ordering::Relaxed) {
        tracing::Span::current().id()
    } else {
        None
    };
    SCOPE.scope(Scope { header, anchor }, future)
}

/// Where a walk up the span tree stops looking.
pub(crate) enum Stop {
    /// No closure scope: walk to the root.
    Root,
    /// A closure scope opened while no span was current: every span is inside it.
    Anywhere,
    /// A closure scope opened inside this span: spans from here up are outside it.
    At(span::Id),
}

/// The current context, for a subsegment started now.
pub(crate) fn current() -> Option<Arc<TraceHeader>> {
    let scoped = SCOPE.try_with(Scope::clone).ok();
    if LAYER_INSTALLED.load(Ordering::Relaxed) {
        if let Some(header) = crate::layer::header_from_current_span(&stop_for(scoped.as_ref())) {
            return Some(header);
        }
    }
    scoped.map(|s| s.header)
}

/// The context under spans: the closure scope, if any.
pub(crate) fn current_without_spans() -> (Option<Arc<TraceHeader>>, Stop) {
    let scoped = SCOPE.try_with(Scope::clone).ok();
    let stop = stop_for(scoped.as_ref());
    (scoped.map(|s| s.header), stop)
}

fn stop_for(scope: Option<&Scope>) -> Stop {
    match scope {
        None => Stop::Root,
        Some(Scope { anchor: None, .. }) => Stop::Anywhere,
        Some(Scope {
            anchor: Some(id), ..
        }) => Stop::At(id.clone()),
    }
}

/// The trace header for a call leaving this function now: the current trace, with the
/// innermost open subsegment as `Parent`.
///
/// `None` outside any trace: no invocation header (as when running locally), or code
/// that runs outside any invocation (init).
/// Unsampled traces are returned too: downstream services must learn the decision.
///
/// ```
/// use ferrule_tracer::{current_trace_header, TraceHeader};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// assert_eq!(current_trace_header(), None);
/// let header = TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0").unwrap();
/// let inside = header.clone().scope(async { current_trace_header() }).await;
/// assert_eq!(inside, Some(header));
/// # }
/// ```
pub fn current_trace_header() -> Option<TraceHeader> {
    current().map(|header| TraceHeader::clone(&header))
}
