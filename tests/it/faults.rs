//! Faults answer clearly and heal by themselves: the database going away.

use crate::support::*;
use std::time::Duration;

// Multi-threaded: the test's own blocking database calls go through the relay, which must keep running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_database_gives_503s_everywhere_and_the_service_recovers_on_its_own() {
    let (url, _dir) = fresh_database();
    if !latchkey::db::is_postgres(&url) {
        // A SQLite file cannot become unreachable mid-flight; the PostgreSQL run covers this.
        return;
    }
    // Put a pluggable relay between the server and PostgreSQL.
    let parsed = url::Url::parse(&url).expect("url");
    let target = format!("{}:{}", parsed.host_str().expect("host"), parsed.port().unwrap_or(5432));
    let plug = Plug::start(target.parse().expect("socket address")).await;
    let mut relayed = parsed.clone();
    relayed.set_port(Some(plug.port)).expect("port");
    let app = spawn_app_on(relayed.to_string(), None, |_| {}).await;
    app.seed_acme();
    let token = app.make_key("acme", &[], "", Some(0));
    let owner = app.logged_in("owner@acme.test").await;
    assert_eq!(ping(&app, &token).await.0, 200);
    assert_eq!(owner.get("/readyz").await.status(), 200);

    plug.pull();
    // The key cache may answer for a moment more, until the listener notices the lost connection (milliseconds).
    let mut refused = false;
    for _ in 0..40 {
        if ping(&app, &token).await.0 == 503 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "API requests read the database again, and get 503 while it is away");
    let (ready, (status, body, headers), page) =
        tokio::join!(owner.get("/readyz"), ping(&app, &token), owner.get_html("/orgs/acme/settings/api-keys"));
    assert_eq!(ready.status(), 503);
    assert_eq!(status, 503, "{body}");
    assert_eq!(code(&body), "unavailable");
    assert_eq!(body["error"]["request_id"], headers["x-request-id"].to_str().expect("id"), "{body}");
    assert_eq!(page.0, 503);
    assert_eq!(select_attr(&page.1, "[data-testid=error-page]", "data-status").as_deref(), Some("503"));
    let text = select_all_text(&page.1, "[data-testid=error-page] h1").join("");
    assert_eq!(text, "Temporarily unavailable");

    plug.restore();
    let healed = eventually_async(Duration::from_secs(10), || async {
        owner.get("/readyz").await.status() == 200 && ping(&app, &token).await.0 == 200
    })
    .await;
    assert!(healed, "the service recovers once the database is back");
    assert_eq!(owner.get("/orgs/acme/settings/api-keys").await.status(), 200, "the session survived");
}
