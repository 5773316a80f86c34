//! The AWS adapter: records in a DynamoDB table.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};

use ferrule_aws::LazyClient;

use crate::store::{Claim, PersistenceStore, Record, Status, StoreError};

/// Attribute names of the idempotency table. The defaults are Powertools': a table with
/// partition key `id` and TTL on `expiration`. With a sort key, every record uses the same
/// static sort key value, so the records can share a single-table design.
#[derive(Debug, Clone)]
pub struct TableLayout {
    pub partition_key: String,
    pub sort_key: Option<(String, String)>,
    pub expiry_attr: String,
    pub in_progress_expiry_attr: String,
    pub status_attr: String,
    pub data_attr: String,
    pub validation_attr: String,
}

impl Default for TableLayout {
    fn default() -> Self {
        Self {
            partition_key: "id".to_owned(),
            sort_key: None,
            expiry_attr: "expiration".to_owned(),
            in_progress_expiry_attr: "in_progress_expiration".to_owned(),
            status_attr: "status".to_owned(),
            data_attr: "data".to_owned(),
            validation_attr: "validation".to_owned(),
        }
    }
}

fn traced_client(config: &aws_config::SdkConfig) -> aws_sdk_dynamodb::Client {
    ferrule_aws::traced_client!(aws_sdk_dynamodb, config)
}

/// [`PersistenceStore`] on DynamoDB: the claim is one `PutItem` with a condition.
#[derive(Debug, Clone)]
pub struct DynamoDbStore {
    client: LazyClient<aws_sdk_dynamodb::Client>,
    table: String,
    layout: TableLayout,
}

impl DynamoDbStore {
    pub fn new(client: aws_sdk_dynamodb::Client, table: &str) -> Self {
        Self::with_client(LazyClient::ready(client), table)
    }

    /// A store on a client built from an SDK configuration, with X-Ray tracing of its calls.
    pub fn from_conf(config: &aws_config::SdkConfig, table: &str) -> Self {
        Self::new(traced_client(config), table)
    }

    /// A store whose traced client (and the shared SDK configuration) is created on the first
    /// call, so init does no SDK work. Clones share the client.
    ///
    /// ```
    /// let store = ferrule_idempotency::DynamoDbStore::lazy("orders-dev");
    /// # let _ = store;
    /// ```
    pub fn lazy(table: &str) -> Self {
        Self::with_client(LazyClient::new(traced_client), table)
    }

    fn with_client(client: LazyClient<aws_sdk_dynamodb::Client>, table: &str) -> Self {
        Self {
            client,
            table: table.to_owned(),
            layout: TableLayout::default(),
        }
    }

    pub fn with_layout(mut self, layout: TableLayout) -> Self {
        self.layout = layout;
        self
    }

    fn key(&self, key: &str) -> HashMap<String, AttributeValue> {
        let mut item = HashMap::from([(
            self.layout.partition_key.clone(),
            AttributeValue::S(key.to_owned()),
        )]);
        if let Some((name, value)) = &self.layout.sort_key {
            item.insert(name.clone(), AttributeValue::S(value.clone()));
        }
        item
    }

    fn parse(&self, item: &HashMap<String, AttributeValue>) -> Option<Record> {
        let s = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let n = |name: &str| {
            item.get(name)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
        };
        Some(Record {
            key: s(&self.layout.partition_key)?,
            status: Status::parse(&s(&self.layout.status_attr)?)?,
            expires_at_s: n(&self.layout.expiry_attr)?,
            in_progress_expires_at_ms: n(&self.layout.in_progress_expiry_attr),
            response: s(&self.layout.data_attr),
            payload_hash: s(&self.layout.validation_attr),
        })
    }
}

fn store_error<E: ProvideErrorMetadata + std::fmt::Debug>(operation: &str, error: E) -> StoreError {
    StoreError(format!(
        "{operation}: {} {}",
        error.code().unwrap_or("error"),
        error.message().unwrap_or_default()
    ))
}

impl PersistenceStore for DynamoDbStore {
    async fn claim(&self, record: &Record, now_s: i64, now_ms: i64) -> Result<Claim, StoreError> {
        let layout = &self.layout;
        let mut item = self.key(&record.key);
        item.insert(
            layout.status_attr.clone(),
            AttributeValue::S(record.status.as_str().to_owned()),
        );
        item.insert(
            layout.expiry_attr.clone(),
            AttributeValue::N(record.expires_at_s.to_string()),
        );
        if let Some(deadline) = record.in_progress_expires_at_ms {
            item.insert(
                layout.in_progress_expiry_attr.clone(),
                AttributeValue::N(deadline.to_string()),
            );
        }
        if let Some(hash) = &record.payload_hash {
            item.insert(
                layout.validation_attr.clone(),
                AttributeValue::S(hash.clone()),
            );
        }
        let result = self
            .client
            .get()
            .await
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(#pk) OR #expiry < :now OR \
                 (#status = :inprogress AND attribute_exists(#inprogress) AND #inprogress < :now_ms)",
            )
            .expression_attribute_names("#pk", &layout.partition_key)
            .expression_attribute_names("#expiry", &layout.expiry_attr)
            .expression_attribute_names("#status", &layout.status_attr)
            .expression_attribute_names("#inprogress", &layout.in_progress_expiry_attr)
            .expression_attribute_values(":now", AttributeValue::N(now_s.to_string()))
            .expression_attribute_values(":now_ms", AttributeValue::N(now_ms.to_string()))
            .expression_attribute_values(":inprogress", AttributeValue::S(Status::InProgress.as_str().to_owned()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(error) => {
                let service = error.into_service_error();
                if !service.is_conditional_check_failed_exception() {
                    return Err(store_error("PutItem", service));
                }
                // The existing item comes with the error; read it when the service omits it.
                let existing = match &service {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e) => {
                        e.item().and_then(|item| self.parse(item))
                    }
                    _ => None,
                };
                match existing {
                    Some(record) => Ok(Claim::Exists(record)),
                    None => match self.get(&record.key).await? {
                        Some(record) => Ok(Claim::Exists(record)),
                        None => Err(StoreError(format!(
                            "record {} was claimed and removed concurrently; retry",
                            record.key
                        ))),
                    },
                }
            }
        }
    }

    async fn complete(
        &self,
        key: &str,
        response: &str,
        expires_at_s: i64,
    ) -> Result<(), StoreError> {
        let layout = &self.layout;
        self.client
            .get()
            .await
            .update_item()
            .table_name(&self.table)
            .set_key(Some(self.key(key)))
            .update_expression(
                "SET #status = :completed, #data = :data, #expiry = :expiry REMOVE #inprogress",
            )
            .expression_attribute_names("#status", &layout.status_attr)
            .expression_attribute_names("#data", &layout.data_attr)
            .expression_attribute_names("#expiry", &layout.expiry_attr)
            .expression_attribute_names("#inprogress", &layout.in_progress_expiry_attr)
            .expression_attribute_values(
                ":completed",
                AttributeValue::S(Status::Completed.as_str().to_owned()),
            )
            .expression_attribute_values(":data", AttributeValue::S(response.to_owned()))
            .expression_attribute_values(":expiry", AttributeValue::N(expires_at_s.to_string()))
            .send()
            .await
            .map_err(|e| store_error("UpdateItem", e.into_service_error()))?;
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.client
            .get()
            .await
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(self.key(key)))
            .send()
            .await
            .map_err(|e| store_error("DeleteItem", e.into_service_error()))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<Record>, StoreError> {
        let output = self
            .client
            .get()
            .await
            .get_item()
            .table_name(&self.table)
            .set_key(Some(self.key(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", e.into_service_error()))?;
        Ok(output.item().and_then(|item| self.parse(item)))
    }
}
