//! `{{name}}`: {{description}}
//!
//! Runs on the schedule `{{schedule}}` (an EventBridge rule on the default bus). The
//! invocation is asynchronous: an `Err` makes Lambda retry twice, then the event goes to the
//! function's on-failure queue. Make the job safe to run twice.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use ferrule_errors::FunctionError;
use lambda_runtime::LambdaEvent;
use serde::Serialize;

/// What one run did (its answer, kept for tests and `ferrule invoke`).
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub outcome: &'static str,
    /// The time the run was scheduled for, as EventBridge sent it.
    pub scheduled_for: String,
}

/// Lambda handler: one scheduled run.
pub async fn handler(
    event: LambdaEvent<EventBridgeEvent<serde_json::Value>>,
) -> Result<Outcome, FunctionError> {
    let event = event.payload;
    let Some(time) = event.time else {
        return Err(FunctionError::validation(
            "the scheduled event has no time; was the function invoked by its schedule?",
        ));
    };
    let scheduled_for = time.to_rfc3339();
    tracing::info!(scheduled_for = %scheduled_for, "scheduled run");
    Ok(Outcome {
        outcome: "ran",
        scheduled_for,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::{Context, Error};

    fn fixture() -> Result<EventBridgeEvent<serde_json::Value>, Error> {
        Ok(ferrule_testkit::fixture_as("{{fixture}}")?)
    }

    #[tokio::test]
    async fn a_scheduled_event_runs_the_job() -> Result<(), Error> {
        let outcome = handler(LambdaEvent::new(fixture()?, Context::default())).await?;
        assert_eq!(outcome.outcome, "ran");
        assert_eq!(outcome.scheduled_for, "{{scheduled_for}}");
        Ok(())
    }

    #[tokio::test]
    async fn an_event_without_time_fails() -> Result<(), Error> {
        let mut event = fixture()?;
        event.time = None;
        assert!(handler(LambdaEvent::new(event, Context::default())).await.is_err());
        Ok(())
    }
}
