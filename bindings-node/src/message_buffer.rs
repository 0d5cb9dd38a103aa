//! Large messages (binary ones, and text ones for a connection with `textAsBytes`) are
//! received straight into the memory of the Node Buffer that will hold them (the core's
//! `EventSink::message_buffer` / `text_buffer`): the payload is unmasked once, where
//! JavaScript gets it, in memory Node's allocator reuses, instead of into the engine's buffer
//! and then handed over or copied.

use std::any::Any;
use std::cell::{Cell, RefCell};

use super::*;

/// Messages from this size on are received into Node Buffers (smaller ones are cheaper
/// copied into the call's one blob).
pub(crate) const DIRECT_MIN: usize = 8 * 1024;

/// Messages up to this size are received into a slice of a shared slab Buffer (one
/// allocation per slab, as Node pools small Buffers); larger ones into a Buffer of their own.
const SLAB_PIECE_MAX: usize = 32 * 1024;
/// The size of a slab.
const SLAB: usize = 128 * 1024;

/// A Node Buffer lent to the core for one message. It may outlive the napi call that
/// made it (a message arrives over many reads): then a reference keeps it alive, made when
/// that call ends ([`PinUnpinned`]); a message completed in the call that made its Buffer
/// (the common case) needs none.
pub(crate) struct NodeBuffer(Box<Inner>);

struct Inner {
    env: sys::napi_env,
    /// The Buffer (a slab, for a slice of one), valid in the napi call that made it.
    value: sys::napi_value,
    /// Where the message starts in `value` when that is a slab.
    slab_offset: Option<u32>,
    /// Null until the call that made the Buffer ends with the Buffer still lent.
    reference: Cell<sys::napi_ref>,
    data: *mut u8,
    len: usize,
}

thread_local! {
    /// Buffers made in the current napi call and not handed over or dropped yet.
    static UNPINNED: RefCell<Vec<*const Inner>> = const { RefCell::new(Vec::new()) };
    /// The slab messages are carved from now (one per JS thread; never freed from here: it
    /// lives as long as the Buffers sliced from it, and the reference as long as the thread).
    static SLAB_NOW: Cell<Option<ReceiveSlab>> = const { Cell::new(None) };
}

/// A slab Buffer and how much of it is handed out.
#[derive(Clone, Copy)]
struct ReceiveSlab {
    reference: sys::napi_ref,
    data: *mut u8,
    used: usize,
}

/// A slab Buffer's value in this call and `len` zeroed bytes of it (8-aligned), from the
/// current slab or a new one.
unsafe fn carve(env: sys::napi_env, len: usize) -> Result<(sys::napi_value, *mut u8, usize)> {
    let mut value = ptr::null_mut();
    let slab = match SLAB_NOW.get() {
        Some(slab) if slab.used + len <= SLAB => {
            check(unsafe { sys::napi_get_reference_value(env, slab.reference, &mut value) })?;
            slab
        }
        old => {
            let mut data = ptr::null_mut();
            check(unsafe { sys::napi_create_buffer(env, SLAB, &mut data, &mut value) })?;
            let mut reference = ptr::null_mut();
            check(unsafe { sys::napi_create_reference(env, value, 1, &mut reference) })?;
            if let Some(old) = old {
                // Its slices keep it alive as long as they are used.
                unsafe { sys::napi_delete_reference(env, old.reference) };
            }
            ReceiveSlab {
                reference,
                data: data.cast(),
                used: 0,
            }
        }
    };
    let at = slab.used;
    SLAB_NOW.set(Some(ReceiveSlab {
        used: (at + len + 7) & !7,
        ..slab
    }));
    // SAFETY: `at + len <= SLAB`, inside the slab's memory.
    let data = unsafe { slab.data.add(at) };
    unsafe { ptr::write_bytes(data, 0, len) };
    Ok((value, data, at))
}

// SAFETY: the buffer is created, filled, handed over and dropped on the JS thread that owns
// the connection (every napi call of a connection runs there); the core never sends it away.
unsafe impl Send for NodeBuffer {}
unsafe impl Sync for NodeBuffer {}

impl NodeBuffer {
    /// `len` bytes of Node memory (zeroed here, so the slice is always initialized; Node's
    /// allocator reuses freed memory, so this touches no fresh pages in steady state): a
    /// slice of a slab, or a Buffer of its own from `SLAB_PIECE_MAX`. Only inside a call that
    /// holds a [`PinUnpinned`].
    pub(crate) unsafe fn new(env: sys::napi_env, len: usize) -> Result<Self> {
        let (value, data, slab_offset) = if len <= SLAB_PIECE_MAX {
            let (value, data, at) = unsafe { carve(env, len)? };
            (value, data, Some(at as u32))
        } else {
            let mut data = ptr::null_mut();
            let mut value = ptr::null_mut();
            check(sys::napi_create_buffer(env, len, &mut data, &mut value))?;
            ptr::write_bytes(data as *mut u8, 0, len);
            (value, data as *mut u8, None)
        };
        let inner = Box::new(Inner {
            env,
            value,
            slab_offset,
            reference: Cell::new(ptr::null_mut()),
            data,
            len,
        });
        UNPINNED.with(|u| u.borrow_mut().push(&*inner));
        Ok(NodeBuffer(inner))
    }

    /// Where the message starts in [`NodeBuffer::value`] when that is a slab shared with
    /// other messages (`None`: the Buffer is the message's own).
    pub(crate) fn slab_offset(&self) -> Option<u32> {
        self.0.slab_offset
    }

    /// The Buffer, for the event object (in the napi call that completes the message).
    pub(crate) unsafe fn value(&self) -> Result<sys::napi_value> {
        let reference = self.0.reference.get();
        if reference.is_null() {
            return Ok(self.0.value); // made in this call
        }
        let mut value = ptr::null_mut();
        check(sys::napi_get_reference_value(
            self.0.env, reference, &mut value,
        ))?;
        Ok(value)
    }
}

impl Drop for NodeBuffer {
    fn drop(&mut self) {
        let reference = self.0.reference.get();
        if reference.is_null() {
            let me: *const Inner = &*self.0;
            UNPINNED.with(|u| u.borrow_mut().retain(|&p| p != me));
        } else {
            // SAFETY: on the JS thread (see above); the reference was made by `pin`.
            unsafe {
                sys::napi_delete_reference(self.0.env, reference);
            }
        }
    }
}

/// Held by a napi call that may make [`NodeBuffer`]s: when it ends (returning or
/// unwinding), every Buffer made in it and still lent to the core gets a reference, so it
/// stays alive for the reads to come.
pub(crate) struct PinUnpinned;

impl Drop for PinUnpinned {
    fn drop(&mut self) {
        UNPINNED.with(|u| {
            for p in u.borrow_mut().drain(..) {
                // SAFETY: `p` is a live Inner (a dropped NodeBuffer removes itself), made in
                // this call, so its `value` is still valid.
                unsafe {
                    let inner = &*p;
                    let mut reference = ptr::null_mut();
                    if sys::napi_create_reference(inner.env, inner.value, 1, &mut reference)
                        != sys::Status::napi_ok
                    {
                        // Without a reference the GC could free memory the core still writes.
                        std::process::abort();
                    }
                    inner.reference.set(reference);
                }
            }
        });
    }
}

impl MessageBuffer for NodeBuffer {
    fn as_slice(&self) -> &[u8] {
        // SAFETY: `data` is the Buffer's memory, `len` bytes, initialized by `new`, kept alive
        // by the call that made it, then by the reference.
        unsafe { std::slice::from_raw_parts(self.0.data, self.0.len) }
    }
    fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as above; JavaScript has no handle to the Buffer until it is handed over.
        unsafe { std::slice::from_raw_parts_mut(self.0.data, self.0.len) }
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}
