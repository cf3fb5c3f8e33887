//! The auth server's URL table, top to bottom. `/healthz` and `/readyz` come
//! from the shared baseline.
pub mod blocked;
pub mod extract;
pub mod manage;
pub mod oidc;
pub mod pages;
pub mod rate_limit;

use actix_web::http::Method;
use actix_web::web;
use oidc::{authorize, cors, discovery, end_session, introspect, jwks, revoke, token, userinfo};
use pages::{
    account, assets, console_apps, console_billing, console_blocks, console_branding,
    console_credentials, console_events, console_keys, console_security_report, console_settings,
    console_sign_in_methods, console_team, console_users, console_webhook_deliveries,
    console_webhooks, dashboard, links, login, mfa, onboarding, passkeys, signup, step_up,
    upstream,
};

/// Each path is one resource with all its methods, so a known path asked
/// with another method answers 405 with `Allow` (rendered as a problem by
/// the shared baseline), not 404.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use manage::upstream as upstream_api;
    use manage::{
        blocks, clients, invitations, keys, openapi, owners, reports, tenants, users, webhooks,
    };
    // The tenants' OIDC endpoints first: actix tries services in order, and
    // these carry almost all the traffic (no other path starts with `/t/`).
    let preflight = || web::method(Method::OPTIONS).to(cors::preflight);
    cfg.service(
        web::scope("/t/{slug}")
            .wrap(actix_web::middleware::from_fn(blocked::refuse_blocked))
            .service(
                web::resource("/.well-known/openid-configuration")
                    .get(discovery::metadata)
                    .route(preflight()),
            )
            .service(
                web::resource("/.well-known/oauth-authorization-server").get(discovery::metadata),
            )
            .service(
                web::resource("/jwks.json")
                    .get(jwks::jwks)
                    .route(preflight()),
            )
            .service(
                web::resource("/authorize")
                    .get(authorize::authorize_get)
                    .post(authorize::authorize_post),
            )
            .service(web::resource("/authorize/consent").post(authorize::consent_decision))
            .service(
                web::resource("/token")
                    .post(token::token)
                    .route(preflight()),
            )
            .service(
                web::resource("/userinfo")
                    .get(userinfo::userinfo_get)
                    .post(userinfo::userinfo_post)
                    .route(preflight()),
            )
            .service(
                web::resource("/revoke")
                    .post(revoke::revoke)
                    .route(preflight()),
            )
            .service(web::resource("/introspect").post(introspect::introspect))
            .service(
                web::resource("/end_session")
                    .get(end_session::end_session_get)
                    .post(end_session::end_session_post),
            )
            .service(web::resource(["", "/"]).get(login::tenant_home))
            .service(web::resource("/theme.css").get(assets::tenant_theme))
            .service(
                web::resource("/signup")
                    .get(signup::show_signup)
                    .post(signup::submit_signup),
            )
            .service(
                web::resource("/login")
                    .get(login::show_login)
                    .post(login::submit_login),
            )
            .service(web::resource("/logout").post(login::submit_logout))
            // "callback" is not a provider slug: a route of its own, first.
            .service(
                web::resource("/upstream/callback")
                    .get(upstream::callback)
                    .post(upstream::callback_post),
            )
            .service(web::resource("/upstream/{provider}").get(upstream::start))
            .service(web::resource("/upstream/{provider}/link").post(upstream::start_link))
            .service(web::resource("/account/upstream/{provider_id}/unlink").post(upstream::unlink))
            .service(web::resource("/passkeys/sign-in/options").post(passkeys::sign_in_options))
            .service(web::resource("/passkeys/sign-in").post(passkeys::sign_in))
            .service(web::resource("/passkeys/offer").get(passkeys::offer))
            .service(web::resource("/account/passkeys/options").post(passkeys::register_options))
            .service(web::resource("/account/passkeys").post(passkeys::register))
            .service(web::resource("/account/passkeys/{id}/rename").post(passkeys::rename))
            .service(web::resource("/account/passkeys/{id}/delete").post(passkeys::delete))
            .service(web::resource("/account/password/remove").post(passkeys::remove_password))
            .service(
                web::resource("/mfa")
                    .get(mfa::show_challenge)
                    .post(mfa::submit_challenge),
            )
            .service(
                web::resource("/mfa/enroll")
                    .get(mfa::show_enroll)
                    .post(mfa::submit_enroll),
            )
            .service(web::resource("/mfa/enroll/key").post(mfa::submit_enroll_password))
            .service(
                web::resource("/step-up")
                    .get(step_up::show_step_up)
                    .post(step_up::submit_step_up),
            )
            .service(web::resource("/step-up/resend").post(step_up::resend_step_up))
            .service(web::resource("/account").get(account::show_account))
            .service(
                web::resource("/account/sessions/end-others").post(account::end_other_sessions),
            )
            .service(web::resource("/account/sessions/{handle}/end").post(account::end_session))
            .service(
                web::resource("/verify-email")
                    .get(links::show_verify_email)
                    .post(links::submit_verify_email),
            )
            .service(web::resource("/verify-email/code").post(signup::submit_code))
            .service(
                web::resource("/forgot-password")
                    .get(links::show_forgot)
                    .post(links::submit_forgot),
            )
            .service(
                web::resource("/reset-password")
                    .get(links::show_reset)
                    .post(links::submit_reset),
            )
            .service(
                web::resource("/unlock")
                    .get(links::show_unlock)
                    .post(links::submit_unlock),
            ),
    );
    cfg.service(
        web::scope("/manage/v1")
            .wrap(actix_web::middleware::from_fn(blocked::guard_manage))
            .service(web::resource("/openapi.json").get(openapi::openapi_json))
            .service(web::resource("/reports/operator").get(reports::operator_report))
            .service(
                web::resource("/tenants")
                    .post(tenants::create_tenant)
                    .get(tenants::list_tenants),
            )
            .service(web::resource("/tenants/by-slug/{slug}").get(tenants::get_tenant_by_slug))
            .service(
                web::resource("/tenants/{id}")
                    .get(tenants::get_tenant)
                    .patch(tenants::update_tenant),
            )
            .service(web::resource("/tenants/{id}/settings").patch(tenants::patch_tenant_settings))
            .service(web::resource("/tenants/{id}/disable").post(tenants::disable_tenant))
            .service(web::resource("/tenants/{id}/users").get(users::list_users))
            .service(web::resource("/tenants/{id}/users/import").post(users::import_users))
            .service(
                web::resource("/tenants/{id}/users/{user_id}")
                    .get(users::get_user)
                    .delete(users::delete_user),
            )
            .service(
                web::resource("/tenants/{id}/users/{user_id}/reset-mfa")
                    .post(users::reset_user_mfa),
            )
            .service(
                web::resource("/tenants/{id}/users/{user_id}/resend-verification")
                    .post(users::resend_verification),
            )
            .service(web::resource("/tenants/{id}/users/{user_id}/export").get(users::export_user))
            .service(
                web::resource("/tenants/{id}/users/{user_id}/disable").post(users::disable_user),
            )
            .service(web::resource("/tenants/{id}/users/{user_id}/enable").post(users::enable_user))
            .service(
                web::resource("/tenants/{id}/users/{user_id}/sessions")
                    .delete(users::end_user_sessions),
            )
            .service(web::resource("/tenants/{id}/events").get(users::list_events))
            .service(
                web::resource("/tenants/{id}/clients")
                    .post(clients::create_client)
                    .get(clients::list_clients),
            )
            .service(
                web::resource("/tenants/{id}/clients/{client_id}")
                    .get(clients::get_client)
                    .patch(clients::update_client),
            )
            .service(
                web::resource("/tenants/{id}/clients/{client_id}/rotate-secret")
                    .post(clients::rotate_client_secret),
            )
            .service(
                web::resource("/tenants/{id}/clients/{client_id}/secret-compromised")
                    .post(clients::secret_compromised),
            )
            .service(
                web::resource("/tenants/{id}/clients/{client_id}/disable")
                    .post(clients::disable_client),
            )
            .service(
                web::resource("/tenants/{id}/clients/{client_id}/enable")
                    .post(clients::enable_client),
            )
            .service(
                web::resource("/tenants/{id}/upstream-providers")
                    .post(upstream_api::create_provider)
                    .get(upstream_api::list_providers),
            )
            .service(
                web::resource("/tenants/{id}/upstream-providers/{provider_id}")
                    .get(upstream_api::get_provider)
                    .patch(upstream_api::update_provider)
                    .delete(upstream_api::delete_provider),
            )
            .service(
                web::resource("/tenants/{id}/users/{user_id}/upstream-tokens")
                    .get(upstream_api::user_tokens),
            )
            .service(web::resource("/tenants/{id}/keys").get(keys::list_keys))
            .service(web::resource("/tenants/{id}/keys/rotate").post(keys::rotate_keys))
            .service(web::resource("/tenants/{id}/keys/{kid}/revoke").post(keys::revoke_key))
            .service(
                web::resource("/tenants/{id}/keys/{kid}/compromised").post(keys::key_compromised),
            )
            .service(
                web::resource("/tenants/{id}/owners")
                    .post(owners::add_owner)
                    .get(owners::list_owners),
            )
            .service(
                web::resource("/tenants/{id}/owners/{user_id}")
                    .delete(owners::remove_owner)
                    .patch(owners::set_owner_role),
            )
            .service(
                web::resource("/tenants/{id}/invitations")
                    .post(invitations::invite)
                    .get(invitations::list_invitations),
            )
            .service(
                web::resource("/tenants/{id}/invitations/{email}")
                    .delete(invitations::withdraw_invitation),
            )
            .service(
                web::resource("/tenants/{id}/blocks")
                    .get(blocks::list_blocks)
                    .post(blocks::create_block),
            )
            .service(web::resource("/tenants/{id}/blocks/{block_id}").delete(blocks::delete_block))
            .service(
                web::resource("/tenants/{id}/webhooks")
                    .get(webhooks::list_webhooks)
                    .post(webhooks::create_webhook),
            )
            .service(
                web::resource("/tenants/{id}/webhooks/{webhook_id}")
                    .get(webhooks::get_webhook)
                    .patch(webhooks::update_webhook)
                    .delete(webhooks::delete_webhook),
            )
            .service(
                web::resource("/tenants/{id}/webhooks/{webhook_id}/rotate-secret")
                    .post(webhooks::rotate_webhook_secret),
            )
            .service(
                web::resource("/tenants/{id}/webhooks/{webhook_id}/test")
                    .post(webhooks::test_webhook),
            )
            .service(
                web::resource("/tenants/{id}/webhooks/{webhook_id}/deliveries")
                    .get(webhooks::list_deliveries),
            )
            .service(
                web::resource("/tenants/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}")
                    .get(webhooks::get_delivery),
            )
            .service(
                web::resource(
                    "/tenants/{id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
                )
                .post(webhooks::redeliver),
            ),
    );
    // The tenant owners' dashboard: pages of the `platform` tenant's session.
    cfg.service(web::resource("/dashboard").get(dashboard::show_dashboard));
    cfg.service(
        web::resource("/dashboard/invite")
            .get(console_team::show_invite)
            .post(console_team::submit_invite_accept),
    );
    cfg.service(
        web::resource("/dashboard/new")
            .get(onboarding::show_new_tenant)
            .post(onboarding::submit_new_tenant),
    );
    cfg.service(
        web::scope("/dashboard/t/{slug}")
            .service(web::resource("/billing").get(console_billing::show_billing))
            .service(web::resource("/billing/checkout").post(console_billing::submit_checkout))
            .service(web::resource("/billing/portal").post(console_billing::submit_portal))
            .service(web::resource("/billing/contact").post(console_billing::submit_contact))
            .service(web::resource("/apps").get(console_apps::list_apps))
            .service(
                web::resource("/apps/new")
                    .get(console_apps::show_new_app)
                    .post(console_apps::submit_new_app),
            )
            .service(
                web::resource("/apps/{client_id}")
                    .get(console_apps::show_app)
                    .post(console_apps::submit_app),
            )
            .service(
                web::resource("/apps/{client_id}/rotate-secret").post(console_apps::submit_rotate),
            )
            .service(web::resource("/apps/{client_id}/disable").post(console_apps::submit_disable))
            .service(web::resource("/apps/{client_id}/enable").post(console_apps::submit_enable))
            .service(
                web::resource("/branding")
                    .get(console_branding::show_branding)
                    .post(console_branding::submit_branding),
            )
            .service(
                web::resource("/settings")
                    .get(console_settings::show_settings)
                    .post(console_settings::submit_settings),
            )
            .service(
                web::resource("/api-credentials")
                    .get(console_credentials::show_credentials)
                    .post(console_credentials::submit_create),
            )
            .service(
                web::resource("/api-credentials/revoke").post(console_credentials::submit_revoke),
            )
            .service(web::resource("/team").get(console_team::show_team))
            .service(web::resource("/team/invite").post(console_team::submit_invite))
            .service(web::resource("/team/invites/withdraw").post(console_team::submit_withdraw))
            .service(web::resource("/team/{user_id}/role").post(console_team::submit_role))
            .service(web::resource("/team/{user_id}/remove").post(console_team::submit_remove))
            .service(web::resource("/leave").post(console_team::submit_leave))
            .service(web::resource("/events").get(console_events::show_events))
            .service(web::resource("/events.csv").get(console_events::export_events))
            .service(
                web::resource("/security-report")
                    .get(console_security_report::show_security_report),
            )
            .service(
                web::resource("/blocks")
                    .get(console_blocks::show_blocks)
                    .post(console_blocks::submit_block),
            )
            .service(web::resource("/blocks/allowlist").post(console_blocks::submit_allowlist))
            .service(web::resource("/blocks/{id}/lift").post(console_blocks::submit_lift))
            .service(web::resource("/keys").get(console_keys::show_keys))
            .service(web::resource("/keys/rotate").post(console_keys::submit_rotate))
            .service(web::resource("/keys/revoke").post(console_keys::submit_revoke))
            .service(web::resource("/keys/compromised").post(console_keys::submit_compromised))
            .service(
                web::resource("/webhooks")
                    .get(console_webhooks::show_webhooks)
                    .post(console_webhooks::submit_add),
            )
            .service(web::resource("/webhooks/{id}").get(console_webhook_deliveries::show_webhook))
            .service(
                web::resource("/webhooks/{id}/{switch:enable|disable}")
                    .post(console_webhooks::submit_switch),
            )
            .service(web::resource("/webhooks/{id}/delete").post(console_webhooks::submit_delete))
            .service(
                web::resource("/webhooks/{id}/rotate-secret").post(console_webhooks::submit_rotate),
            )
            .service(web::resource("/webhooks/{id}/test").post(console_webhooks::submit_test))
            .service(
                web::resource("/webhooks/{id}/deliveries/{delivery_id}/redeliver")
                    .post(console_webhook_deliveries::submit_redeliver),
            )
            .service(
                web::resource("/sign-in-methods")
                    .get(console_sign_in_methods::show_sign_in_methods)
                    .post(console_sign_in_methods::submit_add),
            )
            .service(
                web::resource("/sign-in-methods/{provider_id}/update")
                    .post(console_sign_in_methods::submit_update),
            )
            .service(
                web::resource("/sign-in-methods/{provider_id}/delete")
                    .post(console_sign_in_methods::submit_delete),
            )
            .service(web::resource("/users").get(console_users::list_users))
            .service(
                web::resource("/users/import")
                    .get(console_users::show_import)
                    .post(console_users::submit_import),
            )
            .service(web::resource("/users/{user_id}").get(console_users::show_user))
            .service(
                web::resource("/users/{user_id}/end-sessions")
                    .post(console_users::submit_end_sessions),
            )
            .service(
                web::resource("/users/{user_id}/{action:disable|reset-mfa|delete}")
                    .post(console_users::submit_confirmed),
            )
            .service(web::resource("/users/{user_id}/enable").post(console_users::submit_enable))
            .service(
                web::resource("/users/{user_id}/resend-verification")
                    .post(console_users::submit_resend_verification),
            )
            .service(web::resource("/users/{user_id}/export").get(console_users::export_user)),
    );
    cfg.service(web::resource("/static/connectauth.css").get(assets::stylesheet));
    cfg.service(web::resource("/static/passkeys.js").get(assets::passkeys_script));
    // RFC 8414 §3: metadata of issuer `/t/{slug}` lives at the well-known path with the issuer path appended.
    cfg.service(
        web::resource("/.well-known/oauth-authorization-server/t/{slug}").get(discovery::metadata),
    );
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use service_kit::testing::files_naming;

    /// Handlers parse, call a use case (`crate::manage`, `crate::identity`,
    /// `crate::oauth`, …) and render; only those reach the stores.
    #[test]
    fn no_http_file_names_a_store() {
        service_kit::testing::assert_http_names_no_store(env!("CARGO_MANIFEST_DIR"), 21);
    }

    /// Nor through the store fields of a use case (`users` of `state.identity`):
    /// whitespace is dropped first so a call chain split over lines is seen.
    #[test]
    fn no_http_file_reaches_a_store_through_a_use_case() {
        let fields = [
            ("oauth", "clients"),
            ("oauth", "users"),
            ("oauth", "codes"),
            ("oauth", "grants"),
            ("oauth", "refresh_tokens"),
            ("oauth", "consents"),
            ("oauth", "revoked"),
            ("identity", "users"),
            ("identity", "sessions"),
            ("identity", "one_time_tokens"),
            ("identity", "recovery"),
            ("identity", "failures"),
            ("identity", "mail_budget"),
            ("identity", "audit"),
            ("identity", "erasure"),
            ("identity", "grants"),
        ];
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
        let mut offenders = Vec::new();
        for (use_case, store) in fields {
            let needle = format!(".{use_case}.{store}.");
            for path in files_naming(&root, &[needle.as_str()], 21) {
                offenders.push(format!("{path}: {use_case}.{store}"));
            }
        }
        assert!(offenders.is_empty(), "a store is reached in {offenders:?}");
    }
}
