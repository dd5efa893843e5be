//! Keeping secrets out of logs and error messages: the password of a URL (`DATABASE_URL`,
//! `REDIS_URL`) is shown as `***`. The hand-written `Debug` impls of the settings use it.

/// Replaces the password of a URL with `***` for logs and error messages.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => raw.to_owned(),
    }
}
