//! Connection: the engine's calls, one crossing per input.

use super::*;

/// The core connection (`Send + Sync`: it has no interior mutability).
pub(crate) struct Inner(wsengine::Connection);

/// A WebSocket connection (either role). Create one with ServerConnection,
/// ClientConnection or open_connection().
#[pyclass(subclass, module = "wsengine")]
pub struct Connection {
    conn: Inner,
    poisoned: bool,
}

/// The W3C ready state.
#[allow(clippy::upper_case_acronyms)] // Python's enum members are upper case
#[pyclass(eq, eq_int, frozen, hash, module = "wsengine")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// The opening handshake is in progress.
    CONNECTING = 0,
    /// Messages flow both ways.
    OPEN = 1,
    /// A close frame was sent or received.
    CLOSING = 2,
    /// The connection is over.
    CLOSED = 3,
}

impl Connection {
    fn wrap(c: wsengine::Connection) -> Self {
        Connection {
            conn: Inner(c),
            poisoned: false,
        }
    }

    /// Runs `f` on the core connection, turning a panic into InternalError (and poisoning
    /// the connection, whose state may be inconsistent after it).
    #[inline]
    fn run<R>(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(&mut wsengine::Connection) -> R,
    ) -> PyResult<R> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        match catch_unwind(AssertUnwindSafe(|| f(&mut self.conn.0))) {
            Ok(r) => Ok(r),
            Err(p) => {
                self.poisoned = true;
                Err(internal_error(py, p))
            }
        }
    }

    #[inline]
    fn run_result(
        &mut self,
        py: Python<'_>,
        f: impl FnOnce(&mut wsengine::Connection) -> Result<(), wsengine::Error>,
    ) -> PyResult<()> {
        self.run(py, f)?.map_err(|e| make_error(py, &e))
    }

    /// Every pending event (`events()`), in order.
    fn drain<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let events = self.run(py, |c| {
            let mut v = Vec::with_capacity(c.pending_events());
            v.extend(c.drain_events());
            v
        })?;
        events_to_list(py, events)
    }

    /// `receive()` for a bytes object: `receive_with`, building each event as it is handed
    /// over. A lent message becomes its `str`/`bytes` straight from the core's buffer.
    ///
    /// Building an object allocates, which can run arbitrary Python code (a cyclic GC pass
    /// runs finalizers, and another thread may take the GIL then). That is sound here: the
    /// input is an immutable `bytes` we hold a reference to, and a reentrant call on this
    /// connection finds it mutably borrowed (PyO3 raises). The first error raised while
    /// building an object is kept and raised once the core has returned (the events of
    /// this call are lost then; in practice only MemoryError can happen).
    fn receive_lent<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyBytes>,
    ) -> PyResult<Bound<'py, PyList>> {
        self.receive_slice(py, data.as_bytes())
    }

    /// `receive_lent` for bytes no Python code can reach (a bytes object's, or a read
    /// buffer of our own).
    fn receive_slice<'py>(
        &mut self,
        py: Python<'py>,
        input: &[u8],
    ) -> PyResult<Bound<'py, PyList>> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let conn = &mut self.conn.0;
        let mut items: Vec<Bound<'py, PyAny>> = Vec::new();
        let mut error: Option<PyErr> = None;
        let r = catch_unwind(AssertUnwindSafe(|| {
            let mut sink = PySink {
                py,
                items: &mut items,
                error: &mut error,
            };
            conn.receive_into(input, &mut sink)
        }));
        if let Err(p) = r {
            self.poisoned = true;
            return Err(internal_error(py, p));
        }
        if let Some(e) = error {
            return Err(e);
        }
        PyList::new(py, items)
    }

    /// `receive()` for any other bytes-like object (bytearray, memoryview, ...), read in
    /// place. Its contents could change under the core if Python code ran while it is
    /// borrowed (see `receive_lent`), so no object is built then: the core queues owned
    /// events, and they are converted once the buffer is released: queued events first, then
    /// the events this input produced, as `receive_lent` gives them.
    fn receive_in_place<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let conn = &mut self.conn.0;
        let r = with_buffer(data, |b| {
            catch_unwind(AssertUnwindSafe(|| {
                conn.receive(b);
                conn.drain_events().collect::<Vec<Event>>()
            }))
        })?;
        match r {
            Ok(events) => events_to_list(py, events),
            Err(p) => {
                self.poisoned = true;
                Err(internal_error(py, p))
            }
        }
    }
}

pub(crate) fn poisoned_error(py: Python<'_>) -> PyErr {
    let message = "connection is unusable after an internal error".to_string();
    let err = InternalError::new_err(message.clone());
    annotate(py, &err, "internal", 1011, &message);
    err
}

pub(crate) fn role_from_py(role: &Bound<'_, PyAny>) -> PyResult<Role> {
    let s: String = role.extract()?;
    match s.as_str() {
        "client" => Ok(Role::Client),
        "server" => Ok(Role::Server),
        _ => Err(PyValueError::new_err(
            "role must be \"client\" or \"server\"",
        )),
    }
}

pub(crate) fn text_or_bytes_kind(
    data: &Bound<'_, PyAny>,
    kind: Option<&str>,
) -> PyResult<DataKind> {
    match kind {
        Some("text") => Ok(DataKind::Text),
        Some("binary") => Ok(DataKind::Binary),
        Some(other) => Err(PyValueError::new_err(format!(
            "kind must be \"text\" or \"binary\", not {other:?}"
        ))),
        None if data.is_instance_of::<PyString>() => Ok(DataKind::Text),
        None => Ok(DataKind::Binary),
    }
}

/// Payloads at least this large are handed to the core as their own buffer
/// (`send_owned`), so the output queue does not grow its shared buffer for them.
pub(crate) const OWNED_THRESHOLD: usize = 16 * 1024;

#[pymethods]
impl Connection {
    // ---- input ----

    /// Feeds bytes read from the transport (bytes, bytearray or memoryview; never copied).
    fn receive_data(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let conn = &mut self.conn.0;
        let r = with_buffer(data, |b| catch_unwind(AssertUnwindSafe(|| conn.receive(b))))?;
        r.map_err(|p| {
            self.poisoned = true;
            internal_error(py, p)
        })
    }

    /// Feeds bytes read from the transport and returns every pending event, in one call
    /// (the same as receive_data() + events()). Messages before a failure or the peer's
    /// close in this input can still be answered until data_to_send() (or consume()) takes
    /// the engine's close frame: the answers go out before it.
    fn receive<'py>(
        &mut self,
        py: Python<'py>,
        data: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        match data.cast::<PyBytes>() {
            Ok(b) => self.receive_lent(py, b),
            Err(_) => self.receive_in_place(py, data),
        }
    }

    /// Reads once from the connected non-blocking socket `fd` and feeds what it read, as
    /// receive() does: returns the events ([] when there was nothing to read), or None at end
    /// of input (then call receive_eof()). OSError when the read fails. The socket stays the
    /// caller's. Unix only.
    #[cfg(unix)]
    fn receive_from<'py>(
        &mut self,
        py: Python<'py>,
        fd: i32,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        match socket_io::read_once(fd, |input| self.receive_slice(py, input))? {
            (socket_io::ReadResult::Data, Some(events)) => events.map(Some),
            (socket_io::ReadResult::Eof, _) => Ok(None),
            _ => Ok(Some(PyList::empty(py))),
        }
    }

    /// receive_from() over TLS: reads records once from `fd`, decrypts them with `session`
    /// (a TlsSession over the connection's ssl objects) and feeds the plaintext, as receive()
    /// does. Returns the events ([] when there was nothing to read or no whole record), or
    /// None at end of input; `session.state` then says what is left to do. ssl.SSLError when
    /// decryption fails, OSError when the read does. Unix only.
    #[cfg(unix)]
    fn receive_tls_from<'py>(
        &mut self,
        py: Python<'py>,
        fd: i32,
        mut session: PyRefMut<'py, TlsSession>,
    ) -> PyResult<Option<Bound<'py, PyList>>> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        session.state = 0;
        session.failure = None;
        match socket_io::read_once(fd, |raw| session.feed(raw))? {
            (socket_io::ReadResult::Data, _) => {}
            (socket_io::ReadResult::Eof, _) => return Ok(None),
            _ => return Ok(Some(PyList::empty(py))),
        }
        tls_io::with_scratch(socket_io::READ_SIZE, |plain| {
            let got = session.decrypt(py, plain)?;
            if got == 0 {
                return Ok(Some(PyList::empty(py)));
            }
            self.receive_slice(py, &plain[..got]).map(Some)
        })
    }

    /// send_to() over TLS: encrypts the queued output with `session` and sends the records
    /// (with any TLS produced before) to `fd`, as many as the socket takes now; returns the
    /// records it did not take (None: all sent). ssl.SSLError / OSError on failure. Unix only.
    #[cfg(unix)]
    fn send_tls_to<'py>(
        &mut self,
        py: Python<'py>,
        fd: i32,
        session: PyRefMut<'py, TlsSession>,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let len = self.conn.0.buffered_amount();
        if len > 0 {
            session.encrypt_segments(py, self.conn.0.output_segments())?;
            self.run(py, |c| c.consume_output(len))?;
        }
        session.send_records(py, fd)
    }

    /// The transport reached end of input.
    fn receive_eof(&mut self, py: Python<'_>) -> PyResult<()> {
        self.run(py, |c| c.receive_eof())
    }

    /// Every pending event, in order (the list may be empty). Taking events never changes
    /// the connection's state or output.
    fn events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        self.drain(py)
    }

    // ---- output ----

    /// Every queued output byte, as one bytes object (b"" when nothing is queued).
    fn data_to_send<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let conn = &mut self.conn.0;
        let len = conn.buffered_amount();
        if len == 0 {
            return Ok(PyBytes::new(py, b""));
        }
        // One copy, straight from the queue's segments into the new bytes object.
        let obj = new_bytes_with(py, len, |dst| {
            let mut at = 0;
            for seg in conn.output_segments() {
                let n = seg.len().min(dst.len() - at);
                dst[at..at + n].copy_from_slice(&seg[..n]);
                at += n;
            }
        })?;
        self.run(py, |c| c.consume_output(len))?;
        Ok(obj)
    }

    /// Writes the queued output to the connected non-blocking socket `fd`, as much as it
    /// takes now; returns the number of bytes still queued (0: all written). OSError when the
    /// write fails. The socket stays the caller's. Unix only.
    #[cfg(unix)]
    fn send_to(&mut self, py: Python<'_>, fd: i32) -> PyResult<usize> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        loop {
            let (written, all) = socket_io::write_segments(fd, self.conn.0.output_segments())?;
            let left = self.run(py, |c| {
                c.consume_output(written);
                c.buffered_amount()
            })?;
            if !all || left == 0 {
                return Ok(left);
            }
        }
    }

    /// Marks n bytes of output_buffers() as written (use with output_buffers(), not with
    /// data_to_send(), which consumes by itself).
    fn consume(&mut self, py: Python<'_>, n: usize) -> PyResult<()> {
        self.run(py, |c| c.consume_output(n))
    }

    /// The queued output as a list of bytes objects, one per run in the queue, without
    /// consuming it: write them (e.g. socket.sendmsg), then call consume(n) with the number
    /// of bytes written.
    fn output_buffers<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let items: Vec<Bound<'py, PyBytes>> = self
            .conn
            .0
            .output_segments()
            .map(|s| PyBytes::new(py, s))
            .collect();
        PyList::new(py, items)
    }

    // ---- sending ----

    /// Sends a text message.
    fn send_text(&mut self, py: Python<'_>, text: &Bound<'_, PyString>) -> PyResult<()> {
        let s = text.to_cow()?;
        let s: &str = &s;
        self.run_result(py, |c| c.send_text(s))
    }

    /// Sends a binary message (any bytes-like object; read in place).
    fn send_binary(&mut self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let conn = &mut self.conn.0;
        let r = with_buffer(data, |b| {
            catch_unwind(AssertUnwindSafe(|| {
                if b.len() >= OWNED_THRESHOLD {
                    conn.send_owned(DataKind::Binary, b.to_vec())
                } else {
                    conn.send_binary(b)
                }
            }))
        })?;
        match r {
            Ok(r) => r.map_err(|e| make_error(py, &e)),
            Err(p) => {
                self.poisoned = true;
                Err(internal_error(py, p))
            }
        }
    }

    /// Sends one fragment of a message: str fragments are text and bytes-like ones binary
    /// unless `kind` says otherwise ("text" with bytes lets a fragment split a character).
    /// `fin=True` ends the message.
    #[pyo3(signature = (data, fin, kind = None))]
    fn send_fragment(
        &mut self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        fin: bool,
        kind: Option<&str>,
    ) -> PyResult<()> {
        let kind = text_or_bytes_kind(data, kind)?;
        if let Ok(s) = data.cast::<PyString>() {
            let s = s.to_cow()?;
            return self.run_result(py, |c| c.send_fragment(kind, s.as_bytes(), fin));
        }
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let conn = &mut self.conn.0;
        let r = with_buffer(data, |b| {
            catch_unwind(AssertUnwindSafe(|| conn.send_fragment(kind, b, fin)))
        })?;
        match r {
            Ok(r) => r.map_err(|e| make_error(py, &e)),
            Err(p) => {
                self.poisoned = true;
                Err(internal_error(py, p))
            }
        }
    }

    /// Sends a ping (at most 125 bytes; str is encoded as UTF-8).
    #[pyo3(signature = (data = None))]
    fn ping(&mut self, py: Python<'_>, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let payload = control_payload(data)?;
        self.run_result(py, |c| c.ping(&payload))
    }

    /// Sends an unsolicited pong (at most 125 bytes).
    #[pyo3(signature = (data = None))]
    fn pong(&mut self, py: Python<'_>, data: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let payload = control_payload(data)?;
        self.run_result(py, |c| c.pong(&payload))
    }

    /// Starts the closing handshake like the W3C WebSocket.close(): code 1000 or 3000-4999,
    /// reason at most 123 bytes. No code and no reason sends a close frame without a body.
    #[pyo3(signature = (code = None, reason = ""))]
    fn close(&mut self, py: Python<'_>, code: Option<u16>, reason: &str) -> PyResult<()> {
        self.run_result(py, |c| c.close(code, reason))
    }

    /// Starts the closing handshake with any code valid on the wire (e.g. 1001, 1008).
    #[pyo3(signature = (code, reason = ""))]
    fn close_with(&mut self, py: Python<'_>, code: u16, reason: &str) -> PyResult<()> {
        self.run_result(py, |c| c.close_with(code, reason))
    }

    // ---- handshake (server) ----

    /// Accepts the upgrade request reported by a Request event.
    #[pyo3(signature = (protocol = None, headers = None))]
    fn accept(
        &mut self,
        py: Python<'_>,
        protocol: Option<String>,
        headers: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let headers = headers_from_py(headers)?;
        self.run_result(py, |c| c.accept(AcceptOptions { protocol, headers }))
    }

    /// Refuses the upgrade request with any status, headers and body; the connection closes.
    #[pyo3(signature = (status, headers = None, body = None))]
    fn reject(
        &mut self,
        py: Python<'_>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let headers = headers_from_py(headers)?;
        let body = body_bytes(body)?;
        self.run_result(py, |c| c.reject(status, &headers, &body))
    }

    /// Answers a plain HTTP request reported by an HttpRequest event; the connection closes.
    #[pyo3(signature = (status, headers = None, body = None))]
    fn respond(
        &mut self,
        py: Python<'_>,
        status: u16,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let headers = headers_from_py(headers)?;
        let body = body_bytes(body)?;
        self.run_result(py, |c| c.respond(status, &headers, &body))
    }

    // ---- time ----

    /// Gives the engine the current time (milliseconds from any fixed origin) and runs due timers.
    fn handle_timeout(&mut self, py: Python<'_>, now_ms: u64) -> PyResult<()> {
        self.run(py, |c| c.handle_timeout(now_ms))
    }

    /// When handle_timeout() should next be called (milliseconds, same clock), or None.
    fn next_timeout(&mut self, py: Python<'_>) -> PyResult<Option<u64>> {
        self.run(py, |c| c.poll_timeout())
    }

    // ---- state ----

    /// The W3C ready state.
    #[getter]
    fn state(&self) -> State {
        match self.conn.0.state() {
            wsengine::State::Connecting => State::CONNECTING,
            wsengine::State::Open => State::OPEN,
            wsengine::State::Closing => State::CLOSING,
            wsengine::State::Closed => State::CLOSED,
        }
    }

    /// "client" or "server".
    #[getter]
    fn role(&self) -> &'static str {
        match self.conn.0.role() {
            Role::Client => "client",
            Role::Server => "server",
        }
    }

    /// Bytes queued for the transport and not yet taken.
    #[getter]
    fn buffered_amount(&self) -> usize {
        self.conn.0.buffered_amount()
    }

    /// Whether queued output is at or below the high-water mark.
    #[getter]
    fn is_writable(&self) -> bool {
        self.conn.0.is_writable()
    }

    /// Whether a message may be sent now (open, or answering messages that came before a
    /// close or failure whose close frame was not taken yet).
    #[getter]
    fn can_send(&self) -> bool {
        self.conn.0.can_send()
    }

    /// How the connection ended; None until it is CLOSED.
    #[getter]
    fn close_info(&self) -> Option<CloseInfo> {
        self.conn.0.close_info().map(|i| CloseInfo {
            code: i.code,
            reason: i.reason.clone(),
            was_clean: i.was_clean,
            initiated_by: side_name(i.initiated_by),
            sent_code: i.sent_code,
        })
    }

    /// The selected subprotocol.
    #[getter]
    fn protocol(&self) -> Option<String> {
        self.conn.0.protocol().map(str::to_string)
    }

    /// The negotiated extensions (a Sec-WebSocket-Extensions value).
    #[getter]
    fn extensions(&self) -> Option<String> {
        self.conn.0.extensions().map(str::to_string)
    }

    /// A copy of the configuration the connection was created with.
    #[getter]
    fn config(&self) -> Config {
        Config {
            inner: self.conn.0.config().clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!("<{:?}>", self.conn.0)
    }
}

/// A new `bytes` object of `len` bytes, filled by `fill` (which must write all of them).
pub(crate) fn new_bytes_with<'py>(
    py: Python<'py>,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> PyResult<Bound<'py, PyBytes>> {
    let mut b = BytesBuffer::new(py, len)?;
    fill(b.as_mut_slice());
    Ok(b.obj.into_bound(py))
}

pub(crate) fn control_payload(data: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<u8>> {
    match data {
        None => Ok(Vec::new()),
        Some(d) if d.is_none() => Ok(Vec::new()),
        Some(d) => {
            if let Ok(s) = d.cast::<PyString>() {
                return Ok(s.to_cow()?.as_bytes().to_vec());
            }
            with_buffer(d, |b| b.to_vec())
        }
    }
}

pub(crate) fn body_bytes(body: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<u8>> {
    match body {
        None => Ok(Vec::new()),
        Some(b) if b.is_none() => Ok(Vec::new()),
        Some(b) => {
            if let Ok(s) = b.cast::<PyString>() {
                return Ok(s.to_cow()?.as_bytes().to_vec());
            }
            with_buffer(b, |x| x.to_vec())
        }
    }
}

/// A server connection: it reads the client's HTTP upgrade request first (a Request event).
#[pyclass(extends = Connection, module = "wsengine")]
pub struct ServerConnection;

#[pymethods]
impl ServerConnection {
    #[new]
    #[pyo3(signature = (config = None, **kwargs))]
    fn py_new(
        py: Python<'_>,
        config: Option<PyRef<'_, Config>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let cfg = Config::with_kwargs(config.as_deref(), kwargs)?;
        let conn = guarded(py, || wsengine::Connection::server(cfg.inner))?
            .map_err(|e| make_error(py, &e))?;
        Ok(PyClassInitializer::from(Connection::wrap(conn)).add_subclass(ServerConnection))
    }
}

/// Options for tunnelling a client through an HTTP proxy with CONNECT.
#[pyclass(frozen, module = "wsengine")]
#[derive(Clone)]
pub struct ProxyConfig {
    #[pyo3(get)]
    authorization: Option<String>,
    #[pyo3(get)]
    headers: Headers,
}

#[pymethods]
impl ProxyConfig {
    #[new]
    #[pyo3(signature = (authorization = None, headers = None))]
    fn py_new(authorization: Option<String>, headers: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(ProxyConfig {
            authorization,
            headers: headers_to_py(headers_from_py(headers)?),
        })
    }
}

/// A client connection: the upgrade request (or the proxy's CONNECT) is queued at once;
/// write data_to_send() after connecting the transport.
#[pyclass(extends = Connection, module = "wsengine")]
pub struct ClientConnection;

#[pymethods]
impl ClientConnection {
    #[new]
    #[pyo3(signature = (url, config = None, *, origin = None, headers = None, proxy = None, **kwargs))]
    fn py_new(
        py: Python<'_>,
        url: String,
        config: Option<PyRef<'_, Config>>,
        origin: Option<String>,
        headers: Option<&Bound<'_, PyAny>>,
        proxy: Option<&Bound<'_, PyAny>>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let cfg = Config::with_kwargs(config.as_deref(), kwargs)?;
        let headers = headers_from_py(headers)?;
        let proxy = match proxy {
            None => None,
            Some(p) if p.is_none() => None,
            Some(p) => {
                if let Ok(b) = p.extract::<bool>() {
                    b.then(ProxyOptions::default)
                } else if let Ok(pc) = p.cast::<ProxyConfig>() {
                    let pc = pc.get();
                    Some(ProxyOptions {
                        authorization: pc.authorization.clone(),
                        headers: pc
                            .headers
                            .iter()
                            .map(|(n, v)| Header::new(n.clone(), v.clone()))
                            .collect(),
                    })
                } else {
                    return Err(PyTypeError::new_err(
                        "proxy must be None, a bool or a ProxyConfig",
                    ));
                }
            }
        };
        let options = ClientOptions {
            url,
            origin,
            headers,
            proxy,
        };
        let conn = guarded(py, || {
            wsengine::Connection::client(cfg.inner, options, Box::new(wsengine::OsRandom))
        })?
        .map_err(|e| make_error(py, &e))?;
        Ok(PyClassInitializer::from(Connection::wrap(conn)).add_subclass(ClientConnection))
    }
}

pub(crate) fn guarded<R>(py: Python<'_>, f: impl FnOnce() -> R) -> PyResult<R> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| internal_error(py, p))
}

/// A connection that is already open (post-handshake mode), for stacks that did the
/// upgrade themselves (HTTP/2 extended CONNECT, RFC 8441; HTTP/3, RFC 9220).
#[pyfunction]
#[pyo3(signature = (role, config = None, *, protocol = None, extensions = None, **kwargs))]
pub(crate) fn open_connection(
    py: Python<'_>,
    role: &Bound<'_, PyAny>,
    config: Option<PyRef<'_, Config>>,
    protocol: Option<String>,
    extensions: Option<String>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<Connection> {
    let role = role_from_py(role)?;
    let cfg = Config::with_kwargs(config.as_deref(), kwargs)?;
    let random: Option<Box<dyn wsengine::RandomSource>> = match role {
        Role::Client => Some(Box::new(wsengine::OsRandom)),
        Role::Server => None,
    };
    let conn = guarded(py, || {
        wsengine::Connection::open(
            role,
            cfg.inner,
            OpenOptions {
                protocol,
                extensions,
            },
            random,
        )
    })?
    .map_err(|e| make_error(py, &e))?;
    Ok(Connection::wrap(conn))
}

/// Benchmark floor (bench/bench.py): the least a receiver must do with a stream of masked
/// client frames, in Rust: parse each header, copy the payload into a fresh buffer, unmask
/// it with the core's mask routine, drop it. Runs over the whole `stream` `repeat` times and
/// returns the nanoseconds taken. Not part of the API: built only with the `bench` feature.
#[cfg(feature = "bench")]
#[pyfunction]
pub(crate) fn _reference_copy_unmask(stream: &Bound<'_, PyBytes>, repeat: usize) -> PyResult<u128> {
    let src = stream.as_bytes();
    let start = std::time::Instant::now();
    for _ in 0..repeat {
        let mut at = 0;
        while at < src.len() {
            let (len, head) = match src.get(at + 1).map(|b| b & 0x7f) {
                Some(126) => (u16::from_be_bytes([src[at + 2], src[at + 3]]) as usize, 4),
                Some(127) => {
                    let mut n = [0u8; 8];
                    n.copy_from_slice(&src[at + 2..at + 10]);
                    (u64::from_be_bytes(n) as usize, 10)
                }
                Some(n) => (n as usize, 2),
                None => return Err(PyValueError::new_err("truncated frame")),
            };
            let key_at = at + head;
            let payload = src
                .get(key_at + 4..key_at + 4 + len)
                .ok_or_else(|| PyValueError::new_err("truncated frame"))?;
            let key = [
                src[key_at],
                src[key_at + 1],
                src[key_at + 2],
                src[key_at + 3],
            ];
            let mut v = payload.to_vec();
            wsengine::mask::apply_mask(&mut v, key, 0);
            std::hint::black_box(&v);
            at = key_at + 4 + len;
        }
    }
    Ok(start.elapsed().as_nanos())
}
