//! Static assets, embedded in the binary so it runs from any directory.

use crate::web::error::AppError;
use actix_web::{HttpResponse, http::header, web};

const ASSETS: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../../static/app.css")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../../static/app.js")),
    ("passkeys.js", "text/javascript; charset=utf-8", include_str!("../../../static/passkeys.js")),
    ("favicon.svg", "image/svg+xml", include_str!("../../../static/favicon.svg")),
];

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) =
        ASSETS.iter().find(|(name, _, _)| *name == file.as_str()).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(*content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(*body))
}
