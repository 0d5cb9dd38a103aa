//! Reading Python buffers in place (bytes, bytearray, memoryview, array, mmap, ...).

use super::*;

/// `Py_buffer`, whose layout is the same in every CPython since 3.3. It joined the limited
/// API only in 3.11, so the abi3-py39 build declares it (and the two functions) itself.
#[repr(C)]
pub(crate) struct RawBuffer {
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
pub(crate) fn with_buffer<R>(obj: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
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

pub(crate) fn new_bytes<'py>(py: Python<'py>, data: &[u8]) -> Bound<'py, PyBytes> {
    PyBytes::new(py, data)
}
