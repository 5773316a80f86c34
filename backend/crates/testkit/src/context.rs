//! Lambda [`Context`] values for handler tests, built the way the runtime builds them.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use lambda_runtime::{Config, Context};

/// Builds a [`Context`] as lambda_runtime does from the Runtime API headers.
///
/// ```
/// use std::time::Duration;
/// let ctx = ferrule_testkit::ContextBuilder::new("req-1")
///     .remaining(Duration::from_secs(3))
///     .function_name("orders-api")
///     .trace_header("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1")
///     .build();
/// assert_eq!(ctx.request_id, "req-1");
/// assert_eq!(ctx.env_config.function_name, "orders-api");
/// ```
#[derive(Debug, Clone)]
pub struct ContextBuilder {
    request_id: String,
    remaining: Duration,
    function_name: String,
    memory_mb: i32,
    trace_header: Option<String>,
}

impl ContextBuilder {
    pub fn new(request_id: &str) -> Self {
        Self {
            request_id: request_id.to_owned(),
            remaining: Duration::from_secs(3),
            function_name: "test-function".to_owned(),
            memory_mb: 128,
            trace_header: None,
        }
    }

    /// Time left before the deadline (the runtime sends it as epoch milliseconds).
    pub fn remaining(mut self, remaining: Duration) -> Self {
        self.remaining = remaining;
        self
    }

    pub fn function_name(mut self, name: &str) -> Self {
        self.function_name = name.to_owned();
        self
    }

    pub fn memory_mb(mut self, memory_mb: i32) -> Self {
        self.memory_mb = memory_mb;
        self
    }

    /// The `Lambda-Runtime-Trace-Id` header of the invocation.
    pub fn trace_header(mut self, header: &str) -> Self {
        self.trace_header = Some(header.to_owned());
        self
    }

    pub fn build(self) -> Context {
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_add(self.remaining)
            .as_millis();
        let mut headers = HeaderMap::new();
        headers.insert(
            "lambda-runtime-deadline-ms",
            HeaderValue::from(u64::try_from(deadline).unwrap_or(u64::MAX)),
        );
        let arn = format!(
            "arn:aws:lambda:eu-west-1:123456789012:function:{}",
            self.function_name
        );
        if let Ok(value) = HeaderValue::from_str(&arn) {
            headers.insert("lambda-runtime-invoked-function-arn", value);
        }
        if let Some(value) = self
            .trace_header
            .as_deref()
            .and_then(|h| HeaderValue::from_str(h).ok())
        {
            headers.insert("lambda-runtime-trace-id", value);
        }
        let config = Config {
            function_name: self.function_name,
            memory: self.memory_mb,
            version: "$LATEST".to_owned(),
            log_stream: "2026/11/26/[$LATEST]test".to_owned(),
            log_group: "/aws/lambda/test".to_owned(),
        };
        // Context::new only fails on malformed headers, and these are built above.
        Context::new(&self.request_id, Arc::new(config), &headers).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_is_in_the_future_by_the_remaining_time() {
        let ctx = ContextBuilder::new("r")
            .remaining(Duration::from_secs(10))
            .build();
        let left = ctx
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or_default();
        assert!(left > Duration::from_secs(9) && left <= Duration::from_secs(10));
        assert!(ctx
            .invoked_function_arn
            .ends_with(":function:test-function"));
        assert_eq!(ctx.xray_trace_id, None);
    }
}
