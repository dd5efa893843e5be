//! Who is asking: the client's address and device cookie, resolved once per request.
//!
//! Behind a reverse proxy every request comes from the proxy's address, so the throttles
//! would count all clients as one. When the peer is one of `PARLEY_TRUSTED_PROXIES`, the
//! client is the rightmost address of `X-Forwarded-For` (else of `Forwarded`) that is not a
//! trusted proxy itself: the hops to its left were written by the client or by proxies we
//! do not know, and can be forged. An untrusted peer's headers are ignored.

use crate::rules::throttle::{with_client, Client, DEVICE_TTL};
use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};

/// The cookie that marks a device an account logged in on (never slowed by the login
/// throttle for that account).
pub const DEVICE_COOKIE: &str = "parley_device";

/// The client's address: `peer`, or the address a trusted proxy forwarded.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        // A hop we cannot read (`unknown`, an obfuscated name) ends what we can trust.
        let Some(ip) = hop else {
            break;
        };
        client = *ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// The addresses proxies recorded, oldest first: `X-Forwarded-For` when present (every line,
/// in order), else the `for=` of each `Forwarded` element; `None` for an unreadable hop.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let xff: Vec<Option<IpAddr>> = headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(parse_hop)
        .collect();
    if !xff.is_empty() {
        return xff;
    }
    headers
        .get_all(header::FORWARDED)
        .iter()
        .flat_map(|v| v.to_str().unwrap_or("?").split(','))
        .map(|element| {
            element
                .split(';')
                .filter_map(|pair| pair.split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                .and_then(|(_, value)| parse_hop(value))
        })
        .collect()
}

/// One hop: `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:80`, maybe quoted.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']').and_then(|(ip, _)| ip.parse().ok());
    }
    hop.rsplit_once(':')
        .and_then(|(ip, _)| ip.parse::<std::net::Ipv4Addr>().ok())
        .map(IpAddr::V4)
}

/// The `Set-Cookie` value of a device cookie: HttpOnly, SameSite=Lax, Secure over https.
fn device_cookie(secure: bool, token: &str) -> Option<HeaderValue> {
    let max_age = i64::try_from(DEVICE_TTL.as_secs()).unwrap_or(i64::MAX);
    let cookie = Cookie::build((DEVICE_COOKIE, token.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(time::Duration::seconds(max_age))
        .build();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// A few words a person recognises their device by ("Chrome on Linux"), from a
/// User-Agent; empty when it says nothing recognisable. At most 64 characters.
pub fn describe_agent(ua: &str) -> String {
    // A header longer than any real browser's is not worth parsing.
    if ua.len() > 1024 {
        return String::new();
    }
    let Some(found) = woothee::parser::Parser::new().parse(ua) else {
        return String::new();
    };
    let known = |s: &str| !s.is_empty() && s != woothee::woothee::VALUE_UNKNOWN;
    let text = match (known(found.name), known(found.os)) {
        (true, true) => format!("{} on {}", found.name, found.os),
        (true, false) => found.name.to_owned(),
        (false, true) => found.os.to_string(),
        (false, false) => String::new(),
    };
    text.chars().take(64).collect()
}

/// Resolves the request's [`Client`] (kept in its extensions and as the task's current
/// client while it is handled), and sets the device cookie a login asked for.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ci| client_ip(ci.0.ip(), req.headers(), &state.config.trusted_proxies));
    let device = CookieJar::from_headers(req.headers())
        .get(DEVICE_COOKIE)
        .map(|c| c.value().to_owned())
        // Real tokens are 43 characters; junk is no device.
        .filter(|t| !t.is_empty() && t.len() <= 128);
    let agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(describe_agent)
        .unwrap_or_default();
    let client = Client::new(addr, device).with_agent(agent);
    req.extensions_mut().insert(client.clone());
    let mut res = with_client(client.clone(), next.run(req)).await;
    if let Some(token) = client.take_issued_device() {
        if let Some(cookie) = device_cookie(state.config.secure_cookies(), &token) {
            res.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_are_named_as_a_person_would() {
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/120.0.0.0 Safari/537.36";
        assert_eq!(describe_agent(chrome), "Chrome on Linux");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_agent(iphone), "Safari on iPhone");
        assert_eq!(describe_agent("curl/8.5.0"), "HTTP Library");
        assert_eq!(describe_agent("zzz"), "");
        assert_eq!(describe_agent(&"x".repeat(5000)), "");
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn the_rightmost_untrusted_hop_of_a_trusted_peer_is_the_client() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let stranger: IpAddr = "203.0.113.9".parse().unwrap();
        let h = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // An untrusted peer's header is ignored.
        assert_eq!(client_ip(stranger, &h, &trusted), stranger);
        // Several lines read as one list.
        let h = headers(&[
            ("x-forwarded-for", "1.1.1.1"),
            ("x-forwarded-for", "192.0.2.1"),
        ]);
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
        // Forwarded, with ports, brackets and quotes.
        let h = headers(&[(
            "forwarded",
            r#"for="[2001:db8::1]:4711";proto=https, for=192.0.2.60:80"#,
        )]);
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "192.0.2.60".parse::<IpAddr>().unwrap()
        );
        let h = headers(&[("forwarded", r#"for="[2001:db8::1]:4711""#)]);
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "2001:db8::1".parse::<IpAddr>().unwrap()
        );
        // An unreadable hop stops the walk at the last trusted one; no header: the peer.
        let h = headers(&[("x-forwarded-for", "1.1.1.1, unknown, 10.0.0.3")]);
        assert_eq!(
            client_ip(proxy, &h, &trusted),
            "10.0.0.3".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(proxy, &HeaderMap::new(), &trusted), proxy);
    }
}
