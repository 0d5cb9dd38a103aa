//! Options: the JS option object as the core's `Config`.

use super::*;

pub(crate) fn get_bool(env: &Env, o: &Object, name: &str) -> Result<Option<bool>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined => Ok(None),
            ValueType::Boolean => Ok(Some(unsafe { v.cast::<bool>()? })),
            _ => Err(invalid_input(
                env,
                &format!("option {name} must be a boolean"),
            )),
        },
    }
}

pub(crate) fn get_string(env: &Env, o: &Object, name: &str) -> Result<Option<String>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            ValueType::String => Ok(Some(unsafe { v.cast::<String>()? })),
            _ => Err(invalid_input(
                env,
                &format!("option {name} must be a string"),
            )),
        },
    }
}

pub(crate) fn get_strings(env: &Env, o: &Object, name: &str) -> Result<Option<Vec<String>>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined | ValueType::Null => Ok(None),
            _ => match unsafe { v.cast::<Vec<String>>() } {
                Ok(list) => Ok(Some(list)),
                Err(_) => Err(invalid_input(
                    env,
                    &format!("option {name} must be an array of strings"),
                )),
            },
        },
    }
}

pub(crate) fn headers_from_flat(env: &Env, flat: Vec<String>) -> Result<Vec<Header>> {
    if flat.len() % 2 != 0 {
        return Err(invalid_input(env, "headers must be name/value pairs"));
    }
    let mut it = flat.into_iter();
    let mut out = Vec::new();
    while let (Some(n), Some(v)) = (it.next(), it.next()) {
        out.push(Header::new(n, v));
    }
    Ok(out)
}

/// The JS option object as the core's `Config`: every option of the core's schema
/// (`wsengine::config::CONFIG_OPTIONS`), camelCased; the core checks each value.
pub(crate) fn config_from(env: &Env, o: Option<Object>) -> Result<Config> {
    let mut c = Config::default();
    let Some(o) = o else { return Ok(c) };
    for spec in CONFIG_OPTIONS {
        let name = spec.camel_name();
        let Some(v) = o.get::<Unknown>(&name)? else {
            continue;
        };
        if let Some(value) = option_value(env, &name, v)? {
            c.set(spec.name, value)
                .map_err(|e| invalid_input(env, &e.message(camel_case)))?;
        }
    }
    Ok(c)
}

/// A JS value as the core's `OptionValue`, whatever option it is for (`undefined`: none).
/// Objects become tables with snake_case keys (`{ serverMaxWindowBits: 10 }`).
fn option_value(env: &Env, name: &str, v: Unknown) -> Result<Option<OptionValue>> {
    Ok(Some(match v.get_type()? {
        ValueType::Undefined => return Ok(None),
        ValueType::Null => OptionValue::Null,
        ValueType::Boolean => OptionValue::Bool(unsafe { v.cast::<bool>()? }),
        ValueType::Number => OptionValue::Number(unsafe { v.cast::<f64>()? }),
        ValueType::String => OptionValue::Str(unsafe { v.cast::<String>()? }),
        ValueType::Object if v.is_array()? => match unsafe { v.cast::<Vec<String>>() } {
            Ok(list) => OptionValue::Strings(list),
            Err(_) => {
                let why = format!("option {name} must be an array of strings");
                return Err(invalid_input(env, &why));
            }
        },
        ValueType::Object => {
            let o: Object = unsafe { v.cast()? };
            let mut table = Vec::new();
            for key in Object::keys(&o)? {
                let inner = o.get::<Unknown>(&key)?.expect("an own key");
                if let Some(value) = option_value(env, &format!("{name}.{key}"), inner)? {
                    table.push((snake_case(&key), value));
                }
            }
            OptionValue::Table(table)
        }
        _ => {
            return Err(invalid_input(
                env,
                &format!("option {name} has an unsupported type"),
            ))
        }
    }))
}
