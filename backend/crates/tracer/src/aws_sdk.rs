//! AWS SDK calls as `aws` subsegments (feature `aws-sdk`).
//!
//! An [`Intercept`] implementation registered on an `aws-sdk-*` client: it opens a
//! subsegment when a call starts (under the current context), passes the trace
//! header downstream with that subsegment as parent, and sends it when the call ends
//! with the operation, region, request id, HTTP status and outcome.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextMut,
    BeforeTransmitInterceptorContextRef, Error, FinalizerInterceptorContextRef, InterceptorContext,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

use crate::context;
use crate::record::{sanitize_name, AwsFields, Record};
use crate::tracer::Tracer;

/// Records every call of the client it is registered on as an X-Ray subsegment:
/// named after the service (`DynamoDB`, `SQS`, ...), `namespace: "aws"`,
/// `aws: {operation, region, request_id, retries}`, `http: {response: {status}}`,
/// and `error` (4xx), `throttle` (429 or a throttling error code) or `fault` (5xx, or
/// no response at all) with the error in `cause`.
///
/// It also sets the request's `X-Amzn-Trace-Id` so the service's own segment (and a
/// Lambda or queue behind it) joins the trace under this subsegment.
///
/// ```
/// # #[cfg(any())] {
/// let tracer = ferrule_tracer::Tracer::from_env()?;
/// let config = aws_sdk_dynamodb::config::Builder::from(&sdk_config)
///     .interceptor(tracer.aws_sdk_interceptor())
///     .build();
/// let dynamodb = aws_sdk_dynamodb::Client::from_conf(config);
/// # }
/// let interceptor = ferrule_tracer::Tracer::disabled().aws_sdk_interceptor();
/// # let _ = interceptor;
/// ```
#[derive(Debug, Clone)]
pub struct XRayInterceptor {
    tracer: Tracer,
}

impl Tracer {
    /// The AWS SDK interceptor sending through this tracer (feature `aws-sdk`).
    ///
    /// ```
    /// let interceptor = ferrule_tracer::Tracer::disabled().aws_sdk_interceptor();
    /// # let _ = interceptor;
    /// ```
    pub fn aws_sdk_interceptor(&self) -> XRayInterceptor {
        XRayInterceptor {
            tracer: self.clone(),
        }
    }
}

/// The subsegment of one call, kept in the call's config bag between hooks.
#[derive(Debug)]
struct AwsCall {
    record: Mutex<Option<Record>>,
    /// `X-Amzn-Trace-Id` for the request: this subsegment as `Parent` (the current
    /// header as it is when the trace is not sampled).
    downstream: String,
    attempts: AtomicU32,
}

impl Storable for AwsCall {
    type Storer = StoreReplace<Self>;
}

impl Intercept for XRayInterceptor {
    fn name(&self) -> &'static str {
        "FerruleXRayInterceptor"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.tracer.is_enabled() {
            return Ok(());
        }
        let Some(current) = context::current() else {
            return Ok(());
        };
        // The operation's metadata (service, operation) is not in the bag yet for a
        // client interceptor: the name is set when the call ends.
        let record = self.tracer.start_record(Arc::clone(&current), "aws");
        // Unsampled calls carry the header too, so the callee learns the decision.
        let downstream = match &record {
            Some(record) => record.trace.downstream(record.id),
            None => current.to_string(),
        };
        cfg.interceptor_state().store_put(AwsCall {
            record: Mutex::new(record.map(|mut record| {
                record.namespace = Some("aws");
                record
            })),
            downstream,
            attempts: AtomicU32::new(0),
        });
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(call) = cfg.load::<AwsCall>() {
            call.attempts.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(call) = cfg.load::<AwsCall>() else {
            return Ok(());
        };
        let request = context.request_mut();
        // The request is gone by the end of the call: read its endpoint's region now.
        if let Some(region) = region_from_uri(request.uri()) {
            let mut record = call.record.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(record) = record.as_mut() {
                record.aws.get_or_insert_with(AwsFields::default).region = Some(region.to_owned());
            }
        }
        // Overrides any header already on the request (the SDK's recursion detection copies
        // `_X_AMZN_TRACE_ID` when lambda_runtime's sequential loop sets it), so the callee
        // nests under this subsegment rather than beside it. The trace id is plain
        // ASCII, so this cannot fail in practice; if it did, the SDK's header remains.
        let _ = request
            .headers_mut()
            .try_insert(TRACE_HEADER, call.downstream.clone());
        Ok(())
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.finish_call(context.inner(), cfg);
        Ok(())
    }
}

const TRACE_HEADER: &str = "x-amzn-trace-id";

impl XRayInterceptor {
    fn finish_call(&self, context: &InterceptorContext, cfg: &ConfigBag) {
        let Some(call) = cfg.load::<AwsCall>() else {
            return;
        };
        let Some(mut record) = call
            .record
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        else {
            return;
        };
        let (service, operation) = cfg
            .load::<Metadata>()
            .map_or(("AWS", "Unknown"), |metadata| {
                (metadata.service(), metadata.name())
            });
        record.name = sanitize_name(service);

        let response = context.response();
        let status = response.map(|r| r.status().as_u16());
        let error = context.output_or_error().and_then(Result::err);
        let code = error_code(response, error);

        let aws = record.aws.get_or_insert_with(AwsFields::default);
        aws.operation = operation.to_owned();
        if aws.region.is_none() {
            aws.region = self.tracer.config().region.clone();
        }
        aws.request_id = response.and_then(request_id).map(str::to_owned);
        aws.retries = call.attempts.load(Ordering::Relaxed).saturating_sub(1);
        record.http_status = status;

        let outcome = classify(status, code.as_deref(), error.is_some());
        record.error = outcome.error;
        record.fault = outcome.fault;
        record.throttle = outcome.throttle;
        if let Some(error) = error {
            record.add_exception(
                &ErrorMessage(error),
                code.as_deref(),
                error.is_operation_error(),
            );
        }
        self.tracer.finish(&record);
    }
}

/// The SDK error's own message: the service's code and message for an operation
/// error, the failure otherwise (timeout, connection, ...).
struct ErrorMessage<'a>(&'a OrchestratorError<Error>);

impl fmt::Display for ErrorMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_operation_error() {
            Some(error) => fmt::Display::fmt(error, f),
            None => {
                // "connector error" alone says little: add the chain of causes.
                fmt::Display::fmt(self.0, f)?;
                let mut source = std::error::Error::source(self.0);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
        }
    }
}

/// X-Ray's three failure flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Outcome {
    pub(crate) error: bool,
    pub(crate) fault: bool,
    pub(crate) throttle: bool,
}

/// Classifies a call: throttling (429 or a throttling code) is `throttle` + `error`,
/// another 4xx `error`, a 5xx `fault`, and a failure without an error status (no
/// response, or a response that could not be read) `fault`.
pub(crate) fn classify(status: Option<u16>, code: Option<&str>, failed: bool) -> Outcome {
    if status == Some(429) || code.is_some_and(is_throttling_code) {
        return Outcome {
            error: true,
            throttle: true,
            fault: false,
        };
    }
    match status {
        Some(400..=499) => Outcome {
            error: true,
            ..Outcome::default()
        },
        Some(500..=599) => Outcome {
            fault: true,
            ..Outcome::default()
        },
        _ if failed => Outcome {
            fault: true,
            ..Outcome::default()
        },
        _ => Outcome::default(),
    }
}

/// Error codes AWS services use for throttling; several come with status 400 (or 503),
/// so the status alone does not tell.
pub(crate) fn is_throttling_code(code: &str) -> bool {
    matches!(
        code,
        "Throttling"
            | "ThrottlingException"
            | "ThrottledException"
            | "RequestThrottledException"
            | "RequestThrottled"
            | "TooManyRequestsException"
            | "ProvisionedThroughputExceededException"
            | "TransactionInProgressException"
            | "RequestLimitExceeded"
            | "BandwidthLimitExceeded"
            | "LimitExceededException"
            | "SlowDown"
            | "PriorRequestNotComplete"
            | "EC2ThrottledException"
    )
}

/// The service's error code: the `x-amzn-ErrorType` header (JSON protocols), else
/// the operation error's message, which the SDK starts with the code.
fn error_code(
    response: Option<&HttpResponse>,
    error: Option<&OrchestratorError<Error>>,
) -> Option<String> {
    if let Some(header) = response.and_then(|r| r.headers().get("x-amzn-errortype")) {
        return Some(code_from_error_type_header(header).to_owned());
    }
    let message = error?.as_operation_error()?.to_string();
    code_from_message(&message).map(str::to_owned)
}

/// `x-amzn-ErrorType` is `Code` or `Code:namespace-uri`.
pub(crate) fn code_from_error_type_header(value: &str) -> &str {
    value.split(':').next().unwrap_or(value).trim()
}

/// Generated SDK errors display as `Code: message`, `Code`, or `unhandled error (Code)`.
pub(crate) fn code_from_message(message: &str) -> Option<&str> {
    let candidate = match message.strip_prefix("unhandled error (") {
        Some(rest) => rest.strip_suffix(')')?,
        None => message.split(':').next()?,
    };
    let looks_like_code = candidate
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && candidate
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    looks_like_code.then_some(candidate)
}

/// The request id header: `x-amzn-RequestId` for most services, `x-amz-request-id` for S3.
fn request_id(response: &HttpResponse) -> Option<&str> {
    ["x-amzn-requestid", "x-amz-request-id", "x-amzn-request-id"]
        .into_iter()
        .find_map(|name| response.headers().get(name))
}

/// The region in a regional endpoint's host, e.g. `eu-west-1` in
/// `https://dynamodb.eu-west-1.amazonaws.com/`; `None` for local or global endpoints.
pub(crate) fn region_from_uri(uri: &str) -> Option<&str> {
    let after_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    let authority = after_scheme.split(['/', '?', '#']).next()?;
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = host.split(':').next()?;
    // The region is the label just before the AWS domain: `….<region>.amazonaws.com`
    // or `….<region>.api.aws`; a bucket name that looks like a region is not it.
    let labels: Vec<&str> = host.split('.').collect();
    labels
        .windows(2)
        .find(|pair| matches!(pair, [label, domain] if (*domain == "amazonaws" || *domain == "api") && is_region(label)))
        .and_then(|pair| pair.first().copied())
}

/// `xx-name-N` (`us-east-1`, `us-gov-west-1`, `ap-southeast-2`).
fn is_region(label: &str) -> bool {
    let parts: Vec<&str> = label.split('-').collect();
    match parts.as_slice() {
        [country, middle @ .., number] if !middle.is_empty() => {
            country.len() == 2
                && country.bytes().all(|b| b.is_ascii_lowercase())
                && middle
                    .iter()
                    .all(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_lowercase()))
                && !number.is_empty()
                && number.bytes().all(|b| b.is_ascii_digit())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_statuses() {
        assert_eq!(classify(Some(200), None, false), Outcome::default());
        assert_eq!(
            classify(Some(404), Some("ResourceNotFoundException"), true),
            Outcome {
                error: true,
                ..Outcome::default()
            }
        );
        assert_eq!(
            classify(Some(400), None, true),
            Outcome {
                error: true,
                ..Outcome::default()
            }
        );
        assert_eq!(
            classify(Some(500), None, true),
            Outcome {
                fault: true,
                ..Outcome::default()
            }
        );
        assert_eq!(
            classify(Some(503), Some("ServiceUnavailable"), true),
            Outcome {
                fault: true,
                ..Outcome::default()
            }
        );
    }

    #[test]
    fn throttling_is_throttle_and_error_whatever_the_status() {
        let throttled = Outcome {
            error: true,
            throttle: true,
            fault: false,
        };
        assert_eq!(classify(Some(429), None, true), throttled);
        assert_eq!(
            classify(
                Some(400),
                Some("ProvisionedThroughputExceededException"),
                true
            ),
            throttled
        );
        assert_eq!(
            classify(Some(400), Some("ThrottlingException"), true),
            throttled
        );
        assert_eq!(classify(Some(503), Some("SlowDown"), true), throttled);
    }

    #[test]
    fn no_response_or_unreadable_response_is_a_fault() {
        assert_eq!(
            classify(None, None, true),
            Outcome {
                fault: true,
                ..Outcome::default()
            }
        );
        assert_eq!(
            classify(Some(200), None, true),
            Outcome {
                fault: true,
                ..Outcome::default()
            }
        );
        assert_eq!(classify(None, None, false), Outcome::default());
    }

    #[test]
    fn throttling_codes() {
        for code in [
            "Throttling",
            "ThrottlingException",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "SlowDown",
        ] {
            assert!(is_throttling_code(code), "{code}");
        }
        for code in [
            "ValidationException",
            "ResourceNotFoundException",
            "throttlingexception",
            "",
        ] {
            assert!(!is_throttling_code(code), "{code}");
        }
    }

    #[test]
    fn reads_codes_from_the_error_type_header() {
        assert_eq!(
            code_from_error_type_header("ThrottlingException"),
            "ThrottlingException"
        );
        assert_eq!(
            code_from_error_type_header(
                "ValidationException:http://internal.amazon.com/coral/com.amazon.coral.validate/"
            ),
            "ValidationException"
        );
    }

    #[test]
    fn reads_codes_from_sdk_error_messages() {
        assert_eq!(
            code_from_message("ProvisionedThroughputExceededException: rate exceeded"),
            Some("ProvisionedThroughputExceededException")
        );
        assert_eq!(
            code_from_message("ResourceNotFoundException"),
            Some("ResourceNotFoundException")
        );
        assert_eq!(
            code_from_message("unhandled error (ThrottlingException)"),
            Some("ThrottlingException")
        );
        assert_eq!(code_from_message("unhandled error"), None);
        assert_eq!(code_from_message("dispatch failure"), None);
        assert_eq!(code_from_message("io error: broken pipe"), None);
        assert_eq!(code_from_message(""), None);
    }

    #[test]
    fn finds_the_region_in_regional_endpoints() {
        assert_eq!(
            region_from_uri("https://dynamodb.eu-west-1.amazonaws.com/"),
            Some("eu-west-1")
        );
        assert_eq!(
            region_from_uri("https://sqs.us-gov-west-1.amazonaws.com/123/queue"),
            Some("us-gov-west-1")
        );
        assert_eq!(
            region_from_uri("https://bucket.s3.ap-southeast-2.amazonaws.com/key?x=1"),
            Some("ap-southeast-2")
        );
        assert_eq!(
            region_from_uri("https://dynamodb-fips.us-east-1.amazonaws.com"),
            Some("us-east-1")
        );
        assert_eq!(
            region_from_uri("https://user@sts.cn-north-1.amazonaws.com.cn:443/"),
            Some("cn-north-1")
        );
        assert_eq!(
            region_from_uri("https://dynamodb.eu-central-2.api.aws"),
            Some("eu-central-2")
        );
        assert_eq!(
            region_from_uri("https://eu-west-9.s3.us-east-2.amazonaws.com/"),
            Some("us-east-2")
        );
    }

    #[test]
    fn no_region_in_local_or_global_endpoints() {
        assert_eq!(region_from_uri("http://127.0.0.1:5000/"), None);
        assert_eq!(region_from_uri("https://iam.amazonaws.com/"), None);
        assert_eq!(region_from_uri("http://localhost:4566"), None);
        assert_eq!(
            region_from_uri("https://my-bucket-1.s3.amazonaws.com/"),
            None
        );
        assert_eq!(region_from_uri(""), None);
    }
}
