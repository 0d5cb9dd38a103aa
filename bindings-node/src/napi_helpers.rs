//! Small napi helpers: JS values from Rust values and back, errors (all called on the JS
//! thread, inside a napi call).

use super::*;

pub(crate) fn check(status: sys::napi_status) -> Result<()> {
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

pub(crate) unsafe fn js_string(env: sys::napi_env, s: &str) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_string_utf8(
        env,
        s.as_ptr().cast(),
        s.len() as isize,
        &mut v,
    ))?;
    Ok(v)
}

pub(crate) unsafe fn js_opt_string(env: sys::napi_env, s: Option<&str>) -> Result<sys::napi_value> {
    match s {
        Some(s) => js_string(env, s),
        None => js_null(env),
    }
}

pub(crate) unsafe fn js_null(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_null(env, &mut v))?;
    Ok(v)
}

pub(crate) unsafe fn js_undefined(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_undefined(env, &mut v))?;
    Ok(v)
}

pub(crate) unsafe fn js_number(env: sys::napi_env, n: f64) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_double(env, n, &mut v))?;
    Ok(v)
}

pub(crate) unsafe fn js_bool(env: sys::napi_env, b: bool) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_get_boolean(env, b, &mut v))?;
    Ok(v)
}

pub(crate) unsafe fn js_object(env: sys::napi_env) -> Result<sys::napi_value> {
    let mut v = ptr::null_mut();
    check(sys::napi_create_object(env, &mut v))?;
    Ok(v)
}

pub(crate) unsafe fn set(
    env: sys::napi_env,
    obj: sys::napi_value,
    name: &std::ffi::CStr,
    v: sys::napi_value,
) -> Result<()> {
    check(sys::napi_set_named_property(env, obj, name.as_ptr(), v))
}

pub(crate) unsafe fn js_array(
    env: sys::napi_env,
    items: &[sys::napi_value],
) -> Result<sys::napi_value> {
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

pub(crate) unsafe fn js_string_array(
    env: sys::napi_env,
    items: &[String],
) -> Result<sys::napi_value> {
    let values = items
        .iter()
        .map(|s| js_string(env, s))
        .collect::<Result<Vec<_>>>()?;
    js_array(env, &values)
}

pub(crate) unsafe fn js_headers(env: sys::napi_env, headers: &[Header]) -> Result<sys::napi_value> {
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
pub(crate) unsafe fn js_buffer(env: sys::napi_env, bytes: &mut Vec<u8>) -> Result<sys::napi_value> {
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
pub(crate) unsafe fn js_error(
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

pub(crate) fn throw_raw(env: &Env, kind: &str, message: &str, close_code: u16) -> Error {
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
pub(crate) fn throw(env: &Env, e: &wsengine::Error) -> Error {
    throw_raw(env, e.kind(), &e.to_string(), e.close_code())
}

pub(crate) fn invalid_input(env: &Env, message: &str) -> Error {
    throw_raw(
        env,
        "invalid_input",
        &format!("invalid input: {message}"),
        1006,
    )
}

/// The `Uint32Array` behind `v` (the description scratch array `index.js` owns).
pub(crate) unsafe fn u32_slice<'a>(
    env: sys::napi_env,
    v: sys::napi_value,
) -> Result<&'a mut [u32]> {
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

/// The largest scratch buffer `read_utf8` keeps between calls.
const SCRATCH_KEEP: usize = 1 << 20;

/// The UTF-8 bytes of the JS string `v`, written into `scratch`: one napi call when the
/// string fits the scratch buffer's capacity, a length query and a second read otherwise.
pub(crate) unsafe fn read_utf8(
    env: sys::napi_env,
    v: sys::napi_value,
    scratch: &mut Vec<u8>,
) -> Result<&[u8]> {
    if scratch.capacity() < 256 {
        scratch.reserve(256);
    } else if scratch.capacity() > SCRATCH_KEEP {
        *scratch = Vec::with_capacity(256); // one huge string does not pin its size for good
    }
    let mut len = 0usize;
    let status = unsafe {
        sys::napi_get_value_string_utf8(
            env,
            v,
            scratch.as_mut_ptr().cast(),
            scratch.capacity(),
            &mut len,
        )
    };
    if status == sys::Status::napi_string_expected {
        return Err(invalid_input(&Env::from_raw(env), "text must be a string"));
    }
    check(status)?;
    // napi stops before a character that does not fit (and keeps one byte for the NUL), so
    // a string within 4 bytes of the capacity may have been cut: read it again, whole.
    if len + 4 >= scratch.capacity() {
        check(unsafe { sys::napi_get_value_string_utf8(env, v, ptr::null_mut(), 0, &mut len) })?;
        // Room for the NUL and the 4-byte margin above, so that the next string of this
        // length is read in one call, not three.
        scratch.reserve((len + 5).next_power_of_two());
        check(unsafe {
            sys::napi_get_value_string_utf8(env, v, scratch.as_mut_ptr().cast(), len + 1, &mut len)
        })?;
    }
    // SAFETY: napi wrote `len` initialised bytes at the start of the buffer.
    Ok(unsafe { std::slice::from_raw_parts(scratch.as_ptr(), len) })
}
