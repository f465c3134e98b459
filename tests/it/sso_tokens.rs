//! Single sign-on refuses every ID token it must (docs/user-guide.md:
//! Single sign-on): a provider of the test's own signs tokens with a key
//! of the test's own (ES256), each wrong in one way — issuer, audience,
//! expiry, nonce, an unsigned token, a key the provider does not publish,
//! a signature that does not match — and only the right one gets in.

use crate::support::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// How the next ID token is wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flaw {
    None,
    Issuer,
    Audience,
    Expired,
    Nonce,
    Unsigned,
    UnknownKey,
    BadSignature,
}

struct FakeProvider {
    issuer: String,
    flaw: Arc<Mutex<Flaw>>,
    nonce: Arc<Mutex<String>>,
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32].into()).expect("a test key")
}

fn jwk(signing: &SigningKey, kid: &str) -> serde_json::Value {
    let point = signing.verifying_key().to_encoded_point(false);
    serde_json::json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
        "x": B64.encode(point.x().expect("x")), "y": B64.encode(point.y().expect("y")),
    })
}

/// The ID token as `flaw` spoils it, for `nonce`.
fn id_token(issuer: &str, nonce: &str, flaw: Flaw) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = serde_json::json!({
        "iss": if flaw == Flaw::Issuer { "https://evil.example" } else { issuer },
        "aud": if flaw == Flaw::Audience { "someone-else" } else { CLIENT_ID },
        "sub": "member-1",
        "email": "member@acme.test",
        "email_verified": true,
        "iat": now - 10,
        "exp": if flaw == Flaw::Expired { now - 5 } else { now + 300 },
        "nonce": if flaw == Flaw::Nonce { "not-the-nonce" } else { nonce },
    });
    let (alg, kid, signer) = match flaw {
        Flaw::Unsigned => ("none", "k1", None),
        Flaw::UnknownKey => ("ES256", "k2", Some(key(9))),
        _ => ("ES256", "k1", Some(key(7))),
    };
    let header = serde_json::json!({ "alg": alg, "kid": kid, "typ": "JWT" });
    let input = format!("{}.{}", B64.encode(header.to_string()), B64.encode(claims.to_string()));
    let Some(signer) = signer else { return format!("{input}.") };
    let signature: Signature = signer.sign(input.as_bytes());
    let mut bytes = signature.to_bytes().to_vec();
    if flaw == Flaw::BadSignature {
        bytes[10] ^= 1;
    }
    format!("{input}.{}", B64.encode(bytes))
}

impl FakeProvider {
    async fn start() -> Self {
        use actix_web::{App, HttpResponse, HttpServer, web};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().expect("addr").port());
        let (flaw, nonce) = (Arc::new(Mutex::new(Flaw::None)), Arc::new(Mutex::new(String::new())));
        let (f, n, i) = (flaw.clone(), nonce.clone(), issuer.clone());
        let server = HttpServer::new(move || {
            let (f, n, i) = (f.clone(), n.clone(), i.clone());
            let discovery = serde_json::json!({
                "issuer": i, "authorization_endpoint": format!("{i}/auth"), "token_endpoint": format!("{i}/token"),
                "jwks_uri": format!("{i}/jwks"), "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["ES256"],
            });
            App::new()
                .route(
                    "/.well-known/openid-configuration",
                    web::get().to(move || {
                        let d = discovery.clone();
                        async move { HttpResponse::Ok().json(d) }
                    }),
                )
                .route(
                    "/jwks",
                    web::get()
                        .to(|| async { HttpResponse::Ok().json(serde_json::json!({"keys": [jwk(&key(7), "k1")]})) }),
                )
                .route(
                    "/token",
                    web::post().to(move || {
                        let token = id_token(&i, &n.lock().expect("nonce"), *f.lock().expect("flaw"));
                        async move {
                            HttpResponse::Ok().json(
                                serde_json::json!({"access_token": "at", "token_type": "Bearer", "id_token": token}),
                            )
                        }
                    }),
                )
        })
        .workers(1)
        .listen(listener)
        .expect("listen")
        .run();
        tokio::spawn(server);
        Self { issuer, flaw, nonce }
    }
}

/// Starts a login into acme; answers the `state` Latchkey sent, after keeping the `nonce` for the provider.
async fn begin(visitor: &Visitor, provider: &FakeProvider) -> String {
    // By link, as the contract has it: a redirect to the provider.
    let res = visitor.get("/sso/start?org=acme").await;
    assert_eq!(res.status(), 303);
    let url = url::Url::parse(&location(&res)).expect("the provider's URL");
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()).expect(name);
    assert_eq!(param("code_challenge_method"), "S256");
    assert!(param("state").len() >= 22 && param("nonce").len() >= 22, "128 bits or more each");
    *provider.nonce.lock().expect("nonce") = param("nonce");
    param("state")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wrong_id_token_is_refused_and_the_right_one_gets_in() {
    let app = spawn_app().await;
    app.seed_acme();
    let provider = FakeProvider::start().await;
    let owner = app.logged_in("owner@acme.test").await;
    let fields = [
        ("issuer", provider.issuer.as_str()),
        ("client_id", CLIENT_ID),
        ("client_secret", CLIENT_SECRET),
        ("domains", "acme.test"),
        ("default_role", "member"),
    ];
    assert_eq!(owner.post_form("/orgs/acme/settings/sso", &fields).await.status(), 303);
    // acme.test proven (straight in the database: the DNS check has its own test).
    let acme = org_id(&app, "acme");
    latchkey::db::sso::add_domain(&mut app.conn(), acme, "acme.test", "token").expect("domain");
    let row = latchkey::db::sso::domain(&mut app.conn(), acme, "acme.test").expect("q").expect("row");
    latchkey::db::sso::mark_verified(&mut app.conn(), row.id).expect("verified");

    for flaw in
        [Flaw::Issuer, Flaw::Audience, Flaw::Expired, Flaw::Nonce, Flaw::Unsigned, Flaw::UnknownKey, Flaw::BadSignature]
    {
        let visitor = app.visitor();
        let state = begin(&visitor, &provider).await;
        *provider.flaw.lock().expect("flaw") = flaw;
        let res = visitor.get(&format!("/sso/callback?code=c&state={state}")).await;
        assert_eq!(res.status(), 403, "{flaw:?} refused");
        assert_eq!(visitor.get("/orgs/acme").await.status(), 303, "{flaw:?}: not signed in");
    }

    // A state of another login is refused even with a good token.
    let visitor = app.visitor();
    begin(&visitor, &provider).await;
    *provider.flaw.lock().expect("flaw") = Flaw::None;
    assert_eq!(visitor.get("/sso/callback?code=c&state=forged").await.status(), 400);

    let visitor = app.visitor();
    let state = begin(&visitor, &provider).await;
    let res = visitor.get(&format!("/sso/callback?code=c&state={state}")).await;
    assert_eq!(res.status(), 303, "the right token gets in");
    assert_eq!(visitor.get("/orgs/acme").await.status(), 200);
    // The same answer once more: this browser's login was taken out when it came back.
    assert_eq!(visitor.get(&format!("/sso/callback?code=c&state={state}")).await.status(), 400);
}
