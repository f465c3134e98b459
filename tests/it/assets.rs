//! Static assets: every `/static/` URL a page links carries its content's
//! version and is cached for long; the unversioned URL keeps working with a
//! short cache life. (That the version changes with the content is the
//! unit test of `web::pages::assets::version_of`.)

use crate::support::*;
use latchkey::web::pages::assets::Asset;

const WEEK: u64 = 7 * 24 * 3600;

fn cache_control(res: &reqwest::Response) -> String {
    res.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

fn max_age(cache_control: &str) -> Option<u64> {
    cache_control.split(',').find_map(|d| d.trim().strip_prefix("max-age=")).and_then(|s| s.parse().ok())
}

/// `/static/<stem>.<12 hex digits>.<ext>` → `<stem>.<ext>`.
fn versioned_name(url: &str) -> Option<String> {
    let file = url.strip_prefix("/static/")?;
    let (rest, ext) = file.rsplit_once('.')?;
    let (stem, version) = rest.rsplit_once('.')?;
    let hex = version.len() == 12 && version.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    hex.then(|| format!("{stem}.{ext}"))
}

#[tokio::test]
async fn every_asset_a_page_links_is_versioned_and_cached_for_at_least_a_week() {
    // Reached at a host name, the console offers passkeys, so the two-factor page links passkeys.js.
    let app = spawn_app_with(|c| {
        let named = c.public_url.origin().replace("127.0.0.1", "localhost");
        c.public_url = latchkey::infra::config::PublicUrl::parse(&named, true).expect("public url");
    })
    .await;
    app.seed_acme();
    let owner = app.logged_in("owner@acme.test").await;
    let anonymous = app.visitor();
    let mut linked = std::collections::BTreeSet::new();
    for (who, path) in [
        (&anonymous, "/login"),
        (&anonymous, "/password-reset"),
        (&anonymous, "/docs/api"),
        (&owner, "/no-such-page"),
        (&owner, "/orgs/acme"),
        (&owner, "/orgs/acme/settings/api-keys"),
        (&owner, "/account/two-factor"),
    ] {
        let (status, html) = who.get_html(path).await;
        assert!(status == 200 || status == 404, "{path}: {status}");
        let urls = [select_all_attr(&html, "[href]", "href"), select_all_attr(&html, "[src]", "src")].concat();
        let assets: Vec<String> = urls.into_iter().filter(|u| u.starts_with("/static/")).collect();
        assert!(!assets.is_empty(), "{path} links no asset");
        linked.extend(assets);
    }
    let names: std::collections::BTreeSet<String> = linked.iter().filter_map(|u| versioned_name(u)).collect();
    assert_eq!(names.len(), linked.len(), "every linked asset URL is versioned: {linked:?}");
    let every: std::collections::BTreeSet<String> = Asset::ALL.iter().map(|a| a.name().to_owned()).collect();
    assert_eq!(names, every, "the pages link every asset, the favicon and passkeys.js included");
    for url in &linked {
        let res = anonymous.get(url).await;
        assert_eq!(res.status(), 200, "{url}");
        let cache = cache_control(&res);
        assert!(max_age(&cache).is_some_and(|age| age >= WEEK), "{url}: {cache}");
        assert!(cache.contains("immutable") && cache.contains("public"), "{url}: {cache}");
        let unversioned = anonymous.get(&format!("/static/{}", versioned_name(url).unwrap_or_default())).await;
        assert_eq!(res.headers().get("content-type"), unversioned.headers().get("content-type"), "{url}");
        assert_eq!(res.bytes().await.unwrap(), unversioned.bytes().await.unwrap(), "{url}: the same file");
    }
}

#[tokio::test]
async fn the_unversioned_url_keeps_working_with_a_short_cache_life() {
    let app = spawn_app().await;
    let visitor = app.visitor();
    for asset in Asset::ALL {
        let res = visitor.get(&format!("/static/{}", asset.name())).await;
        assert_eq!(res.status(), 200, "{}", asset.name());
        let cache = cache_control(&res);
        assert!(max_age(&cache).is_some_and(|age| age > 0 && age < WEEK), "{}: {cache}", asset.name());
        assert!(!cache.contains("immutable"), "{}: {cache}", asset.name());
    }
    // Another build's version (a page of the previous release during an
    // upgrade) gets this build's file, not to be kept under that URL.
    let res = visitor.get("/static/app.0123456789ab.css").await;
    assert_eq!(res.status(), 200);
    assert_eq!(cache_control(&res), "no-cache");
    assert_eq!(res.headers().get("content-type").map(|v| v.as_bytes()), Some(&b"text/css; charset=utf-8"[..]));
    for missing in ["/static/nope.css", "/static/app.0123456789ab.txt", "/static/app.min.css"] {
        assert_eq!(visitor.get(missing).await.status(), 404, "{missing}");
    }
}

/// Templates build every link through `domain::urls` (assets through
/// `Asset::url`): no path, query or `/static/` is spelled in an attribute.
#[test]
fn templates_spell_no_url_of_their_own() {
    let attribute =
        regex::Regex::new(r#"\s(href|action|src|data-[a-z-]+-url)="((?:\{\{.*?\}\}|\{%.*?%\}|[^"])*)""#).unwrap();
    let code = regex::Regex::new(r"\{\{.*?\}\}|\{%.*?%\}").unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!text.contains("/static/"), "{name} spells an asset URL");
        for found in attribute.captures_iter(&text) {
            let literal = code.replace_all(&found[2], "");
            let fine = literal.is_empty() || literal.starts_with('#') || literal.starts_with("https://");
            assert!(fine, "{name}: {}=\"{}\" is not built by domain::urls", &found[1], &found[2]);
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} attributes found");
}
