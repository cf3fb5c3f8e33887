//! The billing database comes back, and a backup of one service's database
//! is refused by the other's restore.
use service_kit::both_engines;
use service_kit::db::Engine;
use service_kit::testing::TestDb;

use super::{ok, written};
use crate::common::{field, refused, run, MASTER_KEYS};

async fn billing_comes_back(engine: Engine) {
    let auth_db = TestDb::new(engine).await;
    let billing_db = TestDb::new(engine).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("AUTH_DATABASE_URL", auth_db.url.as_str()),
        ("AUTH_MASTER_KEYS", MASTER_KEYS),
        ("BILLING_DATABASE_URL", billing_db.url.as_str()),
    ];
    let cli = |args: &[&str]| run(dir.path(), args, &env);
    ok(cli(&["migrate"]), "migrate");
    ok(cli(&["tenant", "create", "acme"]), "tenant");
    let plan = |plan: &str| {
        ok(
            cli(&["billing", "set-plan", "--tenant", "acme", "--plan", plan]),
            "set-plan",
        )
    };
    let shown = || {
        field(
            &ok(cli(&["billing", "show", "--tenant", "acme"]), "show"),
            "plan",
        )
    };
    plan("pro");
    assert_eq!(shown(), "Pro (pro)");
    let file = dir.path().join("billing.cabackup");
    let out = ok(
        cli(&["backup", "billing", "--out", file.to_str().expect("utf-8")]),
        "backup",
    );
    assert_eq!(written(&out), file);
    plan("starter");
    assert_eq!(shown(), "Starter (starter)");

    // An auth backup is not restored into billing, nor billing's into auth.
    let auth_file = dir.path().join("auth.cabackup");
    ok(
        cli(&[
            "backup",
            "auth",
            "--out",
            auth_file.to_str().expect("utf-8"),
        ]),
        "auth backup",
    );
    let wrong = cli(&[
        "restore",
        "billing",
        "--from",
        auth_file.to_str().expect("utf-8"),
        "--yes",
    ]);
    refused(
        &wrong,
        "a backup of the auth database: it cannot be restored into the billing database",
    );
    let wrong = cli(&[
        "restore",
        "auth",
        "--from",
        file.to_str().expect("utf-8"),
        "--yes",
    ]);
    refused(&wrong, "a backup of the billing database");
    assert_eq!(shown(), "Starter (starter)");

    ok(
        cli(&[
            "restore",
            "billing",
            "--from",
            file.to_str().expect("utf-8"),
            "--yes",
        ]),
        "restore",
    );
    assert_eq!(shown(), "Pro (pro)", "the subscription at the backup");
}

both_engines!(billing_backup_and_restore, billing_comes_back);
