//! Events: the core's events as frozen Python classes.

use super::*;

pub(crate) type Headers = Vec<(String, String)>;

pub(crate) fn headers_to_py(h: Vec<Header>) -> Headers {
    h.into_iter().map(|h| (h.name, h.value)).collect()
}

pub(crate) fn headers_from_py(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Header>> {
    let Some(obj) = obj else {
        return Ok(Vec::new());
    };
    if obj.is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    if let Ok(d) = obj.cast::<PyDict>() {
        for (k, v) in d.iter() {
            out.push(Header::new(k.extract::<String>()?, v.extract::<String>()?));
        }
        return Ok(out);
    }
    let iterable = if obj.hasattr("items")? {
        obj.call_method0("items")?
    } else {
        obj.clone()
    };
    for item in iterable.try_iter()? {
        let (k, v): (String, String) = item?.extract()?;
        out.push(Header::new(k, v));
    }
    Ok(out)
}

/// Declares a frozen event class with read-only fields, a keyword/positional constructor,
/// `__match_args__`, `__repr__`, `__eq__` and `__hash__`.
macro_rules! event_class {
    ($(#[$doc:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? } $({ $($extra:tt)* })?) => {
        $(#[$doc])*
        #[pyclass(frozen, module = "wsengine")]
        pub struct $name {
            $( #[pyo3(get)] pub $field: $ty, )*
        }

        #[pymethods]
        impl $name {
            #[new]
            #[pyo3(signature = ($($field),*))]
            #[allow(clippy::too_many_arguments, clippy::new_without_default)]
            fn new($($field: $ty),*) -> Self {
                Self { $($field),* }
            }

            #[classattr]
            fn __match_args__<'py>(py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                let names: &[&str] = &[$(stringify!($field)),*];
                PyTuple::new(py, names)
            }

            fn _fields<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                let items: Vec<Bound<'py, PyAny>> = vec![$( pyo3::IntoPyObjectExt::into_bound_py_any(&self.$field, py)? ),*];
                PyTuple::new(py, items)
            }

            fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
                let fields = self._fields(py)?;
                let names: &[&str] = &[$(stringify!($field)),*];
                let mut parts = Vec::with_capacity(names.len());
                for (n, v) in names.iter().zip(fields.iter()) {
                    parts.push(format!("{}={}", n, v.repr()?));
                }
                Ok(format!("{}({})", stringify!($name), parts.join(", ")))
            }

            fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
                let Ok(other) = other.cast::<Self>() else { return Ok(false) };
                let py = slf.py();
                slf.get()._fields(py)?.eq(other.get()._fields(py)?)
            }

            fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
                self._fields(py)?.hash()
            }

            $($($extra)*)?
        }
    };
}

event_class! {
    /// Server: a valid WebSocket upgrade request; answer with accept() or reject().
    Request {
        method: String, target: String, path: String, query: Option<String>, headers: Headers,
        host: Option<String>, origin: Option<String>, key: Option<String>,
        protocols: Vec<String>, extensions: Vec<String>,
    }
}
event_class! {
    /// Server: a valid HTTP request that is not an upgrade; answer with respond().
    HttpRequest {
        method: String, target: String, path: String, query: Option<String>, headers: Headers,
        host: Option<String>, origin: Option<String>, key: Option<String>,
        protocols: Vec<String>, extensions: Vec<String>,
    }
}
event_class! {
    /// The opening handshake completed.
    Open { protocol: Option<String>, extensions: Option<String>, headers: Headers }
}
event_class! {
    /// Client: the server (or the CONNECT proxy) refused the handshake.
    Rejected { status: u16, reason: String, headers: Headers, body: Py<PyBytes>, from_proxy: bool }
}
event_class! {
    /// Client: the CONNECT proxy opened the tunnel (start TLS now for wss://).
    ProxyConnected {}
}
event_class! {
    /// A complete text message.
    TextMessage { data: Py<PyString> }
}
event_class! {
    /// A complete binary message.
    BinaryMessage { data: Py<PyBytes> }
}
event_class! {
    /// A piece of a data message (chunked or preserve-frames delivery); kind is "text" or "binary".
    Chunk { kind: Py<PyString>, data: Py<PyBytes>, first: bool, last: bool } {
        /// The data decoded as UTF-8 (for text chunks; invalid sequences become U+FFFD).
        #[getter]
        fn text<'py>(&self, py: Python<'py>) -> Bound<'py, PyString> {
            let b = self.data.bind(py).as_bytes();
            PyString::new(py, &String::from_utf8_lossy(b))
        }
    }
}
event_class! {
    /// A ping arrived (with surface_pings).
    Ping { data: Py<PyBytes> }
}
event_class! {
    /// A pong arrived (with surface_pongs).
    Pong { data: Py<PyBytes> }
}
event_class! {
    /// The peer sent a close frame (1005 if it had no code); the answer is queued.
    CloseReceived { code: u16, reason: String }
}
event_class! {
    /// The connection failed; close_code was sent if the connection was open. Closed follows.
    Failed { kind: String, close_code: u16, message: String } {
        /// The failure as an exception instance (ProtocolError), e.g. to raise it.
        #[getter]
        fn error(&self, py: Python<'_>) -> PyErr {
            let err = ProtocolError::new_err(self.message.clone());
            annotate(py, &err, &self.kind, self.close_code, &self.message);
            err
        }
    }
}
event_class! {
    /// The connection is over: write what is left, then drop the transport.
    Closed { code: u16, reason: String, was_clean: bool, initiated_by: Option<String>, sent_code: Option<u16> }
}
event_class! {
    /// Queued output drained below the low-water mark.
    Writable {}
}
event_class! {
    /// How the connection ended (Connection.close_info).
    CloseInfo { code: u16, reason: String, was_clean: bool, initiated_by: Option<String>, sent_code: Option<u16> }
}

pub(crate) fn side_name(s: Option<Side>) -> Option<String> {
    s.map(|s| match s {
        Side::Local => "local".to_string(),
        Side::Remote => "remote".to_string(),
    })
}

/// The fields of `Request` / `HttpRequest`, in declaration order.
pub(crate) type RequestFields = (
    String,
    String,
    String,
    Option<String>,
    Headers,
    Option<String>,
    Option<String>,
    Option<String>,
    Vec<String>,
    Vec<String>,
);

pub(crate) fn request_fields(r: wsengine::Request) -> RequestFields {
    (
        r.method,
        r.target,
        r.path,
        r.query,
        headers_to_py(r.headers),
        r.host,
        r.origin,
        r.key,
        r.protocols,
        r.extensions,
    )
}

/// Event objects hold only strings, bytes and plain Rust data: they can never be part of a
/// reference cycle, so they are taken off the garbage collector's list (as CPython does for
/// tuples of atomic values). A burst of thousands of events then costs no GC passes.
#[inline]
pub(crate) fn untracked(obj: Bound<'_, PyAny>) -> Bound<'_, PyAny> {
    // SAFETY: `obj` is a live object we just created; untracking an object of a GC type
    // (pyclasses are) is always allowed and only stops cycle detection for it.
    unsafe { ffi::PyObject_GC_UnTrack(obj.as_ptr().cast()) };
    obj
}

pub(crate) fn event_to_py<'py>(py: Python<'py>, ev: Event) -> PyResult<Bound<'py, PyAny>> {
    event_to_py_tracked(py, ev).map(untracked)
}

/// The event `Connection::receive_with` handed over: a lent message becomes a `str` /
/// `bytes` straight from the borrowed slice (no Rust allocation), anything else goes through
/// the owned conversion.
#[inline]
pub(crate) fn event_ref_to_py<'py>(
    py: Python<'py>,
    ev: EventRef<'_>,
) -> PyResult<Bound<'py, PyAny>> {
    match ev {
        EventRef::Text(s) => text_message(py, s).map(untracked),
        EventRef::Binary(b) => binary_message(py, b).map(untracked),
        EventRef::Buffer(b) => match b.into_any().downcast::<BytesBuffer>() {
            Ok(b) => Ok(untracked(
                Bound::new(py, BinaryMessage { data: b.obj })?.into_any(),
            )),
            Err(_) => Err(InternalError::new_err("a message buffer of unknown type")),
        },
        EventRef::Owned(e) => event_to_py(py, e),
        other => event_to_py(py, other.into_owned()),
    }
}

/// Binary messages from this size on are received straight into their `bytes`.
const OWN_BYTES_MIN: usize = 1024;

/// A new `bytes` object that a binary message is received into: the core unmasks the
/// payload straight into it as it arrives (`EventSink::message_buffer`), one copy fewer than
/// building the object from the finished message.
pub(crate) struct BytesBuffer {
    pub(crate) obj: Py<PyBytes>,
    data: *mut u8,
    len: usize,
}

// SAFETY: `data` points into `obj`'s storage, which lives as long as `obj`; this value is
// the only owner of `obj` (a new object no Python code has seen until the core hands the
// finished message back), so moving or sharing it moves or shares sole access to that storage.
unsafe impl Send for BytesBuffer {}
// SAFETY: as above; `&self` only reads.
unsafe impl Sync for BytesBuffer {}

impl BytesBuffer {
    /// A new `bytes` object of `len` bytes, not filled yet: whoever holds it must write every
    /// byte before handing `obj` out.
    pub(crate) fn new(py: Python<'_>, len: usize) -> PyResult<Self> {
        let n = ffi::Py_ssize_t::try_from(len)
            .map_err(|_| PyValueError::new_err("output too large"))?;
        // SAFETY: PyBytes_FromStringAndSize(NULL, n) returns a new bytes object (or NULL with
        // an exception set) whose n bytes are writable until it is shared; the pointer comes
        // from PyBytes_AsString on that object.
        unsafe {
            let ptr = ffi::PyBytes_FromStringAndSize(std::ptr::null(), n);
            if ptr.is_null() {
                return Err(PyErr::fetch(py));
            }
            let data = ffi::PyBytes_AsString(ptr).cast::<u8>();
            Ok(BytesBuffer {
                obj: Bound::from_owned_ptr(py, ptr)
                    .cast_into_unchecked()
                    .unbind(),
                data,
                len,
            })
        }
    }
}

impl MessageBuffer for BytesBuffer {
    fn as_slice(&self) -> &[u8] {
        // SAFETY: `data` is valid for `len` bytes while `obj` lives (see `new`).
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above, and `&mut self` is the only access (see the `Send` impl).
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any> {
        self
    }
}

/// Where `receive()` collects the Python objects of one input: messages lent by the core
/// become `str` / `bytes` at once, and binary messages that span reads are received straight
/// into a `bytes` object of their own. The first conversion error stops the collection.
pub(crate) struct PySink<'py, 'a> {
    pub(crate) py: Python<'py>,
    pub(crate) items: &'a mut Vec<Bound<'py, PyAny>>,
    pub(crate) error: &'a mut Option<PyErr>,
}

impl EventSink for PySink<'_, '_> {
    fn event(&mut self, ev: EventRef<'_>) {
        if self.error.is_some() {
            return;
        }
        match event_ref_to_py(self.py, ev) {
            Ok(obj) => self.items.push(obj),
            Err(e) => *self.error = Some(e),
        }
    }
    fn message_buffer(&mut self, len: usize) -> Option<Box<dyn MessageBuffer>> {
        // A small message is cheaper lent and copied into its `bytes` (`binary_message`).
        if len < OWN_BYTES_MIN {
            return None;
        }
        // If Python cannot allocate it, the core uses a buffer of its own.
        BytesBuffer::new(self.py, len)
            .ok()
            .map(|b| Box::new(b) as Box<dyn MessageBuffer>)
    }
}

#[inline]
pub(crate) fn text_message<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    Ok(Bound::new(
        py,
        TextMessage {
            data: PyString::new(py, s).unbind(),
        },
    )?
    .into_any())
}

#[inline]
pub(crate) fn binary_message<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    Ok(Bound::new(
        py,
        BinaryMessage {
            data: new_bytes(py, b).unbind(),
        },
    )?
    .into_any())
}

/// The Python list of `events`, in order.
pub(crate) fn events_to_list<'py>(
    py: Python<'py>,
    events: Vec<Event>,
) -> PyResult<Bound<'py, PyList>> {
    let mut items: Vec<Bound<'py, PyAny>> = Vec::with_capacity(events.len());
    for ev in events {
        items.push(event_to_py(py, ev)?);
    }
    PyList::new(py, items)
}

pub(crate) fn event_to_py_tracked<'py>(py: Python<'py>, ev: Event) -> PyResult<Bound<'py, PyAny>> {
    Ok(match ev {
        Event::Text(s) => text_message(py, &s)?,
        Event::Binary(b) => binary_message(py, &b)?,
        Event::Chunk(c) => {
            let kind = match c.kind {
                DataKind::Text => intern!(py, "text"),
                DataKind::Binary => intern!(py, "binary"),
            };
            Bound::new(
                py,
                Chunk {
                    kind: kind.clone().unbind(),
                    data: new_bytes(py, &c.data).unbind(),
                    first: c.first,
                    last: c.last,
                },
            )?
            .into_any()
        }
        Event::Ping(p) => Bound::new(
            py,
            Ping {
                data: new_bytes(py, &p).unbind(),
            },
        )?
        .into_any(),
        Event::Pong(p) => Bound::new(
            py,
            Pong {
                data: new_bytes(py, &p).unbind(),
            },
        )?
        .into_any(),
        Event::Request(r) => {
            let (method, target, path, query, headers, host, origin, key, protocols, extensions) =
                request_fields(*r);
            Bound::new(
                py,
                Request {
                    method,
                    target,
                    path,
                    query,
                    headers,
                    host,
                    origin,
                    key,
                    protocols,
                    extensions,
                },
            )?
            .into_any()
        }
        Event::HttpRequest(r) => {
            let (method, target, path, query, headers, host, origin, key, protocols, extensions) =
                request_fields(*r);
            Bound::new(
                py,
                HttpRequest {
                    method,
                    target,
                    path,
                    query,
                    headers,
                    host,
                    origin,
                    key,
                    protocols,
                    extensions,
                },
            )?
            .into_any()
        }
        Event::Open(o) => Bound::new(
            py,
            Open {
                protocol: o.protocol,
                extensions: o.extensions,
                headers: headers_to_py(o.headers),
            },
        )?
        .into_any(),
        Event::ProxyConnected => Bound::new(py, ProxyConnected {})?.into_any(),
        Event::Rejected(r) => Bound::new(
            py,
            Rejected {
                status: r.status,
                reason: r.reason,
                headers: headers_to_py(r.headers),
                body: new_bytes(py, &r.body).unbind(),
                from_proxy: r.from_proxy,
            },
        )?
        .into_any(),
        Event::CloseReceived(c) => Bound::new(
            py,
            CloseReceived {
                code: c.code,
                reason: c.reason,
            },
        )?
        .into_any(),
        Event::Failed(e) => Bound::new(
            py,
            Failed {
                kind: e.kind().to_string(),
                close_code: e.close_code(),
                message: e.to_string(),
            },
        )?
        .into_any(),
        Event::Closed(i) => Bound::new(
            py,
            Closed {
                code: i.code,
                reason: i.reason,
                was_clean: i.was_clean,
                initiated_by: side_name(i.initiated_by),
                sent_code: i.sent_code,
            },
        )?
        .into_any(),
        Event::Writable => Bound::new(py, Writable {})?.into_any(),
        // `Event` is non-exhaustive: a newer core may add kinds this binding does not know.
        #[allow(unreachable_patterns)]
        other => {
            return Err(app_error(
                py,
                "unknown_event",
                format!("event not supported by this binding: {other:?}"),
            ))
        }
    })
}
