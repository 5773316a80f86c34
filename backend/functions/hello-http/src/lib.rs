//! `GET /hello?name=…` answers `{"message": "Hello, <name>!"}`.
//!
//! Without a `name`, the caller is greeted by the e-mail (or subject) claim of the
//! JWT authorizer, and otherwise as "world". The handler follows the Ferrule shape:
//! parse the request, decide (here: [`greeting`]), respond.

use ferrule_http::HttpError;
use lambda_http::http::{header, HeaderValue, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::json;

/// Longest name we greet; anything longer is a client error, not something to echo back.
pub const MAX_NAME_CHARS: usize = 64;

/// Why a greeting cannot be made from the caller's input.
#[derive(Debug, PartialEq, Eq)]
pub enum GreetingError {
    /// The `name` parameter is empty, too long or has characters we do not greet.
    InvalidName(&'static str),
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Greeting {
    pub message: String,
}

/// The domain rule: who is greeted, and how.
pub fn greeting(name: Option<&str>, claimed: Option<&str>) -> Result<Greeting, GreetingError> {
    let who = match name {
        Some(name) => validate_name(name)?,
        None => claimed.unwrap_or("world"),
    };
    Ok(Greeting {
        message: format!("Hello, {who}!"),
    })
}

fn validate_name(name: &str) -> Result<&str, GreetingError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(GreetingError::InvalidName("must not be empty"));
    }
    if trimmed.chars().count() > MAX_NAME_CHARS {
        return Err(GreetingError::InvalidName("must be at most 64 characters"));
    }
    let allowed = |c: char| c.is_alphanumeric() || matches!(c, ' ' | '-' | '\'' | '.');
    if !trimmed.chars().all(allowed) {
        return Err(GreetingError::InvalidName(
            "may contain only letters, digits, spaces, hyphens, apostrophes and dots",
        ));
    }
    Ok(trimmed)
}

/// Lambda handler: parse → domain → respond. Never fails for anything a caller sends.
pub async fn handle(request: Request) -> Result<Response<Body>, Error> {
    let request_id = request
        .lambda_context_ref()
        .map(|ctx| ctx.request_id.clone())
        .unwrap_or_default();

    if request.method() != Method::GET {
        let problem = HttpError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{} is not supported on this route", request.method()),
        )
        .with_header(header::ALLOW, HeaderValue::from_static("GET"));
        return Ok(problem_response(problem, &request_id));
    }

    let params = request.query_string_parameters();
    let claimed = jwt_identity(&request);
    match greeting(params.first("name"), claimed.as_deref()) {
        Ok(greeting) => Ok(json_response(
            StatusCode::OK,
            &json!(greeting),
            "application/json",
            &request_id,
        )),
        Err(GreetingError::InvalidName(reason)) => Ok(problem_response(
            HttpError::bad_request(format!("name {reason}")).with_title("Invalid query parameter"),
            &request_id,
        )),
    }
}

/// The e-mail (or, failing that, the subject) claim set by an API Gateway JWT authorizer.
fn jwt_identity(request: &Request) -> Option<String> {
    let RequestContext::ApiGatewayV2(ctx) = request.request_context_ref()? else {
        return None;
    };
    let claims = &ctx.authorizer.as_ref()?.jwt.as_ref()?.claims;
    claims
        .get("email")
        .or_else(|| claims.get("sub"))
        .map(|value| value.to_owned())
}

/// ferrule-http's RFC 9457 problem document, with the request id header every answer carries.
fn problem_response(problem: HttpError, request_id: &str) -> Response<Body> {
    with_header(
        problem.into_problem_response(request_id),
        "x-request-id",
        request_id,
    )
}

fn json_response(
    status: StatusCode,
    body: &serde_json::Value,
    content_type: &str,
    request_id: &str,
) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    let response = with_header(response, header::CONTENT_TYPE.as_str(), content_type);
    with_header(response, "x-request-id", request_id)
}

fn with_header(mut response: Response<Body>, name: &'static str, value: &str) -> Response<Body> {
    // A value that is not a valid header (it only comes from our own code) is left out
    // rather than failing the request.
    if let Ok(value) = value.parse() {
        response.headers_mut().insert(name, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Error>;

    fn request(fixture: &str) -> Result<Request, Error> {
        let raw = ferrule_testkit::fixture(fixture)?;
        Ok(lambda_http::request::from_str(&raw)?)
    }

    fn body_json(response: &Response<Body>) -> Result<serde_json::Value, serde_json::Error> {
        serde_json::from_slice(response.body().as_ref())
    }

    #[test]
    fn greets_by_name_then_claim_then_world() {
        assert_eq!(
            greeting(Some("Ada"), Some("x@example.com")).map(|g| g.message),
            Ok("Hello, Ada!".to_owned())
        );
        assert_eq!(
            greeting(None, Some("x@example.com")).map(|g| g.message),
            Ok("Hello, x@example.com!".to_owned())
        );
        assert_eq!(
            greeting(None, None).map(|g| g.message),
            Ok("Hello, world!".to_owned())
        );
    }

    #[test]
    fn rejects_names_we_do_not_greet() {
        assert!(greeting(Some("   "), None).is_err());
        assert!(greeting(Some(&"a".repeat(MAX_NAME_CHARS + 1)), None).is_err());
        assert!(greeting(Some("<script>"), None).is_err());
        assert!(greeting(Some(&"é".repeat(MAX_NAME_CHARS)), None).is_ok());
    }

    #[tokio::test]
    async fn get_with_name_greets_the_name() -> TestResult {
        let response = handle(request("apigw-http/get-hello")?).await?;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(body_json(&response)?["message"], "Hello, Ada!");
        assert_eq!(response.headers()["content-type"], "application/json");
        Ok(())
    }

    #[tokio::test]
    async fn jwt_claims_name_the_caller() -> TestResult {
        let response = handle(request("apigw-http/get-hello-jwt")?).await?;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            body_json(&response)?["message"],
            "Hello, grace@example.com!"
        );
        Ok(())
    }

    #[tokio::test]
    async fn invalid_name_is_a_problem_document() -> TestResult {
        let response = handle(request("apigw-http/get-hello-invalid-name")?).await?;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body = body_json(&response)?;
        assert_eq!(body["status"], 400);
        assert!(body["detail"]
            .as_str()
            .unwrap_or_default()
            .starts_with("name "));
        Ok(())
    }

    #[tokio::test]
    async fn other_methods_get_405_with_allow() -> TestResult {
        let response = handle(request("apigw-http/post-hello")?).await?;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET");
        Ok(())
    }
}
