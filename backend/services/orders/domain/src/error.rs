//! Every error of the domain, classified for the edges with [`Classify`].

use std::borrow::Cow;
use std::fmt;

use ferrule_errors::{Classify, ErrorKind};

use crate::ids::OrderId;
use crate::order::OrderStatus;
use crate::values::TrackingNumber;

/// One input field that breaks a rule: its path (`items[1].quantity`) and why.
///
/// ```
/// let error = orders_domain::Quantity::new(0).unwrap_err();
/// assert_eq!(error.field(), "quantity");
/// assert_eq!(error.to_string(), "quantity: must be between 1 and 99 (got 0)");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    field: Cow<'static, str>,
    reason: String,
}

impl ValidationError {
    /// An error on `field` (a path such as `items[0].sku`).
    pub fn new(field: impl Into<Cow<'static, str>>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The field's path in the input.
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What is wrong with it.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// The same error below a parent path: `quantity` under `items[1]` is `items[1].quantity`.
    pub(crate) fn under(self, parent: &str) -> Self {
        Self {
            field: Cow::Owned(format!("{parent}.{}", self.field)),
            reason: self.reason,
        }
    }
}

impl Classify for ValidationError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

/// Every field error of one input, so a client can fix them all at once.
///
/// ```
/// use orders_domain::{CustomerId, NewOrder, NewOrderItem, PlaceOrder};
///
/// let request = NewOrder {
///     currency: "XYZ".into(),
///     items: vec![NewOrderItem { sku: "MUG".into(), quantity: 0, unit_price_cents: 100 }],
/// };
/// let error = PlaceOrder::new(CustomerId::parse("c-1").unwrap(), request).unwrap_err();
/// let fields: Vec<&str> = error.errors().iter().map(|e| e.field()).collect();
/// assert_eq!(fields, ["currency", "items[0].quantity"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InvalidInput {
    errors: Vec<ValidationError>,
}

impl InvalidInput {
    /// From the field errors, in input order.
    pub fn new(errors: Vec<ValidationError>) -> Self {
        Self { errors }
    }

    /// The field errors, in input order.
    pub fn errors(&self) -> &[ValidationError] {
        &self.errors
    }
}

impl fmt::Display for InvalidInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid input: ")?;
        for (n, error) in self.errors.iter().enumerate() {
            if n > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl From<ValidationError> for InvalidInput {
    fn from(error: ValidationError) -> Self {
        Self::new(vec![error])
    }
}

impl Classify for InvalidInput {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Validation
    }
}

/// A failure of a storage port (orders, profiles, notifications).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepositoryError {
    /// `insert` of an order whose id is taken.
    #[error("order {order_id} already exists")]
    AlreadyExists { order_id: OrderId },
    /// `update` of an order that does not exist.
    #[error("order {order_id} does not exist")]
    NotFound { order_id: OrderId },
    /// `update` with an expected version that is no longer the stored one.
    #[error("order {order_id} changed concurrently: expected version {expected}, found {actual}")]
    VersionConflict {
        /// The order updated.
        order_id: OrderId,
        /// The version the caller read.
        expected: u64,
        /// The version stored (0 if unreadable).
        actual: u64,
    },
    /// A list cursor that this store did not issue for this customer.
    #[error("cursor is not valid: {reason}")]
    InvalidCursor { reason: String },
    /// The store is throttled, down or timed out: trying again later may work.
    #[error("{operation} failed and may succeed later: {message}")]
    Unavailable {
        /// The call that failed (`GetItem order`, `Query orders`, ...).
        operation: &'static str,
        /// The SDK's error code and message.
        message: String,
    },
    /// The store refused the call (permissions, missing table): retrying will not help.
    #[error("{operation} was refused: {message}")]
    Failed {
        /// The call that failed.
        operation: &'static str,
        /// The SDK's error code and message.
        message: String,
    },
    /// A stored item that does not decode into the domain type.
    #[error("stored item {key} is not valid: {reason}")]
    Corrupt { key: String, reason: String },
}

impl Classify for RepositoryError {
    fn kind(&self) -> ErrorKind {
        match self {
            RepositoryError::AlreadyExists { .. } | RepositoryError::VersionConflict { .. } => {
                ErrorKind::Conflict
            }
            RepositoryError::NotFound { .. } => ErrorKind::NotFound,
            RepositoryError::InvalidCursor { .. } => ErrorKind::Validation,
            RepositoryError::Unavailable { .. } => ErrorKind::Retryable,
            RepositoryError::Failed { .. } | RepositoryError::Corrupt { .. } => {
                ErrorKind::NonRetryable
            }
        }
    }
}

/// A failure of the shipping provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShippingError {
    /// A 5xx, a 429, a timeout, no connection: the same request may succeed later.
    #[error("shipping provider unavailable: {reason}")]
    Retryable { reason: String },
    /// The provider refused the request (a 4xx, an answer without a tracking number).
    #[error("shipping provider rejected the shipment{}: {reason}", status.map(|s| format!(" with status {s}")).unwrap_or_default())]
    Rejected { status: Option<u16>, reason: String },
}

impl ShippingError {
    /// Whether the provider refused the credentials (401/403): refresh the API key.
    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            ShippingError::Rejected {
                status: Some(401 | 403),
                ..
            }
        )
    }
}

impl Classify for ShippingError {
    fn kind(&self) -> ErrorKind {
        match self {
            ShippingError::Retryable { .. } => ErrorKind::Retryable,
            ShippingError::Rejected { .. } => ErrorKind::NonRetryable,
        }
    }
}

/// What a use case returns when it cannot do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    /// The input breaks a rule; every field error is listed.
    #[error(transparent)]
    Invalid(#[from] InvalidInput),
    /// No such order for this customer (another customer's order is not found either).
    #[error("order {order_id} not found")]
    NotFound { order_id: OrderId },
    /// Cancelling an order that has shipped.
    #[error("order {order_id} has shipped and can no longer be cancelled")]
    AlreadyShipped { order_id: OrderId },
    /// Shipping an order that is not placed (it was cancelled).
    #[error("order {order_id} is {status} and cannot be shipped")]
    NotShippable {
        /// The order.
        order_id: OrderId,
        /// Its status (`CANCELLED`).
        status: OrderStatus,
    },
    /// Shipping an order again with another tracking number.
    #[error("order {order_id} has already shipped with tracking number {tracking_number}")]
    ShippedElsewhere {
        /// The order.
        order_id: OrderId,
        /// The tracking number it shipped with.
        tracking_number: TrackingNumber,
    },
    /// The order kept changing under the use case; the caller may try again.
    #[error("order {order_id} was changed by another request; try again")]
    ConcurrentUpdate { order_id: OrderId },
    /// A storage failure.
    #[error(transparent)]
    Repository(#[from] RepositoryError),
    /// A shipping provider failure.
    #[error(transparent)]
    Shipping(#[from] ShippingError),
}

impl From<ValidationError> for OrderError {
    fn from(error: ValidationError) -> Self {
        OrderError::Invalid(error.into())
    }
}

impl Classify for OrderError {
    fn kind(&self) -> ErrorKind {
        match self {
            OrderError::Invalid(error) => error.kind(),
            OrderError::NotFound { .. } => ErrorKind::NotFound,
            OrderError::AlreadyShipped { .. }
            | OrderError::NotShippable { .. }
            | OrderError::ShippedElsewhere { .. }
            | OrderError::ConcurrentUpdate { .. } => ErrorKind::Conflict,
            OrderError::Repository(error) => error.kind(),
            OrderError::Shipping(error) => error.kind(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order_id() -> OrderId {
        OrderId::parse("01M8BEWE407HD9W8BV0KBFG6HB").unwrap()
    }

    #[test]
    fn validation_errors_name_the_field_and_nest_under_a_parent() {
        let error = ValidationError::new("quantity", "must be between 1 and 99 (got 0)");
        let nested = error.clone().under("items[2]");
        assert_eq!(nested.field(), "items[2].quantity");
        assert_eq!(nested.reason(), error.reason());
        assert_eq!(nested.kind(), ErrorKind::Validation);
        let all = InvalidInput::new(vec![error, ValidationError::new("currency", "unknown")]);
        assert_eq!(
            all.to_string(),
            "invalid input: quantity: must be between 1 and 99 (got 0); currency: unknown"
        );
        assert_eq!(all.kind(), ErrorKind::Validation);
    }

    #[test]
    fn repository_errors_map_to_the_kind_a_caller_acts_on() {
        let id = order_id();
        let cases = [
            (
                RepositoryError::AlreadyExists { order_id: id },
                ErrorKind::Conflict,
            ),
            (
                RepositoryError::NotFound { order_id: id },
                ErrorKind::NotFound,
            ),
            (
                RepositoryError::VersionConflict {
                    order_id: id,
                    expected: 1,
                    actual: 2,
                },
                ErrorKind::Conflict,
            ),
            (
                RepositoryError::InvalidCursor {
                    reason: "not base64".into(),
                },
                ErrorKind::Validation,
            ),
            (
                RepositoryError::Unavailable {
                    operation: "Query",
                    message: "throttled".into(),
                },
                ErrorKind::Retryable,
            ),
            (
                RepositoryError::Failed {
                    operation: "PutItem",
                    message: "AccessDenied".into(),
                },
                ErrorKind::NonRetryable,
            ),
            (
                RepositoryError::Corrupt {
                    key: "CUSTOMER#c/ORDER#x".into(),
                    reason: "no status".into(),
                },
                ErrorKind::NonRetryable,
            ),
        ];
        for (error, kind) in cases {
            assert_eq!(error.kind(), kind, "{error}");
            assert_eq!(OrderError::from(error.clone()).kind(), kind, "{error}");
        }
    }

    #[test]
    fn messages_name_the_culprit() {
        let error = RepositoryError::VersionConflict {
            order_id: order_id(),
            expected: 1,
            actual: 3,
        };
        assert_eq!(
            error.to_string(),
            "order 01M8BEWE407HD9W8BV0KBFG6HB changed concurrently: expected version 1, found 3"
        );
        let rejected = ShippingError::Rejected {
            status: Some(422),
            reason: "unknown sku".into(),
        };
        assert_eq!(
            rejected.to_string(),
            "shipping provider rejected the shipment with status 422: unknown sku"
        );
        let no_status = ShippingError::Rejected {
            status: None,
            reason: "bad answer".into(),
        };
        assert_eq!(
            no_status.to_string(),
            "shipping provider rejected the shipment: bad answer"
        );
    }

    #[test]
    fn shipping_errors_are_retryable_or_not_and_401_asks_for_a_new_key() {
        let retryable = ShippingError::Retryable {
            reason: "503".into(),
        };
        assert_eq!(retryable.kind(), ErrorKind::Retryable);
        assert!(!retryable.is_unauthorized());
        for status in [401, 403] {
            let error = ShippingError::Rejected {
                status: Some(status),
                reason: "bad key".into(),
            };
            assert!(error.is_unauthorized());
            assert_eq!(error.kind(), ErrorKind::NonRetryable);
        }
        let bad_request = ShippingError::Rejected {
            status: Some(400),
            reason: "x".into(),
        };
        assert!(!bad_request.is_unauthorized());
        assert_eq!(
            OrderError::from(retryable).kind(),
            ErrorKind::Retryable,
            "a shipping outage is retried"
        );
    }

    #[test]
    fn rule_violations_are_conflicts() {
        let id = order_id();
        let conflicts = [
            OrderError::AlreadyShipped { order_id: id },
            OrderError::NotShippable {
                order_id: id,
                status: OrderStatus::Cancelled,
            },
            OrderError::ShippedElsewhere {
                order_id: id,
                tracking_number: TrackingNumber::parse("1Z999").unwrap(),
            },
            OrderError::ConcurrentUpdate { order_id: id },
        ];
        for error in conflicts {
            assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
            assert!(error.to_string().contains(id.as_str()), "{error}");
        }
        assert_eq!(
            OrderError::NotFound { order_id: id }.kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            OrderError::from(ValidationError::new("sku", "empty")).kind(),
            ErrorKind::Validation
        );
        assert_eq!(
            OrderError::NotShippable {
                order_id: order_id(),
                status: OrderStatus::Cancelled
            }
            .to_string(),
            "order 01M8BEWE407HD9W8BV0KBFG6HB is CANCELLED and cannot be shipped"
        );
    }
}
