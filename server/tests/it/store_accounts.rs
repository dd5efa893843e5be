//! Store-level tests of users and sessions, on SQLite and (when configured) PostgreSQL.

use crate::common;

use app::error::ErrorCode;
use app::ids::UserId;
use app::protocol::people::PrivacyChange;
use server::store::sessions::NewSessionRow;
use server::store::users::NewUser;
use server::store::StoreError;

fn new_user(name: &str, nickname: &str) -> NewUser {
    NewUser {
        username: name.to_owned(),
        nickname: nickname.to_owned(),
        password_hash: "$argon2id$fake".to_owned(),
        now_ms: 1_000,
    }
}

#[tokio::test]
async fn users_are_unique_regardless_of_case() {
    for db in common::databases().await {
        let s = &db.store;
        let bob = s.create_user(new_user("Bob", "Bobby")).await.unwrap();
        assert_eq!(bob.username, "Bob");
        assert_eq!(bob.avatar, "");
        let dup = s.create_user(new_user("bob", "other")).await;
        assert!(
            matches!(dup, Err(StoreError::Refused(ErrorCode::UsernameTaken))),
            "{}: {dup:?}",
            db.label
        );
        let creds = s.credentials("BOB").await.unwrap().unwrap();
        assert_eq!(creds.user, bob);
        assert_eq!(creds.password_hash, "$argon2id$fake");
        assert!(s.credentials("nobody").await.unwrap().is_none());
        assert_eq!(s.user(bob.id).await.unwrap(), Some(bob.clone()));
        assert_eq!(s.user(UserId(bob.id.0 + 1000)).await.unwrap(), None);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn profile_updates_change_only_given_fields() {
    for db in common::databases().await {
        let s = &db.store;
        let u = s.create_user(new_user("carol", "Carol")).await.unwrap();
        let u2 = s
            .update_profile(u.id, None, Some("/media/a.png".into()), Some("Away".into()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(u2.nickname, "Carol");
        assert_eq!(u2.avatar, "/media/a.png");
        assert_eq!(u2.status, "Away");
        let u3 = s
            .update_profile(u.id, Some("Caz".into()), None, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (u3.nickname.as_str(), u3.avatar.as_str(), u3.status.as_str()),
            ("Caz", "/media/a.png", "Away")
        );
        let unchanged = s
            .update_profile(u.id, None, None, None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(unchanged, u3);
        assert!(s
            .update_profile(UserId(999_999), Some("x".into()), None, None)
            .await
            .unwrap()
            .is_none());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn search_finds_exact_usernames_and_fragments_of_discoverable_people_only() {
    for db in common::databases().await {
        let s = &db.store;
        let alice = s
            .create_user(new_user("alice", "Wonder Land"))
            .await
            .unwrap();
        let alina = s.create_user(new_user("alina", "Al")).await.unwrap();
        let pct = s.create_user(new_user("x_y", "100% real")).await.unwrap();
        let shy = s.create_user(new_user("alison", "Shy")).await.unwrap();
        let open = PrivacyChange {
            discoverable: Some(true),
            ..PrivacyChange::default()
        };
        for u in [&alice, &alina, &pct] {
            assert!(s.set_privacy(u.id, open).await.unwrap().discoverable);
        }
        assert!(!s.privacy(shy.id).await.unwrap().discoverable);
        let names =
            |v: Vec<app::protocol::User>| v.into_iter().map(|u| u.username).collect::<Vec<_>>();
        let find = |q: &'static str, hidden: Vec<UserId>, limit: u64| async move {
            names(s.search_users(q, &hidden, limit).await.unwrap())
        };

        // A fragment finds the discoverable only; Shy is found by the exact name alone.
        assert_eq!(
            find("ali", vec![], 20).await,
            ["alice", "alina"],
            "{}",
            db.label
        );
        assert_eq!(find("WONDER", vec![], 20).await, ["alice"], "{}", db.label);
        assert_eq!(find("ALISON", vec![], 20).await, ["alison"], "{}", db.label);
        assert!(find("aliso", vec![], 20).await.is_empty(), "{}", db.label);
        // `%` and `_` are literal characters, not wildcards.
        assert_eq!(find("%", vec![], 20).await, ["x_y"], "{}", db.label);
        assert_eq!(find("_", vec![], 20).await, ["x_y"], "{}", db.label);
        // An id finds nobody: ids are sequential, so they would list everyone.
        let by_id = s
            .search_users(&alina.id.to_string(), &[], 20)
            .await
            .unwrap();
        assert!(by_id.is_empty(), "{}", db.label);
        // The exact username comes first, even past the page of fragments.
        assert_eq!(find("alina", vec![], 1).await, ["alina"], "{}", db.label);
        assert_eq!(find("ali", vec![], 1).await.len(), 1);
        assert!(find("zzz", vec![], 20).await.is_empty());
        // Whoever stands on either side of a block with the searcher is never listed.
        assert_eq!(
            find("ali", vec![alice.id], 20).await,
            ["alina"],
            "{}",
            db.label
        );
        assert!(find("alison", vec![shy.id], 20).await.is_empty());
        db.cleanup().await;
    }
}

/// A session row of `user` stored under `hash`.
fn row(user: UserId, hash: &str, now_ms: i64, expires_at_ms: i64) -> NewSessionRow {
    NewSessionRow {
        user,
        token_hash: hash.into(),
        now_ms,
        expires_at_ms,
        device: "Firefox on Linux".into(),
        addr: "10.0.0.1".into(),
    }
}

#[tokio::test]
async fn sessions_expire_and_end() {
    for db in common::databases().await {
        let s = &db.store;
        let u = s.create_user(new_user("dave", "Dave")).await.unwrap();
        s.create_session(row(u.id, "h1", 1_000, 5_000))
            .await
            .unwrap();
        s.create_session(row(u.id, "h2", 1_000, 9_000))
            .await
            .unwrap();
        let dup = s.create_session(row(u.id, "h1", 1_000, 9_000)).await;
        assert!(matches!(dup, Err(StoreError::Duplicate)), "{}", db.label);

        let (who, live) = s.session_user("h1", 4_999).await.unwrap().unwrap();
        assert_eq!((who, live.expires_at), (u.clone(), 5_000));
        // Last use starts at login and moves when touched.
        assert_eq!(live.last_used_at, 1_000);
        s.touch_session(live.id, 2_500).await.unwrap();
        let (_, live) = s.session_user("h1", 4_999).await.unwrap().unwrap();
        assert_eq!(
            (live.last_used_at, live.device.as_str(), live.addr.as_str()),
            (2_500, "Firefox on Linux", "10.0.0.1")
        );
        assert_eq!(s.sessions_of(u.id, 4_999).await.unwrap().len(), 2);
        assert_eq!(
            s.sessions_of(u.id, 5_000).await.unwrap().len(),
            1,
            "expired ones are not listed"
        );
        assert_eq!(
            s.session_user("h1", 5_000).await.unwrap(),
            None,
            "expired at expires_at"
        );
        assert_eq!(s.session_user("nope", 0).await.unwrap(), None);

        assert_eq!(s.delete_session("h2").await.unwrap(), Some(u.id));
        assert_eq!(s.delete_session("h2").await.unwrap(), None);
        assert_eq!(s.session_user("h2", 1_000).await.unwrap(), None);

        s.create_session(row(u.id, "h3", 1_000, 20_000))
            .await
            .unwrap();
        assert_eq!(s.purge_expired_sessions(10_000).await.unwrap(), 1);
        let (who, live) = s.session_user("h3", 10_000).await.unwrap().unwrap();
        assert_eq!((who, live.expires_at), (u.clone(), 20_000));
        // Ending one by id needs its owner.
        let other = s.create_user(new_user("erin", "Erin")).await.unwrap();
        assert_eq!(s.end_session_of(other.id, live.id).await.unwrap(), None);
        assert_eq!(
            s.end_session_of(u.id, live.id).await.unwrap().as_deref(),
            Some("h3")
        );
        assert_eq!(s.session_user("h3", 10_000).await.unwrap(), None);
        db.cleanup().await;
    }
}
