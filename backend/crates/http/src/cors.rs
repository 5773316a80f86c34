//! CORS: preflight answers and `Access-Control-*` headers on normal responses.

use std::time::Duration;

use lambda_http::http::{header, HeaderMap, HeaderValue, Method};

use crate::router::RouterError;

/// Headers browsers may send, as Powertools allows by default.
const DEFAULT_ALLOW_HEADERS: &str =
    "authorization,content-type,x-amz-date,x-api-key,x-amz-security-token";

/// CORS settings for [`Router::cors`](crate::Router::cors).
///
/// Use it when the function answers CORS itself; when the HTTP API's own CORS
/// configuration is on, API Gateway answers preflights and overwrites these headers, so
/// configure one or the other, not both.
///
/// ```
/// use std::time::Duration;
/// use ferrule_http::Cors;
///
/// let cors = Cors::allow_origins(["https://app.example.com"])
///     .allow_headers(["authorization", "content-type", "idempotency-key"])
///     .max_age(Duration::from_secs(600));
/// # let _ = cors;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors {
    origins: Option<Vec<String>>,
    methods: Option<Vec<Method>>,
    headers: Option<Vec<String>>,
    expose_headers: Vec<String>,
    max_age: Option<Duration>,
    credentials: bool,
}

impl Cors {
    /// Any origin (`Access-Control-Allow-Origin: *`); cannot be combined with credentials.
    ///
    /// ```
    /// let cors = ferrule_http::Cors::allow_any_origin();
    /// # let _ = cors;
    /// ```
    pub fn allow_any_origin() -> Self {
        Self::with_origins(None)
    }

    /// Exactly these origins (`scheme://host[:port]`, no path); others get no CORS headers.
    ///
    /// ```
    /// let cors = ferrule_http::Cors::allow_origins(["https://app.example.com", "http://localhost:5173"]);
    /// # let _ = cors;
    /// ```
    pub fn allow_origins<I, O>(origins: I) -> Self
    where
        I: IntoIterator<Item = O>,
        O: Into<String>,
    {
        Self::with_origins(Some(origins.into_iter().map(Into::into).collect()))
    }

    fn with_origins(origins: Option<Vec<String>>) -> Self {
        Self {
            origins,
            methods: None,
            headers: None,
            expose_headers: vec!["x-request-id".to_owned()],
            max_age: None,
            credentials: false,
        }
    }

    /// Methods a preflight allows; by default the methods registered for the path.
    ///
    /// ```
    /// use ferrule_http::{http::Method, Cors};
    /// let cors = Cors::allow_any_origin().allow_methods([Method::GET, Method::POST]);
    /// # let _ = cors;
    /// ```
    pub fn allow_methods(mut self, methods: impl IntoIterator<Item = Method>) -> Self {
        self.methods = Some(methods.into_iter().collect());
        self
    }

    /// Request headers a preflight allows; by default `authorization`, `content-type`,
    /// `x-amz-date`, `x-api-key`, `x-amz-security-token`.
    ///
    /// ```
    /// let cors = ferrule_http::Cors::allow_any_origin().allow_headers(["content-type"]);
    /// # let _ = cors;
    /// ```
    pub fn allow_headers<I, H>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = H>,
        H: Into<String>,
    {
        self.headers = Some(headers.into_iter().map(Into::into).collect());
        self
    }

    /// Response headers the browser lets scripts read; by default `x-request-id`.
    ///
    /// ```
    /// let cors = ferrule_http::Cors::allow_any_origin().expose_headers(["x-request-id", "etag"]);
    /// # let _ = cors;
    /// ```
    pub fn expose_headers<I, H>(mut self, headers: I) -> Self
    where
        I: IntoIterator<Item = H>,
        H: Into<String>,
    {
        self.expose_headers = headers.into_iter().map(Into::into).collect();
        self
    }

    /// How long browsers may cache a preflight answer (`Access-Control-Max-Age`).
    ///
    /// ```
    /// let cors = ferrule_http::Cors::allow_any_origin().max_age(std::time::Duration::from_secs(300));
    /// # let _ = cors;
    /// ```
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Sends `Access-Control-Allow-Credentials: true` (cookies, TLS client certificates).
    /// Not needed for `Authorization: Bearer` tokens.
    ///
    /// ```
    /// let cors = ferrule_http::Cors::allow_origins(["https://app.example.com"]).allow_credentials();
    /// # let _ = cors;
    /// ```
    pub fn allow_credentials(mut self) -> Self {
        self.credentials = true;
        self
    }

    /// Checks the settings and renders the header values once, at build time.
    pub(crate) fn compile(self) -> Result<CompiledCors, RouterError> {
        let origins = match self.origins {
            None if self.credentials => return Err(RouterError::CorsAnyOriginWithCredentials),
            None => None,
            Some(origins) => {
                let mut compiled = Vec::with_capacity(origins.len());
                for origin in origins {
                    if !is_serialized_origin(&origin) {
                        return Err(RouterError::CorsInvalidOrigin(origin));
                    }
                    let value = header_value(&origin)?;
                    compiled.push((origin, value));
                }
                Some(compiled)
            }
        };
        let methods = match self.methods {
            Some(methods) => Some(header_value(&join(methods.iter().map(Method::as_str)))?),
            None => None,
        };
        let allow_headers = match self.headers {
            Some(headers) => header_value(&join(headers.iter().map(String::as_str)))?,
            None => HeaderValue::from_static(DEFAULT_ALLOW_HEADERS),
        };
        let expose_headers = if self.expose_headers.is_empty() {
            None
        } else {
            Some(header_value(&join(
                self.expose_headers.iter().map(String::as_str),
            ))?)
        };
        let max_age = match self.max_age {
            Some(age) => Some(header_value(&age.as_secs().to_string())?),
            None => None,
        };
        Ok(CompiledCors {
            origins,
            methods,
            allow_headers,
            expose_headers,
            max_age,
            credentials: self.credentials,
        })
    }
}

/// `scheme://host[:port]` with no path, query or trailing slash, as browsers send `Origin`.
fn is_serialized_origin(origin: &str) -> bool {
    let Some((scheme, rest)) = origin.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !rest.contains(['/', '?', '#', ' '])
}

fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join(",")
}

fn header_value(text: &str) -> Result<HeaderValue, RouterError> {
    HeaderValue::from_str(text).map_err(|_| RouterError::CorsInvalidHeaderValue(text.to_owned()))
}

/// [`Cors`] with every header value ready; per request only the origin is compared.
#[derive(Debug, Clone)]
pub(crate) struct CompiledCors {
    /// `None`: any origin.
    origins: Option<Vec<(String, HeaderValue)>>,
    methods: Option<HeaderValue>,
    allow_headers: HeaderValue,
    expose_headers: Option<HeaderValue>,
    max_age: Option<HeaderValue>,
    credentials: bool,
}

impl CompiledCors {
    /// The `Access-Control-Allow-Origin` value for this request's `Origin`, if allowed.
    pub(crate) fn allowed_origin(&self, request_headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = request_headers.get(header::ORIGIN)?;
        match &self.origins {
            None => Some(HeaderValue::from_static("*")),
            Some(list) => {
                let origin = origin.to_str().ok()?;
                list.iter()
                    .find(|(allowed, _)| allowed == origin)
                    .map(|(_, value)| value.clone())
            }
        }
    }

    /// Headers for a normal (non-preflight) response.
    pub(crate) fn apply(&self, allowed_origin: Option<HeaderValue>, headers: &mut HeaderMap) {
        self.apply_common(allowed_origin.is_some(), headers);
        let Some(origin) = allowed_origin else {
            return;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if let Some(expose) = &self.expose_headers {
            headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, expose.clone());
        }
    }

    /// Headers for a preflight answer; `path_methods` is the path's registered methods.
    pub(crate) fn apply_preflight(
        &self,
        allowed_origin: Option<HeaderValue>,
        path_methods: &HeaderValue,
        headers: &mut HeaderMap,
    ) {
        self.apply_common(allowed_origin.is_some(), headers);
        let Some(origin) = allowed_origin else {
            return;
        };
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        let methods = self.methods.as_ref().unwrap_or(path_methods);
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, methods.clone());
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            self.allow_headers.clone(),
        );
        if let Some(max_age) = &self.max_age {
            headers.insert(header::ACCESS_CONTROL_MAX_AGE, max_age.clone());
        }
    }

    fn apply_common(&self, allowed: bool, headers: &mut HeaderMap) {
        // With a list of origins the answer depends on `Origin`, so caches must key on it.
        if self.origins.is_some() {
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        if allowed && self.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
    }
}

/// A CORS preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
pub(crate) fn is_preflight(method: &Method, headers: &HeaderMap) -> bool {
    method == Method::OPTIONS
        && headers.contains_key(header::ORIGIN)
        && headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_origin(origin: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ORIGIN, origin.parse().unwrap());
        headers
    }

    #[test]
    fn list_allows_only_listed_origins_and_varies() {
        let cors = Cors::allow_origins(["https://app.example.com"])
            .compile()
            .unwrap();
        let allowed = cors.allowed_origin(&with_origin("https://app.example.com"));
        assert_eq!(allowed.as_ref().unwrap(), "https://app.example.com");
        assert!(cors
            .allowed_origin(&with_origin("https://evil.example.com"))
            .is_none());
        assert!(cors.allowed_origin(&HeaderMap::new()).is_none());

        let mut headers = HeaderMap::new();
        cors.apply(allowed, &mut headers);
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example.com"
        );
        assert_eq!(headers["access-control-expose-headers"], "x-request-id");
        assert_eq!(headers["vary"], "Origin");

        let mut denied = HeaderMap::new();
        cors.apply(None, &mut denied);
        assert!(!denied.contains_key("access-control-allow-origin"));
        assert_eq!(denied["vary"], "Origin");
    }

    #[test]
    fn any_origin_is_a_star_without_vary() {
        let cors = Cors::allow_any_origin().compile().unwrap();
        let allowed = cors.allowed_origin(&with_origin("https://x.example"));
        let mut headers = HeaderMap::new();
        cors.apply(allowed, &mut headers);
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(!headers.contains_key("vary"));
    }

    #[test]
    fn preflight_headers_default_to_path_methods() {
        let cors = Cors::allow_origins(["https://app.example.com"])
            .max_age(Duration::from_secs(600))
            .allow_credentials()
            .compile()
            .unwrap();
        let origin = cors.allowed_origin(&with_origin("https://app.example.com"));
        let mut headers = HeaderMap::new();
        cors.apply_preflight(origin, &HeaderValue::from_static("GET,POST"), &mut headers);
        assert_eq!(headers["access-control-allow-methods"], "GET,POST");
        assert_eq!(
            headers["access-control-allow-headers"],
            DEFAULT_ALLOW_HEADERS
        );
        assert_eq!(headers["access-control-max-age"], "600");
        assert_eq!(headers["access-control-allow-credentials"], "true");
    }

    #[test]
    fn configured_methods_and_headers_win() {
        let cors = Cors::allow_any_origin()
            .allow_methods([Method::GET])
            .allow_headers(["content-type", "idempotency-key"])
            .compile()
            .unwrap();
        let origin = cors.allowed_origin(&with_origin("https://x.example"));
        let mut headers = HeaderMap::new();
        cors.apply_preflight(origin, &HeaderValue::from_static("GET,POST"), &mut headers);
        assert_eq!(headers["access-control-allow-methods"], "GET");
        assert_eq!(
            headers["access-control-allow-headers"],
            "content-type,idempotency-key"
        );
        assert!(!headers.contains_key("access-control-max-age"));
    }

    #[test]
    fn denied_preflight_gets_no_allow_headers() {
        let cors = Cors::allow_origins(["https://app.example.com"])
            .compile()
            .unwrap();
        let mut headers = HeaderMap::new();
        cors.apply_preflight(None, &HeaderValue::from_static("GET"), &mut headers);
        assert!(!headers.contains_key("access-control-allow-origin"));
        assert!(!headers.contains_key("access-control-allow-methods"));
    }

    #[test]
    fn any_origin_with_credentials_is_refused() {
        let error = Cors::allow_any_origin()
            .allow_credentials()
            .compile()
            .unwrap_err();
        assert!(matches!(error, RouterError::CorsAnyOriginWithCredentials));
    }

    #[test]
    fn origins_must_be_serialized_origins() {
        for bad in [
            "app.example.com",
            "https://app.example.com/",
            "https://app.example.com/path",
            "https://",
            "*",
        ] {
            let error = Cors::allow_origins([bad]).compile().unwrap_err();
            assert!(error.to_string().contains(bad), "{error}");
        }
        assert!(Cors::allow_origins(["http://localhost:5173"])
            .compile()
            .is_ok());
    }

    #[test]
    fn header_names_must_be_valid_header_values() {
        let error = Cors::allow_any_origin()
            .allow_headers(["content-type\n"])
            .compile()
            .unwrap_err();
        assert!(matches!(error, RouterError::CorsInvalidHeaderValue(_)));
    }

    #[test]
    fn preflight_needs_options_origin_and_request_method() {
        let mut headers = with_origin("https://x.example");
        assert!(!is_preflight(&Method::OPTIONS, &headers));
        headers.insert(
            header::ACCESS_CONTROL_REQUEST_METHOD,
            HeaderValue::from_static("POST"),
        );
        assert!(is_preflight(&Method::OPTIONS, &headers));
        assert!(!is_preflight(&Method::POST, &headers));
    }
}
