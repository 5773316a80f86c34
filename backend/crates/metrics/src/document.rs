//! Serialises a [`MetricSet`] to EMF documents, one JSON line each, split to EMF's limits.
//!
//! The document is streamed by serde_json straight from the recorded data (no
//! intermediate `serde_json::Value` tree): flushing costs one pass and one buffer.

use std::io::{self, Write};

use serde::ser::{SerializeMap, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::set::{MetricEntry, MetricSet};
use crate::StorageResolution;

/// EMF: at most 100 MetricDefinition objects per directive.
pub(crate) const MAX_METRICS_PER_DOCUMENT: usize = 100;
/// EMF: a numeric array metric target has at most 100 members.
pub(crate) const MAX_VALUES_PER_METRIC: usize = 100;
/// EMF documents are CloudWatch Logs events, limited to 1 MB.
const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// Where the documents of one flush go, and what they share.
pub(crate) struct Emitter<'a> {
    pub(crate) namespace: &'a str,
    pub(crate) defaults: &'a [(String, String)],
    pub(crate) timestamp_ms: u64,
}

impl Emitter<'_> {
    /// Writes `set` as as many documents as EMF's limits need; returns how many.
    ///
    /// Round `r` carries values `100 r .. 100 (r + 1)` of every metric that has them, and
    /// each round is cut into documents of at most 100 metrics. Every document repeats the
    /// dimensions and metadata, so each is valid and meaningful on its own.
    pub(crate) fn write(
        &self,
        set: &MetricSet,
        out: &mut dyn Write,
        line: &mut Vec<u8>,
    ) -> io::Result<usize> {
        let dimensions = set.merged_dimensions(self.defaults);
        let most_values = set
            .metrics
            .iter()
            .map(|m| m.values.len())
            .max()
            .unwrap_or(0);
        let rounds = most_values.div_ceil(MAX_VALUES_PER_METRIC);
        let mut round_metrics: Vec<(&MetricEntry, &[f64])> =
            Vec::with_capacity(set.metrics.len().min(MAX_METRICS_PER_DOCUMENT));
        let mut written = 0;
        for round in 0..rounds {
            let start = round * MAX_VALUES_PER_METRIC;
            round_metrics.clear();
            round_metrics.extend(set.metrics.iter().filter_map(|metric| {
                let end = metric.values.len().min(start + MAX_VALUES_PER_METRIC);
                match metric.values.get(start..end) {
                    Some(values) if !values.is_empty() => Some((metric, values)),
                    _ => None,
                }
            }));
            for metrics in round_metrics.chunks(MAX_METRICS_PER_DOCUMENT) {
                let document = Document {
                    timestamp_ms: self.timestamp_ms,
                    namespace: self.namespace,
                    dimensions: &dimensions,
                    metrics,
                    metadata: &set.metadata,
                };
                line.clear();
                serde_json::to_writer(&mut *line, &document)?;
                if line.len() > MAX_DOCUMENT_BYTES {
                    tracing::warn!(
                        bytes = line.len(),
                        "EMF document exceeds the 1 MB CloudWatch Logs event limit; \
                         CloudWatch will not extract its metrics (is the metadata too large?)"
                    );
                }
                line.push(b'\n');
                out.write_all(line)?;
                written += 1;
            }
        }
        out.flush()?;
        Ok(written)
    }
}

struct Document<'a> {
    timestamp_ms: u64,
    namespace: &'a str,
    dimensions: &'a [(&'a str, &'a str)],
    metrics: &'a [(&'a MetricEntry, &'a [f64])],
    metadata: &'a Map<String, Value>,
}

impl Serialize for Document<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let members = 1 + self.dimensions.len() + self.metrics.len() + self.metadata.len();
        let mut root = serializer.serialize_map(Some(members))?;
        root.serialize_entry("_aws", &AwsMetadata(self))?;
        for (name, value) in self.dimensions {
            root.serialize_entry(name, value)?;
        }
        for (metric, values) in self.metrics {
            match values {
                [single] => root.serialize_entry(&metric.name, single)?,
                many => root.serialize_entry(&metric.name, many)?,
            }
        }
        for (key, value) in self.metadata {
            root.serialize_entry(key, value)?;
        }
        root.end()
    }
}

/// `"_aws": {"Timestamp": .., "CloudWatchMetrics": [directive]}`
struct AwsMetadata<'a>(&'a Document<'a>);

impl Serialize for AwsMetadata<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut aws = serializer.serialize_struct("Metadata", 2)?;
        aws.serialize_field("Timestamp", &self.0.timestamp_ms)?;
        aws.serialize_field("CloudWatchMetrics", &[Directive(self.0)])?;
        aws.end()
    }
}

/// One MetricDirective with one DimensionSet naming every dimension of the document.
struct Directive<'a>(&'a Document<'a>);

impl Serialize for Directive<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut directive = serializer.serialize_struct("MetricDirective", 3)?;
        directive.serialize_field("Namespace", self.0.namespace)?;
        directive.serialize_field("Dimensions", &[DimensionSet(self.0.dimensions)])?;
        directive.serialize_field("Metrics", &Definitions(self.0.metrics))?;
        directive.end()
    }
}

struct DimensionSet<'a>(&'a [(&'a str, &'a str)]);

impl Serialize for DimensionSet<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(name, _)| name))
    }
}

struct Definitions<'a>(&'a [(&'a MetricEntry, &'a [f64])]);

impl Serialize for Definitions<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|(metric, _)| Definition(metric)))
    }
}

struct Definition<'a>(&'a MetricEntry);

impl Serialize for Definition<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let high = self.0.resolution == StorageResolution::High;
        let mut definition =
            serializer.serialize_struct("MetricDefinition", 2 + usize::from(high))?;
        definition.serialize_field("Name", &self.0.name)?;
        definition.serialize_field("Unit", &self.0.unit)?;
        // 60 is EMF's default; Powertools leaves it out too.
        if high {
            definition.serialize_field("StorageResolution", &self.0.resolution.seconds())?;
        }
        definition.end()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::Unit;

    fn emit(set: &MetricSet, defaults: &[(String, String)]) -> Vec<Value> {
        let emitter = Emitter {
            namespace: "Orders",
            defaults,
            timestamp_ms: 1_700_000_000_123,
        };
        let mut out = Vec::new();
        let count = emitter.write(set, &mut out, &mut Vec::new()).unwrap();
        let text = String::from_utf8(out).unwrap();
        let documents: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(documents.len(), count);
        assert!(text.is_empty() || text.ends_with('\n'));
        documents
    }

    fn add(set: &mut MetricSet, name: &str, unit: Unit, value: f64) {
        set.add_metric(&[], name, unit, value, StorageResolution::Standard)
            .unwrap();
    }

    #[test]
    fn a_document_has_the_emf_structure() {
        let defaults = vec![("service".to_owned(), "checkout".to_owned())];
        let mut set = MetricSet::default();
        add(&mut set, "Orders", Unit::Count, 1.0);
        add(&mut set, "Latency", Unit::Milliseconds, 12.5);
        add(&mut set, "Latency", Unit::Milliseconds, 7.0);
        set.add_metric(
            &defaults,
            "Queue",
            Unit::NoUnit,
            3.0,
            StorageResolution::High,
        )
        .unwrap();
        set.add_dimension(&defaults, "channel", "web").unwrap();
        set.add_metadata(&defaults, "orderId", json!("o-42"))
            .unwrap();

        let documents = emit(&set, &defaults);
        assert_eq!(documents.len(), 1);
        let document = &documents[0];
        assert_eq!(
            document["_aws"],
            json!({
                "Timestamp": 1_700_000_000_123u64,
                "CloudWatchMetrics": [{
                    "Namespace": "Orders",
                    "Dimensions": [["service", "channel"]],
                    "Metrics": [
                        {"Name": "Orders", "Unit": "Count"},
                        {"Name": "Latency", "Unit": "Milliseconds"},
                        {"Name": "Queue", "Unit": "None", "StorageResolution": 1}
                    ]
                }]
            })
        );
        assert_eq!(document["service"], "checkout");
        assert_eq!(document["channel"], "web");
        assert_eq!(document["Orders"], json!(1.0));
        assert_eq!(document["Latency"], json!([12.5, 7.0]));
        assert_eq!(document["Queue"], json!(3.0));
        assert_eq!(document["orderId"], "o-42");
        assert_eq!(document.as_object().unwrap().len(), 7);
    }

    #[test]
    fn without_dimensions_the_dimension_set_is_empty() {
        let mut set = MetricSet::default();
        add(&mut set, "Orders", Unit::Count, 1.0);
        let documents = emit(&set, &[]);
        assert_eq!(
            documents[0]["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
            json!([[]])
        );
    }

    #[test]
    fn an_empty_set_writes_nothing() {
        assert!(emit(&MetricSet::default(), &[]).is_empty());
    }

    #[test]
    fn values_beyond_one_hundred_go_to_another_document() {
        let mut set = MetricSet::default();
        for value in 0..250 {
            add(&mut set, "Latency", Unit::Milliseconds, f64::from(value));
        }
        add(&mut set, "Orders", Unit::Count, 1.0);
        let documents = emit(&set, &[]);
        assert_eq!(documents.len(), 3);
        let latency: Vec<f64> = documents
            .iter()
            .flat_map(|d| match &d["Latency"] {
                Value::Array(values) => values.iter().map(|v| v.as_f64().unwrap()).collect(),
                single => vec![single.as_f64().unwrap()],
            })
            .collect();
        assert_eq!(latency, (0..250).map(f64::from).collect::<Vec<_>>());
        assert_eq!(documents[0]["Latency"].as_array().unwrap().len(), 100);
        assert_eq!(documents[2]["Latency"].as_array().unwrap().len(), 50);
        // Orders has one value: only in the first round, declared only there.
        assert_eq!(documents[0]["Orders"], json!(1.0));
        for document in &documents[1..] {
            assert!(document.get("Orders").is_none());
            let names = &document["_aws"]["CloudWatchMetrics"][0]["Metrics"];
            assert_eq!(names, &json!([{"Name": "Latency", "Unit": "Milliseconds"}]));
        }
    }
}
