//! Store-level tests of messages on SQLite and (when configured) PostgreSQL: gap-free seq
//! under concurrent senders, idempotent cids, the non-friend allowance, history pages and
//! read marks.

use crate::common;

use app::error::ErrorCode;
use app::ids::{Cid, UserId};
use app::protocol::body::MessageBody;
use app::protocol::Conv;
use server::rules::social::word;
use server::store::groups::NewGroup;
use server::store::messages::{NewMessage, Page, Stored};
use server::store::users::NewUser;
use server::store::{Store, StoreError};

async fn user(s: &Store, name: &str) -> UserId {
    s.create_user(NewUser {
        username: name.to_owned(),
        nickname: name.to_owned(),
        password_hash: "x".to_owned(),
        now_ms: 1,
    })
    .await
    .unwrap()
    .id
}

fn c(key: &str) -> Conv {
    Conv::parse(key).unwrap()
}

fn text(conv: &str, sender: UserId, cid: &str) -> NewMessage {
    NewMessage {
        conv: c(conv),
        sender,
        cid: Cid::new(cid).unwrap(),
        body: MessageBody::new(
            1,
            format!("hello {cid}"),
            String::new(),
            String::new(),
            String::new(),
            0,
        )
        .unwrap(),
        now_ms: 1_000,
        extras: Default::default(),
    }
}

fn seq_of(s: Stored) -> i64 {
    match s {
        Stored::New(m) => m.seq.0,
        Stored::Duplicate(m) => panic!("unexpected duplicate {m:?}"),
    }
}

#[tokio::test]
async fn concurrent_senders_get_gap_free_unique_seqs() {
    for db in common::databases().await {
        let s = db.store.clone();
        let mut senders = Vec::new();
        for i in 0..8 {
            senders.push(user(&s, &format!("s{i}")).await);
        }
        let started = std::time::Instant::now();
        let tasks: Vec<_> = senders
            .iter()
            .map(|&u| {
                let s = s.clone();
                tokio::spawn(async move {
                    for n in 0..200 {
                        s.store_message(text("g:1", u, &format!("c{n}")), None)
                            .await
                            .unwrap();
                    }
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = started.elapsed();
        let mut seqs = Vec::new();
        let mut after = 0;
        loop {
            let page = s.history(c("g:1"), Page::After(after), 100).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.seq.0;
            seqs.extend(page.iter().map(|m| m.seq.0));
        }
        assert_eq!(seqs, (1..=1600).collect::<Vec<i64>>(), "{}", db.label);
        println!(
            "{}: 1600 messages from 8 concurrent senders in {elapsed:?}",
            db.label
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_resent_cid_is_the_same_message() {
    for db in common::databases().await {
        let s = &db.store;
        let a = user(s, "a").await;
        let b = user(s, "b").await;
        let first = seq_of(s.store_message(text("p:1:2", a, "x1"), None).await.unwrap());
        match s.store_message(text("p:1:2", a, "x1"), None).await.unwrap() {
            Stored::Duplicate(m) => assert_eq!((m.seq.0, m.cid.as_str()), (first, "x1")),
            other => panic!("{other:?}"),
        }
        // The same cid from another sender is a different message.
        assert_eq!(
            seq_of(s.store_message(text("p:1:2", b, "x1"), None).await.unwrap()),
            2
        );
        // Concurrent resends of one cid store it once.
        let tasks: Vec<_> = (0..6)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move {
                    s.store_message(text("p:1:2", a, "race"), None)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut new = 0;
        for t in tasks {
            if let Stored::New(_) = t.await.unwrap() {
                new += 1;
            }
        }
        assert_eq!(new, 1, "{}", db.label);
        let all = s.history(c("p:1:2"), Page::Latest, 100).await.unwrap();
        assert_eq!(all.len(), 3, "{}", db.label);
        // Reusing a cid in another conversation is refused, not acked as the old message.
        let reused = s.store_message(text("g:5", a, "x1"), None).await;
        assert!(
            matches!(reused, Err(StoreError::Refused(ErrorCode::CidConflict))),
            "{}: {reused:?}",
            db.label
        );
        assert!(s
            .history(c("g:5"), Page::Latest, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(all.iter().map(|m| m.seq.0).collect::<Vec<_>>(), [1, 2, 3]);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn non_friends_get_three_messages_until_a_reply() {
    for db in common::databases().await {
        let s = &db.store;
        let a = user(s, "a").await;
        let b = user(s, "b").await;
        for i in 0..3 {
            s.store_message(text("p:1:2", a, &format!("m{i}")), Some((b, 3)))
                .await
                .unwrap();
        }
        let refused = s.store_message(text("p:1:2", a, "m3"), Some((b, 3))).await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Refused(ErrorCode::NotFriendsLimit))
            ),
            "{refused:?}"
        );
        // The refusal consumed no seq.
        s.store_message(text("p:1:2", b, "r0"), Some((a, 3)))
            .await
            .unwrap();
        let last = s.history(c("p:1:2"), Page::Latest, 10).await.unwrap();
        assert_eq!(
            last.iter().map(|m| m.seq.0).collect::<Vec<_>>(),
            [1, 2, 3, 4],
            "{}",
            db.label
        );
        // After the reply, three more.
        for i in 4..7 {
            s.store_message(text("p:1:2", a, &format!("m{i}")), Some((b, 3)))
                .await
                .unwrap();
        }
        assert!(s
            .store_message(text("p:1:2", a, "m7"), Some((b, 3)))
            .await
            .is_err());
        db.cleanup().await;
    }
}

#[tokio::test]
async fn history_pages_and_read_marks() {
    for db in common::databases().await {
        let s = &db.store;
        let a = user(s, "a").await;
        let b = user(s, "b").await;
        // The list shows the groups its reader belongs to: a's "talk", which b joins, and
        // "quiet", which never gets a message (so the list leaves it out).
        let (ua, ub) = (
            s.user(a).await.unwrap().unwrap(),
            s.user(b).await.unwrap().unwrap(),
        );
        let mut keys = Vec::new();
        for name in ["talk", "quiet"] {
            let g = s
                .create_group(
                    &ua,
                    NewGroup {
                        name: name.to_owned(),
                        icon: String::new(),
                        memo: String::new(),
                    },
                    10,
                    1,
                )
                .await
                .unwrap();
            s.join_group(g.id, &ub, 10, word, 1).await.unwrap();
            keys.push(Conv::group(g.id).key());
        }
        let talk = keys[0].as_str();
        for i in 0..30 {
            s.store_message(text(talk, a, &format!("h{i}")), None)
                .await
                .unwrap();
        }
        let seqs = |v: Vec<server::store::messages::StoredMessage>| {
            v.into_iter().map(|m| m.seq.0).collect::<Vec<_>>()
        };
        assert_eq!(
            seqs(s.history(c(talk), Page::Latest, 5).await.unwrap()),
            [26, 27, 28, 29, 30]
        );
        assert_eq!(
            seqs(s.history(c(talk), Page::Before(26), 3).await.unwrap()),
            [23, 24, 25]
        );
        assert_eq!(
            seqs(s.history(c(talk), Page::After(28), 20).await.unwrap()),
            [29, 30]
        );
        assert!(s
            .history(c("g:404"), Page::Latest, 5)
            .await
            .unwrap()
            .is_empty());

        let st = s.conversation_list(b).await.unwrap();
        assert_eq!(st.len(), 1);
        assert_eq!((st[0].last_seq, st[0].read_seq), (30, 0));
        let mine = s.conversation_list(a).await.unwrap();
        assert_eq!(mine[0].read_seq, 30, "own messages count as read");

        assert_eq!(s.mark_read(c(talk), b, 12).await.unwrap(), 12);
        assert_eq!(
            s.mark_read(c(talk), b, 5).await.unwrap(),
            12,
            "never moves back"
        );
        assert_eq!(
            s.mark_read(c(talk), b, 999).await.unwrap(),
            30,
            "never past the newest"
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn pictures_keep_their_size_in_history_and_the_list() {
    for db in common::databases().await {
        let s = db.store.clone();
        let a = user(&s, "pa").await;
        let b = user(&s, "pb").await;
        let conv = Conv::private(a, b).unwrap();
        let body = MessageBody::new(
            4,
            String::new(),
            String::new(),
            "/media/x.jpg".into(),
            String::new(),
            0,
        )
        .unwrap()
        .with_size(1024, 768)
        .unwrap();
        let new = NewMessage {
            conv,
            sender: a,
            cid: Cid::new("img").unwrap(),
            body,
            now_ms: 5,
            extras: Default::default(),
        };
        let Stored::New(stored) = s.store_message(new, None).await.unwrap() else {
            panic!("{}: not new", db.label)
        };
        assert_eq!((stored.body.width, stored.body.height), (1024, 768));
        let page = s.history(conv, Page::Latest, 10).await.unwrap();
        assert_eq!(
            (page[0].body.width, page[0].body.height),
            (1024, 768),
            "{}",
            db.label
        );
        let list = s.conversation_list(b).await.unwrap();
        let last = list[0].last.as_ref().unwrap();
        assert_eq!(
            (last.body.width, last.body.height),
            (1024, 768),
            "{}",
            db.label
        );
        // A text message stores no size.
        s.store_message(text(&conv.key(), b, "t"), None)
            .await
            .unwrap();
        let page = s.history(conv, Page::Latest, 10).await.unwrap();
        assert_eq!((page[1].body.width, page[1].body.height), (0, 0));
        db.cleanup().await;
    }
}
