//! `{{name}}`: {{description}}
//!
//! An HTTP API function (payload 2.0) on `ferrule-http`'s [`Router`]. Add routes in [`app`]
//! and keep each handler thin: parse the request, decide, answer. An [`HttpError`] becomes an
//! `application/problem+json` answer with the request id; 5xx causes are logged, not shown.
//! Declare new routes in `infrastructure/functions/{{name}}.ts` as well, so that the
//! HTTP API sends them here.

use ferrule_http::http::Method;
use ferrule_http::{App, HttpError, HttpRequest, Json, Router, RouterError};
use serde::Serialize;

/// Method and path of the route this function serves (the CDK declaration routes the same).
pub const ROUTE: (Method, &str) = (Method::{{method}}, "{{route_path}}");

/// The answer of [`ROUTE`].
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Reply {
    /// The function that answered.
    pub function: &'static str,
    /// The request id, to find this call in the logs.
    pub request_id: String,
}

async fn answer(request: HttpRequest) -> Result<Json<Reply>, HttpError> {
    Ok(Json(Reply {
        function: env!("CARGO_PKG_NAME"),
        request_id: request.request_id().to_owned(),
    }))
}

/// The route table: `main` runs it, tests call `app()?.handle(request)`.
pub fn app() -> Result<App, RouterError> {
    let (method, path) = ROUTE;
    Router::new().route(method, path, answer).build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferrule_http::http::StatusCode;
    use lambda_http::{Body, Error, Request};

    fn fixture_request() -> Result<Request, Error> {
        let raw = ferrule_testkit::fixture("{{fixture}}")?;
        Ok(lambda_http::request::from_str(&raw)?)
    }

    #[tokio::test]
    async fn the_fixture_gets_the_reply() -> Result<(), Error> {
        let response = app()?.handle(fixture_request()?).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref())?;
        assert_eq!(body["function"], "{{name}}");
        assert!(!body["requestId"].as_str().unwrap_or_default().is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn other_methods_and_paths_are_problems() -> Result<(), Error> {
        let mut wrong_method = fixture_request()?;
        *wrong_method.method_mut() = Method::{{other_method}};
        let response = app()?.handle(wrong_method).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "{{method}}");

        let unknown = Request::new(Body::Empty);
        let (mut parts, body) = unknown.into_parts();
        parts.uri = "/no-such-route".parse()?;
        let response = app()?.handle(Request::from_parts(parts, body)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        Ok(())
    }
}
