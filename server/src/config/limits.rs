//! Caps and deadlines: WebSockets per user, per address and in all, how long notices are
//! kept, and how long a client may take to send a request ([`RequestDeadlines`]).

use super::error::ConfigError;
use super::flags::Settings;
use std::time::Duration;

/// How long a client may take to send a request, resolved.
#[derive(Clone, Copy, Debug)]
pub struct RequestDeadlines {
    /// To send the headers (and to start the next request on a kept-alive connection).
    pub header: Duration,
    /// Between two pieces of a body.
    pub body_idle: Duration,
    /// For the whole body.
    pub body_total: Duration,
}

/// Who may befriend, block and report whom, and how often, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeopleRules {
    /// The seed dialect befriends at once (no request).
    pub friends_without_consent: bool,
    /// How long a friend request waits for an answer.
    pub request_ttl: Duration,
    /// Requests, blocks and reports per user per hour (ten times that per address).
    pub per_hour: u32,
    /// The site's admins, by lower-cased username.
    pub admins: Vec<String>,
}

impl Default for PeopleRules {
    fn default() -> PeopleRules {
        PeopleRules {
            friends_without_consent: false,
            request_ttl: Duration::from_secs(7 * 86_400),
            per_hour: 30,
            admins: Vec::new(),
        }
    }
}

/// The friend-request rules; zero days or a zero hourly budget are refused.
pub(super) fn people(s: &Settings) -> Result<PeopleRules, ConfigError> {
    if s.friend_request_days == 0 {
        return Err(ConfigError::Zero("PARLEY_FRIEND_REQUEST_DAYS"));
    }
    if s.friend_requests_per_hour == 0 {
        return Err(ConfigError::Zero("PARLEY_FRIEND_REQUESTS_PER_HOUR"));
    }
    Ok(PeopleRules {
        friends_without_consent: s.friends_without_consent,
        request_ttl: Duration::from_secs(u64::from(s.friend_request_days) * 86_400),
        per_hour: s.friend_requests_per_hour,
        admins: s
            .admins
            .split(',')
            .map(|a| a.trim().to_lowercase())
            .filter(|a| !a.is_empty())
            .collect(),
    })
}

/// What people may do to messages after sending them, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActionLimits {
    /// How long a text stays editable by its sender; zero: never.
    pub edit_window: Duration,
    /// How long a message stays recallable by its sender; zero: never.
    pub recall_window: Duration,
    /// Actions per user per minute on one node.
    pub per_minute: u32,
}

impl Default for ActionLimits {
    fn default() -> ActionLimits {
        ActionLimits {
            edit_window: Duration::from_secs(86_400),
            recall_window: Duration::from_secs(120),
            per_minute: 120,
        }
    }
}

/// The action limits; a zero rate would refuse every action, so it is refused.
pub(super) fn actions(s: &Settings) -> Result<ActionLimits, ConfigError> {
    if s.actions_per_minute == 0 {
        return Err(ConfigError::Zero("PARLEY_ACTIONS_PER_MINUTE"));
    }
    Ok(ActionLimits {
        edit_window: Duration::from_secs(s.edit_window_secs),
        recall_window: Duration::from_secs(s.recall_window_secs),
        per_minute: s.actions_per_minute,
    })
}

/// Refuses zero socket caps (nobody could connect) and a zero notice lifetime.
pub(super) fn check_sockets_and_notices(s: &Settings) -> Result<(), ConfigError> {
    for (name, v) in [
        ("PARLEY_MAX_SOCKETS_PER_USER", s.max_sockets_per_user),
        ("PARLEY_MAX_SOCKETS_PER_ADDR", s.max_sockets_per_addr),
        ("PARLEY_MAX_SOCKETS", s.max_sockets),
        ("PARLEY_NOTICE_TTL_DAYS", s.notice_ttl_days),
    ] {
        if v == 0 {
            return Err(ConfigError::Zero(name));
        }
    }
    Ok(())
}

/// Refuses zero request deadlines (every request would time out at once).
pub(super) fn check_deadlines(s: &Settings) -> Result<(), ConfigError> {
    for (name, v) in [
        ("PARLEY_HEADER_TIMEOUT_SECS", s.header_timeout_secs),
        ("PARLEY_BODY_IDLE_SECS", s.body_idle_secs),
        ("PARLEY_BODY_TOTAL_SECS", s.body_total_secs),
    ] {
        if v == 0 {
            return Err(ConfigError::Zero(name));
        }
    }
    Ok(())
}

/// The request deadlines, once [`check_deadlines`] passed.
pub(super) fn deadlines(s: &Settings) -> RequestDeadlines {
    RequestDeadlines {
        header: Duration::from_secs(s.header_timeout_secs),
        body_idle: Duration::from_secs(s.body_idle_secs),
        body_total: Duration::from_secs(s.body_total_secs),
    }
}

/// The WebSocket caps, once [`check_sockets_and_notices`] passed.
pub(super) fn socket_limits(s: &Settings) -> crate::delivery::registry::Limits {
    crate::delivery::registry::Limits {
        per_user: usize::try_from(s.max_sockets_per_user).unwrap_or(usize::MAX),
        per_addr: usize::try_from(s.max_sockets_per_addr).unwrap_or(usize::MAX),
        total: usize::try_from(s.max_sockets).unwrap_or(usize::MAX),
    }
}
