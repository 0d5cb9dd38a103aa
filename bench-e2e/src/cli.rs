//! Command line of `wsengine-loadgen` (the names are used by scripts/bench_e2e.py and by the
//! drivers' own benchmarks: keep them).

pub const USAGE: &str = "\
usage: wsengine-loadgen --url ws[s]://HOST:PORT/PATH --connections N --size BYTES [--binary]
                        --mode roundtrip|pipeline [--depth D] --duration SECS [--warmup SECS]
                        [--threads T] [--json FILE] [--socketio] [--label NAME] [--drain SECS]

  roundtrip: each connection sends one message and awaits its echo, again and again.
  pipeline:  each connection keeps D messages (default 16) in flight.
  --drain    seconds allowed after the measurement for the echoes in flight (default 10);
             a message without an echo by then is lost, and fails the run.
  --socketio speaks Socket.IO v4 (engine.io v4, websocket transport) to a server whose handler is
             socket.on('echo', m => socket.emit('echo', m)); text only.
Every echo is checked (order, length, content); any error makes the exit status non-zero.";

/// How messages are kept in flight on each connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    RoundTrip,
    Pipeline,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::RoundTrip => "roundtrip",
            Mode::Pipeline => "pipeline",
        }
    }
}

/// A parsed `ws://` or `wss://` URL.
#[derive(Clone, Debug)]
pub struct Url {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

/// Everything the command line says.
#[derive(Clone, Debug)]
pub struct Options {
    pub url_text: String,
    pub url: Url,
    pub connections: usize,
    pub size: usize,
    pub binary: bool,
    pub mode: Mode,
    /// Messages in flight per connection (1 in roundtrip mode).
    pub depth: usize,
    pub duration: f64,
    pub warmup: f64,
    /// Seconds allowed after the measurement for the messages in flight to come back.
    pub drain: f64,
    pub threads: usize,
    pub json: Option<String>,
    pub socketio: bool,
    pub label: String,
}

/// Parses `ws[s]://host[:port][/path]`.
pub fn parse_url(s: &str) -> Result<Url, String> {
    let (tls, rest) = if let Some(r) = s.strip_prefix("ws://") {
        (false, r)
    } else if let Some(r) = s.strip_prefix("wss://") {
        (true, r)
    } else {
        return Err(format!("--url {s:?}: expected ws:// or wss://"));
    };
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (
            h.to_string(),
            p.parse().map_err(|e| format!("--url port {p:?}: {e}"))?,
        ),
        _ => (authority.to_string(), if tls { 443 } else { 80 }),
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    if host.is_empty() {
        return Err(format!("--url {s:?}: no host"));
    }
    Ok(Url {
        tls,
        host,
        port,
        path,
    })
}

/// Parses the arguments after the program name.
pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Options, String> {
    let mut args = args.into_iter();
    let (mut url, mut connections, mut size, mut binary, mut mode) =
        (None, 1, 32, false, Mode::RoundTrip);
    let (mut depth, mut duration, mut warmup, mut threads) = (None, 5.0, 1.0, 1);
    let (mut json, mut socketio, mut label, mut drain) = (None, false, None, 10.0);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--url" => url = Some(value()?),
            "--connections" => connections = num(&a, &value()?)?,
            "--size" => size = num(&a, &value()?)?,
            "--binary" => binary = true,
            "--mode" => {
                mode = match value()?.as_str() {
                    "roundtrip" => Mode::RoundTrip,
                    "pipeline" => Mode::Pipeline,
                    m => return Err(format!("--mode {m:?}: roundtrip or pipeline")),
                }
            }
            "--depth" => depth = Some(num(&a, &value()?)?),
            "--duration" => duration = num(&a, &value()?)?,
            "--warmup" => warmup = num(&a, &value()?)?,
            "--drain" => drain = num(&a, &value()?)?,
            "--threads" => threads = num(&a, &value()?)?,
            "--json" => json = Some(value()?),
            "--socketio" => socketio = true,
            "--label" => label = Some(value()?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let url_text = url.ok_or_else(|| format!("--url is required\n{USAGE}"))?;
    let mut parsed = parse_url(&url_text)?;
    if socketio && (parsed.path == "/" || parsed.path.is_empty()) {
        parsed.path = "/socket.io/?EIO=4&transport=websocket".into();
    }
    if socketio && binary {
        return Err("--socketio sends text only (no binary attachments): drop --binary".into());
    }
    let depth = match mode {
        Mode::RoundTrip => 1,
        Mode::Pipeline => depth.unwrap_or(16),
    };
    if connections == 0
        || depth == 0
        || threads == 0
        || duration <= 0.0
        || warmup < 0.0
        || drain <= 0.0
    {
        return Err("--connections, --depth, --threads and --duration must be positive".into());
    }
    Ok(Options {
        label: label.unwrap_or_else(|| url_text.clone()),
        url_text,
        url: parsed,
        connections,
        size,
        binary,
        mode,
        depth,
        duration,
        warmup,
        drain,
        threads,
        json,
        socketio,
    })
}

fn num<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e| format!("{name} {v:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = parse_url("ws://127.0.0.1:9001/echo?x=1").unwrap();
        assert_eq!(
            (u.tls, u.host.as_str(), u.port, u.path.as_str()),
            (false, "127.0.0.1", 9001, "/echo?x=1")
        );
        let u = parse_url("wss://localhost").unwrap();
        assert_eq!((u.tls, u.port, u.path.as_str()), (true, 443, "/"));
        let u = parse_url("ws://[::1]:80?a").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.path.as_str()),
            ("::1", 80, "/?a")
        );
        assert!(parse_url("http://x/").is_err());
    }

    #[test]
    fn roundtrip_has_depth_one_and_socketio_gets_its_path() {
        let args = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let o = parse(args("--url ws://h:1 --mode roundtrip --depth 9 --socketio")).unwrap();
        assert_eq!(
            (o.depth, o.url.path.as_str()),
            (1, "/socket.io/?EIO=4&transport=websocket")
        );
        let o = parse(args("--url ws://h:1/x --mode pipeline")).unwrap();
        assert_eq!(o.depth, 16);
        assert!(parse(args("--url ws://h:1 --socketio --binary")).is_err());
    }
}
