//! permessage-deflate options (`wsengine::deflate::DeflateConfig`, camelCased with a
//! `deflate` prefix by `index.js`; `-1` stands for JS `null`).

use napi::bindgen_prelude::*;
use wsengine::deflate::DeflateConfig;
use wsengine::Config;

use super::{get_bool, get_f64, get_size, invalid_input};

fn opt_u32(env: &Env, o: &Object, name: &str) -> Result<Option<Option<u32>>> {
    match get_f64(env, o, name)? {
        None => Ok(None),
        Some(n) if n < 0.0 => Ok(Some(None)),
        Some(n) if n.fract() == 0.0 && n <= u32::MAX as f64 => Ok(Some(Some(n as u32))),
        Some(_) => Err(invalid_input(
            env,
            &format!("option {name} must be an integer or null"),
        )),
    }
}

pub(super) fn apply(env: &Env, o: &Object, c: &mut Config) -> Result<()> {
    if get_bool(env, o, "deflateEnabled")? != Some(true) {
        return Ok(());
    }
    let mut d = DeflateConfig::default();
    if let Some(v) = get_bool(env, o, "deflateClientNoContextTakeover")? {
        d.client_no_context_takeover = v;
    }
    if let Some(v) = get_bool(env, o, "deflateServerNoContextTakeover")? {
        d.server_no_context_takeover = v;
    }
    if let Some(v) = opt_u32(env, o, "deflateClientMaxWindowBits")? {
        d.client_max_window_bits = v.map(|b| b.min(255) as u8);
    }
    if let Some(v) = opt_u32(env, o, "deflateServerMaxWindowBits")? {
        d.server_max_window_bits = v.map(|b| b.min(255) as u8);
    }
    if let Some(Some(v)) = opt_u32(env, o, "deflateCompressionLevel")? {
        d.compression_level = v;
    }
    if let Some(v) = get_size(env, o, "deflateThreshold")? {
        d.threshold = v;
    }
    if let Some(v) = opt_u32(env, o, "deflateMaxRatio")? {
        d.max_ratio = v;
    }
    c.deflate = Some(d);
    Ok(())
}
