//! Building blocks of the pages: small shared pieces (form errors, avatars, dialogs,
//! notices) and the chat shell's sidebar panels and group pane, one component per file, with
//! the conversation pane in `conversation/` and the message composer in `composer/`.
//!
//! This file is only the index the pages import from: the components name each other by the
//! file that defines them (`super::basics::ErrorText`), never through these re-exports, so
//! no import goes back up and none closes a circle (`scripts/modgraph.py app/src`).

mod add_friend;
mod basics;
mod bidi;
mod composer;
mod confirm;
mod conversation;
mod create_group;
mod dialog;
mod friends;
mod group_icon;
mod group_pane;
mod groups;
mod join_group;
mod language;
mod lightbox;
pub mod message;
mod notice;
mod profile_sheet;
mod requests;
mod search_dialog;
mod shell;
mod sidebar;
mod sys_notice;

pub use add_friend::AddFriendDialog;
pub use basics::{go_to, shown_name, Avatar, ErrorText, FormError};
pub use bidi::isolate;
pub use confirm::ConfirmButton;
pub use conversation::{use_open_conv, ChatsPanel, ConversationPane};
pub use create_group::CreateGroupDialog;
pub use dialog::Modal;
pub use friends::FriendsPanel;
pub use group_icon::{member_count, GroupIcon};
pub use group_pane::GroupPane;
pub use groups::GroupsPanel;
pub use join_group::JoinGroupDialog;
pub use language::LanguageSwitch;
pub use notice::{Notice, NoticeLine, NoticeText};
pub use profile_sheet::ProfileSheet;
pub use search_dialog::{RowAction, SearchDialog};
pub use shell::{use_shell, FriendsResource, GroupsResource, ShellContext};
pub use sidebar::{conv_href, shell_href, SidebarTabs, Tab};
pub use sys_notice::SysNotice;
