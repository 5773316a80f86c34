//! What a handler may return on success.

use lambda_http::http::{header, HeaderValue, Response, StatusCode};
use lambda_http::Body;
use serde::Serialize;

use crate::error::HttpError;
use crate::json::Json;

/// A value a handler returns on success, turned into the response.
///
/// Implemented for [`Json`], [`Created`], [`NoContent`], [`StatusCode`] (empty body),
/// `String` / `&'static str` (text), `(StatusCode, R)` to change the status of any
/// of these, and `Response<Body>` as the escape hatch for anything else.
///
/// ```
/// use ferrule_http::{http::StatusCode, IntoReply, Json};
/// let response = (StatusCode::ACCEPTED, Json(vec!["queued"])).into_reply().unwrap();
/// assert_eq!(response.status(), StatusCode::ACCEPTED);
/// ```
pub trait IntoReply {
    /// The response, or the error to answer with instead (for example when the body
    /// does not serialise).
    fn into_reply(self) -> Result<Response<Body>, HttpError>;
}

impl IntoReply for Response<Body> {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        Ok(self)
    }
}

impl IntoReply for StatusCode {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = self;
        Ok(response)
    }
}

impl IntoReply for String {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        Ok(text(Body::Text(self)))
    }
}

impl IntoReply for &'static str {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        Ok(text(Body::Text(self.to_owned())))
    }
}

fn text(body: Body) -> Response<Body> {
    let mut response = Response::new(body);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

impl<R: IntoReply> IntoReply for (StatusCode, R) {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        let (status, reply) = self;
        let mut response = reply.into_reply()?;
        *response.status_mut() = status;
        Ok(response)
    }
}

/// 204 No Content.
///
/// ```
/// use ferrule_http::{IntoReply, NoContent};
/// assert_eq!(NoContent.into_reply().unwrap().status().as_u16(), 204);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoContent;

impl IntoReply for NoContent {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        StatusCode::NO_CONTENT.into_reply()
    }
}

/// 201 Created with a `Location` header and a JSON body.
///
/// ```
/// use ferrule_http::{Created, IntoReply};
/// let response = Created::new("/orders/o-1", serde_json::json!({"id": "o-1"}))
///     .into_reply()
///     .unwrap();
/// assert_eq!(response.status().as_u16(), 201);
/// assert_eq!(response.headers()["location"], "/orders/o-1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created<T> {
    location: String,
    body: T,
}

impl<T: Serialize> Created<T> {
    /// The new resource lives at `location`; `body` is its JSON representation.
    pub fn new(location: impl Into<String>, body: T) -> Self {
        Self {
            location: location.into(),
            body,
        }
    }
}

impl<T: Serialize> IntoReply for Created<T> {
    fn into_reply(self) -> Result<Response<Body>, HttpError> {
        let location = HeaderValue::try_from(self.location.as_str()).map_err(|_| {
            HttpError::internal(format_args!(
                "Location `{}` is not a valid header value",
                self.location
            ))
        })?;
        let mut response = (StatusCode::CREATED, Json(self.body)).into_reply()?;
        response.headers_mut().insert(header::LOCATION, location);
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_alone_is_an_empty_body() {
        let response = StatusCode::ACCEPTED.into_reply().unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        assert!(response.body().is_empty());
    }

    #[test]
    fn text_is_plain_utf8() {
        for response in [
            "pong".into_reply().unwrap(),
            String::from("pong").into_reply().unwrap(),
        ] {
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(
                response.headers()["content-type"],
                "text/plain; charset=utf-8"
            );
            assert_eq!(response.body().as_ref(), b"pong");
        }
    }

    #[test]
    fn tuple_overrides_the_status_of_the_inner_reply() {
        let response = (StatusCode::IM_A_TEAPOT, "short and stout")
            .into_reply()
            .unwrap();
        assert_eq!(response.status(), StatusCode::IM_A_TEAPOT);
        assert_eq!(response.body().as_ref(), b"short and stout");
    }

    #[test]
    fn no_content_is_204() {
        let response = NoContent.into_reply().unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert!(response.body().is_empty());
    }

    #[test]
    fn created_sets_location_and_json() {
        let response = Created::new("/orders/o-1", serde_json::json!({"id": "o-1"}))
            .into_reply()
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()["location"], "/orders/o-1");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.body().as_ref(), br#"{"id":"o-1"}"#);
    }

    #[test]
    fn created_with_a_bad_location_is_internal() {
        let error = Created::new("/orders/\n", 1).into_reply().unwrap_err();
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(error.to_string().contains("Location"), "{error}");
    }

    #[test]
    fn response_passes_through() {
        let mut original = Response::new(Body::Binary(vec![0, 1]));
        *original.status_mut() = StatusCode::PARTIAL_CONTENT;
        let response = original.into_reply().unwrap();
        assert_eq!(response.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(response.body().as_ref(), &[0, 1]);
    }
}
