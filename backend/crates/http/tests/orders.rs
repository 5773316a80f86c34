//! The router driven with real HTTP API payload 2.0 events from `backend/events/apigw-http`,
//! varied by editing the parsed JSON.

// The helpers below are test code too: a fixture that does not load must fail the test.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use ferrule_errors::{Classify, ErrorKind};
use ferrule_http::http::StatusCode;
use ferrule_http::{
    App, Cors, Created, HttpError, HttpRequest, Json, NoContent, Router, Validate, ValidationErrors,
};
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

// ---------------------------------------------------------------- the service under test

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct NewOrder {
    customer_id: String,
    sku: String,
    quantity: u32,
}

impl Validate for NewOrder {
    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        if self.sku.trim().is_empty() {
            errors.add("sku", "must not be empty");
        }
        if self.quantity == 0 {
            errors.add("quantity", "must be at least 1");
        }
        errors.into_result()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Order {
    id: String,
    customer_id: String,
    sku: String,
    quantity: u32,
    created_by: String,
}

#[derive(Debug, thiserror::Error)]
enum OrderError {
    #[error("order {0} has shipped and can no longer be cancelled")]
    AlreadyShipped(String),
    #[error("order {0} not found")]
    NotFound(String),
    #[error("DynamoDB PutItem on table orders-prod failed: AccessDeniedException for arn:aws:iam::123456789012:role/orders")]
    Storage,
}

impl Classify for OrderError {
    fn kind(&self) -> ErrorKind {
        match self {
            OrderError::AlreadyShipped(_) => ErrorKind::Conflict,
            OrderError::NotFound(_) => ErrorKind::NotFound,
            OrderError::Storage => ErrorKind::NonRetryable,
        }
    }
}

/// State created once in `main`: here a counter standing in for a repository.
struct Orders {
    created: AtomicU32,
}

async fn create_order(req: HttpRequest<Orders>) -> Result<Created<Order>, HttpError> {
    let new: NewOrder = req.valid_json()?;
    let principal = req.require_principal()?;
    if new.sku == "FAIL" {
        Err(OrderError::Storage)?;
    }
    let n = req.state().created.fetch_add(1, Ordering::Relaxed) + 1;
    let id = format!("o-{n}");
    Ok(Created::new(
        format!("/orders/{id}"),
        Order {
            id,
            customer_id: new.customer_id,
            sku: new.sku,
            quantity: new.quantity,
            created_by: principal.subject.clone(),
        },
    ))
}

async fn get_order(req: HttpRequest<Orders>) -> Result<Json<Value>, HttpError> {
    let id = req.param("id")?;
    if id == "missing" {
        Err(OrderError::NotFound(id.to_owned()))?;
    }
    let principal = req.principal();
    Ok(Json(json!({
        "id": id,
        "route": req.route(),
        "path": req.path(),
        "fields": req.query("fields"),
        "tags": req.query_all("tag"),
        "limit": req.query_as::<u32>("limit")?,
        "subject": principal.map(|p| p.subject.clone()),
        "email": principal.and_then(|p| p.email.clone()),
        "username": principal.and_then(|p| p.username.clone()),
        "groups": principal.map(|p| p.groups.clone()),
        "scopes": principal.map(|p| p.scopes.clone()),
        "requestId": req.request_id(),
        "accept": req.header("accept"),
    })))
}

async fn list_orders(req: HttpRequest<Orders>) -> Result<Json<Value>, HttpError> {
    let limit = req.query_as::<u8>("limit")?.unwrap_or(20);
    Ok(Json(json!({ "items": [], "limit": limit })))
}

async fn cancel_order(req: HttpRequest<Orders>) -> Result<NoContent, HttpError> {
    let id = req.param("id")?;
    if id.starts_with("shipped") {
        Err(OrderError::AlreadyShipped(id.to_owned()))?;
    }
    Ok(NoContent)
}

fn app_with(router: impl FnOnce(Router<Orders>) -> Router<Orders>) -> App<Orders> {
    let base = Router::with_state(Orders {
        created: AtomicU32::new(0),
    })
    .post("/orders", create_order)
    .requires_auth()
    .get("/orders", list_orders)
    .get("/orders/{id}", get_order)
    .post("/orders/{id}/cancel", cancel_order)
    .requires_group("admin")
    .get("/files/{*key}", |req: HttpRequest<Orders>| async move {
        Ok(req.param("key")?.to_owned())
    })
    .get("/bug", |req: HttpRequest<Orders>| async move {
        Ok(req.param("not-declared")?.to_owned())
    });
    router(base).build().unwrap()
}

fn app() -> App<Orders> {
    app_with(|router| router)
}

// ---------------------------------------------------------------- event helpers

fn event(fixture: &str) -> Value {
    ferrule_testkit::fixture_as(fixture).unwrap()
}

/// Sets method and path everywhere payload 2.0 carries them.
fn route(event: &mut Value, method: &str, path: &str) {
    event["rawPath"] = json!(path);
    event["requestContext"]["http"]["method"] = json!(method);
    event["requestContext"]["http"]["path"] = json!(path);
    let key = format!("{method} {path}");
    event["routeKey"] = json!(key);
    event["requestContext"]["routeKey"] = json!(key);
}

fn set_body(event: &mut Value, body: &str) {
    event["body"] = json!(body);
    event["headers"]["content-length"] = json!(body.len().to_string());
}

fn without_authorizer(event: &mut Value) {
    event["requestContext"]
        .as_object_mut()
        .unwrap()
        .remove("authorizer");
}

fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// As `lambda_http::run` hands it over: with the Lambda context attached.
fn invocation(event: &Value, lambda_request_id: &str) -> Request {
    let mut context = Context::default();
    context.request_id = lambda_request_id.to_owned();
    request(event).with_lambda_context(context)
}

async fn send(app: &App<Orders>, event: &Value) -> Response<Body> {
    app.handle(invocation(event, "lambda-req-1")).await
}

fn json_body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

/// Asserts an RFC 9457 problem document with `status` and returns it.
fn problem(response: &Response<Body>, status: StatusCode) -> Value {
    assert_eq!(response.status(), status, "{:?}", response.body());
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = json_body(response);
    assert_eq!(body["type"], "about:blank");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["title"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "{body}"
    );
    assert_eq!(body["requestId"], "lambda-req-1");
    assert_eq!(response.headers()["x-request-id"], "lambda-req-1");
    body
}

// ---------------------------------------------------------------- success paths

#[tokio::test]
async fn post_creates_an_order_from_the_fixture() {
    let response = send(&app(), &event("apigw-http/orders-post")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["location"], "/orders/o-1");
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["x-request-id"], "lambda-req-1");
    let body = json_body(&response);
    assert_eq!(body["customerId"], "c-42");
    assert_eq!(body["quantity"], 2);
    assert_eq!(body["createdBy"], "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a");
}

#[tokio::test]
async fn state_is_shared_across_invocations() {
    let app = app();
    let event = event("apigw-http/orders-post");
    send(&app, &event).await;
    let second = send(&app.clone(), &event).await;
    assert_eq!(second.headers()["location"], "/orders/o-2");
}

#[tokio::test]
async fn get_by_id_reads_params_query_principal_and_headers() {
    let response = send(&app(), &event("apigw-http/orders-get-by-id")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json_body(&response);
    assert_eq!(body["id"], "o-2026-0001");
    assert_eq!(body["route"], "/orders/{id}");
    assert_eq!(body["path"], "/orders/o-2026-0001");
    assert_eq!(body["fields"], "items,status");
    assert_eq!(body["subject"], "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a");
    assert_eq!(body["username"], "grace");
    assert_eq!(body["groups"], json!(["customers"]));
    assert_eq!(body["scopes"], json!(["orders/read", "orders/write"]));
    assert_eq!(body["requestId"], "lambda-req-1");
    assert_eq!(body["accept"], "application/json");
}

#[tokio::test]
async fn principal_from_id_token_splits_the_groups_string() {
    let mut event = event("apigw-http/orders-post");
    route(&mut event, "GET", "/orders/o-1");
    let body = json_body(&send(&app(), &event).await);
    assert_eq!(body["email"], "grace@example.com");
    assert_eq!(body["username"], "grace");
    assert_eq!(body["groups"], json!(["admin", "editors"]));
    assert_eq!(body["scopes"], json!([]));
}

#[tokio::test]
async fn path_params_are_percent_decoded() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/orders/caf%C3%A9%2F7%20b");
    let body = json_body(&send(&app(), &event).await);
    assert_eq!(body["id"], "café/7 b");
    assert_eq!(body["path"], "/orders/caf%C3%A9%2F7%20b");
}

#[tokio::test]
async fn catch_all_param_takes_the_rest_of_the_path() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/files/2026/11/report%201.pdf");
    let response = send(&app(), &event).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_ref(), b"2026/11/report 1.pdf");
}

#[tokio::test]
async fn repeated_and_typed_query_parameters() {
    let mut event = event("apigw-http/orders-get-by-id");
    event["rawQueryString"] = json!("tag=a&tag=b&limit=5");
    let body = json_body(&send(&app(), &event).await);
    assert_eq!(body["tags"], json!(["a", "b"]));
    assert_eq!(body["limit"], 5);
}

#[tokio::test]
async fn trailing_slash_is_ignored() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/orders/");
    let response = send(&app(), &event).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(&response)["limit"], 20);
}

#[tokio::test]
async fn named_stage_prefix_can_be_stripped() {
    let app = app_with(|router| router.strip_prefix("/prod"));
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/prod/orders/o-9");
    event["requestContext"]["stage"] = json!("prod");
    let body = json_body(&send(&app, &event).await);
    assert_eq!(body["id"], "o-9");
    route(&mut event, "GET", "/production/orders/o-9");
    problem(&send(&app, &event).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cancel_by_an_admin_is_204() {
    let mut event = event("apigw-http/orders-post");
    route(&mut event, "POST", "/orders/o-1/cancel");
    let response = send(&app(), &event).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(response.body().is_empty());
    assert_eq!(response.headers()["x-request-id"], "lambda-req-1");
}

#[tokio::test]
async fn base64_bodies_are_decoded_before_parsing() {
    let mut event = event("apigw-http/orders-post");
    // {"customerId":"c-1","sku":"S","quantity":1}
    event["body"] = json!("eyJjdXN0b21lcklkIjoiYy0xIiwic2t1IjoiUyIsInF1YW50aXR5IjoxfQ==");
    event["isBase64Encoded"] = json!(true);
    let response = send(&app(), &event).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

// ---------------------------------------------------------------- each error status

#[tokio::test]
async fn malformed_json_is_400_with_line_and_column() {
    let mut event = event("apigw-http/orders-post");
    set_body(&mut event, "{\"customerId\": \"c-42\",\n \"sku\": }");
    let body = problem(&send(&app(), &event).await, StatusCode::BAD_REQUEST);
    assert_eq!(body["title"], "Malformed JSON");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("line 2, column 9"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_type_is_400_naming_the_field() {
    let mut event = event("apigw-http/orders-post");
    set_body(
        &mut event,
        r#"{"customerId":"c-42","sku":"B","quantity":"two"}"#,
    );
    let body = problem(&send(&app(), &event).await, StatusCode::BAD_REQUEST);
    assert_eq!(body["title"], "Invalid request body");
    assert_eq!(body["errors"][0]["field"], "quantity");
}

#[tokio::test]
async fn quantity_zero_fails_validation_naming_the_field() {
    let mut event = event("apigw-http/orders-post");
    set_body(
        &mut event,
        r#"{"customerId":"c-42","sku":" ","quantity":0}"#,
    );
    let body = problem(&send(&app(), &event).await, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["errors"],
        json!([
            {"field": "sku", "message": "must not be empty"},
            {"field": "quantity", "message": "must be at least 1"}
        ])
    );
}

#[tokio::test]
async fn unknown_field_is_400_naming_it() {
    let mut event = event("apigw-http/orders-post");
    set_body(
        &mut event,
        r#"{"customerId":"c-42","sku":"B","quantity":1,"discount":100}"#,
    );
    let body = problem(&send(&app(), &event).await, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "discount");
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .starts_with("unknown field `discount`"));
}

#[tokio::test]
async fn invalid_query_parameter_is_400_naming_it() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/orders");
    event["rawQueryString"] = json!("limit=500");
    let body = problem(&send(&app(), &event).await, StatusCode::BAD_REQUEST);
    assert_eq!(body["title"], "Invalid query parameter");
    assert_eq!(body["errors"][0]["field"], "limit");
}

#[tokio::test]
async fn non_utf8_path_parameter_is_400() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/orders/%FF");
    let body = problem(&send(&app(), &event).await, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "id");
}

#[tokio::test]
async fn unknown_route_is_404() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/customers/c-1");
    let body = problem(&send(&app(), &event).await, StatusCode::NOT_FOUND);
    assert!(
        body["detail"].as_str().unwrap().contains("/customers/c-1"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_method_is_405_listing_the_path_methods() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "DELETE", "/orders");
    let response = send(&app(), &event).await;
    problem(&response, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST, GET");

    route(&mut event, "PUT", "/orders/o-1");
    let response = send(&app(), &event).await;
    problem(&response, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET");
}

#[tokio::test]
async fn body_over_the_limit_is_413() {
    let app = app_with(|router| router.max_body_bytes(40));
    let event = event("apigw-http/orders-post");
    let body = problem(&send(&app, &event).await, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        body["detail"].as_str().unwrap().contains("52 bytes"),
        "{body}"
    );
}

#[tokio::test]
async fn base64_body_is_measured_decoded() {
    // 56 base64 characters decode to 41 bytes: under a 48 byte limit.
    let app = app_with(|router| router.max_body_bytes(48));
    let mut event = event("apigw-http/orders-post");
    let encoded = "eyJjdXN0b21lcklkIjoiYyIsInNrdSI6IlMiLCJxdWFudGl0eSI6MX0=";
    assert!(encoded.len() > 48);
    event["body"] = json!(encoded);
    event["isBase64Encoded"] = json!(true);
    let response = send(&app, &event).await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn default_limit_is_one_mebibyte() {
    let mut event = event("apigw-http/orders-post");
    let padding = " ".repeat(ferrule_http::DEFAULT_MAX_BODY_BYTES);
    set_body(
        &mut event,
        &format!(r#"{{"customerId":"c","sku":"S","quantity":1}}{padding}"#),
    );
    problem(&send(&app(), &event).await, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn json_without_json_content_type_is_415() {
    for content_type in [Some("text/plain"), Some("application/xml"), None] {
        let mut event = event("apigw-http/orders-post");
        match content_type {
            Some(value) => event["headers"]["content-type"] = json!(value),
            None => {
                event["headers"]
                    .as_object_mut()
                    .unwrap()
                    .remove("content-type");
            }
        }
        problem(
            &send(&app(), &event).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        );
    }
    let mut event = event("apigw-http/orders-post");
    event["headers"]["content-type"] = json!("application/vnd.orders+json");
    assert_eq!(
        send(&app(), &event).await.status(),
        StatusCode::CREATED,
        "application/*+json is JSON"
    );
}

#[tokio::test]
async fn missing_claims_on_a_protected_route_is_401() {
    let mut event = event("apigw-http/orders-post");
    without_authorizer(&mut event);
    let response = send(&app(), &event).await;
    problem(&response, StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
}

#[tokio::test]
async fn claims_without_sub_are_not_a_principal() {
    let mut event = event("apigw-http/orders-post");
    event["requestContext"]["authorizer"]["jwt"]["claims"]
        .as_object_mut()
        .unwrap()
        .remove("sub");
    problem(&send(&app(), &event).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn public_route_works_without_claims() {
    let mut event = event("apigw-http/orders-get-by-id");
    without_authorizer(&mut event);
    let body = json_body(&send(&app(), &event).await);
    assert_eq!(body["subject"], Value::Null);
}

#[tokio::test]
async fn principal_outside_the_group_is_403() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "POST", "/orders/o-1/cancel");
    let body = problem(&send(&app(), &event).await, StatusCode::FORBIDDEN);
    assert!(
        body["detail"].as_str().unwrap().contains("`admin`"),
        "{body}"
    );
}

#[tokio::test]
async fn scope_requirement_is_checked() {
    let app = Router::new()
        .get("/reports", |_req| async { Ok("report") })
        .requires_scope("reports/read")
        .build()
        .unwrap();
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/reports");
    let response = app.handle(invocation(&event, "lambda-req-1")).await;
    problem(&response, StatusCode::FORBIDDEN);
    event["requestContext"]["authorizer"]["jwt"]["scopes"] = json!(["reports/read"]);
    let response = app.handle(invocation(&event, "lambda-req-1")).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn classified_domain_error_is_409_with_its_message() {
    let mut event = event("apigw-http/orders-post");
    route(&mut event, "POST", "/orders/shipped-7/cancel");
    let body = problem(&send(&app(), &event).await, StatusCode::CONFLICT);
    assert_eq!(
        body["detail"],
        "order shipped-7 has shipped and can no longer be cancelled"
    );
}

#[tokio::test]
async fn classified_not_found_is_404() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/orders/missing");
    let body = problem(&send(&app(), &event).await, StatusCode::NOT_FOUND);
    assert_eq!(body["detail"], "order missing not found");
}

#[tokio::test]
async fn internal_error_is_500_without_internals() {
    let mut event = event("apigw-http/orders-post");
    set_body(
        &mut event,
        r#"{"customerId":"c","sku":"FAIL","quantity":1}"#,
    );
    let response = send(&app(), &event).await;
    let body = problem(&response, StatusCode::INTERNAL_SERVER_ERROR);
    let text = body.to_string();
    for secret in ["DynamoDB", "orders-prod", "AccessDenied", "123456789012"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert!(body["detail"].as_str().unwrap().contains("requestId"));
}

#[tokio::test]
async fn undeclared_param_is_a_500_bug_not_a_panic() {
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/bug");
    let body = problem(
        &send(&app(), &event).await,
        StatusCode::INTERNAL_SERVER_ERROR,
    );
    assert!(!body.to_string().contains("not-declared"));
}

// ---------------------------------------------------------------- request id

#[tokio::test]
async fn request_id_falls_back_to_the_api_gateway_request_id() {
    let event = event("apigw-http/orders-get-by-id");
    let response = app().handle(request(&event)).await;
    assert_eq!(response.headers()["x-request-id"], "KLMdZoRNvHcESOB=");

    let mut missing = event.clone();
    route(&mut missing, "GET", "/nowhere");
    let response = app().handle(request(&missing)).await;
    assert_eq!(response.headers()["x-request-id"], "KLMdZoRNvHcESOB=");
    assert_eq!(json_body(&response)["requestId"], "KLMdZoRNvHcESOB=");
}

#[tokio::test]
async fn request_id_is_on_every_kind_of_response() {
    let app = app_with(|router| router.cors(Cors::allow_any_origin()));
    let mut preflight = event("apigw-http/orders-post");
    route(&mut preflight, "OPTIONS", "/orders");
    preflight["headers"]["access-control-request-method"] = json!("POST");
    let mut not_found = event("apigw-http/orders-get-by-id");
    route(&mut not_found, "GET", "/nope");
    for event in [
        event("apigw-http/orders-post"),
        event("apigw-http/orders-get-by-id"),
        preflight,
        not_found,
    ] {
        let response = send(&app, &event).await;
        assert_eq!(
            response.headers()["x-request-id"],
            "lambda-req-1",
            "{}",
            response.status()
        );
    }
}

// ---------------------------------------------------------------- CORS

fn cors_app() -> App<Orders> {
    app_with(|router| {
        router.cors(
            Cors::allow_origins(["https://app.example.com"])
                .max_age(std::time::Duration::from_secs(600)),
        )
    })
}

fn preflight(path: &str, origin: &str) -> Value {
    let mut event = event("apigw-http/orders-post");
    route(&mut event, "OPTIONS", path);
    without_authorizer(&mut event);
    event["body"] = Value::Null;
    event["headers"]["origin"] = json!(origin);
    event["headers"]["access-control-request-method"] = json!("POST");
    event["headers"]["access-control-request-headers"] = json!("authorization,content-type");
    event
}

#[tokio::test]
async fn preflight_is_204_with_the_path_methods() {
    let response = send(
        &cors_app(),
        &preflight("/orders", "https://app.example.com"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(headers["access-control-allow-methods"], "POST, GET");
    assert!(headers["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("authorization"));
    assert_eq!(headers["access-control-max-age"], "600");
    assert_eq!(headers["vary"], "Origin");
    assert_eq!(headers["x-request-id"], "lambda-req-1");
}

#[tokio::test]
async fn preflight_skips_auth_requirements() {
    // POST /orders requires auth, but browsers send preflights without credentials.
    let response = send(
        &cors_app(),
        &preflight("/orders/o-1/cancel", "https://app.example.com"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(response.headers()["access-control-allow-methods"], "POST");
}

#[tokio::test]
async fn preflight_from_another_origin_gets_no_cors_headers() {
    let response = send(
        &cors_app(),
        &preflight("/orders", "https://evil.example.com"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn preflight_on_an_unknown_path_is_404() {
    let response = send(&cors_app(), &preflight("/nope", "https://app.example.com")).await;
    problem(&response, StatusCode::NOT_FOUND);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
}

#[tokio::test]
async fn options_without_cors_is_an_ordinary_405() {
    let response = send(&app(), &preflight("/orders", "https://app.example.com")).await;
    problem(&response, StatusCode::METHOD_NOT_ALLOWED);
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));
}

#[tokio::test]
async fn simple_request_gets_allow_origin_and_vary() {
    let response = send(&cors_app(), &event("apigw-http/orders-post")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let headers = response.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(headers["access-control-expose-headers"], "x-request-id");
    assert_eq!(headers["vary"], "Origin");
    assert!(!headers.contains_key("access-control-allow-methods"));
}

#[tokio::test]
async fn errors_carry_cors_headers_so_browsers_can_read_them() {
    let mut event = event("apigw-http/orders-post");
    set_body(&mut event, "{");
    let response = send(&cors_app(), &event).await;
    problem(&response, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
}

#[tokio::test]
async fn disallowed_origin_gets_vary_but_no_allow_origin() {
    let mut event = event("apigw-http/orders-post");
    event["headers"]["origin"] = json!("https://evil.example.com");
    let response = send(&cors_app(), &event).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(!response
        .headers()
        .contains_key("access-control-allow-origin"));
    assert_eq!(response.headers()["vary"], "Origin");
}

// ---------------------------------------------------------------- building the router

#[test]
fn build_errors_name_the_culprit() {
    let cases: Vec<(Router, &str)> = vec![
        (
            Router::new().get("orders", |_req| async { Ok("x") }),
            "`orders`",
        ),
        (
            Router::new()
                .get("/orders", |_req| async { Ok("x") })
                .get("/orders/", |_req| async { Ok("y") }),
            "GET /orders is registered twice",
        ),
        (
            Router::new()
                .get("/orders/{id}", |_req| async { Ok("x") })
                .post("/orders/{order_id}", |_req| async { Ok("y") }),
            "/orders/{order_id}",
        ),
        (Router::new().requires_auth(), "requires_auth"),
        (Router::new().strip_prefix("prod"), "prefix `prod`"),
        (Router::new().strip_prefix("/prod/"), "prefix `/prod/`"),
        (
            Router::new().cors(Cors::allow_origins(["https://app.example.com/"])),
            "https://app.example.com/",
        ),
        (
            Router::new().cors(Cors::allow_any_origin().allow_credentials()),
            "allow_credentials",
        ),
    ];
    for (router, expected) in cases {
        let error = router.build().err().unwrap().to_string();
        assert!(error.contains(expected), "{expected} not in {error}");
    }
}

#[tokio::test]
async fn works_as_a_tower_service() {
    use lambda_http::Service;
    let mut app = Router::new()
        .get("/health", |_req| async { Ok("ok") })
        .build()
        .unwrap();
    let mut event = event("apigw-http/orders-get-by-id");
    route(&mut event, "GET", "/health");
    let response = app.call(request(&event)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

// ---------------------------------------------------------------- panics

async fn explode(req: HttpRequest<Orders>) -> Result<String, HttpError> {
    let id = req.param("id")?;
    let digits: Vec<u32> = id.chars().filter_map(|c| c.to_digit(10)).collect();
    // An out-of-bounds index on data from the request, as a bug would write it.
    Ok(digits[5].to_string())
}

#[tokio::test]
async fn a_panicking_handler_answers_500_with_cors_and_the_app_keeps_serving() {
    let app = app_with(|router| {
        router
            .get("/explode/{id}", explode)
            .cors(Cors::allow_any_origin())
    });
    let mut boom = event("apigw-http/orders-get-by-id");
    route(&mut boom, "GET", "/explode/12");
    boom["headers"]["origin"] = json!("https://app.example.com");
    let response = send(&app, &boom).await;
    let body = problem(&response, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        !body.to_string().contains("index out of bounds"),
        "the panic message stays in the log: {body}"
    );
    assert!(response
        .headers()
        .contains_key("access-control-allow-origin"));

    let mut fine = event("apigw-http/orders-get-by-id");
    route(&mut fine, "GET", "/explode/1234567");
    let response = send(&app, &fine).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().as_ref(), b"6");
}
