//! What the fake remembers, and the API's behaviour over it: the objects,
//! the idempotency store, the requests and the events. The endpoints are in
//! `endpoints`, the test controls in `controls`.
mod controls;
mod endpoints;

use std::collections::{HashMap, VecDeque};

use serde_json::Value;

use super::hold::Held;
use super::objects;

/// One API request as the fake received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    pub method: String,
    /// e.g. `/v1/customers`
    pub path: String,
    pub idempotency_key: Option<String>,
    /// The form body (POST) or query (GET, DELETE), parsed.
    pub form: Value,
    /// Answered from the idempotency store.
    pub replayed: bool,
    pub status: u16,
}

struct StoredResponse {
    method: String,
    path: String,
    /// The parameters, compared as Stripe does: by value, in any order.
    form: Value,
    status: u16,
    response: Value,
}

/// What a checkout session will create when completed.
struct SessionPlan {
    price: String,
    subscription_metadata: Value,
}

pub struct State {
    pub secret_key: String,
    pub base_url: String,
    /// Every object, in creation order.
    objects: Vec<Value>,
    sessions: HashMap<String, SessionPlan>,
    idempotency: HashMap<String, StoredResponse>,
    pub requests: Vec<RecordedRequest>,
    pub events: Vec<Value>,
    pub pending: VecDeque<Value>,
    pub webhook: Option<(String, String)>,
    failing: Vec<String>,
    invoice_seq: u32,
    /// Answers to hold until the test releases them.
    pub held: Vec<Held>,
}

pub type Reply = (u16, Value);

impl State {
    pub fn new(secret_key: String, base_url: String) -> Self {
        Self {
            secret_key,
            base_url,
            objects: Vec::new(),
            sessions: HashMap::new(),
            idempotency: HashMap::new(),
            requests: Vec::new(),
            events: Vec::new(),
            pending: VecDeque::new(),
            webhook: None,
            failing: Vec::new(),
            invoice_seq: 0,
            held: Vec::new(),
        }
    }

    pub fn find(&self, kind: &str, id: &str) -> Option<&Value> {
        self.objects
            .iter()
            .find(|o| o["object"] == kind && o["id"] == id)
    }

    fn find_mut(&mut self, kind: &str, id: &str) -> Option<&mut Value> {
        self.objects
            .iter_mut()
            .find(|o| o["object"] == kind && o["id"] == id)
    }

    pub fn all(&self, kind: &str) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|o| o["object"] == kind)
            .cloned()
            .collect()
    }

    pub fn insert(&mut self, object: Value) -> Value {
        self.objects.push(object.clone());
        object
    }

    pub fn replace(&mut self, object: Value) {
        let kind = object["object"].clone();
        let id = object["id"].clone();
        if let Some(slot) = self
            .objects
            .iter_mut()
            .find(|o| o["object"] == kind && o["id"] == id)
        {
            *slot = object;
        }
    }

    pub fn queue_event(&mut self, kind: &str, object: Value, previous: Option<Value>) {
        let event = objects::event(kind, object, previous);
        self.events.push(event.clone());
        self.pending.push_back(event);
    }

    /// Answers an API request (already authenticated), honouring `Idempotency-Key`.
    pub fn handle(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        form: &Value,
    ) -> (Reply, bool) {
        if let (Some(key), "POST") = (key, method) {
            if let Some(stored) = self.idempotency.get(key) {
                if stored.method == method && stored.path == path && stored.form == *form {
                    return ((stored.status, stored.response.clone()), true);
                }
                let message = format!(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
                );
                return (
                    (
                        400,
                        objects::error("idempotency_error", None, &message, None),
                    ),
                    false,
                );
            }
        }
        let reply = self.route(method, path, form);
        if let (Some(key), "POST") = (key, method) {
            if (200..300).contains(&reply.0) {
                self.idempotency.insert(
                    key.to_owned(),
                    StoredResponse {
                        method: method.to_owned(),
                        path: path.to_owned(),
                        form: form.clone(),
                        status: reply.0,
                        response: reply.1.clone(),
                    },
                );
            }
        }
        (reply, false)
    }

    pub fn record(&mut self, request: RecordedRequest) {
        self.requests.push(request);
    }
}
