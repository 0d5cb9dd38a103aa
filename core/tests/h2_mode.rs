//! Post-handshake mode as an HTTP/2 (RFC 8441) or HTTP/3 (RFC 9220) stack uses it: the stack
//! validates the extended CONNECT with the header-list helpers, then both ends run
//! `Connection::open` over the stream's bytes.

use wsengine::handshake::client::{parse_url, ClientRequestOptions};
use wsengine::handshake::h2::{
    extended_connect_request, extended_connect_response, validate_extended_connect,
    validate_extended_connect_response,
};
use wsengine::handshake::server::select_protocol;
use wsengine::{Config, Connection, Event, OpenOptions, Role};

fn random() -> Box<dyn wsengine::RandomSource> {
    let mut x = 7u8;
    Box::new(move |b: &mut [u8]| {
        for v in b {
            x = x.wrapping_mul(13).wrapping_add(5);
            *v = x;
        }
    })
}

#[test]
fn extended_connect_then_open_connections() {
    // Client side: the header list its HTTP/2 stack sends on a new stream.
    let url = parse_url("wss://example.com/chat?room=7").unwrap();
    // permessage-deflate is offered when the build has it.
    let offer = cfg!(feature = "deflate").then(|| "permessage-deflate".to_string());
    let options = ClientRequestOptions {
        protocols: vec!["chat".into(), "v2.chat".into()],
        extensions: offer.clone(),
        ..ClientRequestOptions::default()
    };
    let request = extended_connect_request(&url, &options).unwrap();
    let get = |name: &str| {
        request
            .iter()
            .find(|h| h.name == name)
            .map(|h| h.value.as_str())
    };
    assert_eq!(get(":method"), Some("CONNECT"));
    assert_eq!(get(":protocol"), Some("websocket"));
    assert_eq!(get(":path"), Some("/chat?room=7"));
    assert_eq!(get(":authority"), Some("example.com"));
    assert_eq!(get("sec-websocket-version"), Some("13"));

    // Server side: validate, choose, answer 200.
    let req = validate_extended_connect(&request).unwrap();
    assert_eq!(req.path, "/chat");
    let protocol = select_protocol(&req.protocols, &["v2.chat"]);
    assert_eq!(protocol.as_deref(), Some("v2.chat"));
    let response = extended_connect_response(protocol.as_deref(), offer.as_deref(), &[]).unwrap();
    let accepted = validate_extended_connect_response(&response, &options.protocols).unwrap();
    assert_eq!(accepted.protocol.as_deref(), Some("v2.chat"));

    // Both ends now run the engine in post-handshake mode over the stream's bytes.
    let ext = accepted.extensions.first().cloned();
    let open = OpenOptions {
        protocol: accepted.protocol.clone(),
        extensions: ext,
    };
    let mut client = Connection::open(
        Role::Client,
        Config::default(),
        open.clone(),
        Some(random()),
    )
    .unwrap();
    let mut server = Connection::open(Role::Server, Config::default(), open, None).unwrap();
    assert_eq!(client.protocol(), Some("v2.chat"));
    client.send_text(&"over h2 ".repeat(50)).unwrap();
    let bytes = client.take_output();
    if cfg!(feature = "deflate") {
        assert!(server.extensions().unwrap().contains("permessage-deflate"));
        assert_eq!(bytes[0] & 0x40, 0x40, "compressed (RSV1)");
    }
    server.receive(&bytes);
    let events: Vec<Event> = server.drain_events().collect();
    assert!(matches!(events.last(), Some(Event::Text(t)) if *t == "over h2 ".repeat(50)));
}

#[test]
fn extended_connect_rejections() {
    let h = |pairs: &[(&str, &str)]| -> Vec<wsengine::Header> {
        pairs
            .iter()
            .map(|(n, v)| wsengine::Header::new(*n, *v))
            .collect()
    };
    let base = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", "https"),
        (":path", "/"),
        (":authority", "example.com"),
        ("sec-websocket-version", "13"),
    ];
    assert!(validate_extended_connect(&h(&base)).is_ok());
    let mut wrong_version = base;
    wrong_version[5] = ("sec-websocket-version", "8");
    let r = validate_extended_connect(&h(&wrong_version)).unwrap_err();
    assert_eq!(r.status, 426);
    let mut not_connect = base;
    not_connect[0] = (":method", "GET");
    assert_eq!(
        validate_extended_connect(&h(&not_connect))
            .unwrap_err()
            .status,
        400
    );
    assert_eq!(
        validate_extended_connect(&h(&base[1..]))
            .unwrap_err()
            .status,
        400
    );
}
