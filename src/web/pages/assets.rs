//! Static assets, embedded in the binary so it runs from any directory.
//!
//! Pages link each one at a versioned URL (`/static/app.<version>.css`,
//! [`Asset::url`]) whose version is a short hash of the file's content,
//! taken once, on first use: a release that changes a file changes its URL,
//! so that URL is cached for a year (`immutable`). The unversioned URL still
//! answers (anything that linked it keeps working), cached for five minutes;
//! a version this build does not have (a page of another release during an
//! upgrade) gets this build's file, never cached.

use crate::web::error::AppError;
use actix_web::{HttpResponse, http::header, web};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// `Cache-Control` of a versioned URL: its content never changes.
pub const CACHE_VERSIONED: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of an unversioned URL: short, so an upgrade shows soon.
pub const CACHE_UNVERSIONED: &str = "public, max-age=300";
/// `Cache-Control` of another release's version: this build's file, not to be kept under that URL.
const CACHE_OTHER_VERSION: &str = "no-cache";

/// Every file under `static/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asset {
    AppCss,
    AppJs,
    PasskeysJs,
    Favicon,
}

impl Asset {
    pub const ALL: [Asset; 4] = [Asset::AppCss, Asset::AppJs, Asset::PasskeysJs, Asset::Favicon];

    /// (file name, content type, content).
    fn file(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::AppCss => ("app.css", "text/css; charset=utf-8", include_str!("../../../static/app.css")),
            Self::AppJs => ("app.js", "text/javascript; charset=utf-8", include_str!("../../../static/app.js")),
            Self::PasskeysJs => {
                ("passkeys.js", "text/javascript; charset=utf-8", include_str!("../../../static/passkeys.js"))
            }
            Self::Favicon => ("favicon.svg", "image/svg+xml", include_str!("../../../static/favicon.svg")),
        }
    }

    pub fn name(self) -> &'static str {
        self.file().0
    }

    /// The short hash of its content that its URL carries.
    pub fn version(self) -> &'static str {
        &VERSIONS[self as usize]
    }

    /// The URL pages link it at (templates: `{{ crate::web::pages::assets::Asset::AppCss.url() }}`).
    pub fn url(self) -> &'static str {
        &URLS[self as usize]
    }
}

static VERSIONS: LazyLock<[String; 4]> = LazyLock::new(|| Asset::ALL.map(|a| version_of(a.file().2)));
static URLS: LazyLock<[String; 4]> =
    LazyLock::new(|| Asset::ALL.map(|a| crate::domain::urls::asset(a.name(), a.version())));

/// The version of a file with this content: the first 12 hex digits of its SHA-256.
pub fn version_of(content: &str) -> String {
    hex::encode(&Sha256::digest(content.as_bytes())[..6])
}

/// What a `/static/{file}` request names: an asset, and how its version compares.
#[derive(Debug, PartialEq, Eq)]
enum Requested {
    Current(Asset),
    Unversioned(Asset),
    OtherVersion(Asset),
}

fn requested(file: &str) -> Option<Requested> {
    let by_name = |name: &str| Asset::ALL.into_iter().find(|a| a.name() == name);
    if let Some(asset) = by_name(file) {
        return Some(Requested::Unversioned(asset));
    }
    let (rest, ext) = file.rsplit_once('.')?;
    let (stem, version) = rest.rsplit_once('.')?;
    if version.is_empty() || version.len() > 64 || !version.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let asset = by_name(&format!("{stem}.{ext}"))?;
    Some(if version == asset.version() { Requested::Current(asset) } else { Requested::OtherVersion(asset) })
}

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (asset, cache) = match requested(file.as_str()).ok_or(AppError::NotFound)? {
        Requested::Current(asset) => (asset, CACHE_VERSIONED),
        Requested::Unversioned(asset) => (asset, CACHE_UNVERSIONED),
        Requested::OtherVersion(asset) => (asset, CACHE_OTHER_VERSION),
    };
    let (_, content_type, body) = asset.file();
    Ok(HttpResponse::Ok().content_type(content_type).insert_header((header::CACHE_CONTROL, cache)).body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_a_short_hash_that_changes_with_the_content() {
        let css = include_str!("../../../static/app.css");
        assert_eq!(version_of(css), version_of(css), "the same content, the same version");
        assert_eq!(version_of(css).len(), 12);
        assert!(version_of(css).bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(version_of(css), version_of(&format!("{css} ")), "one more byte, another version");
        assert_ne!(version_of("a{color:red}"), version_of("a{color:blue}"));
    }

    #[test]
    fn every_asset_has_a_versioned_url_that_names_it() {
        for asset in Asset::ALL {
            let url = asset.url();
            let (stem, ext) = asset.name().rsplit_once('.').unwrap();
            assert_eq!(url, format!("/static/{stem}.{}.{ext}", asset.version()));
            let file = url.strip_prefix("/static/").unwrap();
            assert_eq!(requested(file), Some(Requested::Current(asset)));
            assert_eq!(requested(asset.name()), Some(Requested::Unversioned(asset)));
            assert_eq!(requested(&format!("{stem}.0123456789ab.{ext}")), Some(Requested::OtherVersion(asset)));
        }
        for unknown in ["app.min.css", "nope.css", "app.0123456789ab.txt", "..", "app.css.map", ""] {
            assert_eq!(requested(unknown), None, "{unknown}");
        }
    }
}
