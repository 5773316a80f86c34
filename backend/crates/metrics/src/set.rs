//! The metrics, dimensions and metadata recorded for one invocation (or outside one).

use serde_json::{Map, Value};

use crate::error::{MetricsError, Rule};
use crate::validate;
use crate::{StorageResolution, Unit};

/// EMF: "A DimensionSet MUST NOT contain more than 30 dimension keys."
pub(crate) const MAX_DIMENSIONS: usize = 30;

/// One metric and every value recorded for it since the last flush.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetricEntry {
    pub(crate) name: String,
    pub(crate) unit: Unit,
    pub(crate) resolution: StorageResolution,
    pub(crate) values: Vec<f64>,
}

/// What is flushed together. Dimensions here come on top of the handle's default ones
/// (a same-named dimension overrides the default value for this set only).
///
/// Metrics are a `Vec` searched linearly: a handler records a handful of names, and a
/// vector keeps their order and costs no hashing.
#[derive(Debug, Default)]
pub(crate) struct MetricSet {
    pub(crate) metrics: Vec<MetricEntry>,
    pub(crate) dimensions: Vec<(String, String)>,
    pub(crate) metadata: Map<String, Value>,
}

impl MetricSet {
    pub(crate) fn has_metrics(&self) -> bool {
        !self.metrics.is_empty()
    }

    pub(crate) fn add_metric(
        &mut self,
        defaults: &[(String, String)],
        name: &str,
        unit: Unit,
        value: f64,
        resolution: StorageResolution,
    ) -> Result<(), MetricsError> {
        let invalid = |rule| MetricsError::InvalidMetricName {
            name: name.to_owned(),
            rule,
        };
        validate::metric_name(name).map_err(invalid)?;
        if !value.is_finite() {
            return Err(MetricsError::NonFiniteValue {
                name: name.to_owned(),
                value,
            });
        }
        if self.is_dimension(defaults, name) {
            return Err(invalid(Rule::CollidesWithDimension));
        }
        if self.metadata.contains_key(name) {
            return Err(invalid(Rule::CollidesWithMetadata));
        }
        match self.metrics.iter_mut().find(|entry| entry.name == name) {
            Some(entry) if entry.unit != unit => Err(MetricsError::UnitConflict {
                name: name.to_owned(),
                existing: entry.unit,
                requested: unit,
            }),
            Some(entry) if entry.resolution != resolution => {
                Err(MetricsError::ResolutionConflict {
                    name: name.to_owned(),
                    existing: entry.resolution,
                    requested: resolution,
                })
            }
            Some(entry) => {
                entry.values.push(value);
                Ok(())
            }
            None => {
                self.metrics.push(MetricEntry {
                    name: name.to_owned(),
                    unit,
                    resolution,
                    values: vec![value],
                });
                Ok(())
            }
        }
    }

    pub(crate) fn add_dimension(
        &mut self,
        defaults: &[(String, String)],
        name: &str,
        value: &str,
    ) -> Result<(), MetricsError> {
        let invalid = |rule| MetricsError::InvalidDimensionName {
            name: name.to_owned(),
            rule,
        };
        validate::dimension_name(name).map_err(invalid)?;
        validate::dimension_value(value).map_err(|rule| MetricsError::InvalidDimensionValue {
            name: name.to_owned(),
            value: value.to_owned(),
            rule,
        })?;
        if self.metrics.iter().any(|entry| entry.name == name) {
            return Err(invalid(Rule::CollidesWithMetric));
        }
        if self.metadata.contains_key(name) {
            return Err(invalid(Rule::CollidesWithMetadata));
        }
        // Re-adding a name replaces its value, as Powertools does: one key, one value.
        if let Some(existing) = self.dimensions.iter_mut().find(|(key, _)| key == name) {
            value.clone_into(&mut existing.1);
            return Ok(());
        }
        let overrides_default = defaults.iter().any(|(key, _)| key == name);
        if !overrides_default && self.dimension_count(defaults) >= MAX_DIMENSIONS {
            return Err(MetricsError::TooManyDimensions {
                name: name.to_owned(),
                max: MAX_DIMENSIONS,
            });
        }
        self.dimensions.push((name.to_owned(), value.to_owned()));
        Ok(())
    }

    pub(crate) fn add_metadata(
        &mut self,
        defaults: &[(String, String)],
        key: &str,
        value: Value,
    ) -> Result<(), MetricsError> {
        let invalid = |rule| MetricsError::InvalidMetadataKey {
            key: key.to_owned(),
            rule,
        };
        validate::metadata_key(key).map_err(invalid)?;
        if self.is_dimension(defaults, key) {
            return Err(invalid(Rule::CollidesWithDimension));
        }
        if self.metrics.iter().any(|entry| entry.name == key) {
            return Err(invalid(Rule::CollidesWithMetric));
        }
        self.metadata.insert(key.to_owned(), value);
        Ok(())
    }

    /// The dimension set of a document: defaults first (with this set's overrides), then
    /// this set's own dimensions, each key once.
    pub(crate) fn merged_dimensions<'a>(
        &'a self,
        defaults: &'a [(String, String)],
    ) -> Vec<(&'a str, &'a str)> {
        let mut merged = Vec::with_capacity(defaults.len() + self.dimensions.len());
        for (name, default_value) in defaults {
            let value = self
                .dimensions
                .iter()
                .find(|(key, _)| key == name)
                .map_or(default_value, |(_, value)| value);
            merged.push((name.as_str(), value.as_str()));
        }
        for (name, value) in &self.dimensions {
            if !defaults.iter().any(|(key, _)| key == name) {
                merged.push((name.as_str(), value.as_str()));
            }
        }
        merged
    }

    fn is_dimension(&self, defaults: &[(String, String)], name: &str) -> bool {
        defaults.iter().any(|(key, _)| key == name)
            || self.dimensions.iter().any(|(key, _)| key == name)
    }

    fn dimension_count(&self, defaults: &[(String, String)]) -> usize {
        let own = self
            .dimensions
            .iter()
            .filter(|(name, _)| !defaults.iter().any(|(key, _)| key == name))
            .count();
        defaults.len() + own
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service() -> Vec<(String, String)> {
        vec![("service".to_owned(), "orders".to_owned())]
    }

    #[test]
    fn values_of_one_name_accumulate_in_order() {
        let mut set = MetricSet::default();
        for value in [1.0, 2.0, 3.5] {
            set.add_metric(
                &service(),
                "Latency",
                Unit::Milliseconds,
                value,
                StorageResolution::Standard,
            )
            .unwrap();
        }
        assert_eq!(set.metrics.len(), 1);
        assert_eq!(set.metrics[0].values, vec![1.0, 2.0, 3.5]);
    }

    #[test]
    fn a_metric_keeps_one_unit_and_one_resolution() {
        let mut set = MetricSet::default();
        set.add_metric(
            &[],
            "Latency",
            Unit::Milliseconds,
            1.0,
            StorageResolution::Standard,
        )
        .unwrap();
        let error = set
            .add_metric(
                &[],
                "Latency",
                Unit::Seconds,
                1.0,
                StorageResolution::Standard,
            )
            .unwrap_err();
        assert!(matches!(
            error,
            MetricsError::UnitConflict {
                existing: Unit::Milliseconds,
                requested: Unit::Seconds,
                ..
            }
        ));
        let error = set
            .add_metric(
                &[],
                "Latency",
                Unit::Milliseconds,
                1.0,
                StorageResolution::High,
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "metric \"Latency\" was recorded at 60s resolution and now at 1s; a metric has one storage resolution per document"
        );
        assert_eq!(
            set.metrics[0].values,
            vec![1.0],
            "refused values are not kept"
        );
    }

    #[test]
    fn non_finite_values_are_refused() {
        let mut set = MetricSet::default();
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let error = set
                .add_metric(
                    &[],
                    "Ratio",
                    Unit::Percent,
                    value,
                    StorageResolution::Standard,
                )
                .unwrap_err();
            assert!(
                matches!(error, MetricsError::NonFiniteValue { ref name, .. } if name == "Ratio")
            );
        }
        assert!(!set.has_metrics());
    }

    #[test]
    fn members_have_one_meaning() {
        let mut set = MetricSet::default();
        let defaults = service();
        let error = set
            .add_metric(
                &defaults,
                "service",
                Unit::Count,
                1.0,
                StorageResolution::Standard,
            )
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid metric name \"service\": is already a dimension; a document member has one meaning"
        );
        set.add_metric(
            &defaults,
            "Orders",
            Unit::Count,
            1.0,
            StorageResolution::Standard,
        )
        .unwrap();
        set.add_metadata(&defaults, "orderId", json!("o-1"))
            .unwrap();
        set.add_dimension(&defaults, "channel", "web").unwrap();

        let error = set.add_dimension(&defaults, "Orders", "x").unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidDimensionName {
                rule: Rule::CollidesWithMetric,
                ..
            }
        ));
        let error = set.add_dimension(&defaults, "orderId", "x").unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidDimensionName {
                rule: Rule::CollidesWithMetadata,
                ..
            }
        ));
        let error = set.add_metadata(&defaults, "Orders", json!(1)).unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidMetadataKey {
                rule: Rule::CollidesWithMetric,
                ..
            }
        ));
        let error = set
            .add_metadata(&defaults, "channel", json!(1))
            .unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidMetadataKey {
                rule: Rule::CollidesWithDimension,
                ..
            }
        ));
        let error = set
            .add_metadata(&defaults, "service", json!(1))
            .unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidMetadataKey {
                rule: Rule::CollidesWithDimension,
                ..
            }
        ));
        let error = set
            .add_metric(
                &defaults,
                "orderId",
                Unit::Count,
                1.0,
                StorageResolution::Standard,
            )
            .unwrap_err();
        assert!(matches!(
            error,
            MetricsError::InvalidMetricName {
                rule: Rule::CollidesWithMetadata,
                ..
            }
        ));
    }

    #[test]
    fn dimensions_override_defaults_and_replace_themselves() {
        let mut set = MetricSet::default();
        let defaults = service();
        set.add_dimension(&defaults, "channel", "web").unwrap();
        set.add_dimension(&defaults, "channel", "mobile").unwrap();
        set.add_dimension(&defaults, "service", "orders-canary")
            .unwrap();
        assert_eq!(
            set.merged_dimensions(&defaults),
            vec![("service", "orders-canary"), ("channel", "mobile")]
        );
    }

    #[test]
    fn thirty_dimensions_fit_and_the_thirty_first_is_refused() {
        let mut set = MetricSet::default();
        let defaults = service();
        for index in 1..30 {
            set.add_dimension(&defaults, &format!("d{index}"), "v")
                .unwrap();
        }
        assert_eq!(set.merged_dimensions(&defaults).len(), 30);
        // Overriding an existing key adds no key, so it is still accepted.
        set.add_dimension(&defaults, "service", "other").unwrap();
        set.add_dimension(&defaults, "d1", "other").unwrap();
        let error = set.add_dimension(&defaults, "d30", "v").unwrap_err();
        assert_eq!(
            error.to_string(),
            "cannot add dimension \"d30\": a dimension set holds at most 30 dimensions (default dimensions such as `service` included)"
        );
        assert_eq!(set.merged_dimensions(&defaults).len(), 30);
    }

    #[test]
    fn invalid_dimension_values_name_the_dimension() {
        let mut set = MetricSet::default();
        let error = set.add_dimension(&[], "city", "Zürich").unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid value for dimension \"city\": must contain only ASCII characters"
        );
        assert!(set.dimensions.is_empty());
    }
}
