//! The seed client's dialect, "v0" (docs/api.md): the flat message the seed's
//! own pages send and draw on `GET /chat`, `{id, userid, dstid, cmd, media, content, pic,
//! url, memo, amount}`, nothing else. The server turns it into the same [`Outgoing`] a v1
//! frame becomes (so the same chat rules apply), and writes stored messages back in it.
//!
//! The seed message is a subset of [`Frame`], so the same type carries it; what differs is
//! decided here: the seed client draws every JSON frame it receives as a bubble, so only
//! messages (cmd 10/11) are ever written to it, with the seed's fields only
//! ([`flat_message`]); it sends no `cid`, so the server supplies one ([`command`]); and its
//! stickers are same-origin `/asset/` paths, which only this dialect accepts ([`StickerPath`],
//! whose rule is in [`super::sticker`]).

use super::body::{Media, MessageBody};
use super::frame::{Cmd, Frame, Outgoing, Target, MAX_FRAME_BYTES};
use crate::error::{ApiError, ErrorCode};
use crate::ids::{Cid, GroupId, UserId};

pub use super::sticker::{is_sticker_path, sticker_path, StickerPath, ASSET_PREFIX};

/// The frame a seed client is sent for `frame`: a message (cmd 10/11) with only the seed
/// message's fields (`cid`, `conv`, `seq`, `ts`, `width`, `height` left out, so they are not
/// written); `None` for everything else (acks, errors, notices, presence, read marks,
/// typing), which a seed client would draw as empty bubbles. The fields are named one by
/// one, so a field added to [`Frame`] later never reaches a seed client by accident.
pub fn flat_message(frame: &Frame) -> Option<Frame> {
    matches!(Cmd::from_code(frame.cmd), Some(Cmd::Private | Cmd::Group)).then(|| Frame {
        id: frame.id,
        userid: frame.userid,
        dstid: frame.dstid,
        cmd: frame.cmd,
        media: frame.media,
        content: frame.content.clone(),
        pic: frame.pic.clone(),
        url: frame.url.clone(),
        memo: frame.memo.clone(),
        amount: frame.amount,
        ..Frame::default()
    })
}

/// Reads one text frame from a seed client: `frame_too_large` over [`MAX_FRAME_BYTES`],
/// `bad_frame` unless it is a JSON object with a `cmd`.
pub fn parse(text: &str) -> Result<Frame, ApiError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(ApiError::new(ErrorCode::FrameTooLarge));
    }
    Frame::read(text)
}

/// What a seed client's frame asks `me` to send, `cid` being the id the server gives the
/// message (the seed client sends none; one it sends anyway is not used). `Ok(None)` for a
/// heartbeat, which needs nothing. A frame naming another sender (`userid` set and not
/// `me`) is refused with `forbidden`; the payload follows the v1 rules, plus sticker paths.
pub fn command(frame: &Frame, me: UserId, cid: Cid) -> Result<Option<Outgoing>, ApiError> {
    let to = match Cmd::from_code(frame.cmd) {
        Some(Cmd::Private) => Target::User(UserId(frame.dstid)),
        Some(Cmd::Group) => Target::Group(GroupId(frame.dstid)),
        Some(Cmd::Heartbeat) => return Ok(None),
        _ => return Err(ApiError::new(ErrorCode::UnknownCmd)),
    };
    if frame.userid != 0 && frame.userid != me.0 {
        return Err(ApiError::with_msg(
            ErrorCode::Forbidden,
            "`userid` must be your own id.",
        ));
    }
    if frame.dstid <= 0 {
        return Err(ApiError::with_msg(
            ErrorCode::InvalidPayload,
            "`dstid` must name the user or group to send to.",
        ));
    }
    let body = match StickerPath::parse(&frame.url).filter(|_| frame.media == Media::Image.code()) {
        Some(sticker) => MessageBody::sticker(
            sticker,
            frame.content.clone(),
            frame.pic.clone(),
            frame.memo.clone(),
            frame.amount,
        )?
        .with_size(frame.width, frame.height)?,
        None => MessageBody::from_frame(frame)?,
    };
    Ok(Some(Outgoing::new(to, cid, body)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_as_7(text: &str) -> Result<Option<Outgoing>, ApiError> {
        command(&parse(text)?, UserId(7), Cid::new("s1").unwrap())
    }

    fn sent(text: &str) -> Outgoing {
        match parse_as_7(text) {
            Ok(Some(out)) => out,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn seed_frames_become_outgoing_messages() {
        // Exactly what the seed page sends: its own userid, no id, no cid.
        let out = sent(r#"{"dstid":9,"cmd":10,"userid":7,"media":1,"content":"hi"}"#);
        assert_eq!(out.to, Target::User(UserId(9)));
        assert_eq!(out.cid, "s1");
        assert_eq!(out.body.content, "hi");
        let out = sent(r#"{"dstid":3,"cmd":11,"media":1,"content":"yo","cid":"mine"}"#);
        assert_eq!(
            (out.to, out.cid.as_str()),
            (Target::Group(GroupId(3)), "s1")
        );
        assert_eq!(parse_as_7(r#"{"cmd":0}"#), Ok(None));
    }

    #[test]
    fn spoofed_senders_and_bad_frames_are_refused() {
        let code = |t: &str| parse_as_7(t).unwrap_err().code;
        assert_eq!(
            code(r#"{"dstid":9,"cmd":10,"userid":8,"media":1,"content":"hi"}"#),
            ErrorCode::Forbidden
        );
        assert_eq!(code("[1]"), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"cmd":"x"}"#), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"dstid":9}"#), ErrorCode::BadFrame);
        assert_eq!(code(r#"{"cmd":15}"#), ErrorCode::UnknownCmd);
        assert_eq!(
            code(r#"{"cmd":10,"media":1,"content":"hi"}"#),
            ErrorCode::InvalidPayload
        );
        assert_eq!(
            code(r#"{"cmd":10,"dstid":9,"media":1}"#),
            ErrorCode::InvalidPayload
        );
        let huge = format!(
            r#"{{"cmd":10,"content":"{}"}}"#,
            "a".repeat(MAX_FRAME_BYTES)
        );
        assert_eq!(code(&huge), ErrorCode::FrameTooLarge);
    }

    #[test]
    fn stickers_are_asset_paths_for_images_only() {
        let out = sent(r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/plugins/doutu/emoj/1.gif"}"#);
        assert_eq!(out.body.media, Media::Image);
        assert_eq!(out.body.url, "/asset/plugins/doutu/emoj/1.gif");
        // The seed client's own stickers carry an empty segment: normalised, as the seed's
        // server did.
        let out =
            sent(r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/plugins/doutu//emoj/1.gif"}"#);
        assert_eq!(out.body.url, "/asset/plugins/doutu/emoj/1.gif");
        assert_eq!(
            sticker_path("/asset//a///b.gif").as_deref(),
            Some("/asset/a/b.gif")
        );
        for bad in [
            "/asset/",
            "/asset//",
            "/asset/a/../b.gif",
            "/asset/a//../b.gif",
            "/asset/./a.gif",
            "/asset/%2e%2e/x",
            "/asset/a%2fb.gif",
            "//evil.example/x",
            "/asset\\a.gif",
            "/assets/a.gif",
            "/media/a.gif",
            "https://evil.example/asset/a.gif",
        ] {
            assert_eq!(sticker_path(bad), None, "{bad}");
        }
        for bad in [
            r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/../api/me"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/plugins//../../api/me"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"//evil.example/x"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"/asset/%2e%2e/x"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"javascript:alert(1)"}"#,
            r#"{"dstid":9,"cmd":10,"media":7,"url":"/asset/a.gif"}"#,
            r#"{"dstid":9,"cmd":10,"media":4,"url":"/x.gif","pic":"/asset/a.gif"}"#,
        ] {
            assert!(parse_as_7(bad).is_err(), "{bad}");
        }
        // v1 frames never take a sticker path.
        let v1 = Frame {
            cmd: 10,
            dstid: 9,
            media: 4,
            url: "/asset/a.gif".into(),
            ..Frame::default()
        };
        assert!(MessageBody::from_frame(&v1).is_err());
    }

    #[test]
    fn only_messages_are_written_back_in_the_flat_shape() {
        let msg = Frame {
            cmd: 10,
            id: 5,
            userid: 7,
            dstid: 9,
            media: 4,
            url: "/media/k.png".into(),
            cid: "c".into(),
            conv: "p:7:9".into(),
            seq: 3,
            ts: 1,
            width: 10,
            height: 10,
            ..Frame::default()
        };
        let flat = flat_message(&msg).map(|f| serde_json::to_value(f).unwrap());
        assert_eq!(
            flat,
            Some(
                serde_json::json!({"id":5,"userid":7,"dstid":9,"cmd":10,"media":4,"url":"/media/k.png"})
            )
        );
        for cmd in [0, 1, 2, 12, 13, 15, 16] {
            let other = Frame { cmd, ..msg.clone() };
            assert_eq!(flat_message(&other), None, "cmd {cmd}");
        }
    }
}
