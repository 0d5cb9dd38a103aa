//! Property tests across the whole engine: random messages sent by one side arrive
//! unchanged on the other, whatever the re-chunking of the byte stream, the outgoing frame
//! size, compression and the delivery mode.

use proptest::prelude::*;
use wsengine::{Config, Connection, DataKind, Delivery, Event, OpenOptions, Role};

#[derive(Debug, Clone)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
    /// A message sent in explicit fragments.
    Fragmented(bool, Vec<Vec<u8>>),
    Ping(Vec<u8>),
}

fn msg() -> impl Strategy<Value = Msg> {
    prop_oneof![
        ".{0,300}".prop_map(Msg::Text),
        prop::collection::vec(any::<u8>(), 0..3000).prop_map(Msg::Binary),
        (
            any::<bool>(),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..50), 1..6)
        )
            .prop_map(|(t, parts)| Msg::Fragmented(t, parts)),
        prop::collection::vec(any::<u8>(), 0..125).prop_map(Msg::Ping),
    ]
}

fn random() -> Box<dyn wsengine::RandomSource> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    Box::new(move |b: &mut [u8]| {
        for v in b {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            *v = (s >> 33) as u8;
        }
    })
}

/// What the receiver must see for a sent message (text fragments are sent as valid UTF-8
/// of the bytes joined, so their concatenation is the message).
fn expected(m: &Msg) -> Option<(DataKind, Vec<u8>)> {
    match m {
        Msg::Text(t) => Some((DataKind::Text, t.clone().into_bytes())),
        Msg::Binary(b) => Some((DataKind::Binary, b.clone())),
        Msg::Fragmented(true, parts) => Some((DataKind::Text, text_of(parts).into_bytes())),
        Msg::Fragmented(false, parts) => Some((DataKind::Binary, parts.concat())),
        Msg::Ping(_) => None,
    }
}

/// Text fragments: each part mapped to ASCII so the joined message is valid UTF-8.
fn text_of(parts: &[Vec<u8>]) -> String {
    parts
        .concat()
        .iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect()
}

fn run(
    messages: &[Msg],
    cuts: &[usize],
    frame_size: Option<usize>,
    deflate: bool,
    delivery: Delivery,
) -> Result<(), TestCaseError> {
    let mut config = Config::default();
    config.max_outgoing_frame_size = frame_size;
    config.delivery = delivery;
    let extensions = deflate.then(|| "permessage-deflate".to_string());
    if deflate {
        #[cfg(feature = "deflate")]
        {
            let mut d = wsengine::deflate::DeflateConfig::default();
            d.threshold = 0;
            config.deflate = Some(d);
        }
        #[cfg(not(feature = "deflate"))]
        return Ok(());
    }
    let opts = OpenOptions {
        extensions,
        ..OpenOptions::default()
    };
    let mut client =
        Connection::open(Role::Client, config.clone(), opts.clone(), Some(random())).unwrap();
    let mut server = Connection::open(Role::Server, config, opts, None).unwrap();
    for m in messages {
        match m {
            Msg::Text(t) => client.send_text(t).unwrap(),
            Msg::Binary(b) => client.send_binary(b).unwrap(),
            Msg::Fragmented(text, parts) => {
                let kind = if *text {
                    DataKind::Text
                } else {
                    DataKind::Binary
                };
                let ascii = text_of(parts).into_bytes();
                let mut pos = 0;
                for (i, p) in parts.iter().enumerate() {
                    let piece = if *text {
                        &ascii[pos..pos + p.len()]
                    } else {
                        &p[..]
                    };
                    pos += p.len();
                    client
                        .send_fragment(kind, piece, i == parts.len() - 1)
                        .unwrap();
                }
            }
            Msg::Ping(p) => client.ping(p).unwrap(),
        }
    }
    let stream = client.take_output();
    // Feed the stream cut at the given points.
    let mut start = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (stream.len() + 1)).collect();
    points.sort_unstable();
    points.push(stream.len());
    for p in points {
        server.receive(&stream[start..p]);
        start = p;
    }
    let mut got: Vec<(DataKind, Vec<u8>)> = Vec::new();
    let mut partial: Option<(DataKind, Vec<u8>)> = None;
    for e in server.drain_events() {
        match e {
            Event::Text(t) => got.push((DataKind::Text, t.into_bytes())),
            Event::Binary(b) => got.push((DataKind::Binary, b)),
            Event::Chunk(c) => {
                let entry = partial.get_or_insert((c.kind, Vec::new()));
                prop_assert_eq!(entry.0, c.kind);
                prop_assert_eq!(entry.1.is_empty() && c.first, c.first);
                if c.kind == DataKind::Text {
                    prop_assert!(
                        std::str::from_utf8(&c.data).is_ok(),
                        "text chunks end on character boundaries"
                    );
                }
                entry.1.extend_from_slice(&c.data);
                if c.last {
                    got.push(partial.take().unwrap());
                }
            }
            Event::Open(_) => {}
            other => prop_assert!(false, "unexpected event {:?}", other),
        }
    }
    let want: Vec<_> = messages.iter().filter_map(expected).collect();
    prop_assert_eq!(got, want);
    // Every ping was answered with a pong of the same payload, in order.
    let pongs = server.take_output();
    let pings: Vec<&Vec<u8>> = messages
        .iter()
        .filter_map(|m| if let Msg::Ping(p) = m { Some(p) } else { None })
        .collect();
    let mut pos = 0;
    for p in pings {
        prop_assert_eq!(pongs[pos], 0x8a);
        prop_assert_eq!(pongs[pos + 1] as usize, p.len());
        prop_assert_eq!(&pongs[pos + 2..pos + 2 + p.len()], &p[..]);
        pos += 2 + p.len();
    }
    prop_assert_eq!(pos, pongs.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn messages_round_trip(messages in prop::collection::vec(msg(), 0..12),
                           cuts in prop::collection::vec(any::<usize>(), 0..20),
                           frame_size in prop::option::of(1usize..200)) {
        run(&messages, &cuts, frame_size, false, Delivery::Messages)?;
    }

    #[test]
    fn compressed_messages_round_trip(messages in prop::collection::vec(msg(), 0..8),
                                      cuts in prop::collection::vec(any::<usize>(), 0..20),
                                      frame_size in prop::option::of(1usize..200)) {
        run(&messages, &cuts, frame_size, true, Delivery::Messages)?;
    }

    #[test]
    fn chunked_and_frame_delivery_reassemble(messages in prop::collection::vec(msg(), 0..8),
                                             cuts in prop::collection::vec(any::<usize>(), 0..20),
                                             chunk in 1usize..64, frames in any::<bool>()) {
        let delivery = if frames { Delivery::Frames } else { Delivery::Chunks(chunk) };
        run(&messages, &cuts, Some(37), false, delivery)?;
    }
}
