//! Behaviour of the whole connection: framing rules, close codes, delivery modes,
//! handshake driving, backpressure and timers.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::config::Delivery;
use crate::event::{Chunk, DataKind};
use crate::handshake::{Header, Request};

/// A deterministic, non-constant key source for tests.
fn test_random() -> Box<dyn RandomSource> {
    let mut state: u32 = 0x1234_5678;
    Box::new(move |buf: &mut [u8]| {
        for b in buf {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            *b = state as u8;
        }
    })
}

fn server_with(config: Config) -> Connection {
    let mut c = Connection::open(Role::Server, config, OpenOptions::default(), None).unwrap();
    assert!(matches!(c.poll_event(), Some(Event::Open(_))));
    c
}

fn server() -> Connection {
    server_with(Config::default())
}

fn client_with(config: Config) -> Connection {
    let mut c = Connection::open(
        Role::Client,
        config,
        OpenOptions::default(),
        Some(test_random()),
    )
    .unwrap();
    assert!(matches!(c.poll_event(), Some(Event::Open(_))));
    c
}

/// A frame as a client sends it (masked with a fixed key).
fn masked(first_byte: u8, payload: &[u8]) -> Vec<u8> {
    frame(first_byte, payload, Some([0x11, 0x22, 0x33, 0x44]))
}

fn frame(first_byte: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![first_byte];
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(mask_bit | n as u8),
        n if n <= 0xffff => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

fn events(c: &mut Connection) -> Vec<Event> {
    c.drain_events().collect()
}

/// Feeds `input` and returns the close code of the failure, checking the close frame sent.
fn failure_code(c: &mut Connection, input: &[u8]) -> u16 {
    c.receive(input);
    let evs = events(c);
    let code = evs
        .iter()
        .find_map(|e| match e {
            Event::Failed(err) => Some(err.close_code()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no failure in {evs:?}"));
    assert!(matches!(evs.last(), Some(Event::Closed(_))), "{evs:?}");
    assert_eq!(c.state(), State::Closed);
    let out = c.take_output();
    assert_eq!(out[0], 0x88, "a close frame was sent");
    assert_eq!(u16::from_be_bytes([out[2], out[3]]), code);
    code
}

#[test]
fn rfc_5_7_examples() {
    let mut s = server();
    s.receive(&[
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ]);
    assert_eq!(events(&mut s), vec![Event::Text("Hello".into())]);
    // Fragmented unmasked text to a client: "Hel" + "lo".
    let mut c = client_with(Config::default());
    c.receive(&[0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f]);
    assert_eq!(events(&mut c), vec![Event::Text("Hello".into())]);
    // Unmasked ping with "Hello", answered by a masked pong of the same payload.
    c.receive(&[0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
    assert!(events(&mut c).is_empty());
    let out = c.take_output();
    assert_eq!(out[0], 0x8a);
    assert_eq!(out[1], 0x85);
    let key = [out[2], out[3], out[4], out[5]];
    let pong: Vec<u8> = out[6..]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    assert_eq!(pong, b"Hello");
    // 256 bytes and 64 KiB binary in one unmasked frame.
    for n in [256usize, 65536] {
        c.receive(&frame(0x82, &vec![7u8; n], None));
        assert_eq!(events(&mut c), vec![Event::Binary(vec![7u8; n])]);
    }
}

#[test]
fn any_chunking_gives_the_same_events() {
    let mut input = Vec::new();
    input.extend(masked(0x01, "héllo wö".as_bytes()));
    input.extend(masked(0x89, b"ping"));
    input.extend(masked(0x80, "rld €".as_bytes()));
    input.extend(masked(0x82, &[1, 2, 3]));
    let mut whole = server();
    whole.receive(&input);
    let expected = events(&mut whole);
    assert_eq!(
        expected,
        vec![
            Event::Text("héllo wörld €".into()),
            Event::Binary(vec![1, 2, 3])
        ]
    );
    for size in 1..input.len() {
        let mut s = server();
        for piece in input.chunks(size) {
            s.receive(piece);
        }
        assert_eq!(events(&mut s), expected, "chunk size {size}");
        assert_eq!(s.take_output(), whole.take_output_clone());
    }
}

impl Connection {
    fn take_output_clone(&self) -> Vec<u8> {
        self.output_segments().flatten().copied().collect()
    }
}

#[test]
fn protocol_errors_fail_with_1002() {
    let cases: Vec<Vec<u8>> = vec![
        masked(0x83, b""),                                       // reserved opcode
        masked(0x8b, b""),                                       // reserved control opcode
        masked(0xc1, b"x"),                                      // RSV1 without an extension
        masked(0xa1, b"x"),                                      // RSV2
        masked(0x91, b"x"),                                      // RSV3
        frame(0x81, b"x", None),                                 // unmasked client frame
        masked(0x09, b""),                                       // fragmented ping
        masked(0x89, &[0; 126]),                                 // ping longer than 125 bytes
        masked(0x80, b"x"),                                      // continuation without a message
        [masked(0x01, b"a"), masked(0x81, b"b")].concat(), // new message inside a fragmented one
        masked(0x88, &[0x03]),                             // 1-byte close payload
        masked(0x88, &[0x03, 0xed]),                       // close code 1005 on the wire
        masked(0x88, &[0x03, 0xee]),                       // 1006
        masked(0x88, &[0x03, 0xf7]),                       // 1015
        masked(0x88, &[0x0b, 0xb7]),                       // 2999
        masked(0x88, &[0x13, 0x88]),                       // 5000
        vec![0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], // 64-bit length, top bit set
    ];
    for (i, input) in cases.iter().enumerate() {
        let mut s = server();
        assert_eq!(failure_code(&mut s, input), 1002, "case {i}");
    }
    // A client rejects masked frames from the server.
    let mut c = client_with(Config::default());
    c.receive(&masked(0x81, b"x"));
    assert!(matches!(
        events(&mut c)[0],
        Event::Failed(Error::MaskedFrame)
    ));
}

#[test]
fn invalid_utf8_fails_fast_with_1007() {
    // The bad byte arrives in the first fragment; the message never completes.
    let mut s = server();
    assert_eq!(failure_code(&mut s, &masked(0x01, &[b'a', 0xff])), 1007);
    // Mid-frame: the first half of a frame already holds the invalid sequence.
    let mut s = server();
    let f = masked(0x81, &[b'a', b'b', 0xed, 0xa0, 0x80, b'c', b'd']);
    s.receive(&f[..f.len() - 2]);
    assert!(matches!(
        events(&mut s)[0],
        Event::Failed(Error::InvalidUtf8)
    ));
    // A character split across fragments is valid once complete.
    let mut s = server();
    let euro = "€".as_bytes();
    s.receive(
        &[
            masked(0x01, &euro[..1]),
            masked(0x00, &euro[1..2]),
            masked(0x80, &euro[2..]),
        ]
        .concat(),
    );
    assert_eq!(events(&mut s), vec![Event::Text("€".into())]);
    // A message that ends inside a character is invalid.
    let mut s = server();
    assert_eq!(failure_code(&mut s, &masked(0x81, &euro[..2])), 1007);
    // An invalid close reason.
    let mut s = server();
    assert_eq!(
        failure_code(&mut s, &masked(0x88, &[0x03, 0xe8, 0xff])),
        1007
    );
}

#[test]
fn ignore_utf8_errors() {
    let mut s = server_with(Config {
        ignore_utf8_errors: true,
        ..Config::default()
    });
    s.receive(&masked(0x81, &[b'a', 0xff]));
    assert_eq!(events(&mut s), vec![Event::Text("a\u{fffd}".into())]);
}

#[test]
fn size_limits_fail_with_1009() {
    let config = Config {
        max_frame_size: 10,
        max_message_size: 15,
        max_fragments: 3,
        ..Config::default()
    };
    let mut s = server_with(config.clone());
    assert_eq!(failure_code(&mut s, &masked(0x82, &[0; 11])), 1009);
    let mut s = server_with(config.clone());
    assert_eq!(
        failure_code(
            &mut s,
            &[masked(0x02, &[0; 10]), masked(0x80, &[0; 6])].concat()
        ),
        1009
    );
    let mut s = server_with(config.clone());
    let input = [
        masked(0x02, b""),
        masked(0x00, b""),
        masked(0x00, b""),
        masked(0x80, b""),
    ]
    .concat();
    assert_eq!(failure_code(&mut s, &input), 1009);
    // At the limits exactly, everything passes.
    let mut s = server_with(config);
    s.receive(
        &[
            masked(0x02, &[1; 10]),
            masked(0x00, &[2; 4]),
            masked(0x80, &[3; 1]),
        ]
        .concat(),
    );
    assert_eq!(events(&mut s).len(), 1);
}

#[test]
fn sixty_four_thousand_fragments_pass_by_default() {
    // Autobahn 9.3/9.4: 4 MiB in 65,536 fragments of 64 bytes.
    let mut s = server();
    let mut input = Vec::with_capacity(65536 * 70);
    for i in 0..65536u32 {
        let first = match i {
            0 => 0x02,
            65535 => 0x80,
            _ => 0x00,
        };
        input.extend(masked(first, &[(i % 251) as u8; 64]));
    }
    for piece in input.chunks(65536) {
        s.receive(piece);
    }
    match events(&mut s).as_slice() {
        [Event::Binary(data)] => assert_eq!(data.len(), 4 << 20),
        other => panic!("{other:?}"),
    }
}

#[test]
fn close_handshake_initiated_by_peer() {
    let mut s = server();
    s.receive(&masked(0x88, b"\x03\xe8bye"));
    let evs = events(&mut s);
    assert_eq!(
        evs[0],
        Event::CloseReceived(CloseFrame {
            code: 1000,
            reason: "bye".into()
        })
    );
    let Event::Closed(info) = &evs[1] else {
        panic!("{evs:?}")
    };
    assert!(info.was_clean);
    assert_eq!(
        (info.code, info.initiated_by, info.sent_code),
        (1000, Some(Side::Remote), Some(1000))
    );
    assert_eq!(s.take_output(), b"\x88\x05\x03\xe8bye");
    assert_eq!(
        s.send_text("late"),
        Err(Error::InvalidState("the connection is not open"))
    );
    // An empty close is echoed empty and reported as 1005.
    let mut s = server();
    s.receive(&masked(0x88, b""));
    assert_eq!(s.take_output(), [0x88, 0x00]);
    assert_eq!(s.close_info().unwrap().code, 1005);
}

#[test]
fn close_handshake_initiated_locally() {
    let mut c = client_with(Config::default());
    c.close(Some(3000), "done").unwrap();
    assert_eq!(c.state(), State::Closing);
    assert!(c.send_binary(b"x").is_err());
    assert!(c.ping(b"").is_err());
    let out = c.take_output();
    assert_eq!(out[0], 0x88);
    // Data still arrives while our close is in flight.
    c.receive(&frame(0x81, b"in flight", None));
    c.receive(&frame(0x88, b"\x0b\xb8", None));
    let evs = events(&mut c);
    assert_eq!(evs[0], Event::Text("in flight".into()));
    assert!(matches!(evs[1], Event::CloseReceived(_)));
    // The client waits for the server to drop the transport.
    assert_eq!(c.state(), State::Closing);
    assert!(c.take_output().is_empty(), "nothing is sent after a close");
    c.receive_eof();
    let Some(Event::Closed(info)) = c.poll_event() else {
        panic!()
    };
    assert!(info.was_clean);
    assert_eq!(info.initiated_by, Some(Side::Local));
    assert_eq!(info.code, 3000);
}

#[test]
fn application_close_validation() {
    let mut s = server();
    assert_eq!(
        s.close(Some(1001), ""),
        Err(Error::InvalidCloseCodeForApp(1001))
    );
    assert_eq!(
        s.close(Some(5000), ""),
        Err(Error::InvalidCloseCodeForApp(5000))
    );
    assert_eq!(
        s.close(Some(1000), &"x".repeat(124)),
        Err(Error::ReasonTooLong)
    );
    assert!(matches!(
        s.close_with(1005, ""),
        Err(Error::InvalidInput(_))
    ));
    s.close(None, "why").unwrap();
    assert_eq!(
        s.take_output(),
        [&[0x88u8, 0x05, 0x03, 0xe8][..], b"why"].concat()
    );
    let mut s = server();
    s.close_with(1001, "").unwrap();
    assert_eq!(s.take_output(), [0x88, 0x02, 0x03, 0xe9]);
}

#[test]
fn eof_without_close_is_1006() {
    let mut s = server();
    s.receive_eof();
    let Some(Event::Closed(info)) = s.poll_event() else {
        panic!()
    };
    assert_eq!((info.code, info.was_clean), (1006, false));
}

#[test]
fn control_frames_inside_fragmented_messages() {
    let mut s = server_with(Config {
        surface_pings: true,
        surface_pongs: true,
        ..Config::default()
    });
    s.receive(
        &[
            masked(0x01, b"fra"),
            masked(0x89, b"p"),
            masked(0x8a, b"q"),
            masked(0x80, b"gment"),
        ]
        .concat(),
    );
    assert_eq!(
        events(&mut s),
        vec![
            Event::Ping(b"p".to_vec()),
            Event::Pong(b"q".to_vec()),
            Event::Text("fragment".into())
        ]
    );
    assert_eq!(s.take_output(), [0x8a, 0x01, b'p']);
}

#[test]
fn chunked_delivery_ends_on_character_boundaries() {
    let mut s = server_with(Config {
        delivery: Delivery::Chunks(4),
        ..Config::default()
    });
    s.receive(&masked(0x81, "ab€cdéf".as_bytes()));
    let evs = events(&mut s);
    let mut text = String::new();
    for (i, e) in evs.iter().enumerate() {
        let Event::Chunk(Chunk {
            kind: DataKind::Text,
            data,
            first,
            last,
        }) = e
        else {
            panic!("{e:?}")
        };
        assert!(data.len() <= 4);
        assert_eq!(*first, i == 0);
        assert_eq!(*last, i == evs.len() - 1);
        text.push_str(core::str::from_utf8(data).unwrap());
    }
    assert_eq!(text, "ab€cdéf");
    assert!(evs.len() >= 3);
}

#[test]
fn preserve_frames_delivers_each_frame() {
    let mut s = server_with(Config {
        delivery: Delivery::Frames,
        ..Config::default()
    });
    s.receive(&[masked(0x02, b"ab"), masked(0x00, b""), masked(0x80, b"c")].concat());
    let data: Vec<(Vec<u8>, bool, bool)> = events(&mut s)
        .into_iter()
        .map(|e| match e {
            Event::Chunk(c) => (c.data, c.first, c.last),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        data,
        vec![
            (b"ab".to_vec(), true, false),
            (vec![], false, false),
            (b"c".to_vec(), false, true)
        ]
    );
}

#[test]
fn sending_frames_and_auto_fragmentation() {
    let mut s = server_with(Config {
        max_outgoing_frame_size: Some(2),
        ..Config::default()
    });
    s.send_text("abcde").unwrap();
    assert_eq!(
        s.take_output(),
        [0x01, 2, b'a', b'b', 0x00, 2, b'c', b'd', 0x80, 1, b'e']
    );
    s.send_fragment(DataKind::Binary, b"x", false).unwrap();
    assert!(
        s.send_text("no").is_err(),
        "a fragmented message is in progress"
    );
    s.ping(b"").unwrap();
    s.send_fragment(DataKind::Binary, b"y", true).unwrap();
    assert_eq!(s.take_output(), [0x02, 1, b'x', 0x89, 0, 0x80, 1, b'y']);
    assert_eq!(s.ping(&[0; 126]), Err(Error::ControlPayloadTooLong));
}

#[test]
fn client_frames_are_masked_with_fresh_keys() {
    let mut c = client_with(Config::default());
    c.send_text("same").unwrap();
    c.send_text("same").unwrap();
    let out = c.take_output();
    assert_eq!(out.len(), 2 * (2 + 4 + 4));
    assert_eq!(out[1], 0x84);
    assert_ne!(out[2..6], out[12..16], "each frame gets its own key");
    // The peer sees the text.
    let mut s = server();
    s.receive(&out);
    assert_eq!(
        events(&mut s),
        vec![Event::Text("same".into()), Event::Text("same".into())]
    );
}

#[test]
fn owned_payloads_are_not_copied() {
    let mut s = server();
    let payload = vec![9u8; 100_000];
    let ptr = payload.as_ptr();
    s.send_owned(DataKind::Binary, payload).unwrap();
    let segments: Vec<&[u8]> = s.output_segments().collect();
    assert_eq!(segments.len(), 2);
    assert_eq!(segments[0], [0x82, 127, 0, 0, 0, 0, 0, 1, 0x86, 0xa0]);
    assert_eq!(segments[1].as_ptr(), ptr);
}

#[test]
fn zero_copy_sends_queue_the_header_only_when_the_payload_can_follow_it_unchanged() {
    // A server, uncompressed: the header is the last output, the caller writes the payload.
    let mut s = server();
    let payload = vec![7u8; 100_000];
    s.send_text("before").unwrap();
    assert_eq!(s.send_zero_copy(DataKind::Binary, &payload), Ok(true));
    let mut wire = s.take_output();
    assert_eq!(wire[..8], *b"\x81\x06before");
    assert_eq!(wire[8..], [0x82, 127, 0, 0, 0, 0, 0, 1, 0x86, 0xa0]);
    wire.extend_from_slice(&payload);
    assert_eq!(s.send_zero_copy(DataKind::Text, "é".as_bytes()), Ok(true));
    wire.extend(s.take_output());
    wire.extend_from_slice("é".as_bytes());
    s.send_text("after").unwrap();
    wire.extend(s.take_output());
    let mut c = client_with(Config::default());
    c.receive(&wire);
    assert_eq!(
        events(&mut c),
        vec![
            Event::Text("before".into()),
            Event::Binary(payload.clone()),
            Event::Text("é".into()),
            Event::Text("after".into())
        ]
    );

    // The checks of send: invalid text, a fragmented message in progress, a closed connection.
    assert!(matches!(
        s.send_zero_copy(DataKind::Text, &[0xff]),
        Err(Error::InvalidInput(_))
    ));
    s.send_fragment(DataKind::Binary, b"a", false).unwrap();
    assert!(s.send_zero_copy(DataKind::Binary, b"b").is_err());
    s.send_fragment(DataKind::Binary, b"c", true).unwrap();
    s.close(Some(1000), "").unwrap();
    s.take_output();
    assert!(s.send_zero_copy(DataKind::Binary, b"d").is_err());
    assert_eq!(s.take_output(), b"");

    // A client masks the payload: the engine sends it whole, as send does.
    let mut c = client_with(Config::default());
    assert_eq!(c.send_zero_copy(DataKind::Binary, b"masked"), Ok(false));
    let mut peer = server();
    peer.receive(&c.take_output());
    assert_eq!(events(&mut peer), vec![Event::Binary(b"masked".to_vec())]);

    // Split at max_outgoing_frame_size: sent whole, in frames.
    let mut s = server_with(Config {
        max_outgoing_frame_size: Some(4),
        ..Config::default()
    });
    assert_eq!(s.send_zero_copy(DataKind::Binary, b"abcdef"), Ok(false));
    assert_eq!(s.take_output(), b"\x02\x04abcd\x80\x02ef");

    // A close frame waiting behind answers must follow the answer's payload: sent whole.
    let mut s = server();
    let mut input = masked(0x81, b"Hello");
    input.extend(masked(0x88, b"\x03\xe8"));
    s.receive(&input);
    assert_eq!(s.poll_event(), Some(Event::Text("Hello".into())));
    assert_eq!(s.send_zero_copy(DataKind::Text, b"Hello"), Ok(false));
    assert_eq!(s.take_output(), b"\x81\x05Hello\x88\x02\x03\xe8");
}

#[test]
fn backpressure_and_writable() {
    let mut s = server_with(Config {
        high_water_mark: 100,
        low_water_mark: 10,
        max_output_buffer: 1000,
        ..Config::default()
    });
    s.send_binary(&[0; 200]).unwrap();
    assert!(!s.is_writable());
    assert_eq!(s.buffered_amount(), 204);
    assert_eq!(s.send_binary(&[0; 800]), Err(Error::OutputBufferFull));
    // A ping flood while output is not drained: only the latest ping is answered.
    for i in 0..100u8 {
        s.receive(&masked(0x89, &[i]));
    }
    assert_eq!(s.buffered_amount(), 204);
    s.consume_output(195);
    assert_eq!(events(&mut s), vec![Event::Writable]);
    assert_eq!(s.take_output()[9..], [0x8a, 1, 99]);
}

#[test]
fn keepalive_ping_and_pong_timeout() {
    let mut c = client_with(Config {
        ping_interval: Some(1000),
        pong_timeout: Some(500),
        ..Config::default()
    });
    assert_eq!(c.poll_timeout(), Some(0));
    c.handle_timeout(10_000);
    assert_eq!(c.poll_timeout(), Some(11_000));
    c.handle_timeout(11_000);
    let out = c.take_output();
    assert_eq!(out[0], 0x89);
    let key = [out[2], out[3], out[4], out[5]];
    let payload: Vec<u8> = out[6..]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    // The pong answers it.
    c.receive(&frame(0x8a, &payload, None));
    c.handle_timeout(11_400);
    c.handle_timeout(11_600);
    assert_eq!(c.state(), State::Open);
    // The next ping goes unanswered.
    c.handle_timeout(12_000);
    c.take_output();
    c.handle_timeout(12_499);
    assert_eq!(c.state(), State::Open);
    c.handle_timeout(12_500);
    let evs = events(&mut c);
    assert!(matches!(evs[0], Event::Failed(Error::PongTimeout)));
    let out = c.take_output();
    let key = [out[2], out[3], out[4], out[5]];
    let payload: Vec<u8> = out[6..]
        .iter()
        .enumerate()
        .map(|(i, b)| b ^ key[i % 4])
        .collect();
    assert_eq!(&payload[..2], &[0x03, 0xf3], "1011");
    assert!(core::str::from_utf8(&payload[2..])
        .unwrap()
        .contains("pong"));
}

#[test]
fn idle_timeout_counts_inbound_bytes() {
    let mut s = server_with(Config {
        idle_timeout: Some(1000),
        ..Config::default()
    });
    s.handle_timeout(0);
    s.receive(&masked(0x89, b""));
    s.handle_timeout(900);
    s.handle_timeout(1500);
    assert_eq!(s.state(), State::Open);
    s.handle_timeout(1900);
    assert_eq!(s.state(), State::Closing);
    let out = s.take_output();
    assert_eq!(&out[out.len() - 16..], b"\x88\x0e\x03\xe9idle timeout");
}

#[test]
fn lifetime_and_close_timeout() {
    let mut s = server_with(Config {
        max_lifetime: Some(100),
        close_timeout: Some(50),
        ..Config::default()
    });
    s.handle_timeout(0);
    s.handle_timeout(100);
    assert_eq!(s.state(), State::Closing);
    s.handle_timeout(149);
    assert_eq!(s.state(), State::Closing);
    s.handle_timeout(150);
    let evs = events(&mut s);
    assert!(
        matches!(evs[0], Event::Failed(Error::CloseTimeout)),
        "{evs:?}"
    );
    let Event::Closed(info) = &evs[1] else {
        panic!()
    };
    assert_eq!((info.code, info.was_clean), (1006, false));
}

const REQUEST: &[u8] = b"GET /chat?room=1 HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n\
Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

#[test]
fn server_handshake_with_pipelined_frames() {
    let mut input = REQUEST.to_vec();
    input.extend(masked(0x81, b"early"));
    for size in [1, 7, input.len()] {
        let mut s = Connection::server(Config {
            protocols: vec!["superchat".into()],
            ..Config::default()
        })
        .unwrap();
        for piece in input.chunks(size) {
            s.receive(piece);
        }
        let evs = events(&mut s);
        let [Event::Request(req)] = evs.as_slice() else {
            panic!("{evs:?}")
        };
        assert_eq!(
            (req.path.as_str(), req.query.as_deref()),
            ("/chat", Some("room=1"))
        );
        assert_eq!(req.protocols, ["chat", "superchat"]);
        assert_eq!(req.origin.as_deref(), Some("http://example.com"));
        s.accept(AcceptOptions::default()).unwrap();
        let out = String::from_utf8(s.take_output()).unwrap();
        assert!(out.starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
        assert!(out.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(out.contains("Sec-WebSocket-Protocol: superchat\r\n"));
        let evs = events(&mut s);
        assert!(matches!(&evs[0], Event::Open(o) if o.protocol.as_deref() == Some("superchat")));
        assert_eq!(evs[1], Event::Text("early".into()));
    }
}

#[test]
fn server_rejections() {
    let mut s = Connection::server(Config::default()).unwrap();
    s.receive(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(matches!(s.poll_event(), Some(Event::HttpRequest(_))));
    s.respond(200, &[Header::new("Content-Type", "text/plain")], b"hi")
        .unwrap();
    let out = String::from_utf8(s.take_output()).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 200 OK\r\n") && out.ends_with("\r\n\r\nhi"),
        "{out}"
    );
    assert!(matches!(s.poll_event(), Some(Event::Closed(_))));

    let bad_version = String::from_utf8(REQUEST.to_vec())
        .unwrap()
        .replace("Version: 13", "Version: 8");
    let mut s = Connection::server(Config::default()).unwrap();
    s.receive(bad_version.as_bytes());
    let out = String::from_utf8(s.take_output()).unwrap();
    assert!(out.starts_with("HTTP/1.1 426"), "{out}");
    assert!(out.contains("Sec-WebSocket-Version: 13\r\n"));

    let mut s = Connection::server(Config {
        allowed_origins: Some(vec!["https://good.example".into()]),
        ..Config::default()
    })
    .unwrap();
    s.receive(REQUEST);
    assert!(String::from_utf8(s.take_output())
        .unwrap()
        .starts_with("HTTP/1.1 403"));
    assert!(matches!(
        s.poll_event(),
        Some(Event::Failed(Error::Handshake(_)))
    ));

    let mut s = Connection::server(Config::default()).unwrap();
    s.receive(REQUEST);
    s.poll_event();
    s.reject(401, &[], b"who are you").unwrap();
    assert!(String::from_utf8(s.take_output())
        .unwrap()
        .starts_with("HTTP/1.1 401"));
    assert_eq!(s.state(), State::Closed);

    let mut s = Connection::server(Config::default()).unwrap();
    s.receive(&vec![b'a'; 9000]);
    assert!(String::from_utf8(s.take_output())
        .unwrap()
        .starts_with("HTTP/1.1 431"));
}

#[test]
fn handshake_timeout_answers_408() {
    let mut s = Connection::server(Config {
        handshake_timeout: Some(5000),
        ..Config::default()
    })
    .unwrap();
    s.handle_timeout(1_000);
    s.receive(b"GET / HTTP/1.1\r\n");
    s.handle_timeout(5_999);
    assert_eq!(s.state(), State::Connecting);
    s.handle_timeout(6_000);
    assert!(String::from_utf8(s.take_output())
        .unwrap()
        .starts_with("HTTP/1.1 408"));
    assert!(matches!(
        s.poll_event(),
        Some(Event::Failed(Error::HandshakeTimeout))
    ));
}

fn accept_for(request: &[u8]) -> String {
    let text = core::str::from_utf8(request).unwrap();
    let key = text
        .lines()
        .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
        .unwrap();
    crate::handshake::accept_key(key.trim())
}

#[test]
fn client_handshake() {
    let options = ClientOptions {
        url: "ws://[::1]:9001/path?q=1".into(),
        ..ClientOptions::default()
    };
    let mut c = Connection::client(
        Config {
            protocols: vec!["chat".into()],
            ..Config::default()
        },
        options,
        test_random(),
    )
    .unwrap();
    let request = c.take_output();
    let text = String::from_utf8(request.clone()).unwrap();
    assert!(
        text.starts_with("GET /path?q=1 HTTP/1.1\r\nHost: [::1]:9001\r\n"),
        "{text}"
    );
    assert!(text.contains("Sec-WebSocket-Protocol: chat\r\n"));
    let accept = accept_for(&request);
    let mut response = alloc::format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
    )
    .into_bytes();
    response.extend(frame(0x81, b"hi", None));
    for b in &response {
        c.receive(core::slice::from_ref(b));
    }
    let evs = events(&mut c);
    assert!(
        matches!(&evs[0], Event::Open(o) if o.protocol.as_deref() == Some("chat")),
        "{evs:?}"
    );
    assert_eq!(evs[1], Event::Text("hi".into()));
    assert_eq!(c.protocol(), Some("chat"));
}

#[test]
fn client_rejects_bad_accept_and_reports_refusals() {
    let options = ClientOptions {
        url: "ws://localhost/".into(),
        ..ClientOptions::default()
    };
    let mut c = Connection::client(Config::default(), options.clone(), test_random()).unwrap();
    c.receive(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAAAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(Event::Failed(Error::Handshake(_)))
    ));

    let mut c = Connection::client(Config::default(), options.clone(), test_random()).unwrap();
    c.receive(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 4\r\n\r\nno");
    assert_eq!(c.poll_event(), None);
    c.receive(b"pe");
    let Some(Event::Rejected(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!((r.status, r.body.as_slice()), (403, &b"nope"[..]));

    let mut c = Connection::client(Config::default(), options, test_random()).unwrap();
    c.receive(b"HTTP/1.1 500 Oops\r\n\r\nuntil eof");
    c.receive_eof();
    let Some(Event::Rejected(r)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(r.body, b"until eof");
}

#[test]
fn client_through_connect_proxy() {
    let options = ClientOptions {
        url: "ws://example.com:8080/x".into(),
        proxy: Some(ProxyOptions {
            authorization: Some("Basic dTpw".into()),
            headers: vec![],
        }),
        ..ClientOptions::default()
    };
    let mut c = Connection::client(Config::default(), options, test_random()).unwrap();
    let connect = String::from_utf8(c.take_output()).unwrap();
    assert!(
        connect.starts_with("CONNECT example.com:8080 HTTP/1.1\r\n"),
        "{connect}"
    );
    assert!(connect.contains("Proxy-Authorization: Basic dTpw\r\n"));
    c.receive(b"HTTP/1.1 200 Connection established\r\n\r\n");
    assert_eq!(c.poll_event(), Some(Event::ProxyConnected));
    let request = c.take_output();
    assert!(request.starts_with(b"GET /x HTTP/1.1\r\n"));
}

#[test]
fn nothing_panics_on_misuse() {
    let mut s = Connection::server(Config::default()).unwrap();
    assert!(s.send_text("x").is_err());
    assert!(s.accept(AcceptOptions::default()).is_err());
    assert!(s.close(Some(1000), "").is_ok());
    // Closing while connecting abandons the handshake (W3C: the connection fails, 1006).
    assert_eq!(s.state(), State::Closed);
    assert!(matches!(
        s.poll_event(),
        Some(Event::Closed(CloseInfo {
            code: 1006,
            was_clean: false,
            ..
        }))
    ));
    assert!(s.take_output().is_empty());
    s.consume_output(1000);
    s.receive_eof();
    s.receive(b"more");
    s.handle_timeout(5);
    assert!(s.send_binary(b"x").is_err());
    assert!(Connection::client(
        Config::default(),
        ClientOptions {
            url: "http://x/".into(),
            ..Default::default()
        },
        test_random()
    )
    .is_err());
    assert!(Connection::open(
        Role::Client,
        Config::default(),
        OpenOptions::default(),
        None
    )
    .is_err());
}

#[test]
fn per_message_values_stay_small() {
    // Events are moved through a queue once per message: the rare, large variants are boxed.
    assert!(
        core::mem::size_of::<Event>() <= 48,
        "{}",
        core::mem::size_of::<Event>()
    );
    assert!(
        core::mem::size_of::<Request>() > 48,
        "boxing Request is still worth it"
    );
}

#[test]
fn connection_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Connection>();
}

#[cfg(feature = "deflate")]
#[test]
fn zero_copy_sends_over_the_deflate_threshold_are_compressed_by_the_engine() {
    let config = Config {
        deflate: Some(crate::deflate::DeflateConfig::default()),
        ..Config::default()
    };
    let opts = OpenOptions {
        extensions: Some("permessage-deflate".into()),
        ..OpenOptions::default()
    };
    let mut c = Connection::open(
        Role::Client,
        config.clone(),
        opts.clone(),
        Some(test_random()),
    )
    .unwrap();
    let mut s = Connection::open(Role::Server, config, opts, None).unwrap();
    events(&mut c);
    events(&mut s);
    let text = "compressible text, ".repeat(50);
    assert_eq!(s.send_zero_copy(DataKind::Text, text.as_bytes()), Ok(false));
    let out = s.take_output();
    assert_eq!(out[0], 0xc1, "FIN + RSV1 + text");
    // Under the threshold: the payload stays the caller's.
    assert_eq!(s.send_zero_copy(DataKind::Text, b"tiny"), Ok(true));
    let mut wire = out;
    wire.extend(s.take_output());
    wire.extend_from_slice(b"tiny");
    c.receive(&wire);
    assert_eq!(
        events(&mut c),
        vec![Event::Text(text), Event::Text("tiny".into())]
    );
}

#[cfg(feature = "deflate")]
#[test]
fn send_uncompressed_opts_out_of_deflate() {
    let config = Config {
        deflate: Some(crate::deflate::DeflateConfig::default()),
        ..Config::default()
    };
    let opts = OpenOptions {
        extensions: Some("permessage-deflate".into()),
        ..OpenOptions::default()
    };
    let mut c = Connection::open(
        Role::Client,
        config.clone(),
        opts.clone(),
        Some(test_random()),
    )
    .unwrap();
    let mut s = Connection::open(Role::Server, config, opts, None).unwrap();
    events(&mut c);
    events(&mut s);
    let text = "compressible text, ".repeat(50);
    assert!(text.len() > crate::deflate::DeflateConfig::default().threshold);

    // Over the threshold: send_text compresses (RSV1 set, shorter), send_uncompressed does not.
    c.send_text(&text).unwrap();
    let compressed = c.take_output();
    assert_eq!(compressed[0], 0xc1);
    assert!(compressed.len() < text.len());
    c.send_uncompressed(DataKind::Text, text.as_bytes())
        .unwrap();
    let plain = c.take_output();
    assert_eq!(plain[0], 0x81, "FIN + text, RSV1 clear");
    assert_eq!(plain.len(), 4 + 4 + text.len());
    c.send_uncompressed(DataKind::Binary, &[0xff; 300]).unwrap();
    let binary = c.take_output();
    assert_eq!(binary[0], 0x82);

    // The peer reads all three; the compression context is unaffected by the plain one.
    s.receive(&[compressed, plain, binary].concat());
    c.send_text(&text).unwrap();
    s.receive(&c.take_output());
    let got = events(&mut s);
    assert_eq!(got.len(), 4, "{got:?}");
    for e in &got[..2] {
        assert!(matches!(e, Event::Text(t) if *t == text));
    }
    assert!(matches!(&got[2], Event::Binary(b) if b[..] == [0xff; 300]));
    assert!(matches!(&got[3], Event::Text(t) if *t == text));

    // Same rules as the other senders.
    assert!(matches!(
        c.send_uncompressed(DataKind::Text, &[0xff]),
        Err(Error::InvalidInput(_))
    ));
    c.send_fragment(DataKind::Binary, b"a", false).unwrap();
    assert!(c.send_uncompressed(DataKind::Binary, b"b").is_err());
    c.send_fragment(DataKind::Binary, b"c", true).unwrap();
    c.close(Some(1000), "").unwrap();
    assert!(c.send_uncompressed(DataKind::Binary, b"d").is_err());
}

#[cfg(feature = "deflate")]
#[test]
fn compressed_message_in_chunks_counts_its_size_once() {
    // 200 bytes of text, delivered in chunks of 16, with a limit of 200: exactly at the limit.
    let config = Config {
        delivery: Delivery::Chunks(16),
        max_message_size: 200,
        ..Config::default()
    };
    let open = OpenOptions {
        extensions: Some("permessage-deflate".into()),
        ..OpenOptions::default()
    };
    let mut c = Connection::open(
        Role::Client,
        Config::default(),
        open.clone(),
        Some(test_random()),
    )
    .unwrap();
    let mut s = Connection::open(Role::Server, config, open, None).unwrap();
    let text: String = (0..200)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect();
    c.send_fragment(DataKind::Text, b"", false).unwrap();
    c.send_fragment(DataKind::Text, text.as_bytes(), true)
        .unwrap();
    // Compressed: a fresh client sending a whole message.
    c.send_text(&text).unwrap();
    let bytes = c.take_output();
    for b in bytes.chunks(7) {
        s.receive(b);
    }
    let mut joined = Vec::new();
    let mut lasts = 0;
    for e in s.drain_events() {
        match e {
            Event::Chunk(ch) => {
                joined.extend_from_slice(&ch.data);
                lasts += usize::from(ch.last);
            }
            Event::Open(_) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(lasts, 2);
    assert_eq!(joined, [text.as_bytes(), text.as_bytes()].concat());
}

/// Autobahn 3.2 / 4.1.3 / 5.15: a message followed by a bad frame in one read. The
/// connection fails at once (only input changes state), yet the message can be answered and
/// the answer goes out before the close frame, whichever order the calls come in.
#[test]
fn messages_before_a_protocol_error_can_be_answered() {
    let mut input = masked(0x81, b"Hello");
    input.extend(masked(0xA1, b"bad rsv")); // RSV2 set
    input.extend(masked(0x89, b"")); // ping: discarded after the failure
    let expected_wire = |out: &[u8]| {
        assert_eq!(&out[..7], &[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']);
        assert_eq!(&out[7..11], &[0x88, out[8], 0x03, 0xEA]); // then close 1002
    };

    // One by one with poll_event, a timer call right after receive.
    let mut c = server();
    c.receive(&input);
    c.handle_timeout(10);
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.poll_event(), Some(Event::Text("Hello".into())));
    c.send_text("Hello").unwrap();
    assert!(matches!(
        c.poll_event(),
        Some(Event::Failed(Error::ReservedBits))
    ));
    assert!(matches!(c.poll_event(), Some(Event::Closed(_))));
    assert_eq!(c.poll_event(), None);
    expected_wire(&c.take_output());
    // Once the close frame was taken, nothing more can be sent.
    assert!(c.send_text("late").is_err());

    // Every event first, then the answers: the same wire bytes.
    let mut c = server();
    c.receive(&input);
    let all: Vec<Event> = c.drain_events().collect();
    assert_eq!(all[0], Event::Text("Hello".into()));
    assert!(matches!(all[1], Event::Failed(Error::ReservedBits)));
    assert!(matches!(all[2], Event::Closed(_)));
    c.handle_timeout(20);
    c.send_text("Hello").unwrap();
    assert!(c.ping(b"").is_err(), "only messages answer");
    expected_wire(&c.take_output());

    // Written in pieces: the close frame stays last until the transport takes a byte of it.
    let mut c = server();
    c.receive(&input);
    let before = c.buffered_amount();
    assert_eq!(
        c.pending_output().len(),
        before,
        "only the close frame is queued"
    );
    c.send_text("Hello").unwrap();
    assert_eq!(c.pending_output(), b"\x81\x05Hello");
    c.consume_output(7);
    c.consume_output(1);
    assert!(c.send_text("late").is_err());

    // Nothing before the error: it fails at once (fail fast).
    let mut c = server();
    c.receive(&masked(0xA1, b"x"));
    assert_eq!(c.state(), State::Closed);
}

#[test]
fn receive_with_lends_messages_then_the_failure_behind_them() {
    let mut s = server();
    let mut input = masked(0x81, b"Hello");
    input.extend(masked(0x82, &[1, 2, 3]));
    input.extend(masked(0x01, b"frag")); // fragmented: handed over owned
    input.extend(masked(0x80, b"ment"));
    input.extend(masked(0xA1, b"bad")); // RSV2: fails the connection
    let mut got = Vec::new();
    s.receive_with(&input, |e| {
        got.push(match e {
            crate::EventRef::Text(t) => alloc::format!("lent text {t}"),
            crate::EventRef::Binary(b) => alloc::format!("lent binary {b:?}"),
            crate::EventRef::Buffer(b) => alloc::format!("buffer {b:?}"),
            crate::EventRef::TextBuffer(b) => alloc::format!("text buffer {b:?}"),
            crate::EventRef::Owned(Event::Failed(e)) => alloc::format!("failed {}", e.kind()),
            crate::EventRef::Owned(Event::Closed(_)) => "closed".into(),
            crate::EventRef::Owned(ev) => alloc::format!("owned {ev:?}"),
        })
    });
    assert_eq!(
        got,
        [
            "lent text Hello",
            "lent binary [1, 2, 3]",
            "owned Text(\"fragment\")",
            "failed reserved_bits",
            "closed"
        ]
    );
    // The messages came before the bad frame: they can still be answered.
    s.send_text("Hello").unwrap();
    let out = s.take_output();
    assert_eq!(&out[..7], b"\x81\x05Hello");
    assert_eq!(&out[7..11], &[0x88, out[8], 0x03, 0xEA]);
}

#[test]
fn fragmented_text_must_be_utf8() {
    let mut s = server();
    let euro = "€".as_bytes();
    s.send_fragment(DataKind::Text, &euro[..1], false).unwrap();
    assert!(
        s.send_fragment(DataKind::Text, b"x", false).is_err(),
        "breaks the character"
    );
    s.send_fragment(DataKind::Text, &euro[1..], false).unwrap();
    assert!(
        s.send_fragment(DataKind::Text, &[0xe2], true).is_err(),
        "ends inside a character"
    );
    s.send_fragment(DataKind::Text, b"!", true).unwrap();
    let mut peer = client_with(Config::default());
    peer.receive(&s.take_output());
    assert_eq!(events(&mut peer), vec![Event::Text("€!".into())]);
    assert!(matches!(
        s.send_fragment(DataKind::Text, &[0xff], true),
        Err(Error::InvalidInput(_))
    ));
}

#[test]
fn receive_with_fails_at_once_when_nothing_was_handed_over() {
    let mut s = server();
    let mut got = Vec::new();
    s.receive_with(&masked(0x81, &[b'a', 0xff]), |e| got.push(e.into_owned()));
    assert!(
        matches!(got[0], Event::Failed(Error::InvalidUtf8)),
        "{got:?}"
    );
    assert!(matches!(got[1], Event::Closed(_)));
    assert_eq!(s.state(), State::Closed);
}

/// Autobahn 7.1.1: a message and the peer's close frame in one read. The close is handled
/// at once, and the echo of the message still goes out before our close frame.
#[test]
fn messages_before_the_peers_close_can_be_answered() {
    let mut input = masked(0x81, b"Hello");
    input.extend(masked(0x88, b"\x03\xe8"));
    input.extend(masked(0x81, b"after the close")); // ignored (RFC 6455 §5.5.1)

    // poll_event, with a timer call in between (the examples' read loop).
    let mut s = server();
    s.receive(&input);
    s.handle_timeout(10);
    assert_eq!(s.poll_event(), Some(Event::Text("Hello".into())));
    s.send_text("Hello").unwrap();
    assert_eq!(
        s.poll_event(),
        Some(Event::CloseReceived(CloseFrame {
            code: 1000,
            reason: String::new()
        }))
    );
    let Some(Event::Closed(info)) = s.poll_event() else {
        panic!("no Closed")
    };
    assert!(info.was_clean);
    assert_eq!(info.initiated_by, Some(Side::Remote));
    assert_eq!(s.poll_event(), None);
    assert_eq!(s.take_output(), b"\x81\x05Hello\x88\x02\x03\xe8");

    // receive_with: everything in one call, the answer still first.
    let mut s = server();
    let mut got = Vec::new();
    s.receive_with(&input, |e| got.push(e.into_owned()));
    assert_eq!(got[0], Event::Text("Hello".into()));
    assert!(matches!(got[1], Event::CloseReceived(_)), "{got:?}");
    assert!(matches!(got[2], Event::Closed(_)), "{got:?}");
    s.send_text("Hello").unwrap();
    assert_eq!(s.take_output(), b"\x81\x05Hello\x88\x02\x03\xe8");

    // A client answers too, then waits for the server's EOF.
    let mut c = client_with(Config::default());
    let mut input = frame(0x81, b"Hi", None);
    input.extend(frame(0x88, b"\x03\xe8", None));
    c.receive(&input);
    assert_eq!(c.state(), State::Closing);
    assert_eq!(c.poll_event(), Some(Event::Text("Hi".into())));
    assert!(matches!(c.poll_event(), Some(Event::CloseReceived(_))));
    c.send_text("Hi").unwrap();
    let mut peer = server();
    peer.receive(&c.take_output());
    let got: Vec<Event> = peer.drain_events().collect();
    assert_eq!(got[0], Event::Text("Hi".into()));
    assert!(matches!(got[1], Event::CloseReceived(_)), "{got:?}");

    // An invalid close payload behind a message fails the connection, after the message.
    let mut s = server();
    let mut input = masked(0x81, b"Hello");
    input.extend(masked(0x88, b"\x03")); // 1-byte close payload
    s.receive(&input);
    assert_eq!(s.poll_event(), Some(Event::Text("Hello".into())));
    assert!(matches!(s.poll_event(), Some(Event::Failed(_))));
}

/// An [`crate::EventSink`] that gives buffers of its own for binary messages of at least
/// `min` bytes (and for text, with `text`), and records what it was asked and given.
struct OwnBuffers {
    min: usize,
    text: bool,
    asked: Vec<usize>,
    got: Vec<alloc::string::String>,
    buffers: Vec<Vec<u8>>,
}

#[derive(Debug)]
struct TestBuffer(Vec<u8>);

impl crate::MessageBuffer for TestBuffer {
    fn as_slice(&self) -> &[u8] {
        &self.0
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn into_any(self: Box<Self>) -> Box<dyn core::any::Any> {
        self
    }
}

impl OwnBuffers {
    fn new(min: usize) -> Self {
        OwnBuffers {
            min,
            text: false,
            asked: Vec::new(),
            got: Vec::new(),
            buffers: Vec::new(),
        }
    }
}

impl OwnBuffers {
    /// Keeps a buffer handed back; its line for `got`.
    fn keep(&mut self, what: &str, b: Box<dyn crate::MessageBuffer>) -> alloc::string::String {
        let b = b
            .into_any()
            .downcast::<TestBuffer>()
            .expect("our own buffer");
        let line = alloc::format!("{what} {}", b.0.len());
        self.buffers.push(b.0);
        line
    }
}

impl crate::EventSink for OwnBuffers {
    fn event(&mut self, event: crate::EventRef<'_>) {
        let line = match event {
            crate::EventRef::Buffer(b) => self.keep("buffer", b),
            crate::EventRef::TextBuffer(b) => self.keep("text buffer", b),
            crate::EventRef::Binary(b) => alloc::format!("lent binary {}", b.len()),
            crate::EventRef::Text(t) => alloc::format!("lent text {}", t.len()),
            crate::EventRef::Owned(Event::Binary(b)) => alloc::format!("owned binary {}", b.len()),
            crate::EventRef::Owned(Event::Text(t)) => alloc::format!("owned text {}", t.len()),
            crate::EventRef::Owned(ev) => alloc::format!("owned {ev:?}"),
        };
        self.got.push(line);
    }
    fn message_buffer(&mut self, len: usize) -> Option<Box<dyn crate::MessageBuffer>> {
        self.asked.push(len);
        (len >= self.min)
            .then(|| Box::new(TestBuffer(vec![0xEE; len])) as Box<dyn crate::MessageBuffer>)
    }
    fn text_buffer(&mut self, len: usize) -> Option<Box<dyn crate::MessageBuffer>> {
        if !self.text {
            return None;
        }
        self.message_buffer(len)
    }
}

#[test]
fn text_is_received_into_the_sinks_buffer_and_validated_there() {
    let text = "héllo wörld €𝄞 ".repeat(700); // multi-byte characters across every split
    let input = masked(0x81, text.as_bytes());
    for piece_len in [input.len(), 1000, 7] {
        let mut s = server();
        let mut sink = OwnBuffers::new(1);
        sink.text = true;
        for piece in input.chunks(piece_len) {
            s.receive_into(piece, &mut sink);
        }
        assert_eq!(
            sink.got,
            [alloc::format!("text buffer {}", text.len())],
            "pieces of {piece_len}"
        );
        assert_eq!(sink.buffers[0], text.as_bytes());
        assert_eq!(s.state(), State::Open);
    }
}

#[test]
fn invalid_text_in_the_sinks_buffer_fails_with_1007() {
    let mut bad = "ok ".repeat(3000).into_bytes();
    bad[5000] = 0xFF; // invalid in the middle
    let mut cut = "€".repeat(3000).into_bytes();
    cut.pop(); // ends inside a character (RFC 6455 §8.1)
    for payload in [bad, cut] {
        let input = masked(0x81, &payload);
        for piece_len in [input.len(), 999] {
            let mut s = server();
            let mut sink = OwnBuffers::new(1);
            sink.text = true;
            for piece in input.chunks(piece_len) {
                s.receive_into(piece, &mut sink);
            }
            assert!(
                !sink.got.iter().any(|l| l.starts_with("text buffer")),
                "{:?}",
                sink.got
            );
            assert!(
                sink.got.iter().any(|l| l.contains("InvalidUtf8")),
                "pieces of {piece_len}: {:?}",
                sink.got
            );
            assert_eq!(s.close_info().map(|i| i.sent_code), Some(Some(1007)));
        }
    }
}

#[test]
fn a_whole_binary_message_in_one_read_goes_to_the_sinks_buffer() {
    let mut s = server();
    let mut input = masked(0x82, &pattern(3000));
    input.extend(masked(0x82, &pattern(10)));
    let mut sink = OwnBuffers::new(100);
    s.receive_into(&input, &mut sink);
    assert_eq!(sink.asked, [3000, 10]);
    assert_eq!(sink.got, ["buffer 3000", "lent binary 10"]);
    assert_eq!(sink.buffers[0], pattern(3000));
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn receive_into_unmasks_a_large_message_into_the_sinks_buffer() {
    let mut s = server();
    let big = pattern(100_000);
    let mut input = masked(0x82, &big);
    input.extend(masked(0x81, b"small text")); // lent as before
    let mut sink = OwnBuffers::new(1024);
    for piece in input.chunks(999) {
        s.receive_into(piece, &mut sink);
    }
    assert_eq!(sink.asked, [100_000]);
    assert_eq!(sink.got, ["buffer 100000", "lent text 10"]);
    assert_eq!(sink.buffers[0], big);
    assert!(s.poll_event().is_none());
    assert_eq!(s.state(), State::Open);
}

#[test]
fn receive_into_only_offers_single_uncompressed_binary_frames() {
    let mut s = server();
    let mut input = masked(0x81, &[b'a'; 5000]); // text: never
    input.extend(masked(0x02, &pattern(3000))); // fragmented binary: never
    input.extend(masked(0x80, &pattern(3000)));
    input.extend(masked(0x82, &pattern(2000))); // declined by the sink (min 4096)
    let mut sink = OwnBuffers::new(4096);
    for piece in input.chunks(1000) {
        s.receive_into(piece, &mut sink);
    }
    assert_eq!(sink.asked, [2000]);
    assert_eq!(
        sink.got,
        ["owned text 5000", "owned binary 6000", "owned binary 2000"]
    );
}

#[test]
fn a_buffer_of_the_wrong_length_is_not_used() {
    struct Wrong;
    impl crate::EventSink for Wrong {
        fn event(&mut self, event: crate::EventRef<'_>) {
            assert!(
                matches!(event, crate::EventRef::Owned(Event::Binary(ref b)) if b == &pattern(5000))
            );
        }
        fn message_buffer(&mut self, len: usize) -> Option<Box<dyn crate::MessageBuffer>> {
            Some(Box::new(TestBuffer(vec![0; len - 1])))
        }
    }
    let mut s = server();
    let input = masked(0x82, &pattern(5000));
    s.receive_into(&input[..100], &mut Wrong);
    s.receive_into(&input[100..], &mut Wrong);
    assert_eq!(s.state(), State::Open);
}

#[test]
fn receive_and_receive_into_can_take_turns_within_a_message() {
    let big = pattern(50_000);
    let input = masked(0x82, &big);
    // Header through receive(): the engine's own buffer, even if a sink comes later.
    let mut s = server();
    s.receive(&input[..1000]);
    let mut sink = OwnBuffers::new(1);
    s.receive_into(&input[1000..], &mut sink);
    assert!(sink.asked.is_empty());
    assert_eq!(sink.got, ["owned binary 50000"]);
    // Header and a sixteenth through receive_into(), the rest through receive(): a copy
    // is queued.
    let mut s = server();
    let mut sink = OwnBuffers::new(1);
    s.receive_into(&input[..5000], &mut sink);
    s.receive(&input[5000..]);
    assert_eq!(sink.asked, [50_000]);
    assert!(sink.got.is_empty());
    assert_eq!(s.poll_event(), Some(Event::Binary(big)));
}

#[test]
fn a_sink_is_asked_once_a_sixteenth_of_the_message_arrived() {
    let big = pattern(160_000);
    let input = masked(0x82, &big);
    let mut s = server();
    let mut sink = OwnBuffers::new(1);
    // The header (14 bytes) and 9,999 bytes: too little to ask for 160,000 bytes yet.
    s.receive_into(&input[..14 + 9_999], &mut sink);
    assert!(sink.asked.is_empty());
    // 10,000 bytes: asked; what came first moves into the buffer.
    s.receive_into(&input[14 + 9_999..14 + 10_000], &mut sink);
    assert_eq!(sink.asked, [160_000]);
    s.receive_into(&input[14 + 10_000..], &mut sink);
    assert_eq!(sink.got, ["buffer 160000"]);
    assert_eq!(sink.buffers[0], big);
}

#[test]
fn a_message_in_a_sinks_buffer_comes_before_a_failure_behind_it() {
    let mut s = server();
    let mut input = masked(0x82, &pattern(20_000));
    input.extend(masked(0xA1, b"bad")); // RSV2
    let mut sink = OwnBuffers::new(1);
    s.receive_into(&input[..10], &mut sink);
    s.receive_into(&input[10..], &mut sink);
    assert_eq!(sink.got[0], "buffer 20000");
    assert_eq!(s.state(), State::Closed);
    assert!(
        sink.got[1].contains("Failed(ReservedBits)"),
        "{:?}",
        sink.got
    );
    // The application may still answer it, before the close frame.
    s.send_binary(b"ok").unwrap();
    assert_eq!(&s.take_output()[..4], b"\x82\x02ok");
}

#[test]
fn send_takes_text_as_bytes_and_refuses_invalid_utf8() {
    let mut s = server();
    s.take_output();
    s.send(DataKind::Text, "héllo".as_bytes()).unwrap();
    s.send(DataKind::Binary, &[0xFF]).unwrap();
    let mut expected = vec![0x81, 6];
    expected.extend_from_slice("héllo".as_bytes());
    expected.extend_from_slice(&[0x82, 1, 0xFF]);
    assert_eq!(s.take_output(), expected);
    // Not UTF-8: an application error, nothing written, the connection stays open.
    assert!(matches!(
        s.send(DataKind::Text, &[b'a', 0xFF]),
        Err(Error::InvalidInput(_))
    ));
    assert!(s.take_output().is_empty());
    assert_eq!(s.state(), State::Open);
}

/// A sink that records where each lent message lies: in `input` (`receive_in_place`) or not.
struct WhereLent {
    input: core::ops::Range<usize>,
    got: Vec<(bool, Event)>,
}

impl crate::EventSink for WhereLent {
    fn event(&mut self, event: crate::EventRef<'_>) {
        let at = |p: *const u8, len: usize| {
            let p = p as usize;
            self.input.start <= p && p + len <= self.input.end
        };
        let in_input = match &event {
            crate::EventRef::Binary(b) => at(b.as_ptr(), b.len()),
            crate::EventRef::Text(t) => at(t.as_ptr(), t.len()),
            _ => false,
        };
        self.got.push((in_input, event.into_owned()));
    }
}

#[test]
fn receive_in_place_lends_whole_messages_from_the_input() {
    let mut s = server();
    let big = pattern(20_000);
    let mut input = masked(0x82, &big);
    input.extend(masked(0x81, "héllo".as_bytes()));
    input.extend(masked(0x02, b"frag")); // fragmented: assembled in the engine
    input.extend(masked(0x80, b"ment"));
    input.extend(masked(0x89, b"ping")); // control frames are never lent
    let tail = masked(0x82, &pattern(300));
    input.extend(&tail[..100]); // completed by the next call
    let original = input.clone();
    let range = input.as_ptr_range();
    let mut sink = WhereLent {
        input: range.start as usize..range.end as usize,
        got: Vec::new(),
    };
    s.receive_in_place(&mut input, &mut sink);
    let mut rest = tail[100..].to_vec();
    s.receive_in_place(&mut rest, &mut sink);
    let got: Vec<(bool, bool)> = sink
        .got
        .iter()
        .map(|(at, e)| {
            (
                *at,
                match e {
                    Event::Binary(b) => *b == big || *b == b"fragment" || *b == pattern(300),
                    Event::Text(t) => t == "héllo",
                    _ => false,
                },
            )
        })
        .collect();
    assert_eq!(
        got,
        [(true, true), (true, true), (false, true), (false, true)]
    );
    // Only the lent messages' payloads changed (unmasked); headers and the rest did not.
    let big_head = 8; // 2 + 2 (16-bit length) + 4 (key)
    assert_eq!(input[..big_head], original[..big_head]);
    assert_eq!(input[big_head..big_head + big.len()], big[..]);
    let after = big_head + big.len() + 6 + "héllo".len();
    assert_eq!(input[after..], original[after..]);
    assert_eq!(s.take_output(), frame(0x8a, b"ping", None));
    assert_eq!(s.state(), State::Open);
}

#[test]
fn receive_in_place_fails_invalid_text_with_1007() {
    let mut s = server();
    let mut input = masked(0x81, b"ok");
    input.extend(masked(0x81, &[b'a', 0xff, b'b']));
    input.extend(masked(0x82, b"never delivered"));
    let mut got = Vec::new();
    s.receive_in_place(&mut input, &mut |e: crate::EventRef<'_>| {
        got.push(e.into_owned())
    });
    got.extend(core::iter::from_fn(|| s.poll_event()));
    assert_eq!(got[0], Event::Text("ok".into()));
    assert!(
        matches!(got[1], Event::Failed(ref e) if e.close_code() == 1007),
        "{got:?}"
    );
    let out = s.take_output();
    assert_eq!((out[0], &out[2..4]), (0x88, &[0x03, 0xef][..])); // close frame, 1007
}

/// A sink for the comparison below: every event as owned, buffers given for large ones; the
/// ranges of `input` (addresses) that lent messages came from.
#[derive(Default)]
struct Owned {
    events: Vec<Event>,
    input: core::ops::Range<usize>,
    lent: Vec<core::ops::Range<usize>>,
}

impl crate::EventSink for Owned {
    fn event(&mut self, event: crate::EventRef<'_>) {
        let lent = match &event {
            crate::EventRef::Binary(b) => Some(b.as_ptr_range()),
            crate::EventRef::Text(t) => Some(t.as_bytes().as_ptr_range()),
            _ => None,
        };
        if let Some(r) = lent {
            let r = r.start as usize..r.end as usize;
            if self.input.start <= r.start && r.end <= self.input.end && !r.is_empty() {
                self.lent
                    .push(r.start - self.input.start..r.end - self.input.start);
            }
        }
        self.events.push(event.into_owned());
    }
    fn message_buffer(&mut self, len: usize) -> Option<Box<dyn crate::MessageBuffer>> {
        (len >= 64).then(|| Box::new(TestBuffer(vec![0; len])) as Box<dyn crate::MessageBuffer>)
    }
    fn text_buffer(&mut self, len: usize) -> Option<Box<dyn crate::MessageBuffer>> {
        self.message_buffer(len)
    }
}

proptest::proptest! {
    /// `receive_in_place` is `receive_into` without the copy: for any frames, valid or not,
    /// cut anywhere, either role, the same events, output and state; the input changes only
    /// where lent messages lie (unmasked).
    #[test]
    fn receive_in_place_behaves_as_receive_into(
        frames in proptest::collection::vec(
            (proptest::sample::select(vec![0x81u8, 0x82, 0x01, 0x02, 0x00, 0x80, 0x89, 0x8a, 0x88, 0xc1, 0x83]),
             proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
             proptest::prelude::any::<bool>()),
            0..12),
        cuts in proptest::collection::vec(1usize..400, 0..20),
        chunks in proptest::prelude::any::<bool>(),
        client in proptest::prelude::any::<bool>(),
        ignore_utf8_errors in proptest::prelude::any::<bool>(),
    ) {
        let mut input = Vec::new();
        for (first, payload, utf8) in &frames {
            let payload = if *utf8 && *first & 0x0f <= 1 {
                String::from_utf8_lossy(payload).into_owned().into_bytes()
            } else {
                payload.clone()
            };
            // A client receives unmasked frames (a masked one fails it, as it must).
            let key = (!client || payload.len() % 7 == 3).then_some([0x11, 0x22, 0x33, 0x44]);
            input.extend(frame(*first, &payload, key));
        }
        let config = Config {
            max_message_size: 1000,
            delivery: if chunks { Delivery::Chunks(50) } else { Delivery::Messages },
            ignore_utf8_errors,
            ..Config::default()
        };
        let make = || if client { client_with(config.clone()) } else { server_with(config.clone()) };
        let (mut a, mut b) = (make(), make());
        let (mut got_a, mut got_b) = (Owned::default(), Owned::default());
        let mut at = 0usize;
        for cut in cuts.iter().copied().chain(core::iter::once(usize::MAX)) {
            let end = at.saturating_add(cut).min(input.len());
            a.receive_into(&input[at..end], &mut got_a);
            let mut piece = input[at..end].to_vec();
            let r = piece.as_ptr_range();
            got_b.input = r.start as usize..r.end as usize;
            got_b.lent.clear();
            b.receive_in_place(&mut piece, &mut got_b);
            let mut outside = 0;
            for r in &got_b.lent {
                proptest::prop_assert_eq!(&piece[outside..r.start], &input[at + outside..at + r.start]);
                outside = r.end;
            }
            proptest::prop_assert_eq!(&piece[outside..], &input[at + outside..end]);
            proptest::prop_assert_eq!(a.state(), b.state());
            proptest::prop_assert_eq!(a.take_output(), b.take_output());
            at = end;
        }
        got_a.events.extend(core::iter::from_fn(|| a.poll_event()));
        got_b.events.extend(core::iter::from_fn(|| b.poll_event()));
        proptest::prop_assert_eq!(got_a.events, got_b.events);
    }
}
