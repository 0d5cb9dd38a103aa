//! Python binding of `wsengine` (module `wsengine._wsengine`).
//!
//! A thin translation layer: Python values in, core calls, Python values out. No protocol
//! decision is made here; every rule lives in the core so every binding behaves the same.
//!
//! Performance notes:
//! - one boundary crossing per input: `receive()` (or `receive_data()` + `events()`) returns
//!   every event the bytes produced as one list;
//! - input buffers (`bytes`, `bytearray`, `memoryview`) are read in place, never copied;
//! - `receive(bytes)` uses the core's `receive_with`: a whole single-frame message is lent
//!   from the core's reused buffer and becomes its `str`/`bytes` straight from the borrowed
//!   slice (no Rust allocation per message);
//! - events are frozen classes, untracked by the GC; text becomes a `str` straight from the
//!   core's validated bytes.

#![deny(unsafe_op_in_unsafe_fn)]

use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{create_exception, ffi, intern};

use wsengine::event::{DataKind, EventRef, EventSink, MessageBuffer, Side};
use wsengine::{
    AcceptOptions, ClientOptions, Delivery, Event, Header, OpenOptions, ProxyOptions, Role,
};

// ---------------------------------------------------------------------------------------
// Exceptions
// ---------------------------------------------------------------------------------------

create_exception!(
    wsengine,
    WebSocketError,
    PyException,
    "Base class of every wsengine error. Attributes: kind (the core's stable error name), close_code, message."
);
create_exception!(
    wsengine,
    ProtocolError,
    WebSocketError,
    "The peer (or the transport, or a timer) failed the connection; close_code is the code that was sent."
);
create_exception!(
    wsengine,
    ApplicationError,
    WebSocketError,
    "The call is not allowed (wrong state, bad argument or option); the connection is unchanged."
);
create_exception!(
    wsengine,
    InternalError,
    WebSocketError,
    "A bug in wsengine (a Rust panic, caught); the connection is unusable afterwards."
);

fn make_error(py: Python<'_>, e: &wsengine::Error) -> PyErr {
    let message = e.to_string();
    let err = if e.is_application_error() {
        ApplicationError::new_err(message.clone())
    } else {
        ProtocolError::new_err(message.clone())
    };
    annotate(py, &err, e.kind(), e.close_code(), &message);
    err
}

fn annotate(py: Python<'_>, err: &PyErr, kind: &str, close_code: u16, message: &str) {
    let v = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it
    // does, the exception still carries its message.
    let _ = v.setattr(intern!(py, "kind"), kind);
    let _ = v.setattr(intern!(py, "close_code"), close_code);
    let _ = v.setattr(intern!(py, "message"), message);
}

fn internal_error(py: Python<'_>, payload: Box<dyn std::any::Any + Send>) -> PyErr {
    let what = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    };
    let message = format!("internal error in wsengine: {what}");
    let err = InternalError::new_err(message.clone());
    annotate(py, &err, "internal", 1011, &message);
    err
}

fn app_error(py: Python<'_>, kind: &str, message: String) -> PyErr {
    let err = ApplicationError::new_err(message.clone());
    annotate(py, &err, kind, 1006, &message);
    err
}

// ---------------------------------------------------------------------------------------
// Reading Python buffers in place (bytes, bytearray, memoryview, array, mmap, ...)
// ---------------------------------------------------------------------------------------

/// `Py_buffer`, whose layout is the same in every CPython since 3.3. It joined the limited
/// API only in 3.11, so the abi3-py39 build declares it (and the two functions) itself.
#[repr(C)]
struct RawBuffer {
    buf: *mut c_void,
    obj: *mut ffi::PyObject,
    len: ffi::Py_ssize_t,
    itemsize: ffi::Py_ssize_t,
    readonly: c_int,
    ndim: c_int,
    format: *mut c_char,
    shape: *mut ffi::Py_ssize_t,
    strides: *mut ffi::Py_ssize_t,
    suboffsets: *mut ffi::Py_ssize_t,
    internal: *mut c_void,
}

extern "C" {
    fn PyObject_GetBuffer(obj: *mut ffi::PyObject, view: *mut RawBuffer, flags: c_int) -> c_int;
    fn PyBuffer_Release(view: *mut RawBuffer);
}

/// Calls `f` with the bytes of a bytes-like object, without copying them.
fn with_buffer<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    let mut view = std::mem::MaybeUninit::<RawBuffer>::uninit();
    // SAFETY: `obj` is a live object and we are attached to the interpreter; flags 0 is
    // PyBUF_SIMPLE (contiguous bytes). On success the view is released below.
    let rc = unsafe { PyObject_GetBuffer(obj.as_ptr(), view.as_mut_ptr(), 0) };
    if rc != 0 {
        return Err(PyErr::take(obj.py())
            .unwrap_or_else(|| PyTypeError::new_err("a bytes-like object is required")));
    }
    // SAFETY: initialised by a successful PyObject_GetBuffer.
    let mut view = unsafe { view.assume_init() };
    struct Release<'a>(&'a mut RawBuffer);
    impl Drop for Release<'_> {
        fn drop(&mut self) {
            // SAFETY: the view was filled by PyObject_GetBuffer and is released once.
            unsafe { PyBuffer_Release(self.0) }
        }
    }
    let len = usize::try_from(view.len).unwrap_or(0);
    let ptr = view.buf as *const u8;
    let guard = Release(&mut view);
    let slice: &[u8] = if len == 0 || ptr.is_null() {
        &[]
    } else {
        // SAFETY: the exporter guarantees `len` readable bytes at `buf` while the view is
        // held; the exporter cannot resize (bytearray refuses while exported) and no Python
        // code runs while `f` executes (the core never calls back into Python).
        unsafe { std::slice::from_raw_parts(ptr, len) }
    };
    let r = f(slice);
    drop(guard);
    Ok(r)
}

fn new_bytes<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, data)
}

// ---------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------

type Headers = Vec<(String, String)>;

fn headers_to_py(h: Vec<Header>) -> Headers {
    h.into_iter().map(|h| (h.name, h.value)).collect()
}

fn headers_from_py(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Header>> {
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

fn side_name(s: Option<Side>) -> Option<String> {
    s.map(|s| match s {
        Side::Local => "local".to_string(),
        Side::Remote => "remote".to_string(),
    })
}

/// The fields of `Request` / `HttpRequest`, in declaration order.
type RequestFields = (
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

fn request_fields(r: wsengine::Request) -> RequestFields {
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
fn untracked(obj: Bound<'_, PyAny>) -> Bound<'_, PyAny> {
    // SAFETY: `obj` is a live object we just created; untracking an object of a GC type
    // (pyclasses are) is always allowed and only stops cycle detection for it.
    unsafe { ffi::PyObject_GC_UnTrack(obj.as_ptr().cast()) };
    obj
}

fn event_to_py<'py>(py: Python<'py>, ev: Event) -> PyResult<Bound<'py, PyAny>> {
    event_to_py_tracked(py, ev).map(untracked)
}

/// The event `Connection::receive_with` handed over: a lent message becomes a `str` /
/// `bytes` straight from the borrowed slice (no Rust allocation), anything else goes through
/// the owned conversion.
#[inline]
fn event_ref_to_py<'py>(py: Python<'py>, ev: EventRef<'_>) -> PyResult<Bound<'py, PyAny>> {
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

/// A new `bytes` object that a binary message is received into: the core unmasks the
/// payload straight into it as it arrives (`EventSink::message_buffer`), one copy fewer than
/// building the object from the finished message.
struct BytesBuffer {
    obj: Py<PyBytes>,
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
    fn new(py: Python<'_>, len: usize) -> PyResult<Self> {
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
struct PySink<'py, 'a> {
    py: Python<'py>,
    items: &'a mut Vec<Bound<'py, PyAny>>,
    error: &'a mut Option<PyErr>,
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
        // If Python cannot allocate it, the core uses a buffer of its own.
        BytesBuffer::new(self.py, len)
            .ok()
            .map(|b| Box::new(b) as Box<dyn MessageBuffer>)
    }
}

#[inline]
fn text_message<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    Ok(Bound::new(
        py,
        TextMessage {
            data: PyString::new(py, s).unbind(),
        },
    )?
    .into_any())
}

#[inline]
fn binary_message<'py>(py: Python<'py>, b: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    Ok(Bound::new(
        py,
        BinaryMessage {
            data: new_bytes(py, b).unbind(),
        },
    )?
    .into_any())
}

/// The Python list of `events`, in order.
fn events_to_list<'py>(py: Python<'py>, events: Vec<Event>) -> PyResult<Bound<'py, PyList>> {
    let mut items: Vec<Bound<'py, PyAny>> = Vec::with_capacity(events.len());
    for ev in events {
        items.push(event_to_py(py, ev)?);
    }
    PyList::new(py, items)
}

fn event_to_py_tracked<'py>(py: Python<'py>, ev: Event) -> PyResult<Bound<'py, PyAny>> {
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

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

/// Connection options; every field of the core's `Config`, same names and defaults.
#[pyclass(module = "wsengine")]
#[derive(Clone)]
pub struct Config {
    inner: wsengine::Config,
}

impl Config {
    fn set_field(&mut self, name: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
        #[cfg(not(feature = "deflate"))]
        let py = v.py();
        let c = &mut self.inner;
        match name {
            "max_frame_size" => c.max_frame_size = v.extract()?,
            "max_message_size" => c.max_message_size = v.extract()?,
            "max_fragments" => c.max_fragments = v.extract()?,
            "max_output_buffer" => c.max_output_buffer = v.extract()?,
            "high_water_mark" => c.high_water_mark = v.extract()?,
            "low_water_mark" => c.low_water_mark = v.extract()?,
            "max_outgoing_frame_size" => c.max_outgoing_frame_size = v.extract()?,
            "max_header_bytes" => c.max_header_bytes = v.extract()?,
            "max_headers" => c.max_headers = v.extract()?,
            "max_reject_body" => c.max_reject_body = v.extract()?,
            "delivery" => c.delivery = delivery_from_py(v)?,
            "ignore_utf8_errors" => c.ignore_utf8_errors = v.extract()?,
            "surface_pings" => c.surface_pings = v.extract()?,
            "surface_pongs" => c.surface_pongs = v.extract()?,
            "auto_pong" => c.auto_pong = v.extract()?,
            "handshake_timeout" => c.handshake_timeout = v.extract()?,
            "ping_interval" => c.ping_interval = v.extract()?,
            "pong_timeout" => c.pong_timeout = v.extract()?,
            "idle_timeout" => c.idle_timeout = v.extract()?,
            "max_lifetime" => c.max_lifetime = v.extract()?,
            "close_timeout" => c.close_timeout = v.extract()?,
            "protocols" => c.protocols = str_list(v)?,
            "allowed_origins" => {
                c.allowed_origins = if v.is_none() {
                    None
                } else {
                    Some(str_list(v)?)
                }
            }
            #[cfg(feature = "deflate")]
            "deflate" => c.deflate = deflate_from_py(v)?,
            #[cfg(not(feature = "deflate"))]
            "deflate" => {
                if !v.is_none() && !matches!(v.extract::<bool>(), Ok(false)) {
                    return Err(app_error(
                        py,
                        "invalid_input",
                        "permessage-deflate is not available in this build of wsengine".into(),
                    ));
                }
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "unknown Config option {name:?}"
                )))
            }
        }
        Ok(())
    }

    fn with_kwargs(base: Option<&Config>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Config> {
        let mut c = base.cloned().unwrap_or_else(|| Config {
            inner: wsengine::Config::default(),
        });
        if let Some(kw) = kwargs {
            for (k, v) in kw.iter() {
                let k: String = k.extract()?;
                c.set_field(&k, &v)?;
            }
        }
        Ok(c)
    }
}

fn str_list(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if v.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "expected a list of strings, not a string",
        ));
    }
    let mut out = Vec::new();
    for item in v.try_iter()? {
        out.push(item?.extract::<String>()?);
    }
    Ok(out)
}

fn delivery_from_py(v: &Bound<'_, PyAny>) -> PyResult<Delivery> {
    if let Ok(s) = v.extract::<String>() {
        return match s.as_str() {
            "messages" => Ok(Delivery::Messages),
            "frames" => Ok(Delivery::Frames),
            _ => Err(PyValueError::new_err(
                "delivery must be \"messages\", \"frames\" or a chunk size (int)",
            )),
        };
    }
    if v.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(
            "delivery must be \"messages\", \"frames\" or a chunk size (int)",
        ));
    }
    match v.extract::<usize>() {
        Ok(n) => Ok(Delivery::Chunks(n)),
        Err(_) => Err(PyTypeError::new_err(
            "delivery must be \"messages\", \"frames\" or a chunk size (int)",
        )),
    }
}

fn delivery_to_py<'py>(py: Python<'py>, d: Delivery) -> PyResult<Bound<'py, PyAny>> {
    Ok(match d {
        Delivery::Messages => intern!(py, "messages").clone().into_any(),
        Delivery::Frames => intern!(py, "frames").clone().into_any(),
        Delivery::Chunks(n) => n.into_pyobject(py)?.into_any(),
    })
}

#[pymethods]
impl Config {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn py_new(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Config::with_kwargs(None, kwargs)
    }

    /// A copy with some options changed.
    #[pyo3(signature = (**kwargs))]
    fn replace(&self, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Config::with_kwargs(Some(self), kwargs)
    }

    /// Checks that the values are consistent; raises ApplicationError if not.
    fn validate(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.validate().map_err(|e| make_error(py, &e))
    }

    fn __setattr__(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_field(name, value)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut parts = Vec::new();
        for name in CONFIG_FIELDS {
            parts.push(format!("{}={}", name, slf.getattr(*name)?.repr()?));
        }
        Ok(format!("Config({})", parts.join(", ")))
    }

    #[getter]
    fn max_frame_size(&self) -> usize {
        self.inner.max_frame_size
    }
    #[getter]
    fn max_message_size(&self) -> usize {
        self.inner.max_message_size
    }
    #[getter]
    fn max_fragments(&self) -> usize {
        self.inner.max_fragments
    }
    #[getter]
    fn max_output_buffer(&self) -> usize {
        self.inner.max_output_buffer
    }
    #[getter]
    fn high_water_mark(&self) -> usize {
        self.inner.high_water_mark
    }
    #[getter]
    fn low_water_mark(&self) -> usize {
        self.inner.low_water_mark
    }
    #[getter]
    fn max_outgoing_frame_size(&self) -> Option<usize> {
        self.inner.max_outgoing_frame_size
    }
    #[getter]
    fn max_header_bytes(&self) -> usize {
        self.inner.max_header_bytes
    }
    #[getter]
    fn max_headers(&self) -> usize {
        self.inner.max_headers
    }
    #[getter]
    fn max_reject_body(&self) -> usize {
        self.inner.max_reject_body
    }
    #[getter]
    fn delivery<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        delivery_to_py(py, self.inner.delivery)
    }
    #[getter]
    fn ignore_utf8_errors(&self) -> bool {
        self.inner.ignore_utf8_errors
    }
    #[getter]
    fn surface_pings(&self) -> bool {
        self.inner.surface_pings
    }
    #[getter]
    fn surface_pongs(&self) -> bool {
        self.inner.surface_pongs
    }
    #[getter]
    fn auto_pong(&self) -> bool {
        self.inner.auto_pong
    }
    #[getter]
    fn handshake_timeout(&self) -> Option<u64> {
        self.inner.handshake_timeout
    }
    #[getter]
    fn ping_interval(&self) -> Option<u64> {
        self.inner.ping_interval
    }
    #[getter]
    fn pong_timeout(&self) -> Option<u64> {
        self.inner.pong_timeout
    }
    #[getter]
    fn idle_timeout(&self) -> Option<u64> {
        self.inner.idle_timeout
    }
    #[getter]
    fn max_lifetime(&self) -> Option<u64> {
        self.inner.max_lifetime
    }
    #[getter]
    fn close_timeout(&self) -> Option<u64> {
        self.inner.close_timeout
    }
    #[getter]
    fn protocols(&self) -> Vec<String> {
        self.inner.protocols.clone()
    }
    #[getter]
    fn allowed_origins(&self) -> Option<Vec<String>> {
        self.inner.allowed_origins.clone()
    }
    #[cfg(feature = "deflate")]
    #[getter]
    fn deflate(&self) -> Option<DeflateConfig> {
        self.inner
            .deflate
            .clone()
            .map(|inner| DeflateConfig { inner })
    }
    #[cfg(not(feature = "deflate"))]
    #[getter]
    fn deflate(&self) -> Option<bool> {
        None
    }
}

const CONFIG_FIELDS: &[&str] = &[
    "max_frame_size",
    "max_message_size",
    "max_fragments",
    "max_output_buffer",
    "high_water_mark",
    "low_water_mark",
    "max_outgoing_frame_size",
    "max_header_bytes",
    "max_headers",
    "max_reject_body",
    "delivery",
    "ignore_utf8_errors",
    "surface_pings",
    "surface_pongs",
    "auto_pong",
    "handshake_timeout",
    "ping_interval",
    "pong_timeout",
    "idle_timeout",
    "max_lifetime",
    "close_timeout",
    "protocols",
    "allowed_origins",
    "deflate",
];

include!("deflate.rs");

// ---------------------------------------------------------------------------------------
// Connection
// ---------------------------------------------------------------------------------------

/// The core connection (`Send + Sync`: it has no interior mutability).
struct Inner(wsengine::Connection);

/// A WebSocket connection (either role). Create one with ServerConnection,
/// ClientConnection or open_connection().
#[pyclass(subclass, module = "wsengine")]
pub struct Connection {
    conn: Inner,
    poisoned: bool,
}

/// The W3C ready state.
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
        if self.poisoned {
            return Err(poisoned_error(py));
        }
        let input = data.as_bytes();
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

fn poisoned_error(py: Python<'_>) -> PyErr {
    let message = "connection is unusable after an internal error".to_string();
    let err = InternalError::new_err(message.clone());
    annotate(py, &err, "internal", 1011, &message);
    err
}

fn role_from_py(role: &Bound<'_, PyAny>) -> PyResult<Role> {
    let s: String = role.extract()?;
    match s.as_str() {
        "client" => Ok(Role::Client),
        "server" => Ok(Role::Server),
        _ => Err(PyValueError::new_err(
            "role must be \"client\" or \"server\"",
        )),
    }
}

fn text_or_bytes_kind(data: &Bound<'_, PyAny>, kind: Option<&str>) -> PyResult<DataKind> {
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
const OWNED_THRESHOLD: usize = 16 * 1024;

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
fn new_bytes_with<'py>(
    py: Python<'py>,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> PyResult<Bound<'py, PyBytes>> {
    let mut b = BytesBuffer::new(py, len)?;
    fill(b.as_mut_slice());
    Ok(b.obj.into_bound(py))
}

fn control_payload(data: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<u8>> {
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

fn body_bytes(body: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<u8>> {
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

fn guarded<R>(py: Python<'_>, f: impl FnOnce() -> R) -> PyResult<R> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|p| internal_error(py, p))
}

/// A connection that is already open (post-handshake mode), for stacks that did the
/// upgrade themselves (HTTP/2 extended CONNECT, RFC 8441; HTTP/3, RFC 9220).
#[pyfunction]
#[pyo3(signature = (role, config = None, *, protocol = None, extensions = None, **kwargs))]
fn open_connection(
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
fn _reference_copy_unmask(stream: &Bound<'_, PyBytes>, repeat: usize) -> PyResult<u128> {
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

#[pymodule]
fn _wsengine(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFLATE_AVAILABLE", cfg!(feature = "deflate"))?;
    m.add("WebSocketError", py.get_type::<WebSocketError>())?;
    m.add("ProtocolError", py.get_type::<ProtocolError>())?;
    m.add("ApplicationError", py.get_type::<ApplicationError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    m.add_class::<Config>()?;
    #[cfg(feature = "deflate")]
    m.add_class::<DeflateConfig>()?;
    m.add_class::<ProxyConfig>()?;
    m.add_class::<State>()?;
    m.add_class::<Connection>()?;
    m.add_class::<ServerConnection>()?;
    m.add_class::<ClientConnection>()?;
    m.add_function(wrap_pyfunction!(open_connection, m)?)?;
    #[cfg(feature = "bench")]
    m.add_function(wrap_pyfunction!(_reference_copy_unmask, m)?)?;
    m.add_class::<Request>()?;
    m.add_class::<HttpRequest>()?;
    m.add_class::<Open>()?;
    m.add_class::<Rejected>()?;
    m.add_class::<ProxyConnected>()?;
    m.add_class::<TextMessage>()?;
    m.add_class::<BinaryMessage>()?;
    m.add_class::<Chunk>()?;
    m.add_class::<Ping>()?;
    m.add_class::<Pong>()?;
    m.add_class::<CloseReceived>()?;
    m.add_class::<Failed>()?;
    m.add_class::<Closed>()?;
    m.add_class::<Writable>()?;
    m.add_class::<CloseInfo>()?;
    Ok(())
}
