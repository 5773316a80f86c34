//! `{{name}}`: {{description}}
//!
//! Reads the stream of the table `{{table}}` with `ferrule-batch`. Records are handled in
//! order; at the first failure that record and every later one are reported
//! (`batchItemFailures`), so Lambda retries from there and never applies a change twice or
//! out of order. Every item of the table reaches this handler: decide here which ones matter.

use ferrule_batch::dynamodb::{Change, DynamoDbEventResponse, Event, Operation};
use ferrule_batch::DynamoDbProcessor;
use ferrule_errors::FunctionError;
use lambda_runtime::{Error, LambdaEvent};
use serde::Deserialize;

/// The key of every item: tables created from a Ferrule declaration have a string
/// partition key `pk` and sort key `sk`.
#[derive(Debug, Deserialize, PartialEq, Eq)]
pub struct Keys {
    pub pk: String,
    pub sk: String,
}

/// An item image. Any item decodes into `serde_json::Value`: replace it with your item
/// type (an enum for single-table designs), and an image that does not decode is reported.
pub type Item = serde_json::Value;

const PROCESSOR: DynamoDbProcessor = DynamoDbProcessor::new();

/// Handles one change. An `Err` reports this record and every later one of the batch.
pub async fn handle_change(change: Change<Item>) -> Result<(), FunctionError> {
    let keys: Keys = change
        .keys()
        .map_err(|error| FunctionError::validation(format!("unexpected keys: {error}")))?;
    match change.operation {
        Operation::Insert | Operation::Modify => {
            tracing::info!(pk = %keys.pk, sk = %keys.sk, operation = change.operation.as_str(), "item changed");
        }
        Operation::Remove => tracing::info!(pk = %keys.pk, sk = %keys.sk, "item removed"),
    }
    Ok(())
}

/// Lambda handler: every record of the batch through [`handle_change`].
pub async fn handler(event: LambdaEvent<Event>) -> Result<DynamoDbEventResponse, Error> {
    Ok(PROCESSOR.process(event.payload, handle_change).await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_runtime::Context;

    async fn failures(event: Event) -> Result<Vec<Option<String>>, Error> {
        let response = handler(LambdaEvent::new(event, Context::default())).await?;
        Ok(response
            .batch_item_failures
            .into_iter()
            .map(|failure| failure.item_identifier)
            .collect())
    }

    fn fixture() -> Result<Event, Error> {
        Ok(ferrule_testkit::fixture_as("{{fixture}}")?)
    }

    #[tokio::test]
    async fn every_record_of_the_fixture_is_handled() -> Result<(), Error> {
        let event = fixture()?;
        assert!(!event.records.is_empty());
        assert_eq!(failures(event).await?, Vec::<Option<String>>::new());
        Ok(())
    }

    #[tokio::test]
    async fn a_record_that_fails_is_reported() -> Result<(), Error> {
        let mut event = fixture()?;
        let first = event.records.first_mut().ok_or("the fixture has no record")?;
        first.event_name = "TRUNCATE".to_owned();
        let failed = first.change.sequence_number.clone();
        let reported = failures(event).await?;
        assert_eq!(reported.first(), Some(&failed));
        Ok(())
    }
}
