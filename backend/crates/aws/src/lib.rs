//! The AWS SDK configuration every Ferrule function shares.
//!
//! [`sdk_config`] loads the standard configuration (region, credentials, `AWS_ENDPOINT_URL`
//! and friends, exactly as the AWS CLI reads them) once per process and hands out clones:
//! clients built from it share one connection pool. The HTTPS client is rustls on `ring`
//! rather than the SDK default (`aws-lc-rs`): it compiles faster, cross-compiles with zig
//! without a C++ toolchain, and keeps artifacts smaller.
//!
//! In tests, `AWS_ENDPOINT_URL` points every client at the moto server: no test-only code.
//!
//! ```no_run
//! # async fn example() {
//! let config = ferrule_aws::sdk_config().await;
//! // let dynamodb = aws_sdk_dynamodb::Client::new(&config);
//! # let _ = config;
//! # }
//! ```

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls;
use tokio::sync::OnceCell;

static CONFIG: OnceCell<SdkConfig> = OnceCell::const_new();

/// The shared configuration, loaded on first use from the standard environment.
pub async fn sdk_config() -> SdkConfig {
    CONFIG.get_or_init(|| loader().load()).await.clone()
}

/// A loader with Ferrule's HTTP client, for callers that need to override something
/// (a region, an endpoint, test credentials) before loading.
pub fn loader() -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client())
}

/// The HTTPS client: rustls with ring, native roots, shared connection pool.
pub fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loads_once_and_honours_the_endpoint_variable() {
        // Set before the first load: the configuration is read once per process.
        std::env::set_var("AWS_ENDPOINT_URL", "http://127.0.0.1:1");
        std::env::set_var("AWS_REGION", "eu-west-1");
        let first = sdk_config().await;
        let second = sdk_config().await;
        assert_eq!(first.endpoint_url(), Some("http://127.0.0.1:1"));
        assert_eq!(second.region().map(|r| r.as_ref()), Some("eu-west-1"));
        assert!(first.http_client().is_some());
    }
}
