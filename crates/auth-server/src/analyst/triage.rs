//! The analyst's triage note of each new incident. Every instance with the
//! analyst on looks every few seconds for incidents opened in the last
//! hour (their `sentinel` audit events: a detector's name, or
//! `client_secret_compromised`) without a note, claims each one
//! (`incident_notes`: one instance writes it) and asks for its note. The
//! sentinel's round never waits for the model: the incident, its actions
//! and its mails are complete before a note is asked for.
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use service_kit::clock::SharedClock;
use service_kit::periodic::{spawn_every, First};
use tokio::task::JoinHandle;

use super::Analyst;
use crate::domain::sentinel::{Detector, CLIENT_SECRET_COMPROMISED};
use crate::store::incident_notes::IncidentNoteStore;
use crate::store::StoreError;

/// How often each instance looks for incidents without a note.
pub const EVERY: Duration = Duration::from_secs(2);
/// How far back: an incident older than this when the analyst first sees
/// it (it was off, or down) gets no note.
pub const LOOKBACK_SECS: i64 = 3600;

pub struct Triage {
    analyst: Arc<Analyst>,
    notes: IncidentNoteStore,
    clock: SharedClock,
}

impl Triage {
    pub fn new(analyst: Arc<Analyst>, pool: sqlx::AnyPool, clock: SharedClock) -> Self {
        Self {
            analyst,
            notes: IncidentNoteStore::new(pool),
            clock,
        }
    }

    /// Claims and notes every recent incident without a note; how many
    /// were claimed (noted or not).
    pub async fn round(&self) -> Result<usize, StoreError> {
        let since = self.clock.now().saturating_sub(LOOKBACK_SECS);
        let outcomes: Vec<&str> = Detector::ALL
            .iter()
            .map(|d| d.as_str())
            .chain([CLIENT_SECRET_COMPROMISED])
            .collect();
        let events = self.notes.incident_events(&outcomes, since).await?;
        let claimed: HashSet<String> = self.notes.claimed_since(since).await?.into_iter().collect();
        let mut taken = 0;
        for event in events {
            let Ok(detail) = serde_json::from_str::<serde_json::Value>(&event.detail) else {
                continue;
            };
            let Some(id) = detail["incident"].as_str() else {
                continue;
            };
            if claimed.contains(id)
                || !self
                    .notes
                    .claim(id, event.tenant_id, self.clock.now())
                    .await?
            {
                continue;
            }
            taken += 1;
            if let Some(note) = self.analyst.incident_note(&event.outcome, &detail).await {
                self.notes.write(id, &note, self.clock.now()).await?;
            }
        }
        Ok(taken)
    }

    /// Runs [`Triage::round`] every [`EVERY`] until the server stops.
    pub fn spawn(self: Arc<Self>) -> JoinHandle<()> {
        spawn_every("incident_triage", EVERY, First::Now, move || {
            let triage = self.clone();
            async move {
                if let Err(e) = triage.round().await {
                    tracing::warn!(error = %e, "incident triage round failed; retrying soon");
                }
            }
        })
    }
}
