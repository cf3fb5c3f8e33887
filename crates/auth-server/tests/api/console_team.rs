//! A tenant's team in the console: owners invite by email (the link works
//! for that verified platform address only, once), change roles and remove
//! members; the tenant keeps an owner. Roles hold on every console route:
//! an admin does everything but billing and the team, a viewer sees and
//! changes nothing, anyone else gets the same 404 as an unknown tenant —
//! and a refused request writes nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::{onboarded, platform_user};
use crate::helpers::{spawn_app, TestApp, PASSWORD};
use crate::web::link_path;

const OWNER: &str = "founder@startup.example";
const TEAM: &str = "/dashboard/t/startup/team";

async fn members(app: &TestApp, tenant: &str) -> Vec<(String, String)> {
    let list: Value = app
        .admin_json(&format!("/manage/v1/tenants/{tenant}/owners"))
        .await;
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| {
            (
                m["email"].as_str().unwrap_or_default().to_owned(),
                m["role"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

fn member(email: &str, role: &str) -> (String, String) {
    (email.to_owned(), role.to_owned())
}

async fn invite_and_join(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    assert!(owner
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{TEAM}\"")));
    let page = owner.get(TEAM).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains(OWNER));

    // Refused invitations: nothing is sent or kept.
    for (email, role) in [
        ("not an email", "admin"),
        (OWNER, "admin"),
        ("ada@startup.example", "root"),
    ] {
        let page = owner
            .post(
                &format!("{TEAM}/invite"),
                &[("email", email), ("role", role)],
            )
            .await;
        assert_eq!(page.status, 422, "{email} {role}: {}", page.body);
    }
    assert!(!owner.get(TEAM).await.contains("id=\"invites\""));

    let page = owner
        .post(
            &format!("{TEAM}/invite"),
            &[("email", "Ada@Startup.example"), ("role", "admin")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let mail = app.mail_to("Ada@Startup.example").await;
    let text = mail.text.clone().unwrap_or_default();
    assert!(
        text.contains("founder@startup.example invites you"),
        "{text}"
    );
    let link = link_path(&mail);
    assert!(link.starts_with("/dashboard/invite?token="), "{link}");
    let page = owner.get(&format!("{TEAM}?done=invited")).await;
    assert!(page.contains("Invitation sent"), "{}", page.body);
    assert!(page.contains("id=\"invites\"") && page.contains("Ada@Startup.example"));

    // Someone else, signed in with another address, cannot use it.
    let eve = platform_user(&app, "eve@elsewhere.example").await;
    let page = eve.get(&link).await;
    assert!(
        page.contains("This invitation is for Ada@Startup.example"),
        "{}",
        page.body
    );
    let token = link.trim_start_matches("/dashboard/invite?token=");
    let page = eve.post("/dashboard/invite", &[("token", token)]).await;
    assert_eq!(page.status, 403);
    assert_eq!(members(&app, &tenant).await, vec![member(OWNER, "owner")]);

    // Ada signs up on the platform with the invited address and joins.
    let ada = app.web();
    let page = ada.get(&link).await;
    assert_eq!(page.status, 303, "sign in first");
    app.signup_verified(&ada, "platform", "ada@startup.example", PASSWORD)
        .await;
    assert_eq!(
        app.login(&ada, "platform", "ada@startup.example", PASSWORD)
            .await
            .status,
        303
    );
    let page = ada.get(&link).await;
    assert!(
        page.contains("join the team of Startup as Admin"),
        "{}",
        page.body
    );
    let page = ada.post("/dashboard/invite", &[("token", token)]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(page.location.as_deref(), Some("/dashboard?joined=startup"));
    assert_eq!(
        members(&app, &tenant).await,
        vec![
            member("ada@startup.example", "admin"),
            member(OWNER, "owner")
        ]
    );
    // Used once.
    assert_eq!(
        ada.post("/dashboard/invite", &[("token", token)])
            .await
            .status,
        410
    );
    assert!(!owner.get(TEAM).await.contains("id=\"invites\""));

    // An admin runs the tenant but not its billing or team.
    let dashboard = ada.get("/dashboard").await;
    assert!(dashboard.contains("/dashboard/t/startup/apps"));
    assert!(!dashboard.contains("/dashboard/t/startup/billing"));
    assert!(!dashboard.contains(TEAM));
    assert_eq!(ada.get("/dashboard/t/startup/billing").await.status, 403);
    assert_eq!(ada.get(TEAM).await.status, 403);
    let page = ada
        .post(
            "/dashboard/t/startup/settings",
            &[("signup_open", "on"), ("require_mfa", "on")],
        )
        .await;
    assert_eq!(page.status, 303, "an admin changes settings: {}", page.body);

    // A withdrawn invitation's link stops working.
    owner
        .post(
            &format!("{TEAM}/invite"),
            &[("email", "bo@startup.example"), ("role", "viewer")],
        )
        .await;
    let link = link_path(&app.mail_to("bo@startup.example").await);
    let page = owner
        .post(
            &format!("{TEAM}/invites/withdraw"),
            &[("email", "bo@startup.example")],
        )
        .await;
    assert_eq!(page.status, 303);
    let bo = platform_user(&app, "bo@startup.example").await;
    assert_eq!(bo.get(&link).await.status, 410);
}

both_engines!(
    an_owner_invites_a_member_who_joins_with_that_address,
    invite_and_join
);

async fn the_last_owner_stays(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let me = owner_id(&app, &tenant).await;
    for (path, fields) in [
        (format!("{TEAM}/{me}/role"), vec![("role", "admin")]),
        (format!("{TEAM}/{me}/remove"), vec![("confirm", "on")]),
    ] {
        let page = owner.post(&path, &fields).await;
        assert_eq!(page.status, 409, "{path}: {}", page.body);
        assert!(page.contains("last owner"), "{}", page.body);
    }
    assert_eq!(members(&app, &tenant).await, vec![member(OWNER, "owner")]);

    // With a second owner, the first may step down, then leave.
    platform_user(&app, "second@startup.example").await;
    let added = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": "second@startup.example" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(added.status(), 201);
    let page = owner
        .post(&format!("{TEAM}/{me}/role"), &[("role", "viewer")])
        .await;
    assert_eq!(page.status, 303);
    assert_eq!(owner.get(TEAM).await.status, 403, "a viewer now");
    let page = owner.get("/dashboard/t/startup/settings").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.contains("type=\"submit\">Save"),
        "a viewer gets no save button"
    );
}

/// The platform user id of [`OWNER`] in the team.
async fn owner_id(app: &TestApp, tenant: &str) -> String {
    let list: Value = app
        .admin_json(&format!("/manage/v1/tenants/{tenant}/owners"))
        .await;
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|m| m["email"] == OWNER)
        .and_then(|m| m["user_id"].as_str())
        .expect("the owner")
        .to_owned()
}

both_engines!(a_tenant_keeps_its_last_owner, the_last_owner_stays);

async fn members_leave(engine: Engine) {
    let app = spawn_app(engine).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let viewer = platform_user(&app, "viewer@startup.example").await;
    let added = app
        .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
        .json(&json!({ "email": "viewer@startup.example", "role": "viewer" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(added.status(), 201);
    let dashboard = viewer.get("/dashboard").await;
    assert!(
        dashboard.contains("id=\"leave-startup\""),
        "{}",
        dashboard.body
    );
    let leave = "/dashboard/t/startup/leave";

    // Unconfirmed, or without the CSRF token: nothing changes.
    assert_eq!(viewer.post(leave, &[]).await.status, 422);
    assert_eq!(
        viewer
            .post_raw(leave, &[("csrf", "forged"), ("confirm", "yes")])
            .await
            .status,
        403
    );
    // The only owner may not leave.
    let refused = owner.post(leave, &[("confirm", "yes")]).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.contains("only owner"), "{}", refused.body);
    assert_eq!(
        members(&app, &tenant).await,
        vec![
            member(OWNER, "owner"),
            member("viewer@startup.example", "viewer")
        ]
    );

    // The viewer leaves: the tenant's console is no longer theirs.
    let left = viewer.post(leave, &[("confirm", "yes")]).await;
    assert_eq!(left.status, 303, "{}", left.body);
    assert_eq!(left.location.as_deref(), Some("/dashboard"));
    assert_eq!(viewer.get("/dashboard/t/startup/apps").await.status, 404);
    assert_eq!(members(&app, &tenant).await, vec![member(OWNER, "owner")]);
}

both_engines!(
    a_member_leaves_the_team_but_not_its_last_owner,
    members_leave
);

/// A console form: its path, its fields and what it needs.
type Post<'a> = (String, Vec<(&'a str, &'a str)>, &'a str);

/// Everything a refused request must leave as it was.
async fn snapshot(app: &TestApp, tenant: &str) -> Value {
    let get = |path: String| async move { app.admin_json(&path).await };
    json!({
        "tenant": get(format!("/manage/v1/tenants/{tenant}")).await,
        "clients": get(format!("/manage/v1/tenants/{tenant}/clients")).await,
        "users": get(format!("/manage/v1/tenants/{tenant}/users")).await,
        "owners": get(format!("/manage/v1/tenants/{tenant}/owners")).await,
        "webhooks": get(format!("/manage/v1/tenants/{tenant}/webhooks")).await,
    })
}

/// Every console route × owner, admin, viewer, another tenant's owner and
/// nobody: the expected answer, and nothing written on refusals.
#[tokio::test]
async fn console_access_matrix() {
    let app = spawn_app(Engine::Sqlite).await;
    let owner = platform_user(&app, OWNER).await;
    let tenant = onboarded(&app, &owner, "startup", "Startup").await;
    let clients: Value = app
        .admin_json(&format!("/manage/v1/tenants/{tenant}/clients"))
        .await;
    let client = clients["items"][0]["client_id"]
        .as_str()
        .expect("client")
        .to_owned();
    app.signup_verified(&app.web(), "startup", "enduser@startup.example", PASSWORD)
        .await;
    let users: Value = app
        .admin_json(&format!("/manage/v1/tenants/{tenant}/users"))
        .await;
    let user = users["items"][0]["id"].as_str().expect("user").to_owned();
    let mut team = Vec::new();
    for (email, role) in [
        ("admin@startup.example", "admin"),
        ("viewer@startup.example", "viewer"),
    ] {
        let web = platform_user(&app, email).await;
        let resp = app
            .admin(Method::POST, &format!("/manage/v1/tenants/{tenant}/owners"))
            .json(&json!({ "email": email, "role": role }))
            .send()
            .await
            .expect("sent");
        assert_eq!(resp.status(), 201);
        team.push(web);
    }
    let (admin, viewer) = (&team[0], &team[1]);
    let rival = platform_user(&app, "rival@rival.example").await;
    let nobody = app.web();
    nobody.get("/t/platform/login").await;
    let owner_id = owner_id(&app, &tenant).await;
    // A webhook endpoint that no event of this test goes to.
    let resp = app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{tenant}/webhooks"),
        )
        .json(&json!({ "url": "https://hooks.startup.example/x", "events": ["key.rotated"] }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let hook: Value = resp.json().await.expect("json");
    let hook = hook["id"].as_str().expect("webhook id").to_owned();

    let base = "/dashboard/t/startup";
    // (path, needs): Read pages, Write forms, Billing, Team.
    let gets = [
        (format!("{base}/apps"), "read"),
        (format!("{base}/apps/new"), "write"),
        (format!("{base}/apps/{client}"), "read"),
        (format!("{base}/users"), "read"),
        (format!("{base}/users/{user}"), "read"),
        (format!("{base}/users/{user}/export"), "read"),
        (format!("{base}/branding"), "read"),
        (format!("{base}/settings"), "read"),
        (format!("{base}/keys"), "read"),
        (format!("{base}/sign-in-methods"), "read"),
        (format!("{base}/events"), "read"),
        (format!("{base}/events.csv"), "read"),
        (format!("{base}/webhooks"), "read"),
        (format!("{base}/webhooks/{hook}"), "read"),
        (format!("{base}/team"), "team"),
        (format!("{base}/billing"), "billing"),
    ];
    let allowed = |role: &str, needs: &str| match needs {
        "read" => true,
        "write" => role != "viewer",
        _ => role == "owner",
    };
    for (path, needs) in &gets {
        for (role, web) in [("owner", &owner), ("admin", admin), ("viewer", viewer)] {
            let page = web.get(path).await;
            if allowed(role, needs) {
                assert!(
                    page.status == 200 || (*needs == "billing" && page.status == 503),
                    "{role} GET {path}: {} {}",
                    page.status,
                    page.body
                );
            } else {
                assert_eq!(page.status, 403, "{role} GET {path}");
            }
        }
        assert_eq!(rival.get(path).await.status, 404, "rival GET {path}");
        assert_eq!(nobody.get(path).await.status, 303, "anonymous GET {path}");
    }

    let posts: Vec<Post> = vec![
        (
            format!("{base}/apps/new"),
            vec![("name", "X"), ("kind", "spa")],
            "write",
        ),
        (
            format!("{base}/apps/{client}"),
            vec![("name", "Renamed")],
            "write",
        ),
        (
            format!("{base}/apps/{client}/rotate-secret"),
            vec![("overlap_secs", "0")],
            "write",
        ),
        (
            format!("{base}/apps/{client}/disable"),
            vec![("confirm", "on")],
            "write",
        ),
        (format!("{base}/apps/{client}/enable"), vec![], "write"),
        (
            format!("{base}/branding"),
            vec![("brand_color", "#000000")],
            "write",
        ),
        (
            format!("{base}/settings"),
            vec![("lockout_threshold", "9")],
            "write",
        ),
        (
            format!("{base}/keys/rotate"),
            vec![("alg", "ES256")],
            "write",
        ),
        (
            format!("{base}/keys/revoke"),
            vec![("kid", "x"), ("confirm", "on")],
            "write",
        ),
        (
            format!("{base}/sign-in-methods"),
            vec![
                ("kind", "google"),
                ("client_id", "c"),
                ("client_secret", "s"),
            ],
            "write",
        ),
        (
            format!("{base}/sign-in-methods/none/update"),
            vec![("enabled", "false")],
            "write",
        ),
        (
            format!("{base}/sign-in-methods/none/delete"),
            vec![("confirm", "on")],
            "write",
        ),
        (
            format!("{base}/webhooks"),
            vec![
                ("url", "https://hooks.startup.example/y"),
                ("user.created", "on"),
            ],
            "write",
        ),
        (format!("{base}/webhooks/{hook}/disable"), vec![], "write"),
        (format!("{base}/webhooks/{hook}/enable"), vec![], "write"),
        (
            format!("{base}/webhooks/{hook}/rotate-secret"),
            vec![],
            "write",
        ),
        (format!("{base}/webhooks/{hook}/test"), vec![], "write"),
        (
            format!("{base}/webhooks/{hook}/delete"),
            vec![("confirm", "on")],
            "write",
        ),
        (
            format!("{base}/webhooks/{hook}/deliveries/none/redeliver"),
            vec![],
            "write",
        ),
        (format!("{base}/users/{user}/end-sessions"), vec![], "write"),
        (
            format!("{base}/users/{user}/disable"),
            vec![("confirm", "on")],
            "write",
        ),
        (format!("{base}/users/{user}/enable"), vec![], "write"),
        (
            format!("{base}/users/{user}/reset-mfa"),
            vec![("confirm", "on")],
            "write",
        ),
        (
            format!("{base}/users/{user}/resend-verification"),
            vec![],
            "write",
        ),
        (
            format!("{base}/users/{user}/delete"),
            vec![("confirm", "on")],
            "write",
        ),
        (
            format!("{base}/team/invite"),
            vec![("email", "x@x.example"), ("role", "owner")],
            "team",
        ),
        (
            format!("{base}/team/invites/withdraw"),
            vec![("email", "x@x.example")],
            "team",
        ),
        (
            format!("{base}/team/{owner_id}/role"),
            vec![("role", "viewer")],
            "team",
        ),
        (
            format!("{base}/team/{owner_id}/remove"),
            vec![("confirm", "on")],
            "team",
        ),
        // Any member may leave; unconfirmed here, so nobody does.
        (format!("{base}/leave"), vec![], "read"),
        (
            format!("{base}/billing/checkout"),
            vec![("plan", "pro")],
            "billing",
        ),
        (format!("{base}/billing/portal"), vec![], "billing"),
        (
            format!("{base}/billing/contact"),
            vec![("owner_email", "x@x.example")],
            "billing",
        ),
    ];
    let before = snapshot(&app, &tenant).await;
    for (path, fields, needs) in &posts {
        if !allowed("viewer", needs) {
            assert_eq!(
                viewer.post(path, fields).await.status,
                403,
                "viewer POST {path}"
            );
        }
        if !allowed("admin", needs) {
            assert_eq!(
                admin.post(path, fields).await.status,
                403,
                "admin POST {path}"
            );
        }
        assert_eq!(
            rival.post(path, fields).await.status,
            404,
            "rival POST {path}"
        );
        let anonymous = nobody.post(path, fields).await.status;
        assert!(
            matches!(anonymous, 303 | 403),
            "anonymous POST {path}: {anonymous}"
        );
        // A member's POST without the CSRF token: refused.
        assert_eq!(
            owner.post_raw(path, fields).await.status,
            403,
            "no CSRF {path}"
        );
    }
    assert_eq!(
        snapshot(&app, &tenant).await,
        before,
        "refusals wrote nothing"
    );
}
