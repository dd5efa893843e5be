//! loadgen against the real server, as library calls: S2 (4 friend pairs, 200 msg/s) and
//! S3 (a group of 20) for 2 s each. Every message sent must be acked and every expected
//! delivery must arrive, so the load generator cannot rot and a server that loses
//! deliveries under a little load fails here. The benchmark targets themselves are never
//! asserted (see docs/benchmarks.md).

use crate::common;
use loadgen::scenarios::{self, Opts, TrafficResult};

fn opts(srv: &common::TestServer) -> Opts {
    Opts {
        url: srv.base.clone(),
        quiet: true,
        warmup: 0.3,
        duration: 2.0,
        drain: 5.0,
        ..Opts::default()
    }
}

fn assert_all_delivered(r: &TrafficResult) {
    let s = &r.result;
    assert!(s.sent > 0, "{} sent nothing: {s:?}", r.scenario);
    assert_eq!(
        s.acked,
        Some(s.sent),
        "{}: every send acked: {s:?}",
        r.scenario
    );
    assert!(s.expected_deliveries > 0, "{}: {s:?}", r.scenario);
    assert_eq!(
        s.deliveries, s.expected_deliveries,
        "{}: every delivery arrived: {s:?}",
        r.scenario
    );
    assert_eq!(r.errors.total(), 0, "{}: errors {:?}", r.scenario, r.errors);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadgen_s2_and_s3_deliver_every_message() {
    let srv = common::spawn().await;
    let s2 = scenarios::s2(&Opts {
        pairs: 4,
        rate: 200.0,
        ..opts(&srv)
    })
    .await
    .unwrap();
    assert_all_delivered(&s2);
    // 200 msg/s for 2 s, within the schedule's rounding.
    assert!((380..=420).contains(&s2.result.sent), "{:?}", s2.result);

    let s3 = scenarios::s3(&Opts {
        group_size: 20,
        senders: 2,
        rate: 50.0,
        ..opts(&srv)
    })
    .await
    .unwrap();
    assert_all_delivered(&s3);
    assert_eq!(s3.result.expected_per_msg, 19);
}
