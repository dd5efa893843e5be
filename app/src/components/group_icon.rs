//! A group's round icon: its picture when it has a safe one, otherwise its initial.

use crate::i18n::{td_string, Locale};
use crate::protocol::{is_allowed_url, Group};
use leptos::prelude::*;

/// The group's icon, sized like a user avatar (add the `large` class for headers).
#[component]
pub fn GroupIcon(
    /// Whose icon.
    group: Group,
    /// Extra CSS classes, e.g. `large`.
    #[prop(optional, into)]
    class: String,
) -> impl IntoView {
    let initial: String = group
        .name
        .chars()
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    if group.icon.is_empty() || !is_allowed_url(&group.icon) {
        let class = format!("avatar group-avatar {class}");
        view! { <span class=class aria-hidden="true">{initial}</span> }.into_any()
    } else {
        let class = format!("avatar {class}");
        view! { <img class=class src=group.icon alt=""/> }.into_any()
    }
}

/// "1 member" or "N members".
pub fn member_count(locale: Locale, n: usize) -> String {
    if n == 1 {
        td_string!(locale, one_member).to_owned()
    } else {
        td_string!(locale, n_members, count = n).to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn member_counts_agree_in_number() {
        use crate::i18n::Locale;
        assert_eq!(super::member_count(Locale::en, 1), "1 member");
        assert_eq!(super::member_count(Locale::en, 0), "0 members");
        assert_eq!(super::member_count(Locale::en, 2), "2 members");
        assert_eq!(super::member_count(Locale::zh_CN, 2), "2 位成员");
    }
}
