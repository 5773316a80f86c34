//! Properties of the router over arbitrary input: any path and method gets an answer below
//! 500 (the conversion's own properties are in `src/entry.rs`).

use ferrule_http::{HttpRequest, Router};
use proptest::prelude::*;

/// Any string, weighted towards the characters URIs and hosts care about.
fn hostile() -> impl Strategy<Value = String> {
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

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// The router answers any path and method with a status, never a panic, and only with
    /// 404/405 for paths that do not match.
    #[test]
    fn the_router_answers_any_path(path in hostile(), method in "[A-Z]{1,8}") {
        let app = Router::new()
            .get("/orders/{id}", |req: HttpRequest<()>| async move { Ok(req.param("id")?.to_owned()) })
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
