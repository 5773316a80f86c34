//! The HTTP API entry point: [`run`] starts the Lambda runtime loop for any `Service<Request>`
//! (an [`App`](crate::App) or a plain `service_fn`) with two guarantees `lambda_http::run`
//! does not give:
//!
//! - **No caller-controlled input panics the conversion.** `lambda_http` builds the
//!   `http::Request` with `unwrap`/`expect` (`request.rs`: `into_api_gateway_v2_request`,
//!   `build_request_uri`; `aws_lambda_events`' `Body::from_maybe_encoded`), so a query string
//!   with a space, a Host header with a space or an empty `X-Forwarded-Proto`, or a body that
//!   is flagged base64 but is not, aborted or killed the invocation. [`prepare`] checks the same
//!   steps with their fallible versions first: characters a URI may not hold in the query are
//!   percent-encoded (no data lost), and a request that still cannot be represented gets a
//!   400 (414 when the URI is too long) problem document before `lambda_http` sees it.
//! - **A panic in a handler is a 500 for that request only**: the problem document carries the
//!   request id, the panic is logged, and the process serves the next invocation (release
//!   builds unwind; see `backend/Cargo.toml`).
//!
//! Responses are mapped to the payload 2.0 shape here (as `lambda_http` maps them), because
//! its mapping type is crate-private.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use base64::Engine as _;
use futures_util::FutureExt as _;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::http::header::{HeaderName, HOST, SET_COOKIE};
use lambda_http::http::{HeaderMap, HeaderValue, Response, StatusCode, Uri};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Context, IntoResponse, LambdaEvent, Request, RequestExt, Service};
use lambda_runtime::Diagnostic;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::HttpError;

/// Starts the Lambda runtime loop for an HTTP API (payload format 2.0) function.
///
/// ```no_run
/// use lambda_http::{service_fn, Body, Error, Request, Response};
///
/// async fn handle(_request: Request) -> Result<Response<Body>, Error> {
///     Ok(Response::new(Body::from("ok")))
/// }
///
/// # async fn main_() -> Result<(), Error> {
/// ferrule_http::run(service_fn(handle)).await
/// # }
/// ```
pub async fn run<S, R, E>(handler: S) -> Result<(), lambda_http::Error>
where
    S: Service<Request, Response = R, Error = E>,
    S::Future: Send + 'static,
    R: IntoResponse + Send + 'static,
    E: std::fmt::Debug + Into<Diagnostic> + Send + 'static,
{
    lambda_runtime::run(Entry { service: handler }).await
}

/// [`run`] for Lambda Managed Instances: with `AWS_LAMBDA_MAX_CONCURRENCY` above 1 the runtime
/// takes that many invocations at once, each in its own task with its own request id, trace
/// header and log span (and never sets `_X_AMZN_TRACE_ID`); unset, it runs one at a time as
/// [`run`] does. The handler is cloned per worker, so it must be `Clone + Send + 'static`: state
/// it shares across invocations is read-only or synchronised (an `Arc`).
#[cfg(feature = "concurrent")]
pub async fn run_concurrent<S, R, E>(handler: S) -> Result<(), lambda_http::Error>
where
    S: Service<Request, Response = R, Error = E> + Clone + Send + 'static,
    S::Future: Send + 'static,
    R: IntoResponse + Send + 'static,
    E: std::fmt::Debug + Into<Diagnostic> + Send + 'static,
{
    lambda_runtime::run_concurrent(Entry { service: handler }).await
}

/// The runtime-facing service: payload 2.0 event in, payload 2.0 response out.
#[derive(Clone)]
struct Entry<S> {
    service: S,
}

type EntryFuture<E> = Pin<Box<dyn Future<Output = Result<ApiGatewayV2httpResponse, E>> + Send>>;

impl<S, R, E> Service<LambdaEvent<ApiGatewayV2httpRequest>> for Entry<S>
where
    S: Service<Request, Response = R, Error = E>,
    S::Future: Send + 'static,
    R: IntoResponse + Send + 'static,
    E: Send + 'static,
{
    type Response = ApiGatewayV2httpResponse;
    type Error = E;
    type Future = EntryFuture<E>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), E>> {
        self.service.poll_ready(cx)
    }

    fn call(&mut self, event: LambdaEvent<ApiGatewayV2httpRequest>) -> Self::Future {
        let LambdaEvent { payload, context } = event;
        let request_id = context.request_id.clone();
        let request = match into_request(payload, &context) {
            Ok(request) => request,
            Err(rejection) => {
                let response = into_v2_response(rejection.into_problem_response(&request_id));
                return Box::pin(std::future::ready(Ok(response)));
            }
        };
        let request = request.with_lambda_context(context);
        // `call` itself may run handler code before the first poll (a hand-written `Service`).
        let future = match std::panic::catch_unwind(AssertUnwindSafe(|| self.service.call(request)))
        {
            Ok(future) => future,
            Err(_) => return Box::pin(std::future::ready(Ok(panicked(&request_id)))),
        };
        Box::pin(async move {
            match AssertUnwindSafe(future).catch_unwind().await {
                Ok(Ok(reply)) => Ok(into_v2_response(reply.into_response().await)),
                Ok(Err(error)) => Err(error),
                Err(_) => Ok(panicked(&request_id)),
            }
        })
    }
}

/// The 500 answer for a handler that panicked. The panic itself was written by the panic hook
/// (ferrule-logger's one JSON line); `into_problem_response` logs the 500 with the request id.
fn panicked(request_id: &str) -> ApiGatewayV2httpResponse {
    into_v2_response(HttpError::internal("handler panicked").into_problem_response(request_id))
}

/// Checks, then converts with `lambda_http`'s own conversion (extensions, cookies, stage).
fn into_request(
    mut event: ApiGatewayV2httpRequest,
    context: &Context,
) -> Result<Request, HttpError> {
    prepare(&mut event)?;
    let request = std::panic::catch_unwind(AssertUnwindSafe(|| {
        Request::from(LambdaRequest::ApiGatewayV2(event))
    }))
    // `prepare` mirrors every fallible step; reaching this means an upstream change.
    .map_err(|_| HttpError::bad_request("The request cannot be represented as an HTTP request."))?;
    let mut request = request;
    // As `lambda_http::Adapter` does: the trace header reflects this invocation's trace.
    if let Some(value) = context
        .xray_trace_id
        .as_deref()
        .and_then(|id| HeaderValue::from_str(id).ok())
    {
        request
            .headers_mut()
            .insert(HeaderName::from_static("x-amzn-trace-id"), value);
    }
    Ok(request)
}

/// Longest URI `http::Uri` accepts (its `MAX_LEN` is `u16::MAX - 1`).
const MAX_URI_BYTES: usize = u16::MAX as usize - 1;

/// Bytes `http::Uri` refuses in a query, plus `%`-free ones browsers encode anyway.
/// `%` itself is kept: an existing escape must not be encoded twice.
const QUERY_ESCAPE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'|')
    .add(b'\\')
    .add(b'^')
    .add(b'#');

/// Makes the event safe for `lambda_http`'s conversion, or says why it is unusable.
///
/// Mirrors `lambda_http` 1.3 `request.rs` (`into_api_gateway_v2_request`, `build_request_uri`,
/// `apigw_path_with_stage`): the same host, scheme, path and query, parsed without panicking.
pub(crate) fn prepare(event: &mut ApiGatewayV2httpRequest) -> Result<(), HttpError> {
    if event.is_base64_encoded {
        if let Some(body) = event.body.as_deref() {
            if base64::engine::general_purpose::STANDARD
                .decode(body)
                .is_err()
            {
                return Err(HttpError::bad_request(
                    "The body is marked base64-encoded but is not valid base64.",
                ));
            }
        }
    }

    if let Some(query) = event.raw_query_string.as_mut() {
        if query.len() > MAX_URI_BYTES {
            return Err(too_long());
        }
        if Uri::try_from(format!("/?{query}")).is_err() {
            *query = utf8_percent_encode(query, QUERY_ESCAPE).to_string();
        }
    }

    let raw_path = event.raw_path.as_deref().unwrap_or_default();
    let path = path_with_stage(event.request_context.stage.as_deref(), raw_path);
    let host = event
        .headers
        .get(HOST)
        .and_then(|value| value.to_str().ok())
        .or(event.request_context.domain_name.as_deref());
    let base = match host {
        None => url::Url::parse(&format!("http://localhost{path}"))
            .map(|url| url.path().to_owned())
            .map_err(|_| HttpError::bad_request("The request path is not a valid URI path."))?,
        Some(host) => {
            let scheme = event
                .headers
                .get("x-forwarded-proto")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("https");
            match url::Url::parse(&format!("{scheme}://{host}{path}")) {
                Ok(url) => url.to_string(),
                Err(_) if url::Url::parse(&format!("https://{host}{path}")).is_ok() => {
                    return Err(HttpError::bad_request(
                        "The X-Forwarded-Proto header is not a URI scheme.",
                    ));
                }
                Err(_) => {
                    return Err(HttpError::bad_request(
                        "The Host header or the path is not valid in a URI.",
                    ))
                }
            }
        }
    };
    let uri = match event.raw_query_string.as_deref() {
        Some(query) if !query.is_empty() => format!("{base}?{query}"),
        _ => base,
    };
    if uri.len() > MAX_URI_BYTES {
        return Err(too_long());
    }
    Uri::try_from(uri).map_err(|_| HttpError::bad_request("The request URI is not valid."))?;
    Ok(())
}

fn too_long() -> HttpError {
    HttpError::new(
        StatusCode::URI_TOO_LONG,
        "The request URI is longer than 65,534 bytes.",
    )
}

/// `lambda_http`'s stage handling: a named stage prefixes the path unless already there.
fn path_with_stage(stage: Option<&str>, path: &str) -> String {
    if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_some() {
        return path.to_owned();
    }
    match stage {
        None | Some("$default") => path.to_owned(),
        Some(stage) if path.starts_with(&format!("/{stage}/")) => path.to_owned(),
        Some(stage) => format!("/{stage}{path}"),
    }
}

/// An `http::Response` as API Gateway's payload 2.0 response: `Set-Cookie` headers move to
/// `cookies` (one per entry; a value that is not visible ASCII is left out), binary bodies
/// are base64-encoded.
pub(crate) fn into_v2_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let (is_base64_encoded, body) = match body {
        Body::Empty => (false, None),
        text @ Body::Text(_) => (false, Some(text)),
        binary @ Body::Binary(_) => (true, Some(binary)),
        _ => (false, None),
    };
    let mut headers: HeaderMap = parts.headers;
    let cookies = headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    headers.remove(SET_COOKIE);
    let mut v2 = ApiGatewayV2httpResponse::default();
    v2.status_code = i64::from(parts.status.as_u16());
    v2.headers = headers;
    v2.multi_value_headers = HeaderMap::new();
    v2.body = body;
    v2.is_base64_encoded = is_base64_encoded;
    v2.cookies = cookies;
    v2
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event() -> ApiGatewayV2httpRequest {
        serde_json::from_str(include_str!("../../../events/apigw-http/get-hello.json")).unwrap()
    }

    fn status(result: Result<(), HttpError>) -> Option<u16> {
        result.err().map(|error| error.status().as_u16())
    }

    fn converts(mut event: ApiGatewayV2httpRequest) -> Request {
        prepare(&mut event).unwrap();
        Request::from(LambdaRequest::ApiGatewayV2(event))
    }

    /// Any string, weighted towards the characters URIs and hosts care about.
    fn hostile() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            any::<String>(),
            proptest::collection::vec(
                prop_oneof![
                    Just('"'),
                    Just(' '),
                    Just('<'),
                    Just('>'),
                    Just('\t'),
                    Just('\0'),
                    Just('\u{7f}'),
                    Just('['),
                    Just(']'),
                    Just('^'),
                    Just('|'),
                    Just('%'),
                    Just('{'),
                    Just('}'),
                    Just('`'),
                    Just(':'),
                    Just('/'),
                    Just('?'),
                    Just('#'),
                    Just('@'),
                    Just('='),
                    Just('&'),
                    Just('é'),
                    Just('a'),
                    Just('1'),
                    Just('.'),
                ],
                0..64
            )
            .prop_map(|chars| chars.into_iter().collect()),
        ]
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 512, ..Default::default() })]

    /// Either the event is refused with a 4xx, or lambda_http converts it without panicking.
    #[test]
    fn the_entry_never_panics_on_what_a_client_sends(
        query in hostile(),
        path in hostile(),
        host in hostile(),
        proto in proptest::option::of(hostile()),
        body in proptest::option::of(hostile()),
        base64 in any::<bool>(),
    ) {
        let mut event = event();
        event.raw_query_string = Some(query);
        event.raw_path = Some(path);
        if let Ok(value) = HeaderValue::from_str(&host) {
            event.headers.insert(HOST, value);
        }
        if let Some(Ok(value)) = proto.map(|p| HeaderValue::from_str(&p)) {
            event.headers.insert("x-forwarded-proto", value);
        }
        event.body = body;
        event.is_base64_encoded = base64;
        match prepare(&mut event) {
            // lambda_http's own conversion, which panics on what `prepare` lets through.
            Ok(()) => {
                let request = Request::from(LambdaRequest::ApiGatewayV2(event));
                prop_assert!(request.uri().path().starts_with('/'));
            }
            Err(error) => prop_assert!(error.status().is_client_error(), "{}", error.status()),
        }
    }

    /// The router answers any path and method with a status, never a panic, and only with
    /// 404/405 for paths that do not match.
    #[test]
    fn the_router_answers_any_path(path in hostile(), method in "[A-Z]{1,8}") {
        let app = crate::Router::new()
            .get("/orders/{id}", |req: crate::HttpRequest<()>| async move { Ok(req.param("id")?.to_owned()) })
            .build()
            .unwrap();
        let Ok(method) = lambda_http::http::Method::from_bytes(method.as_bytes()) else {
            return Ok(());
        };
        let uri = format!("/{}", percent_encoding::utf8_percent_encode(&path, percent_encoding::NON_ALPHANUMERIC));
        let request = lambda_http::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(lambda_http::Body::Empty)
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let response = runtime.block_on(app.handle(request));
        prop_assert!(response.status().as_u16() < 500, "{}", response.status());
    }
    }

    #[test]
    fn a_plain_request_passes_unchanged() {
        let mut changed = event();
        let original = changed.raw_query_string.clone();
        assert_eq!(status(prepare(&mut changed)), None);
        assert_eq!(changed.raw_query_string, original);
    }

    #[test]
    fn query_characters_a_uri_refuses_are_percent_encoded_not_lost() {
        for raw in [
            "name=\"x\"",
            "name=a b",
            "a=<b>",
            "a=\tb",
            "a=\0",
            "a=\u{7f}",
            "q=ümlaut",
            "a={b}|c^d`e",
        ] {
            let mut changed = event();
            changed.raw_query_string = Some(raw.to_owned());
            let request = converts(changed);
            let query = request.uri().query().unwrap_or_default();
            let decoded = percent_encoding::percent_decode_str(query)
                .decode_utf8()
                .unwrap();
            assert_eq!(decoded, raw, "query {raw:?}");
        }
    }

    #[test]
    fn existing_escapes_are_not_encoded_twice() {
        let mut changed = event();
        changed.raw_query_string = Some("name=a%20b c".to_owned());
        let request = converts(changed);
        assert_eq!(request.uri().query(), Some("name=a%20b%20c"));
    }

    #[test]
    fn an_overlong_uri_is_414() {
        let mut changed = event();
        changed.raw_query_string = Some(format!("a={}", "x".repeat(70_000)));
        assert_eq!(status(prepare(&mut changed)), Some(414));
        let mut changed = event();
        changed.raw_query_string = Some(format!("a={}", "x".repeat(65_520)));
        assert_eq!(status(prepare(&mut changed)), Some(414));
    }

    #[test]
    fn unusable_hosts_and_schemes_are_400() {
        for host in [
            "exa mple.com",
            "a[b",
            "a]b",
            "a^b",
            "a|b",
            "a%b",
            "a\"b",
            "a{b",
            "a}b",
            "a`b",
            "example.com:99999",
            "example.com:x",
        ] {
            let mut changed = event();
            changed
                .headers
                .insert(HOST, HeaderValue::from_str(host).unwrap());
            assert_eq!(status(prepare(&mut changed)), Some(400), "host {host:?}");
        }
        let mut changed = event();
        changed
            .headers
            .insert("x-forwarded-proto", HeaderValue::from_static(""));
        let error = prepare(&mut changed).unwrap_err();
        assert_eq!(error.status().as_u16(), 400);
        assert!(error.detail().contains("X-Forwarded-Proto"));
    }

    #[test]
    fn a_path_that_is_not_a_uri_path_is_400_without_a_host() {
        let mut changed = event();
        changed.headers.remove(HOST);
        changed.request_context.domain_name = None;
        changed.raw_path = Some(":99999".to_owned());
        assert_eq!(status(prepare(&mut changed)), Some(400));
    }

    #[test]
    fn bad_base64_is_400_and_good_base64_converts() {
        let mut changed = event();
        changed.is_base64_encoded = true;
        changed.body = Some("QQ=".to_owned());
        assert_eq!(status(prepare(&mut changed)), Some(400));
        let mut changed = event();
        changed.is_base64_encoded = true;
        changed.body = Some("QQ==".to_owned());
        let request = converts(changed);
        assert_eq!(request.body().as_ref(), b"A");
    }

    #[test]
    fn responses_map_cookies_and_binary_bodies() {
        let response = Response::builder()
            .status(201)
            .header(SET_COOKIE, "a=1")
            .header(SET_COOKIE, "b=2")
            .header("x-one", "1")
            .body(Body::Binary(vec![0, 1, 2]))
            .unwrap();
        let v2 = into_v2_response(response);
        assert_eq!(v2.status_code, 201);
        assert_eq!(v2.cookies, vec!["a=1".to_owned(), "b=2".to_owned()]);
        assert!(v2.headers.get(SET_COOKIE).is_none());
        assert!(v2.is_base64_encoded);
        let json = serde_json::to_value(&v2).unwrap();
        assert_eq!(json["body"], "AAEC");
    }

    #[tokio::test]
    async fn a_panicking_handler_is_a_500_with_the_request_id_and_the_service_keeps_serving() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = calls.clone();
        let mut entry = Entry {
            service: lambda_http::service_fn(move |_request: Request| {
                let call = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async move {
                    if call == 0 {
                        let empty: Vec<u8> = Vec::new();
                        // An index out of bounds, as a bug would.
                        let _ = empty[usize::from(call == 0)];
                    }
                    Ok::<_, lambda_http::Error>(Response::new(Body::from("fine")))
                }
            }),
        };
        let mut context = Context::default();
        context.request_id = "req-1".to_owned();
        let first = entry
            .call(LambdaEvent::new(event(), context.clone()))
            .await
            .unwrap();
        assert_eq!(first.status_code, 500);
        let body = match first.body {
            Some(Body::Text(text)) => text,
            other => panic!("unexpected body {other:?}"),
        };
        assert!(body.contains("req-1"), "{body}");
        let second = entry
            .call(LambdaEvent::new(event(), context))
            .await
            .unwrap();
        assert_eq!(second.status_code, 200);
    }

    #[tokio::test]
    async fn a_rejected_request_never_reaches_the_handler() {
        let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = calls.clone();
        let mut entry = Entry {
            service: lambda_http::service_fn(move |_request: Request| {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { Ok::<_, lambda_http::Error>(Response::new(Body::Empty)) }
            }),
        };
        let mut bad = event();
        bad.headers
            .insert(HOST, HeaderValue::from_static("exa mple.com"));
        let answer = entry
            .call(LambdaEvent::new(bad, Context::default()))
            .await
            .unwrap();
        assert_eq!(answer.status_code, 400);
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    }
}
