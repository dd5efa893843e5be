//! The wall clock, in the unit every stored time uses: milliseconds since the Unix epoch.
//! Its own room because every layer reads it (rules stamp changes, the session checks
//! expiry, uploads date files) and none of them should import another just for the time.

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
