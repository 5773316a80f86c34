//! The orders table on DynamoDB: orders, profiles and notifications in one table.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use aws_sdk_dynamodb::Client;
use ferrule_aws::{Failure, LazyClient};
use orders_domain::{
    CustomerId, CustomerProfile, CustomerProfiles, Notification, Notifications, Order, OrderId,
    OrderReader, OrderWriter, Page, PageRequest, Recorded, Registration, RepositoryError,
};
use serde::Serialize;

use crate::cursor;
use crate::image;
use crate::keys;
use crate::stored::{StoredNotification, StoredOrder, StoredProfile};

type Item = HashMap<String, AttributeValue>;

/// The orders table: implements [`OrderReader`], [`OrderWriter`], [`CustomerProfiles`]
/// and [`Notifications`] with the key design of [`crate::keys`].
///
/// - reads are strongly consistent (a `GET` right after a `POST` finds the order);
/// - `insert` and the profile and notification writes are conditional on the item being
///   absent, `update` on `version` being the expected one (`ReturnValuesOnConditionCheckFailure
///   = ALL_OLD` tells a stale version from a missing order in one call);
/// - listing is one `Query` on `pk` with `begins_with(sk, "ORDER#")`, newest first
///   (`ScanIndexForward = false`), `Limit` = page size + 1 to know whether more follow.
///
/// ```no_run
/// use orders_adapters::DynamoDbOrders;
/// use orders_domain::{CustomerId, OrderReader, PageRequest};
///
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// // At init: no SDK work until the first call.
/// let orders = DynamoDbOrders::lazy(std::env::var("ORDERS_TABLE")?);
/// let page = orders.list(&CustomerId::parse("c-1")?, &PageRequest::default()).await?;
/// # let _ = page; Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct DynamoDbOrders {
    client: LazyClient<Client>,
    table: Arc<str>,
}

fn traced_client(config: &aws_config::SdkConfig) -> Client {
    ferrule_aws::traced_client!(aws_sdk_dynamodb, config)
}

impl DynamoDbOrders {
    /// On a client you built.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client: LazyClient::ready(client),
            table: Arc::from(table.into()),
        }
    }

    /// On a client built now from `config`, with X-Ray subsegments for its calls.
    pub fn from_conf(config: &SdkConfig, table: impl Into<String>) -> Self {
        Self::new(traced_client(config), table)
    }

    /// On a traced client built on the first call from `ferrule_aws::sdk_config()`.
    pub fn lazy(table: impl Into<String>) -> Self {
        Self {
            client: LazyClient::new(traced_client),
            table: Arc::from(table.into()),
        }
    }

    /// The table name.
    pub fn table(&self) -> &str {
        &self.table
    }

    async fn client(&self) -> &Client {
        self.client.get().await
    }
}

#[derive(Serialize)]
struct Record<'a, T> {
    pk: String,
    sk: String,
    entity: &'static str,
    #[serde(flatten)]
    body: &'a T,
}

fn to_item<T: Serialize>(
    pk: String,
    sk: String,
    entity: &'static str,
    body: &T,
) -> Result<Item, RepositoryError> {
    let key = format!("{pk}/{sk}");
    serde_dynamo::to_item(Record {
        pk,
        sk,
        entity,
        body,
    })
    .map_err(|error| RepositoryError::Corrupt {
        key,
        reason: format!("cannot be written: {error}"),
    })
}

fn order_item(order: &Order) -> Result<Item, RepositoryError> {
    to_item(
        keys::customer_pk(order.customer_id()),
        keys::order_sk(order.id()),
        keys::ORDER_ENTITY,
        &StoredOrder::from(order),
    )
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([
        (keys::PK.to_owned(), AttributeValue::S(pk)),
        (keys::SK.to_owned(), AttributeValue::S(sk)),
    ])
}

/// An order item back into an [`Order`] (see [`crate::image::decode_order`]).
fn order_from_item(item: Item) -> Result<Order, RepositoryError> {
    // serde_dynamo converts the SDK map into its own item type to decode it anyway.
    image::decode_order(item.into())
}

/// DynamoDB's throttling codes that `ferrule_aws::classify` does not recognise by name.
const DYNAMODB_TRANSIENT: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "TransactionConflictException",
];

/// Maps an SDK failure to Unavailable (throttling, 5xx, timeouts) or Failed (the rest).
fn sdk_error<E, R>(operation: &'static str, error: &SdkError<E, R>) -> RepositoryError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    let classified = ferrule_aws::classify(error);
    if let (Failure::Permanent(message), Some(code)) = (&classified, error.code()) {
        if DYNAMODB_TRANSIENT.contains(&code) {
            return RepositoryError::Unavailable {
                operation,
                message: message.clone(),
            };
        }
    }
    match classified {
        Failure::Transient(message) => RepositoryError::Unavailable { operation, message },
        Failure::Permanent(message) => RepositoryError::Failed { operation, message },
    }
}

/// The old item of a failed conditional put: `Some(item)` if it existed.
fn condition_failed<R>(error: &SdkError<PutItemError, R>) -> Option<Option<&Item>> {
    match error.as_service_error() {
        Some(PutItemError::ConditionalCheckFailedException(failed)) => Some(failed.item()),
        _ => None,
    }
}

impl DynamoDbOrders {
    /// A put that must not overwrite: `Ok(true)` if written, `Ok(false)` if the key exists.
    async fn put_if_absent(
        &self,
        operation: &'static str,
        item: Item,
    ) -> Result<bool, RepositoryError> {
        let result = self
            .client()
            .await
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if condition_failed(&error).is_some() => Ok(false),
            Err(error) => Err(sdk_error(operation, &error)),
        }
    }

    async fn get_item(
        &self,
        operation: &'static str,
        key: Item,
    ) -> Result<Option<Item>, RepositoryError> {
        let output = self
            .client()
            .await
            .get_item()
            .table_name(self.table.as_ref())
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| sdk_error(operation, &error))?;
        Ok(output.item)
    }
}

impl OrderReader for DynamoDbOrders {
    async fn get(
        &self,
        customer: &CustomerId,
        id: &OrderId,
    ) -> Result<Option<Order>, RepositoryError> {
        let key = key(keys::customer_pk(customer), keys::order_sk(id));
        self.get_item("GetItem order", key)
            .await?
            .map(order_from_item)
            .transpose()
    }

    async fn list(
        &self,
        customer: &CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Order>, RepositoryError> {
        let pk = keys::customer_pk(customer);
        let start = page
            .cursor
            .as_ref()
            .map(|c| cursor::decode(customer, c))
            .transpose()?
            .map(|after| key(pk.clone(), keys::order_sk(&after)));
        let size = page.size.get();
        let output = self
            .client()
            .await
            .query()
            .table_name(self.table.as_ref())
            .key_condition_expression("pk = :pk AND begins_with(sk, :orders)")
            .expression_attribute_values(":pk", AttributeValue::S(pk.clone()))
            .expression_attribute_values(":orders", AttributeValue::S(keys::ORDER_PREFIX.into()))
            .scan_index_forward(false)
            .consistent_read(true)
            // One more than asked: whether a next page exists without a second query.
            .limit(i32::try_from(size + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|error| sdk_error("Query orders", &error))?;
        let last_evaluated = output.last_evaluated_key.is_some();
        let mut items = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(order_from_item)
            .collect::<Result<Vec<_>, _>>()?;
        // More than a page read: more follow. A page or less with a LastEvaluatedKey: the
        // 1 MB limit cut the query short, so more may follow too.
        let more = items.len() > size || last_evaluated;
        items.truncate(size);
        let next = match items.last() {
            Some(last) if more => Some(cursor::encode(&pk, &keys::order_sk(last.id()))),
            _ => None,
        };
        Ok(Page { items, next })
    }
}

impl OrderWriter for DynamoDbOrders {
    async fn insert(&self, order: &Order) -> Result<(), RepositoryError> {
        if self
            .put_if_absent("PutItem new order", order_item(order)?)
            .await?
        {
            Ok(())
        } else {
            Err(RepositoryError::AlreadyExists {
                order_id: *order.id(),
            })
        }
    }

    async fn update(&self, order: &Order, expected_version: u64) -> Result<(), RepositoryError> {
        let result = self
            .client()
            .await
            .put_item()
            .table_name(self.table.as_ref())
            .set_item(Some(order_item(order)?))
            // A missing item has no version, so the condition also fails when it is gone.
            .condition_expression("#version = :expected")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(
                ":expected",
                AttributeValue::N(expected_version.to_string()),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let error = match result {
            Ok(_) => return Ok(()),
            Err(error) => error,
        };
        match condition_failed(&error) {
            Some(Some(old)) => Err(RepositoryError::VersionConflict {
                order_id: *order.id(),
                expected: expected_version,
                actual: old
                    .get("version")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0),
            }),
            Some(None) => Err(RepositoryError::NotFound {
                order_id: *order.id(),
            }),
            None => Err(sdk_error("PutItem order update", &error)),
        }
    }
}

impl CustomerProfiles for DynamoDbOrders {
    async fn create_if_absent(
        &self,
        profile: &CustomerProfile,
    ) -> Result<Registration, RepositoryError> {
        let item = to_item(
            keys::customer_pk(profile.customer_id()),
            keys::PROFILE_SK.to_owned(),
            keys::PROFILE_ENTITY,
            &StoredProfile::from(profile),
        )?;
        Ok(if self.put_if_absent("PutItem profile", item).await? {
            Registration::Created
        } else {
            Registration::AlreadyRegistered
        })
    }

    async fn get_profile(
        &self,
        customer: &CustomerId,
    ) -> Result<Option<CustomerProfile>, RepositoryError> {
        let pk = keys::customer_pk(customer);
        let Some(item) = self
            .get_item("GetItem profile", key(pk.clone(), keys::PROFILE_SK.into()))
            .await?
        else {
            return Ok(None);
        };
        let corrupt = |reason: String| RepositoryError::Corrupt {
            key: format!("{pk}/{}", keys::PROFILE_SK),
            reason,
        };
        let stored: StoredProfile =
            serde_dynamo::from_item(item).map_err(|error| corrupt(error.to_string()))?;
        CustomerProfile::try_from(stored).map(Some).map_err(corrupt)
    }
}

impl Notifications for DynamoDbOrders {
    async fn record(&self, notification: &Notification) -> Result<Recorded, RepositoryError> {
        let item = to_item(
            keys::customer_pk(notification.customer_id()),
            keys::notification_sk(notification.event_id()),
            keys::NOTIFICATION_ENTITY,
            &StoredNotification::from(notification),
        )?;
        Ok(if self.put_if_absent("PutItem notification", item).await? {
            Recorded::New
        } else {
            Recorded::Duplicate
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use orders_domain::testing::sample_order;

    fn text<'a>(item: &'a Item, name: &str) -> &'a str {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map_or("", String::as_str)
    }

    #[test]
    fn an_order_item_has_its_keys_entity_and_camel_case_fields() {
        let order = sample_order();
        let item = order_item(&order).unwrap();
        assert_eq!(
            text(&item, "pk"),
            "CUSTOMER#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
        );
        assert_eq!(text(&item, "sk"), "ORDER#01M8BEWE407HD9W8BV0KBFG6HB");
        assert_eq!(text(&item, "entity"), "ORDER");
        assert_eq!(text(&item, "status"), "PLACED");
        assert_eq!(item.get("totalCents").unwrap().as_n().unwrap(), "6499");
        assert_eq!(item.get("version").unwrap().as_n().unwrap(), "1");
        assert!(!item.contains_key("trackingNumber"), "absent, not NULL");
        assert_eq!(order_from_item(item).unwrap(), order);
    }

    fn s(value: &str) -> AttributeValue {
        AttributeValue::S(value.to_owned())
    }

    fn n(value: &str) -> AttributeValue {
        AttributeValue::N(value.to_owned())
    }

    fn line(sku: &str, quantity: &str, unit_price_cents: &str) -> AttributeValue {
        AttributeValue::M(HashMap::from([
            ("sku".to_owned(), s(sku)),
            ("quantity".to_owned(), n(quantity)),
            ("unitPriceCents".to_owned(), n(unit_price_cents)),
        ]))
    }

    /// The stored order item, attribute for attribute: what the table holds, the stream
    /// carries and `ferrule bench`'s seed writes. No domain rename may change it.
    #[test]
    fn the_stored_order_item_is_pinned_attribute_for_attribute() {
        let placed = sample_order();
        let mut expected: Item = HashMap::from([
            (
                "pk".to_owned(),
                s("CUSTOMER#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
            ),
            ("sk".to_owned(), s("ORDER#01M8BEWE407HD9W8BV0KBFG6HB")),
            ("entity".to_owned(), s("ORDER")),
            ("orderId".to_owned(), s("01M8BEWE407HD9W8BV0KBFG6HB")),
            (
                "customerId".to_owned(),
                s("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"),
            ),
            (
                "items".to_owned(),
                AttributeValue::L(vec![
                    line("BOOK-RUST-2021", "1", "3999"),
                    line("MUG-FERRIS", "2", "1250"),
                ]),
            ),
            ("totalCents".to_owned(), n("6499")),
            ("currency".to_owned(), s("EUR")),
            ("status".to_owned(), s("PLACED")),
            ("placedAt".to_owned(), s("2026-11-26T08:17:20.512Z")),
            ("version".to_owned(), n("1")),
        ]);
        assert_eq!(order_item(&placed).unwrap(), expected);
        assert_eq!(order_from_item(expected.clone()).unwrap(), placed);

        let mut shipped = placed.clone();
        shipped
            .mark_shipped(
                orders_domain::TrackingNumber::parse("1Z999AA10123456784").unwrap(),
                orders_domain::Timestamp::parse("2026-11-26T09:02:10.004Z").unwrap(),
            )
            .unwrap();
        expected.insert("status".to_owned(), s("SHIPPED"));
        expected.insert("shippedAt".to_owned(), s("2026-11-26T09:02:10.004Z"));
        expected.insert("trackingNumber".to_owned(), s("1Z999AA10123456784"));
        expected.insert("version".to_owned(), n("2"));
        assert_eq!(order_item(&shipped).unwrap(), expected);
        assert_eq!(order_from_item(expected).unwrap(), shipped);

        let mut cancelled = placed;
        cancelled
            .cancel(orders_domain::Timestamp::parse("2026-11-26T08:45:03.250Z").unwrap())
            .unwrap();
        let item = order_item(&cancelled).unwrap();
        assert_eq!(item["status"], s("CANCELLED"));
        assert_eq!(item["cancelledAt"], s("2026-11-26T08:45:03.250Z"));
        assert_eq!(item.len(), 12, "{item:?}");
        assert_eq!(order_from_item(item).unwrap(), cancelled);
    }

    #[test]
    fn an_item_under_the_wrong_key_or_with_bad_fields_is_corrupt() {
        let order = sample_order();
        let mut moved = order_item(&order).unwrap();
        moved.insert(
            "pk".into(),
            AttributeValue::S("CUSTOMER#someone-else".into()),
        );
        match order_from_item(moved) {
            Err(RepositoryError::Corrupt { key, reason }) => {
                assert!(key.starts_with("CUSTOMER#someone-else/ORDER#"), "{key}");
                assert!(reason.contains("does not match"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        let mut broken = order_item(&order).unwrap();
        broken.insert("status".into(), AttributeValue::S("LOST".into()));
        match order_from_item(broken) {
            Err(RepositoryError::Corrupt { reason, .. }) => {
                assert!(reason.contains("LOST"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn sdk_failures_are_unavailable_or_failed() {
        use aws_sdk_dynamodb::error::ErrorMetadata;
        let throttled: SdkError<ErrorMetadata, ()> = SdkError::service_error(
            ErrorMetadata::builder()
                .code("ProvisionedThroughputExceededException")
                .build(),
            (),
        );
        assert!(matches!(
            sdk_error("Query orders", &throttled),
            RepositoryError::Unavailable {
                operation: "Query orders",
                ..
            }
        ));
        let denied: SdkError<ErrorMetadata, ()> = SdkError::service_error(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .build(),
            (),
        );
        match sdk_error("GetItem order", &denied) {
            RepositoryError::Failed { operation, message } => {
                assert_eq!(operation, "GetItem order");
                assert!(message.contains("AccessDeniedException"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn construction_does_no_io() {
        let orders = DynamoDbOrders::lazy("orders-dev");
        assert_eq!(orders.table(), "orders-dev");
        assert!(format!("{orders:?}").contains("initialized: false"));
    }

    fn profile_item(profile: &CustomerProfile) -> Item {
        to_item(
            keys::customer_pk(profile.customer_id()),
            keys::PROFILE_SK.to_owned(),
            keys::PROFILE_ENTITY,
            &StoredProfile::from(profile),
        )
        .unwrap()
    }

    fn profile(name: Option<&str>) -> CustomerProfile {
        CustomerProfile::new(
            CustomerId::parse("c-1").unwrap(),
            orders_domain::Email::parse("grace@example.com").unwrap(),
            name,
            orders_domain::Timestamp::parse("2026-11-26T08:00:00Z").unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn a_profile_item_has_its_keys_entity_and_camel_case_fields() {
        let named = profile(Some("Grace"));
        let item = profile_item(&named);
        assert_eq!(
            item,
            HashMap::from([
                ("pk".to_owned(), s("CUSTOMER#c-1")),
                ("sk".to_owned(), s("PROFILE")),
                ("entity".to_owned(), s("PROFILE")),
                ("customerId".to_owned(), s("c-1")),
                ("email".to_owned(), s("grace@example.com")),
                ("name".to_owned(), s("Grace")),
                ("createdAt".to_owned(), s("2026-11-26T08:00:00.000Z")),
            ])
        );
        let back: StoredProfile = serde_dynamo::from_item(item).unwrap();
        assert_eq!(CustomerProfile::try_from(back).unwrap(), named);
        let unnamed = profile_item(&profile(None));
        assert!(!unnamed.contains_key("name"), "absent, not NULL");
    }

    #[test]
    fn a_stored_profile_is_checked_again_when_read() {
        let mut item = profile_item(&profile(Some("Grace")));
        item.insert("name".to_owned(), s("a\u{7}b"));
        let back: StoredProfile = serde_dynamo::from_item(item).unwrap();
        let error = CustomerProfile::try_from(back).unwrap_err();
        assert!(error.contains("name"), "{error}");
    }

    #[test]
    fn a_notification_item_names_its_event_kind_and_message() {
        let event = orders_domain::OrderEvent::placed(&sample_order());
        let at = orders_domain::Timestamp::parse("2026-11-26T08:17:21Z").unwrap();
        let note = Notification::for_event(&event, at);
        let item = to_item(
            keys::customer_pk(note.customer_id()),
            keys::notification_sk(note.event_id()),
            keys::NOTIFICATION_ENTITY,
            &StoredNotification::from(&note),
        )
        .unwrap();
        assert_eq!(
            item,
            HashMap::from([
                (
                    "pk".to_owned(),
                    s("CUSTOMER#1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
                ),
                (
                    "sk".to_owned(),
                    s("NOTIFICATION#01M8BEWE407HD9W8BV0KBFG6HB:1")
                ),
                ("entity".to_owned(), s("NOTIFICATION")),
                ("eventId".to_owned(), s("01M8BEWE407HD9W8BV0KBFG6HB:1")),
                (
                    "customerId".to_owned(),
                    s("1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d")
                ),
                ("orderId".to_owned(), s("01M8BEWE407HD9W8BV0KBFG6HB")),
                ("kind".to_owned(), s("OrderPlaced")),
                (
                    "message".to_owned(),
                    s("We received your order 01M8BEWE407HD9W8BV0KBFG6HB (64.99 EUR).")
                ),
                ("recordedAt".to_owned(), s("2026-11-26T08:17:21.000Z")),
            ])
        );
    }
}
