//! A tenant's team in a real browser: the owner invites an admin from the
//! team page; the invited person signs up on the platform in another
//! browser context, opens the mailed link, signs in and joins; as admin
//! they run the console but billing answers 403 and the dashboard offers
//! no billing or team link. The owner then makes them a viewer: their
//! pages show no form to change anything. No CSP violation on either side.
use headless_chrome::Tab;

use crate::support::{
    artifacts_dir, assert_png, body_text, click, fill, fresh_tab, launch_browser, mail_link, open,
    open_at, screenshot, spawn_app_on_port, verification_link, wait_for_document, wait_for_text,
    PASSWORD,
};

const FOUNDER: &str = "founder@team.example";
const ADMIN: &str = "ada@team.example";

/// Signs `email` up on the platform in `tab` and confirms the address.
fn platform_signup(tab: &Tab, app: &crate::helpers::TestApp, email: &str) {
    let url = |path: &str| format!("{}{path}", app.address);
    open(tab, &url("/t/platform/signup"), "Create your account");
    fill(tab, "#email", email);
    fill(tab, "#password", PASSWORD);
    click(tab, "button[type=submit]");
    wait_for_text(tab, "Check your email");
    open(tab, &verification_link(app, email), "Confirm my address");
    click(tab, "button[type=submit]");
    wait_for_text(tab, "is confirmed");
}

fn count(tab: &Tab, selector: &str) -> u64 {
    let js = format!(
        "document.querySelectorAll({}).length",
        serde_json::to_string(selector).expect("selector as JSON")
    );
    tab.evaluate(&js, false)
        .ok()
        .and_then(|v| v.value)
        .and_then(|v| v.as_u64())
        .unwrap_or(u64::MAX)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_invites_an_admin_who_cannot_see_billing_then_makes_them_a_viewer() {
    let browser = launch_browser();
    let app = spawn_app_on_port(&[]).await;
    let url = |path: &str| format!("{}{path}", app.address);
    let dir = artifacts_dir();

    tokio::task::block_in_place(|| {
        // The founder creates the tenant.
        let (owner, owner_csp) = fresh_tab(&browser);
        platform_signup(&owner, &app, FOUNDER);
        open_at(
            &owner,
            &url("/dashboard/new"),
            &url("/t/platform/login?return_to=%2Fdashboard%2Fnew"),
            "Log in",
        );
        fill(&owner, "#email", FOUNDER);
        fill(&owner, "#password", PASSWORD);
        click(&owner, "button[type=submit]");
        wait_for_document(&owner, &url("/dashboard/new"));
        fill(&owner, "#display_name", "Team Co");
        fill(&owner, "#slug", "team-co");
        click(&owner, "input[name=app][value=m2m]");
        click(&owner, "form[action='/dashboard/new'] button[type=submit]");
        wait_for_text(&owner, "Your tenant is ready");

        // The team page: invite Ada as admin.
        open(&owner, &url("/dashboard"), "Your tenants");
        click(&owner, "a[href='/dashboard/t/team-co/team']");
        wait_for_text(&owner, "Team of Team Co");
        fill(&owner, "#invite-email", ADMIN);
        owner
            .evaluate(
                "document.querySelector('#invite-role').value = 'admin'",
                false,
            )
            .expect("choose the role");
        click(&owner, "form#invite button[type=submit]");
        wait_for_text(&owner, "Invitation sent");
        wait_for_text(&owner, ADMIN);
        screenshot(&owner, &dir.join("console-team.png"));

        // Ada, in her own browser context: signs up, opens the link, joins.
        let (ada, ada_csp) = fresh_tab(&browser);
        let invite = mail_link(&app, ADMIN, "/dashboard/invite");
        platform_signup(&ada, &app, ADMIN);
        ada.navigate_to(&invite).expect("open the invitation");
        wait_for_text(&ada, "Log in");
        fill(&ada, "#email", ADMIN);
        fill(&ada, "#password", PASSWORD);
        click(&ada, "button[type=submit]");
        wait_for_text(&ada, "join the team of Team Co as Admin");
        click(&ada, "form#accept button[type=submit]");
        wait_for_document(&ada, &url("/dashboard?joined=team-co"));
        wait_for_text(&ada, "Team Co");
        assert_eq!(count(&ada, "a[href='/dashboard/t/team-co/apps']"), 1);
        assert_eq!(count(&ada, "a[href='/dashboard/t/team-co/billing']"), 0);
        assert_eq!(count(&ada, "a[href='/dashboard/t/team-co/team']"), 0);
        open(
            &ada,
            &url("/dashboard/t/team-co/billing"),
            "Your role in this team does not allow this",
        );
        open(
            &ada,
            &url("/dashboard/t/team-co/settings"),
            "Settings of Team Co",
        );
        assert_eq!(
            count(&ada, "form[action='/dashboard/t/team-co/settings'] button"),
            1,
            "an admin may save"
        );

        // The owner makes Ada a viewer: her pages offer nothing to change.
        open(&owner, &url("/dashboard/t/team-co/team"), "Team of Team Co");
        owner
            .evaluate(
                &format!(
                    "(() => {{ const row = [...document.querySelectorAll('#members tbody tr')]\
                     .find(r => r.textContent.includes({admin})); \
                     row.querySelector('select').value = 'viewer'; \
                     row.querySelector('form').submit(); }})()",
                    admin = serde_json::to_string(ADMIN).expect("json")
                ),
                false,
            )
            .expect("change Ada's role");
        wait_for_text(&owner, "Role changed");
        open(
            &ada,
            &url("/dashboard/t/team-co/settings"),
            "Settings of Team Co",
        );
        assert_eq!(count(&ada, "fieldset[disabled]"), 1);
        assert_eq!(
            count(&ada, "form[action='/dashboard/t/team-co/settings']"),
            1
        );
        assert_eq!(
            count(&ada, "form[action='/dashboard/t/team-co/settings'] button"),
            0,
            "no save button"
        );
        open(&ada, &url("/dashboard/t/team-co/apps"), "Apps of Team Co");
        assert_eq!(count(&ada, "#new-app-link"), 0);
        open(
            &ada,
            &url("/dashboard/t/team-co/keys"),
            "Signing keys of Team Co",
        );
        assert_eq!(
            count(&ada, "form[method=post]"),
            0,
            "{}",
            body_text(&ada).unwrap_or_default()
        );

        owner_csp.assert_none(&owner);
        ada_csp.assert_none(&ada);
    });
    assert_png(&dir.join("console-team.png"));
}

/// The owner creates an API credential (its secret shown once) and imports
/// users pasted as CSV, in a real browser, with no CSP violation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_creates_an_api_credential_and_imports_users() {
    let browser = launch_browser();
    let app = spawn_app_on_port(&[]).await;
    let url = |path: &str| format!("{}{path}", app.address);

    tokio::task::block_in_place(|| {
        let (owner, csp) = fresh_tab(&browser);
        platform_signup(&owner, &app, FOUNDER);
        open_at(
            &owner,
            &url("/dashboard/new"),
            &url("/t/platform/login?return_to=%2Fdashboard%2Fnew"),
            "Log in",
        );
        fill(&owner, "#email", FOUNDER);
        fill(&owner, "#password", PASSWORD);
        click(&owner, "button[type=submit]");
        wait_for_document(&owner, &url("/dashboard/new"));
        fill(&owner, "#display_name", "Team Co");
        fill(&owner, "#slug", "team-co");
        click(&owner, "input[name=app][value=m2m]");
        click(&owner, "form[action='/dashboard/new'] button[type=submit]");
        wait_for_text(&owner, "Your tenant is ready");

        open(&owner, &url("/dashboard"), "Your tenants");
        click(&owner, "a[href='/dashboard/t/team-co/api-credentials']");
        wait_for_text(&owner, "API credentials of Team Co");
        fill(&owner, "#name", "CI deploys");
        click(&owner, "input[name='manage:read']");
        click(&owner, "form#new-credential button[type=submit]");
        wait_for_text(&owner, "resource=connectauth-manage");
        assert_eq!(count(&owner, "#client-secret"), 1);
        open(
            &owner,
            &url("/dashboard/t/team-co/api-credentials"),
            "CI deploys",
        );

        open(
            &owner,
            &url("/dashboard/t/team-co/users"),
            "Users of Team Co",
        );
        click(&owner, "#import-link");
        wait_for_text(&owner, "Import users into Team Co");
        owner
            .evaluate(
                "document.querySelector('#data').value = \
                 'email,name,email_verified\\nimported@team.example,Imp,true'",
                false,
            )
            .expect("paste the CSV");
        click(&owner, "form#import button[type=submit]");
        wait_for_text(&owner, "Imported: 1 created, 0 already had an account");
        wait_for_text(&owner, "imported@team.example");
        csp.assert_none(&owner);
    });
}
