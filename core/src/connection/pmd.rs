//! permessage-deflate as the connection uses it: the glue between the negotiated
//! parameters ([`crate::deflate`]) and the receive/send paths.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use crate::config::{Config, Role};
use crate::deflate::{self, Compressor, Decompressor, DeflateConfig, DeflateParams};
use crate::error::Error;

/// The compression state of an open connection.
pub(super) struct Pmd {
    compressor: Compressor,
    decompressor: Decompressor,
    threshold: usize,
}

/// A server's accepted offer, waiting for the application's `accept`.
pub(super) struct Negotiated {
    pub(super) params: DeflateParams,
    pub(super) response: String,
}

impl Negotiated {
    pub(super) fn into_pmd(self, role: Role, config: &Config) -> Pmd {
        Pmd::new(
            self.params,
            role,
            config.deflate.as_ref().cloned().unwrap_or_default(),
        )
    }
}

impl Pmd {
    fn new(params: DeflateParams, role: Role, cfg: DeflateConfig) -> Pmd {
        Pmd {
            compressor: Compressor::new(&params, role, cfg.compression_level),
            decompressor: Decompressor::new(&params, role, cfg.max_ratio),
            threshold: cfg.threshold,
        }
    }

    pub(super) fn should_compress(&self, len: usize) -> bool {
        len >= self.threshold
    }

    pub(super) fn deflate(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
        self.compressor
            .compress(payload, out)
            .map_err(|e| Error::Compression(e.to_string()))
    }

    pub(super) fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        budget: usize,
    ) -> Result<(), Error> {
        self.decompressor
            .decompress(input, out, budget)
            .map_err(map_codec_error)
    }

    pub(super) fn finish_message(&mut self, out: &mut Vec<u8>, budget: usize) -> Result<(), Error> {
        self.decompressor
            .finish_message(out, budget)
            .map_err(map_codec_error)
    }
}

fn map_codec_error(e: deflate::CodecError) -> Error {
    use deflate::CodecError;
    match e {
        CodecError::TooLarge | CodecError::RatioExceeded => Error::MessageTooLarge,
        CodecError::Corrupt => Error::InvalidCompressedData,
        CodecError::Compress => Error::Internal(e.to_string()),
    }
}

/// Server: picks the first acceptable offer; a malformed header is an error (answer 400).
pub(super) fn server_negotiate(
    config: &Config,
    offers: &[String],
) -> Result<Option<Negotiated>, Error> {
    let Some(cfg) = config.deflate.as_ref() else {
        return Ok(None);
    };
    let values: Vec<&str> = offers.iter().map(String::as_str).collect();
    match deflate::server_negotiate(cfg, &values) {
        Ok(Some((params, response))) => Ok(Some(Negotiated { params, response })),
        Ok(None) => Ok(None),
        Err(e) => Err(Error::Handshake(e.to_string())),
    }
}

/// Client: the `Sec-WebSocket-Extensions` offer, if compression is configured.
pub(super) fn client_offer(config: &Config) -> Option<String> {
    config.deflate.as_ref().map(deflate::client_offer)
}

/// Client: validates the server's selection (RFC 7692 §7.1) and sets up the codec.
pub(super) fn client_accept(config: &Config, values: &[String]) -> Result<Option<Pmd>, Error> {
    let values: Vec<&str> = values.iter().map(String::as_str).collect();
    if values.iter().all(|v| v.trim().is_empty()) {
        return Ok(None);
    }
    let Some(cfg) = config.deflate.as_ref() else {
        return Err(Error::Handshake(
            "the server selected an extension we did not offer".into(),
        ));
    };
    match deflate::client_accept(cfg, &values) {
        Ok(Some(params)) => Ok(Some(Pmd::new(params, Role::Client, cfg.clone()))),
        Ok(None) => Ok(None),
        Err(e) => Err(Error::Handshake(e.to_string())),
    }
}

/// Post-handshake mode: sets up the codec from an already negotiated header value.
pub(super) fn from_negotiated(
    role: Role,
    config: &Config,
    value: &str,
) -> Result<Option<Pmd>, Error> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    let cfg = config.deflate.clone().unwrap_or_default();
    match deflate::agreed_params(&[value], role, &cfg.parse_limits) {
        Ok(Some(params)) => Ok(Some(Pmd::new(params, role, cfg))),
        Ok(None) => Ok(None),
        Err(e) => Err(Error::InvalidInput(e.to_string())),
    }
}
