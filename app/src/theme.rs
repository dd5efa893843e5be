//! The colour theme: the system's choice unless the reader picks light or dark in Settings.
//! The choice is kept in a cookie, so the server renders `<html data-theme>` in it and the
//! page never flashes the other palette; the browser applies a change at once.

/// The cookie holding the reader's theme (`light` or `dark`; absent: the system's).
pub const THEME_COOKIE: &str = "parley_theme";

/// The reader's colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Theme {
    /// Follow the operating system's light or dark setting.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl Theme {
    /// Every choice, in the order Settings offers them.
    pub const ALL: [Theme; 3] = [Theme::System, Theme::Light, Theme::Dark];

    /// The `data-theme` value (none for the system's).
    pub fn attr(self) -> Option<&'static str> {
        match self {
            Theme::System => None,
            Theme::Light => Some("light"),
            Theme::Dark => Some("dark"),
        }
    }

    /// Reads a cookie value; anything else is the system's.
    pub fn parse(value: &str) -> Theme {
        match value.trim() {
            "light" => Theme::Light,
            "dark" => Theme::Dark,
            _ => Theme::System,
        }
    }
}

/// Finds [`THEME_COOKIE`] in a `Cookie` header's value.
pub fn theme_from_cookies(header: &str) -> Theme {
    header
        .split(';')
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == THEME_COOKIE).then(|| Theme::parse(value))
        })
        .unwrap_or_default()
}

/// The theme of the page being rendered: the request's cookie on the server, the
/// document's in the browser.
pub fn current_theme() -> Theme {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
            .map(|c| theme_from_cookies(&c))
            .unwrap_or_default()
    }
    #[cfg(all(feature = "ssr", not(feature = "hydrate")))]
    {
        leptos::prelude::use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get_all(http::header::COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .map(theme_from_cookies)
                    .find(|t| *t != Theme::System)
            })
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Theme::System
    }
}

/// Applies `theme` to the page at once and remembers it for the next one.
pub fn apply_theme(theme: Theme) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        if let Some(root) = doc.document_element() {
            let _ = match theme.attr() {
                Some(a) => root.set_attribute("data-theme", a),
                None => root.remove_attribute("data-theme"),
            };
        }
        if let Ok(html) = doc.dyn_into::<web_sys::HtmlDocument>() {
            let cookie = match theme.attr() {
                Some(a) => format!("{THEME_COOKIE}={a}; path=/; max-age=31536000; samesite=lax"),
                None => format!("{THEME_COOKIE}=; path=/; max-age=0; samesite=lax"),
            };
            let _ = html.set_cookie(&cookie);
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = theme;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cookie_is_read_strictly() {
        assert_eq!(theme_from_cookies("a=1; parley_theme=dark"), Theme::Dark);
        assert_eq!(theme_from_cookies("parley_theme=light; b=2"), Theme::Light);
        assert_eq!(theme_from_cookies("parley_theme=purple"), Theme::System);
        assert_eq!(theme_from_cookies(""), Theme::System);
        assert_eq!(Theme::System.attr(), None);
    }
}
