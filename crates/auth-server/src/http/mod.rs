//! The auth server's URL table, top to bottom. `/healthz` and `/readyz` come
//! from the shared baseline.
pub mod extract;
pub mod manage;
pub mod oidc;
pub mod pages;
pub mod rate_limit;

use actix_web::web;
use oidc::{authorize, cors, discovery, end_session, introspect, jwks, revoke, token, userinfo};
use pages::{account, assets, dashboard, links, login, mfa, signup};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/manage/v1")
            .route(
                "/openapi.json",
                web::get().to(manage::openapi::openapi_json),
            )
            .route("/tenants", web::post().to(manage::tenants::create_tenant))
            .route("/tenants", web::get().to(manage::tenants::list_tenants))
            .route(
                "/tenants/by-slug/{slug}",
                web::get().to(manage::tenants::get_tenant_by_slug),
            )
            .route("/tenants/{id}", web::get().to(manage::tenants::get_tenant))
            .route(
                "/tenants/{id}",
                web::patch().to(manage::tenants::update_tenant),
            )
            .route(
                "/tenants/{id}/disable",
                web::post().to(manage::tenants::disable_tenant),
            )
            .route(
                "/tenants/{id}/users",
                web::get().to(manage::users::list_users),
            )
            .route(
                "/tenants/{id}/users/{user_id}",
                web::get().to(manage::users::get_user),
            )
            .route(
                "/tenants/{id}/users/{user_id}/disable",
                web::post().to(manage::users::disable_user),
            )
            .route(
                "/tenants/{id}/users/{user_id}/sessions",
                web::delete().to(manage::users::end_user_sessions),
            )
            .route(
                "/tenants/{id}/events",
                web::get().to(manage::users::list_events),
            )
            .route(
                "/tenants/{id}/clients",
                web::post().to(manage::clients::create_client),
            )
            .route(
                "/tenants/{id}/clients",
                web::get().to(manage::clients::list_clients),
            )
            .route(
                "/tenants/{id}/clients/{client_id}",
                web::get().to(manage::clients::get_client),
            )
            .route(
                "/tenants/{id}/clients/{client_id}",
                web::patch().to(manage::clients::update_client),
            )
            .route(
                "/tenants/{id}/clients/{client_id}/rotate-secret",
                web::post().to(manage::clients::rotate_client_secret),
            )
            .route(
                "/tenants/{id}/clients/{client_id}/disable",
                web::post().to(manage::clients::disable_client),
            )
            .route(
                "/tenants/{id}/owners",
                web::post().to(manage::owners::add_owner),
            )
            .route(
                "/tenants/{id}/owners",
                web::get().to(manage::owners::list_owners),
            )
            .route(
                "/tenants/{id}/owners/{user_id}",
                web::delete().to(manage::owners::remove_owner),
            ),
    );
    // The tenant owners' dashboard: pages of the `platform` tenant's session.
    cfg.route("/dashboard", web::get().to(dashboard::show_dashboard));
    cfg.service(
        web::scope("/dashboard/t/{slug}")
            .route("/billing", web::get().to(dashboard::show_billing))
            .route(
                "/billing/checkout",
                web::post().to(dashboard::submit_checkout),
            )
            .route("/billing/portal", web::post().to(dashboard::submit_portal))
            .route(
                "/billing/contact",
                web::post().to(dashboard::submit_contact),
            ),
    );
    cfg.route("/static/connectauth.css", web::get().to(assets::stylesheet));
    // RFC 8414 §3: metadata of issuer `/t/{slug}` lives at the well-known path with the issuer path appended.
    cfg.route(
        "/.well-known/oauth-authorization-server/t/{slug}",
        web::get().to(discovery::metadata),
    );
    cfg.service(
        web::scope("/t/{slug}")
            .route(
                "/.well-known/openid-configuration",
                web::get().to(discovery::metadata),
            )
            .route(
                "/.well-known/openid-configuration",
                web::method(actix_web::http::Method::OPTIONS).to(cors::preflight),
            )
            .route(
                "/.well-known/oauth-authorization-server",
                web::get().to(discovery::metadata),
            )
            .route("/jwks.json", web::get().to(jwks::jwks))
            .route(
                "/jwks.json",
                web::method(actix_web::http::Method::OPTIONS).to(cors::preflight),
            )
            .route("/authorize", web::get().to(authorize::authorize_get))
            .route("/authorize", web::post().to(authorize::authorize_post))
            .route(
                "/authorize/consent",
                web::post().to(authorize::consent_decision),
            )
            .route("/token", web::post().to(token::token))
            .route(
                "/token",
                web::method(actix_web::http::Method::OPTIONS).to(cors::preflight),
            )
            .route("/userinfo", web::get().to(userinfo::userinfo_get))
            .route("/userinfo", web::post().to(userinfo::userinfo_post))
            .route(
                "/userinfo",
                web::method(actix_web::http::Method::OPTIONS).to(cors::preflight),
            )
            .route("/revoke", web::post().to(revoke::revoke))
            .route(
                "/revoke",
                web::method(actix_web::http::Method::OPTIONS).to(cors::preflight),
            )
            .route("/introspect", web::post().to(introspect::introspect))
            .route("/end_session", web::get().to(end_session::end_session_get))
            .route(
                "/end_session",
                web::post().to(end_session::end_session_post),
            )
            .route("", web::get().to(login::tenant_home))
            .route("/", web::get().to(login::tenant_home))
            .route("/theme.css", web::get().to(assets::tenant_theme))
            .route("/signup", web::get().to(signup::show_signup))
            .route("/signup", web::post().to(signup::submit_signup))
            .route("/login", web::get().to(login::show_login))
            .route("/login", web::post().to(login::submit_login))
            .route("/logout", web::post().to(login::submit_logout))
            .route("/mfa", web::get().to(mfa::show_challenge))
            .route("/mfa", web::post().to(mfa::submit_challenge))
            .route("/mfa/enroll", web::get().to(mfa::show_enroll))
            .route(
                "/mfa/enroll/key",
                web::post().to(mfa::submit_enroll_password),
            )
            .route("/mfa/enroll", web::post().to(mfa::submit_enroll))
            .route("/account", web::get().to(account::show_account))
            .route(
                "/account/sessions/end-others",
                web::post().to(account::end_other_sessions),
            )
            .route(
                "/account/sessions/{handle}/end",
                web::post().to(account::end_session),
            )
            .route("/verify-email", web::get().to(links::show_verify_email))
            .route("/verify-email", web::post().to(links::submit_verify_email))
            .route("/verify-email/code", web::post().to(signup::submit_code))
            .route("/forgot-password", web::get().to(links::show_forgot))
            .route("/forgot-password", web::post().to(links::submit_forgot))
            .route("/reset-password", web::get().to(links::show_reset))
            .route("/reset-password", web::post().to(links::submit_reset))
            .route("/unlock", web::get().to(links::show_unlock))
            .route("/unlock", web::post().to(links::submit_unlock)),
    );
}
