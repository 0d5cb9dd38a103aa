//! Structured round trip: arbitrary messages sent by one connection (with or without
//! permessage-deflate, with or without auto-fragmentation), the bytes re-chunked at random,
//! received by a connection of the other role: the same messages come out, in order, in
//! both directions, and the closing handshake completes cleanly.

use arbitrary::{Arbitrary, Unstructured};
use wsengine::config::{Config, Delivery, Role};
use wsengine::deflate;
use wsengine::{Connection, DataKind, Event, OpenOptions, State};

use crate::check::{Checker, OutStream};
use crate::conn::DeflateKnobs;
use crate::rng;

#[derive(Arbitrary, Debug, Clone)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
    /// A message sent with `send_fragment` in these pieces (text may split characters).
    Fragmented {
        text: bool,
        parts: Vec<Vec<u8>>,
    },
    FragmentedText {
        text: String,
        cuts: Vec<u8>,
    },
    Big {
        text: bool,
        len: u16,
        seed: u8,
        /// Sent with `send_zero_copy` (the payload written after the taken output).
        zero_copy: bool,
    },
    /// `send_zero_copy` (text lossy-converted to UTF-8).
    ZeroCopy(bool, Vec<u8>),
    Ping(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    seed: u64,
    client_deflate: Option<DeflateKnobs>,
    server_deflate: Option<DeflateKnobs>,
    client_frame: Option<u8>,
    server_frame: Option<u8>,
    delivery: u8,
    surface_pings: bool,
    msgs: Vec<Msg>,
    chunks: Vec<u16>,
}

/// What the receiver must report for one sent item.
#[derive(Debug, PartialEq, Eq)]
enum Expect {
    Message(DataKind, Vec<u8>),
    Ping(Vec<u8>),
}

fn config(frame: Option<u8>, delivery: u8, surface_pings: bool) -> Config {
    let mut c = Config::default();
    c.max_outgoing_frame_size = frame.map(|f| 1 + usize::from(f));
    c.delivery = match delivery % 3 {
        0 => Delivery::Messages,
        1 => Delivery::Chunks(1 + usize::from(delivery / 3)),
        _ => Delivery::Frames,
    };
    c.surface_pings = surface_pings;
    c.handshake_timeout = None;
    c
}

/// A whole message with `send_zero_copy`: when only the header was queued, the output so far
/// and then the payload go to `wire`, as a driver writes them.
fn send_zero_copy(tx: &mut Connection, kind: DataKind, payload: &[u8], wire: &mut Vec<u8>) {
    if tx.send_zero_copy(kind, payload).expect("send_zero_copy") {
        wire.extend_from_slice(&tx.take_output());
        wire.extend_from_slice(payload);
    }
}

/// Sends every message from `tx`, appending to `wire` what a zero-copy send had the caller
/// write; returns what `rx` must see.
fn send_all(
    tx: &mut Connection,
    msgs: &[Msg],
    surface_pings: bool,
    wire: &mut Vec<u8>,
) -> Vec<Expect> {
    let mut expect = Vec::new();
    for m in msgs {
        match m {
            Msg::Text(s) => {
                tx.send_text(s).expect("send_text");
                expect.push(Expect::Message(DataKind::Text, s.as_bytes().to_vec()));
            }
            Msg::Binary(b) => {
                tx.send_binary(b).expect("send_binary");
                expect.push(Expect::Message(DataKind::Binary, b.clone()));
            }
            Msg::Fragmented { text, parts } => {
                let kind = if *text {
                    DataKind::Text
                } else {
                    DataKind::Binary
                };
                let parts: Vec<Vec<u8>> = if *text {
                    // Keep the whole message UTF-8: lossy-convert each part.
                    parts
                        .iter()
                        .map(|p| String::from_utf8_lossy(p).into_owned().into_bytes())
                        .collect()
                } else {
                    parts.clone()
                };
                let mut all = Vec::new();
                for p in &parts {
                    tx.send_fragment(kind, p, false).expect("fragment");
                    all.extend_from_slice(p);
                }
                tx.send_fragment(kind, b"", true).expect("last fragment");
                expect.push(Expect::Message(kind, all));
            }
            Msg::FragmentedText { text, cuts } => {
                let b = text.as_bytes();
                let mut at = 0;
                for c in cuts {
                    let end = (at + usize::from(*c)).min(b.len());
                    tx.send_fragment(DataKind::Text, &b[at..end], false)
                        .expect("fragment");
                    at = end;
                }
                tx.send_fragment(DataKind::Text, &b[at..], true)
                    .expect("last fragment");
                expect.push(Expect::Message(DataKind::Text, b.to_vec()));
            }
            Msg::Big {
                text,
                len,
                seed,
                zero_copy,
            } => {
                let b: Vec<u8> = (0..usize::from(*len))
                    .map(|i| b'a' + ((i * usize::from(*seed | 1)) % 7) as u8)
                    .collect();
                if *zero_copy {
                    let kind = if *text {
                        DataKind::Text
                    } else {
                        DataKind::Binary
                    };
                    send_zero_copy(tx, kind, &b, wire);
                    expect.push(Expect::Message(kind, b));
                } else if *text {
                    tx.send_text(core::str::from_utf8(&b).expect("ascii"))
                        .expect("send big text");
                    expect.push(Expect::Message(DataKind::Text, b));
                } else {
                    tx.send_owned(DataKind::Binary, b.clone())
                        .expect("send big binary");
                    expect.push(Expect::Message(DataKind::Binary, b));
                }
            }
            Msg::ZeroCopy(text, b) => {
                let (kind, b) = if *text {
                    let s = String::from_utf8_lossy(b).into_owned();
                    (DataKind::Text, s.into_bytes())
                } else {
                    (DataKind::Binary, b.clone())
                };
                send_zero_copy(tx, kind, &b, wire);
                expect.push(Expect::Message(kind, b));
            }
            Msg::Ping(p) => {
                let p = &p[..p.len().min(125)];
                tx.ping(p).expect("ping");
                if surface_pings {
                    expect.push(Expect::Ping(p.to_vec()));
                }
            }
        }
    }
    expect
}

/// Moves `wire` and then everything `tx` wrote into `rx` in the given chunk sizes; returns
/// the events.
fn transfer(
    wire: Vec<u8>,
    tx: &mut Connection,
    rx: &mut Connection,
    chunks: &[u16],
    check: &mut Checker,
    out: &mut OutStream,
) -> Vec<Event> {
    let mut bytes = wire;
    bytes.extend_from_slice(&tx.take_output());
    out.push(&bytes);
    let mut events = Vec::new();
    let mut at = 0;
    let mut i = 0;
    while at < bytes.len() {
        let n = chunks
            .get(i % chunks.len().max(1))
            .map_or(bytes.len(), |c| usize::from(*c) + 1);
        let end = (at + n).min(bytes.len());
        rx.receive(&bytes[at..end]);
        events.extend(check.drain(rx));
        check.state(rx);
        at = end;
        i += 1;
    }
    events
}

/// Reassembles messages from the events and compares with what was sent.
fn compare(events: Vec<Event>, expect: &[Expect]) {
    let mut got = Vec::new();
    let mut partial: Option<(DataKind, Vec<u8>)> = None;
    for ev in events {
        match ev {
            Event::Text(s) => got.push(Expect::Message(DataKind::Text, s.into_bytes())),
            Event::Binary(b) => got.push(Expect::Message(DataKind::Binary, b)),
            Event::Chunk(c) => {
                let (_, buf) = partial.get_or_insert_with(|| (c.kind, Vec::new()));
                buf.extend_from_slice(&c.data);
                if c.last {
                    let (k, b) = partial.take().expect("partial");
                    got.push(Expect::Message(k, b));
                }
            }
            Event::Ping(p) => got.push(Expect::Ping(p)),
            Event::Writable => {}
            other => panic!("unexpected event {other:?}"),
        }
    }
    assert!(partial.is_none(), "a message was left incomplete");
    assert_eq!(got.len(), expect.len(), "message count");
    for (g, e) in got.iter().zip(expect) {
        assert_eq!(g, e, "message differs");
    }
}

/// See the module documentation.
pub fn roundtrip(data: &[u8]) {
    let u = Unstructured::new(data);
    let Ok(input) = Input::arbitrary_take_rest(u) else {
        return;
    };
    if input.msgs.len() > 64 {
        return;
    }
    let mut ccfg = config(input.client_frame, input.delivery, input.surface_pings);
    let mut scfg = config(input.server_frame, input.delivery / 7, input.surface_pings);
    // No ratio guard here: it refuses legitimate, very compressible messages by design.
    let no_ratio = |k: &DeflateKnobs| {
        let mut d = k.config();
        d.max_ratio = None;
        d
    };
    ccfg.deflate = input.client_deflate.as_ref().map(no_ratio);
    scfg.deflate = input.server_deflate.as_ref().map(no_ratio);
    // Negotiate as the handshake would, then open both ends in post-handshake mode.
    let ext = match (&ccfg.deflate, &scfg.deflate) {
        (Some(c), Some(s)) => {
            let offer = deflate::client_offer(c);
            let (_, response) = deflate::server_negotiate(s, &[&offer])
                .expect("offer parses")
                .expect("offer accepted");
            deflate::client_accept(c, &[&response]).expect("response accepted");
            Some(response)
        }
        _ => None,
    };
    let opts = OpenOptions {
        protocol: None,
        extensions: ext.clone(),
    };
    let mut client = Connection::open(
        Role::Client,
        ccfg.clone(),
        opts.clone(),
        Some(rng(input.seed)),
    )
    .expect("client opens");
    let mut server =
        Connection::open(Role::Server, scfg.clone(), opts, None).expect("server opens");
    let mut cc = Checker::new(Role::Client, &ccfg, true);
    let mut sc = Checker::new(Role::Server, &scfg, true);
    let mut cout = OutStream::new(Role::Client, false);
    let mut sout = OutStream::new(Role::Server, false);
    cout.deflate = ext.is_some();
    sout.deflate = ext.is_some();
    for (conn, check) in [(&mut client, &mut cc), (&mut server, &mut sc)] {
        let evs = check.drain(conn);
        assert!(matches!(evs[..], [Event::Open(_)]), "{evs:?}");
    }

    // Client to server.
    let mut wire = Vec::new();
    let expect = send_all(&mut client, &input.msgs, scfg.surface_pings, &mut wire);
    let events = transfer(
        wire,
        &mut client,
        &mut server,
        &input.chunks,
        &mut sc,
        &mut cout,
    );
    compare(events, &expect);
    // The server's pongs go back; the client surfaces nothing.
    let back = transfer(
        Vec::new(),
        &mut server,
        &mut client,
        &input.chunks,
        &mut cc,
        &mut sout,
    );
    assert!(
        back.iter().all(|e| matches!(e, Event::Writable)),
        "{back:?}"
    );

    // Server to client.
    let mut wire = Vec::new();
    let expect = send_all(&mut server, &input.msgs, ccfg.surface_pings, &mut wire);
    let events = transfer(
        wire,
        &mut server,
        &mut client,
        &input.chunks,
        &mut cc,
        &mut sout,
    );
    compare(events, &expect);
    let back = transfer(
        Vec::new(),
        &mut client,
        &mut server,
        &input.chunks,
        &mut sc,
        &mut cout,
    );
    assert!(
        back.iter().all(|e| matches!(e, Event::Writable)),
        "{back:?}"
    );

    // Clean close, initiated by the client.
    client.close(Some(1000), "done").expect("close");
    let evs = no_writable(transfer(
        Vec::new(),
        &mut client,
        &mut server,
        &input.chunks,
        &mut sc,
        &mut cout,
    ));
    assert!(
        matches!(evs[..], [Event::CloseReceived(_), Event::Closed(_)]),
        "{evs:?}"
    );
    assert_eq!(server.state(), State::Closed);
    let evs = no_writable(transfer(
        Vec::new(),
        &mut server,
        &mut client,
        &input.chunks,
        &mut cc,
        &mut sout,
    ));
    assert!(matches!(evs[..], [Event::CloseReceived(_)]), "{evs:?}");
    client.receive_eof();
    cc.drain(&mut client);
    cc.state(&client);
    let info = client.close_info().expect("client closed");
    assert!(info.was_clean && info.code == 1000, "{info:?}");
    assert!(server.close_info().expect("server closed").was_clean);
}

fn no_writable(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter(|e| !matches!(e, Event::Writable))
        .collect()
}
