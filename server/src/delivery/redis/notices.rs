//! The notices every node acts on, sent on the `<prefix>all` channel: typed here, written
//! and read in one place. They are short text lines (`<verb> <argument>`) because two of them
//! are published by Lua scripts (scripts::ONLINE and scripts::OFFLINE publish [`Notice::Online`]
//! and [`Notice::Offline`] from inside Redis); the verbs below are the only place that knows
//! them, and a test checks the scripts use the same.

use app::ids::{GroupId, UserId};

const ONLINE: &str = "p+";
const OFFLINE: &str = "p-";
const CLOSE: &str = "close";
const FRIENDS: &str = "fc";
const MEMBERS: &str = "mc";

/// One notice from a node to all nodes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Friends were told these users are online.
    Online(Vec<UserId>),
    /// Friends were told these users are offline.
    Offline(Vec<UserId>),
    /// Close every socket of this login session (its token hash): a logout.
    CloseSession(String),
    /// These users' friend lists changed: forget them from the caches.
    FriendsChanged(Vec<UserId>),
    /// This group's members changed: forget them from the caches.
    MembersChanged(GroupId),
}

fn join(users: &[UserId]) -> String {
    users
        .iter()
        .map(|u| u.0.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The user ids of a comma-separated list; `None` if any is not a number.
pub fn parse_users(text: &str) -> Option<Vec<UserId>> {
    text.split(',')
        .map(|s| s.parse().ok().map(UserId))
        .collect()
}

impl Notice {
    /// The line published for this notice.
    pub fn encode(&self) -> String {
        match self {
            Notice::Online(users) => format!("{ONLINE} {}", join(users)),
            Notice::Offline(users) => format!("{OFFLINE} {}", join(users)),
            Notice::CloseSession(hash) => format!("{CLOSE} {hash}"),
            Notice::FriendsChanged(users) => format!("{FRIENDS} {}", join(users)),
            Notice::MembersChanged(g) => format!("{MEMBERS} {}", g.0),
        }
    }

    /// Reads a published line; `None` for a malformed or unknown one (a newer node's), which
    /// the receiver ignores.
    pub fn parse(line: &str) -> Option<Notice> {
        let (verb, arg) = line.split_once(' ')?;
        Some(match verb {
            ONLINE => Notice::Online(parse_users(arg)?),
            OFFLINE => Notice::Offline(parse_users(arg)?),
            CLOSE if !arg.is_empty() => Notice::CloseSession(arg.to_owned()),
            FRIENDS => Notice::FriendsChanged(parse_users(arg)?),
            MEMBERS => Notice::MembersChanged(GroupId(arg.parse().ok()?)),
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_reads_back_as_itself() {
        for n in [
            Notice::Online(vec![UserId(7)]),
            Notice::Offline(vec![UserId(7), UserId(9)]),
            Notice::CloseSession("ab12".into()),
            Notice::FriendsChanged(vec![UserId(1), UserId(2)]),
            Notice::MembersChanged(GroupId(5)),
        ] {
            assert_eq!(Notice::parse(&n.encode()), Some(n));
        }
        for bad in ["", "p+", "p+ x", "close ", "mc 1,2", "zz 1", "fc 1,,2"] {
            assert_eq!(Notice::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_scripts_publish_the_same_verbs() {
        use super::super::scripts;
        assert!(scripts::ONLINE.contains(&format!("'{ONLINE} '")));
        assert!(scripts::OFFLINE.contains(&format!("'{OFFLINE} '")));
        assert_eq!(
            Notice::parse(&format!("{ONLINE} 42")),
            Some(Notice::Online(vec![UserId(42)]))
        );
    }
}
