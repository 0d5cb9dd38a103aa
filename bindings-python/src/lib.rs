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

// Modules, one job each: `errors` (exception classes), `buffers` (reading Python buffers in
// place), `events` (event classes and the sink that builds them), `config` (`Config`),
// `deflate` (`DeflateConfig`), `connection` (the connection classes), `socket_io` (reading
// and writing a socket's descriptor for `receive_from` / `send_to`), `tls_io` (the same over
// TLS, with OpenSSL's objects under Python's ssl objects). The imports below are the ones
// they share (`use super::*`).

use std::os::raw::{c_char, c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use pyo3::{create_exception, ffi, intern};

use wsengine::event::{DataKind, EventRef, EventSink, MessageBuffer, Side};
use wsengine::{AcceptOptions, ClientOptions, Event, Header, OpenOptions, ProxyOptions, Role};

mod buffers;
mod config;
mod connection;
mod errors;
mod events;
#[cfg(unix)]
mod socket_io;
#[cfg(unix)]
mod tls_io;
use buffers::*;
use config::*;
use connection::*;
use errors::*;
use events::*;
#[cfg(unix)]
use tls_io::TlsSession;

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
    #[cfg(unix)]
    m.add_class::<TlsSession>()?;
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
