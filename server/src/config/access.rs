//! Who comes in and how often: the session lifetime, the login and registration throttles,
//! and the reverse proxies trusted to name the client's address (which the per-address
//! throttles count by). These stay flat fields of [`Config`](super::resolved::Config).

use super::error::ConfigError;
use super::flags::Settings;

/// Refuses a zero session lifetime, throttle window or throttle count (a zero count would
/// lock everyone out).
pub(super) fn check_throttles(s: &Settings) -> Result<(), ConfigError> {
    if s.session_ttl_secs == 0 {
        return Err(ConfigError::Zero("PARLEY_SESSION_TTL_SECS"));
    }
    if s.login_window_secs == 0 {
        return Err(ConfigError::Zero("PARLEY_LOGIN_WINDOW_SECS"));
    }
    if s.login_max_failures == 0 {
        return Err(ConfigError::Zero("PARLEY_LOGIN_MAX_FAILURES"));
    }
    if s.login_max_failures_per_addr == 0 {
        return Err(ConfigError::Zero("PARLEY_LOGIN_MAX_FAILURES_PER_ADDR"));
    }
    for (name, v) in [
        (
            "PARLEY_LOGIN_MAX_FAILURES_PER_ACCOUNT",
            s.login_max_failures_per_account,
        ),
        (
            "PARLEY_REGISTER_PER_ADDR_PER_HOUR",
            s.register_per_addr_per_hour,
        ),
        ("PARLEY_REGISTER_PER_HOUR", s.register_per_hour),
    ] {
        if v == 0 {
            return Err(ConfigError::Zero(name));
        }
    }
    Ok(())
}

/// `PARLEY_TRUSTED_PROXIES`: comma-separated IPs (a single host) or CIDRs.
pub(super) fn parse_trusted_proxies(list: Option<&str>) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| ConfigError::TrustedProxy(item.to_owned()))
        })
        .collect()
}
