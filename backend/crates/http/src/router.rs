//! [`Router`] (the builder) and [`App`] (the built, cloneable `lambda_http` service).

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::FutureExt as _;
use lambda_http::http::{header, request::Parts, Extensions, HeaderValue, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response, Service};

use crate::cors::{is_preflight, CompiledCors, Cors};
use crate::error::{FieldError, HttpError};
use crate::principal::{Principal, Requirement};
use crate::request::HttpRequest;
use crate::response::IntoReply;

/// Largest body accepted unless [`Router::max_body_bytes`] says otherwise: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Response header carrying the Lambda request id.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

type HandlerFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, HttpError>> + Send>>;
type BoxedHandler<S> = Box<dyn Fn(HttpRequest<S>) -> HandlerFuture + Send + Sync>;

/// Why a [`Router`] could not be built. Raised by [`Router::build`], at init, so a
/// mistake fails the cold start with a message instead of a request later.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RouterError {
    /// The path is not a valid pattern or conflicts with another one.
    #[error("route `{path}` is invalid: {reason}")]
    InvalidRoute { path: String, reason: String },
    /// The same method and path were registered twice.
    #[error("route {method} {path} is registered twice")]
    DuplicateRoute { method: Method, path: String },
    /// `requires_*` was called before any route.
    #[error(
        "`{requirement}` was called before any route; call it right after the route it protects"
    )]
    RequirementWithoutRoute { requirement: &'static str },
    /// [`Router::strip_prefix`] got something that is not `/segment[/segment...]`.
    #[error("prefix `{0}` must start with `/` and must not end with `/`")]
    InvalidPrefix(String),
    /// Browsers reject `Access-Control-Allow-Origin: *` with credentials.
    #[error("CORS: any origin (`*`) cannot be combined with allow_credentials; list the origins")]
    CorsAnyOriginWithCredentials,
    /// An allowed origin that browsers would never send.
    #[error("CORS: origin `{0}` must be scheme://host[:port], without path or trailing slash")]
    CorsInvalidOrigin(String),
    /// A CORS setting that cannot be a header value.
    #[error("CORS: `{0}` is not a valid header value")]
    CorsInvalidHeaderValue(String),
}

/// A route table that does not build is a bug in the function, reported at start-up.
impl ferrule_errors::StartupFailure for RouterError {}

struct Endpoint<S> {
    method: Method,
    handler: BoxedHandler<S>,
    requirements: Vec<Requirement>,
}

struct PathRoutes<S> {
    pattern: Arc<str>,
    endpoints: Vec<Endpoint<S>>,
    /// `Allow` value (also the default CORS allowed methods), rendered at build.
    allow: HeaderValue,
}

/// Builds the route table: method + path pattern → async handler.
///
/// Paths use `{name}` for one segment and `{*name}` for the rest of the path, and are
/// matched against the request's `rawPath`. Parameters are percent-decoded after
/// matching, so `/orders/a%2Fb` matches `/orders/{id}` with `id` = `a/b`. A trailing
/// slash is ignored on both sides: `/orders/` is `/orders` (the root `/` stays `/`).
///
/// ```
/// use ferrule_http::{http::Method, HttpError, HttpRequest, Json, NoContent, Router};
///
/// struct Repo;
///
/// async fn get_order(req: HttpRequest<Repo>) -> Result<Json<String>, HttpError> {
///     Ok(Json(req.param("id")?.to_owned()))
/// }
///
/// let app = Router::with_state(Repo)
///     .get("/orders/{id}", get_order)
///     .requires_auth()
///     .route(Method::DELETE, "/orders/{id}", |req: HttpRequest<Repo>| async move {
///         let id = req.param("id")?;
///         if id.starts_with("archived-") {
///             return Err(HttpError::conflict(format!("order {id} is archived")));
///         }
///         Ok(NoContent)
///     })
///     .requires_group("admin")
///     .build()
///     .unwrap();
/// # let _ = app;
/// ```
pub struct Router<S = ()> {
    state: Arc<S>,
    matcher: matchit::Router<usize>,
    paths: Vec<(Arc<str>, Vec<Endpoint<S>>)>,
    index: HashMap<Arc<str>, usize>,
    last: Option<(usize, usize)>,
    cors: Option<Cors>,
    max_body_bytes: usize,
    strip_prefix: Option<String>,
    error: Option<RouterError>,
}

impl Router<()> {
    /// A router without shared state.
    ///
    /// ```
    /// let app = ferrule_http::Router::new()
    ///     .get("/health", |_req| async { Ok("ok") })
    ///     .build()
    ///     .unwrap();
    /// # let _ = app;
    /// ```
    pub fn new() -> Self {
        Self::with_state(())
    }
}

impl Default for Router<()> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Send + Sync + 'static> Router<S> {
    /// A router whose handlers reach `state` (clients, repositories, configuration
    /// created once in `main`) through [`HttpRequest::state`].
    ///
    /// ```
    /// struct Config { table: String }
    /// let router = ferrule_http::Router::with_state(Config { table: "orders".into() });
    /// # let _ = router;
    /// ```
    pub fn with_state(state: S) -> Self {
        Self::with_shared_state(Arc::new(state))
    }

    /// Like [`with_state`](Self::with_state) for state already behind an `Arc`.
    ///
    /// ```
    /// let shared = std::sync::Arc::new(String::from("orders"));
    /// let router = ferrule_http::Router::with_shared_state(shared.clone());
    /// # let _ = router;
    /// ```
    pub fn with_shared_state(state: Arc<S>) -> Self {
        Self {
            state,
            matcher: matchit::Router::new(),
            paths: Vec::new(),
            index: HashMap::new(),
            last: None,
            cors: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            strip_prefix: None,
            error: None,
        }
    }

    /// Registers `handler` for `method` on `path`.
    ///
    /// A handler is any `async` function or closure taking [`HttpRequest<S>`] and
    /// returning `Result<impl IntoReply, HttpError>`.
    ///
    /// ```
    /// use ferrule_http::{http::Method, Router};
    /// let router = Router::new().route(Method::PUT, "/flags/{name}", |_req| async { Ok("set") });
    /// # let _ = router;
    /// ```
    pub fn route<H, F, R>(mut self, method: Method, path: &str, handler: H) -> Self
    where
        H: Fn(HttpRequest<S>) -> F + Send + Sync + 'static,
        F: Future<Output = Result<R, HttpError>> + Send + 'static,
        R: IntoReply,
    {
        if self.error.is_some() {
            return self;
        }
        let handler: BoxedHandler<S> = Box::new(move |request| {
            let future = handler(request);
            Box::pin(async move { future.await?.into_reply() })
        });
        if let Err(error) = self.insert(method, path, handler) {
            self.error = Some(error);
        }
        self
    }

    fn insert(
        &mut self,
        method: Method,
        path: &str,
        handler: BoxedHandler<S>,
    ) -> Result<(), RouterError> {
        let invalid = |reason: &str| RouterError::InvalidRoute {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        if !path.starts_with('/') {
            return Err(invalid("it must start with `/`"));
        }
        let pattern = without_trailing_slash(path);
        let path_index = match self.index.get(pattern) {
            Some(&existing) => existing,
            None => {
                let next = self.paths.len();
                self.matcher
                    .insert(pattern, next)
                    .map_err(|error| invalid(&error.to_string()))?;
                let pattern: Arc<str> = Arc::from(pattern);
                self.index.insert(Arc::clone(&pattern), next);
                self.paths.push((pattern, Vec::new()));
                next
            }
        };
        let Some((pattern, endpoints)) = self.paths.get_mut(path_index) else {
            return Err(invalid("route table is inconsistent"));
        };
        if endpoints.iter().any(|endpoint| endpoint.method == method) {
            return Err(RouterError::DuplicateRoute {
                method,
                path: pattern.to_string(),
            });
        }
        endpoints.push(Endpoint {
            method,
            handler,
            requirements: Vec::new(),
        });
        self.last = Some((path_index, endpoints.len() - 1));
        Ok(())
    }

    /// `GET` route; see [`route`](Self::route).
    ///
    /// ```
    /// let router = ferrule_http::Router::new().get("/orders", |_req| async { Ok("[]") });
    /// # let _ = router;
    /// ```
    pub fn get<H, F, R>(self, path: &str, handler: H) -> Self
    where
        H: Fn(HttpRequest<S>) -> F + Send + Sync + 'static,
        F: Future<Output = Result<R, HttpError>> + Send + 'static,
        R: IntoReply,
    {
        self.route(Method::GET, path, handler)
    }

    /// `POST` route; see [`route`](Self::route).
    ///
    /// ```
    /// let router = ferrule_http::Router::new().post("/orders", |_req| async { Ok("created") });
    /// # let _ = router;
    /// ```
    pub fn post<H, F, R>(self, path: &str, handler: H) -> Self
    where
        H: Fn(HttpRequest<S>) -> F + Send + Sync + 'static,
        F: Future<Output = Result<R, HttpError>> + Send + 'static,
        R: IntoReply,
    {
        self.route(Method::POST, path, handler)
    }

    /// `PUT` route; see [`route`](Self::route).
    ///
    /// ```
    /// let router = ferrule_http::Router::new().put("/orders/{id}", |_req| async { Ok("put") });
    /// # let _ = router;
    /// ```
    pub fn put<H, F, R>(self, path: &str, handler: H) -> Self
    where
        H: Fn(HttpRequest<S>) -> F + Send + Sync + 'static,
        F: Future<Output = Result<R, HttpError>> + Send + 'static,
        R: IntoReply,
    {
        self.route(Method::PUT, path, handler)
    }

    /// `PATCH` route; see [`route`](Self::route).
    ///
    /// ```
    /// let router = ferrule_http::Router::new().patch("/orders/{id}", |_req| async { Ok("patched") });
    /// # let _ = router;
    /// ```
    pub fn patch<H, F, R>(self, path: &str, handler: H) -> Self
    where
        H: Fn(HttpRequest<S>) -> F + Send + Sync + 'static,
        F: Future<Output = Result<R, HttpError>> + Send + 'static,
        R: IntoReply,
    {
        self.route(Method::PATCH, path, handler)
    }

    /// `DELETE` route; see [`route`](Self::route).
    ///
    /// ```
    /// let router = ferrule_http::Router::new().delete("/orders/{id}", |_req| async { Ok("gone") });
    /// # let _ = router;
    /// ```
    pub fn delete<H, F, R>(self, path: &str, handler: H) -> Self
    where
        H: Fn(HttpRequest<S>) -> F + Send + Sync + 'static,
        F: Future<Output = Result<R, HttpError>> + Send + 'static,
        R: IntoReply,
    {
        self.route(Method::DELETE, path, handler)
    }

    /// The route registered just before needs a caller (JWT claims with a `sub`): 401
    /// otherwise, before the handler runs.
    ///
    /// ```
    /// let router = ferrule_http::Router::new()
    ///     .get("/me", |req| async move { Ok(req.require_principal()?.subject.clone()) })
    ///     .requires_auth();
    /// # let _ = router;
    /// ```
    pub fn requires_auth(self) -> Self {
        self.require("requires_auth", Requirement::Authenticated)
    }

    /// The route registered just before needs a caller in `cognito:groups` `group`:
    /// 401 without a caller, 403 outside the group.
    ///
    /// ```
    /// let router = ferrule_http::Router::new()
    ///     .post("/orders/{id}/refund", |_req| async { Ok("refunded") })
    ///     .requires_group("admin");
    /// # let _ = router;
    /// ```
    pub fn requires_group(self, group: impl Into<String>) -> Self {
        self.require("requires_group", Requirement::Group(group.into()))
    }

    /// The route registered just before needs a token granted `scope`: 401 without a
    /// caller, 403 without the scope.
    ///
    /// ```
    /// let router = ferrule_http::Router::new()
    ///     .get("/orders", |_req| async { Ok("[]") })
    ///     .requires_scope("orders/read");
    /// # let _ = router;
    /// ```
    pub fn requires_scope(self, scope: impl Into<String>) -> Self {
        self.require("requires_scope", Requirement::Scope(scope.into()))
    }

    fn require(mut self, name: &'static str, requirement: Requirement) -> Self {
        if self.error.is_some() {
            return self;
        }
        let endpoint = self.last.and_then(|(path, endpoint)| {
            self.paths
                .get_mut(path)
                .and_then(|(_, endpoints)| endpoints.get_mut(endpoint))
        });
        match endpoint {
            Some(endpoint) => endpoint.requirements.push(requirement),
            None => self.error = Some(RouterError::RequirementWithoutRoute { requirement: name }),
        }
        self
    }

    /// Answers CORS preflights (`OPTIONS` on any registered path, 204) and adds
    /// `Access-Control-Allow-Origin` to every response for allowed origins.
    ///
    /// ```
    /// let router = ferrule_http::Router::new()
    ///     .cors(ferrule_http::Cors::allow_origins(["https://app.example.com"]));
    /// # let _ = router;
    /// ```
    pub fn cors(mut self, cors: Cors) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Largest body accepted (measured after base64 decoding); larger ones get 413
    /// before the handler runs. Default [`DEFAULT_MAX_BODY_BYTES`].
    ///
    /// ```
    /// let router = ferrule_http::Router::new().max_body_bytes(64 * 1024);
    /// # let _ = router;
    /// ```
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Removes a leading path prefix before matching, for an API reached through a
    /// named stage (`/prod/orders`) or a custom-domain mapping (`/v1/orders`).
    ///
    /// ```
    /// let router = ferrule_http::Router::new().strip_prefix("/prod");
    /// # let _ = router;
    /// ```
    pub fn strip_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.strip_prefix = Some(prefix.into());
        self
    }

    /// Checks the table and settings and returns the service to run.
    ///
    /// ```
    /// use ferrule_http::{Router, RouterError};
    /// let error = Router::new()
    ///     .get("/orders/{id}", |_req| async { Ok("a") })
    ///     .get("/orders/{order_id}", |_req| async { Ok("b") })
    ///     .build()
    ///     .err()
    ///     .unwrap();
    /// assert!(matches!(error, RouterError::InvalidRoute { .. }));
    /// ```
    pub fn build(self) -> Result<App<S>, RouterError> {
        if let Some(error) = self.error {
            return Err(error);
        }
        if let Some(prefix) = &self.strip_prefix {
            if !prefix.starts_with('/') || prefix.ends_with('/') {
                return Err(RouterError::InvalidPrefix(prefix.clone()));
            }
        }
        let cors = self.cors.map(Cors::compile).transpose()?;
        let paths = self
            .paths
            .into_iter()
            .map(|(pattern, endpoints)| {
                let allow = endpoints
                    .iter()
                    .map(|endpoint| endpoint.method.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                // Method names are tokens, always valid header values.
                let allow = HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static(""));
                PathRoutes {
                    pattern,
                    endpoints,
                    allow,
                }
            })
            .collect();
        Ok(App {
            inner: Arc::new(Inner {
                state: self.state,
                matcher: self.matcher,
                paths,
                cors,
                max_body_bytes: self.max_body_bytes,
                strip_prefix: self.strip_prefix,
            }),
        })
    }
}

fn without_trailing_slash(path: &str) -> &str {
    match path.strip_suffix('/') {
        Some(stripped) if !stripped.is_empty() => stripped,
        _ => path,
    }
}

struct Inner<S> {
    state: Arc<S>,
    matcher: matchit::Router<usize>,
    paths: Vec<PathRoutes<S>>,
    cors: Option<CompiledCors>,
    max_body_bytes: usize,
    strip_prefix: Option<String>,
}

/// The built router: a `lambda_http` service (cheap to clone) that turns every
/// request into a response, errors included.
///
/// ```no_run
/// # async fn main_() -> Result<(), lambda_http::Error> {
/// let app = ferrule_http::Router::new()
///     .get("/health", |_req| async { Ok("ok") })
///     .build()?;
/// app.run().await
/// # }
/// ```
pub struct App<S = ()> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for App<S> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// What the routing step decided, before the handler runs.
enum Routed {
    Handler(HandlerFuture),
    Preflight(HeaderValue),
    Rejected(HttpError),
}

impl<S: Send + Sync + 'static> App<S> {
    /// Starts the Lambda runtime loop with this app ([`crate::run`]: no request can panic the
    /// conversion, and a panicking handler answers 500).
    ///
    /// ```no_run
    /// # async fn main_() -> Result<(), lambda_http::Error> {
    /// ferrule_http::Router::new().build()?.run().await
    /// # }
    /// ```
    pub async fn run(self) -> Result<(), lambda_http::Error> {
        crate::run(self).await
    }

    /// Answers one request. Never fails: errors become problem documents. Every
    /// response carries `x-request-id` and, when configured, CORS headers.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let app = ferrule_http::Router::new()
    ///     .get("/health", |_req| async { Ok("ok") })
    ///     .build()
    ///     .unwrap();
    /// let request = lambda_http::http::Request::builder()
    ///     .uri("/health")
    ///     .body(lambda_http::Body::Empty)
    ///     .unwrap();
    /// let response = app.handle(request).await;
    /// assert_eq!(response.status().as_u16(), 200);
    /// # }
    /// ```
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let request_id = request_id(&parts.extensions);
        let cors = self.inner.cors.as_ref();
        let allowed_origin = cors.and_then(|cors| cors.allowed_origin(&parts.headers));
        let preflight = cors.is_some() && is_preflight(&parts.method, &parts.headers);

        let mut answered_preflight = false;
        let mut response = match self.dispatch(parts, body, &request_id, preflight) {
            // A panicking handler answers 500 for this request only, with CORS headers and
            // the request id like any other error; the process keeps serving.
            Routed::Handler(future) => match AssertUnwindSafe(future).catch_unwind().await {
                Ok(Ok(response)) => response,
                Ok(Err(error)) => error.into_problem_response(&request_id),
                // The panic hook wrote the panic; the problem response logs the 500.
                Err(_) => {
                    HttpError::internal("handler panicked").into_problem_response(&request_id)
                }
            },
            Routed::Preflight(methods) => {
                answered_preflight = true;
                let mut response = Response::new(Body::Empty);
                *response.status_mut() = StatusCode::NO_CONTENT;
                if let Some(cors) = cors {
                    cors.apply_preflight(allowed_origin.clone(), &methods, response.headers_mut());
                }
                response
            }
            Routed::Rejected(error) => error.into_problem_response(&request_id),
        };

        let headers = response.headers_mut();
        // Lambda and API Gateway ids are visible ASCII; anything else is left out, not fatal.
        if !request_id.is_empty() {
            if let Ok(value) = HeaderValue::from_str(&request_id) {
                headers.insert(REQUEST_ID_HEADER, value);
            }
        }
        if let (Some(cors), false) = (cors, answered_preflight) {
            cors.apply(allowed_origin, headers);
        }
        response
    }

    fn dispatch(
        &self,
        mut parts: Parts,
        body: Body,
        request_id: &Arc<str>,
        preflight: bool,
    ) -> Routed {
        let inner = &*self.inner;
        let raw_path = request_path(&parts);
        let routing_path = inner.routing_path(raw_path);
        let Ok(matched) = inner.matcher.at(routing_path) else {
            return Routed::Rejected(HttpError::not_found(format!(
                "No route matches {} {raw_path}.",
                parts.method
            )));
        };
        let Some(routes) = inner.paths.get(*matched.value) else {
            return Routed::Rejected(HttpError::internal("route table is inconsistent"));
        };
        if preflight {
            return Routed::Preflight(routes.allow.clone());
        }
        let Some(endpoint) = routes
            .endpoints
            .iter()
            .find(|endpoint| endpoint.method == parts.method)
        else {
            return Routed::Rejected(
                HttpError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!(
                        "{} is not allowed on {}; use {}.",
                        parts.method,
                        routes.pattern,
                        routes.allow.to_str().unwrap_or_default()
                    ),
                )
                .with_header(header::ALLOW, routes.allow.clone()),
            );
        };

        let params = match decode_params(&matched.params) {
            Ok(params) => params,
            Err(error) => return Routed::Rejected(error),
        };
        let principal = take_principal(&mut parts.extensions);
        for requirement in &endpoint.requirements {
            if let Err(error) = requirement.check(principal.as_ref()) {
                return Routed::Rejected(error);
            }
        }
        if body.len() > inner.max_body_bytes {
            return Routed::Rejected(HttpError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "The request body is {} bytes; the limit is {} bytes.",
                    body.len(),
                    inner.max_body_bytes
                ),
            ));
        }

        let request = HttpRequest::new(
            parts,
            body,
            Arc::clone(&routes.pattern),
            params,
            principal,
            Arc::clone(request_id),
            Arc::clone(&inner.state),
        );
        Routed::Handler((endpoint.handler)(request))
    }
}

/// `rawPath` as API Gateway sent it; the URI path for requests built without it (tests).
pub(crate) fn request_path(parts: &Parts) -> &str {
    match parts.extensions.raw_http_path() {
        "" => parts.uri.path(),
        raw => raw,
    }
}

impl<S> Inner<S> {
    /// The path the table is matched against: prefix removed, trailing slash ignored.
    fn routing_path<'a>(&self, raw_path: &'a str) -> &'a str {
        let mut path = if raw_path.is_empty() { "/" } else { raw_path };
        if let Some(prefix) = &self.strip_prefix {
            if let Some(rest) = path.strip_prefix(prefix.as_str()) {
                if rest.is_empty() {
                    path = "/";
                } else if rest.starts_with('/') {
                    path = rest;
                }
            }
        }
        without_trailing_slash(path)
    }
}

fn decode_params(params: &matchit::Params<'_, '_>) -> Result<Vec<(String, String)>, HttpError> {
    params
        .iter()
        .map(|(name, raw)| {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map(|value| (name.to_owned(), value.into_owned()))
                .map_err(|_| {
                    HttpError::validation(vec![FieldError::new(
                        name,
                        "is not valid UTF-8 once percent-decoded",
                    )])
                    .with_title("Invalid path parameter")
                })
        })
        .collect()
}

/// The Lambda request id, else API Gateway's `requestContext.requestId`.
fn request_id(extensions: &Extensions) -> Arc<str> {
    if let Some(context) = extensions.lambda_context_ref() {
        if !context.request_id.is_empty() {
            return Arc::from(context.request_id.as_str());
        }
    }
    match extensions.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            Arc::from(context.request_id.as_deref().unwrap_or_default())
        }
        _ => Arc::from(""),
    }
}

/// Moves the JWT claims out of the request context (no copy) into a [`Principal`].
fn take_principal(extensions: &mut Extensions) -> Option<Principal> {
    let Some(RequestContext::ApiGatewayV2(context)) = extensions.get_mut::<RequestContext>() else {
        return None;
    };
    let jwt = context.authorizer.as_mut()?.jwt.take()?;
    Principal::from_claims(jwt.claims, jwt.scopes)
}

impl<S: Send + Sync + 'static> Service<Request> for App<S> {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let app = self.clone();
        Box::pin(async move { Ok(app.handle(request).await) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::Context;

    fn inner(prefix: Option<&str>) -> Inner<()> {
        Inner {
            state: Arc::new(()),
            matcher: matchit::Router::new(),
            paths: Vec::new(),
            cors: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            strip_prefix: prefix.map(str::to_owned),
        }
    }

    #[test]
    fn trailing_slash_is_dropped_except_for_the_root() {
        assert_eq!(without_trailing_slash("/orders/"), "/orders");
        assert_eq!(without_trailing_slash("/orders"), "/orders");
        assert_eq!(without_trailing_slash("/"), "/");
    }

    #[test]
    fn routing_path_strips_the_prefix_on_a_segment_boundary() {
        let with_prefix = inner(Some("/prod"));
        assert_eq!(with_prefix.routing_path("/prod/orders/"), "/orders");
        assert_eq!(with_prefix.routing_path("/prod"), "/");
        assert_eq!(with_prefix.routing_path("/production/x"), "/production/x");
        assert_eq!(with_prefix.routing_path("/orders"), "/orders");
        assert_eq!(inner(None).routing_path(""), "/");
    }

    #[test]
    fn params_are_decoded_or_rejected_by_name() {
        let mut matcher = matchit::Router::new();
        matcher.insert("/a/{first}/{second}", 0).unwrap();
        let matched = matcher.at("/a/x%20y/%E2%82%AC").unwrap();
        assert_eq!(
            decode_params(&matched.params).unwrap(),
            [
                ("first".to_owned(), "x y".to_owned()),
                ("second".to_owned(), "€".to_owned())
            ]
        );
        let matched = matcher.at("/a/ok/%C3").unwrap();
        let error = decode_params(&matched.params).unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.errors()[0].field(), "second");
    }

    #[test]
    fn request_id_prefers_the_lambda_context() {
        let mut extensions = Extensions::new();
        assert_eq!(&*request_id(&extensions), "");
        extensions.insert(Context::default());
        assert_eq!(&*request_id(&extensions), "", "empty id is skipped");
        let mut context = Context::default();
        context.request_id = "lambda-1".into();
        extensions.insert(context);
        assert_eq!(&*request_id(&extensions), "lambda-1");
    }

    #[test]
    fn no_request_context_means_no_principal() {
        assert!(take_principal(&mut Extensions::new()).is_none());
    }

    #[tokio::test]
    async fn empty_request_id_sends_no_header() {
        let app = Router::new()
            .get("/", |_req| async { Ok("root") })
            .build()
            .unwrap();
        let request = lambda_http::http::Request::builder()
            .uri("/")
            .body(Body::Empty)
            .unwrap();
        let response = app.handle(request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(!response.headers().contains_key(REQUEST_ID_HEADER));
    }
}
