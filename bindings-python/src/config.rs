//! Configuration: the core's `Config` as a Python class, read and written by name through the
//! core's configuration schema (`wsengine::config::CONFIG_OPTIONS`): the names, kinds and
//! defaults are the core's, and the core checks every value.

use super::*;
use wsengine::config::{OptionError, OptionKind, OptionValue, CONFIG_OPTIONS};

/// Connection options; every field of the core's `Config`, same names and defaults.
#[pyclass(module = "wsengine")]
#[derive(Clone)]
pub struct Config {
    pub(crate) inner: wsengine::Config,
}

impl Config {
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
                c.inner
                    .set(&k, option_value(&v)?)
                    .map_err(|e| option_error("Config", e))?;
            }
        }
        Ok(c)
    }
}

/// A Python object as the core's `OptionValue`, whatever option it is for.
pub(crate) fn option_value(v: &Bound<'_, PyAny>) -> PyResult<OptionValue> {
    if v.is_none() {
        return Ok(OptionValue::Null);
    }
    if let Ok(b) = v.cast::<pyo3::types::PyBool>() {
        return Ok(OptionValue::Bool(b.is_true()));
    }
    if v.is_instance_of::<pyo3::types::PyInt>() {
        return Ok(match v.extract::<u64>() {
            Ok(n) => OptionValue::Int(n),
            // Negative or beyond 2^64: out of range for every option.
            Err(_) => OptionValue::Number(v.extract::<f64>().unwrap_or(f64::NEG_INFINITY)),
        });
    }
    if v.is_instance_of::<pyo3::types::PyFloat>() {
        return Ok(OptionValue::Number(v.extract()?));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(OptionValue::Str(s.extract::<String>()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut table = Vec::new();
        for (k, item) in d.iter() {
            table.push((k.extract::<String>()?, option_value(&item)?));
        }
        return Ok(OptionValue::Table(table));
    }
    #[cfg(feature = "deflate")]
    if let Ok(d) = v.cast::<DeflateConfig>() {
        return Ok(d.borrow().as_table());
    }
    match v.try_iter() {
        Ok(items) if !v.is_instance_of::<PyBytes>() => {
            let mut list = Vec::new();
            for item in items {
                list.push(
                    item?
                        .extract::<String>()
                        .map_err(|_| PyTypeError::new_err("expected a list of strings"))?,
                );
            }
            Ok(OptionValue::Strings(list))
        }
        _ => Err(PyTypeError::new_err(format!(
            "unsupported option value of type {}",
            v.get_type().name()?
        ))),
    }
}

/// The core's `OptionValue` as a Python object.
pub(crate) fn py_value<'py>(py: Python<'py>, v: OptionValue) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        OptionValue::Null => py.None().into_bound(py),
        OptionValue::Bool(b) => pyo3::types::PyBool::new(py, b).to_owned().into_any(),
        OptionValue::Int(n) => n.into_pyobject(py)?.into_any(),
        OptionValue::Number(n) => n.into_pyobject(py)?.into_any(),
        OptionValue::Str(s) => PyString::new(py, &s).into_any(),
        OptionValue::Strings(list) => PyList::new(py, list)?.into_any(),
        OptionValue::Table(entries) => {
            let d = PyDict::new(py);
            for (k, item) in entries {
                d.set_item(k, py_value(py, item)?)?;
            }
            d.into_any()
        }
    })
}

/// The core's refusal as Python's exception: a wrong type or an unknown name is a
/// `TypeError`, a value out of range a `ValueError`.
pub(crate) fn option_error(class: &str, e: OptionError) -> PyErr {
    match &e {
        OptionError::Unknown(name) => {
            PyTypeError::new_err(format!("unknown {class} option {name:?}"))
        }
        OptionError::WrongType { .. } => PyTypeError::new_err(e.to_string()),
        OptionError::OutOfRange { .. } => PyValueError::new_err(e.to_string()),
    }
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
        self.inner
            .set(name, option_value(value)?)
            .map_err(|e| option_error("Config", e))
    }

    /// An option's value (options are not Python attributes of their own: the core's
    /// schema names them).
    fn __getattr__<'py>(&self, py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
        #[cfg(feature = "deflate")]
        if name == "deflate" {
            let d = self
                .inner
                .deflate
                .clone()
                .map(|inner| DeflateConfig { inner });
            return Ok(d.into_pyobject(py)?.into_any());
        }
        match self.inner.get(name) {
            Some(v) => py_value(py, v),
            None => Err(pyo3::exceptions::PyAttributeError::new_err(format!(
                "'Config' object has no attribute {name:?}"
            ))),
        }
    }

    fn __dir__(&self) -> Vec<&'static str> {
        let methods = ["replace", "validate", "OPTIONS"];
        CONFIG_OPTIONS
            .iter()
            .map(|s| s.name)
            .chain(methods)
            .collect()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let mut parts = Vec::new();
        for spec in CONFIG_OPTIONS {
            parts.push(format!("{}={}", spec.name, slf.getattr(spec.name)?.repr()?));
        }
        Ok(format!("Config({})", parts.join(", ")))
    }

    /// The options: `(name, kind)` pairs from the core's schema, in field order (`kind` is
    /// one of "count", "optional_count", "flag", "millis", "strings", "optional_strings",
    /// "delivery", "window_bits", "deflate").
    #[classattr]
    #[allow(non_snake_case)]
    fn OPTIONS() -> Vec<(&'static str, &'static str)> {
        CONFIG_OPTIONS
            .iter()
            .map(|s| (s.name, kind_name(s.kind)))
            .collect()
    }
}

/// An option kind's name in `Config.OPTIONS` / `DeflateConfig.OPTIONS`.
pub(crate) fn kind_name(kind: OptionKind) -> &'static str {
    match kind {
        OptionKind::Count => "count",
        OptionKind::OptionalCount => "optional_count",
        OptionKind::Flag => "flag",
        OptionKind::Millis => "millis",
        OptionKind::Strings => "strings",
        OptionKind::OptionalStrings => "optional_strings",
        OptionKind::Delivery => "delivery",
        OptionKind::WindowBits => "window_bits",
        OptionKind::Deflate => "deflate",
    }
}

include!("deflate.rs");
