//! Dates and times as the reader expects them: in their own time zone and language.
//!
//! The server renders the page before any script runs, so it must know the reader's clock:
//! the browser keeps its UTC offset in a cookie ([`TZ_COOKIE`]) that every request carries.
//! Both sides start from that cookie, so the hydrated page equals the server's; the browser
//! then corrects it if the cookie was missing or stale (a first visit, a trip abroad), and the
//! labels update in place. One offset serves every date on the page: a message from before a
//! daylight-saving change shows an hour off, which a chat list can live with.

use crate::error::{ApiError, ErrorCode, Field};
use crate::i18n::{td_string, Locale};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Weekday};
use leptos::prelude::*;

/// The cookie holding the browser's offset from UTC, in minutes east (UTC+8 is `480`).
pub const TZ_COOKIE: &str = "parley_tz";

/// The reader's clock: their UTC offset and the current time, both reactive.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Minutes east of UTC.
    pub offset_min: RwSignal<i32>,
    /// Now, in ms since the epoch; ticks every minute in the browser so "Today" and
    /// "Yesterday" stay true past midnight.
    pub now_ms: RwSignal<i64>,
}

/// The clock for this page; provided by [`provide_clock`].
pub fn use_clock() -> Option<Clock> {
    use_context::<Clock>()
}

/// Parses the cookie's value: minutes east of UTC, within the real range (±18 h).
pub fn parse_offset(value: &str) -> Option<i32> {
    value
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|m| m.abs() <= 18 * 60)
}

/// Finds [`TZ_COOKIE`] in a `Cookie` header's value.
pub fn offset_from_cookies(header: &str) -> Option<i32> {
    header.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == TZ_COOKIE).then(|| parse_offset(value)).flatten()
    })
}

/// Provides the page's [`Clock`]: on the server from the request's cookie (UTC without it),
/// in the browser from the same cookie, then corrected to the browser's real offset.
pub fn provide_clock() -> Clock {
    let clock = Clock {
        offset_min: RwSignal::new(initial_offset()),
        now_ms: RwSignal::new(now_ms()),
    };
    provide_context(clock);
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| {
            // getTimezoneOffset is minutes *west* of UTC.
            let real = -(js_sys::Date::new_0().get_timezone_offset().round() as i32);
            if clock.offset_min.get_untracked() != real {
                clock.offset_min.set(real);
            }
            if let Some(doc) = document_html() {
                let _ = doc.set_cookie(&format!(
                    "{TZ_COOKIE}={real}; path=/; max-age=31536000; samesite=lax"
                ));
            }
            clock.now_ms.set(now_ms());
        });
        let tick = set_interval_with_handle(
            move || clock.now_ms.set(now_ms()),
            std::time::Duration::from_secs(60),
        );
        if let Ok(handle) = tick {
            on_cleanup(move || handle.clear());
        }
    }
    clock
}

#[cfg(feature = "hydrate")]
fn document_html() -> Option<web_sys::HtmlDocument> {
    use leptos::wasm_bindgen::JsCast;
    web_sys::window()?.document()?.dyn_into().ok()
}

#[cfg(feature = "hydrate")]
fn initial_offset() -> i32 {
    document_html()
        .and_then(|d| d.cookie().ok())
        .and_then(|c| offset_from_cookies(&c))
        .unwrap_or(0)
}

#[cfg(all(feature = "ssr", not(feature = "hydrate")))]
fn initial_offset() -> i32 {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get_all(http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(offset_from_cookies)
        })
        .unwrap_or(0)
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
fn initial_offset() -> i32 {
    0
}

/// Now, in ms since the epoch.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        // Whole milliseconds since the epoch fit an i64 exactly.
        format!("{}", js_sys::Date::now().round())
            .parse()
            .unwrap_or(0)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .unwrap_or(0)
    }
}

/// `ts` (ms since the epoch) on the reader's clock.
fn local(ts_ms: i64, offset_min: i32) -> Option<DateTime<FixedOffset>> {
    let tz = FixedOffset::east_opt(offset_min.checked_mul(60)?)?;
    Some(DateTime::from_timestamp_millis(ts_ms)?.with_timezone(&tz))
}

/// The calendar day of `ts` on the reader's clock; separators group messages by it.
pub fn local_day(ts_ms: i64, offset_min: i32) -> Option<NaiveDate> {
    local(ts_ms, offset_min).map(|t| t.date_naive())
}

/// The time of day, `14:05` (both languages use the 24-hour clock in chat).
pub fn clock_time(ts_ms: i64, offset_min: i32) -> String {
    local(ts_ms, offset_min)
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_default()
}

fn weekday(locale: Locale, day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => td_string!(locale, weekday_0),
        Weekday::Tue => td_string!(locale, weekday_1),
        Weekday::Wed => td_string!(locale, weekday_2),
        Weekday::Thu => td_string!(locale, weekday_3),
        Weekday::Fri => td_string!(locale, weekday_4),
        Weekday::Sat => td_string!(locale, weekday_5),
        Weekday::Sun => td_string!(locale, weekday_6),
    }
}

fn month(locale: Locale, m: u32) -> &'static str {
    match m {
        1 => td_string!(locale, month_1),
        2 => td_string!(locale, month_2),
        3 => td_string!(locale, month_3),
        4 => td_string!(locale, month_4),
        5 => td_string!(locale, month_5),
        6 => td_string!(locale, month_6),
        7 => td_string!(locale, month_7),
        8 => td_string!(locale, month_8),
        9 => td_string!(locale, month_9),
        10 => td_string!(locale, month_10),
        11 => td_string!(locale, month_11),
        _ => td_string!(locale, month_12),
    }
}

/// A date in the reader's language: `Nov 23` / `11月23日`, with the year when it is not
/// this year's.
fn date(locale: Locale, day: NaiveDate, this_year: bool) -> String {
    match (locale, this_year) {
        (Locale::zh_CN, true) => format!("{}{}日", month(locale, day.month()), day.day()),
        (Locale::zh_CN, false) => {
            format!(
                "{}年{}{}日",
                day.year(),
                month(locale, day.month()),
                day.day()
            )
        }
        (Locale::en, true) => format!("{} {}", month(locale, day.month()), day.day()),
        (Locale::en, false) => {
            format!(
                "{} {}, {}",
                month(locale, day.month()),
                day.day(),
                day.year()
            )
        }
    }
}

/// How old a day is, seen from today: today, yesterday, within the last week, or older.
fn age(day: NaiveDate, today: NaiveDate) -> i64 {
    (today - day).num_days()
}

/// The separator above a day's first message: "Today", "Yesterday", the weekday within the
/// last week, else the date with its weekday.
pub fn day_label(locale: Locale, day: NaiveDate, today: NaiveDate) -> String {
    match age(day, today) {
        0 => td_string!(locale, today).to_owned(),
        1 => td_string!(locale, yesterday).to_owned(),
        2..=6 => weekday(locale, day.weekday()).to_owned(),
        _ => {
            let d = date(locale, day, day.year() == today.year());
            match locale {
                Locale::zh_CN => format!("{d} {}", weekday(locale, day.weekday())),
                Locale::en => format!("{}, {d}", weekday(locale, day.weekday())),
            }
        }
    }
}

/// The time in the conversation list: the time today, "Yesterday", the weekday within the
/// last week, else the date.
pub fn list_time(locale: Locale, ts_ms: i64, now_ms: i64, offset_min: i32) -> String {
    let (Some(day), Some(today)) = (local_day(ts_ms, offset_min), local_day(now_ms, offset_min))
    else {
        return String::new();
    };
    match age(day, today) {
        i64::MIN..=0 => clock_time(ts_ms, offset_min),
        1 => td_string!(locale, yesterday).to_owned(),
        2..=6 => weekday(locale, day.weekday()).to_owned(),
        _ => date(locale, day, day.year() == today.year()),
    }
}

/// When something was last active ("last seen", a session's last use): "just now",
/// "12 min ago", "today 14:05", "yesterday 09:30", else the list's date.
pub fn seen_time(locale: Locale, ts_ms: i64, now_ms: i64, offset_min: i32) -> String {
    let mins = now_ms.saturating_sub(ts_ms) / 60_000;
    if mins < 1 {
        return td_string!(locale, just_now).to_owned();
    }
    if mins < 60 {
        return td_string!(locale, minutes_ago).replace("{n}", &mins.to_string());
    }
    let (Some(day), Some(today)) = (local_day(ts_ms, offset_min), local_day(now_ms, offset_min))
    else {
        return String::new();
    };
    let at = clock_time(ts_ms, offset_min);
    match age(day, today) {
        i64::MIN..=0 => format!("{} {at}", td_string!(locale, today_lower)),
        1 => format!("{} {at}", td_string!(locale, yesterday_lower)),
        _ => list_time(locale, ts_ms, now_ms, offset_min),
    }
}

/// An error as the reader should see it. In English that is the server's own message (it may
/// be more specific than its code); in Chinese the code's (or the field rule's) translation.
pub fn error_text(locale: Locale, e: &ApiError) -> String {
    match (locale, e.field) {
        (Locale::en, _) => e.msg.clone(),
        (_, Some(field)) if e.code == ErrorCode::InvalidField => {
            field_rule(locale, field).to_owned()
        }
        _ => code_text(locale, e.code).to_owned(),
    }
}

fn code_text(locale: Locale, code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::InvalidField => td_string!(locale, error.invalid_field),
        ErrorCode::InvalidBody => td_string!(locale, error.invalid_body),
        ErrorCode::Unauthorized => td_string!(locale, error.unauthorized),
        ErrorCode::InvalidCredentials => td_string!(locale, error.invalid_credentials),
        ErrorCode::UsernameTaken => td_string!(locale, error.username_taken),
        ErrorCode::TooManyAttempts => td_string!(locale, error.too_many_attempts),
        ErrorCode::TooManyRegistrations => td_string!(locale, error.too_many_registrations),
        ErrorCode::NotFound => td_string!(locale, error.not_found),
        ErrorCode::Forbidden => td_string!(locale, error.forbidden),
        ErrorCode::CannotFriendSelf => td_string!(locale, error.cannot_friend_self),
        ErrorCode::AlreadyFriends => td_string!(locale, error.already_friends),
        ErrorCode::NotFriends => td_string!(locale, error.not_friends),
        ErrorCode::AlreadyMember => td_string!(locale, error.already_member),
        ErrorCode::NotMember => td_string!(locale, error.not_member),
        ErrorCode::NotOwner => td_string!(locale, error.not_owner),
        ErrorCode::OwnerCannotLeave => td_string!(locale, error.owner_cannot_leave),
        ErrorCode::GroupFull => td_string!(locale, error.group_full),
        ErrorCode::OwnedGroupsLimit => td_string!(locale, error.owned_groups_limit),
        ErrorCode::BadFrame => td_string!(locale, error.bad_frame),
        ErrorCode::FrameTooLarge => td_string!(locale, error.frame_too_large),
        ErrorCode::UnknownCmd => td_string!(locale, error.unknown_cmd),
        ErrorCode::InvalidMedia => td_string!(locale, error.invalid_media),
        ErrorCode::InvalidPayload => td_string!(locale, error.invalid_payload),
        ErrorCode::NotFriendsLimit => td_string!(locale, error.not_friends_limit),
        ErrorCode::CidConflict => td_string!(locale, error.cid_conflict),
        ErrorCode::FileTooLarge => td_string!(locale, error.file_too_large),
        ErrorCode::UnsupportedMedia => td_string!(locale, error.unsupported_media),
        ErrorCode::ImageTooLarge => td_string!(locale, error.image_too_large),
        ErrorCode::TooManyUploads => td_string!(locale, error.too_many_uploads),
        ErrorCode::MediaNotFound => td_string!(locale, error.media_not_found),
        ErrorCode::NotAuthor => td_string!(locale, error.not_author),
        ErrorCode::EditWindowPassed => td_string!(locale, error.edit_window_passed),
        ErrorCode::RecallWindowPassed => td_string!(locale, error.recall_window_passed),
        ErrorCode::Recalled => td_string!(locale, error.recalled),
        ErrorCode::TooManyReactions => td_string!(locale, error.too_many_reactions),
        ErrorCode::TooManyActions => td_string!(locale, error.too_many_actions),
        ErrorCode::CrossOrigin => td_string!(locale, error.cross_origin),
        ErrorCode::TooManyConnections => td_string!(locale, error.too_many_connections),
        ErrorCode::RequestTimeout => td_string!(locale, error.request_timeout),
        ErrorCode::Unavailable => td_string!(locale, error.unavailable),
        ErrorCode::Internal => td_string!(locale, error.internal),
        ErrorCode::Blocked => td_string!(locale, error.blocked),
        ErrorCode::WrongPassword => td_string!(locale, error.wrong_password),
        ErrorCode::RequestsClosed => td_string!(locale, error.requests_closed),
    }
}

fn field_rule(locale: Locale, field: Field) -> &'static str {
    match field {
        Field::Username => td_string!(locale, field_rule.username),
        Field::Password => td_string!(locale, field_rule.password),
        Field::Nickname => td_string!(locale, field_rule.nickname),
        Field::Avatar => td_string!(locale, field_rule.avatar),
        Field::Q => td_string!(locale, field_rule.q),
        Field::UserId => td_string!(locale, field_rule.user_id),
        Field::Name => td_string!(locale, field_rule.name),
        Field::Icon => td_string!(locale, field_rule.icon),
        Field::Memo => td_string!(locale, field_rule.memo),
        Field::Note => td_string!(locale, field_rule.note),
        Field::Status => td_string!(locale, field_rule.status),
        Field::Reason => td_string!(locale, field_rule.reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-24 09:30 UTC, a Tuesday.
    const NOW: i64 = 1_795_512_600_000;
    const HOUR: i64 = 3_600_000;

    #[test]
    fn the_cookie_is_read_strictly() {
        assert_eq!(offset_from_cookies("a=1; parley_tz=480; b=2"), Some(480));
        assert_eq!(offset_from_cookies("parley_tz=-300"), Some(-300));
        assert_eq!(offset_from_cookies("parley_tz=99999"), None);
        assert_eq!(offset_from_cookies("parley_tz=x"), None);
        assert_eq!(offset_from_cookies("xparley_tz=60"), None);
    }

    #[test]
    fn times_follow_the_readers_offset() {
        assert_eq!(clock_time(NOW, 0), "09:30");
        assert_eq!(clock_time(NOW, 480), "17:30");
        assert_eq!(clock_time(NOW, -600), "23:30");
        // 09:30 UTC is still Monday in Hawaii.
        let today = local_day(NOW, 0).unwrap_or_default();
        let hawaii = local_day(NOW, -600).unwrap_or_default();
        assert_eq!(today.weekday(), Weekday::Tue);
        assert_eq!(hawaii.weekday(), Weekday::Mon);
    }

    #[test]
    fn day_labels_in_both_languages() {
        let today = local_day(NOW, 480).unwrap_or_default();
        let day = |h: i64| local_day(NOW - h * HOUR, 480).unwrap_or_default();
        assert_eq!(day_label(Locale::en, day(0), today), "Today");
        assert_eq!(day_label(Locale::zh_CN, day(24), today), "昨天");
        assert_eq!(day_label(Locale::en, day(72), today), "Saturday");
        assert_eq!(day_label(Locale::zh_CN, day(72), today), "星期六");
        assert_eq!(
            day_label(Locale::en, day(24 * 10), today),
            "Saturday, Nov 14"
        );
        assert_eq!(
            day_label(Locale::zh_CN, day(24 * 10), today),
            "11月14日 星期六"
        );
        assert_eq!(
            day_label(Locale::en, day(24 * 365), today),
            "Monday, Nov 24, 2025"
        );
        assert_eq!(
            day_label(Locale::zh_CN, day(24 * 365), today),
            "2025年11月24日 星期一"
        );
    }

    #[test]
    fn errors_in_both_languages() {
        let e = ApiError::with_msg(ErrorCode::NotFriendsLimit, "specific words");
        assert_eq!(error_text(Locale::en, &e), "specific words");
        assert_eq!(
            error_text(Locale::zh_CN, &e),
            "对方回复前，你最多可以给非好友发 3 条消息。"
        );
        let e = ApiError::invalid(Field::Password);
        assert_eq!(error_text(Locale::en, &e), Field::Password.rule());
        assert_eq!(error_text(Locale::zh_CN, &e), "密码须为 8 到 1024 个字符。");
        // The English table is the code's own default message, word for word.
        for &code in ErrorCode::ALL {
            assert_eq!(code_text(Locale::en, code), code.default_msg());
            assert!(!code_text(Locale::zh_CN, code).is_empty());
        }
        for field in Field::ALL {
            assert_eq!(field_rule(Locale::en, field), field.rule());
        }
    }

    #[test]
    fn seen_times() {
        // 2026-12-03 12:00 UTC.
        let now = 1_796_299_200_000;
        let min = 60_000;
        assert_eq!(seen_time(Locale::en, now - 20_000, now, 0), "just now");
        assert_eq!(seen_time(Locale::en, now - 12 * min, now, 0), "12 min ago");
        assert_eq!(
            seen_time(Locale::zh_CN, now - 12 * min, now, 0),
            "12 分钟前"
        );
        assert_eq!(
            seen_time(Locale::en, now - 3 * 60 * min, now, 0),
            "today 09:00"
        );
        assert_eq!(
            seen_time(Locale::zh_CN, now - 3 * 60 * min, now, 480),
            "今天 17:00"
        );
        assert_eq!(
            seen_time(Locale::en, now - 24 * 60 * min, now, 0),
            "yesterday 12:00"
        );
        assert_eq!(
            seen_time(Locale::en, now - 30 * 24 * 60 * min, now, 0),
            "Nov 3"
        );
    }

    #[test]
    fn list_times() {
        assert_eq!(list_time(Locale::en, NOW - HOUR, NOW, 0), "08:30");
        assert_eq!(list_time(Locale::en, NOW - 24 * HOUR, NOW, 0), "Yesterday");
        assert_eq!(
            list_time(Locale::zh_CN, NOW - 30 * 24 * HOUR, NOW, 0),
            "10月25日"
        );
        // A clock running slightly behind the server's still says "today".
        assert_eq!(list_time(Locale::en, NOW + HOUR, NOW, 0), "10:30");
    }
}
