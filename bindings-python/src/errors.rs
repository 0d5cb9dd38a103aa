//! Exceptions: the core's errors as Python exceptions.

use super::*;

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

pub(crate) fn make_error(py: Python<'_>, e: &wsengine::Error) -> PyErr {
    let message = e.to_string();
    let err = if e.is_application_error() {
        ApplicationError::new_err(message.clone())
    } else {
        ProtocolError::new_err(message.clone())
    };
    annotate(py, &err, e.kind(), e.close_code(), &message);
    err
}

pub(crate) fn annotate(py: Python<'_>, err: &PyErr, kind: &str, close_code: u16, message: &str) {
    let v = err.value(py);
    // Setting attributes on a fresh exception instance cannot fail in practice; if it
    // does, the exception still carries its message.
    let _ = v.setattr(intern!(py, "kind"), kind);
    let _ = v.setattr(intern!(py, "close_code"), close_code);
    let _ = v.setattr(intern!(py, "message"), message);
}

pub(crate) fn internal_error(py: Python<'_>, payload: Box<dyn std::any::Any + Send>) -> PyErr {
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

pub(crate) fn app_error(py: Python<'_>, kind: &str, message: String) -> PyErr {
    let err = ApplicationError::new_err(message.clone());
    annotate(py, &err, kind, 1006, &message);
    err
}
