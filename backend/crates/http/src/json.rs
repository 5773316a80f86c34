//! JSON bodies in and out: content-type checks, parse errors that say where, validation.

use lambda_http::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use lambda_http::Body;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{FieldError, HttpError};
use crate::response::IntoReply;

/// A JSON response body: `Ok(Json(order))` answers 200 with `application/json`.
///
/// ```
/// use ferrule_http::{IntoReply, Json};
/// let response = Json(serde_json::json!({"id": "o-1"})).into_reply().unwrap();
/// assert_eq!(response.status().as_u16(), 200);
/// assert_eq!(response.headers()["content-type"], "application/json");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoReply for Json<T> {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        let body = serde_json::to_string(&self.0).map_err(|error| {
            HttpError::internal(format_args!("response body does not serialise: {error}"))
        })?;
        let mut response = Response::new(Body::Text(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        Ok(response)
    }
}

/// Rules a request body must follow beyond its shape; checked by
/// [`HttpRequest::valid_json`](crate::HttpRequest::valid_json).
///
/// ```
/// use ferrule_http::{Validate, ValidationErrors};
///
/// struct NewOrder { sku: String, quantity: u32 }
///
/// impl Validate for NewOrder {
///     fn validate(&self) -> Result<(), ValidationErrors> {
///         let mut errors = ValidationErrors::new();
///         if self.sku.trim().is_empty() {
///             errors.add("sku", "must not be empty");
///         }
///         if self.quantity == 0 {
///             errors.add("quantity", "must be at least 1");
///         }
///         errors.into_result()
///     }
/// }
///
/// let errors = NewOrder { sku: "A-1".into(), quantity: 0 }.validate().unwrap_err();
/// assert_eq!(errors.as_slice()[0].field(), "quantity");
/// ```
pub trait Validate {
    /// `Ok(())` when the value may be used, otherwise every field that fails.
    fn validate(&self) -> Result<(), ValidationErrors>;
}

/// The fields a [`Validate`] implementation rejected; becomes a 400 problem.
///
/// ```
/// use ferrule_http::ValidationErrors;
/// let mut errors = ValidationErrors::new();
/// assert!(errors.is_empty());
/// errors.add("quantity", "must be at least 1");
/// assert!(errors.into_result().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` fails with `message`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) -> &mut Self {
        self.0.push(FieldError::new(field, message));
        self
    }

    /// Whether nothing failed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The failures, in the order they were added.
    pub fn as_slice(&self) -> &[FieldError] {
        &self.0
    }

    /// `Ok(())` when empty, otherwise `Err(self)`.
    pub fn into_result(self) -> Result<(), ValidationErrors> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }
}

impl From<ValidationErrors> for HttpError {
    fn from(errors: ValidationErrors) -> Self {
        HttpError::validation(errors.0)
    }
}

/// Checks the content type, then parses `body` into `T`.
pub(crate) fn parse_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, HttpError> {
    if body.is_empty() {
        return Err(HttpError::bad_request(
            "The request body is empty; a JSON document is required.",
        ));
    }
    check_json_content_type(headers)?;
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        json_error(&path, error.into_inner())
    })?;
    // Rejects trailing data after the document, such as `{...}{...}`.
    deserializer.end().map_err(|error| json_error(".", error))?;
    Ok(value)
}

/// Accepts `application/json` and `application/*+json`, in UTF-8 only (RFC 8259 §8.1).
fn check_json_content_type(headers: &HeaderMap) -> Result<(), HttpError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Err(unsupported(
            "The request has a body but no Content-Type; send application/json.".into(),
        ));
    };
    let text = value.to_str().unwrap_or_default();
    let Ok(media) = text.parse::<mime::Mime>() else {
        return Err(unsupported(format!(
            "Content-Type `{text}` is not a media type; send application/json."
        )));
    };
    let is_json = media.type_() == mime::APPLICATION
        && (media.subtype() == mime::JSON || media.suffix() == Some(mime::JSON));
    if !is_json {
        return Err(unsupported(format!(
            "Content-Type `{}` is not supported; send application/json.",
            media.essence_str()
        )));
    }
    if let Some(charset) = media.get_param(mime::CHARSET) {
        if charset != mime::UTF_8 {
            return Err(unsupported(format!(
                "charset `{charset}` is not supported; JSON must be UTF-8."
            )));
        }
    }
    Ok(())
}

fn unsupported(detail: String) -> HttpError {
    HttpError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, detail)
}

/// Turns a serde_json error into a 400 that says where: line and column for malformed
/// JSON, the field path for a document of the wrong shape.
fn json_error(path: &str, error: serde_json::Error) -> HttpError {
    let message = without_position(&error);
    if !error.is_data() {
        return HttpError::bad_request(format!(
            "The request body is not valid JSON: {message} at line {}, column {}.",
            error.line(),
            error.column()
        ))
        .with_title("Malformed JSON");
    }
    let field = field_path(path, &message);
    HttpError::validation(vec![FieldError::new(field, message)]).with_title("Invalid request body")
}

/// serde_json's `Display` ends with " at line L column C"; the position is reported
/// separately, so it is cut from the message.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_owned(),
        None => text,
    }
}

/// The body path of a data error. serde reports missing and unknown fields only in its
/// message ("missing field `quantity`"), with the path of the enclosing object, so the
/// field name is taken from the message: serde exposes no structured form of it.
fn field_path(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let parent = if path == "." { "" } else { path };
    match (named, parent) {
        (Some(name), "") => name.to_owned(),
        (Some(name), parent) if !parent.ends_with(name) => format!("{parent}.{name}"),
        (_, "") => "$".to_owned(),
        (_, parent) => parent.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Line {
        sku: String,
        quantity: u32,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct NewOrder {
        customer: String,
        lines: Vec<Line>,
    }

    fn json_headers(content_type: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, content_type.parse().unwrap());
        headers
    }

    fn parse(body: &str) -> Result<NewOrder, HttpError> {
        parse_body(&json_headers("application/json"), body.as_bytes())
    }

    const VALID: &str = r#"{"customer":"c-1","lines":[{"sku":"A-1","quantity":2}]}"#;

    #[test]
    fn accepts_json_media_types() {
        for content_type in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON; charset=UTF-8",
            "application/merge-patch+json",
            "application/vnd.orders.v1+json",
        ] {
            let parsed: Result<NewOrder, _> =
                parse_body(&json_headers(content_type), VALID.as_bytes());
            assert!(parsed.is_ok(), "{content_type}: {parsed:?}");
        }
    }

    #[test]
    fn rejects_other_media_types_with_415() {
        for content_type in [
            "text/plain",
            "application/xml",
            "application/x-www-form-urlencoded",
            "application/json; charset=latin1",
            "not a media type",
        ] {
            let error =
                parse_body::<NewOrder>(&json_headers(content_type), VALID.as_bytes()).unwrap_err();
            assert_eq!(
                error.status(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{content_type}"
            );
        }
        let error = parse_body::<NewOrder>(&HeaderMap::new(), VALID.as_bytes()).unwrap_err();
        assert_eq!(error.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert!(error.detail().contains("no Content-Type"), "{error}");
    }

    #[test]
    fn empty_body_is_400_before_the_content_type_check() {
        let error = parse_body::<NewOrder>(&HeaderMap::new(), b"").unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert!(error.detail().contains("empty"), "{error}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let error = parse("{\n  \"customer\": \"c-1\",\n  \"lines\": [,]\n}").unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.title(), "Malformed JSON");
        assert!(error.detail().contains("line 3, column 13"), "{error}");
        assert!(error.errors().is_empty());
    }

    #[test]
    fn truncated_json_is_malformed() {
        let error = parse(r#"{"customer":"c-1""#).unwrap_err();
        assert_eq!(error.title(), "Malformed JSON");
        assert!(error.detail().contains("EOF"), "{error}");
    }

    #[test]
    fn trailing_data_is_malformed() {
        let error = parse(&format!("{VALID}{{}}")).unwrap_err();
        assert_eq!(error.title(), "Malformed JSON");
        assert!(error.detail().contains("trailing characters"), "{error}");
    }

    #[test]
    fn wrong_type_names_the_nested_field() {
        let error =
            parse(r#"{"customer":"c-1","lines":[{"sku":"A-1","quantity":"two"}]}"#).unwrap_err();
        assert_eq!(error.title(), "Invalid request body");
        assert_eq!(error.errors()[0].field(), "lines[0].quantity");
        assert!(
            error.errors()[0]
                .message()
                .starts_with("invalid type: string"),
            "{error}"
        );
    }

    #[test]
    fn missing_field_is_named() {
        let error = parse(r#"{"customer":"c-1","lines":[{"sku":"A-1"}]}"#).unwrap_err();
        assert_eq!(error.errors()[0].field(), "lines[0].quantity");
        assert_eq!(error.errors()[0].message(), "missing field `quantity`");
        let error = parse(r#"{"lines":[]}"#).unwrap_err();
        assert_eq!(error.errors()[0].field(), "customer");
    }

    #[test]
    fn unknown_field_is_named_when_denied() {
        let error = parse(r#"{"customer":"c-1","lines":[],"coupon":"FREE"}"#).unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.errors()[0].field(), "coupon");
        assert!(
            error.errors()[0]
                .message()
                .starts_with("unknown field `coupon`"),
            "{error}"
        );
        let nested =
            parse(r#"{"customer":"c-1","lines":[{"sku":"A","quantity":1,"colour":"red"}]}"#)
                .unwrap_err();
        assert_eq!(nested.errors()[0].field(), "lines[0].colour");
    }

    #[test]
    fn wrong_top_level_type_is_the_whole_body() {
        let error = parse("42").unwrap_err();
        assert_eq!(error.errors()[0].field(), "$");
        assert!(error.errors()[0]
            .message()
            .contains("expected struct NewOrder"));
    }

    #[test]
    fn validation_errors_become_a_400_listing_fields() {
        let mut errors = ValidationErrors::new();
        errors
            .add("quantity", "must be at least 1")
            .add("sku", "must not be empty");
        let error: HttpError = errors.into_result().unwrap_err().into();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.errors().len(), 2);
        assert!(ValidationErrors::new().into_result().is_ok());
    }

    #[test]
    fn json_reply_serialises_with_content_type() {
        let response = Json(vec![1, 2]).into_reply().unwrap();
        assert_eq!(response.body().as_ref(), b"[1,2]");
    }

    #[test]
    fn unserialisable_reply_is_an_internal_error() {
        let mut map = std::collections::HashMap::new();
        map.insert(vec![1u8], 1);
        let error = Json(map).into_reply().unwrap_err();
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
