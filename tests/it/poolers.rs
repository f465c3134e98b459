//! PgBouncer in transaction mode between the instances' pools and
//! PostgreSQL, the listener straight to PostgreSQL
//! (`LATCHKEY_LISTEN_DATABASE_URL`; docs/operator-guide.md: Scale-out →
//! Connection poolers): the scale-out tests hold through it. With the
//! listener through the pooler too, its channel is found silent: a WARN,
//! `key_cache_channel_silent`, and reads per batch that still refuse a
//! revoked key at once. SQLite runs skip these.

use crate::lifecycle::setup_over_http;
use crate::metrics::sample;
use crate::support::*;
use std::time::{Duration, Instant};

fn postgres() -> Option<(String, Option<tempfile::TempDir>)> {
    let (url, dir) = migrated_database();
    latchkey::db::is_postgres(&url).then_some((url, dir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_pgbouncer_every_instance_refuses_a_revoked_key_at_once() {
    let Some((url, _dir)) = postgres() else { return };
    let bouncer = PgBouncer::start(&url).await;
    // Fewer revocations and pings than direct (100, 5,000): the pooler changes the path, not the count.
    crate::scale_out_listen::revocations_are_refused_at_once(&url, Some(&bouncer), (20, 2_000)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_pgbouncer_owner_limits_and_credits_hold_across_instances() {
    let Some((url, _dir)) = postgres() else { return };
    let bouncer = PgBouncer::start(&url).await;
    crate::scale_out_limits::owner_limits_and_credits_hold(&url, Some(&bouncer)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listener_through_the_pooler_is_found_silent_and_requests_read_per_batch() {
    let Some((url, _dir)) = postgres() else { return };
    let bouncer = PgBouncer::start(&url).await;
    let mut env = shared_keys().to_vec();
    env.push(("LATCHKEY_LISTEN_DATABASE_URL", bouncer.url.clone()));
    let a = ServeProcess::start(&bouncer.url, &env).await;
    let metrics = || async {
        api_client().get(format!("{}/metrics", a.base)).send().await.expect("metrics").text().await.expect("body")
    };
    let started = Instant::now();
    let mut silent = 0.0;
    while started.elapsed() < Duration::from_secs(10) {
        silent = sample(&metrics().await, "latchkey_key_cache_channel_silent").unwrap_or(0.0);
        if silent == 1.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await; // the probe's 2 s, a real wait
    }
    assert_eq!(silent, 1.0, "{}", a.logs());
    assert_eq!(sample(&metrics().await, "latchkey_key_cache_trusted"), Some(0.0));
    assert!(a.logs().contains("notification channel is silent"), "{}", a.logs());
    // Reading per batch, a revocation holds on the very next request.
    let owner = setup_over_http(&a.base).await;
    let key = create_key(&owner, &[("label", "pooled")]).await;
    let ping = || api_client().get(format!("{}/api/v1/ping", a.base)).bearer_auth(&key.token).send();
    assert_eq!(ping().await.expect("ping").status(), 200);
    let res = owner.post_form(&format!("/orgs/acme/settings/api-keys/{}/revoke", key.id), &[]).await;
    assert!(res.status().is_redirection(), "revoked: {}", res.status());
    assert_eq!(ping().await.expect("ping").status(), 401);
}
