//! Order ids from a fast, per-thread random generator.

use orders_domain::{IdGenerator, OrderId, Timestamp};

/// ULID order ids: the time part from the clock, 80 random bits from `fastrand`
/// (wyrand seeded per thread from the OS-seeded hasher keys, already in every function
/// through the tracer). Ids are unique, not secret: an order is only reachable under its
/// owner's key, so guessing an id gains nothing.
///
/// ```
/// use orders_adapters::RandomIds;
/// use orders_domain::{IdGenerator, Timestamp};
///
/// let at = Timestamp::parse("2026-11-26T08:17:20.512Z")?;
/// let (a, b) = (RandomIds.order_id(at), RandomIds.order_id(at));
/// assert_ne!(a, b);
/// assert_eq!(a.created_at(), at);
/// # Ok::<(), orders_domain::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdGenerator for RandomIds {
    fn order_id(&self, at: Timestamp) -> OrderId {
        OrderId::new(at, fastrand::u128(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_carry_the_time() {
        let at = Timestamp::parse("2026-11-26T08:17:20.512Z").unwrap();
        let ids: HashSet<OrderId> = (0..10_000).map(|_| RandomIds.order_id(at)).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.created_at() == at));
        let later = RandomIds.order_id(at.plus_millis(1));
        assert!(
            ids.iter().all(|id| *id < later),
            "time orders before randomness"
        );
    }
}
