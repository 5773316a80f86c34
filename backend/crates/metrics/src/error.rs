//! Typed errors: each names the culprit (which name or value) and the rule it breaks.

use std::fmt;

use crate::{StorageResolution, Unit};

/// A rule of the EMF specification or of CloudWatch that a name or value breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The string is empty.
    Empty,
    /// The string is longer than CloudWatch or EMF accept.
    TooLong { max_chars: usize },
    /// The string has control characters (newline, tab, NUL, ...).
    ControlCharacter,
    /// The string has characters outside ASCII (CloudWatch dimensions and namespaces are ASCII).
    NonAscii,
    /// The string is only whitespace.
    Blank,
    /// The string starts with `:`, which CloudWatch rejects for dimension names.
    LeadingColon,
    /// `_aws` is the EMF metadata member.
    ReservedAws,
    /// Namespaces starting with `AWS/` are reserved for AWS services.
    ReservedNamespacePrefix,
    /// The key is already a dimension of this document.
    CollidesWithDimension,
    /// The key is already a metric of this document.
    CollidesWithMetric,
    /// The key is already a metadata member of this document.
    CollidesWithMetadata,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Empty => f.write_str("must not be empty"),
            Rule::TooLong { max_chars } => write!(f, "must be at most {max_chars} characters"),
            Rule::ControlCharacter => f.write_str("must not contain control characters"),
            Rule::NonAscii => f.write_str("must contain only ASCII characters"),
            Rule::Blank => f.write_str("must contain a non-whitespace character"),
            Rule::LeadingColon => f.write_str("must not start with ':'"),
            Rule::ReservedAws => f.write_str("`_aws` is reserved for the EMF metadata object"),
            Rule::ReservedNamespacePrefix => {
                f.write_str("must not start with 'AWS/' (reserved for AWS services)")
            }
            Rule::CollidesWithDimension => {
                f.write_str("is already a dimension; a document member has one meaning")
            }
            Rule::CollidesWithMetric => {
                f.write_str("is already a metric; a document member has one meaning")
            }
            Rule::CollidesWithMetadata => {
                f.write_str("is already a metadata key; a document member has one meaning")
            }
        }
    }
}

/// Why a metric, dimension or metadata entry was refused, or metrics could not be written.
///
/// ```
/// use ferrule_metrics::{Metrics, MetricsError, Unit};
///
/// let metrics = Metrics::builder().namespace("Orders").writer(std::io::sink()).build()?;
/// let error = metrics.add_metric("Latency", Unit::Milliseconds, f64::NAN).unwrap_err();
/// assert!(matches!(error, MetricsError::NonFiniteValue { .. }));
/// assert_eq!(
///     error.to_string(),
///     "metric \"Latency\" has a non-finite value (NaN); CloudWatch accepts only finite numbers"
/// );
/// # Ok::<(), MetricsError>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// Neither `FERRULE_METRICS_NAMESPACE` nor `POWERTOOLS_METRICS_NAMESPACE` is set.
    #[error(
        "metrics namespace is missing: set FERRULE_METRICS_NAMESPACE (or \
         POWERTOOLS_METRICS_NAMESPACE), or call MetricsBuilder::namespace"
    )]
    MissingNamespace,
    #[error("invalid metrics namespace {namespace:?}: {rule}")]
    InvalidNamespace { namespace: String, rule: Rule },
    #[error("invalid metric name {name:?}: {rule}")]
    InvalidMetricName { name: String, rule: Rule },
    #[error("invalid dimension name {name:?}: {rule}")]
    InvalidDimensionName { name: String, rule: Rule },
    /// The value is kept for inspection but not printed: it may be long.
    #[error("invalid value for dimension {name:?}: {rule}")]
    InvalidDimensionValue {
        name: String,
        value: String,
        rule: Rule,
    },
    #[error("invalid metadata key {key:?}: {rule}")]
    InvalidMetadataKey { key: String, rule: Rule },
    #[error(
        "metric {name:?} has a non-finite value ({value}); CloudWatch accepts only finite numbers"
    )]
    NonFiniteValue { name: String, value: f64 },
    #[error(
        "cannot add dimension {name:?}: a dimension set holds at most {max} dimensions \
         (default dimensions such as `service` included)"
    )]
    TooManyDimensions { name: String, max: usize },
    #[error(
        "metric {name:?} was recorded in {existing} and now in {requested}; a metric has one unit per document"
    )]
    UnitConflict {
        name: String,
        existing: Unit,
        requested: Unit,
    },
    #[error(
        "metric {name:?} was recorded at {existing} resolution and now at {requested}; a metric has one storage resolution per document"
    )]
    ResolutionConflict {
        name: String,
        existing: StorageResolution,
        requested: StorageResolution,
    },
    #[error("could not write EMF metrics: {source}")]
    Write {
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_messages_say_what_is_required() {
        assert_eq!(
            Rule::TooLong { max_chars: 255 }.to_string(),
            "must be at most 255 characters"
        );
        assert_eq!(Rule::Empty.to_string(), "must not be empty");
        assert!(Rule::ReservedAws.to_string().contains("_aws"));
        assert!(Rule::ReservedNamespacePrefix.to_string().contains("AWS/"));
    }

    #[test]
    fn error_messages_name_the_culprit_and_the_rule() {
        let error = MetricsError::InvalidDimensionValue {
            name: "tenant".into(),
            value: "x".repeat(2000),
            rule: Rule::TooLong { max_chars: 1024 },
        };
        assert_eq!(
            error.to_string(),
            "invalid value for dimension \"tenant\": must be at most 1024 characters"
        );
        let error = MetricsError::UnitConflict {
            name: "Latency".into(),
            existing: Unit::Milliseconds,
            requested: Unit::Seconds,
        };
        assert_eq!(
            error.to_string(),
            "metric \"Latency\" was recorded in Milliseconds and now in Seconds; a metric has one unit per document"
        );
    }
}
