// permessage-deflate options (feature "deflate"); included from lib.rs.

/// permessage-deflate (RFC 7692) options: the core's `DeflateConfig`, same names and
/// defaults. Put one in `Config.deflate` to offer (client) or accept (server) compression.
#[cfg(feature = "deflate")]
#[pyclass(module = "wsengine")]
#[derive(Clone)]
pub struct DeflateConfig {
    inner: wsengine::deflate::DeflateConfig,
}

#[cfg(feature = "deflate")]
const DEFLATE_FIELDS: &[&str] = &[
    "client_no_context_takeover",
    "server_no_context_takeover",
    "client_max_window_bits",
    "server_max_window_bits",
    "compression_level",
    "threshold",
    "max_ratio",
];

#[cfg(feature = "deflate")]
impl DeflateConfig {
    fn set_field(&mut self, name: &str, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let d = &mut self.inner;
        match name {
            "client_no_context_takeover" => d.client_no_context_takeover = v.extract()?,
            "server_no_context_takeover" => d.server_no_context_takeover = v.extract()?,
            "client_max_window_bits" => d.client_max_window_bits = v.extract()?,
            "server_max_window_bits" => d.server_max_window_bits = v.extract()?,
            "compression_level" => d.compression_level = v.extract()?,
            "threshold" => d.threshold = v.extract()?,
            "max_ratio" => d.max_ratio = v.extract()?,
            _ => return Err(PyTypeError::new_err(format!("unknown DeflateConfig option {name:?}"))),
        }
        Ok(())
    }
}

#[cfg(feature = "deflate")]
#[pymethods]
impl DeflateConfig {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn py_new(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut d = DeflateConfig { inner: wsengine::deflate::DeflateConfig::default() };
        if let Some(kw) = kwargs {
            for (k, v) in kw.iter() {
                let k: String = k.extract()?;
                d.set_field(&k, &v)?;
            }
        }
        Ok(d)
    }

    fn __setattr__(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        self.set_field(name, value)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut parts = Vec::new();
        for name in DEFLATE_FIELDS {
            parts.push(format!("{}={}", name, slf.getattr(*name)?.repr()?));
        }
        Ok(format!("DeflateConfig({})", parts.join(", ")))
    }

    #[getter]
    fn client_no_context_takeover(&self) -> bool {
        self.inner.client_no_context_takeover
    }
    #[getter]
    fn server_no_context_takeover(&self) -> bool {
        self.inner.server_no_context_takeover
    }
    #[getter]
    fn client_max_window_bits(&self) -> Option<u8> {
        self.inner.client_max_window_bits
    }
    #[getter]
    fn server_max_window_bits(&self) -> Option<u8> {
        self.inner.server_max_window_bits
    }
    #[getter]
    fn compression_level(&self) -> u32 {
        self.inner.compression_level
    }
    #[getter]
    fn threshold(&self) -> usize {
        self.inner.threshold
    }
    #[getter]
    fn max_ratio(&self) -> Option<u32> {
        self.inner.max_ratio
    }
}

/// `Config.deflate = None | True | False | DeflateConfig(...)` (True = the defaults).
#[cfg(feature = "deflate")]
fn deflate_from_py(v: &Bound<'_, PyAny>) -> PyResult<Option<wsengine::deflate::DeflateConfig>> {
    if v.is_none() {
        return Ok(None);
    }
    if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        return Ok(b.is_true().then(wsengine::deflate::DeflateConfig::default));
    }
    match v.cast::<DeflateConfig>() {
        Ok(d) => Ok(Some(d.borrow().inner.clone())),
        Err(_) => Err(PyTypeError::new_err("deflate must be None, a bool or a DeflateConfig")),
    }
}
