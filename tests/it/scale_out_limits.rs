//! Rate limits and credits across instances (docs/operator-guide.md:
//! Scale-out → Rate limits across instances): three real `latchkey serve`
//! processes on one PostgreSQL behind nginx, round-robin. SQLite runs skip
//! these (one instance per database file there).

use crate::lifecycle::setup_over_http;
use crate::metrics::sample;
use crate::support::*;
use futures_util::future::join_all;
use serde_json::json;
use std::time::{Duration, Instant};

fn postgres() -> Option<(String, Option<tempfile::TempDir>)> {
    let (url, dir) = fresh_database();
    latchkey::db::is_postgres(&url).then_some((url, dir))
}

/// Three instances, each counting all three live, behind a round-robin nginx.
async fn cluster(url: &str, pooler: Option<&PgBouncer>) -> ([ServeProcess; 3], Proxy) {
    let (pool_url, env) = crate::scale_out_listen::instance_env(url, pooler);
    let instances = [
        ServeProcess::start(&pool_url, &env).await,
        ServeProcess::start(&pool_url, &env).await,
        ServeProcess::start(&pool_url, &env).await,
    ];
    for instance in &instances {
        let mut counted = 0.0;
        for _ in 0..100 {
            let text = api_client().get(format!("{}/metrics", instance.base)).send().await.expect("metrics");
            counted = sample(&text.text().await.expect("body"), "latchkey_instances_live").unwrap_or(0.0);
            if counted >= 3.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await; // the listeners' heartbeats, once a second
        }
        assert_eq!(counted, 3.0, "{} counts the others", instance.base);
    }
    let backends: Vec<String> = instances.iter().map(|i| i.base.trim_start_matches("http://").to_owned()).collect();
    let lb = Proxy::nginx_balancing(&backends.iter().map(String::as_str).collect::<Vec<_>>()).await;
    (instances, lb)
}

/// Pings through `base` from `workers` clients at once until `window` is over: (served, refused).
async fn hammer(base: &str, token: &str, workers: usize, window: Duration) -> (usize, usize) {
    let deadline = Instant::now() + window;
    let runs = (0..workers).map(|_| async move {
        let (mut served, mut refused) = (0, 0);
        while Instant::now() < deadline {
            let res = api_client().get(format!("{base}/api/v1/ping")).bearer_auth(token).send().await.expect("ping");
            match res.status().as_u16() {
                200 => served += 1,
                429 => {
                    let body: serde_json::Value = res.json().await.expect("json");
                    assert_eq!(code(&body), "rate_limited");
                    refused += 1;
                }
                other => panic!("{other}"),
            }
        }
        (served, refused)
    });
    join_all(runs).await.into_iter().fold((0, 0), |(s, r), (s2, r2)| (s + s2, r + r2))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_together_allow_a_key_what_one_instance_would() {
    let Some((url, _dir)) = postgres() else { return };
    let (instances, lb) = cluster(&url, None).await;
    let owner = setup_over_http(&instances[0].base).await;
    let key = create_key(&owner, &[("label", "hammered"), ("rate_limit_per_minute", "300")]).await;
    let window = Duration::from_secs(3);
    let started = Instant::now();
    let (served, refused) = hammer(&lb.base, &key.token, 6, window).await;
    // One instance alone: the burst of 300, then 5 a second.
    let alone = 300.0 + 300.0 * started.elapsed().as_secs_f64() / 60.0;
    assert!(refused > served, "hammered well past the limit: {served} served, {refused} refused");
    let ratio = served as f64 / alone;
    println!("{served} served through three instances; one instance alone: {alone:.0} ({ratio:.2} ×)");
    assert!((0.9..=1.1).contains(&ratio), "{served} served, one instance would serve {alone:.0} ({ratio:.2} ×)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owners_limit_and_a_keys_credits_hold_across_instances() {
    let Some((url, _dir)) = postgres() else { return };
    owner_limits_and_credits_hold(&url, None).await;
}

/// A 50-way race on 10 credits through three instances spends exactly 10;
/// an owner's limit is shared by its keys across the instances.
pub(crate) async fn owner_limits_and_credits_hold(url: &str, pooler: Option<&PgBouncer>) {
    let (instances, lb) = cluster(url, pooler).await;
    let owner = setup_over_http(&instances[0].base).await;
    let admin = create_key(
        &owner,
        &[("label", "admin"), ("scopes", "keys:write"), ("scopes", "orders:read"), ("rate_limit_per_minute", "0")],
    )
    .await;
    let create = |body: serde_json::Value| {
        let (base, admin) = (lb.base.clone(), admin.token.clone());
        async move {
            let res = api_client().post(format!("{base}/api/v1/keys")).bearer_auth(admin).json(&body).send().await;
            let created: serde_json::Value = res.expect("create").json().await.expect("json");
            created["token"].as_str().unwrap_or_else(|| panic!("{created}")).to_owned()
        }
    };
    // Ten credits, fifty requests at once spread over three instances: exactly ten served.
    let metered = create(json!({"label": "metered", "scopes": ["orders:read"], "credits_remaining": 10})).await;
    let answers = join_all((0..50).map(|_| {
        let (base, token) = (lb.base.clone(), metered.clone());
        async move { api_client().get(format!("{base}/api/v1/ping")).bearer_auth(token).send().await.expect("ping") }
    }))
    .await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 10, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429), "{statuses:?}");
    // An owner's limit of 30 a minute, shared by two keys, through three instances.
    let put = api_client()
        .put(format!("{}/api/v1/owners/cus_1/limits", lb.base))
        .bearer_auth(&admin.token)
        .json(&json!({"rate_limit_per_minute": 30}))
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), 200);
    let body = json!({"label": "k", "scopes": ["orders:read"], "owner_id": "cus_1", "rate_limit_per_minute": 1000});
    let (one, two) = (create(body.clone()).await, create(body).await);
    let (first, _) = hammer(&lb.base, &one, 4, Duration::from_secs(1)).await;
    let (second, refused) = hammer(&lb.base, &two, 4, Duration::from_secs(1)).await;
    assert!(refused > 0);
    let served = first + second;
    assert!((28..=33).contains(&served), "{first} + {second} served under a shared 30 a minute");
}
