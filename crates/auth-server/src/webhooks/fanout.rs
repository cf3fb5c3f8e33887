//! From the audit trail to the outbox: each event a webhook event type
//! stands for is written as a delivery to every enabled endpoint of its
//! tenant that wants that type and existed when it happened, then the
//! cursor moves past it.
//!
//! On PostgreSQL a number taken before another can commit after it, so the
//! trail is read in order only as far as it has no hole: a missing number
//! is waited for ([`GAP_WAIT`]) and then taken for a rolled-back insert and
//! skipped. SQLite numbers commit in order.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::{Dispatcher, WebhookError};
use crate::domain::webhook::endpoint::events_from_column;
use crate::domain::webhook::event::{payload, EventType, TrailEntry};
use crate::store::webhooks::{EndpointRow, NewDelivery};

/// How long a hole in the trail's numbers is waited for.
pub const GAP_WAIT: Duration = Duration::from_secs(3);
/// Events read per batch; a round reads at most [`BATCHES`] of them.
const BATCH: i64 = 1_000;
const BATCHES: usize = 20;

/// A delivery to write, its body made.
struct Planned {
    tenant_id: String,
    endpoint_id: String,
    event_id: String,
    event_type: EventType,
    payload: String,
}

impl Dispatcher {
    /// Reads the trail past the cursor into the outbox; how many
    /// deliveries it wrote.
    pub(super) async fn fan_out(&self, endpoints: &[EndpointRow]) -> Result<usize, WebhookError> {
        if endpoints.is_empty() {
            // Nobody listens: the cursor skips to the end of the trail.
            let end = self.store.trail_end().await?;
            self.store.advance(&self.instance, end).await?;
            return Ok(0);
        }
        let mut by_tenant: HashMap<&str, Vec<(&EndpointRow, Vec<EventType>)>> = HashMap::new();
        for e in endpoints {
            by_tenant
                .entry(e.tenant_id.as_str())
                .or_default()
                .push((e, events_from_column(&e.events)));
        }
        let mut written = 0;
        for _ in 0..BATCHES {
            let from = self.store.read_up_to().await?;
            let events = self.store.trail_after(from, BATCH).await?;
            let read = events.len();
            let seqs: Vec<i64> = events.iter().map(|e| e.seq).collect();
            let readable = readable_prefix(from, &seqs, |missing| self.hole_waited_for(missing));
            let up_to = readable.checked_sub(1).map_or(from, |last| seqs[last]);
            let mut planned = Vec::new();
            for event in &events[..readable] {
                plan(event, &by_tenant, &mut planned);
            }
            let deliveries: Vec<NewDelivery<'_>> = {
                let now = self.clock.now();
                let retry_until = now.saturating_add(self.settings.retry_secs);
                planned
                    .iter()
                    .map(|p| NewDelivery {
                        tenant_id: &p.tenant_id,
                        endpoint_id: &p.endpoint_id,
                        event_id: &p.event_id,
                        event_type: p.event_type.as_str(),
                        payload: &p.payload,
                        now,
                        retry_until,
                    })
                    .collect()
            };
            self.store.enqueue(&deliveries).await?;
            written += deliveries.len();
            if up_to > from {
                self.store.advance(&self.instance, up_to).await?;
            }
            if read < usize::try_from(BATCH).unwrap_or(usize::MAX) || up_to == from {
                break;
            }
        }
        Ok(written)
    }

    /// Whether the hole starting at `missing` has been waited for long
    /// enough; the first time it is seen, the wait starts.
    fn hole_waited_for(&self, missing: i64) -> bool {
        let mut gap = self.gap.lock().unwrap_or_else(|e| e.into_inner());
        match *gap {
            Some((seq, since)) if seq == missing => since.elapsed() >= GAP_WAIT,
            _ => {
                *gap = Some((missing, Instant::now()));
                false
            }
        }
    }
}

/// The deliveries one entry of the trail makes.
fn plan(
    entry: &TrailEntry,
    by_tenant: &HashMap<&str, Vec<(&EndpointRow, Vec<EventType>)>>,
    planned: &mut Vec<Planned>,
) {
    let event = &entry.event;
    let Some(event_type) = EventType::of_audit(&event.kind, &event.outcome) else {
        return;
    };
    let Some(endpoints) = by_tenant.get(event.tenant_id.as_str()) else {
        return;
    };
    for (endpoint, wanted) in endpoints {
        if !wanted.contains(&event_type) || endpoint.created_at > event.created_at {
            continue;
        }
        let body = payload(entry, event_type, &endpoint.tenant_slug);
        planned.push(Planned {
            tenant_id: event.tenant_id.clone(),
            endpoint_id: endpoint.id.clone(),
            event_id: entry.id.clone(),
            event_type,
            payload: body.to_string(),
        });
    }
}

/// How many of `seqs` (the numbers read after `from`, ascending) can be
/// taken in order: up to the first hole that `waited` (given the first
/// missing number) says has not been waited for long enough.
fn readable_prefix(from: i64, seqs: &[i64], mut waited: impl FnMut(i64) -> bool) -> usize {
    let mut last = from;
    for (i, &seq) in seqs.iter().enumerate() {
        let next = last.saturating_add(1);
        if seq != next && !waited(next) {
            return i;
        }
        last = seq;
    }
    seqs.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_a_row_are_all_read() {
        assert_eq!(readable_prefix(10, &[11, 12, 13], |_| panic!("no hole")), 3);
        assert_eq!(readable_prefix(10, &[], |_| panic!("no hole")), 0);
    }

    #[test]
    fn reading_stops_at_a_hole_until_it_has_been_waited_for() {
        let mut asked = Vec::new();
        let n = readable_prefix(10, &[11, 13, 14], |missing| {
            asked.push(missing);
            false
        });
        assert_eq!((n, asked), (1, vec![12]));
        // A hole right after the cursor.
        assert_eq!(readable_prefix(10, &[12], |missing| missing != 11), 0);
        // Waited for: skipped, and the next hole is asked about in turn.
        let mut asked = Vec::new();
        let n = readable_prefix(10, &[11, 13, 16], |missing| {
            asked.push(missing);
            missing == 12
        });
        assert_eq!((n, asked), (2, vec![12, 14]));
    }
}
