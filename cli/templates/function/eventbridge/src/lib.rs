//! `{{name}}`: {{description}}
//!
//! The target of an EventBridge rule{{bus_doc}}. EventBridge invokes it asynchronously: an
//! `Err` makes Lambda retry twice, then the event goes to the function's on-failure queue,
//! so fail only when a retry can help or the event must be looked at.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use ferrule_errors::FunctionError;
use lambda_runtime::LambdaEvent;
use serde::Serialize;

/// The event's `detail`. Any JSON decodes into `serde_json::Value`: replace it with the type
/// of the events the rule matches.
pub type Detail = serde_json::Value;

/// What the function did with one event (its answer, kept for tests and `ferrule invoke`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub outcome: &'static str,
    pub detail_type: String,
    pub event_id: String,
}

/// Lambda handler: one event per invocation.
pub async fn handler(
    event: LambdaEvent<EventBridgeEvent<Detail>>,
) -> Result<Outcome, FunctionError> {
    let event = event.payload;
    if !event.detail.is_object() {
        return Err(FunctionError::validation(format!(
            "{} event has a detail that is not a JSON object",
            event.detail_type
        )));
    }
    let event_id = event.id.unwrap_or_default();
    tracing::info!(detail_type = %event.detail_type, source = %event.source, event_id = %event_id, "event handled");
    Ok(Outcome {
        outcome: "handled",
        detail_type: event.detail_type,
        event_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::{Context, Error};

    fn fixture() -> Result<EventBridgeEvent<Detail>, Error> {
        Ok(ferrule_testkit::fixture_as("{{fixture}}")?)
    }

    #[tokio::test]
    async fn the_fixture_is_handled() -> Result<(), Error> {
        let event = fixture()?;
        let expected_type = event.detail_type.clone();
        let outcome = handler(LambdaEvent::new(event, Context::default())).await?;
        assert_eq!(outcome.outcome, "handled");
        assert_eq!(outcome.detail_type, expected_type);
        assert!(!outcome.event_id.is_empty());
        Ok(())
    }

    #[tokio::test]
    async fn a_detail_that_is_not_an_object_fails() -> Result<(), Error> {
        let mut event = fixture()?;
        event.detail = serde_json::json!("text");
        let result = handler(LambdaEvent::new(event, Context::default())).await;
        assert!(result.is_err());
        Ok(())
    }
}
