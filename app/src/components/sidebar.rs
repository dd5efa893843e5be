//! The sidebar's tab strip and the address of every sidebar/pane state.
//!
//! The open tab and the open group live in the query string (`/?tab=groups&group=7`), so a
//! reload, the back button or a copied link shows the same thing, and the server renders it.

use crate::ids::GroupId;
use leptos::{html, prelude::*};

/// The sidebar's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// My friends (the default).
    Friends,
    /// My groups.
    Groups,
}

impl Tab {
    /// Reads the `tab` query parameter; anything but `groups` is the friends tab.
    pub fn parse(s: Option<&str>) -> Tab {
        if s == Some("groups") {
            Tab::Groups
        } else {
            Tab::Friends
        }
    }

    fn label(self) -> &'static str {
        match self {
            Tab::Friends => "Friends",
            Tab::Groups => "Groups",
        }
    }

    /// The id of the tab button; its panel is `panel-<id>`.
    pub fn id(self) -> &'static str {
        match self {
            Tab::Friends => "tab-friends",
            Tab::Groups => "tab-groups",
        }
    }

    /// The id of the tab's panel.
    pub fn panel_id(self) -> &'static str {
        match self {
            Tab::Friends => "panel-friends",
            Tab::Groups => "panel-groups",
        }
    }

    fn other(self) -> Tab {
        match self {
            Tab::Friends => Tab::Groups,
            Tab::Groups => Tab::Friends,
        }
    }
}

/// The chat shell's address for a tab and an open group.
pub fn shell_href(tab: Tab, group: Option<GroupId>) -> String {
    match (tab, group) {
        (Tab::Friends, None) => "/".to_owned(),
        (Tab::Friends, Some(g)) => format!("/?group={g}"),
        (Tab::Groups, None) => "/?tab=groups".to_owned(),
        (Tab::Groups, Some(g)) => format!("/?tab=groups&group={g}"),
    }
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
    let friends = NodeRef::<html::Button>::new();
    let groups = NodeRef::<html::Button>::new();
    let focus = move |t: Tab| {
        let button = match t {
            Tab::Friends => friends.get(),
            Tab::Groups => groups.get(),
        };
        if let Some(b) = button {
            let _ = b.focus();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        let next = match ev.key().as_str() {
            "ArrowLeft" | "ArrowRight" => tab.get_untracked().other(),
            "Home" => Tab::Friends,
            "End" => Tab::Groups,
            _ => return,
        };
        ev.prevent_default();
        on_select.run(next);
        focus(next);
    };
    let button = move |t: Tab, node: NodeRef<html::Button>| {
        view! {
            <button type="button" role="tab" id=t.id() class="tab" node_ref=node
                aria-controls=t.panel_id()
                aria-selected=move || if tab.get() == t { "true" } else { "false" }
                tabindex=move || if tab.get() == t { "0" } else { "-1" }
                on:click=move |_| on_select.run(t)>
                {t.label()}
            </button>
        }
    };
    view! {
        <div class="tabs" role="tablist" aria-label="Contacts" on:keydown=on_keydown>
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
        assert_eq!(shell_href(Tab::Friends, None), "/");
        assert_eq!(shell_href(Tab::Groups, None), "/?tab=groups");
        assert_eq!(
            shell_href(Tab::Groups, Some(GroupId(7))),
            "/?tab=groups&group=7"
        );
        assert_eq!(shell_href(Tab::Friends, Some(GroupId(7))), "/?group=7");
        assert_eq!(Tab::parse(Some("groups")), Tab::Groups);
        assert_eq!(Tab::parse(Some("nope")), Tab::Friends);
        assert_eq!(Tab::parse(None), Tab::Friends);
    }
}
