// permessage-deflate options (feature "deflate"); included from config.rs.

/// permessage-deflate (RFC 7692) options: the core's `DeflateConfig`, same names and
/// defaults, through the core's schema (`wsengine::config::DEFLATE_OPTIONS`). Put one in
/// `Config.deflate` to offer (client) or accept (server) compression.
#[cfg(feature = "deflate")]
#[pyclass(module = "wsengine")]
#[derive(Clone)]
pub struct DeflateConfig {
    inner: wsengine::deflate::DeflateConfig,
}

#[cfg(feature = "deflate")]
impl DeflateConfig {
    fn as_table(&self) -> OptionValue {
        let d = &self.inner;
        let entries = wsengine::config::DEFLATE_OPTIONS.iter();
        OptionValue::Table(entries.filter_map(|s| Some((s.name.to_owned(), d.get(s.name)?))).collect())
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
                d.__setattr__(&k, &v)?;
            }
        }
        Ok(d)
    }

    fn __setattr__(&mut self, name: &str, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let value = option_value(value)?;
        self.inner.set(name, value).map_err(|e| option_error("DeflateConfig", e))
    }

    /// An option's value, as the core's schema names it.
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        match self.inner.get(name) {
            Some(v) => py_value(py, v),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "'DeflateConfig' object has no attribute {name:?}"
            ))),
        }
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut parts = Vec::new();
        for spec in wsengine::config::DEFLATE_OPTIONS {
            parts.push(format!("{}={}", spec.name, slf.getattr(spec.name)?.repr()?));
        }
        Ok(format!("DeflateConfig({})", parts.join(", ")))
    }

    /// The options: `(name, kind)` pairs from the core's schema (see `Config.OPTIONS`).
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONS() -> Vec<(&'static str, &'static str)> {
        wsengine::config::DEFLATE_OPTIONS.iter().map(|s| (s.name, kind_name(s.kind))).collect()
    }
}
