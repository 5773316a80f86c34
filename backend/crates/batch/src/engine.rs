//! The loop shared by every source: decode, handle, log, collect the failed ids.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::future::{ready, Future};

use ferrule_errors::{Classify, ErrorKind};
use futures_util::{stream, StreamExt};

use crate::DecodeError;

/// How a batch reacts to a failed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Every record is handled, up to `concurrency` at a time (SQS standard queues).
    Independent { concurrency: usize },
    /// One record at a time; after the first failure the rest are reported without
    /// being handled, so nothing overtakes the failed record (SQS FIFO, streams).
    StopAtFirstFailure,
    /// One record at a time; after a failure the later records of the same message
    /// group are reported without being handled, other groups go on (SQS FIFO).
    SkipFailedGroups,
}

/// What the engine needs to know about a record before handing it over.
pub(crate) struct Source<R> {
    /// `eventSource` as Lambda names it, for the logs (`aws:sqs`, ...).
    pub name: &'static str,
    /// The field Lambda expects in `itemIdentifier`, for the logs.
    pub id_field: &'static str,
    pub id: fn(&R) -> Option<&str>,
    /// The FIFO message group, for [`Policy::SkipFailedGroups`].
    pub group: fn(&R) -> Option<&str>,
    /// What makes two records copies of one another (an SQS body delivered twice, a stream
    /// record repeated): later copies in the same batch are not handled again; they share
    /// the first copy's outcome.
    pub copy_key: fn(&R) -> Option<&str>,
}

/// For each record, the index of an earlier record it is a copy of.
fn earlier_copies<R>(source: &Source<R>, records: &[R]) -> Vec<Option<usize>> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            let key = (source.copy_key)(record)?;
            match first.get(key) {
                Some(original) => Some(*original),
                None => {
                    first.insert(key, index);
                    None
                }
            }
        })
        .collect()
}

/// Runs `handler` on every record `decode` accepts and returns the identifiers to report
/// in `batchItemFailures`, in record order. `None` is a failed record without an
/// identifier: reported as null or empty, which makes Lambda retry the whole batch.
pub(crate) async fn run<R, In, D, F, Fut, E>(
    source: &Source<R>,
    records: Vec<R>,
    policy: Policy,
    decode: D,
    handler: F,
) -> Vec<Option<String>>
where
    D: Fn(R) -> Result<In, DecodeError>,
    F: Fn(In) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Classify + Display,
{
    let copies = earlier_copies(source, &records);
    let repeated = copies.iter().flatten().count();
    if repeated > 0 {
        tracing::info!(
            event_source = source.name,
            repeated,
            "records repeated in this batch are handled once; each copy shares the first one's outcome"
        );
    }
    let failed = match policy {
        Policy::Independent { concurrency } => {
            independent(source, records, &copies, concurrency, &decode, &handler).await
        }
        Policy::StopAtFirstFailure => {
            in_order(source, records, &copies, false, &decode, &handler).await
        }
        Policy::SkipFailedGroups => {
            in_order(source, records, &copies, true, &decode, &handler).await
        }
    };
    if failed.iter().any(Option::is_none) {
        tracing::error!(
            event_source = source.name,
            "a failed record has no {}; Lambda will retry the whole batch",
            source.id_field
        );
    }
    failed
}

async fn independent<R, In, D, F, Fut, E>(
    source: &Source<R>,
    records: Vec<R>,
    copies: &[Option<usize>],
    concurrency: usize,
    decode: &D,
    handler: &F,
) -> Vec<Option<String>>
where
    D: Fn(R) -> Result<In, DecodeError>,
    F: Fn(In) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Classify + Display,
{
    let ids: Vec<Option<String>> = records
        .iter()
        .map(|record| (source.id)(record).map(str::to_owned))
        .collect();
    let originals = records
        .into_iter()
        .enumerate()
        .filter(|(index, _)| copies.get(*index).is_none_or(Option::is_none));
    let mut failed: Vec<(usize, Option<String>)> = stream::iter(originals)
        .map(|(index, record)| {
            let id = ids.get(index).cloned().flatten();
            async move {
                let handled = attempt(source, id.as_deref(), record, decode, handler).await;
                (index, id, handled)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .filter_map(|(index, id, handled)| ready((!handled).then_some((index, id))))
        .collect()
        .await;
    // A copy fails with its original, so that it is retried too.
    let failed_originals: HashSet<usize> = failed.iter().map(|(index, _)| *index).collect();
    for (index, original) in copies.iter().enumerate() {
        if original.is_some_and(|original| failed_originals.contains(&original)) {
            failed.push((index, ids.get(index).cloned().flatten()));
        }
    }
    // Records finish in any order; report them in the order Lambda sent them.
    failed.sort_unstable_by_key(|(index, _)| *index);
    failed.into_iter().map(|(_, id)| id).collect()
}

async fn in_order<R, In, D, F, Fut, E>(
    source: &Source<R>,
    records: Vec<R>,
    copies: &[Option<usize>],
    skip_groups: bool,
    decode: &D,
    handler: &F,
) -> Vec<Option<String>>
where
    D: Fn(R) -> Result<In, DecodeError>,
    F: Fn(In) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Classify + Display,
{
    let mut failed = Vec::new();
    let mut failed_groups: HashSet<String> = HashSet::new();
    let mut stopped = false;
    let mut skipped = 0_usize;
    let mut failed_indices: HashSet<usize> = HashSet::new();
    for (index, record) in records.into_iter().enumerate() {
        let id = (source.id)(&record).map(str::to_owned);
        let group = if skip_groups {
            (source.group)(&record).map(str::to_owned)
        } else {
            None
        };
        let blocked = stopped || group.as_ref().is_some_and(|g| failed_groups.contains(g));
        if blocked {
            skipped += 1;
            failed_indices.insert(index);
            failed.push(id);
            continue;
        }
        if let Some(original) = copies.get(index).copied().flatten() {
            // Handled once already; a copy of a failed record is retried with it.
            if failed_indices.contains(&original) {
                failed_indices.insert(index);
                failed.push(id);
            }
            continue;
        }
        if !attempt(source, id.as_deref(), record, decode, handler).await {
            failed_indices.insert(index);
            failed.push(id);
            match group {
                Some(group) => {
                    failed_groups.insert(group);
                }
                // Without a group (or when groups are not skipped one by one) nothing
                // later may overtake the failed record.
                None => stopped = true,
            }
        }
    }
    if skipped > 0 {
        tracing::warn!(
            event_source = source.name,
            skipped,
            "records after a failed one were not handled, to keep their order; they are reported for retry"
        );
    }
    failed
}

/// Decodes and handles one record; logs the failure (never the payload).
async fn attempt<R, In, D, F, Fut, E>(
    source: &Source<R>,
    id: Option<&str>,
    record: R,
    decode: &D,
    handler: &F,
) -> bool
where
    D: Fn(R) -> Result<In, DecodeError>,
    F: Fn(In) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Classify + Display,
{
    match decode(record) {
        Ok(input) => match handler(input).await {
            Ok(()) => true,
            Err(error) => {
                log_failure(source, id, error.kind(), &error);
                false
            }
        },
        Err(error) => {
            log_failure(source, id, error.kind(), &error);
            false
        }
    }
}

fn log_failure<R>(source: &Source<R>, id: Option<&str>, kind: ErrorKind, error: &dyn Display) {
    tracing::error!(
        event_source = source.name,
        record_id = id.unwrap_or("<missing>"),
        error_kind = %kind,
        error = %error,
        "batch record failed; it is reported for retry"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A record as the engine sees it: id, group, and whether the handler fails it.
    #[derive(Debug, Clone)]
    struct Item {
        id: Option<&'static str>,
        group: Option<&'static str>,
        fail: bool,
    }

    const SOURCE: Source<Item> = Source {
        name: "test",
        id_field: "id",
        id: |item| item.id,
        group: |item| item.group,
        copy_key: |item| item.id,
    };

    fn item(id: &'static str, group: &'static str, fail: bool) -> Item {
        Item {
            id: Some(id),
            group: Some(group),
            fail,
        }
    }

    async fn run_items(
        items: Vec<Item>,
        policy: Policy,
    ) -> (Vec<Option<String>>, Vec<&'static str>) {
        let handled = Mutex::new(Vec::new());
        let failed = run(&SOURCE, items, policy, Ok, |item: Item| {
            let handled = &handled;
            async move {
                handled.lock().unwrap().push(item.id.unwrap_or("?"));
                if item.fail {
                    Err(ErrorKind::Retryable)
                } else {
                    Ok(())
                }
            }
        })
        .await;
        (failed, handled.into_inner().unwrap())
    }

    #[tokio::test]
    async fn a_record_repeated_in_one_batch_is_handled_once_under_every_policy() {
        for policy in [
            Policy::Independent { concurrency: 4 },
            Policy::StopAtFirstFailure,
            Policy::SkipFailedGroups,
        ] {
            let items = vec![
                item("a", "g1", false),
                item("b", "g2", false),
                item("a", "g1", false),
                item("a", "g1", false),
            ];
            let (failed, handled) = run_items(items, policy).await;
            assert!(failed.is_empty(), "{policy:?}: {failed:?}");
            let mut handled = handled;
            handled.sort_unstable();
            assert_eq!(handled, ["a", "b"], "{policy:?}");
        }
    }

    #[tokio::test]
    async fn a_copy_of_a_failed_record_is_reported_with_it() {
        let items = vec![
            item("a", "g1", true),
            item("b", "g2", false),
            item("a", "g1", true),
        ];
        let (failed, handled) = run_items(items, Policy::Independent { concurrency: 4 }).await;
        assert_eq!(failed, [Some("a".to_owned()), Some("a".to_owned())]);
        assert_eq!(handled.iter().filter(|id| **id == "a").count(), 1);
    }

    #[tokio::test]
    async fn skip_failed_groups_keeps_other_groups_going() {
        let items = vec![
            item("a1", "a", false),
            item("b1", "b", true),
            item("a2", "a", false),
            item("b2", "b", false),
            item("c1", "c", true),
            item("a3", "a", false),
        ];
        let (failed, handled) = run_items(items, Policy::SkipFailedGroups).await;
        assert_eq!(handled, ["a1", "b1", "a2", "c1", "a3"]);
        let failed: Vec<_> = failed.into_iter().flatten().collect();
        assert_eq!(failed, ["b1", "b2", "c1"]);
    }

    #[tokio::test]
    async fn skip_failed_groups_stops_everything_when_the_failed_record_has_no_group() {
        let mut ungrouped = item("x1", "", true);
        ungrouped.group = None;
        let items = vec![item("a1", "a", false), ungrouped, item("a2", "a", false)];
        let (failed, handled) = run_items(items, Policy::SkipFailedGroups).await;
        assert_eq!(handled, ["a1", "x1"]);
        let failed: Vec<_> = failed.into_iter().flatten().collect();
        assert_eq!(failed, ["x1", "a2"]);
    }

    #[tokio::test]
    async fn a_failed_record_without_id_is_reported_as_none() {
        let mut anonymous = item("", "a", true);
        anonymous.id = None;
        let items = vec![item("a1", "a", false), anonymous];
        let (failed, _) = run_items(items, Policy::Independent { concurrency: 1 }).await;
        assert_eq!(failed, [None]);
    }

    #[tokio::test]
    async fn concurrency_zero_is_treated_as_one() {
        let items = vec![item("a1", "a", true), item("a2", "a", false)];
        let (failed, handled) = run_items(items, Policy::Independent { concurrency: 0 }).await;
        assert_eq!(handled, ["a1", "a2"]);
        assert_eq!(failed, [Some("a1".to_owned())]);
    }

    #[tokio::test]
    async fn a_decode_failure_never_reaches_the_handler() {
        let handled = Mutex::new(0);
        let items = vec![item("a1", "a", false), item("a2", "a", false)];
        let failed = run(
            &SOURCE,
            items,
            Policy::Independent { concurrency: 2 },
            |item: Item| {
                if item.id == Some("a2") {
                    Err(DecodeError::MissingBody)
                } else {
                    Ok(item)
                }
            },
            |_item: Item| {
                let handled = &handled;
                async move {
                    *handled.lock().unwrap() += 1;
                    Ok::<(), ErrorKind>(())
                }
            },
        )
        .await;
        assert_eq!(failed, [Some("a2".to_owned())]);
        assert_eq!(handled.into_inner().unwrap(), 1);
    }
}
