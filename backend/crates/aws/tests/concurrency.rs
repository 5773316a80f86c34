//! Lambda Managed Instances: many invocations at once in one process (wrapped as lambda_runtime
//! 1.5's concurrent loop wraps them) ask for the shared SDK configuration and a lazy client
//! before either exists. The configuration is loaded once and the client built once: every
//! invocation gets the same one. (Its own test binary: it sets the environment the
//! configuration is read from before the first load; nothing touches the network.)

// Test code: a failed unwrap is a failed assertion.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};

use ferrule_aws::LazyClient;
use ferrule_testkit::concurrent::ConcurrentRun;

const WORKERS: usize = 128;

static BUILT: AtomicUsize = AtomicUsize::new(0);

/// A stand-in client: which build it was, and the endpoint of the configuration it was built from.
#[derive(Debug, Clone)]
struct Client {
    build: usize,
    endpoint: Option<String>,
}

fn make(sdk: &aws_config::SdkConfig) -> Client {
    Client {
        build: BUILT.fetch_add(1, Ordering::SeqCst) + 1,
        endpoint: sdk.endpoint_url().map(str::to_owned),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_first_uses_build_one_client_from_one_configuration() {
    std::env::set_var("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
    std::env::set_var("AWS_REGION", "eu-west-1");
    let client = LazyClient::new(make);
    let outcome = ConcurrentRun::new(WORKERS)
        .run(move |invocation| {
            let client = client.clone();
            async move {
                invocation.rendezvous().await;
                let (config, built) = tokio::join!(ferrule_aws::sdk_config(), client.get());
                (
                    config.endpoint_url().map(str::to_owned),
                    built.build,
                    built.endpoint.clone(),
                    std::ptr::from_ref(built) as usize,
                )
            }
        })
        .await
        .unwrap();
    assert_eq!(outcome.max_in_flight, WORKERS, "all in flight at once");
    assert_eq!(BUILT.load(Ordering::SeqCst), 1, "the client was built once");
    let first = outcome.finished[0].value.3;
    for finished in &outcome.finished {
        let (config_endpoint, build, client_endpoint, address) = &finished.value;
        assert_eq!(config_endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(*build, 1);
        assert_eq!(client_endpoint.as_deref(), Some("http://127.0.0.1:1"));
        assert_eq!(*address, first, "every invocation got the same client");
    }
}
