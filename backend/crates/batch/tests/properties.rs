//! Properties of the SQS batch over arbitrary bodies and repeated records: only ids from
//! the batch are reported, exactly the records whose body does not decode, and each
//! distinct body reaches the handler at most once.

use std::collections::HashSet;
use std::sync::Mutex;

use ferrule_batch::sqs::{SqsEvent, SqsProcessor};
use ferrule_errors::ErrorKind;
use proptest::prelude::*;

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        (0u32..5).prop_map(|n| format!("{{\"orderId\":\"o-{n}\"}}")),
        Just("{\"orderId\":".to_owned()),
        Just("null".to_owned()),
    ]
}

proptest! {
    #[test]
    fn failures_are_exactly_the_bodies_that_do_not_decode(bodies in prop::collection::vec(body(), 0..40)) {
        let records: Vec<serde_json::Value> = bodies
            .iter()
            .enumerate()
            .map(|(i, body)| serde_json::json!({ "messageId": format!("m-{i}"), "body": body }))
            .collect();
        let event: SqsEvent = serde_json::from_value(serde_json::json!({ "Records": records })).unwrap();
        let handled = Mutex::new(Vec::new());
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let response = runtime.block_on(SqsProcessor::new().process(event, |message: ferrule_batch::sqs::Message<serde_json::Map<String, serde_json::Value>>| {
            let handled = &handled;
            async move {
                handled.lock().unwrap().push(serde_json::to_string(&message.body).unwrap());
                Ok::<(), ErrorKind>(())
            }
        }));
        let reported: HashSet<String> = response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.clone())
            .collect();
        let expected: HashSet<String> = bodies
            .iter()
            .enumerate()
            .filter(|(_, body)| serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(body).is_err())
            .map(|(i, _)| format!("m-{i}"))
            .collect();
        prop_assert_eq!(reported, expected);
        let handled = handled.into_inner().unwrap();
        let distinct: HashSet<&String> = handled.iter().collect();
        prop_assert_eq!(distinct.len(), handled.len(), "a body was handled twice: {:?}", handled);
    }
}
