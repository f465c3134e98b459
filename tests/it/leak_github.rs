//! GitHub secret scanning's partner endpoint (docs/user-guide.md: GitHub secret scanning):
//! `POST /api/v1/secret-scanning/github` is 404 unless GitHub's keys are
//! configured; a report signed with one of them (ECDSA P-256 over the raw
//! body) is answered with a `true_positive`/`false_positive` label per token
//! (by its SHA-256) and each live key is handled like a public report
//! (source `github`, with the URL); a missing or bad signature is 401
//! `invalid_signature` and nothing happens.

use super::leak_reports::{audited, details, exposure_mails, sent};
use crate::support::*;
use serde_json::{Value, json};

const URL: &str = "https://github.com/o/r/blob/main/x";

fn sha256_hex(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// GitHub's exact report body for these tokens (each found at `URL`).
fn github_body(tokens: &[&str]) -> String {
    let items: Vec<Value> = tokens
        .iter()
        .map(|t| json!({"token": t, "type": "latchkey_api_key", "url": URL, "source": "content"}))
        .collect();
    Value::Array(items).to_string()
}

/// POSTs `body` with these GitHub headers: (status, body).
async fn deliver(app: &TestApp, body: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = api_client()
        .post(format!("{}/api/v1/secret-scanning/github", app.base))
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Hookshot/secret-scanning")
        .body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let res = req.send().await.expect("report");
    let status = res.status().as_u16();
    (status, serde_json::from_str(&res.text().await.expect("body")).unwrap_or(Value::Null))
}

/// POSTs `body` signed by `signer`, as GitHub does.
async fn signed(app: &TestApp, signer: &GithubSigner, body: &str) -> (u16, Value) {
    let signature = signer.sign(body.as_bytes());
    let headers =
        [("Github-Public-Key-Identifier", signer.key_identifier.as_str()), ("Github-Public-Key-Signature", &signature)];
    deliver(app, body, &headers).await
}

async fn app_trusting(signer: &GithubSigner) -> TestApp {
    let keys = signer.server_keys();
    let app = spawn_app_with(|c| c.leak.github_keys = Some(keys)).await;
    app.seed_acme();
    app
}

#[tokio::test]
async fn the_endpoint_is_off_unless_githubs_keys_are_configured() {
    let app = spawn_app().await;
    app.seed_acme();
    let signer = GithubSigner::generate("gh-1");
    let (_, token) = app.make_scoped_key("acme", "Leaky", &[]);
    let (status, answer) = signed(&app, &signer, &github_body(&[&token])).await;
    assert_eq!((status, code(&answer)), (404, "not_found"));
    assert_eq!(ping(&app, &token).await.0, 200);
    assert!(audited(&app, "acme", "api_key.exposed").is_empty());
}

#[tokio::test]
async fn a_signed_report_labels_each_token_and_revokes_live_keys() {
    let signer = GithubSigner::generate("gh-1");
    let app = app_trusting(&signer).await;
    let (key_id, token) = app.make_scoped_key("acme", "Committed", &[]);
    let (dead_id, dead) = app.make_scoped_key("acme", "Already revoked", &[]);
    let owner = app.logged_in("owner@acme.test").await;
    assert_eq!(owner.post_form(&format!("{KEYS}/{dead_id}/revoke"), &[]).await.status(), 303);
    let unknown = super::leak_lookup::unknown_token();

    let body = github_body(&[&token, "lk_live_notarealtoken", &dead, &unknown]);
    let (status, answer) = signed(&app, &signer, &body).await;
    assert_eq!(status, 200, "{answer}");
    let label = |token: &str, label: &str| json!({"token_hash": sha256_hex(token), "token_type": "latchkey_api_key", "label": label});
    assert_eq!(
        answer,
        json!([
            label(&token, "true_positive"),
            label("lk_live_notarealtoken", "false_positive"),
            label(&dead, "false_positive"),
            label(&unknown, "false_positive"),
        ])
    );

    let (status, body, _) = ping(&app, &token).await;
    assert_eq!((status, code(&body)), (401, "revoked_key"));
    let exposed = audited(&app, "acme", "api_key.exposed");
    assert_eq!(exposed.len(), 1, "only the live key");
    assert_eq!(exposed[0].target_id.as_deref(), Some(key_id.as_str()));
    let d = details(&exposed[0]);
    assert_eq!((&d["source"], &d["url"], &d["action"]), (&json!("github"), &json!(URL), &json!("revoke")));
    assert!(!exposed[0].details.contains(&token));
    let revoked = audited(&app, "acme", "api_key.revoked");
    assert_eq!(revoked.len(), 2, "the one revoked by hand and the exposed one");
    assert_eq!(details(&revoked[1])["reason"], "exposed");
    assert_eq!(revoked[1].target_id.as_deref(), Some(key_id.as_str()));
    let events = sent(&app, "acme", "api_key.exposed");
    assert_eq!(events.len(), 1);
    assert_eq!((&events[0]["data"]["source"], &events[0]["data"]["url"]), (&json!("github"), &json!(URL)));
    let mails = exposure_mails(&app, "acme");
    assert_eq!(mails.len(), 2);
    assert!(mails.iter().all(|(_, _, text)| text.contains("GitHub secret scanning") && text.contains(URL)));

    // GitHub reports the same token again: now a false positive, nothing new.
    let (status, answer) = signed(&app, &signer, &github_body(&[&token])).await;
    assert_eq!((status, &answer), (200, &json!([label(&token, "false_positive")])));
    assert_eq!(audited(&app, "acme", "api_key.exposed").len(), 1);
}

#[tokio::test]
async fn a_missing_or_bad_signature_is_refused_and_nothing_happens() {
    let signer = GithubSigner::generate("gh-1");
    let app = app_trusting(&signer).await;
    let (_, token) = app.make_scoped_key("acme", "Committed", &[]);
    let body = github_body(&[&token]);
    let good = signer.sign(body.as_bytes());
    let other_body = signer.sign(github_body(&["something else"]).as_bytes());
    let impostor = GithubSigner::generate("gh-1").sign(body.as_bytes());
    let id = "Github-Public-Key-Identifier";
    let sig = "Github-Public-Key-Signature";
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("a signature of another body", vec![(id, "gh-1"), (sig, &other_body)]),
        ("another key's signature under the same identifier", vec![(id, "gh-1"), (sig, &impostor)]),
        ("an unknown key identifier", vec![(id, "gh-2"), (sig, &good)]),
        ("no signature", vec![(id, "gh-1")]),
        ("no key identifier", vec![(sig, &good)]),
        ("no headers", vec![]),
        ("a signature that is not base64", vec![(id, "gh-1"), (sig, "not base64!")]),
    ];
    for (what, headers) in cases {
        let (status, answer) = deliver(&app, &body, &headers).await;
        assert_eq!((status, code(&answer)), (401, "invalid_signature"), "{what}");
    }
    // A body changed after signing (one byte of white space).
    let (status, answer) = deliver(&app, &format!("{body} "), &[(id, "gh-1"), (sig, &good)]).await;
    assert_eq!((status, code(&answer)), (401, "invalid_signature"), "a changed body");

    assert_eq!(ping(&app, &token).await.0, 200, "nothing revoked");
    assert!(audited(&app, "acme", "api_key.exposed").is_empty());
    assert!(sent(&app, "acme", "api_key.exposed").is_empty());
    assert!(exposure_mails(&app, "acme").is_empty());

    // The same body, rightly signed, is accepted: the refusals were about the signature alone.
    let (status, answer) = deliver(&app, &body, &[(id, "gh-1"), (sig, &good)]).await;
    assert_eq!((status, answer[0]["label"].as_str()), (200, Some("true_positive")));
    assert_eq!(ping(&app, &token).await.0, 401);
}

/// A report of `n` tokens, each found at a long (but ordinary) GitHub URL.
fn long_report(n: usize, live: &str) -> String {
    let url = format!(
        "https://github.com/octo-org/a-rather-long-repository-name/blob/{}/src/infra/config/settings.yaml",
        "a1b2c3d4e5".repeat(4)
    );
    let items: Vec<Value> = (0..n)
        .map(|i| {
            let token = if i == n / 2 { live.to_owned() } else { format!("lk_live_notarealtoken{i:05}") };
            json!({"token": token, "type": "latchkey_api_key", "url": url, "source": "content"})
        })
        .collect();
    Value::Array(items).to_string()
}

const MIB: usize = 1024 * 1024;

#[tokio::test]
async fn a_full_report_of_a_thousand_tokens_up_to_one_mib_is_accepted() {
    let signer = GithubSigner::generate("gh-1");
    let app = app_trusting(&signer).await;
    let (_, token) = app.make_scoped_key("acme", "Committed", &[]);
    let report = long_report(1000, &token);
    assert!(report.len() > 64 * 1024, "well past the API's usual 64 KiB: {} bytes", report.len());
    let (status, answer) = signed(&app, &signer, &report).await;
    assert_eq!(status, 200, "{answer}");
    let labels = answer.as_array().expect("one label per token");
    assert_eq!(labels.len(), 1000);
    assert_eq!(labels.iter().filter(|l| l["label"] == "true_positive").count(), 1, "the one live key");
    assert_eq!(ping(&app, &token).await.0, 401, "and it is revoked");

    // Exactly 1 MiB (the same report padded with white space) is still a report.
    let padded =
        format!("{}{}", long_report(10, "lk_live_none"), " ".repeat(MIB - long_report(10, "lk_live_none").len()));
    assert_eq!(padded.len(), MIB);
    let (status, answer) = signed(&app, &signer, &padded).await;
    assert_eq!((status, answer.as_array().map(Vec::len)), (200, Some(10)), "{answer}");
}

#[tokio::test]
async fn a_body_over_one_mib_is_refused_as_too_large_before_its_signature_is_checked() {
    let signer = GithubSigner::generate("gh-1");
    let app = app_trusting(&signer).await;
    let (_, token) = app.make_scoped_key("acme", "Committed", &[]);
    let body = long_report(10, &token);
    let oversized = format!("{body}{}", " ".repeat(MIB + 1 - body.len()));
    assert_eq!(oversized.len(), MIB + 1);
    // Rightly signed, wrongly signed and unsigned: the size decides first.
    let good = signer.sign(oversized.as_bytes());
    let id = "Github-Public-Key-Identifier";
    let sig = "Github-Public-Key-Signature";
    for (what, headers) in [
        ("signed", vec![(id, "gh-1"), (sig, good.as_str())]),
        ("badly signed", vec![(id, "gh-1"), (sig, "bm90IGEgc2lnbmF0dXJl")]),
        ("unsigned", vec![]),
    ] {
        let (status, answer) = deliver(&app, &oversized, &headers).await;
        assert_eq!((status, code(&answer)), (413, "payload_too_large"), "{what}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap_or_default().contains("1 MiB"), "{answer}");
    }
    assert_eq!(ping(&app, &token).await.0, 200, "nothing was handled");
    assert!(audited(&app, "acme", "api_key.exposed").is_empty());
}

#[tokio::test]
async fn a_malleated_high_s_signature_is_refused_and_nothing_happens() {
    let signer = GithubSigner::generate("gh-1");
    let app = app_trusting(&signer).await;
    let (_, token) = app.make_scoped_key("acme", "Committed", &[]);
    let body = github_body(&[&token]);
    let id = "Github-Public-Key-Identifier";
    let sig = "Github-Public-Key-Signature";
    // A few bodies, so the check cannot pass by the luck of one signature.
    for i in 0..4 {
        let variant = format!("{body}{}", " ".repeat(i));
        let high = signer.sign_high_s(variant.as_bytes());
        let (status, answer) = deliver(&app, &variant, &[(id, "gh-1"), (sig, &high)]).await;
        assert_eq!((status, code(&answer)), (401, "invalid_signature"), "high S #{i}: {answer}");
    }
    assert_eq!(ping(&app, &token).await.0, 200, "nothing revoked");
    assert!(audited(&app, "acme", "api_key.exposed").is_empty());
    // The same report in low-S form is GitHub's own, and is handled.
    let (status, answer) = signed(&app, &signer, &body).await;
    assert_eq!((status, answer[0]["label"].as_str()), (200, Some("true_positive")));
}
