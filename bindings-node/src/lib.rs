//! Node.js binding of `wsengine` (napi-rs): a thin mapping of [`wsengine::Connection`].
//!
//! The binding converts types and errors, nothing else: every protocol decision is the
//! core's. The JavaScript side (`index.js`) wraps [`NativeConnection`] in the public
//! `Connection` class.
//!
//! # Crossing the boundary once per read
//!
//! A napi call costs about 150 ns, a Buffer created in Rust about 1 µs and a JS string about
//! 130 ns, so `receive` returns every event of a chunk in one call, encoded as:
//!
//! - a description in a `Uint32Array` the caller passes in (`desc`): `desc[0]` flags,
//!   `desc[1]` the number of words that follow, then one record per event;
//! - at most one JS string holding the UTF-8 text of every text message of the call
//!   (records carry UTF-16 offsets; JS takes `substring`s);
//! - at most one Buffer holding every binary payload of the call (records carry byte
//!   offsets; JS takes `subarray`s);
//! - rare events (handshake, close, failure) as ready-made objects.
//!
//! The return value is `undefined`, the string, the Buffer, or an array
//! `[text, blob, overflowDesc, ...objects]`, as `desc[0]` says.

use std::ptr;

use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;

mod describe;
use describe::{describe_frequent, Describe};

use wsengine::{
    AcceptOptions, ClientOptions, CloseInfo, Config, Connection, DataKind, Delivery, Event, Header,
    OpenOptions, OsRandom, ProxyOptions, Request, Role, Side, State,
};

// ---- description format (shared with index.js) ----
const F_TEXT: u32 = 1;
const F_BLOB: u32 = 2;
const F_OBJECTS: u32 = 4;
const F_OVERFLOW: u32 = 8;
const F_OUTPUT: u32 = 16;
const F_ARRAY: u32 = 32;

// The frequent events' codes: describe.rs. Node's rare events:
const T_OBJECT: u32 = 7; // index into the returned array

/// Buffers up to this size are copied into V8-owned memory; larger ones are handed over.
const COPY_LIMIT: usize = 64 * 1024;

/// A raw JS value returned as is.
pub struct Raw(sys::napi_value);

impl ToNapiValue for Raw {
    unsafe fn to_napi_value(_env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
        Ok(val.0)
    }
}

// ---- small napi helpers (all called on the JS thread, inside a napi call) ----

fn check(status: sys::napi_status) -> Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else if status == sys::Status::napi_pending_exception {
        Err(Error::from_status(Status::PendingException))
    } else {
        Err(Error::new(
            Status::GenericFailure,
            format!("napi call failed with status {status}"),
        ))
    }
}

unsafe fn js_string(env: sys::napi_env, s: &str) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_string_utf8(
        env,
        s.as_ptr().cast(),
        s.len() as isize,
        &mut v,
    ))?;
    Ok(v)
}

unsafe fn js_opt_string(env: sys::napi_env, s: Option<&str>) -> Result<sys::napi_value> {
    match s {
        Some(s) => js_string(env, s),
        None => js_null(env),
    }
}

unsafe fn js_null(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_null(env, &mut v))?;
    Ok(v)
}

unsafe fn js_undefined(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_undefined(env, &mut v))?;
    Ok(v)
}

unsafe fn js_number(env: sys::napi_env, n: f64) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_double(env, n, &mut v))?;
    Ok(v)
}

unsafe fn js_bool(env: sys::napi_env, b: bool) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_boolean(env, b, &mut v))?;
    Ok(v)
}

unsafe fn js_object(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_object(env, &mut v))?;
    Ok(v)
}

unsafe fn set(
    env: sys::napi_env,
    obj: sys::napi_value,
    name: &std::ffi::CStr,
    v: sys::napi_value,
) -> Result<()> {
    check(sys::napi_set_named_property(env, obj, name.as_ptr(), v))
}

unsafe fn js_array(env: sys::napi_env, items: &[sys::napi_value]) -> Result<sys::napi_value> {
    let mut arr = ptr::null_mut();
    check(sys::napi_create_array_with_length(
        env,
        items.len(),
        &mut arr,
    ))?;
    for (i, v) in items.iter().enumerate() {
        check(sys::napi_set_element(env, arr, i as u32, *v))?;
    }
    Ok(arr)
}

unsafe fn js_string_array(env: sys::napi_env, items: &[String]) -> Result<sys::napi_value> {
    let values = items
        .iter()
        .map(|s| js_string(env, s))
        .collect::<Result<Vec<_>>>()?;
    js_array(env, &values)
}

unsafe fn js_headers(env: sys::napi_env, headers: &[Header]) -> Result<sys::napi_value> {
    let mut values = Vec::with_capacity(headers.len());
    for h in headers {
        let o = js_object(env)?;
        set(env, o, c"name", js_string(env, &h.name)?)?;
        set(env, o, c"value", js_string(env, &h.value)?)?;
        values.push(o);
    }
    js_array(env, &values)
}

unsafe extern "C" fn drop_vec(
    _env: sys::napi_env,
    _data: *mut std::ffi::c_void,
    hint: *mut std::ffi::c_void,
) {
    drop(Box::from_raw(hint as *mut Vec<u8>));
}

/// A Node Buffer with `bytes`: copied when small, handed over (no copy) when large.
unsafe fn js_buffer(env: sys::napi_env, bytes: &mut Vec<u8>) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    if bytes.len() <= COPY_LIMIT {
        let mut data = ptr::null_mut();
        check(sys::napi_create_buffer_copy(
            env,
            bytes.len(),
            bytes.as_ptr().cast(),
            &mut data,
            &mut v,
        ))?;
        bytes.clear();
    } else {
        let owned = Box::new(std::mem::take(bytes));
        let len = owned.len();
        let data = owned.as_ptr() as *mut std::ffi::c_void;
        let hint = Box::into_raw(owned);
        let status =
            sys::napi_create_external_buffer(env, len, data, Some(drop_vec), hint.cast(), &mut v);
        if status != sys::Status::napi_ok {
            // Runtimes without external buffers: fall back to a copy.
            let owned = Box::from_raw(hint);
            let mut copied = ptr::null_mut();
            check(sys::napi_create_buffer_copy(
                env,
                owned.len(),
                owned.as_ptr().cast(),
                &mut copied,
                &mut v,
            ))?;
        }
    }
    Ok(v)
}

/// A JS `Error` with `.kind` and `.closeCode` (and `.code` = kind).
unsafe fn js_error(
    env: sys::napi_env,
    kind: &str,
    message: &str,
    close_code: u16,
) -> Result<sys::napi_value> {
    let mut err = ptr::null_mut();
    check(sys::napi_create_error(
        env,
        js_string(env, kind)?,
        js_string(env, message)?,
        &mut err,
    ))?;
    set(env, err, c"kind", js_string(env, kind)?)?;
    set(env, err, c"closeCode", js_number(env, close_code as f64)?)?;
    Ok(err)
}

fn throw_raw(env: &Env, kind: &str, message: &str, close_code: u16) -> Error {
    unsafe {
        match js_error(env.raw(), kind, message, close_code) {
            Ok(err) => {
                sys::napi_throw(env.raw(), err);
                Error::from_status(Status::PendingException)
            }
            Err(e) => e,
        }
    }
}

/// Throws the core's error as a JS Error.
fn throw(env: &Env, e: &wsengine::Error) -> Error {
    throw_raw(env, e.kind(), &e.to_string(), e.close_code())
}

fn invalid_input(env: &Env, message: &str) -> Error {
    throw_raw(
        env,
        "invalid_input",
        &format!("invalid input: {message}"),
        1006,
    )
}

/// The `Uint32Array` behind `v` (the description scratch array `index.js` owns).
unsafe fn u32_slice<'a>(env: sys::napi_env, v: sys::napi_value) -> Result<&'a mut [u32]> {
    let mut ty = 0;
    let mut len = 0;
    let mut data = ptr::null_mut();
    let mut ab = ptr::null_mut();
    let mut off = 0;
    check(sys::napi_get_typedarray_info(
        env, v, &mut ty, &mut len, &mut data, &mut ab, &mut off,
    ))?;
    if ty != sys::TypedarrayType::uint32_array {
        return Err(Error::new(Status::InvalidArg, "expected a Uint32Array"));
    }
    Ok(if len == 0 {
        &mut []
    } else {
        std::slice::from_raw_parts_mut(data as *mut u32, len)
    })
}

// ---- options ----

fn get_f64(env: &Env, o: &Object, name: &str) -> Result<Option<f64>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined => Ok(None),
            ValueType::Number => Ok(Some(unsafe { v.cast::<f64>()? })),
            _ => Err(invalid_input(
                env,
                &format!("option {name} must be a number"),
            )),
        },
    }
}

fn get_size(env: &Env, o: &Object, name: &str) -> Result<Option<usize>> {
    match get_f64(env, o, name)? {
        None => Ok(None),
        Some(n)
            if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 =>
        {
            Ok(Some(n as usize))
        }
        Some(_) => Err(invalid_input(
            env,
            &format!("option {name} must be a non-negative integer"),
        )),
    }
}

/// A timer: `undefined` keeps the default, a negative number (JS `null`) disables it.
fn get_timer(env: &Env, o: &Object, name: &str, slot: &mut Option<u64>) -> Result<()> {
    match get_f64(env, o, name)? {
        None => {}
        Some(n) if n < 0.0 => *slot = None,
        Some(n) if n.is_finite() => *slot = Some(n as u64),
        Some(_) => {
            return Err(invalid_input(
                env,
                &format!("option {name} must be a finite number or null"),
            ))
        }
    }
    Ok(())
}

fn get_bool(env: &Env, o: &Object, name: &str) -> Result<Option<bool>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined => Ok(None),
            ValueType::Boolean => Ok(Some(unsafe { v.cast::<bool>()? })),
            _ => Err(invalid_input(
                env,
                &format!("option {name} must be a boolean"),
            )),
        },
    }
}

fn get_string(env: &Env, o: &Object, name: &str) -> Result<Option<String>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            ValueType::String => Ok(Some(unsafe { v.cast::<String>()? })),
            _ => Err(invalid_input(
                env,
                &format!("option {name} must be a string"),
            )),
        },
    }
}

fn get_strings(env: &Env, o: &Object, name: &str) -> Result<Option<Vec<String>>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            _ => match unsafe { v.cast::<Vec<String>>() } {
                Ok(list) => Ok(Some(list)),
                Err(_) => Err(invalid_input(
                    env,
                    &format!("option {name} must be an array of strings"),
                )),
            },
        },
    }
}

fn headers_from_flat(env: &Env, flat: Vec<String>) -> Result<Vec<Header>> {
    if flat.len() % 2 != 0 {
        return Err(invalid_input(env, "headers must be name/value pairs"));
    }
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(n), Some(v)) = (it.next(), it.next()) {
        out.push(Header::new(n, v));
    }
    Ok(out)
}

fn config_from(env: &Env, o: Option<Object>) -> Result<Config> {
    let mut c = Config::default();
    let Some(o) = o else { return Ok(c) };
    macro_rules! size {
        ($js:literal, $field:ident) => {
            if let Some(v) = get_size(env, &o, $js)? {
                c.$field = v;
            }
        };
    }
    macro_rules! flag {
        ($js:literal, $field:ident) => {
            if let Some(v) = get_bool(env, &o, $js)? {
                c.$field = v;
            }
        };
    }
    size!("maxFrameSize", max_frame_size);
    size!("maxMessageSize", max_message_size);
    size!("maxFragments", max_fragments);
    size!("maxOutputBuffer", max_output_buffer);
    size!("highWaterMark", high_water_mark);
    size!("lowWaterMark", low_water_mark);
    size!("maxHeaderBytes", max_header_bytes);
    size!("maxHeaders", max_headers);
    size!("maxRejectBody", max_reject_body);
    // `maxOutgoingFrameSize`: a number, or 0 / absent for "one frame per message" (JS null → -1).
    match get_f64(env, &o, "maxOutgoingFrameSize")? {
        None => {}
        Some(n) if n < 0.0 => c.max_outgoing_frame_size = None,
        Some(_) => c.max_outgoing_frame_size = get_size(env, &o, "maxOutgoingFrameSize")?,
    }
    match get_string(env, &o, "delivery")?.as_deref() {
        None | Some("messages") => {}
        Some("frames") => c.delivery = Delivery::Frames,
        Some("chunks") => {
            let n = get_size(env, &o, "deliveryChunkSize")?
                .ok_or_else(|| invalid_input(env, "delivery 'chunks' needs a chunk size"))?;
            c.delivery = Delivery::Chunks(n);
        }
        Some(other) => return Err(invalid_input(env, &format!("unknown delivery {other:?}"))),
    }
    flag!("ignoreUtf8Errors", ignore_utf8_errors);
    flag!("surfacePings", surface_pings);
    flag!("surfacePongs", surface_pongs);
    flag!("autoPong", auto_pong);
    get_timer(env, &o, "handshakeTimeout", &mut c.handshake_timeout)?;
    get_timer(env, &o, "pingInterval", &mut c.ping_interval)?;
    get_timer(env, &o, "pongTimeout", &mut c.pong_timeout)?;
    get_timer(env, &o, "idleTimeout", &mut c.idle_timeout)?;
    get_timer(env, &o, "maxLifetime", &mut c.max_lifetime)?;
    get_timer(env, &o, "closeTimeout", &mut c.close_timeout)?;
    if let Some(p) = get_strings(env, &o, "protocols")? {
        c.protocols = p;
    }
    if let Some(p) = get_strings(env, &o, "allowedOrigins")? {
        c.allowed_origins = Some(p);
    }
    deflate_from(env, &o, &mut c)?;
    Ok(c)
}

#[cfg(feature = "deflate")]
fn deflate_from(env: &Env, o: &Object, c: &mut Config) -> Result<()> {
    deflate_opts::apply(env, o, c)
}

#[cfg(not(feature = "deflate"))]
fn deflate_from(env: &Env, o: &Object, _c: &mut Config) -> Result<()> {
    match get_bool(env, o, "deflateEnabled")? {
        Some(true) => Err(throw_raw(
            env,
            "invalid_input",
            "invalid input: permessage-deflate is not compiled into this build of wsengine",
            1006,
        )),
        _ => Ok(()),
    }
}

#[cfg(feature = "deflate")]
mod deflate_opts;

// ---- events ----

/// Appends valid UTF-8 `src` to `dst` as UTF-16. V8's own UTF-8 decoder (napi and
/// `Buffer#toString` alike) runs at about 450 MB/s on mixed text; this loop, on input the core
/// has already validated, is several times faster, and V8 then only copies the UTF-16.
fn utf8_to_utf16(src: &[u8], dst: &mut Vec<u16>) {
    dst.reserve(src.len());
    let n = src.len();
    let mut i = 0;
    while i < n {
        while i + 8 <= n {
            let w = u64::from_le_bytes([
                src[i],
                src[i + 1],
                src[i + 2],
                src[i + 3],
                src[i + 4],
                src[i + 5],
                src[i + 6],
                src[i + 7],
            ]);
            if w & 0x8080_8080_8080_8080 != 0 {
                break;
            }
            dst.extend(src[i..i + 8].iter().map(|&b| b as u16));
            i += 8;
        }
        if i >= n {
            break;
        }
        let b = src[i] as u32;
        let cont = |k: usize| src.get(i + k).map_or(0, |&x| x as u32 & 0x3F);
        if b < 0x80 {
            dst.push(b as u16);
            i += 1;
        } else if b < 0xE0 {
            dst.push((((b & 0x1F) << 6) | cont(1)) as u16);
            i += 2;
        } else if b < 0xF0 {
            dst.push((((b & 0x0F) << 12) | (cont(1) << 6) | cont(2)) as u16);
            i += 3;
        } else {
            let c = (((b & 0x07) << 18) | (cont(1) << 12) | (cont(2) << 6) | cont(3))
                .wrapping_sub(0x10000);
            dst.push(0xD800 + ((c >> 10) & 0x3FF) as u16);
            dst.push(0xDC00 + (c & 0x3FF) as u16);
            i += 4;
        }
    }
}

/// Collects one call's events: ASCII text as latin1 bytes (switching to UTF-16 at the first
/// non-ASCII text), binary payloads in one blob, and the description words.
#[derive(Default)]
struct Collector {
    text8: Vec<u8>,
    text16: Vec<u16>,
    wide: bool,
    has_text: bool,
    blob: Vec<u8>,
    has_blob: bool,
    desc: Vec<u32>,
}

impl Describe for Collector {
    fn desc(&mut self) -> &mut Vec<u32> {
        &mut self.desc
    }

    fn push_text(&mut self, bytes: &[u8]) -> (u32, u32) {
        self.push_text_units(bytes)
    }

    fn push_text_owned(&mut self, s: String) -> (u32, u32) {
        if !self.has_text && s.len() > 4096 && s.is_ascii() {
            // Take a large ASCII message without copying it.
            self.text8 = s.into_bytes();
            self.has_text = true;
            return (0, self.text8.len() as u32);
        }
        self.push_text_units(s.as_bytes())
    }

    fn push_blob(&mut self, bytes: Vec<u8>) -> (u32, u32) {
        let start = self.blob.len();
        if start == 0 && bytes.len() > COPY_LIMIT {
            self.blob = bytes;
        } else {
            self.blob.extend_from_slice(&bytes);
        }
        self.has_blob = true;
        (start as u32, self.blob.len() as u32)
    }
}

impl Collector {
    fn reset(&mut self) {
        self.text8.clear();
        if self.text8.capacity() > (1 << 20) {
            self.text8 = Vec::new();
        }
        self.text16.clear();
        if self.text16.capacity() > (1 << 20) {
            self.text16 = Vec::new();
        }
        self.wide = false;
        self.has_text = false;
        self.blob.clear();
        if self.blob.capacity() > (1 << 20) {
            self.blob = Vec::new();
        }
        self.has_blob = false;
        self.desc.clear();
    }

    fn units(&self) -> usize {
        if self.wide {
            self.text16.len()
        } else {
            self.text8.len()
        }
    }

    /// `bytes` must be valid UTF-8: latin1 while every text is ASCII, then UTF-16.
    fn push_text_units(&mut self, bytes: &[u8]) -> (u32, u32) {
        let start = self.units();
        if !self.wide {
            if bytes.is_ascii() {
                self.text8.extend_from_slice(bytes);
            } else {
                self.wide = true;
                self.text16.reserve(self.text8.len() + bytes.len());
                self.text16.extend(self.text8.iter().map(|&b| b as u16));
                self.text8.clear();
                utf8_to_utf16(bytes, &mut self.text16);
            }
        } else {
            utf8_to_utf16(bytes, &mut self.text16);
        }
        self.has_text = true;
        (start as u32, self.units() as u32)
    }
}

unsafe fn request_object(env: sys::napi_env, ty: &str, r: &Request) -> Result<sys::napi_value> {
    let o = js_object(env)?;
    set(env, o, c"type", js_string(env, ty)?)?;
    set(env, o, c"method", js_string(env, &r.method)?)?;
    set(env, o, c"target", js_string(env, &r.target)?)?;
    set(env, o, c"path", js_string(env, &r.path)?)?;
    set(env, o, c"query", js_opt_string(env, r.query.as_deref())?)?;
    set(env, o, c"headers", js_headers(env, &r.headers)?)?;
    set(env, o, c"host", js_opt_string(env, r.host.as_deref())?)?;
    set(env, o, c"origin", js_opt_string(env, r.origin.as_deref())?)?;
    set(env, o, c"key", js_opt_string(env, r.key.as_deref())?)?;
    set(env, o, c"protocols", js_string_array(env, &r.protocols)?)?;
    set(env, o, c"extensions", js_string_array(env, &r.extensions)?)?;
    Ok(o)
}

unsafe fn close_info_object(
    env: sys::napi_env,
    ty: Option<&str>,
    i: &CloseInfo,
) -> Result<sys::napi_value> {
    let o = js_object(env)?;
    if let Some(ty) = ty {
        set(env, o, c"type", js_string(env, ty)?)?;
    }
    set(env, o, c"code", js_number(env, i.code as f64)?)?;
    set(env, o, c"reason", js_string(env, &i.reason)?)?;
    set(env, o, c"wasClean", js_bool(env, i.was_clean)?)?;
    let by = match i.initiated_by {
        Some(Side::Local) => Some("local"),
        Some(Side::Remote) => Some("remote"),
        None => None,
    };
    set(env, o, c"initiatedBy", js_opt_string(env, by)?)?;
    set(
        env,
        o,
        c"sentCode",
        match i.sent_code {
            Some(c) => js_number(env, c as f64)?,
            None => js_null(env)?,
        },
    )?;
    Ok(o)
}

/// Turns one rare event into an object; hot events are described in `c.desc`.
unsafe fn describe(
    env: sys::napi_env,
    c: &mut Collector,
    objs: &mut Vec<sys::napi_value>,
    ev: Event,
    raw_text_chunks: bool,
) -> Result<()> {
    let object = |objs: &mut Vec<sys::napi_value>, desc: &mut Vec<u32>, o| {
        desc.extend_from_slice(&[T_OBJECT, objs.len() as u32]);
        objs.push(o);
    };
    let Some(ev) = describe_frequent(c, ev, raw_text_chunks) else {
        return Ok(());
    };
    match ev {
        Event::Request(r) => object(objs, &mut c.desc, request_object(env, "request", &r)?),
        Event::HttpRequest(r) => object(objs, &mut c.desc, request_object(env, "httpRequest", &r)?),
        Event::Open(op) => {
            let o = js_object(env)?;
            set(env, o, c"type", js_string(env, "open")?)?;
            set(
                env,
                o,
                c"protocol",
                js_opt_string(env, op.protocol.as_deref())?,
            )?;
            set(
                env,
                o,
                c"extensions",
                js_opt_string(env, op.extensions.as_deref())?,
            )?;
            set(env, o, c"headers", js_headers(env, &op.headers)?)?;
            object(objs, &mut c.desc, o);
        }
        Event::Rejected(r) => {
            let o = js_object(env)?;
            set(env, o, c"type", js_string(env, "rejected")?)?;
            set(env, o, c"status", js_number(env, r.status as f64)?)?;
            set(env, o, c"reason", js_string(env, &r.reason)?)?;
            set(env, o, c"headers", js_headers(env, &r.headers)?)?;
            let mut body = r.body;
            set(env, o, c"body", js_buffer(env, &mut body)?)?;
            set(env, o, c"fromProxy", js_bool(env, r.from_proxy)?)?;
            object(objs, &mut c.desc, o);
        }
        Event::CloseReceived(f) => {
            let o = js_object(env)?;
            set(env, o, c"type", js_string(env, "closeReceived")?)?;
            set(env, o, c"code", js_number(env, f.code as f64)?)?;
            set(env, o, c"reason", js_string(env, &f.reason)?)?;
            object(objs, &mut c.desc, o);
        }
        Event::Failed(e) => {
            let o = js_object(env)?;
            set(env, o, c"type", js_string(env, "failed")?)?;
            set(
                env,
                o,
                c"error",
                js_error(env, e.kind(), &e.to_string(), e.close_code())?,
            )?;
            object(objs, &mut c.desc, o);
        }
        Event::Closed(i) => object(
            objs,
            &mut c.desc,
            close_info_object(env, Some("closed"), &i)?,
        ),
        other => {
            // An event added to the core after this binding was written.
            let o = js_object(env)?;
            set(env, o, c"type", js_string(env, "unknown")?)?;
            set(env, o, c"debug", js_string(env, &format!("{other:?}"))?)?;
            object(objs, &mut c.desc, o);
        }
    }
    Ok(())
}

/// The connection class used by `index.js` (see the module documentation for the format).
#[napi]
pub struct NativeConnection {
    conn: Connection,
    c: Collector,
}

fn role_from(env: &Env, role: &str) -> Result<Role> {
    match role {
        "server" => Ok(Role::Server),
        "client" => Ok(Role::Client),
        _ => Err(invalid_input(env, "role must be 'client' or 'server'")),
    }
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Connecting => "connecting",
        State::Open => "open",
        State::Closing => "closing",
        State::Closed => "closed",
    }
}

fn time(now: f64) -> u64 {
    if now.is_finite() && now > 0.0 {
        now as u64
    } else {
        0
    }
}

fn code16(env: &Env, code: f64, kind: &str) -> Result<u16> {
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
    fn wrap(conn: Connection) -> Self {
        let mut c = Collector::default();
        c.reset();
        NativeConnection { conn, c }
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
        let raw_env = env.raw();
        let desc = unsafe { u32_slice(raw_env, desc.raw())? };
        let raw_text_chunks = self.conn.config().ignore_utf8_errors;
        self.c.reset();
        let mut objs: Vec<sys::napi_value> = Vec::new();
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
        let n = self.c.desc.len();
        let overflow = desc.len() < 2 || n > desc.len() - 2;
        if overflow {
            flags |= F_OVERFLOW;
        }
        if flags & (F_OBJECTS | F_OVERFLOW) != 0 || (self.c.has_text && self.c.has_blob) {
            flags |= F_ARRAY;
        }
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
            let blob = if self.c.has_blob {
                Some(js_buffer(raw_env, &mut self.c.blob)?)
            } else {
                None
            };
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
        self.conn.receive(chunk);
        if now >= 0.0 {
            self.conn.handle_timeout(time(now));
        }
        self.collect(&env, desc)
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

    /// When `handleTimeout` should next be called, or `null`.
    #[napi]
    pub fn next_timeout(&self) -> Option<f64> {
        self.conn.poll_timeout().map(|t| t as f64)
    }

    /// Every queued output byte as one Buffer, or `null` when nothing is queued.
    #[napi]
    pub fn take_output(&mut self, env: Env) -> Result<Raw> {
        if self.conn.buffered_amount() == 0 {
            return unsafe { Ok(Raw(js_null(env.raw())?)) };
        }
        let mut bytes = self.conn.take_output();
        unsafe { Ok(Raw(js_buffer(env.raw(), &mut bytes)?)) }
    }

    /// Records that the transport accepted `n` bytes of `pendingOutput()`.
    #[napi]
    pub fn consume_output(&mut self, n: f64) {
        self.conn
            .consume_output(if n > 0.0 { n as usize } else { 0 });
    }

    #[napi]
    pub fn send_text(&mut self, env: Env, text: String) -> Result<()> {
        self.conn.send_text(&text).map_err(|e| throw(&env, &e))
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

/// Whether permessage-deflate is compiled in.
#[napi]
pub fn deflate_supported() -> bool {
    cfg!(feature = "deflate")
}

#[cfg(test)]
mod tests {
    use super::{utf8_to_utf16, Collector, Describe};

    #[test]
    fn transcodes_like_std() {
        let long = "abcdefghijklmnopé€😀xyz12345678".repeat(20);
        for s in [
            "",
            "abc",
            "é",
            "€uro",
            "😀",
            "a😀é€",
            "\u{10FFFF}\u{800}\u{7FF}\u{80}\u{FFFF}",
            &long,
        ] {
            let mut out = Vec::new();
            utf8_to_utf16(s.as_bytes(), &mut out);
            assert_eq!(out, s.encode_utf16().collect::<Vec<_>>(), "{s}");
        }
    }

    #[test]
    fn offsets_survive_the_switch_to_utf16() {
        let mut c = Collector::default();
        assert_eq!(c.push_text(b"abc"), (0, 3));
        assert_eq!(c.push_text("é😀".as_bytes()), (3, 6));
        assert_eq!(c.push_text(b"z"), (6, 7));
        assert_eq!(String::from_utf16(&c.text16).unwrap(), "abcé😀z");
    }
}
