//! Handler tests: the fixtures of `backend/events/apigw-http/` (edited per case) through the
//! whole router, on the in-memory adapters of `orders-domain` and `ferrule-idempotency`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrule_http::App;
use ferrule_idempotency::{Idempotency, InMemoryStore as Records, PersistenceStore, Status};
use lambda_http::{Body, Request, RequestExt, Response};
use orders_domain::testing::{order_for, FixedClock, InMemoryStore, SequentialIds};
use orders_domain::{
    CustomerId, Order, OrderId, OrderReader, OrderService, OrderWriter, Page, PageRequest,
    RepositoryError, Timestamp, TrackingNumber,
};
use serde_json::{json, Value};
use tokio::sync::Semaphore;

use super::*;

/// The `sub` of the `orders-*` fixtures.
const CALLER: &str = "7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a";
const NOW_MS: u64 = 1_795_681_211_000;
const VALID_BODY: &str =
    r#"{"currency":"EUR","items":[{"sku":"MUG-FERRIS","quantity":2,"unitPriceCents":1250}]}"#;

/// The in-memory order store, with an optional gate that holds inserts until a permit is
/// added: a slow first request, to test a concurrent duplicate.
#[derive(Clone)]
struct Store {
    inner: InMemoryStore,
    gate: Option<Arc<Semaphore>>,
}

impl OrderReader for Store {
    async fn get(
        &self,
        customer: &CustomerId,
        id: &OrderId,
    ) -> Result<Option<Order>, RepositoryError> {
        self.inner.get(customer, id).await
    }

    async fn list(
        &self,
        customer: &CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        self.inner.list(customer, page).await
    }
}

impl OrderWriter for Store {
    async fn insert(&self, order: &Order) -> Result<(), RepositoryError> {
        if let Some(gate) = &self.gate {
            let _permit = gate.acquire().await.unwrap();
        }
        self.inner.insert(order).await
    }

    async fn update(&self, order: &Order, expected_version: u64) -> Result<(), RepositoryError> {
        self.inner.update(order, expected_version).await
    }
}

type TestApp = App<Api<Store, FixedClock, SequentialIds, Records>>;

struct Harness {
    app: TestApp,
    orders: InMemoryStore,
    records: Records,
    gate: Arc<Semaphore>,
}

fn harness() -> Harness {
    harness_with(false)
}

fn harness_with(gated: bool) -> Harness {
    let orders = InMemoryStore::new();
    let records = Records::new();
    let gate = Arc::new(Semaphore::new(0));
    let store = Store {
        inner: orders.clone(),
        gate: gated.then(|| Arc::clone(&gate)),
    };
    let api = Api::new(
        OrderService::new(store, FixedClock::at_millis(NOW_MS), SequentialIds::new()),
        Idempotency::new(
            records.clone(),
            idempotency_config(Duration::from_secs(3600)),
        ),
    );
    Harness {
        app: app(api).unwrap(),
        orders,
        records,
        gate,
    }
}

fn caller_id() -> CustomerId {
    CustomerId::parse(CALLER).unwrap()
}

fn fixture(name: &str) -> Value {
    serde_json::from_str(&ferrule_testkit::fixture(name).unwrap()).unwrap()
}

fn request(event: &Value) -> Request {
    lambda_http::request::from_str(&event.to_string()).unwrap()
}

/// `orders-post` with `body` and, when given, an `Idempotency-Key`.
fn post(body: &str, key: Option<&str>) -> Value {
    let mut event = fixture("apigw-http/orders-post");
    event["body"] = body.into();
    if let Some(key) = key {
        event["headers"]["idempotency-key"] = key.into();
    }
    event
}

/// The event with another `sub` claim.
fn as_caller(mut event: Value, sub: &str) -> Value {
    event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] = sub.into();
    event
}

/// The event without the JWT authorizer context.
fn anonymous(mut event: Value) -> Value {
    if let Some(context) = event["requestContext"].as_object_mut() {
        context.remove("authorizer");
    }
    event
}

fn get_by_id(id: &str) -> Value {
    let mut event = fixture("apigw-http/orders-get-by-id");
    event["rawPath"] = format!("/orders/{id}").into();
    event["pathParameters"]["id"] = id.into();
    event
}

fn cancel(id: &str) -> Value {
    let mut event = fixture("apigw-http/orders-cancel");
    event["rawPath"] = format!("/orders/{id}/cancel").into();
    event["pathParameters"]["id"] = id.into();
    event
}

fn list(query: &[(&str, &str)]) -> Value {
    let mut event = fixture("apigw-http/orders-list");
    let mut params = serde_json::Map::new();
    let mut raw = Vec::new();
    for (name, value) in query {
        params.insert((*name).to_owned(), (*value).into());
        raw.push(format!("{name}={value}"));
    }
    event["rawQueryString"] = raw.join("&").into();
    event["queryStringParameters"] = Value::Object(params);
    event
}

fn body_json(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).unwrap()
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn assert_problem(response: &Response<Body>, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status, "{:?}", response.body());
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body = body_json(response);
    assert_eq!(body["status"], status);
    body
}

/// An order of `customer` stored directly, created `minutes` after NOW.
fn stored_order(h: &Harness, customer: &CustomerId, minutes: u64) -> Order {
    let at = Timestamp::from_unix_millis(NOW_MS + minutes * 60_000).unwrap();
    let order = order_for(customer, "MUG", at, u128::from(minutes) + 1);
    h.orders.put(order.clone());
    order
}

// ---------- POST /orders ----------

#[tokio::test]
async fn post_places_an_order_for_the_caller_with_location() {
    let h = harness();
    let response = h.app.handle(request(&post(VALID_BODY, None))).await;
    assert_eq!(response.status().as_u16(), 201, "{:?}", response.body());
    let order = body_json(&response);
    let id = order["orderId"].as_str().unwrap();
    assert_eq!(response.headers()["location"], format!("/orders/{id}"));
    assert_eq!(order["customerId"], CALLER);
    assert_eq!(order["status"], "PLACED");
    assert_eq!(order["totalCents"], 2500);
    assert!(response.headers().get(REPLAYED_HEADER).is_none());
    let stored = h
        .orders
        .get(&caller_id(), &OrderId::parse(id).unwrap())
        .await
        .unwrap();
    assert!(stored.is_some(), "the order is in the store");
}

#[tokio::test]
async fn post_refuses_a_customer_in_the_body_as_an_unknown_field() {
    // The fixture's body names another customer: unknown fields are refused, never used.
    let h = harness();
    let response = h
        .app
        .handle(request(&fixture("apigw-http/orders-post")))
        .await;
    let problem = assert_problem(&response, 400);
    assert_eq!(problem["title"], "Invalid request body");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("unknown field `customerId`"),
        "{problem}"
    );
    let body =
        r#"{"currency":"EUR","items":[{"sku":"A","quantity":1,"unitPriceCents":1,"discount":5}]}"#;
    let problem = assert_problem(&h.app.handle(request(&post(body, None))).await, 400);
    assert!(
        problem["detail"].as_str().unwrap().contains("discount"),
        "{problem}"
    );
}

#[tokio::test]
async fn post_reports_every_invalid_field_at_once() {
    let h = harness();
    let body = r#"{"currency":"EURO","items":[
        {"sku":"","quantity":0,"unitPriceCents":10},
        {"sku":"OK","quantity":1,"unitPriceCents":0}]}"#;
    let problem = assert_problem(&h.app.handle(request(&post(body, None))).await, 400);
    assert_eq!(
        fields(&problem),
        [
            "currency",
            "items[0].sku",
            "items[0].quantity",
            "items[1].unitPriceCents"
        ]
    );
    let problem = assert_problem(
        &h.app
            .handle(request(&post(r#"{"currency":"EUR","items":[]}"#, None)))
            .await,
        400,
    );
    assert_eq!(fields(&problem), ["items"]);
}

#[tokio::test]
async fn post_names_missing_and_mistyped_fields() {
    let h = harness();
    let problem = assert_problem(
        &h.app.handle(request(&post(r#"{"items":[]}"#, None))).await,
        400,
    );
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("missing field `currency`"),
        "{problem}"
    );
    let body = r#"{"currency":"EUR","items":[{"sku":"A","quantity":"two","unitPriceCents":1}]}"#;
    let problem = assert_problem(&h.app.handle(request(&post(body, None))).await, 400);
    assert_eq!(fields(&problem), ["items[0].quantity"], "{problem}");
}

#[tokio::test]
async fn post_with_malformed_or_empty_json_is_400() {
    let h = harness();
    let response = h
        .app
        .handle(request(&fixture("apigw-http/orders-post-malformed")))
        .await;
    let problem = assert_problem(&response, 400);
    assert_eq!(problem["title"], "Malformed JSON");
    let problem = assert_problem(&h.app.handle(request(&post("", None))).await, 400);
    assert!(!problem["detail"].as_str().unwrap().is_empty());
    assert!(h
        .orders
        .list(&caller_id(), &PageRequest::default())
        .await
        .unwrap()
        .items
        .is_empty());
}

#[tokio::test]
async fn post_with_an_oversized_body_is_413() {
    let h = harness();
    let body = format!(
        r#"{{"currency":"EUR","items":[],"pad":"{}"}}"#,
        "x".repeat(MAX_BODY_BYTES)
    );
    assert_problem(&h.app.handle(request(&post(&body, None))).await, 413);
}

#[tokio::test]
async fn post_with_another_content_type_is_415() {
    let h = harness();
    let mut event = post(VALID_BODY, None);
    event["headers"]["content-type"] = "text/plain".into();
    assert_problem(&h.app.handle(request(&event)).await, 415);
}

// ---------- caller ----------

#[tokio::test]
async fn every_route_without_claims_is_401() {
    let h = harness();
    let events = [
        fixture("apigw-http/orders-post-no-claims"),
        anonymous(get_by_id("01M8BEWE407HD9W8BV0KBFG6HB")),
        anonymous(list(&[])),
        anonymous(cancel("01M8BEWE407HD9W8BV0KBFG6HB")),
    ];
    for event in events {
        let response = h.app.handle(request(&event)).await;
        assert_problem(&response, 401);
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    assert!(h.records.get("any").await.unwrap().is_none());
}

#[tokio::test]
async fn a_subject_that_cannot_be_a_customer_id_is_401() {
    let h = harness();
    let response = h
        .app
        .handle(request(&as_caller(post(VALID_BODY, None), "a#b")))
        .await;
    let problem = assert_problem(&response, 401);
    assert!(problem["detail"].as_str().unwrap().contains("subject"));
}

// ---------- GET /orders/{id} ----------

#[tokio::test]
async fn get_returns_the_callers_order_only() {
    let h = harness();
    let mine = stored_order(&h, &caller_id(), 0);
    let theirs = stored_order(&h, &CustomerId::parse("mallory").unwrap(), 1);

    let response = h.app.handle(request(&get_by_id(mine.id().as_str()))).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        body_json(&response),
        serde_json::to_value(OrderBody::from(&mine)).unwrap()
    );

    let problem = assert_problem(
        &h.app
            .handle(request(&get_by_id(theirs.id().as_str())))
            .await,
        404,
    );
    assert!(
        !problem.to_string().contains("mallory"),
        "no leak: {problem}"
    );
    // The owner of `theirs` does see it.
    let response = h
        .app
        .handle(request(&as_caller(
            get_by_id(theirs.id().as_str()),
            "mallory",
        )))
        .await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn get_of_an_unknown_order_is_404_and_of_a_malformed_id_400() {
    let h = harness();
    assert_problem(
        &h.app
            .handle(request(&get_by_id("01M8BEWE407HD9W8BV0KBFG6HB")))
            .await,
        404,
    );
    let response = h
        .app
        .handle(request(&fixture("apigw-http/orders-get-by-id")))
        .await;
    let problem = assert_problem(&response, 400);
    assert_eq!(problem["title"], "Invalid path parameter");
    assert_eq!(fields(&problem), ["id"]);
}

#[tokio::test]
async fn a_store_outage_is_503_without_details() {
    let h = harness();
    h.orders.fail_next([RepositoryError::Unavailable {
        operation: "GetItem order",
        message: "ThrottlingException".into(),
    }]);
    let problem = assert_problem(
        &h.app
            .handle(request(&get_by_id("01M8BEWE407HD9W8BV0KBFG6HB")))
            .await,
        503,
    );
    assert!(!problem.to_string().contains("Throttling"), "{problem}");
}

// ---------- GET /orders ----------

#[tokio::test]
async fn list_pages_through_the_callers_orders_newest_first() {
    let h = harness();
    let oldest = stored_order(&h, &caller_id(), 0);
    let middle = stored_order(&h, &caller_id(), 1);
    let newest = stored_order(&h, &caller_id(), 2);
    stored_order(&h, &CustomerId::parse("mallory").unwrap(), 3);

    let response = h.app.handle(request(&list(&[("limit", "2")]))).await;
    assert_eq!(response.status().as_u16(), 200);
    let page = body_json(&response);
    let ids: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["orderId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [newest.id().as_str(), middle.id().as_str()]);
    let cursor = page["nextCursor"].as_str().unwrap().to_owned();

    let response = h
        .app
        .handle(request(&list(&[("limit", "2"), ("cursor", &cursor)])))
        .await;
    let page = body_json(&response);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["orderId"], oldest.id().as_str());
    assert!(page.get("nextCursor").is_none(), "last page: {page}");

    // No limit: the default page holds all three.
    let page = body_json(&h.app.handle(request(&list(&[]))).await);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn list_refuses_a_bad_limit() {
    let h = harness();
    for limit in ["0", "101", "ten", "-1"] {
        let problem = assert_problem(
            &h.app.handle(request(&list(&[("limit", limit)]))).await,
            400,
        );
        assert_eq!(fields(&problem), ["limit"], "{limit}: {problem}");
        assert_eq!(problem["title"], "Invalid query parameter");
    }
}

#[tokio::test]
async fn list_refuses_a_tampered_or_foreign_cursor() {
    let h = harness();
    for n in 0..3 {
        stored_order(&h, &caller_id(), n);
        stored_order(&h, &CustomerId::parse("mallory").unwrap(), n);
    }
    let page = body_json(
        &h.app
            .handle(request(&as_caller(list(&[("limit", "1")]), "mallory")))
            .await,
    );
    let foreign = page["nextCursor"].as_str().unwrap().to_owned();
    let tampered = format!("{foreign}x");
    for cursor in [foreign.as_str(), tampered.as_str(), "not-a-cursor", ""] {
        let problem = assert_problem(
            &h.app.handle(request(&list(&[("cursor", cursor)]))).await,
            400,
        );
        assert_eq!(fields(&problem), ["cursor"], "{cursor:?}: {problem}");
    }
}

// ---------- POST /orders/{id}/cancel ----------

#[tokio::test]
async fn cancel_cancels_a_placed_order_and_repeats_harmlessly() {
    let h = harness();
    let order = stored_order(&h, &caller_id(), 0);
    let response = h.app.handle(request(&cancel(order.id().as_str()))).await;
    assert_eq!(response.status().as_u16(), 200);
    let cancelled = body_json(&response);
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["version"], 2);
    let again = body_json(&h.app.handle(request(&cancel(order.id().as_str()))).await);
    assert_eq!(again, cancelled);
}

#[tokio::test]
async fn cancel_after_shipping_is_409() {
    let h = harness();
    let mut order = stored_order(&h, &caller_id(), 0);
    order
        .mark_shipped(TrackingNumber::parse("1Z999").unwrap(), Timestamp::EPOCH)
        .unwrap();
    h.orders.put(order.clone());
    let problem = assert_problem(
        &h.app.handle(request(&cancel(order.id().as_str()))).await,
        409,
    );
    assert!(problem["detail"].as_str().unwrap().contains("shipped"));
}

#[tokio::test]
async fn cancel_of_an_unknown_or_foreign_order_is_404() {
    let h = harness();
    let theirs = stored_order(&h, &CustomerId::parse("mallory").unwrap(), 0);
    assert_problem(
        &h.app.handle(request(&cancel(theirs.id().as_str()))).await,
        404,
    );
    assert_problem(
        &h.app
            .handle(request(&fixture("apigw-http/orders-cancel")))
            .await,
        404,
    );
    let stored = h
        .orders
        .get(theirs.customer_id(), theirs.id())
        .await
        .unwrap();
    assert_eq!(stored, Some(theirs), "left as it was");
}

// ---------- Idempotency-Key ----------

#[tokio::test]
async fn a_repeated_key_replays_the_first_order() {
    let h = harness();
    let event = post(VALID_BODY, Some("key-1"));
    let first = h.app.handle(request(&event)).await;
    assert_eq!(first.status().as_u16(), 201);
    let again = h.app.handle(request(&event)).await;
    assert_eq!(again.status().as_u16(), 201);
    assert_eq!(body_json(&again), body_json(&first));
    assert_eq!(again.headers()["location"], first.headers()["location"]);
    assert_eq!(again.headers()[REPLAYED_HEADER], "true");
    let page = h
        .orders
        .list(&caller_id(), &PageRequest::default())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "one order for two requests");
}

/// The idempotency record keeps the placed order as JSON, byte for byte the shape records
/// written before (the stored order's: camelCase, absent fields left out). No domain rename
/// may change it, or a replay after a deploy would fail.
#[tokio::test]
async fn the_idempotent_response_is_pinned_byte_for_byte() {
    let h = harness();
    let first = h
        .app
        .handle(request(&post(VALID_BODY, Some("key-1"))))
        .await;
    assert_eq!(first.status().as_u16(), 201);
    let order_id = body_json(&first)["orderId"].as_str().unwrap().to_owned();
    let key = Idempotency::new(Records::new(), idempotency_config(Duration::from_secs(1)))
        .key_of(&json!({ "customer": CALLER, "key": "key-1" }));
    let record = h.records.get(&key).await.unwrap().unwrap();
    assert_eq!(
        record.response.as_deref(),
        Some(
            format!(
                concat!(
                    r#"{{"orderId":"{}","customerId":"{}","#,
                    r#""items":[{{"sku":"MUG-FERRIS","quantity":2,"unitPriceCents":1250}}],"#,
                    r#""totalCents":2500,"currency":"EUR","status":"PLACED","#,
                    r#""placedAt":"2026-11-26T08:20:11.000Z","version":1}}"#
                ),
                order_id, CALLER
            )
            .as_str()
        )
    );
    let again = h
        .app
        .handle(request(&post(VALID_BODY, Some("key-1"))))
        .await;
    assert_eq!(again.headers()[REPLAYED_HEADER], "true");
    assert_eq!(body_json(&again), body_json(&first));
}

#[tokio::test]
async fn a_key_reused_with_another_body_is_422() {
    let h = harness();
    let first = h
        .app
        .handle(request(&post(VALID_BODY, Some("key-1"))))
        .await;
    assert_eq!(first.status().as_u16(), 201);
    let other = VALID_BODY.replace("\"quantity\":2", "\"quantity\":3");
    let problem = assert_problem(
        &h.app.handle(request(&post(&other, Some("key-1")))).await,
        422,
    );
    assert_eq!(problem["title"], "Idempotency-Key reused");
}

#[tokio::test]
async fn keys_are_per_customer() {
    let h = harness();
    let mine = h
        .app
        .handle(request(&post(VALID_BODY, Some("key-1"))))
        .await;
    let theirs = h
        .app
        .handle(request(&as_caller(
            post(VALID_BODY, Some("key-1")),
            "mallory",
        )))
        .await;
    assert_eq!(theirs.status().as_u16(), 201);
    assert!(theirs.headers().get(REPLAYED_HEADER).is_none());
    assert_ne!(body_json(&mine)["orderId"], body_json(&theirs)["orderId"]);
    assert_eq!(body_json(&theirs)["customerId"], "mallory");
}

#[tokio::test]
async fn a_failed_attempt_releases_the_key() {
    let h = harness();
    h.orders.fail_next([RepositoryError::Unavailable {
        operation: "PutItem order",
        message: "ProvisionedThroughputExceededException".into(),
    }]);
    let event = post(VALID_BODY, Some("key-1"));
    assert_problem(&h.app.handle(request(&event)).await, 503);
    let retry = h.app.handle(request(&event)).await;
    assert_eq!(retry.status().as_u16(), 201);
    assert!(retry.headers().get(REPLAYED_HEADER).is_none(), "it ran");
}

#[tokio::test]
async fn an_invalid_key_is_400() {
    let h = harness();
    let long = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1);
    for key in ["", "  ", long.as_str()] {
        let problem = assert_problem(
            &h.app.handle(request(&post(VALID_BODY, Some(key)))).await,
            400,
        );
        assert_eq!(fields(&problem), ["Idempotency-Key"], "{key:?}");
    }
    let at_limit = "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS);
    let response = h
        .app
        .handle(request(&post(VALID_BODY, Some(&at_limit))))
        .await;
    assert_eq!(response.status().as_u16(), 201);
}

#[tokio::test]
async fn a_concurrent_duplicate_is_409_and_the_claim_lasts_until_the_deadline() {
    let h = harness_with(true);
    let event = post(VALID_BODY, Some("key-1"));
    let context = ferrule_testkit::ContextBuilder::new("req-1")
        .remaining(Duration::from_secs(5))
        .build();
    let first = h.app.handle(request(&event).with_lambda_context(context));
    let second = async {
        // The first request holds the claim and waits at the gate.
        let response = h.app.handle(request(&event)).await;
        let key = Idempotency::new(Records::new(), idempotency_config(Duration::from_secs(1)))
            .key_of(&json!({ "customer": CALLER, "key": "key-1" }));
        let record = h.records.get(&key).await.unwrap().unwrap();
        h.gate.add_permits(1);
        (response, record)
    };
    let (first, (second, record)) = tokio::join!(first, second);
    let problem = assert_problem(&second, 409);
    assert_eq!(problem["title"], "Request in progress");
    assert_eq!(first.status().as_u16(), 201);

    assert_eq!(record.status, Status::InProgress);
    let now_ms = i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap();
    let held_ms = record.in_progress_expires_at_ms.unwrap() - now_ms;
    assert!(
        (4_000..=5_000).contains(&held_ms),
        "claim held {held_ms} ms"
    );
}

/// Lambda Managed Instances: `main` hands the app to `ferrule_http::run_concurrent`, which
/// clones it per worker and runs requests at once. Every answer is its own request's order,
/// and a key sent twice at once places one order (the copy is replayed or 409).
#[tokio::test]
async fn clones_of_the_app_answer_concurrent_requests_each_with_its_own_order() {
    fn shared<T: Clone + Send + Sync + 'static>(_: &T) {}
    let h = harness();
    shared(&h.app);
    let sent: Vec<_> = (0..40)
        .flat_map(|i| [(i, false), (i, true)])
        .map(|(i, copy)| {
            let app = h.app.clone();
            let body = VALID_BODY.replace("MUG-FERRIS", &format!("SKU-{i}"));
            let event = post(&body, Some(&format!("key-{i}")));
            (
                i,
                copy,
                tokio::spawn(async move { app.handle(request(&event)).await }),
            )
        })
        .collect();
    let mut placed = std::collections::HashMap::new();
    let mut copies = Vec::new();
    for (i, copy, task) in sent {
        let response = task.await.unwrap();
        match (copy, response.status().as_u16()) {
            (_, 409) => assert!(copy, "only a copy waits for the first"),
            (_, 201) => {
                let body = body_json(&response);
                assert_eq!(body["items"][0]["sku"], format!("SKU-{i}"));
                assert_eq!(body["customerId"], CALLER);
                let replayed = response.headers().get(REPLAYED_HEADER).is_some();
                if replayed {
                    copies.push((i, body));
                } else {
                    assert!(placed.insert(i, body).is_none(), "key-{i} placed twice");
                }
            }
            (_, status) => panic!("request {i}: {status} {:?}", response.body()),
        }
    }
    assert_eq!(placed.len(), 40);
    for (i, body) in copies {
        assert_eq!(placed[&i], body, "the replay is the first answer");
    }
    let page = h
        .orders
        .list(
            &caller_id(),
            &PageRequest {
                size: orders_domain::PageSize::parse("100").unwrap(),
                cursor: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(page.items.len(), 40, "one order per key");
}

// ---------- routing ----------

#[tokio::test]
async fn unknown_routes_are_404_and_wrong_methods_405() {
    let h = harness();
    assert_problem(
        &h.app
            .handle(request(&fixture("apigw-http/orders-unknown-route")))
            .await,
        404,
    );
    let response = h
        .app
        .handle(request(&fixture("apigw-http/orders-wrong-method")))
        .await;
    assert_problem(&response, 405);
    assert_eq!(response.headers()["allow"], "GET");
}
