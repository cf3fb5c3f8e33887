//! `TenantStore` directly, the same cases on both engines.
use auth_server::domain::tenant::{
    DisplayName, NewTenant, TenantId, TenantSettings, TenantSlug, TenantUpdate,
};
use auth_server::store::tenants::TenantStore;
use auth_server::store::StoreError;
use auth_server::MIGRATIONS;
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::{self, Engine, PoolSettings};
use service_kit::paging::PageRequest;
use service_kit::testing::TestDb;

async fn store(engine: Engine) -> (TestDb, TenantStore) {
    let test_db = TestDb::new(engine).await;
    let database = db::connect(&test_db.url, PoolSettings::default())
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    // Applying migrations twice is a no-op.
    db::migrate(&database, &MIGRATIONS)
        .await
        .expect("migrate again");
    (test_db, TenantStore::new(database.pool))
}

fn new_tenant(slug: &str) -> NewTenant {
    NewTenant {
        slug: TenantSlug::parse(slug).expect("valid slug"),
        display_name: DisplayName::parse(&slug.to_uppercase()).expect("valid name"),
        settings: TenantSettings::parse(json!({"require_mfa": true})).expect("valid settings"),
    }
}

async fn create_and_get(engine: Engine) {
    let (_db, store) = store(engine).await;
    let created = store.create(new_tenant("acme")).await.expect("created");
    assert_eq!(store.get(created.id).await.expect("by id"), created);
    assert_eq!(store.get_by_slug("acme").await.expect("by slug"), created);
    assert!(matches!(
        store.get(TenantId::new()).await,
        Err(StoreError::TenantNotFound)
    ));
    assert!(matches!(
        store.get_by_slug("nobody").await,
        Err(StoreError::TenantNotFound)
    ));
}
both_engines!(store_create_and_get, create_and_get);

async fn duplicate_slug(engine: Engine) {
    let (_db, store) = store(engine).await;
    store.create(new_tenant("acme")).await.expect("first");
    assert!(
        matches!(store.create(new_tenant("acme")).await, Err(StoreError::SlugTaken(s)) if s == "acme")
    );
    assert_eq!(store.count().await.expect("count"), 1);
}
both_engines!(store_duplicate_slug, duplicate_slug);

async fn list_pages(engine: Engine) {
    let (_db, store) = store(engine).await;
    for slug in ["ccc", "aaa", "bbb"] {
        store.create(new_tenant(slug)).await.expect("created");
    }
    let first = store
        .list(&PageRequest::parse(Some(2), None).expect("page"))
        .await
        .expect("list");
    let slugs: Vec<_> = first.items.iter().map(|t| t.slug.to_string()).collect();
    assert_eq!(slugs, ["aaa", "bbb"]);
    assert_eq!(first.next_after.as_deref(), Some("bbb"));
    let second = store
        .list(&PageRequest::parse(Some(2), first.next_after).expect("page"))
        .await
        .expect("list");
    assert_eq!(second.items.len(), 1);
    assert_eq!(second.next_after, None);
    let exact = store
        .list(&PageRequest::parse(Some(3), None).expect("page"))
        .await
        .expect("list");
    assert_eq!((exact.items.len(), exact.next_after), (3, None));
}
both_engines!(store_list_pages, list_pages);

async fn update_and_disable(engine: Engine) {
    let (_db, store) = store(engine).await;
    let t = store.create(new_tenant("acme")).await.expect("created");
    let updated = store
        .update(
            t.id,
            TenantUpdate {
                display_name: Some(DisplayName::parse("Acme SAS").expect("name")),
                settings: None,
            },
        )
        .await
        .expect("updated");
    assert_eq!(updated.display_name.as_ref(), "Acme SAS");
    assert_eq!(updated.settings, t.settings);
    let disabled = store.disable(t.id).await.expect("disabled");
    let first_disabled_at = disabled.disabled_at.expect("disabled_at set");
    let again = store.disable(t.id).await.expect("idempotent");
    assert_eq!(again.disabled_at, Some(first_disabled_at));
    assert!(matches!(
        store.disable(TenantId::new()).await,
        Err(StoreError::TenantNotFound)
    ));
    assert!(matches!(
        store.update(TenantId::new(), TenantUpdate::default()).await,
        Err(StoreError::TenantNotFound)
    ));
}
both_engines!(store_update_and_disable, update_and_disable);

async fn database_refuses_invalid_slugs_even_past_the_domain(engine: Engine) {
    let test_db = TestDb::new(engine).await;
    let database = db::connect(&test_db.url, PoolSettings::default())
        .await
        .expect("connect");
    db::migrate(&database, &MIGRATIONS).await.expect("migrate");
    let res = sqlx::query(
        "INSERT INTO tenants (id, slug, display_name, settings, created_at, updated_at) VALUES ($1, $2, $3, '{}', 0, 0)",
    )
    .bind(TenantId::new().to_string())
    .bind("Bad Slug!")
    .bind("x")
    .execute(&database.pool)
    .await;
    assert!(
        res.is_err(),
        "the schema's CHECK is a second line of defence"
    );
}
both_engines!(
    schema_checks_slugs,
    database_refuses_invalid_slugs_even_past_the_domain
);
