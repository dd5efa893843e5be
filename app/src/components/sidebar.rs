//! The sidebar's tab strip and the address of every sidebar/pane state.
//!
//! The open tab, the open group and the open conversation live in the query string
//! (`/?tab=groups&group=7`, `/?c=p:3:9`), so a reload, the back button or a copied link shows
//! the same thing, and the server renders it.

use crate::i18n::{td_string, use_i18n, Locale};
use crate::ids::GroupId;
use crate::protocol::Conv;
use leptos::{html, prelude::*};

/// The sidebar's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// My conversations, newest first (the default).
    Chats,
    /// My friends.
    Friends,
    /// My groups.
    Groups,
}

impl Tab {
    const ALL: [Tab; 3] = [Tab::Chats, Tab::Friends, Tab::Groups];

    /// Reads the `tab` query parameter; anything unknown is the chats tab.
    pub fn parse(s: Option<&str>) -> Tab {
        match s {
            Some("friends") => Tab::Friends,
            Some("groups") => Tab::Groups,
            _ => Tab::Chats,
        }
    }

    /// The value of the `tab` query parameter (`None` for the default tab).
    fn param(self) -> Option<&'static str> {
        match self {
            Tab::Chats => None,
            Tab::Friends => Some("friends"),
            Tab::Groups => Some("groups"),
        }
    }

    fn label(self, locale: Locale) -> &'static str {
        match self {
            Tab::Chats => td_string!(locale, tab_chats),
            Tab::Friends => td_string!(locale, tab_friends),
            Tab::Groups => td_string!(locale, tab_groups),
        }
    }

    /// The id of the tab button; its panel is `panel-<id>`.
    pub fn id(self) -> &'static str {
        match self {
            Tab::Chats => "tab-chats",
            Tab::Friends => "tab-friends",
            Tab::Groups => "tab-groups",
        }
    }

    /// The id of the tab's panel.
    pub fn panel_id(self) -> &'static str {
        match self {
            Tab::Chats => "panel-chats",
            Tab::Friends => "panel-friends",
            Tab::Groups => "panel-groups",
        }
    }

    /// The tab `step` places after this one, wrapping around (arrow keys).
    fn step(self, step: isize) -> Tab {
        let i = Tab::ALL.iter().position(|t| *t == self).unwrap_or(0);
        let n = Tab::ALL.len();
        let next = (i + n).wrapping_add_signed(step) % n;
        Tab::ALL.get(next).copied().unwrap_or(Tab::Chats)
    }
}

/// The chat shell's address for a tab and an open group.
pub fn shell_href(tab: Tab, group: Option<GroupId>) -> String {
    let mut q = Vec::new();
    if let Some(t) = tab.param() {
        q.push(format!("tab={t}"));
    }
    if let Some(g) = group {
        q.push(format!("group={g}"));
    }
    if q.is_empty() {
        "/".to_owned()
    } else {
        format!("/?{}", q.join("&"))
    }
}

/// The chat shell's address with a conversation open (on the chats tab).
pub fn conv_href(conv: Conv) -> String {
    format!("/?c={conv}")
}

/// The tab strip (WAI-ARIA tabs: arrow keys, Home and End move between tabs).
#[component]
pub fn SidebarTabs(
    /// The tab that is showing.
    #[prop(into)]
    tab: Signal<Tab>,
    /// Shows another tab.
    on_select: Callback<Tab>,
) -> impl IntoView {
    let i18n = use_i18n();
    let chats = NodeRef::<html::Button>::new();
    let friends = NodeRef::<html::Button>::new();
    let groups = NodeRef::<html::Button>::new();
    let focus = move |t: Tab| {
        let button = match t {
            Tab::Chats => chats.get(),
            Tab::Friends => friends.get(),
            Tab::Groups => groups.get(),
        };
        if let Some(b) = button {
            let _ = b.focus();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowLeft" => tab.get_untracked().step(-1),
            "ArrowRight" => tab.get_untracked().step(1),
            "Home" => Tab::Chats,
            "End" => Tab::Groups,
            _ => return,
        };
        ev.prevent_default();
        on_select.run(next);
        focus(next);
    };
    // Requests waiting for my answer, on the Friends tab (as unread counts are on Chats).
    let shell = super::shell::use_shell();
    // Counted once hydrated: the server renders the tabs before the list is read, and the
    // hydrated page must start from the same markup.
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    let waiting = move || {
        if !mounted.get() {
            return None;
        }
        shell.and_then(|s| {
            s.requests.with(|r| match r {
                Some(Ok(r)) if !r.incoming.is_empty() => Some(r.incoming.len()),
                _ => None,
            })
        })
    };
    let button = move |t: Tab, node: NodeRef<html::Button>| {
        let badge = move || {
            (t == Tab::Friends)
                .then(waiting)
                .flatten()
                .map(|n| view! { <span class="badge unread" aria-label=move || td_string!(i18n.get_locale(), n_requests).replace("{n}", &n.to_string())>{n}</span> })
        };
        view! {
            <button type="button" role="tab" id=t.id() class="tab" node_ref=node
                aria-controls=t.panel_id()
                aria-selected=move || if tab.get() == t { "true" } else { "false" }
                tabindex=move || if tab.get() == t { "0" } else { "-1" }
                on:click=move |_| on_select.run(t)>
                {move || t.label(i18n.get_locale())}
                {badge}
            </button>
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label=move || td_string!(i18n.get_locale(), contacts) on:keydown=on_keydown>
            {button(Tab::Chats, chats)}
            {button(Tab::Friends, friends)}
            {button(Tab::Groups, groups)}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_round_trip() {
        assert_eq!(shell_href(Tab::Chats, None), "/");
        assert_eq!(shell_href(Tab::Friends, None), "/?tab=friends");
        assert_eq!(shell_href(Tab::Groups, None), "/?tab=groups");
        assert_eq!(
            shell_href(Tab::Groups, Some(GroupId(7))),
            "/?tab=groups&group=7"
        );
        assert_eq!(shell_href(Tab::Chats, Some(GroupId(7))), "/?group=7");
        for t in Tab::ALL {
            assert_eq!(Tab::parse(t.param()), t);
        }
        assert_eq!(Tab::parse(Some("nope")), Tab::Chats);
        assert_eq!(Tab::Chats.step(-1), Tab::Groups);
        assert_eq!(Tab::Groups.step(1), Tab::Chats);
        assert_eq!(Tab::Chats.step(1), Tab::Friends);
        let c = Conv::parse("p:3:9").unwrap();
        assert_eq!(conv_href(c), "/?c=p:3:9");
    }
}
