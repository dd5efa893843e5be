//! Group commit at the store: a batch stores what the one-by-one path would, with the same
//! answers, on SQLite, PostgreSQL and MySQL/MariaDB (when configured).

use crate::common;

use app::ids::{Cid, UserId};
use app::protocol::body::MessageBody;
use app::protocol::Conv;
use server::store::batch::Pending;
use server::store::messages::{NewMessage, Page, Stored};
use server::store::users::NewUser;
use server::store::{Store, StoreError};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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

fn msg(conv: Conv, sender: UserId, cid: &str, allowance: Option<(UserId, u64)>) -> Pending {
    Pending {
        new: NewMessage {
            conv,
            sender,
            cid: Cid::new(cid).unwrap(),
            body: MessageBody::new(
                1,
                format!("text {cid}"),
                String::new(),
                String::new(),
                String::new(),
                0,
            )
            .unwrap(),
            now_ms: 5_000,
            extras: Default::default(),
        },
        allowance,
    }
}

/// "new 3", "dup 2", "refused not_friends_limit"... for compact assertions.
fn outcome(r: &Result<Stored, StoreError>) -> String {
    match r {
        Ok(Stored::New(m)) => format!("new {}", m.seq),
        Ok(Stored::Duplicate(m)) => format!("dup {}", m.seq),
        Err(StoreError::Refused(code)) => format!("refused {}", code.as_str()),
        Err(e) => format!("error {e}"),
    }
}

async fn seqs(s: &Store, conv: Conv) -> Vec<i64> {
    s.history(conv, Page::After(0), 1_000)
        .await
        .unwrap()
        .iter()
        .map(|m| m.seq.0)
        .collect()
}

#[tokio::test]
async fn one_batch_answers_each_message_as_the_single_path_would() {
    for db in common::databases().await {
        let s = &db.store;
        let a = user(s, "a").await;
        let b = user(s, "b").await;
        let c = user(s, "c").await;
        let ab = Conv::private(a, b).unwrap();
        let ac = Conv::private(a, c).unwrap();
        let g = Conv::Group(app::ids::GroupId(9));
        // Earlier, one by one: ab has seq 1 and 2; a's "old" cid is taken in ab.
        for cid in ["old", "old2"] {
            s.store_message(msg(ab, a, cid, None).new, None)
                .await
                .unwrap();
        }
        let batch = vec![
            msg(ab, a, "m1", None),         // ab seq 3
            msg(g, b, "g1", None),          // a new group conversation: seq 1
            msg(ab, a, "old", None),        // resend of a stored message
            msg(g, a, "old", None),         // a's "old" reused elsewhere
            msg(ab, a, "m1", None),         // resend within the batch
            msg(g, a, "m1", None),          // batch cid reused elsewhere
            msg(ac, a, "n1", Some((c, 2))), // a non-friend: first of two allowed
            msg(ac, a, "n2", Some((c, 2))), // second
            msg(ac, a, "n3", Some((c, 2))), // over the allowance
            msg(ac, c, "r1", Some((a, 2))), // c answers...
            msg(ac, a, "n4", Some((c, 2))), // ...so a may write again
            msg(ab, b, "m2", None),         // ab seq 4
        ];
        let results = s.store_messages(&batch).await;
        let got: Vec<String> = results.iter().map(outcome).collect();
        assert_eq!(
            got,
            [
                "new 3",
                "new 1",
                "dup 1",
                "refused cid_conflict",
                "dup 3",
                "refused cid_conflict",
                "new 1",
                "new 2",
                "refused not_friends_limit",
                "new 3",
                "new 4",
                "new 4",
            ],
            "{}",
            db.label
        );
        assert_eq!(seqs(s, ab).await, [1, 2, 3, 4], "{}", db.label);
        assert_eq!(seqs(s, ac).await, [1, 2, 3, 4], "{}", db.label);
        assert_eq!(seqs(s, g).await, [1], "{}", db.label);
        // Stored ids are real and distinct; the resend answers with the stored one.
        let Ok(Stored::New(first)) = &results[0] else {
            panic!()
        };
        let Ok(Stored::Duplicate(again)) = &results[4] else {
            panic!()
        };
        assert_eq!(first.id, again.id);
        let stored = s.message_by_cid(a, "m1").await.unwrap().unwrap();
        assert_eq!((stored.id, stored.seq.0), (first.id, 3));
        // The new 1:1 is listed for both sides, read up to each sender's own last message.
        let for_c = s.conversation_list(c).await.unwrap();
        assert_eq!(for_c.len(), 1, "{}", db.label);
        assert_eq!((for_c[0].last_seq, for_c[0].read_seq), (4, 3));
        let for_a: Vec<(String, i64, i64)> = s
            .conversation_list(a)
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.conv.key(), l.last_seq, l.read_seq))
            .collect();
        assert!(for_a.contains(&(ac.key(), 4, 4)), "{for_a:?}");
        assert!(for_a.contains(&(ab.key(), 4, 3)), "{for_a:?}");
        // And the one-by-one path carries on from the batch without a gap.
        let next = s.store_message(msg(g, b, "g2", None).new, None).await;
        assert_eq!(outcome(&next), "new 2", "{}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_conversation_whose_every_message_is_refused_is_not_created() {
    for db in common::databases().await {
        let s = &db.store;
        let a = user(s, "a").await;
        let b = user(s, "b").await;
        let ab = Conv::private(a, b).unwrap();
        let results = s.store_messages(&[msg(ab, a, "x", Some((b, 0)))]).await;
        assert_eq!(outcome(&results[0]), "refused not_friends_limit");
        assert!(
            s.conversation_list(a).await.unwrap().is_empty(),
            "{}",
            db.label
        );
        assert!(
            s.conversation_list(b).await.unwrap().is_empty(),
            "{}",
            db.label
        );
        // Nothing was taken: the first accepted message is seq 1.
        let ok = s.store_messages(&[msg(ab, a, "y", Some((b, 3)))]).await;
        assert_eq!(outcome(&ok[0]), "new 1", "{}", db.label);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn concurrent_batches_stay_gap_free_and_store_each_cid_once() {
    for db in common::databases().await {
        let s = db.store.clone();
        let mut people = Vec::new();
        for i in 0..6 {
            people.push(user(&s, &format!("p{i}")).await);
        }
        let g = Conv::Group(app::ids::GroupId(1));
        // Six writers (as several nodes would be) batching into the same conversations, each
        // also resending the others' cids, so dedupe is decided under concurrency.
        let tasks: Vec<_> = (0..6)
            .map(|w| {
                let s = s.clone();
                let people = people.clone();
                tokio::spawn(async move {
                    let mut new = 0;
                    for round in 0..20 {
                        // Every writer sends each person's message of the round (the
                        // same cid to the same conversation), some twice in one batch.
                        let batch: Vec<Pending> = (0..8)
                            .map(|k| {
                                let i = (w + k) % people.len();
                                let sender = people[i];
                                let conv = if (round + i) % 2 == 0 {
                                    g
                                } else if i == 0 {
                                    Conv::private(people[0], people[1]).unwrap()
                                } else {
                                    Conv::private(people[0], sender).unwrap()
                                };
                                msg(conv, sender, &format!("r{round}"), None)
                            })
                            .collect();
                        for r in s.store_messages(&batch).await {
                            match r {
                                Ok(Stored::New(_)) => new += 1,
                                Ok(Stored::Duplicate(_)) => {}
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                    new
                })
            })
            .collect();
        let mut new = 0;
        for t in tasks {
            new += t.await.unwrap();
        }
        // Every conversation's seqs are 1..=n, and the messages add up to what was new.
        let mut total = 0;
        let mut convs = vec![g];
        for k in 1..6 {
            convs.push(Conv::private(people[0], people[k]).unwrap());
        }
        for conv in convs {
            let got = seqs(&s, conv).await;
            assert_eq!(
                got,
                (1..=got.len() as i64).collect::<Vec<_>>(),
                "{}",
                db.label
            );
            total += got.len();
        }
        assert_eq!(total, new, "{}", db.label);
        assert_eq!(
            new,
            6 * 20,
            "each person's message of each round, once: {}",
            db.label
        );
        db.cleanup().await;
    }
}

/// Statements a batch runs, counted on a clone of the store.
async fn statements_for(s: &Store, batch: &[Pending]) -> (usize, Vec<String>) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut counted = s.clone();
    let tally = count.clone();
    counted.observe_statements(move |_| {
        tally.fetch_add(1, Ordering::SeqCst);
    });
    let got = counted
        .store_messages(batch)
        .await
        .iter()
        .map(outcome)
        .collect();
    (count.load(Ordering::SeqCst), got)
}

#[tokio::test]
async fn a_batch_without_resends_costs_the_same_few_statements_at_any_size() {
    for db in common::databases().await {
        let s = &db.store;
        let a = user(s, "a").await;
        let b = user(s, "b").await;
        let ab = Conv::private(a, b).unwrap();
        let g = Conv::Group(app::ids::GroupId(3));
        // Create both conversations first, so both measured batches only add to them.
        let warm = [msg(ab, a, "w1", None), msg(g, b, "w2", None)];
        assert_eq!(statements_for(s, &warm).await.1, ["new 1", "new 1"]);

        let small: Vec<Pending> = (0..4)
            .map(|i| msg(if i % 2 == 0 { ab } else { g }, a, &format!("s{i}"), None))
            .collect();
        let large: Vec<Pending> = (0..200)
            .map(|i| msg(if i % 2 == 0 { ab } else { g }, b, &format!("l{i}"), None))
            .collect();
        let (n_small, got) = statements_for(s, &small).await;
        assert_eq!(got, ["new 2", "new 2", "new 3", "new 3"], "{}", db.label);
        let (n_large, got) = statements_for(s, &large).await;
        assert!(got.iter().all(|o| o.starts_with("new ")), "{}", db.label);
        assert_eq!(n_small, n_large, "{}", db.label);
        // One resend makes the batch try again carefully: more statements, same answers.
        let with_resend = [msg(ab, a, "s0", None), msg(ab, a, "fresh", None)];
        let (n_resend, got) = statements_for(s, &with_resend).await;
        assert_eq!(got, ["dup 2", "new 104"], "{}", db.label);
        if db.store.backend() != sea_orm::DbBackend::MySql {
            assert!(n_resend > n_small, "{}: {n_resend} vs {n_small}", db.label);
        }
        assert_eq!(
            seqs(s, ab).await,
            (1..=104).collect::<Vec<i64>>(),
            "{}",
            db.label
        );
        db.cleanup().await;
    }
}

#[tokio::test]
async fn sqlite_copies_its_wal_into_the_database_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let s = Store::connect(&url, None).await.unwrap();
    s.migrate().await.unwrap();
    let a = user(&s, "a").await;
    let b = user(&s, "b").await;
    let ab = Conv::private(a, b).unwrap();
    // The commits themselves never checkpoint: wait for a checkpoint to settle, then note
    // the database file's size before the writes.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let before = std::fs::metadata(&file).unwrap().len();
    for round in 0..20 {
        let batch: Vec<Pending> = (0..100)
            .map(|i| msg(ab, a, &format!("c{round}-{i}"), None))
            .collect();
        assert!(s.store_messages(&batch).await.iter().all(|r| r.is_ok()));
    }
    // 2,000 messages are in the WAL; the checkpointer copies them within a few ticks.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = std::fs::metadata(&file).unwrap().len();
        if now > before + 100 * 1024 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "parley.db stayed at {now} bytes (was {before})"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(seqs(&s, ab).await, (1..=1_000).collect::<Vec<i64>>());
    s.close().await.unwrap();
}
