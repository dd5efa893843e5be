//! Cross-site request forgery guard. A browser attaches the session cookie to requests that
//! other sites make it send, and SameSite=Lax still lets top-level form posts through in
//! older browsers and same-site subdomains. So every unsafe request that the cookie would
//! authenticate, and every browser-only form or server-function endpoint (`/login`,
//! `/register`, `/logout`, `/sfn/...`, and the seed client's `/user/login` and
//! `/user/register`, where login CSRF matters too), must show it comes from
//! our own pages: `Origin` equal to `PARLEY_PUBLIC_ORIGIN`, or `Sec-Fetch-Site: same-origin`
//! (which the browser sets and pages cannot forge). A request carrying `Authorization` is
//! judged by that header alone, which no other site can make a browser send, so it is exempt.
//!
//! So is a JSON request to an endpoint the cookie does not authorise (`/api/login`,
//! `/api/register`): no cross-site form can send `Content-Type: application/json`, and a
//! cross-site `fetch` with it needs a CORS preflight this server never grants. Script
//! clients that keep cookies (`requests.Session`, `httpx.Client`) send no `Origin`, and
//! must still be able to log in again.

use crate::error::AppError;
use crate::state::AppState;
use app::error::ErrorCode;
use app::protocol::SESSION_COOKIE;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;

/// True when the request says it comes from a page of `public_origin`.
pub fn same_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin == Some(public_origin) {
        return true;
    }
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    fetch_site == Some("same-origin")
}

/// Paths only our own pages post to (forms and server functions), and the seed client's
/// login and registration (v0), which set the session cookie like our own forms do.
fn browser_only(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/register" | "/logout" | "/send" | "/user/login" | "/user/register"
    ) || path.starts_with("/sfn/")
}

/// JSON endpoints that no session cookie authorises (logging in or registering acts for
/// whoever shows the credentials, whatever cookie comes along).
fn cookie_free(path: &str) -> bool {
    matches!(path, "/api/login" | "/api/register")
}

/// True when the body is declared `application/json` (parameters such as `charset` aside),
/// a type no HTML form can send.
fn json_body(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

/// Refuses (403 `cross_origin`, nothing changed) an unsafe request that a foreign page could
/// have made a browser send.
pub async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let exempt = req.method().is_safe()
        || headers.contains_key(header::AUTHORIZATION)
        || (json_body(headers) && cookie_free(req.uri().path()));
    if !exempt {
        let by_cookie = CookieJar::from_headers(headers)
            .get(SESSION_COOKIE)
            .is_some();
        if (by_cookie || browser_only(req.uri().path()))
            && !same_origin(headers, &state.config.public_origin)
        {
            tracing::info!(path = req.uri().path(), "cross-origin request refused");
            return AppError::code(ErrorCode::CrossOrigin).into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn origin_or_fetch_metadata_must_match() {
        let me = "https://chat.example";
        let mut h = HeaderMap::new();
        assert!(!same_origin(&h, me), "no Origin, no fetch metadata");
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://evil.example"),
        );
        assert!(!same_origin(&h, me));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://chat.example"),
        );
        assert!(same_origin(&h, me));
        let mut h = HeaderMap::new();
        h.insert("sec-fetch-site", HeaderValue::from_static("same-site"));
        assert!(!same_origin(&h, me));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(same_origin(&h, me));
        assert!(browser_only("/sfn/add_friend") && browser_only("/logout"));
        assert!(browser_only("/user/login") && browser_only("/user/register"));
        assert!(!browser_only("/api/login"));
        let mut h = HeaderMap::new();
        assert!(!json_body(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(json_body(&h) && cookie_free("/api/login") && !cookie_free("/api/logout"));
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
        assert!(!json_body(&h));
    }
}
