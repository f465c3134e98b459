//! The route tables: the console's, the probes', and how they and the API's
//! (api/mod.rs) are put together, each with only the middleware it needs.

use crate::web::error::AppError;
use crate::{web::middleware, web::pages};
use actix_session::SessionMiddleware;
use actix_session::storage::CookieSessionStore;
use actix_web::http::Method;
use actix_web::middleware::from_fn;
use actix_web::web;

/// The whole route table (docs/ARCHITECTURE.md: Invariants). Each part has only the middleware it
/// needs: the API and the probes never touch a session cookie.
pub fn all(cfg: &mut web::ServiceConfig, session: SessionMiddleware<CookieSessionStore>) {
    use pages::*;
    // The API first: the router tries routes in order, and API calls are the hot path.
    cfg.configure(api_routes);
    cfg.configure(crate::web::api::scim::routes);
    let probes = [
        ("/healthz", probe(health::healthz)),
        ("/readyz", probe(health::readyz)),
        ("/metrics", probe(health::metrics)),
        // Public by design: anyone holding an export verifies it with this key.
        ("/.well-known/latchkey-audit-key", probe(crate::web::api::audit_checkpoints::public_key)),
    ];
    for (path, handler) in probes {
        cfg.service(
            web::resource(path)
                .wrap(middleware::security_headers())
                .route(handler)
                .default_service(refuse("GET, HEAD".into())),
        );
    }
    cfg.service(
        web::scope("")
            .wrap(from_fn(middleware::setup_gate))
            .wrap(session)
            .wrap(middleware::security_headers())
            .configure(console_routes),
    );
}

/// A route for GET and for HEAD: HEAD is answered wherever GET is (load
/// balancers and monitors use it; the server sends the headers only).
pub fn get_or_head() -> actix_web::Route {
    web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
}

/// The answer to a method a path does not take: 405 with `Allow`.
fn refuse(allow: String) -> actix_web::Route {
    web::to(move || {
        let allow = allow.clone();
        async move { Err::<actix_web::HttpResponse, _>(AppError::MethodNotAllowed { allow }) }
    })
}

fn probe<F, Args>(handler: F) -> actix_web::Route
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    get_or_head().to(handler)
}

/// Every console route, in matching order. The router is built from this
/// table and the security tests walk it (CSRF on every POST, other orgs'
/// ids on every page), so a new route cannot escape them.
pub fn console_table() -> Vec<(Method, &'static str, actix_web::Route)> {
    use pages::*;
    fn r<F, Args>(method: Method, path: &'static str, handler: F) -> (Method, &'static str, actix_web::Route)
    where
        F: actix_web::Handler<Args>,
        Args: actix_web::FromRequest + 'static,
        F::Output: actix_web::Responder + 'static,
    {
        let route = if method == Method::GET { get_or_head() } else { web::method(method.clone()) };
        (method, path, route.to(handler))
    }
    vec![
        r(Method::GET, "/", home::index),
        r(Method::GET, "/static/{file}", assets::serve),
        r(Method::GET, "/docs/api", docs::api),
        r(Method::GET, "/setup", setup::form),
        r(Method::POST, "/setup", setup::submit),
        r(Method::GET, "/login", login::form),
        r(Method::POST, "/login", login::submit),
        r(Method::GET, "/logout", login::logout_confirm),
        r(Method::POST, "/logout", login::logout),
        r(Method::GET, "/login/two-factor", login_two_factor::form),
        r(Method::POST, "/login/two-factor", login_two_factor::submit),
        r(Method::GET, "/sso/start", sso_login::start_link),
        r(Method::POST, "/sso/start", sso_login::start),
        r(Method::GET, "/sso/callback", sso_login::callback),
        r(Method::POST, "/login/two-factor/passkey/options", passkeys::login_options),
        r(Method::POST, "/login/two-factor/passkey", passkeys::login),
        r(Method::POST, "/logout/everywhere", login::logout_everywhere),
        r(Method::GET, "/password-reset", password_reset::form),
        r(Method::POST, "/password-reset", password_reset::request),
        r(Method::GET, "/password-reset/{token}", password_reset::new_password_form),
        r(Method::POST, "/password-reset/{token}", password_reset::set_new_password),
        r(Method::GET, "/invitations/{token}", invitations::show),
        r(Method::POST, "/invitations/{token}", invitations::accept),
        r(Method::GET, "/account", account::show),
        r(Method::POST, "/account/profile", account::update_profile),
        r(Method::POST, "/account/password", account::change_password),
        r(Method::POST, "/account/sessions/{session_id}/revoke", account::revoke_session),
        r(Method::GET, "/account/two-factor", two_factor::show),
        r(Method::POST, "/account/two-factor/totp", two_factor::confirm),
        r(Method::POST, "/account/two-factor/cancel", two_factor::cancel),
        r(Method::POST, "/account/two-factor/recovery-codes", two_factor::regenerate),
        r(Method::POST, "/account/two-factor/disable", two_factor::disable),
        r(Method::POST, "/account/passkeys/options", passkeys::registration_options),
        r(Method::POST, "/account/passkeys", passkeys::register),
        r(Method::POST, "/account/passkeys/{passkey_id}/remove", passkeys::remove),
        r(Method::POST, "/account/passkeys/sudo/options", passkeys::sudo_options),
        r(Method::POST, "/account/passkeys/sudo", passkeys::sudo),
        r(Method::GET, "/support", support::index),
        r(Method::GET, "/support/platform-log", support::platform_log),
        r(Method::GET, "/support/orgs/{slug}/audit-log", support::org_log),
        r(Method::GET, "/support/orgs/{slug}/audit-log/export.csv", support::org_export_csv),
        r(Method::GET, "/support/orgs/{slug}/audit-log/export.jsonl", support::org_export_jsonl),
        r(Method::GET, "/support/orgs/{slug}/audit-log/verify", support::org_verify),
        r(Method::GET, "/support/orgs/{slug}/api-keys", support::org_keys),
        r(Method::GET, "/support/orgs/{slug}/api-keys/{key_id}", support::org_key),
        r(Method::GET, "/orgs/{slug}", dashboard::show),
        r(Method::GET, "/orgs/{slug}/settings/api-keys", api_keys::list::list),
        r(Method::POST, "/orgs/{slug}/settings/api-keys", api_keys::form::create),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/new", api_keys::form::new),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/lookup", api_keys::lookup::form),
        r(Method::POST, "/orgs/{slug}/settings/api-keys/lookup", api_keys::lookup::submit),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/{key_id}", api_keys::detail::show),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/{key_id}/edit", api_keys::form::edit),
        r(Method::GET, "/orgs/{slug}/settings/api-keys/{key_id}/requests.csv", api_keys::requests::export),
        r(Method::POST, "/orgs/{slug}/settings/api-keys/{key_id}/edit", api_keys::form::update),
        r(
            Method::GET,
            "/orgs/{slug}/settings/api-keys/{key_id}/{action:deactivate|activate|rotate|revoke|delete}",
            api_keys::actions::confirm,
        ),
        r(
            Method::POST,
            "/orgs/{slug}/settings/api-keys/{key_id}/{action:deactivate|activate|rotate|revoke|delete}",
            api_keys::actions::perform,
        ),
        r(Method::GET, "/orgs/{slug}/settings/apis", apis::list),
        r(Method::POST, "/orgs/{slug}/settings/apis", apis::create),
        r(Method::GET, "/orgs/{slug}/settings/apis/new", apis::new),
        r(Method::GET, "/orgs/{slug}/settings/apis/{api}", apis::show),
        r(Method::POST, "/orgs/{slug}/settings/apis/{api}", apis::save),
        r(Method::GET, "/orgs/{slug}/settings/apis/{api}/definition.json", apis::download),
        r(Method::POST, "/orgs/{slug}/settings/apis/{api}/import", apis::import),
        r(Method::GET, "/orgs/{slug}/settings/apis/{api}/delete", apis::delete_confirm),
        r(Method::POST, "/orgs/{slug}/settings/apis/{api}/delete", apis::delete),
        r(Method::GET, "/orgs/{slug}/settings/webhooks", webhooks::list),
        r(Method::POST, "/orgs/{slug}/settings/webhooks", webhooks::create),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/new", webhooks::new),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}", webhooks::show),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}/edit", webhooks::edit),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/edit", webhooks::update),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/test", webhooks::test),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}/rotate-secret", webhooks::rotate_secret_confirm),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/rotate-secret", webhooks::rotate_secret),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}/delete", webhooks::delete_confirm),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/delete", webhooks::delete),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/deliveries/{message_id}/resend", webhooks::resend),
        r(Method::GET, "/orgs/{slug}/settings/webhooks/{id}/attempts/{attempt_id}", webhooks::attempt),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/recover", webhooks::recover),
        r(Method::POST, "/orgs/{slug}/settings/webhooks/{id}/{action:enable|disable}", webhooks::set_enabled),
        r(Method::GET, "/orgs/{slug}/settings/audit-log", audit_log::list),
        r(Method::GET, "/orgs/{slug}/settings/audit-log/export.csv", audit_log::export_csv),
        r(Method::GET, "/orgs/{slug}/settings/audit-log/export.jsonl", audit_log::export_jsonl),
        r(Method::GET, "/orgs/{slug}/settings/audit-log/verify", audit_log::verify),
        r(Method::GET, "/orgs/{slug}/settings/security", security::show),
        r(Method::POST, "/orgs/{slug}/settings/security/two-factor", security::set_requirement),
        r(Method::POST, "/orgs/{slug}/settings/security/key-policy", security::set_key_policy),
        r(Method::GET, "/orgs/{slug}/settings/sso", sso::show),
        r(Method::POST, "/orgs/{slug}/settings/sso", sso::save),
        r(Method::POST, "/orgs/{slug}/settings/sso/domains", sso::add_domain),
        r(Method::POST, "/orgs/{slug}/settings/sso/scim-token", sso::new_scim_token),
        r(Method::POST, "/orgs/{slug}/settings/sso/domains/{domain}/verify", sso::verify_domain),
        r(Method::GET, "/orgs/{slug}/settings/members", members::list),
        r(Method::POST, "/orgs/{slug}/settings/members", members::add),
        r(Method::POST, "/orgs/{slug}/settings/members/{user_id}/role", members::change_role),
        r(Method::GET, "/orgs/{slug}/settings/members/{user_id}/remove", members::remove_confirm),
        r(Method::POST, "/orgs/{slug}/settings/members/{user_id}/remove", members::remove),
        r(Method::POST, "/orgs/{slug}/settings/members/invitations/{invitation_id}/resend", invitations::resend),
        r(Method::POST, "/orgs/{slug}/settings/members/invitations/{invitation_id}/revoke", invitations::revoke),
    ]
}

/// (method, path pattern) of every console route.
pub fn console_routes_list() -> Vec<(Method, &'static str)> {
    console_table().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// The console: pages behind sessions, CSRF and the first-run gate. Each
/// path is one resource, so a method it does not take answers 405 with
/// `Allow` instead of falling through to a 404.
fn console_routes(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<(&'static str, Vec<Method>, Vec<actix_web::Route>)> = Vec::new();
    for (method, path, route) in console_table() {
        match paths.iter_mut().find(|(p, ..)| *p == path) {
            Some((_, methods, routes)) => {
                methods.push(method);
                routes.push(route);
            }
            None => paths.push((path, vec![method], vec![route])),
        }
    }
    for (path, methods, routes) in paths {
        let mut allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
        if methods.contains(&Method::GET) {
            allow.insert(allow.iter().position(|m| *m == "GET").map_or(0, |i| i + 1), "HEAD");
        }
        let refuse = refuse(allow.join(", "));
        let resource = routes.into_iter().fold(web::resource(path), actix_web::Resource::route);
        cfg.service(resource.default_service(refuse));
    }
    cfg.default_service(web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }));
}

/// The management API under `/api/v1` (keys, webhooks, audit events),
/// registered before the resource routes so `/keys` is not taken for a resource.
fn management_routes(cfg: &mut web::ServiceConfig) {
    use crate::web::api::openapi::{ALLOW_ACTION, ALLOW_COLLECTION, ALLOW_ITEM, ALLOW_PING};
    use crate::web::api::{apis, audit_checkpoints, audit_events, keys, leaks, refuse, webhooks};
    cfg.service(
        web::resource("/apis")
            .route(get_or_head().to(apis::list))
            .route(web::post().to(apis::create))
            .default_service(refuse(ALLOW_COLLECTION)),
    )
    .service(
        web::resource("/apis/{api}")
            .route(get_or_head().to(apis::get))
            .route(web::put().to(apis::put))
            .route(web::patch().to(apis::patch))
            .route(web::delete().to(apis::delete))
            .default_service(refuse(crate::web::api::openapi::ALLOW_DEFINITION)),
    )
    .service(
        web::resource("/apis/{api}/import-openapi")
            .route(web::post().to(apis::import_openapi))
            .default_service(refuse(ALLOW_ACTION)),
    )
    .service(
        web::resource("/keys")
            .route(get_or_head().to(keys::list))
            .route(web::post().to(keys::write::create))
            .default_service(refuse(ALLOW_COLLECTION)),
    )
    .service(web::resource("/keys/self").route(get_or_head().to(keys::get_self)).default_service(refuse(ALLOW_PING)))
    .service(
        web::resource("/keys/self/rotate")
            .route(web::post().to(keys::write::rotate_self))
            .default_service(refuse(ALLOW_ACTION)),
    )
    .service(
        web::resource("/keys/{key_id}")
            .route(get_or_head().to(keys::get))
            .route(web::patch().to(keys::write::update))
            .route(web::delete().to(keys::write::delete))
            .default_service(refuse(ALLOW_ITEM)),
    )
    .service(
        web::resource("/keys/{key_id}/revoke")
            .route(web::post().to(keys::write::revoke))
            .default_service(refuse(ALLOW_ACTION)),
    )
    .service(
        web::resource("/keys/{key_id}/rotate")
            .route(web::post().to(keys::write::rotate))
            .default_service(refuse(ALLOW_ACTION)),
    )
    .service(
        web::resource("/owners/{owner_id}/limits")
            .route(web::put().to(crate::web::api::owners::put_limits))
            .default_service(refuse("PUT")),
    )
    .service(
        web::resource("/webhooks")
            .route(get_or_head().to(webhooks::list))
            .route(web::post().to(webhooks::create))
            .default_service(refuse(ALLOW_COLLECTION)),
    )
    .service(
        web::resource("/webhooks/{id}")
            .route(get_or_head().to(webhooks::get))
            .route(web::patch().to(webhooks::update))
            .route(web::delete().to(webhooks::delete))
            .default_service(refuse(ALLOW_ITEM)),
    )
    .service(
        web::resource("/webhooks/{id}/test")
            .route(web::post().to(webhooks::test))
            .default_service(refuse(ALLOW_ACTION)),
    )
    .service(
        web::resource("/webhooks/{id}/rotate-secret")
            .route(web::post().to(webhooks::rotate_secret))
            .default_service(refuse(ALLOW_ACTION)),
    )
    .service(
        web::resource("/audit-events").route(get_or_head().to(audit_events::list)).default_service(refuse(ALLOW_PING)),
    )
    .service(
        web::resource("/audit-checkpoints")
            .route(get_or_head().to(audit_checkpoints::list))
            .default_service(refuse(ALLOW_PING)),
    )
    .service(
        web::resource("/revocations").route(web::post().to(leaks::revocations)).default_service(refuse(ALLOW_ACTION)),
    )
    .service(
        web::resource("/secret-scanning/github")
            .route(web::post().to(leaks::github))
            .default_service(refuse(ALLOW_ACTION)),
    );
}

/// The `/api/v1` routes. A method a path does not serve answers 405 with `Allow`.
fn api_routes(cfg: &mut web::ServiceConfig) {
    use crate::web::api::openapi::{ALLOW_COLLECTION, ALLOW_ITEM, ALLOW_PING};
    use crate::web::api::{key_headers, not_found, openapi_json, ping, refuse, resources};
    cfg.service(
        web::scope("/api/v1")
            .wrap(from_fn(key_headers))
            .wrap(crate::web::middleware::api_security_headers())
            // First: actix tries a scope's resources in order (each pattern
            // with parameters is a regex match), and verification is the
            // hottest route a service calls.
            .service(
                web::resource("/keys/verify")
                    .route(web::post().to(crate::web::api::keys::verify::verify))
                    .default_service(refuse(crate::web::api::openapi::ALLOW_ACTION)),
            )
            .service(
                web::resource("/openapi.json")
                    .route(get_or_head().to(openapi_json))
                    .default_service(refuse(ALLOW_PING)),
            )
            .service(web::resource("/ping").route(get_or_head().to(ping)).default_service(refuse(ALLOW_PING)))
            .configure(management_routes)
            .service(
                web::resource("/{kind}")
                    .route(get_or_head().to(resources::list))
                    .route(web::post().to(resources::create))
                    .default_service(refuse(ALLOW_COLLECTION)),
            )
            .service(
                web::resource("/{kind}/{id}")
                    .route(get_or_head().to(resources::get))
                    .route(web::patch().to(resources::update))
                    .route(web::delete().to(resources::delete))
                    .default_service(refuse(ALLOW_ITEM)),
            )
            .default_service(web::to(not_found)),
    );
}
