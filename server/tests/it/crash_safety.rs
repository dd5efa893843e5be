//! Crash safety with the real binary: SIGKILL the server while clients are sending; after a
//! restart on the same data, every acknowledged message is in history exactly once, seqs
//! are gap-free, and clients that resend their unacknowledged cids create no duplicates.

use crate::common;

use app::protocol::frame::Frame;
use common::process::{free_port, start};
use common::ws::Ws;
use reqwest::header::AUTHORIZATION;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::process::Command;
use std::time::Duration;

async fn post(base: &str, path: &str, token: Option<&str>, body: Value) -> Value {
    let mut req = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .json(&body);
    if let Some(t) = token {
        req = req.header(AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

fn msg(gid: i64, cid: &str) -> Frame {
    Frame {
        cmd: 11,
        dstid: gid,
        media: 1,
        cid: cid.to_owned(),
        content: format!("payload {cid}"),
        ..Frame::default()
    }
}

#[tokio::test]
async fn acknowledged_messages_survive_sigkill_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut server = start(dir.path(), port).await;

    let mut tokens = Vec::new();
    for i in 0..4 {
        let name = format!("crash{i}");
        post(
            &base,
            "/api/register",
            None,
            json!({"username": name, "password": "right-password"}),
        )
        .await;
        let login = post(
            &base,
            "/api/login",
            None,
            json!({"username": name, "password": "right-password"}),
        )
        .await;
        tokens.push(login["token"].as_str().unwrap().to_owned());
    }
    let group = post(
        &base,
        "/api/groups",
        Some(&tokens[0]),
        json!({"name": "crashers"}),
    )
    .await;
    let gid = group["id"].as_i64().unwrap();
    for t in &tokens[1..] {
        post(
            &base,
            &format!("/api/groups/{gid}/join"),
            Some(t),
            json!({}),
        )
        .await;
    }

    // Four senders, each sending and waiting for its ack, until the server dies.
    let senders: Vec<_> = tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let (base, token) = (base.clone(), token.clone());
            tokio::spawn(async move {
                let mut ws = Ws::messages_only(&base, &token).await;
                let mut acked: HashMap<String, i64> = HashMap::new();
                let mut sent = Vec::new();
                for n in 0.. {
                    let cid = format!("k{i}-{n}");
                    ws.send_or_fail(&msg(gid, &cid)).await.ok();
                    sent.push(cid.clone());
                    loop {
                        match ws.try_recv(Duration::from_secs(3)).await {
                            Some(f) if f.cmd == 1 => {
                                acked.insert(f.cid, f.seq);
                                break;
                            }
                            Some(_) => continue,
                            None => return (acked, sent),
                        }
                    }
                }
                (acked, sent)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(Command::new("kill")
        .args(["-KILL", &server.id().to_string()])
        .status()
        .unwrap()
        .success());
    let _ = server.wait();

    let mut acked: HashMap<String, i64> = HashMap::new();
    let mut sent = Vec::new();
    for s in senders {
        let (a, s) = s.await.unwrap();
        acked.extend(a);
        sent.extend(s);
    }
    assert!(
        acked.len() >= 20,
        "only {} acks before the kill",
        acked.len()
    );

    let mut server = start(dir.path(), port).await;
    // Clients resend everything they are unsure about; nothing may double.
    let mut ws = Ws::messages_only(&base, &tokens[0]).await;
    for cid in sent.iter().filter(|c| c.starts_with("k0-")) {
        ws.send(&msg(gid, cid)).await;
        loop {
            let f = ws.recv().await;
            if f.cmd == 1 {
                if let Some(seq) = acked.get(cid) {
                    assert_eq!(f.seq, *seq, "a resent acked cid gets its original seq");
                }
                break;
            }
        }
    }

    let mut history: Vec<Frame> = Vec::new();
    let mut after = 0;
    loop {
        let page: Vec<Frame> = reqwest::Client::new()
            .get(format!(
                "{base}/api/conversations/g:{gid}/messages?after={after}&limit=100"
            ))
            .header(AUTHORIZATION, format!("Bearer {}", tokens[1]))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = last.seq;
        history.extend(page);
    }
    let seqs: Vec<i64> = history.iter().map(|f| f.seq).collect();
    assert_eq!(
        seqs,
        (1..=history.len() as i64).collect::<Vec<_>>(),
        "gap-free after the crash"
    );
    let mut seen = HashSet::new();
    for f in &history {
        assert!(
            seen.insert((f.userid, f.cid.clone())),
            "duplicate {}",
            f.cid
        );
    }
    for (cid, seq) in &acked {
        let stored = history
            .iter()
            .find(|f| &f.cid == cid)
            .unwrap_or_else(|| panic!("acked {cid} lost"));
        assert_eq!(stored.seq, *seq);
    }
    println!(
        "crash test: {} acked before SIGKILL, {} in history after restart",
        acked.len(),
        history.len()
    );
    let _ = server.kill();
    let _ = server.wait();
}
