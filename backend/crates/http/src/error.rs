//! [`HttpError`]: what a handler returns when it cannot answer normally, rendered as an
//! RFC 9457 `application/problem+json` document.

use std::borrow::Cow;
use std::fmt;

use ferrule_errors::{Classify, ErrorKind};
use lambda_http::http::{header, HeaderValue, Response, StatusCode};
use lambda_http::Body;
use serde::Serialize;

/// Media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field that failed: `{"field": "quantity", "message": "must be at least 1"}`.
///
/// `field` is a path into the JSON body (`items[0].quantity`), `$` for the whole body,
/// or the name of a path or query parameter.
///
/// ```
/// let error = ferrule_http::FieldError::new("quantity", "must be at least 1");
/// assert_eq!(error.field(), "quantity");
/// assert_eq!(error.message(), "must be at least 1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    field: String,
    message: String,
}

impl FieldError {
    /// A failure of `field`, with a message the caller can act on.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The path or parameter name that failed.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// Why it failed.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// An HTTP error answer: a status, a detail that is safe to show, optional field errors.
///
/// Handlers return `Result<_, HttpError>`. Any error that implements
/// [`Classify`] and [`Display`](fmt::Display) converts with `?`, so domain errors keep
/// their own types:
///
/// ```
/// use ferrule_errors::{Classify, ErrorKind};
/// use ferrule_http::HttpError;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("order {0} has shipped and can no longer be cancelled")]
/// struct AlreadyShipped(String);
///
/// impl Classify for AlreadyShipped {
///     fn kind(&self) -> ErrorKind {
///         ErrorKind::Conflict
///     }
/// }
///
/// fn cancel(id: &str) -> Result<(), HttpError> {
///     Err(AlreadyShipped(id.to_owned()))?
/// }
///
/// let error = cancel("o-1").unwrap_err();
/// assert_eq!(error.status().as_u16(), 409);
/// assert_eq!(error.detail(), "order o-1 has shipped and can no longer be cancelled");
/// ```
///
/// Errors that are not classified (an SDK error, an `anyhow::Error`) become a 500 with
/// `.map_err(HttpError::internal)?`.
///
/// Server errors (5xx) never show their message: the caller gets a generic detail and
/// the request id, the message goes to the log with `tracing::error!`.
///
/// ```
/// use ferrule_http::HttpError;
///
/// let io = std::io::Error::other("connection refused by 10.0.0.7:5432");
/// let error = HttpError::internal(io);
/// assert_eq!(error.status().as_u16(), 500);
/// assert!(!error.detail().contains("10.0.0.7"));
/// ```
pub struct HttpError(Box<Problem>);

/// Boxed so `Result<T, HttpError>` stays one pointer wide on the success path.
struct Problem {
    status: StatusCode,
    title: Option<Cow<'static, str>>,
    problem_type: Option<Cow<'static, str>>,
    detail: Cow<'static, str>,
    errors: Vec<FieldError>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    /// What is logged and never shown: the real cause of a server error.
    internal: Option<String>,
}

impl HttpError {
    /// An error with `status` and a `detail` the caller may read.
    ///
    /// For a 5xx status the detail is logged and replaced with a generic one.
    ///
    /// ```
    /// use ferrule_http::{http::StatusCode, HttpError};
    /// let error = HttpError::new(StatusCode::GONE, "order o-1 was archived");
    /// assert_eq!(error.status(), StatusCode::GONE);
    /// ```
    pub fn new(status: StatusCode, detail: impl Into<Cow<'static, str>>) -> Self {
        let detail = detail.into();
        if status.is_server_error() {
            return Self::server(status, detail.into_owned());
        }
        Self::bare(status, detail)
    }

    fn bare(status: StatusCode, detail: Cow<'static, str>) -> Self {
        Self(Box::new(Problem {
            status,
            title: None,
            problem_type: None,
            detail,
            errors: Vec::new(),
            headers: Vec::new(),
            internal: None,
        }))
    }

    fn server(status: StatusCode, internal: String) -> Self {
        let mut error = Self::bare(status, Cow::Borrowed(generic_server_detail(status)));
        error.0.internal = Some(internal);
        error
    }

    /// 400 Bad Request.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::bad_request("limit must be at most 100");
    /// assert_eq!(error.status().as_u16(), 400);
    /// ```
    pub fn bad_request(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, detail)
    }

    /// 401 Unauthorized, with `WWW-Authenticate: Bearer`.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::unauthorized("sign in first");
    /// assert_eq!(error.status().as_u16(), 401);
    /// ```
    pub fn unauthorized(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
            .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403 Forbidden.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::forbidden("only admins may do this");
    /// assert_eq!(error.status().as_u16(), 403);
    /// ```
    pub fn forbidden(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// 404 Not Found.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::not_found("order o-1 not found");
    /// assert_eq!(error.status().as_u16(), 404);
    /// ```
    pub fn not_found(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, detail)
    }

    /// 409 Conflict.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::conflict("order o-1 has shipped");
    /// assert_eq!(error.status().as_u16(), 409);
    /// ```
    pub fn conflict(detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// 400 with one entry in `errors` per failed field.
    ///
    /// ```
    /// use ferrule_http::{FieldError, HttpError};
    /// let error = HttpError::validation(vec![FieldError::new("quantity", "must be at least 1")]);
    /// assert_eq!(error.errors()[0].field(), "quantity");
    /// assert_eq!(error.detail(), "quantity: must be at least 1");
    /// ```
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|error| format!("{}: {}", error.field, error.message))
            .collect::<Vec<_>>()
            .join("; ");
        let detail = if detail.is_empty() {
            Cow::Borrowed("The request is invalid.")
        } else {
            Cow::Owned(detail)
        };
        let mut error = Self::bare(StatusCode::BAD_REQUEST, detail);
        error.0.errors = errors;
        error
    }

    /// 500 Internal Server Error caused by `error`, which is logged and never shown.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::internal("table orders-prod does not exist");
    /// assert_eq!(error.status().as_u16(), 500);
    /// assert!(!error.detail().contains("orders-prod"));
    /// ```
    pub fn internal(error: impl fmt::Display) -> Self {
        Self::server(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }

    /// From a classified error: its kind gives the status, its `Display` the detail
    /// (4xx) or the log line (5xx). Same as the `From` conversion `?` uses.
    ///
    /// ```
    /// use ferrule_errors::ErrorKind;
    /// let error = ferrule_http::HttpError::from_classified(&ErrorKind::NotFound);
    /// assert_eq!(error.status().as_u16(), 404);
    /// ```
    pub fn from_classified<E: Classify + fmt::Display + ?Sized>(error: &E) -> Self {
        let kind = error.kind();
        let status = status_of(kind);
        let message = error.to_string();
        if kind.is_client_error() && !status.is_server_error() {
            Self::bare(status, Cow::Owned(message))
        } else {
            Self::server(status, message)
        }
    }

    /// Sets the problem `type` URI (RFC 9457 §3.1.1); `about:blank` otherwise.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::conflict("order o-1 has shipped")
    ///     .with_type("https://api.example.com/problems/order-shipped");
    /// assert_eq!(error.problem_type(), "https://api.example.com/problems/order-shipped");
    /// ```
    pub fn with_type(mut self, uri: impl Into<Cow<'static, str>>) -> Self {
        self.0.problem_type = Some(uri.into());
        self
    }

    /// Sets the `title`; the status reason phrase otherwise (as `about:blank` requires).
    ///
    /// ```
    /// let error = ferrule_http::HttpError::conflict("order o-1 has shipped")
    ///     .with_title("Order already shipped");
    /// assert_eq!(error.title(), "Order already shipped");
    /// ```
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.0.title = Some(title.into());
        self
    }

    /// Adds a response header (for example `Retry-After`).
    ///
    /// ```
    /// use ferrule_http::http::{header, HeaderValue, StatusCode};
    /// let error = ferrule_http::HttpError::new(StatusCode::TOO_MANY_REQUESTS, "slow down")
    ///     .with_header(header::RETRY_AFTER, HeaderValue::from_static("5"));
    /// assert_eq!(error.status().as_u16(), 429);
    /// ```
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// Adds a field error to the `errors` array.
    ///
    /// ```
    /// let error = ferrule_http::HttpError::bad_request("bad filter")
    ///     .with_field_error("status", "must be one of open, shipped");
    /// assert_eq!(error.errors().len(), 1);
    /// ```
    pub fn with_field_error(
        mut self,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        self.0.errors.push(FieldError::new(field, message));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The detail the caller sees.
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    /// The problem title the caller sees.
    pub fn title(&self) -> &str {
        match &self.0.title {
            Some(title) => title,
            None => self.0.status.canonical_reason().unwrap_or("Error"),
        }
    }

    /// The problem type URI.
    pub fn problem_type(&self) -> &str {
        self.0.problem_type.as_deref().unwrap_or("about:blank")
    }

    /// The field errors.
    pub fn errors(&self) -> &[FieldError] {
        &self.0.errors
    }

    /// The problem document as a response, with `requestId` when `request_id` is not
    /// empty. Server errors are logged here, once, with the request id.
    ///
    /// ```
    /// let response = ferrule_http::HttpError::not_found("order o-1 not found")
    ///     .into_problem_response("req-1");
    /// assert_eq!(response.status().as_u16(), 404);
    /// assert_eq!(response.headers()["content-type"], "application/problem+json");
    /// ```
    pub fn into_problem_response(self, request_id: &str) -> Response<Body> {
        if let Some(internal) = &self.0.internal {
            tracing::error!(
                request_id,
                status = self.0.status.as_u16(),
                error = %internal,
                "request failed"
            );
        } else {
            tracing::debug!(
                request_id,
                status = self.0.status.as_u16(),
                detail = %self.0.detail,
                "request rejected"
            );
        }
        let document = ProblemDocument {
            problem_type: self.problem_type(),
            title: self.title(),
            status: self.0.status.as_u16(),
            detail: &self.0.detail,
            request_id: (!request_id.is_empty()).then_some(request_id),
            errors: &self.0.errors,
        };
        // Serialising strings and integers cannot fail; the fallback keeps the status anyway.
        let body = serde_json::to_string(&document).unwrap_or_else(|_| {
            format!(
                r#"{{"type":"about:blank","status":{}}}"#,
                self.0.status.as_u16()
            )
        });
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() = self.0.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        for (name, value) in self.0.headers {
            headers.append(name, value);
        }
        response
    }
}

fn status_of(kind: ErrorKind) -> StatusCode {
    StatusCode::from_u16(kind.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn generic_server_detail(status: StatusCode) -> &'static str {
    match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            "The service is temporarily unavailable; retry later and quote the requestId if it persists."
        }
        _ => "The server could not complete the request; quote the requestId when reporting it.",
    }
}

#[derive(Serialize)]
struct ProblemDocument<'a> {
    #[serde(rename = "type")]
    problem_type: &'a str,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(rename = "requestId", skip_serializing_if = "Option::is_none")]
    request_id: Option<&'a str>,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    errors: &'a [FieldError],
}

/// `?` turns any classified domain error into the matching problem.
impl<E: Classify + fmt::Display> From<E> for HttpError {
    fn from(error: E) -> Self {
        HttpError::from_classified(&error)
    }
}

impl fmt::Debug for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpError")
            .field("status", &self.0.status)
            .field("detail", &self.0.detail)
            .field("errors", &self.0.errors)
            .field("internal", &self.0.internal)
            .finish()
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.0.status.as_u16(), self.0.detail)?;
        if let Some(internal) = &self.0.internal {
            write!(f, " ({internal})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_errors::FunctionError;

    fn body(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[derive(Debug, thiserror::Error)]
    enum OrderError {
        #[error("order {0} has shipped and can no longer be cancelled")]
        AlreadyShipped(String),
        #[error("orders table unreachable at dynamodb.eu-west-1.amazonaws.com")]
        Storage,
        #[error("payment provider timed out after 3s")]
        Payment,
    }

    impl Classify for OrderError {
        fn kind(&self) -> ErrorKind {
            match self {
                OrderError::AlreadyShipped(_) => ErrorKind::Conflict,
                OrderError::Storage => ErrorKind::NonRetryable,
                OrderError::Payment => ErrorKind::Retryable,
            }
        }
    }

    #[test]
    fn problem_document_has_rfc9457_members_and_request_id() {
        let response = HttpError::not_found("order o-1 not found").into_problem_response("req-9");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()["content-type"], PROBLEM_JSON);
        let body = body(&response);
        assert_eq!(body["type"], "about:blank");
        assert_eq!(body["title"], "Not Found");
        assert_eq!(body["status"], 404);
        assert_eq!(body["detail"], "order o-1 not found");
        assert_eq!(body["requestId"], "req-9");
        assert!(body.get("errors").is_none(), "{body}");
    }

    #[test]
    fn empty_request_id_is_left_out() {
        let body = body(&HttpError::conflict("x").into_problem_response(""));
        assert!(body.get("requestId").is_none(), "{body}");
    }

    #[test]
    fn client_domain_error_keeps_its_message() {
        let error: HttpError = OrderError::AlreadyShipped("o-7".into()).into();
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(
            error.detail(),
            "order o-7 has shipped and can no longer be cancelled"
        );
    }

    #[test]
    fn server_domain_errors_hide_their_message() {
        let storage: HttpError = OrderError::Storage.into();
        assert_eq!(storage.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let payment: HttpError = OrderError::Payment.into();
        assert_eq!(payment.status(), StatusCode::SERVICE_UNAVAILABLE);
        for error in [storage, payment] {
            let body = body(&error.into_problem_response("req-1"));
            let text = body.to_string();
            assert!(!text.contains("dynamodb"), "{text}");
            assert!(!text.contains("3s"), "{text}");
            assert_eq!(body["requestId"], "req-1");
        }
    }

    /// A `tracing` writer into a shared buffer.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logs_of(f: impl FnOnce()) -> String {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, f);
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn server_error_cause_is_logged_with_the_request_id() {
        let logs = logs_of(|| {
            let error: HttpError = OrderError::Storage.into();
            error.into_problem_response("req-42");
        });
        assert!(logs.contains("ERROR"), "{logs}");
        assert!(logs.contains("req-42"), "{logs}");
        assert!(logs.contains("orders table unreachable"), "{logs}");
    }

    #[test]
    fn client_errors_are_not_logged_as_errors() {
        let logs = logs_of(|| {
            HttpError::conflict("order o-1 has shipped").into_problem_response("req-1");
        });
        assert!(!logs.contains("ERROR"), "{logs}");
    }

    #[test]
    fn explicit_5xx_detail_is_hidden_too() {
        let error = HttpError::new(StatusCode::BAD_GATEWAY, "upstream 10.0.0.1 said no");
        assert!(!error.detail().contains("10.0.0.1"));
        assert!(error.to_string().contains("10.0.0.1"), "kept for logs");
    }

    #[test]
    fn function_error_converts_by_kind() {
        let error: HttpError = FunctionError::validation("sku is unknown").into();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.detail(), "sku is unknown");
    }

    #[test]
    fn validation_lists_fields_in_errors_and_detail() {
        let error = HttpError::validation(vec![
            FieldError::new("quantity", "must be at least 1"),
            FieldError::new("sku", "must not be empty"),
        ]);
        let body = body(&error.into_problem_response("r"));
        assert_eq!(body["status"], 400);
        assert_eq!(body["errors"][0]["field"], "quantity");
        assert_eq!(body["errors"][1]["message"], "must not be empty");
        assert_eq!(
            body["detail"],
            "quantity: must be at least 1; sku: must not be empty"
        );
    }

    #[test]
    fn validation_without_fields_still_has_a_detail() {
        assert_eq!(
            HttpError::validation(Vec::new()).detail(),
            "The request is invalid."
        );
    }

    #[test]
    fn type_title_and_headers_can_be_set() {
        let response = HttpError::unauthorized("no token")
            .with_type("https://example.com/p/auth")
            .with_title("Sign in")
            .with_field_error("authorization", "missing")
            .into_problem_response("r");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        let body = body(&response);
        assert_eq!(body["type"], "https://example.com/p/auth");
        assert_eq!(body["title"], "Sign in");
        assert_eq!(body["errors"][0]["field"], "authorization");
    }
}
