//! `/dashboard/t/{slug}/keys`: an owner sees their tenant's signing keys,
//! rotates them once the next key may sign (time is the injected clock),
//! revokes a key after confirming: it leaves the key set and its tokens
//! stop verifying, and marks a key compromised with a reason: revoked and
//! replaced at once, recorded as an incident by the owner. Nobody else
//! reaches the page; refusals change nothing.
use std::sync::Arc;

use serde_json::Value;
use service_kit::both_engines;
use service_kit::clock::{Clock, ManualClock, SharedClock, SystemClock};
use service_kit::db::Engine;

use crate::dashboard_pages::platform_user;
use crate::helpers::{spawn_app_with_clock, TestApp, PASSWORD};
use crate::oidc::header;
use crate::web::Web;

const OWNER: &str = "founder@startup.example";
const KEYS: &str = "/dashboard/t/startup/keys";
/// The key set's cache lifetime (`RotationPolicy::jwks_max_age_secs`).
const JWKS_MAX_AGE: i64 = 3600;

async fn onboarded(web: &Web) -> (String, String) {
    web.get("/dashboard/new").await;
    let page = web
        .post(
            "/dashboard/new",
            &[
                ("display_name", "Startup"),
                ("slug", "startup"),
                ("app", "m2m"),
            ],
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.body);
    let code = |id: &str| {
        page.between(&format!("<code id=\"{id}\">"), "</code>")
            .expect("credential")
    };
    (code("client-id"), code("client-secret"))
}

async fn token(app: &TestApp, id: &str, secret: &str) -> String {
    let body: Value = app
        .client
        .post(app.url("/t/startup/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    body["access_token"].as_str().expect("token").to_owned()
}

async fn published_kids(app: &TestApp) -> Vec<String> {
    let jwks: Value = app
        .client
        .get(app.url("/t/startup/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    jwks["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k["kid"].as_str().map(str::to_owned))
        .collect()
}

async fn active(app: &TestApp, id: &str, secret: &str, token: &str) -> bool {
    let body: Value = app
        .client
        .post(app.url("/t/startup/introspect"))
        .basic_auth(id, Some(secret))
        .form(&[("token", token)])
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    body["active"] == true
}

async fn owner_rotates_and_revokes(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let web = platform_user(&app, OWNER).await;
    let (id, secret) = onboarded(&web).await;
    assert!(web
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{KEYS}\"")));

    let page = web.get(KEYS).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("active (signing)") && page.contains("next (published"));
    let first = token(&app, &id, &secret).await;
    let first_kid = header(&first)["kid"].as_str().expect("kid").to_owned();
    assert!(page.contains(&first_kid), "the signing key is listed");

    // Too soon after the tenant was made: refused with the wait, nothing moves.
    let page = web
        .post(&format!("{KEYS}/rotate"), &[("alg", "ES256")])
        .await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.contains("Not yet"), "{}", page.body);
    let page = web
        .post(&format!("{KEYS}/rotate"), &[("alg", "HS256")])
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert_eq!(
        header(&token(&app, &id, &secret).await)["kid"],
        first_kid.as_str()
    );

    // Once every cached key set knows the next key, it rotates.
    clock.advance(JWKS_MAX_AGE + 1);
    let web = app.web();
    assert_eq!(
        app.login(&web, "platform", OWNER, PASSWORD).await.status,
        303
    );
    web.get(KEYS).await;
    // A token of the active key, minted now (the first one has expired).
    let old = token(&app, &id, &secret).await;
    assert_eq!(header(&old)["kid"], first_kid.as_str());
    let page = web
        .post(&format!("{KEYS}/rotate"), &[("alg", "ES256")])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(web
        .get(&format!("{KEYS}?done=rotated"))
        .await
        .contains("Rotated:"));
    let second = token(&app, &id, &secret).await;
    assert_ne!(
        header(&second)["kid"],
        first_kid.as_str(),
        "the next key signs"
    );
    assert!(
        published_kids(&app).await.contains(&first_kid),
        "retired, still published"
    );
    assert!(active(&app, &id, &secret, &old).await);

    // Revoking asks for confirmation; then the key is gone and its tokens dead.
    let page = web
        .post(&format!("{KEYS}/revoke"), &[("kid", first_kid.as_str())])
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(published_kids(&app).await.contains(&first_kid));
    let page = web
        .post(
            &format!("{KEYS}/revoke"),
            &[("kid", first_kid.as_str()), ("confirm", "on")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(!published_kids(&app).await.contains(&first_kid));
    assert!(
        !active(&app, &id, &secret, &first).await,
        "its token stops verifying"
    );
    assert!(active(&app, &id, &secret, &second).await);
    let page = web
        .post(
            &format!("{KEYS}/revoke"),
            &[("kid", "no-such-kid"), ("confirm", "on")],
        )
        .await;
    assert_eq!(page.status, 404);
}

both_engines!(
    an_owner_rotates_and_revokes_signing_keys,
    owner_rotates_and_revokes
);

#[tokio::test]
async fn only_the_owner_reaches_the_keys() {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(Engine::Sqlite, &[], clock as SharedClock).await;
    let owner = platform_user(&app, OWNER).await;
    onboarded(&owner).await;
    let before = published_kids(&app).await;
    let stranger = platform_user(&app, "other@rival.example").await;
    stranger.get("/dashboard").await;
    assert_eq!(stranger.get(KEYS).await.status, 404);
    for (path, fields) in [
        (format!("{KEYS}/rotate"), vec![("alg", "ES256")]),
        (
            format!("{KEYS}/revoke"),
            vec![("kid", before[0].as_str()), ("confirm", "on")],
        ),
        (
            format!("{KEYS}/compromised"),
            vec![
                ("kid", before[0].as_str()),
                ("reason", "leaked"),
                ("confirm", "on"),
            ],
        ),
    ] {
        assert_eq!(stranger.post(&path, &fields).await.status, 404, "{path}");
    }
    assert_eq!(app.web().get(KEYS).await.status, 303);
    let page = owner
        .post_raw(
            &format!("{KEYS}/revoke"),
            &[("kid", before[0].as_str()), ("confirm", "on")],
        )
        .await;
    assert_eq!(page.status, 403);
    let page = owner
        .post_raw(
            &format!("{KEYS}/compromised"),
            &[
                ("kid", before[0].as_str()),
                ("reason", "leaked"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "no CSRF token");
    assert_eq!(published_kids(&app).await, before);
}

async fn owner_marks_a_key_compromised(engine: Engine) {
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = spawn_app_with_clock(engine, &[], clock.clone() as SharedClock).await;
    let web = platform_user(&app, OWNER).await;
    let (id, secret) = onboarded(&web).await;
    let page = web.get(KEYS).await;
    assert!(page.contains("id=\"compromised\""), "{}", page.body);
    let first = token(&app, &id, &secret).await;
    let kid = header(&first)["kid"].as_str().expect("kid").to_owned();

    // Unconfirmed, or without a reason: nothing moves.
    for fields in [
        vec![("kid", kid.as_str()), ("reason", "laptop stolen")],
        vec![("kid", kid.as_str()), ("reason", "  "), ("confirm", "on")],
    ] {
        let page = web.post(&format!("{KEYS}/compromised"), &fields).await;
        assert_eq!(page.status, 422, "{}", page.body);
    }
    assert!(published_kids(&app).await.contains(&kid));
    assert!(active(&app, &id, &secret, &first).await);

    let page = web
        .post(
            &format!("{KEYS}/compromised"),
            &[
                ("kid", kid.as_str()),
                ("reason", "laptop stolen"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(web
        .get(&format!("{KEYS}?done=compromised"))
        .await
        .contains("Marked compromised"));
    assert!(!published_kids(&app).await.contains(&kid));
    assert!(
        !active(&app, &id, &secret, &first).await,
        "its token is refused"
    );
    let second = token(&app, &id, &secret).await;
    assert_ne!(
        header(&second)["kid"],
        kid.as_str(),
        "a new key signs at once"
    );
    assert!(active(&app, &id, &secret, &second).await);
    let tenant = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("startup")
        .await
        .expect("tenant");
    let incident = auth_server::store::audit::AuditStore::new(app.database.pool.clone())
        .recent(tenant.id, 100)
        .await
        .expect("audit")
        .into_iter()
        .find(|e| e.kind == "sentinel" && e.outcome == "signing_key_compromised")
        .expect("incident");
    let detail: Value = serde_json::from_str(&incident.detail).expect("json");
    assert_eq!(detail["reason"], "laptop stolen");
    assert!(
        detail["by"]
            .as_str()
            .is_some_and(|b| b.starts_with("by owner ")),
        "{detail}"
    );

    // Revoked already, or unknown: refused.
    let page = web
        .post(
            &format!("{KEYS}/compromised"),
            &[
                ("kid", kid.as_str()),
                ("reason", "again"),
                ("confirm", "on"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.contains("revoked already"), "{}", page.body);
    let page = web
        .post(
            &format!("{KEYS}/compromised"),
            &[("kid", "no-such-kid"), ("reason", "r"), ("confirm", "on")],
        )
        .await;
    assert_eq!(page.status, 404);
}

both_engines!(
    an_owner_marks_a_signing_key_compromised,
    owner_marks_a_key_compromised
);
