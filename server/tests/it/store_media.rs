//! Store-level tests of uploads on SQLite and (when configured) PostgreSQL: recording files,
//! "all owned by the sender", and who may fetch a file through the messages pointing at it.

use crate::common;

use app::ids::{Cid, UserId};
use app::protocol::body::MessageBody;
use app::protocol::Conv;
use server::rules::social::word;
use server::store::groups::NewGroup;
use server::store::media::{Access, MediaRow};
use server::store::messages::NewMessage;
use server::store::users::NewUser;
use server::store::Store;

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

fn file(key: &str, owner: UserId) -> MediaRow {
    MediaRow {
        key: key.to_owned(),
        owner,
        mime: "image/png".into(),
        size: 10,
        sha256: "ab".repeat(32),
        width: 4,
        height: 3,
        created_at: 1,
    }
}

fn image_to(conv: Conv, sender: UserId, cid: &str, url: &str, pic: &str) -> NewMessage {
    NewMessage {
        conv,
        sender,
        cid: Cid::new(cid).unwrap(),
        body: MessageBody::new(4, String::new(), pic.into(), url.into(), String::new(), 0).unwrap(),
        now_ms: 2,
        extras: Default::default(),
    }
}

fn allowed(a: Access) -> bool {
    matches!(a, Access::Allowed(_))
}

#[tokio::test]
async fn files_are_seen_by_their_uploader_and_their_conversations() {
    for db in common::databases().await {
        let s = &db.store;
        let (a, b, c) = (user(s, "a").await, user(s, "b").await, user(s, "c").await);
        s.add_media(&[file("k1.png", a), file("t1.jpg", a)])
            .await
            .unwrap();
        s.add_media(&[file("k2.pdf", a)]).await.unwrap();
        assert_eq!(s.media("k1.png").await.unwrap().unwrap(), file("k1.png", a));
        assert!(s
            .media_all_owned_by(&["k1.png", "t1.jpg", "k1.png"], a)
            .await
            .unwrap());
        assert!(!s.media_all_owned_by(&["k1.png"], b).await.unwrap());
        assert!(!s.media_all_owned_by(&["k1.png", "nope"], a).await.unwrap());
        assert!(s.media_all_owned_by(&[], b).await.unwrap());

        assert_eq!(s.media_access("nope", a).await.unwrap(), Access::Missing);
        assert!(allowed(s.media_access("k1.png", a).await.unwrap()));
        assert_eq!(s.media_access("k1.png", b).await.unwrap(), Access::Denied);

        // A 1:1 message pointing at the file and its thumbnail opens both to the peer.
        let ab = Conv::private(a, b).unwrap();
        s.store_message(
            image_to(ab, a, "m1", "/media/k1.png", "/media/t1.jpg"),
            None,
        )
        .await
        .unwrap();
        for key in ["k1.png", "t1.jpg"] {
            assert!(
                allowed(s.media_access(key, b).await.unwrap()),
                "{}",
                db.label
            );
            assert_eq!(s.media_access(key, c).await.unwrap(), Access::Denied);
        }

        // In a group: the current members.
        let (ua, uc) = (
            s.user(a).await.unwrap().unwrap(),
            s.user(c).await.unwrap().unwrap(),
        );
        let g = s
            .create_group(
                &ua,
                NewGroup {
                    name: "g".into(),
                    icon: String::new(),
                    memo: String::new(),
                },
                10,
                1,
            )
            .await
            .unwrap();
        s.store_message(
            image_to(Conv::group(g.id), a, "m2", "/media/k2.pdf", ""),
            None,
        )
        .await
        .unwrap();
        assert_eq!(s.media_access("k2.pdf", c).await.unwrap(), Access::Denied);
        s.join_group(g.id, &uc, 10, word, 3).await.unwrap();
        assert!(
            allowed(s.media_access("k2.pdf", c).await.unwrap()),
            "{}",
            db.label
        );
        assert_eq!(s.media_access("k2.pdf", b).await.unwrap(), Access::Denied);
        db.cleanup().await;
    }
}

#[tokio::test]
async fn only_the_owners_own_picture_is_published_and_then_everyone_sees_it() {
    for db in common::databases().await {
        let s = &db.store;
        let (a, b) = (user(s, "a").await, user(s, "b").await);
        let pdf = MediaRow {
            mime: "application/pdf".into(),
            ..file("d.pdf", a)
        };
        s.add_media(&[file("p.png", a), pdf]).await.unwrap();
        // Someone else's, not a picture, no such key: refused, nothing changed.
        assert!(
            !s.publish_picture("p.png", b).await.unwrap(),
            "{}",
            db.label
        );
        assert!(!s.publish_picture("d.pdf", a).await.unwrap());
        assert!(!s.publish_picture("nope", a).await.unwrap());
        assert_eq!(s.media_access("p.png", b).await.unwrap(), Access::Denied);
        assert_eq!(s.media_access("d.pdf", b).await.unwrap(), Access::Denied);
        // The owner's picture: published (twice is fine), then everyone may fetch it.
        assert!(s.publish_picture("p.png", a).await.unwrap());
        assert!(s.publish_picture("p.png", a).await.unwrap());
        assert!(allowed(s.media_access("p.png", b).await.unwrap()));
        assert_eq!(s.media("p.png").await.unwrap().unwrap(), file("p.png", a));
        db.cleanup().await;
    }
}
