//! Store-level tests of friend requests and blocks on SQLite, PostgreSQL and MySQL (when
//! configured): consent, decline, lapse, the race of two people asking each other at once,
//! and what a block removes.

use crate::common;

use app::error::ErrorCode;
use app::ids::UserId;
use app::protocol::User;
use server::rules::social::word;
use server::store::requests::{Ask, Asked};
use server::store::users::NewUser;
use server::store::{Store, StoreError};

const DAY: i64 = 86_400_000;

async fn user(s: &Store, name: &str) -> User {
    s.create_user(NewUser {
        username: name.to_owned(),
        nickname: name.to_uppercase(),
        password_hash: "x".to_owned(),
        now_ms: 1,
    })
    .await
    .unwrap()
}

fn ask(now: i64) -> Ask {
    Ask {
        note: "hi".to_owned(),
        expires_at: now + 7 * DAY,
        silent: false,
    }
}

fn ids(list: &[app::protocol::people::FriendRequest]) -> Vec<UserId> {
    list.iter().map(|r| r.user.id).collect()
}

#[tokio::test]
async fn a_request_waits_for_consent_and_decline_leaves_the_asker_pending() {
    for db in common::databases().await {
        let s = &db.store;
        let (amy, bob, cat) = (
            user(s, "amy").await,
            user(s, "bob").await,
            user(s, "cat").await,
        );
        let now = 1_000 * DAY;
        let asked = s.ask_friend(&amy, &bob, ask(now), word, now).await.unwrap();
        assert_eq!(asked.value, Asked::Requested, "{}", db.label);
        // Both are told (the asker's other devices update their list too).
        let told: Vec<UserId> = asked.notices.iter().map(|n| n.user).collect();
        assert_eq!(told, [bob.id, amy.id]);
        assert!(
            !s.are_friends(amy.id, bob.id).await.unwrap(),
            "no friendship yet"
        );
        // Asking again changes nothing and tells nobody.
        let again = s
            .ask_friend(&amy, &bob, ask(now + 1), word, now + 1)
            .await
            .unwrap();
        assert_eq!(
            (again.value, again.notices.len()),
            (Asked::AlreadyPending, 0)
        );

        let lists = s.friend_requests(bob.id, now).await.unwrap();
        assert_eq!(ids(&lists.incoming), [amy.id], "{}", db.label);
        assert_eq!(lists.incoming[0].note, "hi");
        assert_eq!(
            ids(&s.friend_requests(amy.id, now).await.unwrap().outgoing),
            [bob.id]
        );

        // Cat is declined: gone from Bob's list, still pending to Cat.
        s.ask_friend(&cat, &bob, ask(now), word, now).await.unwrap();
        let declined = s.decline_request(&bob, &cat, word, now).await.unwrap();
        assert_eq!(declined.notices.len(), 1);
        assert_eq!(
            declined.notices[0].user, bob.id,
            "only the decliner's devices"
        );
        let lists = s.friend_requests(bob.id, now).await.unwrap();
        assert_eq!(ids(&lists.incoming), [amy.id]);
        assert_eq!(
            ids(&s.friend_requests(cat.id, now).await.unwrap().outgoing),
            [bob.id]
        );
        let again = s.ask_friend(&cat, &bob, ask(now), word, now).await.unwrap();
        assert_eq!(
            (again.value, again.notices.len()),
            (Asked::AlreadyPending, 0)
        );
        let twice = s.decline_request(&bob, &cat, word, now).await.unwrap();
        assert!(twice.notices.is_empty());

        // Accepting makes the friendship; accepting again is the same answer, no notices.
        let accepted = s.accept_request(&bob, &amy, word, now).await.unwrap();
        assert_eq!(accepted.notices.len(), 2);
        assert!(s.are_friends(amy.id, bob.id).await.unwrap());
        assert!(s.are_friends(bob.id, amy.id).await.unwrap());
        let again = s.accept_request(&bob, &amy, word, now).await.unwrap();
        assert!(again.notices.is_empty());
        assert!(s
            .friend_requests(bob.id, now)
            .await
            .unwrap()
            .incoming
            .is_empty());
        // Nothing to accept from a stranger.
        let none = s.accept_request(&amy, &cat, word, now).await;
        assert!(
            matches!(none, Err(StoreError::Refused(ErrorCode::NotFound))),
            "{none:?}"
        );
        // Friends cannot ask.
        let friends = s.ask_friend(&amy, &bob, ask(now), word, now).await;
        assert!(matches!(
            friends,
            Err(StoreError::Refused(ErrorCode::AlreadyFriends))
        ));
        db.cleanup().await;
    }
}

#[tokio::test]
async fn requests_lapse_and_can_be_withdrawn() {
    for db in common::databases().await {
        let s = &db.store;
        let (amy, bob) = (user(s, "amy").await, user(s, "bob").await);
        let now = 1_000 * DAY;
        s.ask_friend(&amy, &bob, ask(now), word, now).await.unwrap();
        let later = now + 8 * DAY;
        assert!(s
            .friend_requests(bob.id, later)
            .await
            .unwrap()
            .incoming
            .is_empty());
        assert!(s
            .friend_requests(amy.id, later)
            .await
            .unwrap()
            .outgoing
            .is_empty());
        let late = s.accept_request(&bob, &amy, word, later).await;
        assert!(
            matches!(late, Err(StoreError::Refused(ErrorCode::NotFound))),
            "{}",
            db.label
        );
        // A lapsed request makes room for a new one, either way round.
        let renewed = s
            .ask_friend(&bob, &amy, ask(later), word, later)
            .await
            .unwrap();
        assert_eq!(renewed.value, Asked::Requested, "{}", db.label);
        assert_eq!(
            ids(&s.friend_requests(amy.id, later).await.unwrap().incoming),
            [bob.id]
        );
        // Withdrawn: both lists lose it, and both are told.
        let gone = s.withdraw_request(&bob, &amy, word, later).await.unwrap();
        assert_eq!(gone.notices.len(), 2);
        assert!(s
            .friend_requests(amy.id, later)
            .await
            .unwrap()
            .incoming
            .is_empty());
        assert!(s
            .withdraw_request(&bob, &amy, word, later)
            .await
            .unwrap()
            .notices
            .is_empty());
        // Pruning deletes what lapsed.
        s.ask_friend(&amy, &bob, ask(now), word, now).await.unwrap();
        assert_eq!(s.prune_requests(later).await.unwrap(), 1);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn two_people_asking_each_other_at_once_become_friends_once() {
    for db in common::databases().await {
        let s = &db.store;
        let now = 1_000 * DAY;
        for round in 0..8 {
            let a = user(s, &format!("ra{round}")).await;
            let b = user(s, &format!("rb{round}")).await;
            let (s1, s2) = (s.clone(), s.clone());
            let (a1, b1, a2, b2) = (a.clone(), b.clone(), a.clone(), b.clone());
            let one =
                tokio::spawn(async move { s1.ask_friend(&a1, &b1, ask(now), word, now).await });
            let two =
                tokio::spawn(async move { s2.ask_friend(&b2, &a2, ask(now), word, now).await });
            let mut outcomes = vec![
                one.await.unwrap().unwrap().value,
                two.await.unwrap().unwrap().value,
            ];
            outcomes.sort_by_key(|o| format!("{o:?}"));
            assert_eq!(
                outcomes,
                [Asked::Friends, Asked::Requested],
                "{} round {round}",
                db.label
            );
            assert!(s.are_friends(a.id, b.id).await.unwrap());
            assert!(s.are_friends(b.id, a.id).await.unwrap());
            assert_eq!(s.friend_ids(a.id).await.unwrap(), [b.id], "one friendship");
            assert!(s
                .friend_requests(a.id, now)
                .await
                .unwrap()
                .incoming
                .is_empty());
            assert!(s
                .friend_requests(b.id, now)
                .await
                .unwrap()
                .outgoing
                .is_empty());
        }
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_block_ends_the_friendship_and_the_requests_and_hides_both_ways() {
    for db in common::databases().await {
        let s = &db.store;
        let (amy, bob, cat) = (
            user(s, "amy").await,
            user(s, "bob").await,
            user(s, "cat").await,
        );
        let now = 1_000 * DAY;
        s.ask_friend(&amy, &bob, ask(now), word, now).await.unwrap();
        s.accept_request(&bob, &amy, word, now).await.unwrap();
        s.ask_friend(&cat, &bob, ask(now), word, now).await.unwrap();

        let blocked = s.block(&bob, &amy, word, now).await.unwrap();
        let kinds: Vec<(&str, UserId)> = blocked
            .notices
            .iter()
            .map(|n| (n.kind.as_str(), n.user))
            .collect();
        assert_eq!(
            kinds,
            [
                ("friend_removed", amy.id),
                ("friend_removed", bob.id),
                ("blocked", bob.id)
            ],
            "{}",
            db.label
        );
        assert!(!s.are_friends(amy.id, bob.id).await.unwrap());
        assert!(!s.are_friends(bob.id, amy.id).await.unwrap());
        assert_eq!(
            s.blocks_between(bob.id, amy.id).await.unwrap(),
            (true, false)
        );
        assert_eq!(
            s.blocks_between(amy.id, bob.id).await.unwrap(),
            (false, true)
        );
        assert_eq!(s.block_partners(amy.id).await.unwrap(), [bob.id]);
        assert_eq!(
            s.blocked_users(bob.id).await.unwrap(),
            std::slice::from_ref(&amy)
        );
        // Twice: nothing more.
        assert!(s
            .block(&bob, &amy, word, now)
            .await
            .unwrap()
            .notices
            .is_empty());

        // Blocking someone who asked removes the request.
        s.block(&bob, &cat, word, now).await.unwrap();
        assert!(s
            .friend_requests(bob.id, now)
            .await
            .unwrap()
            .incoming
            .is_empty());
        assert!(s
            .friend_requests(cat.id, now)
            .await
            .unwrap()
            .outgoing
            .is_empty());

        // A silent request (the asked blocked the asker) is stored declined, told to the
        // asker alone.
        let silent = Ask {
            silent: true,
            ..ask(now)
        };
        let asked = s.ask_friend(&amy, &bob, silent, word, now).await.unwrap();
        assert_eq!(asked.value, Asked::Requested);
        assert_eq!(
            asked.notices.iter().map(|n| n.user).collect::<Vec<_>>(),
            [amy.id]
        );
        assert!(s
            .friend_requests(bob.id, now)
            .await
            .unwrap()
            .incoming
            .is_empty());
        assert_eq!(
            ids(&s.friend_requests(amy.id, now).await.unwrap().outgoing),
            [bob.id]
        );

        let unblocked = s.unblock(&bob, &amy, word, now).await.unwrap();
        assert_eq!(unblocked.notices.len(), 1);
        assert_eq!(
            s.blocks_between(bob.id, amy.id).await.unwrap(),
            (false, false)
        );
        assert!(
            !s.are_friends(amy.id, bob.id).await.unwrap(),
            "a block's end is not a friendship"
        );
        assert!(s
            .unblock(&bob, &amy, word, now)
            .await
            .unwrap()
            .notices
            .is_empty());
        db.cleanup().await;
    }
}
