//! The owner token sent to billing: a platform token for that one tenant
//! and `billing:manage` only, which the tenant's own issuer refuses.
use connectauth_verify::{Verifier, VerifierConfig};

use super::{acme_and_owner, spawn};
use crate::billing_fake::FakeBilling;
use crate::oidc::{claims, header};

#[tokio::test]
async fn the_owner_token_is_a_platform_token_for_one_tenant_and_billing_manage_only() {
    let fake = FakeBilling::start().await;
    let app = spawn(Some(&fake.url)).await;
    let (acme, web, user_id) = acme_and_owner(&app).await;
    assert_eq!(web.get("/dashboard/t/acme/billing").await.status, 200);
    let requests = fake.owner_requests();
    let request = requests
        .iter()
        .find(|r| r.path == format!("/v1/tenants/{}/subscription", acme.id))
        .expect("subscription asked");
    let bearer = request.bearer.clone().expect("a bearer token");
    assert!(
        requests
            .iter()
            .filter(|r| r.path.starts_with("/v1/tenants/"))
            .all(|r| r.bearer.as_deref() == Some(bearer.as_str())),
        "one owner token per page"
    );

    let issuer = format!("{}/t/platform", app.address);
    let verifier = Verifier::new(VerifierConfig {
        issuer: issuer.clone(),
        audience: "connectauth-billing".into(),
        required_scopes: vec!["billing:manage".into()],
        ..VerifierConfig::default()
    })
    .await
    .expect("discovery of the platform tenant");
    let checked = verifier
        .verify(&bearer)
        .await
        .expect("the owner token verifies");
    assert_eq!(checked.sub.as_deref(), Some(user_id.as_str()));
    assert_eq!(checked.client_id.as_deref(), Some("connectauth-dashboard"));

    let (h, c) = (header(&bearer), claims(&bearer));
    assert_eq!(
        (h["typ"].as_str(), h["alg"].as_str()),
        (Some("at+jwt"), Some("ES256"))
    );
    assert_eq!(
        c["scope"], "billing:manage",
        "billing:manage and nothing else"
    );
    assert_eq!(c["billing_tenant"], acme.id.to_string());
    assert_eq!(c["aud"], "connectauth-billing");
    assert_eq!(c["iss"], issuer);
    let platform = auth_server::store::tenants::TenantStore::new(app.database.pool.clone())
        .get_by_slug("platform")
        .await
        .expect("platform");
    assert_eq!(c["tid"], platform.id.to_string());
    assert_eq!(
        c["exp"].as_i64().zip(c["iat"].as_i64()).map(|(e, i)| e - i),
        Some(300)
    );
    assert_eq!(c["nbf"], c["iat"]);
    assert!(c["jti"].is_string());

    // acme's own issuer refuses it.
    let acme_verifier = Verifier::new(VerifierConfig {
        issuer: format!("{}/t/acme", app.address),
        audience: "connectauth-billing".into(),
        ..VerifierConfig::default()
    })
    .await
    .expect("discovery of acme");
    assert!(acme_verifier.verify(&bearer).await.is_err());
    // The catalogue is public: no token goes with it.
    let plans = requests
        .iter()
        .find(|r| r.path == "/v1/plans")
        .expect("plans");
    assert!(plans.bearer.is_none());
}
