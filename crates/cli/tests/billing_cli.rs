//! `connectauth billing …` against real auth and billing databases.
mod common;

use std::process::Output;

use billing::domain::plan::PlanId;
use billing::domain::subscription::{Source, Subscription};
use billing::domain::tenant::TenantId;
use billing::store::subscriptions::SubscriptionStore;
use common::{refused, run, stderr, stdout, MASTER_KEYS};
use service_kit::both_engines;
use service_kit::db::{Engine, PoolSettings};
use service_kit::testing::TestDb;

/// The value of `label:` in `billing show` output.
fn field(out: &Output, label: &str) -> String {
    stdout(out)
        .lines()
        .find_map(|l| l.strip_prefix(label))
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no `{label}` in:\n{}", stdout(out)))
}

fn mau(out: &Output) -> String {
    stdout(out)
        .lines()
        .find(|l| l.starts_with("MAU "))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_else(|| panic!("no MAU line in:\n{}", stdout(out)))
}

async fn billing_lifecycle(engine: Engine) {
    let auth_db = TestDb::new(engine).await;
    let billing_db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", auth_db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ("BILLING_DATABASE_URL", billing_db.url.as_str()),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    let billing = |args: &[&str]| {
        let mut all = vec!["billing"];
        all.extend_from_slice(args);
        cli(&all)
    };

    let migrated = cli(&["migrate", "auth"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let created = cli(&["tenant", "create", "acme"]);
    assert!(created.status.success(), "{}", stderr(&created));
    let not_migrated = billing(&["show", "--tenant", "acme"]);
    refused(&not_migrated, "connectauth migrate");
    let migrated = cli(&["migrate", "billing"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));

    // A tenant billing has no record of is on Free.
    let shown = billing(&["show", "--tenant", "acme"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert_eq!(field(&shown, "plan:"), "Free (free)");
    assert_eq!(field(&shown, "source:"), "manual");
    assert_eq!(mau(&shown), "0 / 1000 (0%)");
    assert_eq!(field(&shown, "warning:"), "none");
    assert!(field(&shown, "owner email:").starts_with('-'));
    let id = field(&shown, "tenant:")
        .split_once('(')
        .map(|(_, id)| id.trim_end_matches(')').to_owned())
        .expect("id");

    let set = billing(&["set-plan", "--tenant", "acme", "--plan", "pro"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(
        stdout(&set).contains("now on the Pro plan"),
        "{}",
        stdout(&set)
    );
    // By id as well as by slug.
    let shown = billing(&["show", "--tenant", &id]);
    assert_eq!(field(&shown, "plan:"), "Pro (pro)");
    assert_eq!(field(&shown, "status:"), "active");
    assert_eq!(mau(&shown), "0 / 20000 (0%)");

    let set = billing(&[
        "set-plan",
        "--tenant",
        "acme",
        "--plan",
        "enterprise",
        "--mau-limit",
        "250000",
    ]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(
        stdout(&set).contains("MAU limit 250000"),
        "{}",
        stdout(&set)
    );
    let shown = billing(&["show", "--tenant", "acme"]);
    assert_eq!(field(&shown, "plan:"), "Enterprise (enterprise)");
    assert_eq!(mau(&shown), "0 / 250000 (0%)");

    // Refusals change nothing.
    refused(
        &billing(&[
            "set-plan",
            "--tenant",
            "acme",
            "--plan",
            "pro",
            "--mau-limit",
            "5",
        ]),
        "a custom limit is for the Enterprise plan only",
    );
    let unknown_plan = billing(&["set-plan", "--tenant", "acme", "--plan", "gold"]);
    refused(&unknown_plan, "unknown plan `gold`");
    assert!(stderr(&unknown_plan).contains("free, starter, pro, enterprise"));
    refused(
        &billing(&["set-plan", "--tenant", "nobody", "--plan", "pro"]),
        "no tenant with id or slug `nobody`",
    );
    refused(
        &billing(&["show", "--tenant", "nobody"]),
        "no tenant with id or slug `nobody`",
    );
    let shown = billing(&["show", "--tenant", "acme"]);
    assert_eq!(field(&shown, "plan:"), "Enterprise (enterprise)");
    assert_eq!(mau(&shown), "0 / 250000 (0%)");

    // The owner's address.
    refused(
        &billing(&["set-owner", "--tenant", "acme", "--email", "not-an-address"]),
        "--email `not-an-address` is not an email address",
    );
    assert!(field(&billing(&["show", "--tenant", "acme"]), "owner email:").starts_with('-'));
    let owner = billing(&[
        "set-owner",
        "--tenant",
        "acme",
        "--email",
        "ops@acme.example",
    ]);
    assert!(owner.status.success(), "{}", stderr(&owner));
    assert_eq!(
        field(&billing(&["show", "--tenant", "acme"]), "owner email:"),
        "ops@acme.example"
    );
    let neither = billing(&["set-owner", "--tenant", "acme"]);
    assert!(!neither.status.success());
    let both = billing(&[
        "set-owner",
        "--tenant",
        "acme",
        "--email",
        "a@acme.example",
        "--clear",
    ]);
    assert!(!both.status.success());
    let cleared = billing(&["set-owner", "--tenant", "acme", "--clear"]);
    assert!(cleared.status.success(), "{}", stderr(&cleared));
    assert!(field(&billing(&["show", "--tenant", "acme"]), "owner email:").starts_with('-'));

    // A tenant paying through Stripe is changed there, not by hand.
    let db = service_kit::db::connect(&billing_db.url, PoolSettings::default())
        .await
        .expect("billing db");
    let store = SubscriptionStore::new(db.pool.clone());
    let tenant = TenantId::parse(&id).expect("tenant id");
    let paying = Subscription {
        plan: PlanId::Starter,
        source: Source::Stripe,
        stripe_subscription_id: Some("sub_123".into()),
        stripe_price_id: Some("price_starter".into()),
        ..Subscription::free(tenant, 1_795_000_000)
    };
    store.save(&paying).await.expect("saved");
    refused(
        &billing(&["set-plan", "--tenant", "acme", "--plan", "enterprise"]),
        "the tenant pays through Stripe",
    );
    assert_eq!(store.get(tenant).await.expect("read"), Some(paying));
    let shown = billing(&["show", "--tenant", "acme"]);
    assert_eq!(field(&shown, "plan:"), "Starter (starter)");
    assert_eq!(field(&shown, "source:"), "stripe");
}
both_engines!(billing_commands, billing_lifecycle);

#[test]
fn plans_lists_the_catalogue() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run(dir.path(), &["billing", "plans"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 4, "{text}");
    for (row, (id, price, limit, online)) in rows.iter().zip([
        ("free", "free", "1000", "no"),
        ("starter", "9.00 EUR/month", "5000", "yes"),
        ("pro", "29.00 EUR/month", "20000", "yes"),
        ("enterprise", "on quote", "per contract", "no"),
    ]) {
        assert!(row.starts_with(id), "{row}");
        assert!(row.contains(price) && row.contains(limit), "{row}");
        assert!(row.trim_end().ends_with(online), "{row}");
    }
}

#[test]
fn sync_plans_without_a_stripe_key_fails_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    for env in [&[][..], &[("BILLING_STRIPE_SECRET_KEY", " ")][..]] {
        let out = run(dir.path(), &["billing", "sync-plans"], env);
        assert_eq!(out.status.code(), Some(1));
        assert!(
            stderr(&out).contains("billing is not configured: set BILLING_STRIPE_SECRET_KEY"),
            "{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty());
    }
}
