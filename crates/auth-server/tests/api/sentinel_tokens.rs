//! The sentinel against stolen tokens on the real server. A refresh-token
//! theft: the legitimate client rotates, the thief replays the old token
//! from another address; the family is revoked at once (the OAuth layer),
//! then the sentinel ends the user's sessions (the browser's cookie no
//! longer works), mails the user and the owner, and records the incident
//! with the client, the grant and the thief's address. A replayed
//! authorization code is recorded and reported, the user's sessions stay.
//! With the sentinel off, the family is still revoked and the reuse
//! recorded, and nothing else happens.
use std::time::Duration;

use auth_server::domain::audit::AuditEvent;
use auth_server::domain::tenant::Tenant;
use auth_server::store::audit::AuditStore;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::{spawn_app_with, TestApp, PASSWORD};
use crate::oidc::{acme_code, code_flow, create_client, token_via, TestClient, REDIRECT};
use crate::web::Web;

const OWNER: &str = "founder@acme.example";
const ALICE: &str = "alice@example.com";
const APP_ADDRESS: &str = "198.51.100.10";
const THIEF: &str = "203.0.113.66";

struct Scene {
    app: TestApp,
    tenant: Tenant,
    client: TestClient,
    /// Alice's browser, signed in after the first code flow.
    web: Web,
}

/// The server behind a proxy at 127.0.0.1 (a request picks its address
/// with `X-Forwarded-For`), sentinel `on` or `off`; tenant `acme` with its
/// owner, Alice and a first-party client.
async fn scene(engine: Engine, sentinel: &str) -> Scene {
    let app = spawn_app_with(
        engine,
        &[
            ("AUTH_SENTINEL", sentinel),
            ("AUTH_TRUSTED_PROXIES", "127.0.0.1"),
        ],
    )
    .await;
    let tenant = app.tenant("acme", json!({})).await;
    platform_user(&app, OWNER).await;
    make_owner(&app, &tenant, OWNER).await;
    let web = app.web();
    app.signup_verified(&web, "acme", ALICE, PASSWORD).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({"first_party": true})).await;
    Scene {
        app,
        tenant,
        client,
        web,
    }
}

impl Scene {
    /// A token request from `ip`: status and body.
    async fn token_from(&self, ip: &str, form: &[(&str, &str)]) -> (u16, Value) {
        token_via(&self.app, "acme", &self.client, Some(ip), form).await
    }

    async fn refresh_from(&self, ip: &str, refresh_token: &str) -> (u16, Value) {
        self.token_from(
            ip,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }

    /// The tenant's events of `kind`, oldest first.
    async fn events(&self, kind: &str) -> Vec<AuditEvent> {
        let mut events: Vec<AuditEvent> = AuditStore::new(self.app.database.pool.clone())
            .recent(self.tenant.id, 1000)
            .await
            .expect("audit")
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect();
        events.reverse();
        events
    }

    /// The first `sentinel` event with `outcome`, within 5 s.
    async fn sentinel_event(&self, outcome: &str) -> Option<AuditEvent> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let found = self
                .events("sentinel")
                .await
                .into_iter()
                .find(|e| e.outcome == outcome);
            if found.is_some() || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The next mail to `to` whose subject contains `subject`.
    async fn mail(&self, to: &str, subject: &str) -> String {
        for _ in 0..3 {
            let mail = self.app.mail_to(to).await;
            if mail.subject.as_deref().is_some_and(|t| t.contains(subject)) {
                return mail.text.unwrap_or_default();
            }
        }
        panic!("no mail about {subject:?} for {to}");
    }
}

fn detail(event: &AuditEvent) -> Value {
    serde_json::from_str(&event.detail).expect("detail is JSON")
}

async fn a_stolen_refresh_token_ends_the_users_sessions_and_is_reported(engine: Engine) {
    let s = scene(engine, "on").await;
    let tokens = code_flow(&s.app, &s.web, "acme", &s.client, ALICE, PASSWORD).await;
    let stolen = tokens["refresh_token"].as_str().expect("rt").to_owned();
    assert!(s.web.signed_in_at("acme").await);

    // The application rotates; the thief comes later with the old token.
    let (status, rotated) = s.refresh_from(APP_ADDRESS, &stolen).await;
    assert_eq!(status, 200, "{rotated}");
    let current = rotated["refresh_token"].as_str().expect("rt").to_owned();
    let (status, body) = s.refresh_from(THIEF, &stolen).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let (status, _) = s.refresh_from(APP_ADDRESS, &current).await;
    assert_eq!(status, 400, "the family is revoked at once");

    // The reuse as the OAuth layer recorded it.
    let reuses = s.events("token").await;
    assert_eq!(reuses.len(), 1, "{reuses:?}");
    assert_eq!(reuses[0].outcome, "refresh_reused");
    assert_eq!(reuses[0].ip, THIEF);
    let grant_id = detail(&reuses[0])["grant_id"]
        .as_str()
        .expect("grant id")
        .to_owned();
    assert_eq!(detail(&reuses[0])["client_id"], json!(s.client.id));

    // The sentinel's incident: reason, evidence, what it did.
    let incident = s
        .sentinel_event("refresh_reuse")
        .await
        .expect("the sentinel acted within 5 s");
    assert!(incident.user_id.is_some(), "recorded on the user");
    let d = detail(&incident);
    assert_eq!(d["subject"], json!(format!("grant:{grant_id}")));
    assert!(d["reason"].as_str().is_some_and(|r| r.contains("stolen")));
    assert_eq!(d["evidence"]["client_id"], json!(s.client.id));
    assert_eq!(d["evidence"]["grant_id"], json!(grant_id));
    assert_eq!(d["evidence"]["ip"], json!(THIEF));
    assert_eq!(d["evidence"]["reuses"], json!(1));
    assert_eq!(d["grant_revoked"], json!(true));
    assert!(d["sessions_ended"].as_u64().is_some_and(|n| n >= 1), "{d}");
    assert_eq!(d["user_mailed"], json!(true));
    assert!(
        !s.web.signed_in_at("acme").await,
        "the browser's session cookie no longer works"
    );

    // Alice is told, in both languages, with the app, the address and the
    // way to a new password; the owner gets the alert.
    let notice = s.mail(ALICE, "déconnecté").await;
    for part in [
        "Acme App",
        THIEF,
        "signed you out everywhere",
        "/t/acme/forgot-password",
    ] {
        assert!(notice.contains(part), "{part} missing: {notice}");
    }
    assert!(notice.contains("volé"), "{notice}");
    let alert = s.mail(OWNER, "sécurité").await;
    assert!(alert.contains("stolen refresh token"), "{alert}");
    assert!(alert.contains("sessions are ended"), "{alert}");

    // Nothing is blocked (the reuse's address may be the app's own), and
    // replaying again opens no second incident, sends no second mail.
    let blocks = s
        .app
        .admin_json(&format!("/manage/v1/tenants/{}/blocks", s.tenant.id))
        .await;
    assert_eq!(blocks["items"], json!([]));
    let (status, _) = s.refresh_from(THIEF, &stolen).await;
    assert_eq!(status, 400);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let incidents = s.events("sentinel").await;
    assert_eq!(
        incidents
            .iter()
            .filter(|e| e.outcome == "refresh_reuse")
            .count(),
        1
    );

    // Alice signs in again and gets a new grant.
    let again = code_flow(&s.app, &s.web, "acme", &s.client, ALICE, PASSWORD).await;
    assert!(again["refresh_token"].is_string());
    assert!(s.web.signed_in_at("acme").await);
}

both_engines!(
    refresh_token_theft,
    a_stolen_refresh_token_ends_the_users_sessions_and_is_reported
);

async fn a_replayed_code_is_recorded_and_reported_without_ending_sessions(engine: Engine) {
    let s = scene(engine, "on").await;
    let (code, verifier) = acme_code(&s.web, &s.client, ALICE).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, tokens) = s.token_from(APP_ADDRESS, &form).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, body) = s.token_from(THIEF, &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    let replays = s.events("token").await;
    assert_eq!(replays.len(), 1, "{replays:?}");
    assert_eq!(
        (replays[0].outcome.as_str(), replays[0].ip.as_str()),
        ("code_replayed", THIEF)
    );
    let incident = s
        .sentinel_event("code_replay")
        .await
        .expect("the sentinel acted within 5 s");
    let d = detail(&incident);
    assert_eq!(d["evidence"]["ip"], json!(THIEF));
    assert_eq!(d["evidence"]["client_id"], json!(s.client.id));
    assert_eq!(
        d["subject"],
        json!(format!(
            "grant:{}",
            detail(&replays[0])["grant_id"].as_str().expect("grant")
        ))
    );
    assert_eq!(d["sessions_ended"], json!(0));
    assert!(
        s.web.signed_in_at("acme").await,
        "a code replay ends no session"
    );
    let alert = s.mail(OWNER, "sécurité").await;
    assert!(alert.contains("replayed authorization code"), "{alert}");
    // What the code gave is revoked (by the OAuth layer, as before).
    let rt = tokens["refresh_token"].as_str().expect("rt");
    assert_eq!(s.refresh_from(APP_ADDRESS, rt).await.0, 400);
}

both_engines!(
    code_replay,
    a_replayed_code_is_recorded_and_reported_without_ending_sessions
);

async fn with_the_sentinel_off_a_reuse_revokes_the_family_and_nothing_more(engine: Engine) {
    let s = scene(engine, "off").await;
    let tokens = code_flow(&s.app, &s.web, "acme", &s.client, ALICE, PASSWORD).await;
    let stolen = tokens["refresh_token"].as_str().expect("rt").to_owned();
    assert_eq!(s.refresh_from(APP_ADDRESS, &stolen).await.0, 200);
    assert_eq!(s.refresh_from(THIEF, &stolen).await.0, 400);
    assert_eq!(s.events("token").await.len(), 1, "the reuse is recorded");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(s.events("sentinel").await.is_empty());
    assert!(s.web.signed_in_at("acme").await, "nobody ends the sessions");
}

both_engines!(
    refresh_reuse_sentinel_off,
    with_the_sentinel_off_a_reuse_revokes_the_family_and_nothing_more
);
