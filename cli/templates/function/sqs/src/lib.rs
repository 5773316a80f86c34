//! `{{name}}`: {{description}}
//!
//! Consumes an SQS {{queue_kind}} queue with `ferrule-batch`. Each message is handled on its
//! own and only the ones that fail are reported (`batchItemFailures`), so Lambda retries just
//! those, and a message that keeps failing moves to the queue's dead-letter queue.
//! {{ordering}}

use ferrule_batch::sqs::{Message, SqsBatchResponse, SqsEvent};
use ferrule_batch::SqsProcessor;
use ferrule_errors::FunctionError;
use lambda_runtime::{Error, LambdaEvent};

/// A message body. Any JSON decodes into `serde_json::Value`: replace it with the type your
/// producers send, and a body that does not decode into it is reported as failed.
pub type Body = serde_json::Value;

const PROCESSOR: SqsProcessor = SqsProcessor::new();

/// Handles one message. An `Err` reports the message as failed; the error's kind
/// (`FunctionError::validation`, `retryable`, ...) is logged with it.
pub async fn handle_message(message: Message<Body>) -> Result<(), FunctionError> {
    if message.body.is_null() {
        return Err(FunctionError::validation("the message body is JSON null"));
    }
    tracing::info!(message_id = message.message_id(), "message handled");
    Ok(())
}

/// Lambda handler: every message of the batch through [`handle_message`].
pub async fn handler(event: LambdaEvent<SqsEvent>) -> Result<SqsBatchResponse, Error> {
    Ok(PROCESSOR.process(event.payload, handle_message).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;

    async fn failures(event: SqsEvent) -> Result<Vec<String>, Error> {
        let response = handler(LambdaEvent::new(event, Context::default())).await?;
        Ok(response
            .batch_item_failures
            .into_iter()
            .map(|failure| failure.item_identifier)
            .collect())
    }

    fn fixture() -> Result<SqsEvent, Error> {
        Ok(ferrule_testkit::fixture_as("{{fixture}}")?)
    }

    #[tokio::test]
    async fn every_message_of_the_fixture_is_handled() -> Result<(), Error> {
        let event = fixture()?;
        assert!(!event.records.is_empty());
        assert_eq!(failures(event).await?, Vec::<String>::new());
        Ok(())
    }

    #[tokio::test]
    async fn a_message_that_fails_is_reported() -> Result<(), Error> {
        let mut event = fixture()?;
        let first = event.records.first_mut().ok_or("the fixture has no record")?;
        first.body = Some("not JSON".to_owned());
        let failed_id = first.message_id.clone().unwrap_or_default();
        let reported = failures(event).await?;
        assert_eq!(reported.first(), Some(&failed_id));
        assert_eq!(reported.len(), {{failed_after_first}});
        Ok(())
    }
}
