//! Large messages (binary ones, and text ones for a connection with `textAsBytes`) are
//! received straight into the memory of the Node Buffer that will hold them (the core's
//! `EventSink::message_buffer` / `text_buffer`): the payload is unmasked once, where
//! JavaScript gets it, in memory Node's allocator reuses, instead of into the engine's buffer
//! and then handed over or copied.

use std::any::Any;

use super::*;

/// Messages from this size on are received into Node Buffers (smaller ones are cheaper
/// copied into the call's one blob).
pub(crate) const DIRECT_MIN: usize = 8 * 1024;

/// A Node Buffer lent to the core for one message. It may outlive the napi call that
/// made it (a message arrives over many reads), so a reference keeps it alive.
pub(crate) struct NodeBuffer {
    env: sys::napi_env,
    reference: sys::napi_ref,
    data: *mut u8,
    len: usize,
}

// SAFETY: the buffer is created, filled, handed over and dropped on the JS thread that owns
// the connection (every napi call of a connection runs there); the core never sends it away.
unsafe impl Send for NodeBuffer {}
unsafe impl Sync for NodeBuffer {}

impl NodeBuffer {
    /// A Node Buffer of `len` bytes (zeroed here, so the slice is always initialized; Node's
    /// allocator reuses freed memory, so this touches no fresh pages in steady state).
    pub(crate) unsafe fn new(env: sys::napi_env, len: usize) -> Result<Self> {
        let mut data = ptr::null_mut();
        let mut value = ptr::null_mut();
        check(sys::napi_create_buffer(env, len, &mut data, &mut value))?;
        ptr::write_bytes(data as *mut u8, 0, len);
        let mut reference = ptr::null_mut();
        check(sys::napi_create_reference(env, value, 1, &mut reference))?;
        Ok(NodeBuffer {
            env,
            reference,
            data: data as *mut u8,
            len,
        })
    }

    /// The Buffer, for the event object (in the napi call that completes the message).
    pub(crate) unsafe fn value(&self) -> Result<sys::napi_value> {
        let mut value = ptr::null_mut();
        check(sys::napi_get_reference_value(
            self.env,
            self.reference,
            &mut value,
        ))?;
        Ok(value)
    }
}

impl Drop for NodeBuffer {
    fn drop(&mut self) {
        // SAFETY: on the JS thread (see above); the reference was created by `new`.
        unsafe {
            sys::napi_delete_reference(self.env, self.reference);
        }
    }
}

impl MessageBuffer for NodeBuffer {
    fn as_slice(&self) -> &[u8] {
        // SAFETY: `data` is the Buffer's memory, `len` bytes, initialized by `new`, kept alive
        // by the reference.
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above; JavaScript has no handle to the Buffer until it is handed over.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
