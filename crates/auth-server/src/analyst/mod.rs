//! The optional AI analyst (docs/sentinel.md, "AI analyst"): an
//! OpenAI-compatible chat-completions endpoint the operator configures
//! (`AUTH_AI_*`) writes the plain-language summary of each tenant's daily
//! security report and of the operators' report across tenants, and a
//! triage note per incident (`triage`). It is shown
//! only figures and detector names, free text masked
//! (`domain::analyst::facts`); it decides nothing: every action was taken
//! before it is asked. Each call is counted against a monthly token budget
//! kept in the database; past it, no call is made until the next month.
//! Whatever fails (timeout, HTTP error, malformed answer, budget spent),
//! the caller goes on without the text.
mod settings;
pub mod triage;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use service_kit::clock::SharedClock;
use service_kit::secret::Secret;
use url::Url;

use crate::domain::analyst::budget::{may_call, month_of};
use crate::domain::analyst::completion::{parse_answer, request_body, tokens_used, AnswerError};
use crate::domain::analyst::facts::{incident_facts, operator_facts, report_facts};
use crate::domain::analyst::prompt::{
    incident_messages, operator_messages, report_messages, Message,
};
use crate::domain::operator_report::OperatorReport;
use crate::domain::security_report::SecurityReport;
use crate::store::analyst_usage::AnalystUsageStore;
use crate::store::StoreError;
pub use settings::AnalystSettings;

/// The largest answer read, in bytes.
const MAX_ANSWER_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum AnalystError {
    #[error("the monthly token budget is spent")]
    BudgetSpent,
    #[error("no answer: {0}")]
    Request(String),
    #[error("the model's server answered HTTP {0}")]
    Status(u16),
    #[error("the answer is larger than {MAX_ANSWER_BYTES} bytes")]
    TooLarge,
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
}

pub struct Analyst {
    http: reqwest::Client,
    endpoint: Url,
    model: String,
    api_key: Option<Secret>,
    monthly_tokens: u64,
    usage: AnalystUsageStore,
    clock: SharedClock,
}

impl Analyst {
    pub fn new(
        settings: &AnalystSettings,
        pool: sqlx::AnyPool,
        clock: SharedClock,
    ) -> Result<Self, AnalystError> {
        Ok(Self {
            http: crate::outbound::client(
                "ConnectAuth-Analyst/1",
                settings.timeout,
                settings.private,
            )
            .map_err(AnalystError::Client)?,
            endpoint: settings.endpoint(),
            model: settings.model.clone(),
            api_key: settings.api_key.clone(),
            monthly_tokens: settings.monthly_tokens,
            usage: AnalystUsageStore::new(pool),
            clock,
        })
    }

    /// The summary paragraph of a tenant's daily report; `None` (logged)
    /// when the analyst could not write it.
    pub async fn report_summary(&self, report: &SecurityReport) -> Option<String> {
        let messages = report_messages(&report_facts(report));
        self.write("report summary", &messages).await
    }

    /// The summary paragraph of the operators' report across tenants;
    /// `None` (logged) when the analyst could not write it.
    pub async fn operator_summary(&self, report: &OperatorReport) -> Option<String> {
        let messages = operator_messages(&operator_facts(report));
        self.write("operator report summary", &messages).await
    }

    /// The triage note of the incident an audit event opened (`outcome`,
    /// its JSON `detail`); `None` (logged) when the analyst could not
    /// write it.
    pub async fn incident_note(&self, outcome: &str, detail: &serde_json::Value) -> Option<String> {
        let messages = incident_messages(&incident_facts(outcome, detail));
        self.write("incident note", &messages).await
    }

    async fn write(&self, what: &'static str, messages: &[Message]) -> Option<String> {
        match self.complete(messages).await {
            Ok(text) => Some(text),
            Err(AnalystError::BudgetSpent) => None,
            Err(e) => {
                tracing::warn!(error = %e, what, "the AI analyst wrote nothing");
                None
            }
        }
    }

    /// One chat completion of `messages`, within this month's budget.
    pub async fn complete(&self, messages: &[Message]) -> Result<String, AnalystError> {
        let now = self.clock.now();
        let month = month_of(now);
        if !may_call(self.usage.spent(&month).await?, self.monthly_tokens) {
            if self.usage.mark_capped(&month, now).await? {
                tracing::warn!(
                    month,
                    budget = self.monthly_tokens,
                    "the AI analyst's monthly token budget (AUTH_AI_MONTHLY_TOKEN_BUDGET) is spent: no call until next month"
                );
            }
            return Err(AnalystError::BudgetSpent);
        }
        let mut request = self
            .http
            .post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .body(request_body(&self.model, messages).to_string());
        if let Some(key) = &self.api_key {
            request = request.header(AUTHORIZATION, format!("Bearer {}", key.expose()));
        }
        let mut response = request.send().await.map_err(describe)?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(AnalystError::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        // Spent, whatever the answer is worth.
        self.usage.add(&month, tokens_used(&body)).await?;
        if !status.is_success() {
            return Err(AnalystError::Status(status.as_u16()));
        }
        Ok(parse_answer(&body)?.text)
    }
}

/// Why a call got no answer, without the request (its headers carry the key).
fn describe(e: reqwest::Error) -> AnalystError {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (redirects are not followed)"
    } else {
        "request failed"
    };
    AnalystError::Request(what.to_owned())
}
