//! The shipping provider over HTTPS.
//!
//! The API (of our design, for a carrier integration):
//!
//! ```text
//! POST {base}/shipments
//! Authorization: Bearer <api key>
//! Idempotency-Key: <orderId>           the same order never makes two shipments
//! Content-Type: application/json
//! X-Amzn-Trace-Id: <current trace>      when there is one
//!
//! {"orderId": "...", "customerId": "...", "items": [{"sku": "...", "quantity": 2}]}
//!
//! 200/201 {"trackingNumber": "1Z999AA10123456784"}
//! ```
//!
//! 5xx, 408, 425, 429, connection failures and timeouts are `Retryable`; other 4xx (and
//! a 2xx without a valid tracking number) are `Rejected` with the status.
//!
//! Why hyper-util and not reqwest: the AWS SDK already compiles hyper, hyper-util and
//! hyper-rustls on rustls with ring into every function (see `ferrule_aws`), so this client
//! adds almost no code to the binary. reqwest 0.13's rustls feature brings aws-lc-rs; with
//! `rustls-no-provider` it still adds reqwest, tower-http and rustls-platform-verifier. One
//! POST with a timeout does not need its redirects, cookies or proxies.

use std::fmt;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::Bytes;
use ferrule_errors::{Classify, ErrorKind};
use http::header::{HeaderName, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use http::{Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use orders_domain::{
    CustomerId, Order, OrderId, ShippingError, ShippingProvider, Sku, TrackingNumber,
};
use serde::{Deserialize, Serialize};

type HttpsClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Process-wide: one TLS configuration (reading the system roots costs milliseconds) and
/// one connection pool, reused by every provider value and warm invocation.
static CLIENT: OnceLock<Result<HttpsClient, String>> = OnceLock::new();

/// The largest answer read; a tracking number fits in far less.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");

fn shared_client() -> Result<&'static HttpsClient, ShippingConfigError> {
    CLIENT
        .get_or_init(|| {
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
                .map_err(|e| e.to_string())?
                // Plain http only reaches loopback hosts; see `endpoint`.
                .https_or_http()
                .enable_http1()
                .build();
            Ok(Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(60))
                .build(https))
        })
        .as_ref()
        .map_err(|reason| ShippingConfigError::Tls(reason.clone()))
}

/// Why a provider could not be configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShippingConfigError {
    /// The base URL (from SSM) is not an https URL without a query.
    #[error("shipping base URL `{url}` is not usable: {reason}")]
    InvalidBaseUrl {
        /// The URL given, at most 100 characters.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The key itself is never shown.
    #[error("shipping API key is empty or has characters an HTTP header cannot carry")]
    InvalidApiKey,
    /// The system root certificates could not be loaded.
    #[error("TLS setup failed (no usable root certificates?): {0}")]
    Tls(String),
}

impl Classify for ShippingConfigError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::NonRetryable
    }
}

/// [`ShippingProvider`] over HTTPS; cheap to create (the connection pool is shared), so a
/// function may build one per invocation with the API key its secrets cache holds.
///
/// ```no_run
/// use orders_adapters::HttpShippingProvider;
///
/// # fn example(base_url: &str, api_key: &ferrule_sensitive::Sensitive<String>) -> Result<(), orders_adapters::ShippingConfigError> {
/// // base URL from SSM, key from Secrets Manager (ferrule-parameters, ferrule-secrets)
/// let shipping = HttpShippingProvider::new(base_url, api_key.expose())?;
/// # let _ = shipping; Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct HttpShippingProvider {
    client: &'static HttpsClient,
    endpoint: Uri,
    authorization: HeaderValue,
}

impl fmt::Debug for HttpShippingProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpShippingProvider")
            .field("endpoint", &self.endpoint)
            .field("authorization", &"***")
            .finish()
    }
}

fn endpoint(base_url: &str) -> Result<Uri, ShippingConfigError> {
    let shown: String = base_url.chars().take(100).collect();
    let invalid = |reason: &str| ShippingConfigError::InvalidBaseUrl {
        url: shown.clone(),
        reason: reason.to_owned(),
    };
    let base: Uri = base_url.trim().parse().map_err(|_| invalid("not a URL"))?;
    let host = base.host().ok_or_else(|| invalid("no host"))?;
    match base.scheme_str() {
        Some("https") => {}
        Some("http") if matches!(host, "localhost" | "127.0.0.1" | "[::1]") => {}
        _ => {
            return Err(invalid(
                "must be https (http only for a loopback test server)",
            ))
        }
    }
    if base.query().is_some() {
        return Err(invalid("must not have a query"));
    }
    let authority = base.authority().map_or(host, |a| a.as_str());
    let path = base.path().trim_end_matches('/');
    format!(
        "{}://{authority}{path}/shipments",
        base.scheme_str().unwrap_or("https")
    )
    .parse()
    .map_err(|_| invalid("not a URL"))
}

impl HttpShippingProvider {
    /// A provider for `POST {base_url}/shipments` with `Authorization: Bearer {api_key}`.
    pub fn new(base_url: &str, api_key: &str) -> Result<Self, ShippingConfigError> {
        let endpoint = endpoint(base_url)?;
        let key = api_key.trim();
        if key.is_empty() {
            return Err(ShippingConfigError::InvalidApiKey);
        }
        let mut authorization = HeaderValue::from_str(&format!("Bearer {key}"))
            .map_err(|_| ShippingConfigError::InvalidApiKey)?;
        // Kept out of HTTP/2 header tables and debug output.
        authorization.set_sensitive(true);
        Ok(Self {
            client: shared_client()?,
            endpoint,
            authorization,
        })
    }

    /// `{base}/shipments`.
    pub fn endpoint(&self) -> &Uri {
        &self.endpoint
    }

    fn request(&self, order: &Order) -> Result<Request<Full<Bytes>>, ShippingError> {
        let body = ShipmentRequest {
            order_id: order.id(),
            customer_id: order.customer_id(),
            items: order
                .items()
                .iter()
                .map(|item| Line {
                    sku: item.sku(),
                    quantity: item.quantity().get(),
                })
                .collect(),
        };
        let json = serde_json::to_vec(&body).map_err(|e| ShippingError::Rejected {
            status: None,
            reason: format!("the request could not be serialized: {e}"),
        })?;
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(IDEMPOTENCY_KEY, order.id().as_str())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("ferrule-orders/", env!("CARGO_PKG_VERSION")),
            );
        if let Some((name, value)) = ferrule_tracer::propagation::http_trace_header() {
            builder = builder.header(name, value);
        }
        builder
            .body(Full::new(Bytes::from(json)))
            .map_err(|e| ShippingError::Rejected {
                status: None,
                reason: format!("the request could not be built: {e}"),
            })
    }

    async fn exchange(
        &self,
        request: Request<Full<Bytes>>,
    ) -> Result<TrackingNumber, ShippingError> {
        let response =
            self.client
                .request(request)
                .await
                .map_err(|error| ShippingError::Retryable {
                    reason: format!("request failed: {}", chain(&error)),
                })?;
        let status = response.status();
        let body = Limited::new(response.into_body(), MAX_RESPONSE_BYTES)
            .collect()
            .await
            .map_err(|error| ShippingError::Retryable {
                reason: format!("reading the answer (status {status}) failed: {error}"),
            })?
            .to_bytes();
        answer(status, &body)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ShipmentRequest<'a> {
    order_id: &'a OrderId,
    customer_id: &'a CustomerId,
    items: Vec<Line<'a>>,
}

#[derive(Serialize)]
struct Line<'a> {
    sku: &'a Sku,
    quantity: u8,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShipmentResponse {
    tracking_number: String,
}

/// An error and its causes, `: `-separated (hyper's own message is only "client error").
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The start of a body for a message: printable text only, at most 200 characters.
fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let shown: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
    if shown.is_empty() {
        "(no body)".to_owned()
    } else {
        shown
    }
}

/// What an answer means.
fn answer(status: StatusCode, body: &[u8]) -> Result<TrackingNumber, ShippingError> {
    if status.is_success() {
        let parsed: ShipmentResponse =
            serde_json::from_slice(body).map_err(|_| ShippingError::Rejected {
                status: Some(status.as_u16()),
                reason: "the answer has no trackingNumber".into(),
            })?;
        return TrackingNumber::parse(&parsed.tracking_number).map_err(|e| {
            ShippingError::Rejected {
                status: Some(status.as_u16()),
                reason: format!("the answer's {e}"),
            }
        });
    }
    let retryable = status.is_server_error()
        || matches!(
            status,
            StatusCode::REQUEST_TIMEOUT | StatusCode::TOO_EARLY | StatusCode::TOO_MANY_REQUESTS
        );
    if retryable {
        Err(ShippingError::Retryable {
            reason: format!("status {}: {}", status.as_u16(), snippet(body)),
        })
    } else {
        Err(ShippingError::Rejected {
            status: Some(status.as_u16()),
            reason: snippet(body),
        })
    }
}

impl ShippingProvider for HttpShippingProvider {
    #[tracing::instrument(
        name = "shipping_provider",
        skip_all,
        fields(xray = true, annotation.order_id = %order.id())
    )]
    async fn create_shipment(
        &self,
        order: &Order,
        deadline: Instant,
    ) -> Result<TrackingNumber, ShippingError> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(ShippingError::Retryable {
                reason: "no time left before the deadline".into(),
            });
        }
        let request = self.request(order)?;
        // The whole exchange (connect, TLS, request, answer) within the time left.
        match tokio::time::timeout(left, self.exchange(request)).await {
            Ok(result) => result,
            Err(_) => Err(ShippingError::Retryable {
                reason: format!("no answer within {} ms", left.as_millis()),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_the_base_plus_shipments() {
        for (base, expected) in [
            (
                "https://api.carrier.example",
                "https://api.carrier.example/shipments",
            ),
            (
                "https://api.carrier.example/v1/",
                "https://api.carrier.example/v1/shipments",
            ),
            (
                "https://api.carrier.example:8443/v1",
                "https://api.carrier.example:8443/v1/shipments",
            ),
            ("http://127.0.0.1:9000", "http://127.0.0.1:9000/shipments"),
            (
                "http://localhost:9000/x",
                "http://localhost:9000/x/shipments",
            ),
        ] {
            assert_eq!(endpoint(base).unwrap().to_string(), expected);
        }
    }

    #[test]
    fn unusable_base_urls_are_refused_with_the_reason() {
        for (base, reason) in [
            ("", "not a URL"),
            ("api.carrier.example", "must be https"),
            ("/shipments", "no host"),
            ("http://api.carrier.example", "must be https"),
            ("ftp://api.carrier.example", "must be https"),
            (
                "https://api.carrier.example/v1?key=1",
                "must not have a query",
            ),
        ] {
            match endpoint(base) {
                Err(ShippingConfigError::InvalidBaseUrl { url, reason: got }) => {
                    assert_eq!(url, base);
                    assert!(got.contains(reason), "{base}: {got}");
                }
                other => panic!("{base}: {other:?}"),
            }
        }
    }

    #[test]
    fn api_keys_must_fit_a_header_and_never_show() {
        let error = HttpShippingProvider::new("https://a.example", "  ").unwrap_err();
        assert_eq!(error, ShippingConfigError::InvalidApiKey);
        let error = HttpShippingProvider::new("https://a.example", "k\ney").unwrap_err();
        assert_eq!(error, ShippingConfigError::InvalidApiKey);
        assert!(!error.to_string().contains("k\ney"));
        assert_eq!(error.kind(), ErrorKind::NonRetryable);
        let provider = HttpShippingProvider::new("https://a.example", "s3cr3t").unwrap();
        let debug = format!("{provider:?}");
        assert!(
            !debug.contains("s3cr3t") && debug.contains("a.example/shipments"),
            "{debug}"
        );
        assert_eq!(provider.endpoint().path(), "/shipments");
    }

    #[test]
    fn answers_are_classified_by_status() {
        let ok = answer(StatusCode::CREATED, br#"{"trackingNumber":"1Z9"}"#).unwrap();
        assert_eq!(ok.as_str(), "1Z9");
        for status in [500, 502, 503, 504, 408, 425, 429] {
            let status = StatusCode::from_u16(status).unwrap();
            let error = answer(status, b"busy").unwrap_err();
            assert!(
                matches!(error, ShippingError::Retryable { .. }),
                "{status}: {error:?}"
            );
            assert!(error.to_string().contains(status.as_str()), "{error}");
        }
        for status in [400, 401, 403, 404, 409, 422, 302] {
            let error = answer(
                StatusCode::from_u16(status).unwrap(),
                b"{\"message\":\"no\"}",
            )
            .unwrap_err();
            assert_eq!(
                error,
                ShippingError::Rejected {
                    status: Some(status),
                    reason: "{\"message\":\"no\"}".into()
                }
            );
        }
    }

    #[test]
    fn a_success_without_a_valid_tracking_number_is_rejected() {
        let error = answer(StatusCode::OK, b"<html>").unwrap_err();
        assert_eq!(
            error,
            ShippingError::Rejected {
                status: Some(200),
                reason: "the answer has no trackingNumber".into()
            }
        );
        let error = answer(StatusCode::OK, br#"{"trackingNumber":"has space"}"#).unwrap_err();
        assert!(error.to_string().contains("trackingNumber"), "{error}");
    }

    #[test]
    fn snippets_are_short_printable_text() {
        assert_eq!(snippet(b""), "(no body)");
        assert_eq!(snippet(b"a\r\nb"), "ab");
        assert_eq!(snippet(&[b'x'; 500]).len(), 200);
        assert_eq!(snippet(&[0xff, b'o', b'k']), "\u{fffd}ok");
    }

    #[test]
    fn error_chains_include_every_cause() {
        #[derive(Debug, thiserror::Error)]
        #[error("client error")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("connection refused"));
        assert_eq!(chain(&error), "client error: connection refused");
    }
}
