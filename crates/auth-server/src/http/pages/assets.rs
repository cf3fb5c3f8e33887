//! The stylesheet and each tenant's colours (served as CSS so the strict CSP
//! needs no inline styles).
use actix_web::http::header;
use actix_web::{web, HttpResponse};

use super::render::STYLESHEET;
use crate::state::AppState;

pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(STYLESHEET)
}

/// `#rgb` or `#rrggbb`, nothing else reaches the stylesheet.
fn colour(value: Option<&str>) -> Option<&str> {
    value.filter(|c| {
        c.starts_with('#')
            && matches!(c.len(), 4 | 7)
            && c[1..].bytes().all(|b| b.is_ascii_hexdigit())
    })
}

pub async fn tenant_theme(state: web::Data<AppState>, slug: web::Path<String>) -> HttpResponse {
    let brand = match state.directory.by_slug(&slug).await {
        Ok(t) => colour(
            t.settings
                .as_map()
                .get("brand_color")
                .and_then(|v| v.as_str()),
        )
        .map(str::to_owned),
        Err(_) => None,
    };
    let body = brand.map_or_else(String::new, |c| format!(":root {{ --brand: {c}; }}\n"));
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn only_hex_colours_pass() {
        assert_eq!(colour(Some("#12abEF")), Some("#12abEF"));
        assert_eq!(colour(Some("#fff")), Some("#fff"));
        for bad in ["red", "#12345", "#ggg", "#fff;} body{display:none", ""] {
            assert_eq!(colour(Some(bad)), None, "{bad}");
        }
    }
}
