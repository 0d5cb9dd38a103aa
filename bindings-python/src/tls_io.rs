//! TLS records read from and written to a socket in one native call each (Unix only), for
//! wsengine.asyncio's TLSSocketTransport: `Connection.receive_tls_from` / `send_tls_to`.
//!
//! The TLS connection stays Python's: the caller's `ssl.SSLContext` wraps two `ssl.MemoryBIO`s
//! and Python's `ssl` module runs the handshake, certificate and hostname verification, SNI,
//! ALPN, `getpeercert()`, close_notify and every error path. Once the handshake is done, a
//! [`TlsSession`] borrows the OpenSSL objects under those Python objects (the `SSL*` of the
//! `_ssl._SSLSocket`, the `BIO*` of each `MemoryBIO`) and moves application data with the same
//! OpenSSL calls Python's `SSLObject.read` / `write` and `MemoryBIO.read` / `write` make
//! (`SSL_read_ex`, `SSL_write_ex`, `BIO_write`, `BIO_read`): per round trip, two native calls
//! instead of eight Python-level ones and the bytes objects between them. (picows gets the
//! same from aiofastnet, which drives OpenSSL itself from the context's `SSL_CTX*`.)
//!
//! What this relies on, checked before a session is made (otherwise the transport keeps
//! Python's calls): CPython 3.9–3.14 without free threading, whose `_ssl` objects begin with
//! `PyObject_HEAD`, then `Socket` and `SSL *ssl` (`_SSLSocket`), or `BIO *bio` (`MemoryBIO`);
//! the OpenSSL functions found through the loaded `_ssl` module (so the library it uses); and
//! the `SSL*` read that way reporting the two BIOs read that way as its own. A `_ssl` built
//! into the interpreter is refused too (its OpenSSL could be another one in the process). The
//! session holds references to the three Python objects, so the pointers live as long as it
//! does; each call holds the GIL and a borrow of the session, so one `SSL*` has one user at a
//! time (the transport uses it from its event loop only, as Python's `ssl` objects are used).

use pyo3::sync::PyOnceLock;
use std::cell::RefCell;
use std::ffi::CStr;
use std::os::fd::RawFd;

use super::*;

type SslReadEx = unsafe extern "C" fn(*mut c_void, *mut c_void, usize, *mut usize) -> c_int;
type SslWriteEx = unsafe extern "C" fn(*mut c_void, *const c_void, usize, *mut usize) -> c_int;
type SslGetError = unsafe extern "C" fn(*const c_void, c_int) -> c_int;
type SslGetBio = unsafe extern "C" fn(*const c_void) -> *mut c_void;
type BioWrite = unsafe extern "C" fn(*mut c_void, *const c_void, c_int) -> c_int;
type BioRead = unsafe extern "C" fn(*mut c_void, *mut c_void, c_int) -> c_int;
type BioCtrlPending = unsafe extern "C" fn(*mut c_void) -> usize;
type ErrClearError = unsafe extern "C" fn();
type ErrPeekLastError = unsafe extern "C" fn() -> std::os::raw::c_ulong;
type VersionNum = unsafe extern "C" fn() -> std::os::raw::c_ulong;
type ErrErrorStringN = unsafe extern "C" fn(std::os::raw::c_ulong, *mut c_char, usize);

/// The OpenSSL functions used, from the library Python's `_ssl` module is linked with.
struct OpenSsl {
    ssl_read_ex: SslReadEx,
    ssl_write_ex: SslWriteEx,
    ssl_get_error: SslGetError,
    ssl_get_rbio: SslGetBio,
    ssl_get_wbio: SslGetBio,
    bio_write: BioWrite,
    bio_read: BioRead,
    bio_ctrl_pending: BioCtrlPending,
    err_clear_error: ErrClearError,
    err_peek_last_error: ErrPeekLastError,
    err_error_string_n: ErrErrorStringN,
    /// `OpenSSL_version_num()`: how error codes pack the library and the reason.
    version_num: std::os::raw::c_ulong,
}

// OpenSSL's SSL_get_error() results (ssl.h).
const SSL_ERROR_WANT_READ: c_int = 2;
const SSL_ERROR_SYSCALL: c_int = 5;
const SSL_ERROR_ZERO_RETURN: c_int = 6;

/// The OpenSSL functions, or why there is no native session here; found once per process.
static SUPPORT: PyOnceLock<Result<OpenSsl, String>> = PyOnceLock::new();

/// Looks the functions up in the already loaded `_ssl` module and the libraries it depends on
/// (`dlopen` with `RTLD_NOLOAD` loads nothing new), after checking that this interpreter's
/// `_ssl` objects have the layout a session reads (see the module docs).
fn load(py: Python<'_>) -> Result<OpenSsl, String> {
    layout_known(py).map_err(|e| e.to_string())?;
    let file: String = py
        .import("_ssl")
        .and_then(|m| m.getattr("__file__"))
        .and_then(|f| f.extract())
        // A _ssl built into the program could sit beside another OpenSSL in the process.
        .map_err(|_| "the _ssl module is built in".to_owned())?;
    let path = std::ffi::CString::new(file).map_err(|e| e.to_string())?;
    // SAFETY: dlopen with RTLD_NOLOAD only returns a handle to an object already loaded; the
    // handle is never closed, so its symbols stay valid.
    let handle = unsafe { libc::dlopen(path.as_ptr(), libc::RTLD_NOW | libc::RTLD_NOLOAD) };
    if handle.is_null() {
        return Err("the _ssl module is not a loaded shared object".to_owned());
    }
    let sym = |name: &CStr| -> Result<*mut c_void, String> {
        // SAFETY: a valid handle and a NUL-terminated name.
        let p = unsafe { libc::dlsym(handle, name.as_ptr()) };
        if p.is_null() {
            return Err(format!(
                "{} not found through the _ssl module",
                name.to_string_lossy()
            ));
        }
        Ok(p)
    };
    // SAFETY (each transmute): the symbol is the OpenSSL 1.1.1+/3.x function of that name,
    // whose C signature the type above spells.
    unsafe {
        Ok(OpenSsl {
            ssl_read_ex: std::mem::transmute::<*mut c_void, SslReadEx>(sym(c"SSL_read_ex")?),
            ssl_write_ex: std::mem::transmute::<*mut c_void, SslWriteEx>(sym(c"SSL_write_ex")?),
            ssl_get_error: std::mem::transmute::<*mut c_void, SslGetError>(sym(c"SSL_get_error")?),
            ssl_get_rbio: std::mem::transmute::<*mut c_void, SslGetBio>(sym(c"SSL_get_rbio")?),
            ssl_get_wbio: std::mem::transmute::<*mut c_void, SslGetBio>(sym(c"SSL_get_wbio")?),
            bio_write: std::mem::transmute::<*mut c_void, BioWrite>(sym(c"BIO_write")?),
            bio_read: std::mem::transmute::<*mut c_void, BioRead>(sym(c"BIO_read")?),
            bio_ctrl_pending: std::mem::transmute::<*mut c_void, BioCtrlPending>(sym(
                c"BIO_ctrl_pending",
            )?),
            err_clear_error: std::mem::transmute::<*mut c_void, ErrClearError>(sym(
                c"ERR_clear_error",
            )?),
            err_peek_last_error: std::mem::transmute::<*mut c_void, ErrPeekLastError>(sym(
                c"ERR_peek_last_error",
            )?),
            err_error_string_n: std::mem::transmute::<*mut c_void, ErrErrorStringN>(sym(
                c"ERR_error_string_n",
            )?),
            version_num: std::mem::transmute::<*mut c_void, VersionNum>(sym(
                c"OpenSSL_version_num",
            )?)(),
        })
    }
}

/// Checks that this interpreter's `_ssl` objects have the layout a session reads: CPython
/// 3.9–3.14, objects whose header is two words (no free threading, no trace-refs build), and a
/// `MemoryBIO` of the size `{PyObject_HEAD; BIO *bio; int eof_written;}` has.
fn layout_known(py: Python<'_>) -> PyResult<()> {
    let sys = py.import("sys")?;
    let name: String = sys.getattr("implementation")?.getattr("name")?.extract()?;
    let version = sys.getattr("version_info")?;
    let (major, minor): (u32, u32) = (
        version.get_item(0)?.extract()?,
        version.get_item(1)?.extract()?,
    );
    let word = std::mem::size_of::<usize>();
    let basicsize =
        |t: Bound<'_, PyAny>| -> PyResult<usize> { t.getattr("__basicsize__")?.extract() };
    let object_size = basicsize(py.import("builtins")?.getattr("object")?)?;
    let bio_size = basicsize(py.import("_ssl")?.getattr("MemoryBIO")?)?;
    if name != "cpython" || major != 3 || !(9..=14).contains(&minor) {
        return Err(PyValueError::new_err(format!(
            "{name} {major}.{minor}'s _ssl objects are not known"
        )));
    }
    if object_size != 2 * word || bio_size != 4 * word {
        return Err(PyValueError::new_err(
            "this build's object layout is not the usual one",
        ));
    }
    Ok(())
}

/// The pointer stored `words` machine words into a Python object (past `PyObject_HEAD`'s two).
///
/// # Safety
/// `obj` must be an object of a type whose struct has a pointer at that position.
unsafe fn field(obj: &Bound<'_, PyAny>, words: usize) -> *mut c_void {
    // SAFETY: per the caller, the object's memory holds a pointer there.
    unsafe { *(obj.as_ptr() as *const *mut c_void).add(words) }
}

/// Output runs shorter than this are gathered before encryption (one TLS record's payload).
const GATHER: usize = 16 * 1024;

// What the last `receive_tls_from` left for the transport to do (`TlsSession.state`, bits).
const MORE_INPUT: u8 = 1; // the plaintext buffer filled up: records may remain
const CLOSE_NOTIFY: u8 = 2; // the peer's close_notify was read
const RECORDS_OUT: u8 = 4; // reading produced records to send (a key update's answer, ...)
const FAILED: u8 = 8; // a record failed after the plaintext returned: `failure` says why

/// The OpenSSL objects of one TLS connection whose handshake Python's `ssl` has done; see the
/// module docs. Made from ``(ssl_object._sslobj, incoming, outgoing)``; ValueError when this
/// interpreter or its `ssl` module are not ones it knows (the caller then keeps Python's calls).
#[pyclass(module = "wsengine")]
pub struct TlsSession {
    lib: &'static OpenSsl,
    ssl: *mut c_void,
    rbio: *mut c_void,
    wbio: *mut c_void,
    /// The objects owning the pointers, kept alive by the session.
    _owners: [Py<PyAny>; 3],
    /// After `receive_tls_from`: 0, or what the transport must still do (bits: 1 decrypt the
    /// records that remain, 2 the peer sent close_notify, 4 send the records reading produced,
    /// 8 fail with `take_failure()` once the events returned are handled).
    #[pyo3(get)]
    pub(crate) state: u8,
    /// With state 8: the ssl exception a record raised after the plaintext returned
    /// (`take_failure()`).
    pub(crate) failure: Option<Py<PyAny>>,
}

// SAFETY: the raw pointers are only used by methods that hold the GIL and a borrow of the
// session (PyO3's borrow flag: one user at a time); free-threaded
// interpreters are refused (layout_known) and cannot load an abi3 module anyway. Dropping the
// session on another thread only releases the Python references, with the GIL.
unsafe impl Send for TlsSession {}
unsafe impl Sync for TlsSession {}

#[pymethods]
impl TlsSession {
    #[new]
    fn new(
        py: Python<'_>,
        sslobj: &Bound<'_, PyAny>,
        incoming: &Bound<'_, PyAny>,
        outgoing: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let refuse = |why: &str| {
            Err(PyValueError::new_err(format!(
                "no native TLS session: {why}"
            )))
        };
        let lib = match SUPPORT.get_or_init(py, || load(py)) {
            Ok(lib) => lib,
            Err(why) => return refuse(why),
        };
        let ssl_mod = py.import("_ssl")?;
        if !sslobj.get_type().is(&ssl_mod.getattr("_SSLSocket")?)
            || !incoming.get_type().is(&ssl_mod.getattr("MemoryBIO")?)
            || !outgoing.get_type().is(&ssl_mod.getattr("MemoryBIO")?)
        {
            return refuse("expects an _ssl._SSLSocket and two _ssl.MemoryBIO");
        }
        // SAFETY: the types were checked above; on the interpreters layout_known() accepts,
        // _SSLSocket is {PyObject_HEAD; PyObject *Socket; SSL *ssl; ...} and MemoryBIO is
        // {PyObject_HEAD; BIO *bio; ...}.
        let (ssl, rbio, wbio) =
            unsafe { (field(sslobj, 3), field(incoming, 2), field(outgoing, 2)) };
        if ssl.is_null() || rbio.is_null() || wbio.is_null() {
            return refuse("null OpenSSL object");
        }
        // SAFETY: `ssl` is the SSL* of a live _SSLSocket (kept alive by the caller's reference).
        let (r, w) = unsafe { ((lib.ssl_get_rbio)(ssl), (lib.ssl_get_wbio)(ssl)) };
        if r != rbio || w != wbio {
            return refuse("the SSL object does not use these BIOs");
        }
        Ok(TlsSession {
            lib,
            ssl,
            rbio,
            wbio,
            _owners: [
                sslobj.clone().unbind(),
                incoming.clone().unbind(),
                outgoing.clone().unbind(),
            ],
            state: 0,
            failure: None,
        })
    }

    /// The ssl exception of state 8 (once; None otherwise).
    fn take_failure(&mut self) -> Option<Py<PyAny>> {
        self.failure.take()
    }
}

thread_local! {
    /// Plaintext decrypted by a thread's reads, small output runs gathered for one
    /// `SSL_write`, and records taken for a write (each copied out or used at once, like the
    /// read buffer).
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's scratch buffer, at least `len` bytes long (a buffer of its own
/// when the thread's is lent).
pub(crate) fn with_scratch<R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with(|cell| {
        let mut own = Vec::new();
        let mut shared = cell.try_borrow_mut();
        let buf: &mut Vec<u8> = match shared {
            Ok(ref mut b) => b,
            Err(_) => &mut own,
        };
        if buf.len() < len {
            buf.resize(len, 0);
        }
        f(&mut buf[..len])
    })
}

impl TlsSession {
    /// The `ssl` exception for a failed OpenSSL call (`SSL_get_error` result `code`), as
    /// Python's ssl raises it: SSLWantReadError, SSLZeroReturnError, SSLEOFError, or SSLError
    /// with `library`, `reason` and OpenSSL's message ("[SSL: REASON] ...").
    fn error(&self, py: Python<'_>, code: c_int) -> PyErr {
        match self.make_error(py, code) {
            Ok(e) | Err(e) => e,
        }
    }

    fn make_error(&self, py: Python<'_>, code: c_int) -> PyResult<PyErr> {
        let lib = self.lib;
        // SAFETY: reading this thread's OpenSSL error queue (the last error, as Python's ssl).
        let e = unsafe { (lib.err_peek_last_error)() };
        let mut text = [0 as c_char; 256];
        if e != 0 {
            // SAFETY: a buffer of the length given; OpenSSL NUL-terminates it.
            unsafe { (lib.err_error_string_n)(e, text.as_mut_ptr(), text.len()) };
        }
        // SAFETY: clears this thread's OpenSSL error queue.
        unsafe { (lib.err_clear_error)() };
        // SAFETY: NUL-terminated above (or all zeros).
        let detail = unsafe { CStr::from_ptr(text.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        let ssl = py.import("ssl")?;
        // (class, errno, message) as _ssl.c's PySSL_SetError.
        let (class, errno, message) = match code {
            SSL_ERROR_WANT_READ => (
                "SSLWantReadError",
                2,
                "The operation did not complete (read)".to_owned(),
            ),
            SSL_ERROR_ZERO_RETURN => (
                "SSLZeroReturnError",
                6,
                "TLS/SSL connection has been closed (EOF)".to_owned(),
            ),
            SSL_ERROR_SYSCALL if e == 0 => (
                "SSLEOFError",
                8,
                "EOF occurred in violation of protocol".to_owned(),
            ),
            _ => ("SSLError", 1, detail),
        };
        let (library, reason) = self.error_names(py, e)?;
        let message = match (&library, &reason) {
            (Some(l), Some(r)) => format!("[{l}: {r}] {message}"),
            _ => message,
        };
        let exc = ssl.getattr(class)?.call1((errno, message))?;
        exc.setattr("library", library)?;
        exc.setattr("reason", reason)?;
        Ok(PyErr::from_value(exc))
    }

    /// The names `_ssl` gives an OpenSSL error code's library and reason, if it knows them.
    fn error_names(
        &self,
        py: Python<'_>,
        e: std::os::raw::c_ulong,
    ) -> PyResult<(Option<String>, Option<String>)> {
        if e == 0 {
            return Ok((None, None));
        }
        let (lib, reason) = if self.lib.version_num >= 0x3000_0000 {
            if e & 0x8000_0000 != 0 {
                (2, e & 0x7fff_ffff) // ERR_SYSTEM_ERROR: ERR_LIB_SYS
            } else {
                ((e >> 23) & 0xff, e & 0x7f_ffff)
            }
        } else {
            ((e >> 24) & 0xff, e & 0xfff)
        };
        let ssl_mod = py.import("_ssl")?;
        let name = |table: &str, key: Bound<'_, PyAny>| -> PyResult<Option<String>> {
            let found = ssl_mod.getattr(table)?.call_method1("get", (key,))?;
            if found.is_none() {
                Ok(None)
            } else {
                found.extract().map(Some)
            }
        };
        let library = name("lib_codes_to_names", lib.into_pyobject(py)?.into_any())?;
        let reason = name(
            "err_codes_to_names",
            (lib, reason).into_pyobject(py)?.into_any(),
        )?;
        Ok((library, reason))
    }

    /// Hands `raw` (records read from the socket) to OpenSSL.
    pub(crate) fn feed(&self, raw: &[u8]) {
        let mut at = 0;
        while at < raw.len() {
            let n = (raw.len() - at).min(c_int::MAX as usize);
            // SAFETY: `rbio` is the live memory BIO; `raw[at..at + n]` is readable. A memory
            // BIO takes everything written to it.
            let w = unsafe {
                (self.lib.bio_write)(self.rbio, raw[at..].as_ptr() as *const c_void, n as c_int)
            };
            if w <= 0 {
                break; // allocation failure in OpenSSL: the records are lost, decryption then fails
            }
            at += w as usize;
        }
    }

    /// Decrypts into `plain` as much as the records fed allow; returns the plaintext length
    /// and sets `state`.
    pub(crate) fn decrypt(&mut self, py: Python<'_>, plain: &mut [u8]) -> PyResult<usize> {
        let lib = self.lib;
        let mut got = 0;
        // SAFETY: clears this thread's error queue before the calls, as Python's ssl does.
        unsafe { (lib.err_clear_error)() };
        while got < plain.len() {
            let mut n = 0usize;
            // SAFETY: the live SSL*; `plain[got..]` is writable for its length.
            let ok = unsafe {
                (lib.ssl_read_ex)(
                    self.ssl,
                    plain[got..].as_mut_ptr() as *mut c_void,
                    plain.len() - got,
                    &mut n,
                )
            };
            if ok == 1 {
                got += n;
                continue;
            }
            // SAFETY: the live SSL* and the failed call's result.
            match unsafe { (lib.ssl_get_error)(self.ssl, ok) } {
                SSL_ERROR_WANT_READ => break,
                SSL_ERROR_ZERO_RETURN => {
                    self.state |= CLOSE_NOTIFY;
                    break;
                }
                code => {
                    let err = self.error(py, code);
                    if got == 0 {
                        return Err(err);
                    }
                    // The plaintext before the bad record is delivered first; the transport
                    // then fails the connection with this error.
                    self.failure = Some(err.into_value(py).into_any());
                    self.state |= FAILED;
                    return Ok(got);
                }
            }
        }
        if got == plain.len() {
            self.state |= MORE_INPUT;
        }
        // SAFETY: the live memory BIO.
        if unsafe { (lib.bio_ctrl_pending)(self.wbio) } > 0 {
            self.state |= RECORDS_OUT;
        }
        Ok(got)
    }

    /// Encrypts `segments` (the engine's output queue) into records appended to the outgoing
    /// memory BIO: small runs (a frame's header, small frames) are gathered into one
    /// `SSL_write`, so a small message is one record, not one per run.
    pub(crate) fn encrypt_segments<'a>(
        &self,
        py: Python<'_>,
        segments: impl Iterator<Item = &'a [u8]>,
    ) -> PyResult<()> {
        with_scratch(GATHER, |buf| {
            let mut at = 0;
            for seg in segments {
                if at + seg.len() <= GATHER {
                    buf[at..at + seg.len()].copy_from_slice(seg);
                    at += seg.len();
                    continue;
                }
                if at > 0 {
                    self.encrypt(py, &buf[..at])?;
                    at = 0;
                }
                if seg.len() >= GATHER {
                    self.encrypt(py, seg)?;
                } else {
                    buf[..seg.len()].copy_from_slice(seg);
                    at = seg.len();
                }
            }
            if at > 0 {
                self.encrypt(py, &buf[..at])?;
            }
            Ok(())
        })
    }

    /// Encrypts `data` into records (appended to the outgoing memory BIO).
    fn encrypt(&self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        let lib = self.lib;
        // SAFETY: clears this thread's error queue before the calls, as Python's ssl does.
        unsafe { (lib.err_clear_error)() };
        let mut at = 0;
        while at < data.len() {
            let mut n = 0usize;
            // SAFETY: the live SSL*; `data[at..]` is readable for its length.
            let ok = unsafe {
                (lib.ssl_write_ex)(
                    self.ssl,
                    data[at..].as_ptr() as *const c_void,
                    data.len() - at,
                    &mut n,
                )
            };
            if ok != 1 {
                // SAFETY: the live SSL* and the failed call's result.
                let code = unsafe { (lib.ssl_get_error)(self.ssl, ok) };
                return Err(self.error(py, code));
            }
            at += n;
        }
        Ok(())
    }

    /// Sends the records in the outgoing memory BIO to `fd`, as many as the socket takes now;
    /// returns those it did not take.
    pub(crate) fn send_records<'py>(
        &self,
        py: Python<'py>,
        fd: RawFd,
    ) -> PyResult<Option<Bound<'py, PyBytes>>> {
        loop {
            // SAFETY: the live memory BIO.
            let pending = unsafe { (self.lib.bio_ctrl_pending)(self.wbio) };
            if pending == 0 {
                return Ok(None);
            }
            let chunk = pending.min(socket_io::READ_SIZE);
            let rest = with_scratch(chunk, |buf| -> PyResult<Option<Bound<'py, PyBytes>>> {
                // SAFETY: the live memory BIO; `buf` is writable for `chunk` (< 2 GiB) bytes.
                let n = unsafe {
                    (self.lib.bio_read)(self.wbio, buf.as_mut_ptr() as *mut c_void, chunk as c_int)
                };
                if n <= 0 {
                    return Err(PyException::new_err(
                        "BIO_read failed with TLS records pending",
                    ));
                }
                let records = &buf[..n as usize];
                let (sent, _) = socket_io::write_segments(fd, std::iter::once(records))?;
                if sent < records.len() {
                    return Ok(Some(PyBytes::new(py, &records[sent..])));
                }
                Ok(None)
            })?;
            if let Some(rest) = rest {
                // The socket is full: what the BIO still holds follows what it did not take.
                // SAFETY: the live memory BIO.
                let more = unsafe { (self.lib.bio_ctrl_pending)(self.wbio) };
                if more == 0 {
                    return Ok(Some(rest));
                }
                let mut all = rest.as_bytes().to_vec();
                let old = all.len();
                all.resize(old + more, 0);
                // SAFETY: as above, `more` bytes writable after `old`.
                let n = unsafe {
                    (self.lib.bio_read)(
                        self.wbio,
                        all[old..].as_mut_ptr() as *mut c_void,
                        more.min(c_int::MAX as usize) as c_int,
                    )
                };
                all.truncate(old + n.max(0) as usize);
                return Ok(Some(PyBytes::new(py, &all)));
            }
        }
    }
}
