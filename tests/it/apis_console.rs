//! Settings → APIs and the key form's access section, as a person uses them
//! (docs/user-guide.md: APIs).

use crate::apis::billing;
use crate::support::*;
use scraper::Html;
use serde_json::Value;

const APIS: &str = "/orgs/acme/settings/apis";

#[tokio::test]
async fn an_owner_defines_an_api_edits_its_definition_imports_openapi_and_deletes_it() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (status, list) = owner.get_html(APIS).await;
    assert_eq!(status, 200);
    assert_eq!(select_all_text(&list, "tr[data-testid=api-row] code.mono"), ["sample"], "the built-in sample, first");
    for email in ["member@acme.test", "readonly@acme.test"] {
        assert_eq!(app.logged_in(email).await.get(APIS).await.status(), 403, "{email}");
    }

    // A bad slug is explained next to it, with what was typed kept.
    let res = owner.post_form(APIS, &[("name", "Billing"), ("slug", "Billing API"), ("unmatched", "deny")]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert!(select_all_text(&html, "#slug-error").concat().contains("lowercase letters"));
    assert_eq!(select_attr(&html, "#name", "value").as_deref(), Some("Billing"));
    let fields = [("name", "Billing"), ("slug", "billing"), ("hosts", "billing.example.com"), ("unmatched", "deny")];
    let res = owner.post_form(APIS, &fields).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], format!("{APIS}/billing").as_str());

    // The definition: not JSON, then undeclared, then saved whole.
    let page = format!("{APIS}/billing");
    let res = owner.post_form(&page, &[("definition", "{not json")]).await;
    assert_eq!(res.status(), 422);
    let mut wrong = billing();
    wrong["roles"][0]["permissions"] = serde_json::json!(["refunds.read"]);
    let res = owner.post_form(&page, &[("definition", &wrong.to_string())]).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    let said = select_all_text(&html, "#definition-error").concat();
    assert!(said.contains("roles[0].permissions: refunds.read is not a permission of this API"), "{said}");
    assert!(select_all_text(&html, "#definition").concat().contains("refunds.read"), "what was typed is kept");
    assert_eq!(owner.post_form(&page, &[("definition", &billing().to_string())]).await.status(), 303);
    let (_, html) = owner.get_html(&page).await;
    assert_eq!(select_all_text(&html, "[data-testid=api-routes] tbody tr").len(), 2);
    let download = owner.get(&format!("{page}/definition.json")).await;
    assert!(download.headers()["content-disposition"].to_str().unwrap().contains("billing.json"));
    let saved: Value = download.json().await.expect("json");
    assert_eq!(saved["roles"], billing()["roles"]);

    // OpenAPI: a preview saves nothing; Import does.
    let document = include_str!("../fixtures/openapi/petstore.json");
    let import = format!("{page}/import");
    let res = owner.post_form(&import, &[("openapi", document), ("action", "preview")]).await;
    assert_eq!(res.status(), 200);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert!(select_all_text(&html, "[data-testid=import-preview]").concat().contains("20 routes and 7 permissions"));
    let (_, html) = owner.get_html(&page).await;
    assert_eq!(select_all_text(&html, "[data-testid=api-routes] tbody tr").len(), 2, "nothing saved yet");
    assert_eq!(owner.post_form(&import, &[("openapi", document), ("action", "import")]).await.status(), 303);
    let (_, html) = owner.get_html(&page).await;
    assert_eq!(select_all_text(&html, "[data-testid=api-routes] tbody tr").len(), 22);

    // A key of billing keeps it from being deleted.
    create_key(&owner, &[("label", "Customer"), ("api", "billing"), ("roles", "viewer")]).await;
    let res = owner.post_form(&format!("{page}/delete"), &[]).await;
    assert_eq!(res.status(), 409);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert!(select_all_text(&html, "[data-testid=api-in-use]").concat().starts_with("1 key that is not revoked"));
    let actions: Vec<String> = events(&app, org_id(&app, "acme")).into_iter().map(|e| e.action).collect();
    for action in ["api.created", "api.updated", "api.imported"] {
        assert!(actions.contains(&action.to_owned()), "{action} in {actions:?}");
    }
    // The sample cannot be changed from its page.
    let (_, sample) = owner.get_html(&format!("{APIS}/sample")).await;
    assert_eq!(count(&sample, "#definition"), 0, "no edit box for the built-in sample");
    assert_eq!(owner.post_form(&format!("{APIS}/sample"), &[("definition", "{}")]).await.status(), 422);
}

#[tokio::test]
async fn the_key_form_picks_the_api_its_permissions_roles_owner_and_metadata() {
    let app = spawn_app().await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let (_, form) = owner.get_html("/orgs/acme/settings/api-keys/new").await;
    assert_eq!(count(&form, "select#api"), 0, "one API: nothing to pick");
    let definer = crate::apis::key_of(&app, "sample", &[], &[latchkey::domain::scopes::Management::ApisWrite]);
    let put = api(&app, reqwest::Method::PUT, "/api/v1/apis/billing", &definer, Some(billing())).await;
    assert_eq!(put.0, 201);
    let (_, form) = owner.get_html("/orgs/acme/settings/api-keys/new").await;
    let options: Vec<String> = form
        .select(&scraper::Selector::parse("select#api option").unwrap())
        .filter_map(|o| o.attr("value").map(str::to_owned))
        .collect();
    assert_eq!(options, ["sample", "billing"]);
    assert_eq!(count(&form, "[data-reach-for=billing] input[name=permissions][value='invoices.read']"), 1);
    assert_eq!(count(&form, "[data-reach-for=billing] input[name=roles][value=viewer]"), 1);

    // Bad metadata and an undeclared permission come back next to their fields.
    let (_, form) = owner.get_html("/orgs/acme/settings/api-keys/new").await;
    let form_id = select_attr(&form, "input[name=form_id]", "value").expect("form id");
    let fields = [
        ("form_id", form_id.as_str()),
        ("label", "Acme Corp"),
        ("api", "billing"),
        ("access", "custom"),
        ("roles", "viewer"),
        ("owner_id", "cus_123"),
        ("metadata", "[1, 2]"),
    ];
    let res = owner.post_form(KEYS, &fields).await;
    assert_eq!(res.status(), 422);
    let html = Html::parse_document(&res.text().await.expect("body"));
    assert!(!select_all_text(&html, "#metadata-error").is_empty());
    assert_eq!(select_attr(&html, "#owner_id", "value").as_deref(), Some("cus_123"), "values kept");
    assert_eq!(count(&html, "[data-reach-for=billing] input[name=roles][value=viewer][checked]"), 1);

    let key = create_key(
        &owner,
        &[
            ("label", "Acme Corp"),
            ("api", "billing"),
            ("permissions", "invoices.read"),
            ("roles", "viewer"),
            ("owner_id", "cus_123"),
            ("metadata", r#"{"plan": "pro"}"#),
        ],
    )
    .await;
    let (_, page) = owner.get_html(&format!("{KEYS}/{}", key.id)).await;
    assert_eq!(select_all_text(&page, "[data-testid=key-api]"), ["billing"]);
    assert_eq!(select_all_text(&page, "[data-testid=key-permissions] code"), ["invoices.read"]);
    assert_eq!(select_all_text(&page, "[data-testid=key-roles] code"), ["viewer"]);
    assert_eq!(select_all_text(&page, "[data-testid=key-owner]"), ["cus_123"]);
    assert!(select_all_text(&page, "[data-testid=key-metadata]").concat().contains("\"plan\": \"pro\""));
    create_key(&owner, &[("label", "Someone else")]).await;
    let (_, list) = owner.get_html(&format!("{KEYS}?owner=cus_123")).await;
    assert_eq!(select_all_text(&list, "tr[data-testid=key-row] .key-label"), ["Acme Corp"]);

    // Its edit form keeps the API and what it holds; a narrower edit needs no password.
    let (_, edit) = owner.get_html(&format!("{KEYS}/{}/edit", key.id)).await;
    assert_eq!(select_all_text(&edit, "[data-testid=form-api]"), ["billing"]);
    assert_eq!(count(&edit, "input[name=roles][value=viewer][checked]"), 1);
    assert_eq!(count(&edit, "#access-custom[checked]"), 1);
    let fields =
        [("label", "Acme Corp"), ("api", "billing"), ("access", "custom"), ("roles", "viewer"), ("enabled", "on")];
    assert_eq!(owner.post_form(&format!("{KEYS}/{}/edit", key.id), &fields).await.status(), 303);
    let stored = app.key_by_id(&key.id);
    assert_eq!(stored.scopes().to_stored().permissions, "", "invoices.read unticked");
    assert_eq!(stored.owner_id, None, "the owner box was left empty");
    let log = events(&app, org_id(&app, "acme"));
    let updated = log.iter().find(|e| e.action == "api_key.updated").expect("audited");
    let details: Value = serde_json::from_str(&updated.details).expect("json");
    assert_eq!(details["before"]["permissions"], serde_json::json!(["invoices.read"]), "{details}");
    assert_eq!(details["after"]["owner_id"], Value::Null);
}
