//! Options: the JS option object as the core's `Config`.

use super::*;

pub(crate) fn get_f64(env: &Env, o: &Object, name: &str) -> Result<Option<f64>> {
    match o.get::<Unknown>(name)? {
        None => Ok(None),
        Some(v) => match v.get_type()? {
            ValueType::Undefined => Ok(None),
            ValueType::Number => Ok(Some(unsafe { v.cast::<f64>()? })),
            _ => Err(invalid_input(
                env,
                &format!("option {name} must be a number"),
            )),
        },
    }
}

pub(crate) fn get_size(env: &Env, o: &Object, name: &str) -> Result<Option<usize>> {
    match get_f64(env, o, name)? {
        None => Ok(None),
        Some(n)
            if n.is_finite() && n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 =>
        {
            Ok(Some(n as usize))
        }
        Some(_) => Err(invalid_input(
            env,
            &format!("option {name} must be a non-negative integer"),
        )),
    }
}

/// A timer: `undefined` keeps the default, a negative number (JS `null`) disables it.
pub(crate) fn get_timer(env: &Env, o: &Object, name: &str, slot: &mut Option<u64>) -> Result<()> {
    match get_f64(env, o, name)? {
        None => {}
        Some(n) if n < 0.0 => *slot = None,
        Some(n) if n.is_finite() => *slot = Some(n as u64),
        Some(_) => {
            return Err(invalid_input(
                env,
                &format!("option {name} must be a finite number or null"),
            ))
        }
    }
    Ok(())
}

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

pub(crate) fn config_from(env: &Env, o: Option<Object>) -> Result<Config> {
    let mut c = Config::default();
    let Some(o) = o else { return Ok(c) };
    macro_rules! size {
        ($js:literal, $field:ident) => {
            if let Some(v) = get_size(env, &o, $js)? {
                c.$field = v;
            }
        };
    }
    macro_rules! flag {
        ($js:literal, $field:ident) => {
            if let Some(v) = get_bool(env, &o, $js)? {
                c.$field = v;
            }
        };
    }
    size!("maxFrameSize", max_frame_size);
    size!("maxMessageSize", max_message_size);
    size!("maxFragments", max_fragments);
    size!("maxOutputBuffer", max_output_buffer);
    size!("highWaterMark", high_water_mark);
    size!("lowWaterMark", low_water_mark);
    size!("maxHeaderBytes", max_header_bytes);
    size!("maxHeaders", max_headers);
    size!("maxRejectBody", max_reject_body);
    // `maxOutgoingFrameSize`: a number, or 0 / absent for "one frame per message" (JS null → -1).
    match get_f64(env, &o, "maxOutgoingFrameSize")? {
        None => {}
        Some(n) if n < 0.0 => c.max_outgoing_frame_size = None,
        Some(_) => c.max_outgoing_frame_size = get_size(env, &o, "maxOutgoingFrameSize")?,
    }
    match get_string(env, &o, "delivery")?.as_deref() {
        None | Some("messages") => {}
        Some("frames") => c.delivery = Delivery::Frames,
        Some("chunks") => {
            let n = get_size(env, &o, "deliveryChunkSize")?
                .ok_or_else(|| invalid_input(env, "delivery 'chunks' needs a chunk size"))?;
            c.delivery = Delivery::Chunks(n);
        }
        Some(other) => return Err(invalid_input(env, &format!("unknown delivery {other:?}"))),
    }
    flag!("ignoreUtf8Errors", ignore_utf8_errors);
    flag!("surfacePings", surface_pings);
    flag!("surfacePongs", surface_pongs);
    flag!("autoPong", auto_pong);
    get_timer(env, &o, "handshakeTimeout", &mut c.handshake_timeout)?;
    get_timer(env, &o, "pingInterval", &mut c.ping_interval)?;
    get_timer(env, &o, "pongTimeout", &mut c.pong_timeout)?;
    get_timer(env, &o, "idleTimeout", &mut c.idle_timeout)?;
    get_timer(env, &o, "maxLifetime", &mut c.max_lifetime)?;
    get_timer(env, &o, "closeTimeout", &mut c.close_timeout)?;
    if let Some(p) = get_strings(env, &o, "protocols")? {
        c.protocols = p;
    }
    if let Some(p) = get_strings(env, &o, "allowedOrigins")? {
        c.allowed_origins = Some(p);
    }
    deflate_from(env, &o, &mut c)?;
    Ok(c)
}

#[cfg(feature = "deflate")]
pub(crate) fn deflate_from(env: &Env, o: &Object, c: &mut Config) -> Result<()> {
    deflate_opts::apply(env, o, c)
}

#[cfg(not(feature = "deflate"))]
pub(crate) fn deflate_from(env: &Env, o: &Object, _c: &mut Config) -> Result<()> {
    match get_bool(env, o, "deflateEnabled")? {
        Some(true) => Err(throw_raw(
            env,
            "invalid_input",
            "invalid input: permessage-deflate is not compiled into this build of wsengine",
            1006,
        )),
        _ => Ok(()),
    }
}
