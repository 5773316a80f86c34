//! [`HttpRequest`]: what a handler receives.

use std::str::FromStr;
use std::sync::Arc;

use lambda_http::http::{request::Parts, Extensions, HeaderMap, Method};
use lambda_http::{Body, RequestExt};
use serde::de::DeserializeOwned;

use crate::error::{FieldError, HttpError};
use crate::json::{parse_body, Validate};
use crate::principal::Principal;

/// The request as a handler sees it: matched route, decoded path parameters, query,
/// headers, body, the caller and the request id, plus the router's shared state `S`.
///
/// ```
/// use ferrule_http::{HttpError, HttpRequest, Json};
///
/// struct Shop { currency: &'static str }
///
/// async fn get_order(req: HttpRequest<Shop>) -> Result<Json<serde_json::Value>, HttpError> {
///     let id = req.param("id")?;
///     let detailed = req.query_as::<bool>("detailed")?.unwrap_or(false);
///     Ok(Json(serde_json::json!({
///         "id": id,
///         "currency": req.state().currency,
///         "detailed": detailed,
///         "requestId": req.request_id(),
///     })))
/// }
/// # let _ = get_order;
/// ```
pub struct HttpRequest<S = ()> {
    parts: Parts,
    body: Body,
    route: Arc<str>,
    params: Vec<(String, String)>,
    principal: Option<Principal>,
    request_id: Arc<str>,
    state: Arc<S>,
}

impl<S> HttpRequest<S> {
    pub(crate) fn new(
        parts: Parts,
        body: Body,
        route: Arc<str>,
        params: Vec<(String, String)>,
        principal: Option<Principal>,
        request_id: Arc<str>,
        state: Arc<S>,
    ) -> Self {
        Self {
            parts,
            body,
            route,
            params,
            principal,
            request_id,
            state,
        }
    }

    /// The state given to [`Router::with_state`](crate::Router::with_state).
    pub fn state(&self) -> &S {
        &self.state
    }

    /// The state as a shared pointer, for work that outlives the request borrow.
    pub fn shared_state(&self) -> Arc<S> {
        Arc::clone(&self.state)
    }

    /// The HTTP method.
    pub fn method(&self) -> &Method {
        &self.parts.method
    }

    /// The request path as received (`rawPath`, still percent-encoded).
    pub fn path(&self) -> &str {
        crate::router::request_path(&self.parts)
    }

    /// The route pattern that matched, such as `/orders/{id}` (good for metrics labels).
    pub fn route(&self) -> &str {
        &self.route
    }

    /// A path parameter, percent-decoded.
    ///
    /// A name the route does not declare is a programming error: 500, logged.
    pub fn param(&self, name: &str) -> Result<&str, HttpError> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| {
                HttpError::internal(format_args!(
                    "route `{}` has no path parameter `{name}`",
                    self.route
                ))
            })
    }

    /// A path parameter parsed with [`FromStr`]; 400 naming the parameter when it does not parse.
    ///
    /// ```
    /// # use ferrule_http::{HttpError, HttpRequest};
    /// async fn page(req: HttpRequest) -> Result<String, HttpError> {
    ///     let number: u32 = req.param_as("number")?; // `/pages/x` → 400 naming `number`
    ///     Ok(format!("page {number}"))
    /// }
    /// # let _ = page;
    /// ```
    pub fn param_as<T>(&self, name: &str) -> Result<T, HttpError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        let raw = self.param(name)?;
        raw.parse()
            .map_err(|error| invalid_parameter("path", name, error))
    }

    /// All path parameters, in route order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first value of a query parameter, decoded.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.parts
            .extensions
            .query_string_parameters_ref()
            .and_then(|query| query.first(name))
    }

    /// Every value of a repeated query parameter (`?tag=a&tag=b`).
    ///
    /// ```
    /// # use ferrule_http::{HttpError, HttpRequest};
    /// async fn search(req: HttpRequest) -> Result<String, HttpError> {
    ///     let q = req.query("q").unwrap_or_default();
    ///     Ok(format!("{q} tagged {}", req.query_all("tag").join("+")))
    /// }
    /// # let _ = search;
    /// ```
    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.parts
            .extensions
            .query_string_parameters_ref()
            .and_then(|query| query.all(name))
            .unwrap_or_default()
    }

    /// A query parameter parsed with [`FromStr`]: `Ok(None)` when absent, 400 naming the
    /// parameter when it does not parse.
    pub fn query_as<T>(&self, name: &str) -> Result<Option<T>, HttpError>
    where
        T: FromStr,
        T::Err: std::fmt::Display,
    {
        self.query(name)
            .map(|raw| {
                raw.parse()
                    .map_err(|error| invalid_parameter("query", name, error))
            })
            .transpose()
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.parts.headers
    }

    /// One header as text; `None` when absent or not visible ASCII.
    ///
    /// ```
    /// # use ferrule_http::{HttpError, HttpRequest};
    /// async fn echo(req: HttpRequest) -> Result<String, HttpError> {
    ///     let key = req.header("idempotency-key").ok_or_else(|| {
    ///         HttpError::bad_request("the Idempotency-Key header is required")
    ///     })?;
    ///     Ok(format!("{key}: {} bytes", req.body().len()))
    /// }
    /// # let _ = echo;
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.parts.headers.get(name)?.to_str().ok()
    }

    /// The raw body bytes (already base64-decoded when API Gateway encoded them).
    pub fn body(&self) -> &[u8] {
        self.body.as_ref()
    }

    /// The body as JSON `T`.
    ///
    /// 400 for an empty body, malformed JSON (with line and column) or a document of
    /// the wrong shape (with the field path in `errors`); 415 when the Content-Type is
    /// not `application/json` or `application/*+json`.
    ///
    /// ```
    /// # use ferrule_http::{HttpError, HttpRequest, NoContent};
    /// #[derive(serde::Deserialize)]
    /// #[serde(deny_unknown_fields)]
    /// struct Rename { name: String }
    ///
    /// async fn rename(req: HttpRequest) -> Result<NoContent, HttpError> {
    ///     let Rename { name } = req.json()?;
    ///     # let _ = name;
    ///     Ok(NoContent)
    /// }
    /// # let _ = rename;
    /// ```
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        parse_body(&self.parts.headers, self.body.as_ref())
    }

    /// [`json`](Self::json), then [`Validate::validate`]: 400 listing each failed field.
    ///
    /// ```
    /// # use ferrule_http::{HttpError, HttpRequest, NoContent, Validate, ValidationErrors};
    /// #[derive(serde::Deserialize)]
    /// struct Line { quantity: u32 }
    ///
    /// impl Validate for Line {
    ///     fn validate(&self) -> Result<(), ValidationErrors> {
    ///         let mut errors = ValidationErrors::new();
    ///         if self.quantity == 0 {
    ///             errors.add("quantity", "must be at least 1");
    ///         }
    ///         errors.into_result()
    ///     }
    /// }
    ///
    /// async fn add_line(req: HttpRequest) -> Result<NoContent, HttpError> {
    ///     let line: Line = req.valid_json()?; // quantity 0 → 400, errors[0].field = "quantity"
    ///     # let _ = line;
    ///     Ok(NoContent)
    /// }
    /// # let _ = add_line;
    /// ```
    pub fn valid_json<T: DeserializeOwned + Validate>(&self) -> Result<T, HttpError> {
        let value: T = self.json()?;
        value.validate()?;
        Ok(value)
    }

    /// The caller, when the JWT authorizer passed claims with a `sub`.
    ///
    /// ```
    /// # use ferrule_http::{HttpError, HttpRequest};
    /// async fn greet(req: HttpRequest) -> Result<String, HttpError> {
    ///     Ok(match req.principal().and_then(|p| p.email.as_deref()) {
    ///         Some(email) => format!("Hello, {email}"),
    ///         None => "Hello, stranger".to_owned(),
    ///     })
    /// }
    /// # let _ = greet;
    /// ```
    pub fn principal(&self) -> Option<&Principal> {
        self.principal.as_ref()
    }

    /// The caller, or 401 when there is none.
    ///
    /// ```
    /// # use ferrule_http::{HttpError, HttpRequest};
    /// async fn me(req: HttpRequest) -> Result<String, HttpError> {
    ///     Ok(req.require_principal()?.subject.clone())
    /// }
    /// # let _ = me;
    /// ```
    pub fn require_principal(&self) -> Result<&Principal, HttpError> {
        self.principal().ok_or_else(|| {
            HttpError::unauthorized(
                "This route requires a signed-in caller; no JWT claims came with the request.",
            )
        })
    }

    /// The Lambda request id (`x-request-id` of the response).
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The `lambda_http` extensions (request context, Lambda context, stage variables),
    /// for what this type does not expose; read them with [`lambda_http::RequestExt`].
    pub fn extensions(&self) -> &Extensions {
        &self.parts.extensions
    }
}

fn invalid_parameter(kind: &str, name: &str, error: impl std::fmt::Display) -> HttpError {
    HttpError::validation(vec![FieldError::new(name, error.to_string())])
        .with_title(format!("Invalid {kind} parameter"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::{header, Request, StatusCode};

    fn request(builder: lambda_http::http::request::Builder, body: &str) -> HttpRequest<u8> {
        let (parts, _) = builder.body(()).unwrap().into_parts();
        HttpRequest::new(
            parts,
            Body::from(body),
            Arc::from("/orders/{id}"),
            vec![("id".to_owned(), "o 1".to_owned())],
            None,
            Arc::from("req-1"),
            Arc::new(7),
        )
    }

    fn plain() -> HttpRequest<u8> {
        request(Request::builder().uri("/orders/o%201"), "")
    }

    #[test]
    fn exposes_route_path_params_state_and_request_id() {
        let req = plain();
        assert_eq!(req.route(), "/orders/{id}");
        assert_eq!(req.path(), "/orders/o%201");
        assert_eq!(req.param("id").unwrap(), "o 1");
        assert_eq!(req.params().collect::<Vec<_>>(), [("id", "o 1")]);
        assert_eq!(*req.state(), 7);
        assert_eq!(*req.shared_state(), 7);
        assert_eq!(req.request_id(), "req-1");
        assert_eq!(req.method(), Method::GET);
        assert!(req.body().is_empty());
        assert!(req.principal().is_none());
    }

    #[test]
    fn undeclared_param_is_an_internal_error_naming_it() {
        let error = plain().param("order_id").unwrap_err();
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(error.to_string().contains("`order_id`"), "{error}");
    }

    #[test]
    fn param_that_does_not_parse_is_400_naming_it() {
        let error = plain().param_as::<u64>("id").unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.title(), "Invalid path parameter");
        assert_eq!(error.errors()[0].field(), "id");
        assert_eq!(plain().param_as::<String>("id").unwrap(), "o 1");
    }

    #[test]
    fn absent_query_is_none_not_an_error() {
        let req = plain();
        assert_eq!(req.query("limit"), None);
        assert!(req.query_all("tag").is_empty());
        assert_eq!(req.query_as::<u32>("limit").unwrap(), None);
    }

    #[test]
    fn headers_that_are_not_text_read_as_none() {
        let req = request(
            Request::builder().header("x-plain", "yes").header(
                "x-binary",
                header::HeaderValue::from_bytes(&[0xFF]).unwrap(),
            ),
            "",
        );
        assert_eq!(req.header("x-plain"), Some("yes"));
        assert_eq!(req.header("x-binary"), None);
        assert_eq!(req.header("x-absent"), None);
        assert_eq!(req.headers().len(), 2);
    }

    #[test]
    fn require_principal_without_claims_is_401() {
        let error = plain().require_principal().unwrap_err();
        assert_eq!(error.status(), StatusCode::UNAUTHORIZED);
    }

    #[derive(Debug, serde::Deserialize)]
    struct Quantity {
        quantity: u32,
    }

    impl Validate for Quantity {
        fn validate(&self) -> Result<(), crate::ValidationErrors> {
            let mut errors = crate::ValidationErrors::new();
            if self.quantity == 0 {
                errors.add("quantity", "must be at least 1");
            }
            errors.into_result()
        }
    }

    #[test]
    fn json_then_validation() {
        let json = |body| {
            request(
                Request::builder().header("content-type", "application/json"),
                body,
            )
        };
        assert_eq!(
            json(r#"{"quantity":3}"#)
                .valid_json::<Quantity>()
                .unwrap()
                .quantity,
            3
        );
        let invalid = json(r#"{"quantity":0}"#)
            .valid_json::<Quantity>()
            .unwrap_err();
        assert_eq!(invalid.errors()[0].field(), "quantity");
        let malformed = json("{").json::<Quantity>().unwrap_err();
        assert_eq!(malformed.title(), "Malformed JSON");
        let empty = plain().json::<Quantity>().unwrap_err();
        assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    }
}
