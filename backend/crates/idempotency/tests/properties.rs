//! Properties of idempotency keys over arbitrary events and expressions: selection never
//! panics, and the key of a value does not depend on how its object keys were ordered.

use ferrule_idempotency::{hash_value, Selection};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Letters and spaces only: a string holding JSON is parsed by a selection, on purpose.
        "[a-z ]{0,8}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,6}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_expression_parses_or_is_refused_and_selection_never_panics(expression in any::<String>(), event in json()) {
        if let Ok(selection) = Selection::parse(&expression) {
            let _ = selection.select(&event);
        }
    }

    #[test]
    fn dotted_paths_select_what_is_there(event in json(), key in "[a-z]{1,6}") {
        let selection = Selection::parse(&format!("body.{key}")).unwrap();
        let wrapped = serde_json::json!({ "body": event.clone() });
        let expected = event.get(&key).filter(|v| !v.is_null()).cloned();
        prop_assert_eq!(selection.select(&wrapped), expected);
    }

    #[test]
    fn the_hash_ignores_the_order_keys_arrived_in(pairs in prop::collection::vec(("[a-z]{1,6}", any::<i64>()), 0..12)) {
        let forward: Map<String, Value> = pairs.iter().map(|(k, v)| (k.clone(), Value::from(*v))).collect();
        let backward: Map<String, Value> = pairs.iter().rev().map(|(k, v)| (k.clone(), Value::from(*v))).collect();
        // Later duplicates win in both maps the same way only when keys are unique.
        let unique = forward.len() == pairs.len();
        prop_assume!(unique);
        prop_assert_eq!(hash_value(&Value::Object(forward)), hash_value(&Value::Object(backward)));
    }
}
