//! What every part of the chat shell shares: who is logged in, my groups, the open group and
//! the Groups tab's notice. [`ChatShell`](crate::pages::chat) provides it once as a Leptos
//! context, so the panels and the pane read it instead of threading it through their props.

use super::notice::Notice;
use crate::error::ApiError;
use crate::ids::{GroupId, UserId};
use crate::protocol::people::FriendRequests;
use crate::protocol::{Friend, MyGroup, User};
use leptos::prelude::*;
use std::collections::HashMap;

/// My groups, as the server lists them.
pub type GroupsResource = Resource<Result<Vec<MyGroup>, ApiError>>;

/// My friends, as the server lists them.
pub type FriendsResource = Resource<Result<Vec<Friend>, ApiError>>;

/// The friend requests waiting for me and mine still pending.
pub type RequestsResource = Resource<Result<FriendRequests, ApiError>>;

/// The people I blocked.
pub type BlockedResource = Resource<Result<Vec<User>, ApiError>>;

/// The chat shell's shared state. Every field is a reactive handle or an id, so it is `Copy`
/// and cheap to read anywhere below the shell.
#[derive(Clone, Copy)]
pub struct ShellContext {
    /// The logged-in user.
    pub me: UserId,
    /// My groups: the Groups tab lists them, the pane reads my role from them, and both
    /// refetch them after a change.
    pub groups: GroupsResource,
    /// My friends: the Friends tab lists them and changes them; contact cards read them to
    /// offer "Add friend" or "Message".
    pub friends: FriendsResource,
    /// Friend requests both ways: the Friends tab lists them, its tab counts them.
    pub requests: RequestsResource,
    /// Whom I blocked: group messages from them collapse.
    pub blocked: BlockedResource,
    /// The group open in the pane, from the address.
    pub selected: Memo<Option<GroupId>>,
    /// Opens a group in the pane (`None` closes it) by changing the address.
    pub open_group: Callback<Option<GroupId>>,
    /// The Groups tab's notice; the pane reports here when it closes itself (leave, dissolve).
    pub group_notice: RwSignal<Option<Notice>>,
    /// Presence heard live since the friends list was fetched (cmd 13), newest per friend;
    /// emptied when the list is fetched again after a reconnect.
    pub presence: RwSignal<HashMap<UserId, bool>>,
    /// When friends who went offline since the list was fetched were last seen (ms; 0 when
    /// they hide it), heard live with their cmd 13.
    pub last_seen: RwSignal<HashMap<UserId, i64>>,
    /// Whether the Add friend dialog is open (the Friends tab's button, or the empty pane's).
    pub adding_friend: RwSignal<bool>,
    /// Whether the New group dialog is open (the Groups tab's button, or the empty pane's).
    pub creating_group: RwSignal<bool>,
    /// Whose profile sheet is open (contact cards and friend rows open it).
    pub profile: RwSignal<Option<UserId>>,
}

/// The shell's shared state, or `None` outside the chat shell. A component that gets `None`
/// renders nothing rather than panicking: that is a programming error, so it is logged.
pub fn use_shell() -> Option<ShellContext> {
    let shell = use_context::<ShellContext>();
    if shell.is_none() {
        leptos::logging::error!("a chat shell component was rendered outside ChatShell");
    }
    shell
}
