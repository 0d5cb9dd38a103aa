//! Waiter: the future `wsengine.asyncio`'s `recv()` waits on, native for speed (see
//! `wsengine/asyncio/waiter.py` for why it exists): an asyncio Task calls `get_loop`,
//! `add_done_callback` and `result` on whatever it awaits, once or twice per message; as
//! methods of a native class these cost a fraction of Python-level calls. Driver support,
//! no protocol rule.

use super::*;
use pyo3::gc::PyVisit;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use pyo3::PyTraverseError;

static CANCELLED_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INVALID_STATE_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A callback and the context to run it in.
type Callback = (Py<PyAny>, Option<Py<PyAny>>);

/// Done once woken (result None) or cancelled (result raises CancelledError). Compatible
/// with what an asyncio Task does with the future it awaits.
#[pyclass(module = "wsengine")]
pub struct Waiter {
    event_loop: Py<PyAny>,
    callbacks: Vec<Callback>,
    done: bool,
    cancelled: bool,
    /// Set when the awaiting coroutine yields it (the asyncio Future protocol).
    #[pyo3(get, set, name = "_asyncio_future_blocking")]
    blocking: bool,
}

impl Waiter {
    fn check_result(&self, py: Python<'_>) -> PyResult<()> {
        if self.cancelled {
            let t = CANCELLED_ERROR.import(py, "asyncio", "CancelledError")?;
            return Err(PyErr::from_type(t.clone(), ()));
        }
        if !self.done {
            let t = INVALID_STATE_ERROR.import(py, "asyncio", "InvalidStateError")?;
            return Err(PyErr::from_type(t.clone(), "result is not ready"));
        }
        Ok(())
    }

    /// Marks it done and runs (`now`) or schedules its callbacks.
    fn finish(slf: &Bound<'_, Self>, now: bool) -> PyResult<()> {
        let (callbacks, event_loop) = {
            let mut w = slf.borrow_mut();
            w.done = true;
            (
                std::mem::take(&mut w.callbacks),
                w.event_loop.clone_ref(slf.py()),
            )
        };
        // The callbacks run with no borrow held: the task they resume calls result().
        let py = slf.py();
        for (f, context) in callbacks {
            if now {
                match context {
                    None => f.call1(py, (slf,))?,
                    Some(c) => c.call_method1(py, intern!(py, "run"), (f, slf))?,
                };
            } else {
                let kwargs = PyDict::new(py);
                kwargs.set_item(intern!(py, "context"), context)?;
                event_loop.call_method(py, intern!(py, "call_soon"), (f, slf), Some(&kwargs))?;
            }
        }
        Ok(())
    }
}

#[pymethods]
impl Waiter {
    #[new]
    fn new(event_loop: Py<PyAny>) -> Self {
        Waiter {
            event_loop,
            callbacks: Vec::new(),
            done: false,
            cancelled: false,
            blocking: false,
        }
    }

    /// The event loop it belongs to.
    fn get_loop(&self, py: Python<'_>) -> Py<PyAny> {
        self.event_loop.clone_ref(py)
    }

    /// Whether it was woken or cancelled.
    fn done(&self) -> bool {
        self.done
    }

    /// Whether it was cancelled.
    fn cancelled(&self) -> bool {
        self.cancelled
    }

    /// None once woken; CancelledError if cancelled; InvalidStateError before.
    fn result(&self, py: Python<'_>) -> PyResult<()> {
        self.check_result(py)
    }

    /// None once woken (as a Future's exception()); raises as result() does otherwise.
    fn exception(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        self.check_result(py).map(|()| None)
    }

    /// Calls `fn(self)` once it is done (in `context`), as a Future does.
    #[pyo3(signature = (f, *, context = None))]
    fn add_done_callback(
        slf: &Bound<'_, Self>,
        f: Py<PyAny>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<()> {
        let py = slf.py();
        let mut w = slf.borrow_mut();
        if w.done {
            let event_loop = w.event_loop.clone_ref(py);
            drop(w);
            let kwargs = PyDict::new(py);
            kwargs.set_item(intern!(py, "context"), context)?;
            event_loop.call_method(py, intern!(py, "call_soon"), (f, slf), Some(&kwargs))?;
        } else {
            w.callbacks.push((f, context));
        }
        Ok(())
    }

    /// Removes every registration of `fn`; returns how many there were.
    fn remove_done_callback(&mut self, py: Python<'_>, f: &Bound<'_, PyAny>) -> PyResult<usize> {
        let before = self.callbacks.len();
        let mut kept = Vec::with_capacity(before);
        for (g, context) in std::mem::take(&mut self.callbacks) {
            if !g.bind(py).eq(f)? {
                kept.push((g, context));
            }
        }
        self.callbacks = kept;
        Ok(before - self.callbacks.len())
    }

    /// Done: the waiting task resumes on the loop's next iteration, or, with `now`, within
    /// this call (only where no task is running: a protocol callback).
    #[pyo3(signature = (now = false))]
    fn wake(slf: &Bound<'_, Self>, now: bool) -> PyResult<()> {
        if slf.borrow().done {
            return Ok(());
        }
        Waiter::finish(slf, now)
    }

    /// Cancels it (the waiting task gets CancelledError on the loop's next iteration);
    /// False if it was already done.
    #[pyo3(signature = (msg = None))]
    fn cancel(slf: &Bound<'_, Self>, msg: Option<&Bound<'_, PyAny>>) -> PyResult<bool> {
        let _ = msg;
        {
            let mut w = slf.borrow_mut();
            if w.done {
                return Ok(false);
            }
            w.cancelled = true;
        }
        Waiter::finish(slf, false)?;
        Ok(true)
    }

    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    /// Yields itself once while not done (the Task then waits for it), then returns.
    fn __next__(slf: &Bound<'_, Self>) -> PyResult<Option<Py<PyAny>>> {
        let mut w = slf.borrow_mut();
        if !w.done {
            w.blocking = true;
            return Ok(Some(slf.clone().into_any().unbind()));
        }
        w.check_result(slf.py())?;
        Ok(None)
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        visit.call(&self.event_loop)?;
        for (f, context) in &self.callbacks {
            visit.call(f)?;
            if let Some(c) = context {
                visit.call(c)?;
            }
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.callbacks.clear();
    }
}
