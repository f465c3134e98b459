//! PostgreSQL with several real `latchkey serve` processes: the key cache
//! makes no database round trip per request while the notification channel
//! is heard, and yet a revocation confirmed by one instance is refused by
//! every live one on its next request — with a killed instance, one cut off
//! from the database by a relay, and one whose listen connection is killed
//! (docs/operator-guide.md: Scale-out). SQLite runs skip these: every process sees every
//! commit in the WAL index at once, which `scale_out` covers.

use crate::lifecycle::setup_over_http;
use crate::metrics::sample;
use crate::support::*;
use diesel::RunQueryDsl;
use std::time::{Duration, Instant};

fn postgres() -> Option<(String, Option<tempfile::TempDir>)> {
    let (url, dir) = fresh_database();
    latchkey::db::is_postgres(&url).then_some((url, dir))
}

async fn ping_at(base: &str, token: &str) -> u16 {
    match api_client().get(format!("{base}/api/v1/ping")).bearer_auth(token).send().await {
        Ok(res) => res.status().as_u16(),
        Err(_) => 0,
    }
}

async fn scrape(base: &str) -> String {
    api_client().get(format!("{base}/metrics")).send().await.expect("metrics").text().await.expect("body")
}

fn metric(text: &str, name: &str) -> f64 {
    sample(text, name).unwrap_or(0.0)
}

/// Revokes a key through the console of the instance `owner` talks to; how long the answer took.
async fn revoke(owner: &Visitor, key_id: &str) -> Duration {
    let started = Instant::now();
    let res = owner.post_form(&format!("/orgs/acme/settings/api-keys/{key_id}/revoke"), &[]).await;
    assert!(res.status().is_redirection(), "revoked: {}", res.status());
    started.elapsed()
}

/// Transactions committed in the database so far (PostgreSQL's own statistics).
fn transactions(url: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::r2d2::ManageConnection;
    let mut conn = latchkey::db::Manager::new(url).connect().expect("connect");
    // The statistics are sent by each backend at the end of its transaction, and flushed lazily.
    let _ = diesel::sql_query("SELECT pg_stat_force_next_flush()").execute(&mut conn);
    let row: Row = diesel::sql_query(
        "SELECT (xact_commit + xact_rollback)::bigint AS n FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result(&mut conn)
    .expect("pg_stat_database");
    row.n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_revocations_confirmed_on_one_instance_are_each_refused_by_the_other_at_once() {
    let Some((url, _dir)) = postgres() else { return };
    revocations_are_refused_at_once(&url, None, (100, 5_000)).await;
}

/// The instances' environment: their pool straight to `url`, or through a
/// pooler in transaction mode with the listener straight to `url`.
pub(crate) fn instance_env(url: &str, pooler: Option<&PgBouncer>) -> (String, Vec<(&'static str, String)>) {
    let mut env = shared_keys().to_vec();
    match pooler {
        Some(bouncer) => {
            env.push(("LATCHKEY_LISTEN_DATABASE_URL", url.to_owned()));
            (bouncer.url.clone(), env)
        }
        None => (url.to_owned(), env),
    }
}

/// `revocations` revocations confirmed through A are each refused by B at
/// once, and B makes no database round trip per request during `pings`
/// pings — its key limited, so cluster-wide rate limits are on the way too.
pub(crate) async fn revocations_are_refused_at_once(
    url: &str,
    pooler: Option<&PgBouncer>,
    (revocations, pings): (usize, usize),
) {
    let (pool_url, mut env) = instance_env(url, pooler);
    // The production schedule (the tests' default of 1 s runs ten jobs a second).
    env.push(("LATCHKEY_SCHEDULER_INTERVAL_SECS", "30".into()));
    let a = ServeProcess::start(&pool_url, &env).await;
    let b = ServeProcess::start(&pool_url, &env).await;
    let owner = setup_over_http(&a.base).await;
    let mut keys = Vec::new();
    for i in 0..revocations {
        keys.push(create_key(&owner, &[("label", &format!("k{i}")), ("rate_limit_per_minute", "0")]).await);
    }
    let CreatedKey { token: steady, .. } =
        create_key(&owner, &[("label", "steady"), ("rate_limit_per_minute", "1000000")]).await;
    assert_eq!(ping_at(&b.base, &steady).await, 200);

    // Steady state: B answers from its cache, with no database round trip per request. PostgreSQL
    // publishes a backend's counts up to 10 s late, so the window starts and ends with a pause.
    let settle = Duration::from_secs(11);
    tokio::time::sleep(settle).await; // PostgreSQL's statistics lag (see above), not background work
    let before = transactions(url);
    let started = Instant::now();
    for _ in 0..pings {
        assert_eq!(ping_at(&b.base, &steady).await, 200);
    }
    tokio::time::sleep(settle).await; // the same statistics lag, at the end of the window
    let elapsed = started.elapsed().as_secs_f64();
    let spent = transactions(url) - before;
    // Everything both instances do meanwhile (heartbeats, queue polls, request-log batches, the
    // rate limit's lease, the 1-second scheduler of these tests) stays under 10 a second each; a
    // read per ping would be one a ping.
    let background = (elapsed * 2.0 * 10.0).ceil() as i64;
    assert!(spent <= background, "{spent} transactions during {pings} pings and {elapsed:.1} s (allowed {background})");

    for key in &keys {
        assert_eq!(ping_at(&b.base, &key.token).await, 200, "B caches the key");
        let took = revoke(&owner, &key.id).await;
        assert!(took < Duration::from_secs(2), "confirmed in {took:?}");
        assert_eq!(ping_at(&b.base, &key.token).await, 401, "B refuses {} on its next request", key.id);
    }
    let (metrics_a, metrics_b) = (scrape(&a.base).await, scrape(&b.base).await);
    // Nearly all from the cache: a change during the run (the scheduler touches keys) costs one miss each.
    assert!(metric(&metrics_b, "latchkey_key_cache_hits_total") >= pings as f64 * 0.98, "{metrics_b}");
    assert!(metric(&metrics_b, "latchkey_key_cache_invalidations_total") >= 1.0);
    assert!(metric(&metrics_b, "latchkey_key_cache_acknowledgements_total") >= 1.0);
    assert_eq!(metric(&metrics_b, "latchkey_key_cache_trusted"), 1.0);
    let confirmed = metric(&metrics_a, "latchkey_revocation_confirm_wait_seconds_count");
    assert!(confirmed >= revocations as f64, "{metrics_a}");
    assert_eq!(metric(&metrics_a, "latchkey_revocation_confirm_timeouts_total"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_instance_stops_counting_within_five_seconds() {
    let Some((url, _dir)) = postgres() else { return };
    let env = shared_keys().to_vec();
    let a = ServeProcess::start(&url, &env).await;
    let mut b = ServeProcess::start(&url, &env).await;
    let owner = setup_over_http(&a.base).await;
    let first = create_key(&owner, &[("label", "first")]).await;
    let second = create_key(&owner, &[("label", "second")]).await;
    assert_eq!(ping_at(&b.base, &first.token).await, 200);
    b.signal("KILL");
    b.wait_exit(Duration::from_secs(5)).await.expect("killed");

    // B's last heartbeat is under 5 s old: A waits for it at most until then.
    let took = revoke(&owner, &first.id).await;
    assert!(took <= Duration::from_millis(6_000), "confirmed within 5 s of B's last heartbeat: {took:?}");
    assert_eq!(ping_at(&a.base, &first.token).await, 401);
    // Now B no longer counts: the next revocation does not wait. Real processes: the
    // sleep lets B's last heartbeat age past the registry's 5 s liveness window.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let took = revoke(&owner, &second.id).await;
    assert!(took < Duration::from_secs(1), "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_cut_off_from_the_database_never_serves_a_revoked_key() {
    let Some((url, _dir)) = postgres() else { return };
    let env = shared_keys().to_vec();
    let parsed = url::Url::parse(&url).expect("url");
    let target = format!("{}:{}", parsed.host_str().expect("host"), parsed.port().unwrap_or(5432));
    let plug = Plug::start(target.parse().expect("address")).await;
    let mut relayed = parsed.clone();
    relayed.set_port(Some(plug.port)).expect("port");
    let a = ServeProcess::start(&url, &env).await;
    let b = ServeProcess::start(relayed.as_str(), &env).await;
    let owner = setup_over_http(&a.base).await;
    let doomed = create_key(&owner, &[("label", "doomed")]).await;
    let kept = create_key(&owner, &[("label", "kept")]).await;
    assert_eq!(ping_at(&b.base, &doomed.token).await, 200, "B has the key cached");

    plug.pull();
    let took = revoke(&owner, &doomed.id).await;
    assert!(took <= Duration::from_millis(6_000), "{took:?}");
    // Cut off, B can neither hear the revocation nor read: it refuses rather than trust its cache
    // (each refusal waits out the pool's 5 s connection timeout, so a few suffice).
    for _ in 0..3 {
        let status = ping_at(&b.base, &doomed.token).await;
        assert_ne!(status, 200, "a partitioned instance served a revoked key");
    }
    assert_eq!(metric(&scrape(&b.base).await, "latchkey_key_cache_trusted"), 0.0);

    plug.restore();
    assert!(
        eventually_async(Duration::from_secs(10), || async {
            ping_at(&b.base, &kept.token).await == 200 && ping_at(&b.base, &doomed.token).await == 401
        })
        .await,
        "B recovers: it serves live keys and refuses the revoked one"
    );
    assert!(
        eventually_async(Duration::from_secs(5), || async {
            metric(&scrape(&b.base).await, "latchkey_key_cache_trusted") == 1.0
        })
        .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_listen_connection_falls_back_to_reads_and_then_recovers() {
    let Some((url, _dir)) = postgres() else { return };
    let env = shared_keys().to_vec();
    let a = ServeProcess::start(&url, &env).await;
    let b = ServeProcess::start(&url, &env).await;
    let owner = setup_over_http(&a.base).await;
    let doomed = create_key(&owner, &[("label", "doomed")]).await;
    assert_eq!(ping_at(&b.base, &doomed.token).await, 200);
    let lost_before = metric(&scrape(&b.base).await, "latchkey_key_cache_channel_lost_total");

    use diesel::r2d2::ManageConnection;
    let mut conn = latchkey::db::Manager::new(&url).connect().expect("connect");
    diesel::sql_query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'latchkey-listen' AND datname = current_database()",
    )
    .execute(&mut conn)
    .expect("terminate the listen connections");
    assert!(
        eventually_async(Duration::from_secs(3), || async {
            metric(&scrape(&b.base).await, "latchkey_key_cache_channel_lost_total") > lost_before
        })
        .await,
        "B noticed"
    );
    revoke(&owner, &doomed.id).await;
    assert_eq!(ping_at(&b.base, &doomed.token).await, 401, "refused, whether B re-read or re-listened");
    assert!(
        eventually_async(Duration::from_secs(5), || async {
            metric(&scrape(&b.base).await, "latchkey_key_cache_trusted") == 1.0
        })
        .await,
        "B listens again"
    );
}
