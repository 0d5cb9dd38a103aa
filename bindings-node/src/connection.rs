//! `NativeConnection`: the engine's calls for `lib/engine.js`.

use super::*;

use std::collections::HashSet;
use std::hash::BuildHasherDefault;
use std::panic::AssertUnwindSafe;

/// The connection class used by `index.js` (see the module documentation for the format).
#[napi]
pub struct NativeConnection {
    conn: Connection,
    c: Collector,
    /// Where `send_text` reads its string.
    scratch: Vec<u8>,
}

pub(crate) fn role_from(env: &Env, role: &str) -> Result<Role> {
    match role {
        "server" => Ok(Role::Server),
        "client" => Ok(Role::Client),
        _ => Err(invalid_input(env, "role must be 'client' or 'server'")),
    }
}

pub(crate) fn state_name(s: State) -> &'static str {
    match s {
        State::Connecting => "connecting",
        State::Open => "open",
        State::Closing => "closing",
        State::Closed => "closed",
    }
}

pub(crate) fn time(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

pub(crate) fn code16(env: &Env, code: f64, kind: &str) -> Result<u16> {
    if code.fract() == 0.0 && (0.0..=65535.0).contains(&code) {
        Ok(code as u16)
    } else {
        Err(throw_raw(
            env,
            kind,
            &format!("close code {code} is not valid"),
            1006,
        ))
    }
}

#[napi]
impl NativeConnection {
    /// The string `text` (read straight into the scratch buffer: one read for short strings,
    /// no allocation) sent as a text message.
    fn send_text_raw(&mut self, env: &Env, text: sys::napi_value) -> Result<()> {
        let bytes = unsafe { read_utf8(env.raw(), text, &mut self.scratch)? };
        // V8 writes well-formed UTF-8 (lone surrogates become U+FFFD).
        let text =
            std::str::from_utf8(bytes).map_err(|_| invalid_input(env, "text is not UTF-8"))?;
        self.conn.send_text(text).map_err(|e| throw(env, &e))
    }

    fn wrap(conn: Connection) -> Self {
        let mut c = Collector::default();
        c.reset();
        NativeConnection {
            conn,
            c,
            scratch: Vec::new(),
        }
    }

    /// A server connection: it reads the client's HTTP request first.
    #[napi(factory)]
    pub fn server(env: Env, options: Option<Object>) -> Result<Self> {
        let config = config_from(&env, options)?;
        Connection::server(config)
            .map(Self::wrap)
            .map_err(|e| throw(&env, &e))
    }

    /// A client connection for `url`; its upgrade request is queued as output at once.
    #[napi(factory)]
    pub fn client(env: Env, url: String, options: Option<Object>) -> Result<Self> {
        let mut opts = ClientOptions {
            url,
            ..Default::default()
        };
        if let Some(o) = &options {
            opts.origin = get_string(&env, o, "origin")?;
            if let Some(flat) = get_strings(&env, o, "headers")? {
                opts.headers = headers_from_flat(&env, flat)?;
            }
            if get_bool(&env, o, "proxy")? == Some(true) {
                let headers = match get_strings(&env, o, "proxyHeaders")? {
                    Some(flat) => headers_from_flat(&env, flat)?,
                    None => Vec::new(),
                };
                opts.proxy = Some(ProxyOptions {
                    authorization: get_string(&env, o, "proxyAuthorization")?,
                    headers,
                });
            }
        }
        let config = config_from(&env, options)?;
        Connection::client(config, opts, Box::new(OsRandom))
            .map(Self::wrap)
            .map_err(|e| throw(&env, &e))
    }

    /// An already-open connection (RFC 8441 / RFC 9220 post-handshake mode).
    #[napi(factory)]
    pub fn open(env: Env, role: String, options: Option<Object>) -> Result<Self> {
        let role = role_from(&env, &role)?;
        let mut opts = OpenOptions::default();
        if let Some(o) = &options {
            opts.protocol = get_string(&env, o, "protocol")?;
            opts.extensions = get_string(&env, o, "extensions")?;
        }
        let config = config_from(&env, options)?;
        let random: Option<Box<dyn wsengine::RandomSource>> = match role {
            Role::Client => Some(Box::new(OsRandom)),
            Role::Server => None,
        };
        Connection::open(role, config, opts, random)
            .map(Self::wrap)
            .map_err(|e| throw(&env, &e))
    }

    /// Every pending event, described for `index.js` in one crossing. Taking events never
    /// changes the connection's state (the core's delivery contract).
    fn collect(&mut self, env: &Env, desc: Unknown) -> Result<Raw> {
        self.c.reset();
        self.collect_after(env, desc.raw(), Vec::new(), None)
    }

    /// `collect`, after `objs` and the collector already took the events of a `receive_into`.
    fn collect_after(
        &mut self,
        env: &Env,
        desc: sys::napi_value,
        mut objs: Vec<sys::napi_value>,
        slab: Option<&mut [u8]>,
    ) -> Result<Raw> {
        let raw_env = env.raw();
        let desc = unsafe { u32_slice(raw_env, desc)? };
        let raw_text_chunks = self.conn.config().ignore_utf8_errors;
        let c = &mut self.c;
        let mut result = Ok(());
        let conn = &mut self.conn;
        for ev in core::iter::from_fn(|| conn.poll_event()) {
            if result.is_ok() {
                result = unsafe { describe(raw_env, c, &mut objs, ev, raw_text_chunks) };
            }
        }
        result?;
        let mut flags = 0;
        if self.c.has_text {
            flags |= F_TEXT;
        }
        if self.c.has_blob {
            flags |= F_BLOB;
        }
        if !objs.is_empty() {
            flags |= F_OBJECTS;
        }
        if self.conn.buffered_amount() > 0 {
            flags |= F_OUTPUT;
        }
        if self.conn.poll_timeout().is_some() {
            flags |= F_DEADLINE;
        }
        let n = self.c.desc.len();
        let overflow = desc.len() < 2 || n > desc.len() - 2;
        if overflow {
            flags |= F_OVERFLOW;
        }
        if flags & (F_OBJECTS | F_OVERFLOW) != 0 || (self.c.has_text && self.c.has_blob) {
            flags |= F_ARRAY;
            if objs.len() == 1 && flags & (F_OVERFLOW | F_TEXT | F_BLOB) == 0 {
                flags ^= F_ARRAY | F_ONE_OBJECT;
            }
        }
        let blob_len = self.c.blob.len();
        let slab = match slab {
            Some(slab)
                if self.c.has_blob && flags & (F_ARRAY | F_TEXT) == 0 && blob_len <= slab.len() =>
            {
                flags |= F_BLOB_IN_SLAB;
                Some(slab)
            }
            _ => None,
        };
        if desc.len() >= 2 {
            desc[0] = flags;
            desc[1] = n as u32;
            if !overflow {
                desc[2..2 + n].copy_from_slice(&self.c.desc);
            }
        }
        unsafe {
            let text = if self.c.has_text {
                let mut v = ptr::null_mut();
                if self.c.wide {
                    let t = &self.c.text16;
                    check(sys::napi_create_string_utf16(
                        raw_env,
                        t.as_ptr(),
                        t.len() as isize,
                        &mut v,
                    ))?;
                } else {
                    let t = &self.c.text8;
                    check(sys::napi_create_string_latin1(
                        raw_env,
                        t.as_ptr().cast(),
                        t.len() as isize,
                        &mut v,
                    ))?;
                }
                Some(v)
            } else {
                None
            };
            if let Some(slab) = slab {
                slab[..blob_len].copy_from_slice(&self.c.blob);
                self.c.blob.clear();
                return js_number(raw_env, blob_len as f64).map(Raw);
            }
            let blob = if self.c.has_blob {
                Some(js_buffer(raw_env, &mut self.c.blob)?)
            } else {
                None
            };
            if flags & F_ONE_OBJECT != 0 {
                return Ok(Raw(objs[0]));
            }
            if flags & F_ARRAY == 0 {
                return Ok(Raw(match (text, blob) {
                    (Some(t), _) => t,
                    (None, Some(b)) => b,
                    (None, None) => js_undefined(raw_env)?,
                }));
            }
            let undef = js_undefined(raw_env)?;
            let overflow_desc = if overflow {
                let mut data = ptr::null_mut();
                let mut ab = ptr::null_mut();
                check(sys::napi_create_arraybuffer(
                    raw_env,
                    n * 4,
                    &mut data,
                    &mut ab,
                ))?;
                if n > 0 {
                    ptr::copy_nonoverlapping(self.c.desc.as_ptr(), data as *mut u32, n);
                }
                ab
            } else {
                undef
            };
            let mut items = Vec::with_capacity(3 + objs.len());
            items.push(text.unwrap_or(undef));
            items.push(blob.unwrap_or(undef));
            items.push(overflow_desc);
            items.extend_from_slice(&objs);
            Ok(Raw(js_array(raw_env, &items)?))
        }
    }

    /// Feeds bytes read from the transport, then (when `now >= 0`) the current time;
    /// returns every event produced, in the description format. Messages before a failure or
    /// the peer's close can still be answered until `takeOutput` takes the close frame.
    #[napi]
    pub fn receive(&mut self, env: Env, chunk: &[u8], desc: Unknown, now: f64) -> Result<Raw> {
        self.receive_raw(&env, Chunk::Shared(chunk), desc.raw(), now, None)
    }

    /// `receive`, also reached through `receiveTo(handle, ...)` (the hot path).
    fn receive_raw(
        &mut self,
        env: &Env,
        chunk: Chunk<'_>,
        desc: sys::napi_value,
        now: f64,
        slab: Option<&mut [u8]>,
    ) -> Result<Raw> {
        // Whole messages are lent (no allocation per message) and large ones are received
        // straight into their own Buffer; the rest come as owned events.
        self.c.reset();
        // Buffers still lent to the core when this call ends get a reference then.
        let _pin = PinUnpinned;
        let input = match &chunk {
            Chunk::Mutable(bytes) => bytes.as_ptr_range(),
            Chunk::Shared(_) => ptr::null()..ptr::null(),
        };
        let mut sink = Sink {
            env: env.raw(),
            c: &mut self.c,
            objs: Vec::new(),
            raw_text_chunks: self.conn.config().ignore_utf8_errors,
            input: input.start as usize..input.end as usize,
            result: Ok(()),
        };
        match chunk {
            Chunk::Shared(bytes) => self.conn.receive_into(bytes, &mut sink),
            Chunk::Mutable(bytes) => self.conn.receive_in_place(bytes, &mut sink),
        }
        let Sink { objs, result, .. } = sink;
        result?;
        if now >= 0.0 {
            self.conn.handle_timeout(time(now));
        }
        self.collect_after(env, desc, objs, slab)
    }

    /// The transport reached end of input.
    #[napi]
    pub fn receive_eof(&mut self, env: Env, desc: Unknown, now: f64) -> Result<Raw> {
        self.conn.receive_eof();
        if now >= 0.0 {
            self.conn.handle_timeout(time(now));
        }
        self.collect(&env, desc)
    }

    /// Runs the timers that are due at `now` (milliseconds, any origin).
    #[napi]
    pub fn handle_timeout(&mut self, env: Env, now: f64, desc: Unknown) -> Result<Raw> {
        self.conn.handle_timeout(time(now));
        self.collect(&env, desc)
    }

    /// Every event queued so far (e.g. after `accept`).
    #[napi]
    pub fn poll_events(&mut self, env: Env, desc: Unknown) -> Result<Raw> {
        self.collect(&env, desc)
    }

    /// Whether whole text messages are handed over as their UTF-8 bytes (a Buffer, as `ws`
    /// delivers them) instead of strings; validated either way. Off by default.
    #[napi(getter)]
    pub fn text_as_bytes(&self) -> bool {
        self.c.text_bytes
    }

    #[napi(setter)]
    pub fn set_text_as_bytes(&mut self, on: bool) {
        self.c.text_bytes = on;
    }

    /// When `handleTimeout` should next be called, or `null`.
    #[napi]
    pub fn next_timeout(&self) -> Option<f64> {
        self.conn.poll_timeout().map(|t| t as f64)
    }

    /// Every queued output byte as one Buffer, or `null` when nothing is queued.
    #[napi]
    pub fn take_output(&mut self, env: Env) -> Result<Raw> {
        unsafe { self.output_value(env.raw()).map(Raw) }
    }

    /// Takes all output as one Buffer (`null` when there is none).
    unsafe fn output_value(&mut self, env: sys::napi_env) -> Result<sys::napi_value> {
        if self.conn.buffered_amount() == 0 {
            return unsafe { js_null(env) };
        }
        let front = self.conn.pending_output();
        let n = self.conn.buffered_amount();
        if front.len() == n && n <= COPY_LIMIT {
            // One run: copy it and leave the engine its buffer, reused by the next frames.
            let mut data = ptr::null_mut();
            let mut v = ptr::null_mut();
            unsafe {
                check(sys::napi_create_buffer_copy(
                    env,
                    n,
                    front.as_ptr().cast(),
                    &mut data,
                    &mut v,
                ))?;
            }
            self.conn.consume_output(n);
            return Ok(v);
        }
        let mut bytes = self.conn.take_output();
        unsafe { js_buffer(env, &mut bytes) }
    }

    /// Copies all output into the start of `dst` and takes it: its length (0 when there is
    /// none), or minus the length when it does not fit (then nothing is taken).
    fn output_into(&mut self, dst: &mut [u8]) -> f64 {
        let n = self.conn.buffered_amount();
        if n > dst.len() {
            return -(n as f64);
        }
        let mut at = 0;
        for run in self.conn.output_segments() {
            dst[at..at + run.len()].copy_from_slice(run);
            at += run.len();
        }
        self.conn.consume_output(n);
        n as f64
    }

    /// Records that the transport accepted `n` bytes of `pendingOutput()`.
    #[napi]
    pub fn consume_output(&mut self, n: f64) {
        self.conn
            .consume_output(if n > 0.0 { n as usize } else { 0 });
    }

    /// Sends a text message (see `sendTextTo`, the faster path the JS layer uses).
    #[napi]
    pub fn send_text(&mut self, env: Env, text: Unknown) -> Result<()> {
        self.send_text_raw(&env, text.raw())
    }

    /// A handle to this connection for the free functions of the hot send path
    /// (`sendTextTo`), which skip napi-rs's per-call class checks (~230 ns of a method
    /// call here): an `External` whose pointer is checked against the live connections.
    #[napi(getter)]
    pub fn handle(&mut self, env: Env) -> Result<Raw> {
        let ptr: *mut NativeConnection = self;
        LIVE.with(|live| live.borrow_mut().insert(ptr as usize));
        let mut v = ptr::null_mut();
        check(unsafe {
            sys::napi_create_external(env.raw(), ptr.cast(), None, ptr::null_mut(), &mut v)
        })?;
        Ok(Raw(v))
    }

    #[napi]
    pub fn send_binary(&mut self, env: Env, data: &[u8]) -> Result<()> {
        self.conn.send_binary(data).map_err(|e| throw(&env, &e))
    }

    /// `kind`: 0 text, 1 binary.
    #[napi]
    pub fn send_fragment(&mut self, env: Env, kind: u32, data: &[u8], fin: bool) -> Result<()> {
        let kind = if kind == 0 {
            DataKind::Text
        } else {
            DataKind::Binary
        };
        self.conn
            .send_fragment(kind, data, fin)
            .map_err(|e| throw(&env, &e))
    }

    #[napi]
    pub fn ping(&mut self, env: Env, data: &[u8]) -> Result<()> {
        self.conn.ping(data).map_err(|e| throw(&env, &e))
    }

    #[napi]
    pub fn pong(&mut self, env: Env, data: &[u8]) -> Result<()> {
        self.conn.pong(data).map_err(|e| throw(&env, &e))
    }

    /// W3C-style close: `code` < 0 means none.
    #[napi]
    pub fn close(&mut self, env: Env, code: f64, reason: String) -> Result<()> {
        let code = if code < 0.0 {
            None
        } else {
            Some(code16(&env, code, "invalid_close_code_for_app")?)
        };
        self.conn.close(code, &reason).map_err(|e| throw(&env, &e))
    }

    /// Close with any code valid on the wire.
    #[napi]
    pub fn close_with(&mut self, env: Env, code: f64, reason: String) -> Result<()> {
        let code = code16(&env, code, "invalid_close_code")?;
        self.conn
            .close_with(code, &reason)
            .map_err(|e| throw(&env, &e))
    }

    /// `headers`: flat name/value list.
    #[napi]
    pub fn accept(
        &mut self,
        env: Env,
        protocol: Option<String>,
        headers: Vec<String>,
    ) -> Result<()> {
        let headers = headers_from_flat(&env, headers)?;
        self.conn
            .accept(AcceptOptions { protocol, headers })
            .map_err(|e| throw(&env, &e))
    }

    #[napi]
    pub fn reject(
        &mut self,
        env: Env,
        status: u32,
        headers: Vec<String>,
        body: &[u8],
    ) -> Result<()> {
        let headers = headers_from_flat(&env, headers)?;
        let status =
            u16::try_from(status).map_err(|_| invalid_input(&env, "status out of range"))?;
        self.conn
            .reject(status, &headers, body)
            .map_err(|e| throw(&env, &e))
    }

    #[napi]
    pub fn respond(
        &mut self,
        env: Env,
        status: u32,
        headers: Vec<String>,
        body: &[u8],
    ) -> Result<()> {
        let headers = headers_from_flat(&env, headers)?;
        let status =
            u16::try_from(status).map_err(|_| invalid_input(&env, "status out of range"))?;
        self.conn
            .respond(status, &headers, body)
            .map_err(|e| throw(&env, &e))
    }

    #[napi(getter)]
    pub fn state(&self) -> &'static str {
        state_name(self.conn.state())
    }

    #[napi(getter)]
    pub fn ready_state(&self) -> u32 {
        match self.conn.state() {
            State::Connecting => 0,
            State::Open => 1,
            State::Closing => 2,
            State::Closed => 3,
        }
    }

    #[napi(getter)]
    pub fn role(&self) -> &'static str {
        match self.conn.role() {
            Role::Client => "client",
            Role::Server => "server",
        }
    }

    #[napi(getter)]
    pub fn buffered_amount(&self) -> f64 {
        self.conn.buffered_amount() as f64
    }

    #[napi(getter)]
    pub fn is_writable(&self) -> bool {
        self.conn.is_writable()
    }

    #[napi(getter)]
    pub fn can_send(&self) -> bool {
        self.conn.can_send()
    }

    #[napi(getter)]
    pub fn protocol(&self) -> Option<String> {
        self.conn.protocol().map(str::to_string)
    }

    #[napi(getter)]
    pub fn extensions(&self) -> Option<String> {
        self.conn.extensions().map(str::to_string)
    }

    #[napi(getter)]
    pub fn close_info(&self, env: Env) -> Result<Raw> {
        unsafe {
            Ok(Raw(match self.conn.close_info() {
                Some(i) => close_info_object(env.raw(), None, i)?,
                None => js_null(env.raw())?,
            }))
        }
    }
}

/// A read's bytes: the caller's, or the caller's to change (`receiveInPlace`: whole messages
/// are unmasked in them and handed out as views of them).
pub(crate) enum Chunk<'a> {
    Shared(&'a [u8]),
    Mutable(&'a mut [u8]),
}

/// Where `receive` takes the core's events as they happen (`Connection::receive_into`).
struct Sink<'a> {
    env: sys::napi_env,
    c: &'a mut Collector,
    objs: Vec<sys::napi_value>,
    raw_text_chunks: bool,
    /// The addresses of a `receiveInPlace` chunk (empty otherwise): a message lent from there
    /// is described by where it lies in the chunk (`T_INPUT_*`), not copied.
    input: core::ops::Range<usize>,
    /// The first error of a napi call; the events after it are dropped.
    result: Result<()>,
}

impl EventSink for Sink<'_> {
    fn event(&mut self, event: EventRef<'_>) {
        if self.result.is_err() {
            return;
        }
        match event {
            EventRef::Text(t) if self.c.text_bytes && self.in_input(t.as_bytes()) => {
                let a = (t.as_ptr() as usize - self.input.start) as u32;
                let b = a + t.len() as u32;
                self.c.desc.extend_from_slice(&[T_INPUT_TEXT, a, b]);
            }
            EventRef::Binary(bytes) if self.in_input(bytes) => {
                let a = (bytes.as_ptr() as usize - self.input.start) as u32;
                let b = a + bytes.len() as u32;
                self.c.desc.extend_from_slice(&[T_INPUT_BINARY, a, b]);
            }
            EventRef::Text(t) if self.c.text_bytes => {
                let (a, b) = self.c.push_blob_slice(t.as_bytes());
                self.c
                    .desc
                    .extend_from_slice(&[describe::T_TEXT_BYTES, a, b]);
            }
            EventRef::Text(t) => {
                let (a, b) = self.c.push_text(t.as_bytes());
                self.c.desc.extend_from_slice(&[describe::T_TEXT, a, b]);
            }
            EventRef::Binary(bytes) => {
                let (a, b) = self.c.push_blob_slice(bytes);
                self.c.desc.extend_from_slice(&[describe::T_BINARY, a, b]);
            }
            EventRef::Buffer(buf) => self.own_buffer([T_OWN_BINARY, T_SLAB_BINARY], buf),
            EventRef::TextBuffer(buf) => self.own_buffer([T_OWN_TEXT, T_SLAB_TEXT], buf),
            EventRef::Owned(ev) => {
                self.result =
                    unsafe { describe(self.env, self.c, &mut self.objs, ev, self.raw_text_chunks) };
            }
            _ => {}
        }
    }

    fn message_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        self.node_buffer(len)
    }

    fn text_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        // Only where text is handed over as bytes (`textAsBytes`); otherwise as a string.
        if !self.c.text_bytes {
            return None;
        }
        self.node_buffer(len)
    }
}

impl Sink<'_> {
    /// Whether a lent message lies in the `receiveInPlace` chunk.
    fn in_input(&self, bytes: &[u8]) -> bool {
        let at = bytes.as_ptr() as usize;
        self.input.start <= at && at + bytes.len() <= self.input.end && !bytes.is_empty()
    }

    /// A Node Buffer for a message of `len` bytes, if it is large enough to be worth one.
    fn node_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        if len < DIRECT_MIN {
            return None;
        }
        match unsafe { NodeBuffer::new(self.env, len) } {
            Ok(b) => Some(Box::new(b)),
            Err(e) => {
                self.result = Err(e);
                None
            }
        }
    }

    /// Describes a message received into a Node Buffer (`codes`: the kind's code for a
    /// Buffer of its own and for a slab's slice).
    fn own_buffer(&mut self, [own, slice]: [u32; 2], buf: Box<dyn MessageBuffer>) {
        let Ok(buf) = buf.into_any().downcast::<NodeBuffer>() else {
            self.result = Err(Error::from_reason("wsengine: a buffer of another sink"));
            return;
        };
        self.result = unsafe { buf.value() }.map(|v| {
            let at = self.objs.len() as u32;
            match buf.slab_offset() {
                None => self.c.desc.extend_from_slice(&[own, at]),
                Some(offset) => {
                    self.c
                        .desc
                        .extend_from_slice(&[slice, at, offset, buf.as_slice().len() as u32])
                }
            }
            self.objs.push(v);
        });
    }
}

thread_local! {
    /// The connections that handed out a `handle` and are still alive (napi calls run on
    /// the JS thread, so one set per thread), keyed by address.
    static LIVE: std::cell::RefCell<HashSet<usize, BuildHasherDefault<AddressHasher>>> =
        Default::default();
}

/// Addresses are already well spread: hashing them is the identity (with the alignment
/// bits shifted out).
#[derive(Default)]
struct AddressHasher(u64);

impl std::hash::Hasher for AddressHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64 >> 4).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl Drop for NativeConnection {
    fn drop(&mut self) {
        let ptr: *mut NativeConnection = self;
        let _ = LIVE.try_with(|live| live.borrow_mut().remove(&(ptr as usize)));
    }
}

/// The hot path as plain napi functions, without napi-rs's per-call machinery (class
/// checks, borrow scopes: ~200 ns of a 30-byte `sendText` here):
/// `{ receiveTo(handle, chunk, desc, now, slab, at), receiveInPlaceTo(...the same),
/// sendTextTo(handle, text),
/// sendTextBytesTo(handle, u8), sendBinaryTo(handle, u8),
/// sendZeroCopyTo(handle, u8, slab, at), sendTextZeroCopyTo(handle, u8, slab, at),
/// takeOutputTo(handle, slab, at) }`, where `handle` is a connection's `handle` and
/// `slab[at..]` a Uint8Array's free part that output is copied into (see `takeOutputTo`).
#[napi]
pub fn hot_functions(env: Env) -> Result<Raw> {
    type Callback = unsafe extern "C" fn(sys::napi_env, sys::napi_callback_info) -> sys::napi_value;
    let functions: [(&std::ffi::CStr, Callback); 8] = [
        (c"receiveTo", receive_to),
        (c"receiveInPlaceTo", receive_in_place_to),
        (c"sendTextTo", send_text_to),
        (c"sendTextBytesTo", send_text_bytes_to),
        (c"sendBinaryTo", send_binary_to),
        (c"sendZeroCopyTo", send_zero_copy_to),
        (c"sendTextZeroCopyTo", send_text_zero_copy_to),
        (c"takeOutputTo", take_output_to),
    ];
    unsafe {
        let raw = env.raw();
        let obj = js_object(raw)?;
        for (name, cb) in functions {
            let mut f = ptr::null_mut();
            check(sys::napi_create_function(
                raw,
                name.as_ptr(),
                name.count_bytes() as isize,
                Some(cb),
                ptr::null_mut(),
                &mut f,
            ))?;
            set(raw, obj, name, f)?;
        }
        Ok(Raw(obj))
    }
}

/// `receiveTo(handle, chunk, desc, now, slab, at)`: the connection's `receive` (`chunk` a
/// Uint8Array), where a call whose only values are binary payloads copies them into
/// `slab[at..]` when they fit and returns their length (`F_BLOB_IN_SLAB`). The slab must not
/// share memory with `chunk` or `desc` (checked).
unsafe extern "C" fn receive_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe { receive_hot::<false>(env, info) }
}

/// `receiveInPlaceTo(handle, chunk, desc, now, slab, at)`: `receiveTo` for the connection's
/// `receiveInPlace`: whole messages in `chunk` are unmasked there and described by where they
/// lie in it (`T_INPUT_BINARY` / `T_INPUT_TEXT`).
unsafe extern "C" fn receive_in_place_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe { receive_hot::<true>(env, info) }
}

/// `receiveTo` and `receiveInPlaceTo`.
unsafe fn receive_hot<const IN_PLACE: bool>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe {
        hot_call::<5>(env, info, |env, conn, args| {
            let (c_ptr, c_len) = u8_raw(env, args[0], "receive needs a Uint8Array")?;
            let mut now = 0f64;
            if sys::napi_get_value_double(env.raw(), args[2], &mut now) != sys::Status::napi_ok {
                return Err(invalid_input(env, "receive needs a time in milliseconds"));
            }
            let slab = LentSlab::from_args(env, args[3], args[4])?;
            let (d, d_len) = {
                let desc = u32_slice(env.raw(), args[1])?;
                (desc.as_ptr() as usize, 4 * desc.len())
            };
            let (c, l) = (c_ptr as usize, slab.ptr as usize);
            let overlap =
                |a: usize, a_len: usize, b: usize, b_len: usize| a < b + b_len && b < a + a_len;
            if overlap(c, c_len, l, slab.len)
                || overlap(d, d_len, l, slab.len)
                || overlap(c, c_len, d, d_len)
            {
                return Err(invalid_input(
                    env,
                    "receive: the chunk, the slab and desc must not share memory",
                ));
            }
            // SAFETY: the chunk's memory is no other view's in this call (checked above).
            let chunk = if c_len == 0 {
                Chunk::Shared(&[])
            } else if IN_PLACE && c_len <= u32::MAX as usize {
                // (Messages are described by u32 offsets into the chunk.)
                Chunk::Mutable(std::slice::from_raw_parts_mut(c_ptr, c_len))
            } else {
                Chunk::Shared(std::slice::from_raw_parts(c_ptr, c_len))
            };
            conn.receive_raw(env, chunk, args[1], now, Some(slab.bytes()))
                .map(|r| Some(r.0))
        })
    }
}

/// `sendTextTo(handle, text)`: the connection's `sendText`.
unsafe extern "C" fn send_text_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe {
        hot_call::<1>(env, info, |env, conn, args| {
            conn.send_text_raw(env, args[0]).map(|()| None)
        })
    }
}

/// `sendTextBytesTo(handle, data)`: the connection's `sendTextBytes` (`data` a Uint8Array).
unsafe extern "C" fn send_text_bytes_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe {
        hot_call::<1>(env, info, |env, conn, args| {
            let data = u8_view(env, args[0], "sendText needs a string or a Uint8Array")?;
            conn.conn
                .send(DataKind::Text, data)
                .map(|()| None)
                .map_err(|e| throw(env, &e))
        })
    }
}

/// `sendBinaryTo(handle, data)`: the connection's `sendBinary` (`data` a Uint8Array).
unsafe extern "C" fn send_binary_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe {
        hot_call::<1>(env, info, |env, conn, args| {
            let data = u8_view(env, args[0], "sendBinary needs a Uint8Array")?;
            conn.conn
                .send_binary(data)
                .map(|()| None)
                .map_err(|e| throw(env, &e))
        })
    }
}

/// `sendZeroCopyTo(handle, data, slab, at)`: the connection's `sendZeroCopy` for a binary
/// message (`data` a Uint8Array). When only the header was queued (the core's
/// `send_zero_copy`), the output is taken now, as `takeOutputTo(handle, slab, at)` takes it,
/// and the caller writes it with `data` right after it: its length, or minus its length when
/// it did not fit (the caller takes it another way before anything else). 0: the engine
/// queued the whole message itself.
unsafe extern "C" fn send_zero_copy_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe {
        hot_call::<3>(env, info, |env, conn, args| {
            zero_copy(env, conn, DataKind::Binary, args)
        })
    }
}

/// `sendTextZeroCopyTo(handle, data, slab, at)`: the same for a text message given as UTF-8
/// bytes.
unsafe extern "C" fn send_text_zero_copy_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe {
        hot_call::<3>(env, info, |env, conn, args| {
            zero_copy(env, conn, DataKind::Text, args)
        })
    }
}

unsafe fn zero_copy(
    env: &Env,
    conn: &mut NativeConnection,
    kind: DataKind,
    args: &[sys::napi_value; 3],
) -> Result<Option<sys::napi_value>> {
    let data = unsafe { u8_view(env, args[0], "sendZeroCopy needs a Uint8Array")? };
    let slab = unsafe { LentSlab::from_args(env, args[1], args[2])? };
    match conn.conn.send_zero_copy(kind, data) {
        // Only the header was queued: the output, taken now, is what precedes `data`.
        Ok(true) => unsafe { js_number(env.raw(), conn.output_into(slab.bytes())).map(Some) },
        Ok(false) => unsafe { js_number(env.raw(), 0.0).map(Some) },
        Err(e) => Err(throw(env, &e)),
    }
}

/// `takeOutputTo(handle, slab, at)`: copies every queued byte into `slab` from `at` and
/// takes it, for the JS layer's output pool (one allocation per slab, not per output, as
/// Node pools small Buffers): the number of bytes (0: none), or minus the number queued when
/// they do not fit (nothing taken).
unsafe extern "C" fn take_output_to(
    env: sys::napi_env,
    info: sys::napi_callback_info,
) -> sys::napi_value {
    unsafe {
        hot_call::<2>(env, info, |env, conn, args| {
            let slab = LentSlab::from_args(env, args[0], args[1])?;
            js_number(env.raw(), conn.output_into(slab.bytes())).map(Some)
        })
    }
}

/// The free part `slab[at..]` of a Uint8Array the JS layer lends for output (and, in
/// `receiveTo`, for the payloads of small messages).
struct LentSlab {
    ptr: *mut u8,
    len: usize,
}

impl LentSlab {
    /// From the arguments `slab` (a Uint8Array) and `at` (an offset into it).
    ///
    /// # Safety
    /// As for [`u8_view`].
    unsafe fn from_args(env: &Env, slab: sys::napi_value, at: sys::napi_value) -> Result<LentSlab> {
        let (ptr, len) = unsafe { u8_raw(env, slab, "the slab must be a Uint8Array")? };
        let mut offset = 0u32;
        let status = unsafe { sys::napi_get_value_uint32(env.raw(), at, &mut offset) };
        let offset = offset as usize;
        if status != sys::Status::napi_ok || offset > len {
            return Err(invalid_input(env, "the slab offset is out of range"));
        }
        Ok(LentSlab {
            // SAFETY: `offset <= len`, inside (or one past) the view's memory.
            ptr: unsafe { ptr.add(offset) },
            len: len - offset,
        })
    }

    /// The free bytes, to write.
    ///
    /// # Safety
    /// No other view of them is in use (no JS runs during the call; a payload being sent is
    /// no longer read when the output is copied here).
    unsafe fn bytes<'a>(&self) -> &'a mut [u8] {
        if self.len == 0 {
            return &mut [];
        }
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

/// The bytes of a `Uint8Array` (a Buffer included), or an `invalid_input` error.
///
/// # Safety
/// The slice is valid until JavaScript runs again (the hot calls run none).
unsafe fn u8_view<'a>(env: &Env, value: sys::napi_value, what: &str) -> Result<&'a [u8]> {
    let (p, len) = u8_raw(env, value, what)?;
    Ok(if len == 0 {
        &[]
    } else {
        // SAFETY: napi gave the view's data and length; nothing runs JS meanwhile.
        std::slice::from_raw_parts(p, len)
    })
}

/// Where a `Uint8Array`'s bytes are and how many, without making a reference to them (so that
/// views of memory that overlap can be checked before any slice is made), or `invalid_input`.
unsafe fn u8_raw(env: &Env, value: sys::napi_value, what: &str) -> Result<(*mut u8, usize)> {
    let mut kind = sys::TypedarrayType::int8_array;
    let (mut len, mut p) = (0usize, ptr::null_mut());
    let status = sys::napi_get_typedarray_info(
        env.raw(),
        value,
        &mut kind,
        &mut len,
        &mut p,
        ptr::null_mut(),
        ptr::null_mut(),
    );
    if status != sys::Status::napi_ok || kind != sys::TypedarrayType::uint8_array {
        return Err(invalid_input(env, what));
    }
    Ok((p.cast::<u8>(), len))
}

/// Runs `f` on the live connection behind `argv[0]` with the other arguments (exactly `ARGS`
/// of them); errors and panics become JS exceptions (as napi-rs's methods report them). Returns `undefined`, or the value `f` gives.
unsafe fn hot_call<const ARGS: usize>(
    env: sys::napi_env,
    info: sys::napi_callback_info,
    f: impl FnOnce(
        &Env,
        &mut NativeConnection,
        &[sys::napi_value; ARGS],
    ) -> Result<Option<sys::napi_value>>,
) -> sys::napi_value {
    let env = Env::from_raw(env);
    let mut result = ptr::null_mut();
    let call = std::panic::catch_unwind(AssertUnwindSafe(|| unsafe {
        let mut argc = 6usize;
        let mut argv = [ptr::null_mut(); 6];
        let cb = sys::napi_get_cb_info(
            env.raw(),
            info,
            &mut argc,
            argv.as_mut_ptr(),
            ptr::null_mut(),
            ptr::null_mut(),
        );
        let mut p = ptr::null_mut();
        let ok = cb == sys::Status::napi_ok
            && argc == ARGS + 1
            && sys::napi_get_value_external(env.raw(), argv[0], &mut p) == sys::Status::napi_ok;
        let p = p as *mut NativeConnection;
        if !ok || !LIVE.with(|live| live.borrow().contains(&(p as usize))) {
            let _ = invalid_input(&env, "needs a live connection handle and its arguments");
            return;
        }
        let mut args = [ptr::null_mut(); ARGS];
        args.copy_from_slice(&argv[1..=ARGS]);
        // SAFETY: `p` is a live NativeConnection (registered by `handle`, removed on drop),
        // and napi calls run one at a time on this thread: no other reference is in use.
        match f(&env, &mut *p, &args) {
            Ok(Some(v)) => result = v,
            Ok(None) => {}
            Err(e) => {
                if e.status != Status::PendingException {
                    let _ = throw_raw(&env, "internal", &e.reason, 1011);
                }
            }
        }
    }));
    if call.is_err() {
        let _ = throw_raw(&env, "internal", "internal error: wsengine panicked", 1011);
    }
    result
}
