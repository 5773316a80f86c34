//! The X-Ray trace header: `Root=1-…;Parent=…;Sampled=1`.
//!
//! The same text travels as the `X-Amzn-Trace-Id` HTTP header, the
//! `Lambda-Runtime-Trace-Id` header of the Runtime API (`Context::xray_trace_id`),
//! SQS's `AWSTraceHeader` attribute and EventBridge's `TraceHeader`. This crate takes
//! the invocation's header from the invocation only (its `lambda_runtime` span or a
//! [`TraceHeader::scope`]), never from the `_X_AMZN_TRACE_ID` environment variable: one
//! process-wide value cannot belong to concurrent invocations.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::id::SegmentId;

/// The HTTP header carrying the trace header between services.
pub const HTTP_HEADER: &str = "X-Amzn-Trace-Id";

/// The sampling decision of a trace (`Sampled=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sampling {
    /// `Sampled=1`: record and send segments.
    Sampled,
    /// `Sampled=0`: send nothing, but keep propagating the decision.
    NotSampled,
    /// `Sampled=?`: the caller asks the receiver to decide.
    Requested,
}

impl Sampling {
    fn as_str(self) -> &'static str {
        match self {
            Sampling::Sampled => "1",
            Sampling::NotSampled => "0",
            Sampling::Requested => "?",
        }
    }
}

/// Why a trace header could not be parsed. Each message names the culprit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TraceHeaderError {
    /// The header is empty or only whitespace and separators.
    #[error("the trace header is empty")]
    Empty,
    /// A `;`-separated part has no `=`.
    #[error("trace header part `{part}` is not `key=value`")]
    MalformedPart {
        /// The offending part, as received.
        part: String,
    },
    /// The header has no `Root=`.
    #[error("trace header `{header}` has no `Root=`")]
    MissingRoot {
        /// The whole header, as received.
        header: String,
    },
    /// `Root=` is not `1-<8 hex digits>-<24 hex digits>`.
    #[error("trace header Root `{value}` is not `1-<8 hex digits>-<24 hex digits>`")]
    InvalidRoot {
        /// The value of `Root=`.
        value: String,
    },
    /// `Parent=` is not 16 hex digits.
    #[error("trace header Parent `{value}` is not 16 hex digits")]
    InvalidParent {
        /// The value of `Parent=`.
        value: String,
    },
    /// `Sampled=` is not `0`, `1` or `?`.
    #[error("trace header Sampled `{value}` is not `0`, `1` or `?`")]
    InvalidSampled {
        /// The value of `Sampled=`.
        value: String,
    },
    /// `Root`, `Parent` or `Sampled` appears twice.
    #[error("trace header key `{key}` appears more than once")]
    DuplicateKey {
        /// The repeated key.
        key: String,
    },
}

/// A parsed X-Ray trace header.
///
/// Keys may come in any order and with whitespace around them; `Lineage` and unknown
/// keys are kept verbatim so that [`Display`](fmt::Display) gives back an equivalent
/// header (known keys first, in the canonical order).
///
/// ```
/// use ferrule_tracer::{Sampling, SegmentId, TraceHeader};
///
/// let header = TraceHeader::parse(
///     "Sampled=1; Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
/// )?;
/// assert_eq!(header.root(), "1-5759e988-bd862e3fe1be46a994272793");
/// assert_eq!(header.sampling(), Some(Sampling::Sampled));
/// assert_eq!(
///     header.to_string(),
///     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
/// );
///
/// // What a downstream call carries: the same trace, the current subsegment as parent.
/// let subsegment = SegmentId::parse("0123456789abcdef").unwrap();
/// assert_eq!(
///     header.downstream(subsegment),
///     "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0123456789abcdef;Sampled=1"
/// );
/// # Ok::<(), ferrule_tracer::TraceHeaderError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceHeader {
    root: String,
    parent: Option<SegmentId>,
    sampling: Option<Sampling>,
    lineage: Option<String>,
    /// Unknown `key=value` pairs in the order received (e.g. an ALB's `Self=`).
    other: Vec<(String, String)>,
}

impl TraceHeader {
    /// Parses a header such as `Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`.
    ///
    /// `Root` is required; `Parent` and `Sampled` are optional (an ALB sends only
    /// `Root`). Keys are matched case-insensitively.
    ///
    /// ```
    /// use ferrule_tracer::{TraceHeader, TraceHeaderError};
    ///
    /// let error = TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=yes").unwrap_err();
    /// assert_eq!(error, TraceHeaderError::InvalidSampled { value: "yes".into() });
    /// ```
    pub fn parse(header: &str) -> Result<TraceHeader, TraceHeaderError> {
        let mut root = None;
        let mut parent = None;
        let mut sampling = None;
        let mut lineage = None;
        let mut other = Vec::new();

        for part in header.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .map(|(k, v)| (k.trim(), v.trim()))
                .ok_or_else(|| TraceHeaderError::MalformedPart { part: part.into() })?;
            if key.is_empty() {
                return Err(TraceHeaderError::MalformedPart { part: part.into() });
            }
            if key.eq_ignore_ascii_case("Root") {
                if !is_valid_root(value) {
                    return Err(TraceHeaderError::InvalidRoot {
                        value: value.into(),
                    });
                }
                set_once(&mut root, "Root", value.to_owned())?;
            } else if key.eq_ignore_ascii_case("Parent") {
                let id =
                    SegmentId::parse(value).ok_or_else(|| TraceHeaderError::InvalidParent {
                        value: value.into(),
                    })?;
                set_once(&mut parent, "Parent", id)?;
            } else if key.eq_ignore_ascii_case("Sampled") {
                let decision = match value {
                    "1" => Sampling::Sampled,
                    "0" => Sampling::NotSampled,
                    "?" => Sampling::Requested,
                    _ => {
                        return Err(TraceHeaderError::InvalidSampled {
                            value: value.into(),
                        })
                    }
                };
                set_once(&mut sampling, "Sampled", decision)?;
            } else if key.eq_ignore_ascii_case("Lineage") {
                set_once(&mut lineage, "Lineage", value.to_owned())?;
            } else {
                other.push((key.to_owned(), value.to_owned()));
            }
        }

        if root.is_none()
            && parent.is_none()
            && sampling.is_none()
            && lineage.is_none()
            && other.is_empty()
        {
            return Err(TraceHeaderError::Empty);
        }
        let root = root.ok_or_else(|| TraceHeaderError::MissingRoot {
            header: header.into(),
        })?;
        Ok(TraceHeader {
            root,
            parent,
            sampling,
            lineage,
            other,
        })
    }

    /// The trace id, `1-<epoch hex>-<random hex>`: the `trace_id` of every document.
    pub fn root(&self) -> &str {
        &self.root
    }

    /// The id of the segment or subsegment that called us, if any.
    pub fn parent(&self) -> Option<SegmentId> {
        self.parent
    }

    /// The sampling decision, if the header has one.
    pub fn sampling(&self) -> Option<Sampling> {
        self.sampling
    }

    /// Whether documents for this trace are sent (`Sampled=1`).
    pub fn is_sampled(&self) -> bool {
        self.sampling == Some(Sampling::Sampled)
    }

    /// The `Lineage=` value (Lambda's recursive-loop detection), verbatim.
    pub fn lineage(&self) -> Option<&str> {
        self.lineage.as_deref()
    }

    /// The same header with another parent: what a call made inside subsegment
    /// `parent` passes downstream.
    pub fn with_parent(&self, parent: SegmentId) -> TraceHeader {
        TraceHeader {
            parent: Some(parent),
            ..self.clone()
        }
    }

    /// The header text for a downstream call made inside subsegment `parent`
    /// (`X-Amzn-Trace-Id`, SQS `AWSTraceHeader`, EventBridge `TraceHeader`).
    pub fn downstream(&self, parent: SegmentId) -> String {
        self.with_parent(parent).to_string()
    }

    /// Runs `future` with this header as the current trace context.
    ///
    /// Subsegments started inside (by [`Tracer::in_subsegment`](crate::Tracer::in_subsegment),
    /// marked spans or the AWS SDK interceptor) belong to this trace and, at the top
    /// level, have `Parent` as their parent. Needed where no [`XRayLayer`](crate::XRayLayer)
    /// reads the header from `lambda_runtime`'s invocation span (a handler scoping
    /// `Context::xray_trace_id` itself), and in tests.
    ///
    /// ```
    /// use ferrule_tracer::{current_trace_header, TraceHeader};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), ferrule_tracer::TraceHeaderError> {
    /// // In a handler run with `Runtime::run_concurrent`:
    /// // let header = TraceHeader::parse(event.context.xray_trace_id.as_deref().unwrap_or_default())?;
    /// let header = TraceHeader::parse("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")?;
    /// let seen = header.clone().scope(async { current_trace_header() }).await;
    /// assert_eq!(seen, Some(header));
    /// # Ok(())
    /// # }
    /// ```
    pub fn scope<F: Future>(self, future: F) -> impl Future<Output = F::Output> {
        crate::context::scope(Arc::new(self), future)
    }
}

impl fmt::Display for TraceHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Root={}", self.root)?;
        if let Some(parent) = self.parent {
            write!(f, ";Parent={parent}")?;
        }
        if let Some(sampling) = self.sampling {
            write!(f, ";Sampled={}", sampling.as_str())?;
        }
        if let Some(lineage) = &self.lineage {
            write!(f, ";Lineage={lineage}")?;
        }
        for (key, value) in &self.other {
            write!(f, ";{key}={value}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for TraceHeader {
    type Err = TraceHeaderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TraceHeader::parse(s)
    }
}

fn set_once<T>(slot: &mut Option<T>, key: &str, value: T) -> Result<(), TraceHeaderError> {
    if slot.is_some() {
        return Err(TraceHeaderError::DuplicateKey { key: key.into() });
    }
    *slot = Some(value);
    Ok(())
}

/// `1-<8 hex digits>-<24 hex digits>`: version 1, epoch seconds, 96 random bits.
fn is_valid_root(value: &str) -> bool {
    let mut parts = value.split('-');
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("1"), Some(epoch), Some(random), None) if hex(epoch, 8) && hex(random, 24)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOT: &str = "1-5759e988-bd862e3fe1be46a994272793";

    #[test]
    fn parses_the_lambda_runtime_header() {
        let header = TraceHeader::parse(&format!(
            "Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0"
        ))
        .unwrap();
        assert_eq!(header.root(), ROOT);
        assert_eq!(header.parent(), SegmentId::parse("53995c3f42cd8ad8"));
        assert_eq!(header.sampling(), Some(Sampling::Sampled));
        assert!(header.is_sampled());
        assert_eq!(header.lineage(), Some("a87bd80c:0"));
    }

    #[test]
    fn accepts_any_key_order_whitespace_and_trailing_separator() {
        let header = TraceHeader::parse(&format!(
            "  Sampled = 0 ; Parent=53995c3f42cd8ad8 ;root={ROOT};"
        ))
        .unwrap();
        assert_eq!(header.root(), ROOT);
        assert_eq!(header.sampling(), Some(Sampling::NotSampled));
        assert!(!header.is_sampled());
        assert_eq!(
            header.to_string(),
            format!("Root={ROOT};Parent=53995c3f42cd8ad8;Sampled=0")
        );
    }

    #[test]
    fn root_alone_is_enough() {
        let header = TraceHeader::parse(&format!("Root={ROOT}")).unwrap();
        assert_eq!(header.parent(), None);
        assert_eq!(header.sampling(), None);
        assert!(!header.is_sampled());
        assert_eq!(header.to_string(), format!("Root={ROOT}"));
    }

    #[test]
    fn requested_sampling_round_trips() {
        let header = TraceHeader::parse(&format!("Root={ROOT};Sampled=?")).unwrap();
        assert_eq!(header.sampling(), Some(Sampling::Requested));
        assert_eq!(header.to_string(), format!("Root={ROOT};Sampled=?"));
    }

    #[test]
    fn keeps_lineage_and_unknown_keys_verbatim() {
        let input = format!(
            "Self=1-67891234-12456789abcdef012345678;Root={ROOT};Lineage=10:1234abcd:3;Foo=Bar=Baz"
        );
        let header = TraceHeader::parse(&input).unwrap();
        assert_eq!(
            header.to_string(),
            format!("Root={ROOT};Lineage=10:1234abcd:3;Self=1-67891234-12456789abcdef012345678;Foo=Bar=Baz")
        );
        assert_eq!(TraceHeader::parse(&header.to_string()).unwrap(), header);
    }

    #[test]
    fn downstream_replaces_or_adds_the_parent_and_keeps_the_rest() {
        let header = TraceHeader::parse(&format!("Root={ROOT};Sampled=1;Lineage=x:1")).unwrap();
        let child = SegmentId::parse("00000000000000ff").unwrap();
        assert_eq!(
            header.downstream(child),
            format!("Root={ROOT};Parent=00000000000000ff;Sampled=1;Lineage=x:1")
        );
        assert_eq!(header.with_parent(child).parent(), Some(child));
    }

    #[test]
    fn from_str_is_parse() {
        let header: TraceHeader = format!("Root={ROOT}").parse().unwrap();
        assert_eq!(header.root(), ROOT);
    }

    #[test]
    fn empty_headers_are_an_error() {
        for input in ["", "   ", ";", " ; ;"] {
            assert_eq!(
                TraceHeader::parse(input),
                Err(TraceHeaderError::Empty),
                "{input:?}"
            );
        }
        assert_eq!(
            TraceHeaderError::Empty.to_string(),
            "the trace header is empty"
        );
    }

    #[test]
    fn a_part_without_equals_or_key_is_malformed() {
        let error = TraceHeader::parse(&format!("Root={ROOT};garbage")).unwrap_err();
        assert_eq!(
            error,
            TraceHeaderError::MalformedPart {
                part: "garbage".into()
            }
        );
        assert!(error.to_string().contains("`garbage`"));
        let error = TraceHeader::parse(&format!("Root={ROOT};=1")).unwrap_err();
        assert_eq!(error, TraceHeaderError::MalformedPart { part: "=1".into() });
    }

    #[test]
    fn a_header_without_root_is_an_error() {
        let error = TraceHeader::parse("Parent=53995c3f42cd8ad8;Sampled=1").unwrap_err();
        assert!(matches!(error, TraceHeaderError::MissingRoot { .. }));
        assert!(
            error
                .to_string()
                .contains("Parent=53995c3f42cd8ad8;Sampled=1"),
            "{error}"
        );
    }

    #[test]
    fn bad_roots_are_named() {
        for root in [
            "",
            "1-5759e988",
            "2-5759e988-bd862e3fe1be46a994272793",
            "1-5759e98-bd862e3fe1be46a994272793",
            "1-5759e988-bd862e3fe1be46a99427279",
            "1-5759e988-bd862e3fe1be46a9942727930",
            "1-5759e98z-bd862e3fe1be46a994272793",
            "1-5759e988-bd862e3fe1be46a99427279x",
            "1-5759e988-bd862e3fe1be46a994272793-00",
        ] {
            let error = TraceHeader::parse(&format!("Root={root};Sampled=1")).unwrap_err();
            assert_eq!(error, TraceHeaderError::InvalidRoot { value: root.into() });
            assert!(error.to_string().contains(&format!("`{root}`")), "{error}");
        }
    }

    #[test]
    fn bad_parents_are_named() {
        for parent in [
            "",
            "53995c3f42cd8ad",
            "53995c3f42cd8ad80",
            "53995c3f42cd8adz",
        ] {
            let error = TraceHeader::parse(&format!("Root={ROOT};Parent={parent}")).unwrap_err();
            assert_eq!(
                error,
                TraceHeaderError::InvalidParent {
                    value: parent.into()
                }
            );
            assert!(error.to_string().contains("Parent"), "{error}");
        }
    }

    #[test]
    fn unknown_sampled_values_are_named() {
        for sampled in ["", "2", "true", "yes"] {
            let error = TraceHeader::parse(&format!("Root={ROOT};Sampled={sampled}")).unwrap_err();
            assert_eq!(
                error,
                TraceHeaderError::InvalidSampled {
                    value: sampled.into()
                }
            );
            assert!(
                error.to_string().contains(&format!("`{sampled}`")),
                "{error}"
            );
        }
    }

    #[test]
    fn repeated_known_keys_are_an_error() {
        let error = TraceHeader::parse(&format!("Root={ROOT};Sampled=1;Sampled=0")).unwrap_err();
        assert_eq!(
            error,
            TraceHeaderError::DuplicateKey {
                key: "Sampled".into()
            }
        );
        let error = TraceHeader::parse(&format!("Root={ROOT};root={ROOT}")).unwrap_err();
        assert_eq!(error, TraceHeaderError::DuplicateKey { key: "Root".into() });
        let error = TraceHeader::parse(&format!(
            "Root={ROOT};Parent=53995c3f42cd8ad8;Parent=53995c3f42cd8ad8"
        ))
        .unwrap_err();
        assert_eq!(
            error,
            TraceHeaderError::DuplicateKey {
                key: "Parent".into()
            }
        );
        let error = TraceHeader::parse(&format!("Root={ROOT};Lineage=a;Lineage=b")).unwrap_err();
        assert!(error.to_string().contains("`Lineage`"), "{error}");
    }
}
