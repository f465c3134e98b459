//! The OpenID Connect relying party (docs/user-guide.md: Single sign-on):
//! discovery, the authorization URL (code flow, PKCE S256, `state`,
//! `nonce`), and the code exchange with the ID token's checks — signature
//! by the provider's published keys (fetched again once when a token names
//! a key not yet seen: the provider rotated), `iss`, `aud`, `exp`, `nonce`,
//! and no unsigned token. The `openidconnect` crate does the checking; the
//! HTTP goes through our own reqwest client, which follows no redirect.

use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey,
    CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreRevocableToken, CoreRevocationErrorResponse, CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AdditionalClaims, AsyncHttpClient, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, HttpClientError, HttpRequest, HttpResponse,
    IdTokenFields, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, StandardErrorResponse,
    StandardTokenResponse, TokenResponse,
};
use std::future::Future;
use std::pin::Pin;

/// Claims beyond the standard ones: kept whole, so the organisation's
/// chosen groups claim can be read by name.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub struct ExtraClaims(serde_json::Map<String, serde_json::Value>);
impl AdditionalClaims for ExtraClaims {}

type TokenFields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<TokenFields, CoreTokenType>;
type OidcClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// Signature algorithms accepted on ID tokens: the asymmetric ones
/// providers use (never a shared-secret HMAC, never "none").
const ALGORITHMS: [CoreJwsSigningAlgorithm; 4] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EdDsa,
];

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached or answered wrongly: {0}")]
    Provider(String),
    #[error("the identity provider's answer was refused: {0}")]
    Refused(String),
}

/// A client's settings: the issuer, the client's credentials, and where the provider sends the browser back.
pub struct Settings<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub redirect_uri: &'a str,
    /// Private and plain-http providers allowed (`LATCHKEY_WEBHOOK_ALLOW_PRIVATE`: development and tests only).
    pub allow_private: bool,
}

/// What a login needs kept until the browser comes back.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// The values of the claim named by the connection (strings, or a list of them).
    pub groups: Vec<String>,
}

/// The most of a provider's answer read (discovery, keys, tokens are small).
const MAX_BODY: usize = 1 << 20;

/// Our reqwest client as the crate's HTTP client. Every request — to the
/// issuer, and to the endpoints its discovery document names, which the
/// owner's provider chooses — is held to the webhook rules: https only, and
/// never to a private, loopback or link-local address (checked on the
/// resolved address, which the connection then uses), unless
/// `LATCHKEY_WEBHOOK_ALLOW_PRIVATE` allows them (development and tests).
struct Http {
    allow_private: bool,
}

impl Http {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String> {
        let url = url::Url::parse(&request.uri().to_string()).map_err(|e| e.to_string())?;
        if url.scheme() != "https" && !self.allow_private {
            return Err(format!("{url} is not https"));
        }
        let host = url.host_str().ok_or("no host")?.trim_matches(['[', ']']).to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("{host} has no address"))?;
        if !self.allow_private {
            crate::domain::ssrf::check_ip(addr.ip()).map_err(|_| format!("{host} is a private address"))?;
        }
        let mut builder = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10));
        if url.domain().is_some() {
            builder = builder.resolve(&host, addr);
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        let request = reqwest::Request::try_from(request).map_err(|e| e.to_string())?;
        let mut response = client.execute(request).await.map_err(|e| e.to_string())?;
        let mut builder = openidconnect::http::Response::builder().status(response.status());
        for (name, value) in response.headers() {
            builder = builder.header(name, value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err("the answer is too large".into());
            }
            body.extend_from_slice(&chunk);
        }
        builder.body(body).map_err(|e| e.to_string())
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpClientError<std::io::Error>;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move { self.send(request).await.map_err(HttpClientError::Other) })
    }
}

fn http(settings: &Settings<'_>) -> Result<Http, OidcError> {
    crate::infra::webhook_client::install_tls();
    Ok(Http { allow_private: settings.allow_private })
}

fn provider(e: impl std::fmt::Display) -> OidcError {
    OidcError::Provider(e.to_string())
}

async fn client(settings: &Settings<'_>, http: &Http) -> Result<(OidcClient, CoreProviderMetadata), OidcError> {
    let issuer = IssuerUrl::new(settings.issuer.to_owned()).map_err(provider)?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http).await.map_err(provider)?;
    let client = build(settings, metadata.clone())?;
    Ok((client, metadata))
}

fn build(settings: &Settings<'_>, metadata: CoreProviderMetadata) -> Result<OidcClient, OidcError> {
    let redirect = RedirectUrl::new(settings.redirect_uri.to_owned()).map_err(provider)?;
    Ok(OidcClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.to_owned()),
        Some(ClientSecret::new(settings.client_secret.to_owned())),
    )
    .set_redirect_uri(redirect))
}

/// Discovers the provider and builds the URL to send the browser to, with
/// fresh `state`, `nonce` and PKCE verifier (each 128 bits or more).
pub async fn begin(settings: &Settings<'_>) -> Result<Pending, OidcError> {
    let http = http(settings)?;
    let (client, _) = client(settings, &http).await?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    Ok(Pending {
        url: url.to_string(),
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    })
}

/// Exchanges the code and checks the ID token against `pending`'s nonce;
/// `group_claim` names the claim to read groups from.
pub async fn finish(
    settings: &Settings<'_>,
    pending: &Pending,
    code: &str,
    group_claim: Option<&str>,
) -> Result<Identity, OidcError> {
    let http = http(settings)?;
    let (client, metadata) = client(settings, &http).await?;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .map_err(provider)?
        .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| OidcError::Refused(format!("the code was not accepted: {e}")))?;
    let id_token = tokens.id_token().ok_or_else(|| OidcError::Refused("no ID token came back".into()))?;
    let nonce = Nonce::new(pending.nonce.clone());
    let verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS);
    let claims = match id_token.claims(&verifier, &nonce) {
        Ok(claims) => claims.clone(),
        Err(openidconnect::ClaimsVerificationError::SignatureVerification(
            openidconnect::SignatureVerificationError::NoMatchingKey,
        )) => {
            // The provider rotated its keys since discovery: read them once more.
            let jwks = CoreJsonWebKeySet::fetch_async(metadata.jwks_uri(), &http).await.map_err(provider)?;
            let client = build(settings, metadata.set_jwks(jwks))?;
            let verifier = client.id_token_verifier().set_allowed_algs(ALGORITHMS);
            id_token.claims(&verifier, &nonce).map_err(|e| OidcError::Refused(e.to_string()))?.clone()
        }
        Err(e) => return Err(OidcError::Refused(e.to_string())),
    };
    let groups =
        group_claim.and_then(|name| claims.additional_claims().0.get(name)).map_or_else(Vec::new, |v| match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(items) => items.iter().filter_map(|i| i.as_str().map(str::to_owned)).collect(),
            _ => Vec::new(),
        });
    Ok(Identity {
        subject: claims.subject().to_string(),
        email: claims.email().map(|e| e.to_string()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims.name().and_then(|n| n.get(None)).map(|n| n.to_string()),
        groups,
    })
}
