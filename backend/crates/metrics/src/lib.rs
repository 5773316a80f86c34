//! Business and operational metrics for Ferrule functions, the way Powertools Metrics
//! does it: CloudWatch [Embedded Metric Format] (EMF) JSON lines on stdout, which
//! CloudWatch Logs turns into metrics. No API call, no added latency.
//!
//! - [`Metrics`]: the handle, created once in `main` ([`Metrics::from_env`]) and cloned.
//! - [`Metrics::add_metric`], [`Metrics::add_dimension`], [`Metrics::add_metadata`]:
//!   recording, validated against the EMF and CloudWatch rules ([`MetricsError`]).
//! - [`Metrics::flush_after`] or [`MetricsLayer`]: one flush per invocation, `Ok` or `Err`,
//!   and the `ColdStart` metric on the first one.
//!
//! ```
//! use ferrule_metrics::{MemoryWriter, Metrics, Unit};
//!
//! let output = MemoryWriter::default(); // stdout in a function
//! let metrics = Metrics::builder()
//!     .namespace("Shop")
//!     .service("orders")
//!     .function_name("orders-api")
//!     .writer(output.clone())
//!     .build()?;
//!
//! let invocation = async {
//!     metrics.add_dimension("channel", "web")?;
//!     metrics.add_metric("OrdersPlaced", Unit::Count, 1)?;
//!     metrics.add_metadata("orderId", "o-42")?;
//!     Ok::<_, ferrule_metrics::MetricsError>(())
//! };
//! let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! runtime.block_on(metrics.flush_after(invocation))?;
//!
//! let documents = output.documents()?;
//! assert_eq!(documents[0]["ColdStart"], 1.0); // first invocation of the process
//! assert_eq!(documents[0]["function_name"], "orders-api");
//! assert_eq!(documents[1]["OrdersPlaced"], 1.0);
//! assert_eq!(documents[1]["orderId"], "o-42");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [Embedded Metric Format]: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html

mod document;
mod error;
mod layer;
mod metrics;
mod set;
mod unit;
mod validate;
mod writer;

pub use error::{MetricsError, Rule};
pub use layer::{MetricsLayer, MetricsService};
pub use metrics::{Metrics, MetricsBuilder};
pub use unit::{StorageResolution, Unit};
pub use writer::MemoryWriter;
