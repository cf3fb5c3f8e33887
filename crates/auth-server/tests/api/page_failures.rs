//! Our own failures on hosted pages: a generic message for the user, the
//! cause only in the log.
use serde_json::json;
use service_kit::both_engines;
use service_kit::db::Engine;

use crate::helpers::spawn_app;
use crate::oidc::{authorize_path, create_client, pkce};

async fn a_broken_client_row_shows_a_generic_page(engine: Engine) {
    let app = spawn_app(engine).await;
    let tenant = app.tenant("acme", json!({})).await;
    let client = create_client(&app, &tenant.id.to_string(), json!({})).await;
    // A row the store cannot read (a bug or a bad manual edit): the lookup
    // fails with the row's id and column in its error text.
    sqlx::query("UPDATE clients SET grant_types = 'not json' WHERE id = $1")
        .bind(&client.id)
        .execute(&app.database.pool)
        .await
        .expect("corrupt the row");

    let web = app.web();
    let (_, challenge) = pkce();
    let page = web
        .get(&authorize_path("acme", &client, &challenge, &[]))
        .await;
    assert_eq!(page.status, 500, "{}", page.body);
    assert!(
        page.contains("Something went wrong on our side"),
        "{}",
        page.body
    );
    for leak in [client.id.as_str(), "grant_types", "corrupt", "Unexpected"] {
        assert!(
            !page.contains(leak),
            "the page shows {leak:?}: {}",
            page.body
        );
    }
}
both_engines!(
    authorize_hides_store_errors,
    a_broken_client_row_shows_a_generic_page
);
