//! Configuration: the core's `Config` as a Python class.

use super::*;

/// Connection options; every field of the core's `Config`, same names and defaults.
#[pyclass(module = "wsengine")]
#[derive(Clone)]
pub struct Config {
    pub(crate) inner: wsengine::Config,
}

impl Config {
    fn set_field(&mut self, name: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
        #[cfg(not(feature = "deflate"))]
        let py = v.py();
        let c = &mut self.inner;
        match name {
            "max_frame_size" => c.max_frame_size = v.extract()?,
            "max_message_size" => c.max_message_size = v.extract()?,
            "max_fragments" => c.max_fragments = v.extract()?,
            "max_output_buffer" => c.max_output_buffer = v.extract()?,
            "high_water_mark" => c.high_water_mark = v.extract()?,
            "low_water_mark" => c.low_water_mark = v.extract()?,
            "max_outgoing_frame_size" => c.max_outgoing_frame_size = v.extract()?,
            "max_header_bytes" => c.max_header_bytes = v.extract()?,
            "max_headers" => c.max_headers = v.extract()?,
            "max_reject_body" => c.max_reject_body = v.extract()?,
            "delivery" => c.delivery = delivery_from_py(v)?,
            "ignore_utf8_errors" => c.ignore_utf8_errors = v.extract()?,
            "surface_pings" => c.surface_pings = v.extract()?,
            "surface_pongs" => c.surface_pongs = v.extract()?,
            "auto_pong" => c.auto_pong = v.extract()?,
            "handshake_timeout" => c.handshake_timeout = v.extract()?,
            "ping_interval" => c.ping_interval = v.extract()?,
            "pong_timeout" => c.pong_timeout = v.extract()?,
            "idle_timeout" => c.idle_timeout = v.extract()?,
            "max_lifetime" => c.max_lifetime = v.extract()?,
            "close_timeout" => c.close_timeout = v.extract()?,
            "protocols" => c.protocols = str_list(v)?,
            "allowed_origins" => {
                c.allowed_origins = if v.is_none() {
                    None
                } else {
                    Some(str_list(v)?)
                }
            }
            #[cfg(feature = "deflate")]
            "deflate" => c.deflate = deflate_from_py(v)?,
            #[cfg(not(feature = "deflate"))]
            "deflate" => {
                if !v.is_none() && !matches!(v.extract::<bool>(), Ok(false)) {
                    return Err(app_error(
                        py,
                        "invalid_input",
                        "permessage-deflate is not available in this build of wsengine".into(),
                    ));
                }
            }
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "unknown Config option {name:?}"
                )))
            }
        }
        Ok(())
    }

    pub(crate) fn with_kwargs(
        base: Option<&Config>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Config> {
        let mut c = base.cloned().unwrap_or_else(|| Config {
            inner: wsengine::Config::default(),
        });
        if let Some(kw) = kwargs {
            for (k, v) in kw.iter() {
                let k: String = k.extract()?;
                c.set_field(&k, &v)?;
            }
        }
        Ok(c)
    }
}

pub(crate) fn str_list(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if v.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "expected a list of strings, not a string",
        ));
    }
    let mut out = Vec::new();
    for item in v.try_iter()? {
        out.push(item?.extract::<String>()?);
    }
    Ok(out)
}

pub(crate) fn delivery_from_py(v: &Bound<'_, PyAny>) -> PyResult<Delivery> {
    if let Ok(s) = v.extract::<String>() {
        return match s.as_str() {
            "messages" => Ok(Delivery::Messages),
            "frames" => Ok(Delivery::Frames),
            _ => Err(PyValueError::new_err(
                "delivery must be \"messages\", \"frames\" or a chunk size (int)",
            )),
        };
    }
    if v.is_instance_of::<pyo3::types::PyBool>() {
        return Err(PyTypeError::new_err(
            "delivery must be \"messages\", \"frames\" or a chunk size (int)",
        ));
    }
    match v.extract::<usize>() {
        Ok(n) => Ok(Delivery::Chunks(n)),
        Err(_) => Err(PyTypeError::new_err(
            "delivery must be \"messages\", \"frames\" or a chunk size (int)",
        )),
    }
}

pub(crate) fn delivery_to_py<'py>(py: Python<'py>, d: Delivery) -> PyResult<Bound<'py, PyAny>> {
    Ok(match d {
        Delivery::Messages => intern!(py, "messages").clone().into_any(),
        Delivery::Frames => intern!(py, "frames").clone().into_any(),
        Delivery::Chunks(n) => n.into_pyobject(py)?.into_any(),
    })
}

#[pymethods]
impl Config {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn py_new(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Config::with_kwargs(None, kwargs)
    }

    /// A copy with some options changed.
    #[pyo3(signature = (**kwargs))]
    fn replace(&self, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        Config::with_kwargs(Some(self), kwargs)
    }

    /// Checks that the values are consistent; raises ApplicationError if not.
    fn validate(&self, py: Python<'_>) -> PyResult<()> {
        self.inner.validate().map_err(|e| make_error(py, &e))
    }

    fn __setattr__(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_field(name, value)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut parts = Vec::new();
        for name in CONFIG_FIELDS {
            parts.push(format!("{}={}", name, slf.getattr(*name)?.repr()?));
        }
        Ok(format!("Config({})", parts.join(", ")))
    }

    #[getter]
    fn max_frame_size(&self) -> usize {
        self.inner.max_frame_size
    }
    #[getter]
    fn max_message_size(&self) -> usize {
        self.inner.max_message_size
    }
    #[getter]
    fn max_fragments(&self) -> usize {
        self.inner.max_fragments
    }
    #[getter]
    fn max_output_buffer(&self) -> usize {
        self.inner.max_output_buffer
    }
    #[getter]
    fn high_water_mark(&self) -> usize {
        self.inner.high_water_mark
    }
    #[getter]
    fn low_water_mark(&self) -> usize {
        self.inner.low_water_mark
    }
    #[getter]
    fn max_outgoing_frame_size(&self) -> Option<usize> {
        self.inner.max_outgoing_frame_size
    }
    #[getter]
    fn max_header_bytes(&self) -> usize {
        self.inner.max_header_bytes
    }
    #[getter]
    fn max_headers(&self) -> usize {
        self.inner.max_headers
    }
    #[getter]
    fn max_reject_body(&self) -> usize {
        self.inner.max_reject_body
    }
    #[getter]
    fn delivery<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        delivery_to_py(py, self.inner.delivery)
    }
    #[getter]
    fn ignore_utf8_errors(&self) -> bool {
        self.inner.ignore_utf8_errors
    }
    #[getter]
    fn surface_pings(&self) -> bool {
        self.inner.surface_pings
    }
    #[getter]
    fn surface_pongs(&self) -> bool {
        self.inner.surface_pongs
    }
    #[getter]
    fn auto_pong(&self) -> bool {
        self.inner.auto_pong
    }
    #[getter]
    fn handshake_timeout(&self) -> Option<u64> {
        self.inner.handshake_timeout
    }
    #[getter]
    fn ping_interval(&self) -> Option<u64> {
        self.inner.ping_interval
    }
    #[getter]
    fn pong_timeout(&self) -> Option<u64> {
        self.inner.pong_timeout
    }
    #[getter]
    fn idle_timeout(&self) -> Option<u64> {
        self.inner.idle_timeout
    }
    #[getter]
    fn max_lifetime(&self) -> Option<u64> {
        self.inner.max_lifetime
    }
    #[getter]
    fn close_timeout(&self) -> Option<u64> {
        self.inner.close_timeout
    }
    #[getter]
    fn protocols(&self) -> Vec<String> {
        self.inner.protocols.clone()
    }
    #[getter]
    fn allowed_origins(&self) -> Option<Vec<String>> {
        self.inner.allowed_origins.clone()
    }
    #[cfg(feature = "deflate")]
    #[getter]
    fn deflate(&self) -> Option<DeflateConfig> {
        self.inner
            .deflate
            .clone()
            .map(|inner| DeflateConfig { inner })
    }
    #[cfg(not(feature = "deflate"))]
    #[getter]
    fn deflate(&self) -> Option<bool> {
        None
    }
}

pub(crate) const CONFIG_FIELDS: &[&str] = &[
    "max_frame_size",
    "max_message_size",
    "max_fragments",
    "max_output_buffer",
    "high_water_mark",
    "low_water_mark",
    "max_outgoing_frame_size",
    "max_header_bytes",
    "max_headers",
    "max_reject_body",
    "delivery",
    "ignore_utf8_errors",
    "surface_pings",
    "surface_pongs",
    "auto_pong",
    "handshake_timeout",
    "ping_interval",
    "pong_timeout",
    "idle_timeout",
    "max_lifetime",
    "close_timeout",
    "protocols",
    "allowed_origins",
    "deflate",
];

include!("deflate.rs");
