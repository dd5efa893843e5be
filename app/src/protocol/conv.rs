//! Conversation keys (docs/api.md, "Conversations"): `p:<low user id>:<high user id>` for a 1:1 chat
//! and `g:<group id>` for a group. [`Conv`] is the parsed form; it is the only place keys are
//! built or read, so the low/high ordering exists once.

use crate::ids::{GroupId, UserId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A conversation: who takes part is decided by its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Conv {
    /// 1:1 between two different users; build it with [`Conv::private`] so `low < high`.
    Private {
        /// The smaller user id.
        low: UserId,
        /// The larger user id.
        high: UserId,
    },
    /// A group chat.
    Group(GroupId),
}

impl Conv {
    /// The 1:1 conversation of `a` and `b`, the same from either side; `None` for `a == b`.
    pub fn private(a: UserId, b: UserId) -> Option<Conv> {
        match a.cmp(&b) {
            std::cmp::Ordering::Less => Some(Conv::Private { low: a, high: b }),
            std::cmp::Ordering::Greater => Some(Conv::Private { low: b, high: a }),
            std::cmp::Ordering::Equal => None,
        }
    }

    /// The conversation of group `g`.
    pub fn group(g: GroupId) -> Conv {
        Conv::Group(g)
    }

    /// Parses a key strictly: positive ids (ids start at 1), `low < high`, nothing extra.
    pub fn parse(key: &str) -> Option<Conv> {
        fn id(s: &str) -> Option<i64> {
            // `str::parse` accepts a leading `+`; a key has exactly one spelling.
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
                return None;
            }
            s.parse().ok()
        }
        let mut parts = key.split(':');
        let conv = match (parts.next(), parts.next(), parts.next()) {
            (Some("p"), Some(a), Some(b)) => {
                let (low, high) = (UserId(id(a)?), UserId(id(b)?));
                (low < high).then_some(Conv::Private { low, high })?
            }
            (Some("g"), Some(g), None) => Conv::Group(GroupId(id(g)?)),
            _ => return None,
        };
        parts.next().is_none().then_some(conv)
    }

    /// The wire key.
    pub fn key(&self) -> String {
        self.to_string()
    }

    /// True when `user` takes part by the key alone (always false for groups: membership
    /// lives in the database).
    pub fn names(&self, user: UserId) -> bool {
        matches!(self, Conv::Private { low, high } if *low == user || *high == user)
    }

    /// In a 1:1 conversation that `me` is part of, the other person.
    pub fn peer_of(&self, me: UserId) -> Option<UserId> {
        match *self {
            Conv::Private { low, high } if low == me => Some(high),
            Conv::Private { low, high } if high == me => Some(low),
            _ => None,
        }
    }
}

impl fmt::Display for Conv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conv::Private { low, high } => write!(f, "p:{low}:{high}"),
            Conv::Group(g) => write!(f, "g:{g}"),
        }
    }
}

impl Serialize for Conv {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Conv {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Conv, D::Error> {
        let key = String::deserialize(d)?;
        Conv::parse(&key)
            .ok_or_else(|| serde::de::Error::custom(format!("not a conversation key: {key:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_strictly_and_round_trip() {
        let p = Conv::private(UserId(9), UserId(3)).unwrap();
        assert_eq!(p, Conv::private(UserId(3), UserId(9)).unwrap());
        assert_eq!(p.key(), "p:3:9");
        assert_eq!(Conv::parse("p:3:9"), Some(p));
        assert_eq!(Conv::parse("g:4"), Some(Conv::group(GroupId(4))));
        assert_eq!(Conv::private(UserId(3), UserId(3)), None);
        for bad in [
            "p:9:3", "p:3:3", "p:3", "g:x", "g:1:2", "x:1", "", "p:3:9:1", "p:-1:3", "p:0:3",
            "g:0", "g:-4", "p:+3:9", "p:03:9", "g: 4",
        ] {
            assert_eq!(Conv::parse(bad), None, "{bad}");
        }
        assert_eq!(p.peer_of(UserId(3)), Some(UserId(9)));
        assert_eq!(p.peer_of(UserId(9)), Some(UserId(3)));
        assert_eq!(p.peer_of(UserId(4)), None);
        assert!(p.names(UserId(3)) && !p.names(UserId(4)));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"p:3:9\"");
        assert_eq!(
            serde_json::from_str::<Conv>("\"g:4\"").unwrap(),
            Conv::Group(GroupId(4))
        );
        assert!(serde_json::from_str::<Conv>("\"p:9:3\"").is_err());
    }
}
