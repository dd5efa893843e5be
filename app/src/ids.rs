//! Newtype ids, so a user id can never be passed where another kind of id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The id of a registered user, assigned by the database and never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id of a group (a "community" in the seeds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GroupId(pub i64);

impl fmt::Display for GroupId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The id the server gives a stored message (`id` on the wire), unique across conversations
/// and never reused. Not a position: order within a conversation is its [`Seq`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A message's position in its conversation (`seq` on the wire): gap-free from 1, so a
/// client can tell exactly which messages it holds. 0 means "none" (nothing read yet, an
/// empty conversation).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Seq(pub i64);

impl Seq {
    /// The first message of every conversation.
    pub const FIRST: Seq = Seq(1);

    /// The seq right after this one.
    pub fn next(self) -> Seq {
        Seq(self.0 + 1)
    }
}

impl fmt::Display for Seq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A client's own id for a message (`cid` on the wire): 1-[`Cid::MAX_CHARS`] characters,
/// unique per sender, which makes sending idempotent (a resend stores nothing twice).
///
/// Only [`Cid::new`] (which checks) and [`Cid::random`] (valid by construction) make one,
/// and deserialising goes through [`Cid::new`], so a cid read from the network is always
/// checked. It serialises as the plain string.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Cid(String);

/// Why a string is not a [`Cid`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a cid is 1-{} characters", Cid::MAX_CHARS)]
pub struct InvalidCid;

impl Cid {
    /// Longest cid, in characters.
    pub const MAX_CHARS: usize = 64;

    /// Checks `cid`: 1-[`Cid::MAX_CHARS`] characters.
    pub fn new(cid: impl Into<String>) -> Result<Cid, InvalidCid> {
        let cid = cid.into();
        if cid.is_empty() || cid.chars().count() > Cid::MAX_CHARS {
            return Err(InvalidCid);
        }
        Ok(Cid(cid))
    }

    /// A fresh cid from 128 random bits: `prefix` then 32 hex digits. Each place that makes
    /// cids has its own prefix (browsers `b`, the server `w` for its no-JavaScript form and
    /// `s` for seed messages), so cids made in different places never meet.
    pub fn random(prefix: char, bits: u128) -> Cid {
        Cid(format!("{prefix}{bits:032x}"))
    }

    /// The cid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The cid as an owned string (for storage and wire frames).
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Cid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl AsRef<str> for Cid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<Cid> for String {
    fn from(cid: Cid) -> String {
        cid.0
    }
}

impl TryFrom<String> for Cid {
    type Error = InvalidCid;

    fn try_from(cid: String) -> Result<Cid, InvalidCid> {
        Cid::new(cid)
    }
}

impl TryFrom<&str> for Cid {
    type Error = InvalidCid;

    fn try_from(cid: &str) -> Result<Cid, InvalidCid> {
        Cid::new(cid)
    }
}

impl PartialEq<str> for Cid {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Cid {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl<'de> Deserialize<'de> for Cid {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cid, D::Error> {
        Cid::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_serialise_as_their_plain_values() {
        assert_eq!(serde_json::to_string(&MessageId(9)).unwrap(), "9");
        assert_eq!(serde_json::to_string(&Seq(3)).unwrap(), "3");
        assert_eq!(serde_json::from_str::<Seq>("7").unwrap(), Seq(7));
        let cid = Cid::new("c1").unwrap();
        assert_eq!(serde_json::to_string(&cid).unwrap(), r#""c1""#);
        assert_eq!(serde_json::from_str::<Cid>(r#""c1""#).unwrap(), cid);
        assert_eq!(cid.to_string(), "c1");
        assert_eq!(Seq(4).next(), Seq(5));
    }

    #[test]
    fn cids_are_checked_wherever_they_come_from() {
        assert_eq!(Cid::new(""), Err(InvalidCid));
        assert_eq!(Cid::new("c".repeat(65)), Err(InvalidCid));
        assert!(Cid::new("c".repeat(64)).is_ok());
        assert!(Cid::new("é".repeat(64)).is_ok(), "characters, not bytes");
        assert!(serde_json::from_str::<Cid>(r#""""#).is_err());
        assert!(serde_json::from_str::<Cid>(&format!(r#""{}""#, "c".repeat(65))).is_err());
        let r = Cid::random('b', u128::MAX);
        assert_eq!(r.as_str().len(), 33);
        assert_eq!(Cid::new(r.as_str()), Ok(r));
        assert_eq!(Cid::random('w', 1).as_str(), format!("w{:032x}", 1));
    }
}
