//! `/dashboard/t/{slug}/blocks`: an owner sees the addresses blocked on
//! their tenant, blocks a range by hand (every instance refuses it at the
//! edge), lifts it (refused no more), and keeps the allowlist, which no
//! block may cover. Bad orders are refused with the rule's words and
//! nothing written; viewers read without changing anything; another
//! tenant's owner sees nothing.
use reqwest::Method;
use serde_json::{json, Value};
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::dashboard_pages::{make_owner, platform_user};
use crate::helpers::PASSWORD;
use crate::sentinel::{blocks, event, from, login_page, scene, within, Scene};
use crate::web::Web;

const OWNER: &str = "founder@acme.example";
const BLOCKS: &str = "/dashboard/t/acme/blocks";

async fn owner(s: &Scene) -> Web {
    let web = s.app.web();
    let login = s.app.login(&web, "platform", OWNER, PASSWORD).await;
    assert_eq!(login.status, 303, "{}", login.body);
    web
}

async fn allowlist(s: &Scene) -> Value {
    let tenant = s
        .app
        .admin_json(&format!("/manage/v1/tenants/{}", s.tenant.id))
        .await;
    tenant["settings"]["sentinel_allowlist"].clone()
}

async fn an_owner_blocks_lifts_and_allowlists(engine: Engine) {
    let s = scene(engine, &[], json!({})).await;
    let peer = s
        .app
        .spawn_peer_with(s.clock.clone(), &[("AUTH_TRUSTED_PROXIES", "127.0.0.1")])
        .await;
    let web = owner(&s).await;
    assert!(web
        .get("/dashboard")
        .await
        .contains(&format!("href=\"{BLOCKS}\"")));
    let page = web.get(BLOCKS).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("No address is blocked."), "{}", page.body);

    let here = from(&s.app.address, "203.0.113.77");
    let there = from(&peer, "203.0.113.78");
    assert_eq!(login_page(&here).await, 200);
    let page = web
        .post(
            BLOCKS,
            &[
                ("network", " 203.0.113.0/24 "),
                ("minutes", "30"),
                ("reason", "scraping the signup page"),
            ],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    let page = web.get(&format!("{BLOCKS}?done=blocked")).await;
    assert!(page.contains("Blocked:"), "{}", page.body);
    assert!(page.contains("203.0.113.0/24") && page.contains("scraping the signup page"));
    assert!(page.contains("by hand"));
    assert!(
        within(3, || async { login_page(&here).await == 403 }).await,
        "this instance refuses the range"
    );
    assert!(
        within(3, || async { login_page(&there).await == 403 }).await,
        "so does the other instance"
    );
    let listed = blocks(&s).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    let id = listed[0]["id"].as_str().expect("id").to_owned();
    let audited = event(&s, "blocked").await.expect("audited");
    assert_eq!(audited["network"], "203.0.113.0/24");
    assert!(
        audited["by"]
            .as_str()
            .is_some_and(|by| by.starts_with("by owner ")),
        "{audited}"
    );

    // Lifted: both instances let the range in again.
    let page = web.post(&format!("{BLOCKS}/{id}/lift"), &[]).await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(web
        .get(&format!("{BLOCKS}?done=lifted"))
        .await
        .contains("Lifted:"));
    assert!(blocks(&s).await.is_empty());
    assert!(within(3, || async { login_page(&here).await == 200 }).await);
    assert!(within(3, || async { login_page(&there).await == 200 }).await);
    assert!(event(&s, "unblocked").await.is_some());
    // Lifting it again: it is gone.
    let page = web.post(&format!("{BLOCKS}/{id}/lift"), &[]).await;
    assert_eq!(page.status, 404);

    // The allowlist: saved, shown, and no block may cover it afterwards.
    let page = web
        .post(
            &format!("{BLOCKS}/allowlist"),
            &[("allowlist", "198.51.100.0/24\n 192.0.2.7 ")],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        allowlist(&s).await,
        json!(["192.0.2.7/32", "198.51.100.0/24"]),
        "stored in order, each as a range"
    );
    let page = web.get(&format!("{BLOCKS}?done=allowlist")).await;
    assert!(page.contains("Saved:"), "{}", page.body);
    assert!(
        page.contains("192.0.2.7/32\n198.51.100.0/24"),
        "{}",
        page.body
    );
    let page = web
        .post(
            BLOCKS,
            &[
                ("network", "198.51.100.0/25"),
                ("minutes", "30"),
                ("reason", "abuse"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.contains("never blocked"), "{}", page.body);
    assert!(blocks(&s).await.is_empty());
}

both_engines!(
    an_owner_blocks_lifts_and_allowlists_from_the_console,
    an_owner_blocks_lifts_and_allowlists
);

async fn bad_orders_change_nothing(engine: Engine) {
    let s = scene(engine, &[], json!({"sentinel_allowlist": ["192.0.2.0/24"]})).await;
    let web = owner(&s).await;
    web.get(BLOCKS).await;
    for (network, minutes, reason, why) in [
        ("example.com", "30", "abuse", "network"),
        ("10.0.0.7/8", "30", "abuse", "network"),
        ("0.0.0.0/0", "30", "abuse", "network"),
        ("203.0.113.7", "0", "abuse", "minutes"),
        ("203.0.113.7", "43201", "abuse", "minutes"),
        ("203.0.113.7", "soon", "abuse", "minutes"),
        ("203.0.113.7", "30", "   ", "reason"),
        ("192.0.2.9", "30", "abuse", "never blocked"),
    ] {
        let page = web
            .post(
                BLOCKS,
                &[
                    ("network", network),
                    ("minutes", minutes),
                    ("reason", reason),
                ],
            )
            .await;
        assert_eq!(
            page.status, 422,
            "{network} {minutes} {reason:?}: {}",
            page.body
        );
        assert!(page.contains(why), "{network} {minutes}: {}", page.body);
        // What was typed stays in the form.
        assert!(
            page.contains(&format!("value=\"{network}\"")),
            "{}",
            page.body
        );
    }
    // An allowlist entry that is not an address: refused, the list kept.
    let page = web
        .post(
            &format!("{BLOCKS}/allowlist"),
            &[("allowlist", "203.0.113.0/24\nnot-an-address")],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(page.contains("not-an-address"), "{}", page.body);
    assert_eq!(allowlist(&s).await, json!(["192.0.2.0/24"]));
    // Without the form's CSRF token: refused.
    let page = web
        .post_raw(
            BLOCKS,
            &[
                ("network", "203.0.113.7"),
                ("minutes", "30"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(blocks(&s).await.is_empty(), "nothing was blocked");
    assert!(event(&s, "blocked").await.is_none());
}

both_engines!(
    bad_block_orders_from_the_console_change_nothing,
    bad_orders_change_nothing
);

#[tokio::test]
async fn viewers_read_blocks_and_others_see_nothing() {
    let s = scene(Engine::Sqlite, &[], json!({})).await;
    let made = s
        .app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/blocks", s.tenant.id),
        )
        .json(&json!({"network": "203.0.113.0/24", "minutes": 30, "reason": "abuse"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(made.status(), 201);
    let id = blocks(&s).await[0]["id"].as_str().expect("id").to_owned();

    let viewer = platform_user(&s.app, "viewer@acme.example").await;
    let resp = s
        .app
        .admin(
            Method::POST,
            &format!("/manage/v1/tenants/{}/owners", s.tenant.id),
        )
        .json(&json!({ "email": "viewer@acme.example", "role": "viewer" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 201);
    let rival = platform_user(&s.app, "founder@rival.example").await;
    let other = s.app.tenant("rival", json!({})).await;
    make_owner(&s.app, &other, "founder@rival.example").await;

    let page = viewer.get(BLOCKS).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.contains("203.0.113.0/24"));
    assert!(!page.contains("method=\"post\" action=\"/dashboard"));
    assert_eq!(rival.get(BLOCKS).await.status, 404);
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            BLOCKS.to_owned(),
            vec![
                ("network", "198.51.100.7"),
                ("minutes", "30"),
                ("reason", "x"),
            ],
        ),
        (format!("{BLOCKS}/{id}/lift"), vec![]),
        (
            format!("{BLOCKS}/allowlist"),
            vec![("allowlist", "203.0.113.0/24")],
        ),
    ];
    for (path, fields) in &posts {
        assert_eq!(viewer.post(path, fields).await.status, 403, "viewer {path}");
        assert_eq!(rival.post(path, fields).await.status, 404, "rival {path}");
    }
    // The rival's own page with acme's block: not theirs to lift.
    let theirs = format!("/dashboard/t/rival/blocks/{id}/lift");
    assert_eq!(rival.post(&theirs, &[]).await.status, 404);
    assert_eq!(blocks(&s).await.len(), 1, "still blocked");
    assert_eq!(allowlist(&s).await, Value::Null);
}
