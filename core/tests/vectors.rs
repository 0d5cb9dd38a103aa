//! Runs the shared JSON vectors in `tests/vectors/` (the same files the Python, Node and
//! WASM suites run), whole and byte by byte.

use serde_json::Value;
use wsengine::{AcceptOptions, Config, Connection, DataKind, Delivery, Event, OpenOptions, Role};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn config_from(v: Option<&Value>) -> Config {
    let mut c = Config::default();
    let Some(obj) = v.and_then(Value::as_object) else {
        return c;
    };
    for (k, v) in obj {
        let n = || v.as_u64().unwrap() as usize;
        let ms = || v.as_u64();
        match k.as_str() {
            "max_frame_size" => c.max_frame_size = n(),
            "max_message_size" => c.max_message_size = n(),
            "max_fragments" => c.max_fragments = n(),
            "max_output_buffer" => c.max_output_buffer = n(),
            "high_water_mark" => c.high_water_mark = n(),
            "low_water_mark" => c.low_water_mark = n(),
            "max_outgoing_frame_size" => c.max_outgoing_frame_size = v.as_u64().map(|x| x as usize),
            "max_header_bytes" => c.max_header_bytes = n(),
            "max_headers" => c.max_headers = n(),
            "ignore_utf8_errors" => c.ignore_utf8_errors = v.as_bool().unwrap(),
            "surface_pings" => c.surface_pings = v.as_bool().unwrap(),
            "surface_pongs" => c.surface_pongs = v.as_bool().unwrap(),
            "auto_pong" => c.auto_pong = v.as_bool().unwrap(),
            "handshake_timeout" => c.handshake_timeout = ms(),
            "ping_interval" => c.ping_interval = ms(),
            "pong_timeout" => c.pong_timeout = ms(),
            "idle_timeout" => c.idle_timeout = ms(),
            "max_lifetime" => c.max_lifetime = ms(),
            "close_timeout" => c.close_timeout = ms(),
            "protocols" => c.protocols = strings(v),
            "allowed_origins" => c.allowed_origins = Some(strings(v)),
            "delivery" => {
                c.delivery = match v {
                    Value::String(s) if s == "messages" => Delivery::Messages,
                    Value::String(s) if s == "frames" => Delivery::Frames,
                    Value::Object(o) => Delivery::Chunks(o["chunks"].as_u64().unwrap() as usize),
                    other => panic!("delivery {other}"),
                }
            }
            #[cfg(feature = "deflate")]
            "deflate" => c.deflate = Some(deflate_config(v)),
            other => panic!("unknown config field {other}"),
        }
    }
    c
}

#[cfg(feature = "deflate")]
fn deflate_config(v: &Value) -> wsengine::deflate::DeflateConfig {
    let mut d = wsengine::deflate::DeflateConfig::default();
    if let Some(t) = v.get("threshold").and_then(Value::as_u64) {
        d.threshold = t as usize;
    }
    d
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn random() -> Box<dyn wsengine::RandomSource> {
    let mut x: u8 = 1;
    Box::new(move |b: &mut [u8]| {
        for v in b {
            x = x.wrapping_mul(31).wrapping_add(7);
            *v = x;
        }
    })
}

fn event_json(e: &Event) -> Value {
    use serde_json::json;
    match e {
        Event::Request(r) => {
            json!({"type": "request", "path": r.path, "query": r.query, "protocols": r.protocols, "origin": r.origin})
        }
        Event::HttpRequest(r) => json!({"type": "http_request", "path": r.path}),
        Event::Open(o) => {
            json!({"type": "open", "protocol": o.protocol, "extensions": o.extensions})
        }
        Event::Rejected(r) => {
            json!({"type": "rejected", "status": r.status, "body_hex": to_hex(&r.body)})
        }
        Event::ProxyConnected => json!({"type": "proxy_connected"}),
        Event::Text(t) => json!({"type": "text", "data": t}),
        Event::Binary(b) => json!({"type": "binary", "hex": to_hex(b)}),
        Event::Chunk(c) => {
            json!({"type": "chunk", "kind": if c.kind == DataKind::Text { "text" } else { "binary" },
                                  "hex": to_hex(&c.data), "first": c.first, "last": c.last})
        }
        Event::Ping(p) => json!({"type": "ping", "hex": to_hex(p)}),
        Event::Pong(p) => json!({"type": "pong", "hex": to_hex(p)}),
        Event::CloseReceived(f) => {
            json!({"type": "close_received", "code": f.code, "reason": f.reason})
        }
        Event::Failed(err) => {
            json!({"type": "failed", "kind": err.kind(), "close_code": err.close_code()})
        }
        Event::Closed(i) => {
            json!({"type": "closed", "code": i.code, "reason": i.reason, "was_clean": i.was_clean})
        }
        Event::Writable => json!({"type": "writable"}),
        other => json!({"type": format!("{other:?}")}),
    }
}

/// How a runner feeds `receive` steps.
#[derive(Clone, Copy, PartialEq)]
enum Feed {
    /// The whole step at once, events taken with `poll_event`.
    Whole,
    /// One byte at a time.
    Bytewise,
    /// The whole step through `receive_with`, messages lent to a callback.
    Lend,
}

/// Runs a case. Returns (events, output).
fn run(case: &Value, feed_mode: Feed) -> (Vec<Value>, Vec<u8>) {
    let role = if case["role"] == "server" {
        Role::Server
    } else {
        Role::Client
    };
    let config = config_from(case.get("config"));
    let mut conn = match case["start"].as_str().unwrap() {
        "open" => {
            let rng = (role == Role::Client).then(random);
            let opts = OpenOptions {
                extensions: case
                    .get("extensions")
                    .and_then(Value::as_str)
                    .map(String::from),
                ..Default::default()
            };
            Connection::open(role, config, opts, rng).unwrap()
        }
        _ => Connection::server(config).unwrap(),
    };
    let mut events = Vec::new();
    let mut output = Vec::new();
    let echo = case.get("echo").and_then(Value::as_bool) == Some(true);
    // Takes events one by one; with `echo`, answers each message as it is taken.
    let drain = |conn: &mut Connection, events: &mut Vec<Value>, output: &mut Vec<u8>| {
        while let Some(e) = conn.poll_event() {
            if matches!(e, Event::Open(_)) && case["start"] == "open" {
                continue;
            }
            events.push(event_json(&e));
            if echo {
                answer(conn, &e);
            }
        }
        output.extend(conn.take_output());
    };
    drain(&mut conn, &mut events, &mut output);
    for step in case["steps"].as_array().unwrap() {
        let obj = step.as_object().unwrap();
        let mut result: Result<(), wsengine::Error> = Ok(());
        if let Some(h) = obj.get("receive") {
            let data = hex(h.as_str().unwrap());
            feed(&mut conn, &data, feed_mode, &mut events, echo);
        } else if let Some(t) = obj.get("receive_text") {
            feed(
                &mut conn,
                t.as_str().unwrap().as_bytes(),
                feed_mode,
                &mut events,
                echo,
            );
        } else if obj.contains_key("receive_eof") {
            conn.receive_eof();
        } else if let Some(a) = obj.get("accept") {
            let protocol = a.get("protocol").and_then(Value::as_str).map(String::from);
            result = conn.accept(AcceptOptions {
                protocol,
                headers: vec![],
            });
        } else if let Some(r) = obj.get("reject") {
            result = conn.reject(r["status"].as_u64().unwrap() as u16, &[], b"");
        } else if let Some(t) = obj.get("send_text") {
            result = conn.send_text(t.as_str().unwrap());
        } else if let Some(b) = obj.get("send_binary") {
            result = conn.send_binary(&hex(b.as_str().unwrap()));
        } else if let Some(p) = obj.get("ping") {
            result = conn.ping(&hex(p.as_str().unwrap()));
        } else if let Some(p) = obj.get("pong") {
            result = conn.pong(&hex(p.as_str().unwrap()));
        } else if let Some(c) = obj.get("close") {
            let code = c["code"].as_u64().map(|c| c as u16);
            result = conn.close(code, c["reason"].as_str().unwrap());
        } else if let Some(t) = obj.get("handle_timeout") {
            conn.handle_timeout(t.as_u64().unwrap());
        } else {
            panic!("unknown step {step}");
        }
        match (obj.get("error").and_then(Value::as_str), result) {
            (None, Ok(())) => {}
            (Some(kind), Err(e)) => assert_eq!(e.kind(), kind, "step {step}"),
            (want, got) => panic!("step {step}: expected error {want:?}, got {got:?}"),
        }
        drain(&mut conn, &mut events, &mut output);
    }
    (events, output)
}

/// The application's answer to a message taken with `echo`: send it back. The delivery
/// contract says this always succeeds for messages that arrived before a close or failure.
fn answer(conn: &mut Connection, e: &Event) {
    match e {
        Event::Text(t) => conn.send_text(t).expect("answering a text message"),
        Event::Binary(b) => conn.send_binary(b).expect("answering a binary message"),
        _ => {}
    }
}

fn feed(conn: &mut Connection, data: &[u8], mode: Feed, events: &mut Vec<Value>, echo: bool) {
    match mode {
        Feed::Bytewise => {
            for b in data {
                conn.receive(std::slice::from_ref(b));
                // Take (and answer) what each byte produced at once.
                while let Some(e) = conn.poll_event() {
                    events.push(event_json(&e));
                    if echo {
                        answer(conn, &e);
                    }
                }
            }
        }
        Feed::Whole => conn.receive(data),
        Feed::Lend => {
            // Messages are lent during the call; the answers follow when it returns.
            let mut taken = Vec::new();
            conn.receive_with(data, |e: wsengine::EventRef<'_>| taken.push(e.into_owned()));
            for e in &taken {
                events.push(event_json(e));
                if echo {
                    answer(conn, e);
                }
            }
        }
    }
}

fn matches(expected: &Value, actual: &Value) -> bool {
    expected
        .as_object()
        .unwrap()
        .iter()
        .all(|(k, v)| actual.get(k) == Some(v))
}

#[test]
fn shared_vectors() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut count = 0;
    let mut failures = Vec::new();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
    {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in doc["cases"].as_array().unwrap() {
            if case.get("steps").is_none() {
                continue; // codec-level vectors (deflate_rfc7692.json) run in the deflate unit tests
            }
            if case.get("requires").and_then(Value::as_str) == Some("deflate")
                && !cfg!(feature = "deflate")
            {
                continue;
            }
            count += 1;
            let name = format!(
                "{}: {}",
                path.file_name().unwrap().to_string_lossy(),
                case["name"]
            );
            let (events, output) = run(case, Feed::Whole);
            let expected = case["events"].as_array().unwrap();
            let ok_events = events.len() == expected.len()
                && expected.iter().zip(&events).all(|(e, a)| matches(e, a));
            if !ok_events {
                failures.push(format!(
                    "{name}\n  expected {expected:?}\n  got      {events:?}"
                ));
                continue;
            }
            if let Some(out) = case.get("output").and_then(Value::as_str) {
                if to_hex(&output) != out {
                    failures.push(format!("{name}: output {} != {out}", to_hex(&output)));
                }
            }
            if let Some(prefix) = case.get("output_prefix").and_then(Value::as_str) {
                if !to_hex(&output).starts_with(prefix) {
                    failures.push(format!(
                        "{name}: output {} lacks prefix {prefix}",
                        to_hex(&output)
                    ));
                }
            }
            for mode in [Feed::Bytewise, Feed::Lend] {
                let (other_events, other_output) = run(case, mode);
                if other_events != events || other_output != output {
                    let how = if mode == Feed::Lend {
                        "receive_with"
                    } else {
                        "byte-by-byte feeding"
                    };
                    failures.push(format!(
                        "{name}: {how} changed the result\n  {other_events:?}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {count} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(count > 100, "only {count} vectors ran");
    println!("{count} vectors passed");
}
