//! Events: one call's events as the description `index.js` decodes (text transcoded to
//! latin1 / UTF-16, payloads in one blob, rare events as objects).

use super::*;

/// Appends valid UTF-8 `src` to `dst` as UTF-16. V8's own UTF-8 decoder (napi and
/// `Buffer#toString` alike) runs at about 450 MB/s on mixed text; this loop, on input the core
/// has already validated, is several times faster, and V8 then only copies the UTF-16.
pub(crate) fn utf8_to_utf16(src: &[u8], dst: &mut Vec<u16>) {
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
pub(crate) struct Collector {
    pub(crate) text8: Vec<u8>,
    pub(crate) text16: Vec<u16>,
    pub(crate) wide: bool,
    pub(crate) has_text: bool,
    pub(crate) blob: Vec<u8>,
    pub(crate) has_blob: bool,
    pub(crate) desc: Vec<u32>,
    /// Whole text messages as UTF-8 bytes in the blob (the connection's `textAsBytes`).
    pub(crate) text_bytes: bool,
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

    fn text_as_bytes(&self) -> bool {
        self.text_bytes
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
    /// Appends a lent payload to the call's blob.
    pub(crate) fn push_blob_slice(&mut self, bytes: &[u8]) -> (u32, u32) {
        let start = self.blob.len();
        self.blob.extend_from_slice(bytes);
        self.has_blob = true;
        (start as u32, self.blob.len() as u32)
    }

    pub(crate) fn reset(&mut self) {
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

pub(crate) unsafe fn request_object(
    env: sys::napi_env,
    ty: &str,
    r: &Request,
) -> Result<sys::napi_value> {
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

pub(crate) unsafe fn close_info_object(
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
pub(crate) unsafe fn describe(
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
