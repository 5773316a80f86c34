//! X-Ray tracing for Ferrule functions, without the X-Ray SDK (Powertools' Tracer).
//!
//! Lambda records the function's own segment; this crate adds **subsegments** under
//! it and sends them to the X-Ray daemon that Lambda runs next to the function:
//!
//! - [`Tracer::in_subsegment`] runs a future in a subsegment you name and annotate;
//! - [`XRayLayer`] turns `tracing` spans marked `xray = true` into subsegments, with
//!   `annotation.*` and `metadata.*` fields;
//! - `XRayInterceptor` (feature `aws-sdk`) records each AWS SDK call;
//! - [`propagation`] gives the header for SQS, EventBridge and HTTP calls.
//!
//! Nothing is sent unless the invocation is sampled (`Sampled=1`); sending is one
//! non-blocking UDP datagram whose failure is ignored, so tracing never blocks nor
//! fails an invocation.
//!
//! ```no_run
//! use ferrule_tracer::Tracer;
//! use tracing_subscriber::layer::SubscriberExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // At init, once:
//! let tracer = Tracer::from_env()?;
//! tracing::subscriber::set_global_default(tracing_subscriber::registry().with(tracer.layer()))?;
//!
//! // In the handler:
//! let receipt = tracer
//!     .in_subsegment("charge", |seg| async move {
//!         seg.annotate("order_id", "o-42");
//!         Ok::<_, std::io::Error>("r-1")
//!     })
//!     .await?;
//! # Ok(())
//! # }
//! ```

#[cfg(feature = "aws-sdk")]
mod aws_sdk;
mod config;
mod context;
mod emitter;
mod header;
mod id;
mod layer;
pub mod propagation;
mod record;
mod tracer;

#[cfg(feature = "aws-sdk")]
pub use aws_sdk::XRayInterceptor;
pub use config::{
    parse_daemon_address, ConfigError, TracerConfig, DAEMON_ADDRESS_ENV, DEFAULT_DAEMON_ADDRESS,
    REGION_ENV, SERVICE_NAME_ENV, TRACE_DISABLED_ENV,
};
pub use context::current_trace_header;
pub use header::{Sampling, TraceHeader, TraceHeaderError, HTTP_HEADER};
pub use id::SegmentId;
pub use layer::{XRayLayer, ANNOTATION_PREFIX, MARKER_FIELD, METADATA_PREFIX};
pub use record::AnnotationValue;
pub use tracer::{Subsegment, Tracer};
