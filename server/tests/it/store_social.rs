//! Store-level tests of friendships and groups, on SQLite and (when configured) PostgreSQL:
//! atomicity of the two-row friendship, caps under concurrency, and the recorded notices.

use crate::common;

use app::error::ErrorCode;
use app::ids::GroupId;
use app::protocol::{GroupRole, User};
use sea_orm::{ConnectionTrait, Statement};
use server::rules::social::word;
use server::store::groups::NewGroup;
use server::store::users::NewUser;
use server::store::{Store, StoreError};

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

fn group(name: &str) -> NewGroup {
    NewGroup {
        name: name.to_owned(),
        icon: String::new(),
        memo: String::new(),
    }
}

fn refused(r: Result<impl std::fmt::Debug, StoreError>) -> ErrorCode {
    match r {
        Err(StoreError::Refused(code)) => code,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn contact_rows(db: &common::TestDb) -> i64 {
    let backend = db.raw.get_database_backend();
    let row = db
        .raw
        .query_one(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM contacts",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn friendship_is_both_rows_or_neither() {
    for db in common::databases().await {
        let s = &db.store;
        let (a, b, c) = (
            user(s, "ann").await,
            user(s, "ben").await,
            user(s, "cid").await,
        );

        s.add_friendship(&a, &b, word, 10).await.unwrap();
        assert!(s.are_friends(a.id, b.id).await.unwrap());
        assert!(s.are_friends(b.id, a.id).await.unwrap());
        assert_eq!(s.friends(a.id).await.unwrap(), vec![b.clone()]);
        assert_eq!(s.friends(b.id).await.unwrap(), vec![a.clone()]);
        assert!(matches!(
            s.add_friendship(&b, &a, word, 11).await,
            Err(StoreError::Refused(ErrorCode::AlreadyFriends))
        ));
        assert_eq!(contact_rows(&db).await, 2, "{}", db.label);

        // Arrange a stray reverse row c->a so the *second* insert of add(a, c) fails: the
        // first insert (a->c) must be rolled back with it.
        let sql = format!(
            "INSERT INTO contacts (owner_id, peer_id, created_at) VALUES ({}, {}, 1)",
            c.id, a.id
        );
        db.raw
            .execute(Statement::from_string(db.raw.get_database_backend(), sql))
            .await
            .unwrap();
        let before = s.notices(a.id, 0, 100).await.unwrap().len();
        assert!(matches!(
            s.add_friendship(&a, &c, word, 12).await,
            Err(StoreError::Refused(ErrorCode::AlreadyFriends))
        ));
        assert!(
            !s.are_friends(a.id, c.id).await.unwrap(),
            "{}: half friendship left",
            db.label
        );
        assert_eq!(contact_rows(&db).await, 3, "{}", db.label);
        assert_eq!(
            s.notices(a.id, 0, 100).await.unwrap().len(),
            before,
            "no notice either"
        );

        s.remove_friendship(&b, &a, word, 13).await.unwrap();
        assert!(!s.are_friends(a.id, b.id).await.unwrap());
        assert!(!s.are_friends(b.id, a.id).await.unwrap());
        assert_eq!(
            refused(s.remove_friendship(&a, &b, word, 14).await),
            ErrorCode::NotFriends
        );

        let kinds: Vec<String> = s
            .notices(b.id, 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.kind.as_str().to_owned())
            .collect();
        assert_eq!(kinds, ["friend_added", "friend_removed"], "{}", db.label);
        let first = &s.notices(b.id, 0, 100).await.unwrap()[0];
        assert_eq!(first.content, "ANN added you as a friend");
        assert_eq!(
            first.conv.as_deref(),
            Some(format!("p:{}:{}", a.id, b.id).as_str())
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn twenty_concurrent_joins_leave_exactly_twenty_one_members() {
    for db in common::databases().await {
        let s = db.store.clone();
        let owner = user(&s, "owner").await;
        let g = s.create_group(&owner, group("crowd"), 5, 1).await.unwrap();
        let mut joiners = Vec::new();
        for i in 0..20 {
            joiners.push(user(&s, &format!("j{i:02}")).await);
        }
        let tasks: Vec<_> = joiners
            .iter()
            .cloned()
            .map(|u| {
                let s = s.clone();
                tokio::spawn(async move { s.join_group(g.id, &u, 500, word, 2).await })
            })
            .collect();
        for t in tasks {
            let joined = t.await.unwrap().unwrap();
            assert_eq!(joined.value.role, GroupRole::Member);
        }
        let members = s.members(g.id).await.unwrap();
        assert_eq!(members.len(), 21, "{}", db.label);
        assert_eq!(
            s.group(g.id).await.unwrap().unwrap().member_count,
            21,
            "{}",
            db.label
        );
        assert_eq!(members[0].user, owner);
        assert_eq!(members[0].role, GroupRole::Owner);
        // Joining again is refused and changes nothing.
        assert_eq!(
            refused(s.join_group(g.id, &joiners[0], 500, word, 3).await),
            ErrorCode::AlreadyMember
        );
        assert_eq!(s.group(g.id).await.unwrap().unwrap().member_count, 21);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_member_cap_holds_under_concurrency() {
    for db in common::databases().await {
        let s = db.store.clone();
        let owner = user(&s, "owner").await;
        let g = s.create_group(&owner, group("small"), 5, 1).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..8 {
            let u = user(&s, &format!("k{i}")).await;
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                s.join_group(g.id, &u, 4, word, 2).await
            }));
        }
        let mut joined = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => joined += 1,
                Err(e) => assert_eq!(refused(Err::<(), _>(e)), ErrorCode::GroupFull),
            }
        }
        assert_eq!(joined, 3, "{}", db.label);
        assert_eq!(s.members(g.id).await.unwrap().len(), 4);
        assert_eq!(s.group(g.id).await.unwrap().unwrap().member_count, 4);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn concurrent_creations_cannot_exceed_the_owned_groups_cap() {
    for db in common::databases().await {
        let s = db.store.clone();
        let owner = user(&s, "maker").await;
        let tasks: Vec<_> = (0..10)
            .map(|i| {
                let (s, owner) = (s.clone(), owner.clone());
                tokio::spawn(
                    async move { s.create_group(&owner, group(&format!("g{i}")), 5, 1).await },
                )
            })
            .collect();
        let mut created = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => created += 1,
                Err(e) => assert_eq!(refused(Err::<(), _>(e)), ErrorCode::OwnedGroupsLimit),
            }
        }
        assert_eq!(created, 5, "{}", db.label);
        assert_eq!(
            s.my_groups(owner.id).await.unwrap().len(),
            5,
            "{}",
            db.label
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn leave_transfer_and_dissolve() {
    for db in common::databases().await {
        let s = &db.store;
        let (o, m, x) = (
            user(s, "olly").await,
            user(s, "mia").await,
            user(s, "xav").await,
        );
        let g = s.create_group(&o, group("Club"), 1, 1).await.unwrap();
        s.join_group(g.id, &m, 500, word, 2).await.unwrap();

        assert_eq!(
            refused(s.leave_group(g.id, &o, word, 3).await),
            ErrorCode::OwnerCannotLeave
        );
        assert_eq!(
            refused(s.leave_group(g.id, &x, word, 3).await),
            ErrorCode::NotMember
        );
        assert_eq!(
            refused(s.leave_group(GroupId(99_999), &m, word, 3).await),
            ErrorCode::NotFound
        );

        // Only the owner transfers, only to a member, and within the new owner's cap.
        assert_eq!(
            refused(s.transfer_group(g.id, &m, &o, 1, word, 4).await),
            ErrorCode::NotOwner
        );
        assert_eq!(
            refused(s.transfer_group(g.id, &o, &x, 1, word, 4).await),
            ErrorCode::NotMember
        );
        let other = s.create_group(&m, group("Mia's"), 1, 4).await.unwrap();
        assert_eq!(
            refused(s.transfer_group(g.id, &o, &m, 1, word, 4).await),
            ErrorCode::OwnedGroupsLimit
        );
        assert_eq!(
            s.group(g.id).await.unwrap().unwrap().owner_id,
            o.id,
            "refusal changed nothing"
        );
        assert_eq!(
            s.membership(g.id, m.id).await.unwrap(),
            Some(GroupRole::Member)
        );
        s.dissolve_group(other.id, &m, word, 5).await.unwrap();

        let moved = s.transfer_group(g.id, &o, &m, 1, word, 6).await.unwrap();
        assert_eq!(moved.value.owner_id, m.id);
        assert_eq!(
            s.membership(g.id, m.id).await.unwrap(),
            Some(GroupRole::Owner)
        );
        assert_eq!(
            s.membership(g.id, o.id).await.unwrap(),
            Some(GroupRole::Member)
        );
        // The old owner's quota was released: they can create again (cap 1).
        let again = s.create_group(&o, group("Olly 2"), 1, 7).await.unwrap();
        s.leave_group(g.id, &o, word, 8).await.unwrap();
        assert_eq!(s.group(g.id).await.unwrap().unwrap().member_count, 1);

        assert_eq!(
            refused(s.dissolve_group(g.id, &o, word, 9).await),
            ErrorCode::NotOwner
        );
        s.dissolve_group(g.id, &m, word, 9).await.unwrap();
        assert!(s.group(g.id).await.unwrap().is_none());
        assert!(s.members(g.id).await.unwrap().is_empty());
        assert_eq!(
            refused(s.dissolve_group(g.id, &m, word, 10).await),
            ErrorCode::NotFound
        );
        assert_eq!(s.my_groups(o.id).await.unwrap()[0].group.id, again.id);

        let kinds: Vec<String> = s
            .notices(o.id, 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.kind.as_str().to_owned())
            .collect();
        assert_eq!(
            kinds,
            ["member_joined", "owner_changed", "member_left"],
            "{}",
            db.label
        );
        let mia: Vec<String> = s
            .notices(m.id, 0, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|n| n.content)
            .collect();
        assert_eq!(
            mia,
            [
                "MIA joined Club",
                "Mia's was dissolved by its owner",
                "MIA is now the owner of Club",
                "OLLY left Club",
                "Club was dissolved by its owner"
            ],
            "{}",
            db.label
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn group_search_and_my_groups() {
    for db in common::databases().await {
        let s = &db.store;
        let u = user(s, "una").await;
        let a = s.create_group(&u, group("Rust Users"), 5, 1).await.unwrap();
        let b = s.create_group(&u, group("rusty_50%"), 5, 1).await.unwrap();
        s.create_group(&u, group("Go"), 5, 1).await.unwrap();
        let names =
            |v: Vec<app::protocol::Group>| v.into_iter().map(|g| g.name).collect::<Vec<_>>();
        assert_eq!(
            names(s.search_groups("RUST", 20).await.unwrap()),
            ["Rust Users", "rusty_50%"]
        );
        assert_eq!(
            names(s.search_groups("%", 20).await.unwrap()),
            ["rusty_50%"],
            "{}",
            db.label
        );
        assert_eq!(
            s.search_groups(&b.id.to_string(), 20).await.unwrap()[0].id,
            b.id
        );
        let mine = s.my_groups(u.id).await.unwrap();
        assert_eq!(mine.len(), 3);
        assert!(mine.iter().all(|g| g.role == GroupRole::Owner));
        assert_eq!(mine[0].group.name, "Go");
        let _ = a;
        db.cleanup().await;
    }
}
