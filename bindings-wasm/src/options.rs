//! Options: the JS option object as the core's `Config`, through the core's configuration
//! schema (`wsengine::config::CONFIG_OPTIONS`); the same reading as the Node binding's.

use wasm_bindgen::prelude::*;
use wsengine::config::{camel_case, snake_case, OptionValue, CONFIG_OPTIONS};
use wsengine::{Config, Header};

use crate::invalid_input;

/// The option names of the core's schema, camelCased (the JS layer's list of known keys).
#[wasm_bindgen(js_name = configOptions)]
pub fn config_options() -> Vec<String> {
    CONFIG_OPTIONS.iter().map(|s| s.camel_name()).collect()
}

/// Every option of the core's schema found in `o`, camelCased; the core checks each value.
pub(crate) fn config_from(o: &JsValue) -> Result<Config, JsValue> {
    let mut c = Config::default();
    if o.is_undefined() || o.is_null() {
        return Ok(c);
    }
    for spec in CONFIG_OPTIONS {
        let name = spec.camel_name();
        let v = js_sys::Reflect::get(o, &name.as_str().into()).unwrap_or(JsValue::UNDEFINED);
        if let Some(value) = option_value(&name, &v)? {
            c.set(spec.name, value)
                .map_err(|e| invalid_input(&e.message(camel_case)))?;
        }
    }
    Ok(c)
}

/// A JS value as the core's `OptionValue`, whatever option it is for (`undefined`: none).
/// Objects become tables with snake_case keys (`{ serverMaxWindowBits: 10 }`).
fn option_value(name: &str, v: &JsValue) -> Result<Option<OptionValue>, JsValue> {
    Ok(Some(if v.is_undefined() {
        return Ok(None);
    } else if v.is_null() {
        OptionValue::Null
    } else if let Some(b) = v.as_bool() {
        OptionValue::Bool(b)
    } else if let Some(n) = v.as_f64() {
        OptionValue::Number(n)
    } else if let Some(s) = v.as_string() {
        OptionValue::Str(s)
    } else if js_sys::Array::is_array(v) {
        let bad = || invalid_input(&format!("option {name} must be an array of strings"));
        let list = js_sys::Array::from(v)
            .iter()
            .map(|x| x.as_string().ok_or_else(bad))
            .collect::<Result<Vec<_>, _>>()?;
        OptionValue::Strings(list)
    } else if v.is_object() {
        let mut table = Vec::new();
        for entry in js_sys::Object::entries(v.unchecked_ref()).iter() {
            let pair = js_sys::Array::from(&entry);
            let key = pair.get(0).as_string().unwrap_or_default();
            if let Some(value) = option_value(&format!("{name}.{key}"), &pair.get(1))? {
                table.push((snake_case(&key), value));
            }
        }
        OptionValue::Table(table)
    } else {
        return Err(invalid_input(&format!("option {name} has an unsupported type")));
    }))
}

fn get(o: &JsValue, name: &str) -> Option<JsValue> {
    let v = js_sys::Reflect::get(o, &name.into()).ok()?;
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

pub(crate) fn get_bool(o: &JsValue, name: &str) -> Result<Option<bool>, JsValue> {
    match get(o, name) {
        None => Ok(None),
        Some(v) => v
            .as_bool()
            .map(Some)
            .ok_or_else(|| invalid_input(&format!("option {name} must be a boolean"))),
    }
}

pub(crate) fn get_string(o: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    match get(o, name) {
        None => Ok(None),
        Some(v) => v
            .as_string()
            .map(Some)
            .ok_or_else(|| invalid_input(&format!("option {name} must be a string"))),
    }
}

pub(crate) fn get_strings(o: &JsValue, name: &str) -> Result<Option<Vec<String>>, JsValue> {
    let Some(v) = get(o, name) else {
        return Ok(None);
    };
    let bad = || invalid_input(&format!("option {name} must be an array of strings"));
    if !js_sys::Array::is_array(&v) {
        return Err(bad());
    }
    js_sys::Array::from(&v)
        .iter()
        .map(|x| x.as_string().ok_or_else(bad))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

pub(crate) fn headers_from_flat(flat: Vec<String>) -> Result<Vec<Header>, JsValue> {
    if flat.len() % 2 != 0 {
        return Err(invalid_input("headers must be name/value pairs"));
    }
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(n), Some(v)) = (it.next(), it.next()) {
        out.push(Header::new(n, v));
    }
    Ok(out)
}
