//! The configuration schema: every option's name and kind, declared once, so that each
//! binding reads and writes [`Config`] and [`DeflateConfig`] by name instead of keeping its
//! own list of options, types and checks.
//!
//! A binding turns a host value (a JavaScript value, a Python object) into an [`OptionValue`]
//! without knowing which option it is for, then calls [`Config::set`]; the core checks the
//! value against the option's [`OptionKind`] and reports a wrong one as an [`OptionError`].
//! [`Config::get`] gives a value back the same way. Names are the Rust field names
//! (snake_case, what Python uses); [`OptionSpec::camel_name`] spells them for JavaScript.
//!
//! [`DeflateConfig`]: crate::deflate::DeflateConfig

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use super::{Config, Delivery};

/// What values an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    /// A non-negative integer: bytes, a count or a level.
    Count,
    /// A non-negative integer, or null for "none".
    OptionalCount,
    /// `true` or `false`.
    Flag,
    /// Milliseconds of the caller's clock, or null to turn the timer off.
    Millis,
    /// A list of strings.
    Strings,
    /// A list of strings, or null for "no list".
    OptionalStrings,
    /// `"messages"`, `"frames"`, or a chunk size: a number, or a table `{chunks: n}`.
    Delivery,
    /// A deflate window size in bits (8 to 15), or null for "none".
    WindowBits,
    /// permessage-deflate: null or `false` (off), `true` (the defaults), or a table of the
    /// options in [`DEFLATE_OPTIONS`].
    Deflate,
}

impl OptionKind {
    /// What the option expects, for error messages ("option x must be …").
    pub fn expected(self) -> &'static str {
        match self {
            OptionKind::Count => "a non-negative integer",
            OptionKind::OptionalCount => "a non-negative integer or null",
            OptionKind::Flag => "a boolean",
            OptionKind::Millis => "a non-negative number of milliseconds or null",
            OptionKind::Strings => "a list of strings",
            OptionKind::OptionalStrings => "a list of strings or null",
            OptionKind::Delivery => "\"messages\", \"frames\" or a chunk size",
            OptionKind::WindowBits => "an integer from 8 to 15 or null",
            OptionKind::Deflate => "null, a boolean or a table of deflate options",
        }
    }
}

/// One option: its name (the Rust field name) and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionSpec {
    /// The field name, snake_case (`max_frame_size`).
    pub name: &'static str,
    /// What values it takes.
    pub kind: OptionKind,
}

impl OptionSpec {
    /// The name in JavaScript's spelling (`maxFrameSize`).
    pub fn camel_name(&self) -> String {
        camel_case(self.name)
    }
}

/// `snake_case` to `camelCase`.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for ch in name.chars() {
        if ch == '_' {
            upper = true;
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// `camelCase` to `snake_case`: the keys of a table a JavaScript caller wrote.
pub fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for ch in name.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// A value as a host language has it, before it is checked against an option's kind.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// JavaScript `null`, Python `None`: "none" or "off" for the optional kinds.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer (what [`Config::get`] gives for counts and milliseconds).
    Int(u64),
    /// Any other number (JavaScript numbers, negative or fractional values).
    Number(f64),
    /// A string.
    Str(String),
    /// A list of strings.
    Strings(Vec<String>),
    /// Named values (the deflate options, or `{chunks: n}` for delivery).
    Table(Vec<(String, OptionValue)>),
}

/// Why [`Config::set`] refused a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OptionError {
    /// No option has this name.
    Unknown(String),
    /// The value has the wrong type for the option (Python raises `TypeError`).
    WrongType {
        /// The option's name (snake_case).
        name: &'static str,
        /// What the option expects.
        expected: &'static str,
    },
    /// The value has the right type but is out of range (Python raises `ValueError`).
    OutOfRange {
        /// The option's name (snake_case).
        name: &'static str,
        /// What the option expects.
        expected: &'static str,
    },
}

impl OptionError {
    /// The message, naming the option as `spell` writes it (e.g. [`camel_case`] for
    /// JavaScript).
    pub fn message(&self, spell: impl Fn(&str) -> String) -> String {
        match self {
            OptionError::Unknown(name) => alloc::format!("unknown option {}", spell(name)),
            OptionError::WrongType { name, expected }
            | OptionError::OutOfRange { name, expected } => {
                alloc::format!("option {} must be {expected}", spell(name))
            }
        }
    }
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(|n| n.to_string()))
    }
}

/// A value refused by a kind: the wrong type, or out of range.
enum Refusal {
    WrongType,
    OutOfRange,
}

/// How a field's Rust type converts from and to an [`OptionValue`].
trait OptionType: Sized {
    const KIND: OptionKind;
    fn from_value(v: OptionValue) -> Result<Self, Refusal>;
    fn to_value(&self) -> OptionValue;
}

/// A non-negative integer from an integer or an integral number, at most `max`.
fn integer(v: &OptionValue, max: u64) -> Result<u64, Refusal> {
    let n = match *v {
        OptionValue::Int(n) => n,
        // Up to 2^53: beyond it a JavaScript number is no longer an exact integer (NaN and
        // the infinities fail the range check too).
        OptionValue::Number(n) => {
            if !(0.0..=9_007_199_254_740_992.0).contains(&n) || (n as u64) as f64 != n {
                return Err(Refusal::OutOfRange);
            }
            n as u64
        }
        _ => return Err(Refusal::WrongType),
    };
    if n > max {
        return Err(Refusal::OutOfRange);
    }
    Ok(n)
}

impl OptionType for usize {
    const KIND: OptionKind = OptionKind::Count;
    fn from_value(v: OptionValue) -> Result<Self, Refusal> {
        integer(&v, usize::MAX as u64).map(|n| n as usize)
    }
    fn to_value(&self) -> OptionValue {
        OptionValue::Int(*self as u64)
    }
}

impl OptionType for u32 {
    const KIND: OptionKind = OptionKind::Count;
    fn from_value(v: OptionValue) -> Result<Self, Refusal> {
        integer(&v, u64::from(u32::MAX)).map(|n| n as u32)
    }
    fn to_value(&self) -> OptionValue {
        OptionValue::Int(u64::from(*self))
    }
}

/// The optional counts: null is `None`.
macro_rules! optional_count {
    ($t:ty) => {
        impl OptionType for Option<$t> {
            const KIND: OptionKind = OptionKind::OptionalCount;
            fn from_value(v: OptionValue) -> Result<Self, Refusal> {
                match v {
                    OptionValue::Null => Ok(None),
                    v => <$t>::from_value(v).map(Some),
                }
            }
            fn to_value(&self) -> OptionValue {
                self.as_ref().map_or(OptionValue::Null, |n| n.to_value())
            }
        }
    };
}
optional_count!(usize);
optional_count!(u32);

impl OptionType for bool {
    const KIND: OptionKind = OptionKind::Flag;
    fn from_value(v: OptionValue) -> Result<Self, Refusal> {
        match v {
            OptionValue::Bool(b) => Ok(b),
            _ => Err(Refusal::WrongType),
        }
    }
    fn to_value(&self) -> OptionValue {
        OptionValue::Bool(*self)
    }
}

/// Milliseconds: a fractional number is cut to whole milliseconds.
impl OptionType for Option<u64> {
    const KIND: OptionKind = OptionKind::Millis;
    fn from_value(v: OptionValue) -> Result<Self, Refusal> {
        match v {
            OptionValue::Null => Ok(None),
            OptionValue::Int(n) => Ok(Some(n)),
            OptionValue::Number(n) if (0.0..=1.8e19).contains(&n) => Ok(Some(n as u64)),
            OptionValue::Number(_) => Err(Refusal::OutOfRange),
            _ => Err(Refusal::WrongType),
        }
    }
    fn to_value(&self) -> OptionValue {
        self.map_or(OptionValue::Null, OptionValue::Int)
    }
}

impl OptionType for Vec<String> {
    const KIND: OptionKind = OptionKind::Strings;
    fn from_value(v: OptionValue) -> Result<Self, Refusal> {
        match v {
            OptionValue::Strings(list) => Ok(list),
            _ => Err(Refusal::WrongType),
        }
    }
    fn to_value(&self) -> OptionValue {
        OptionValue::Strings(self.clone())
    }
}

impl OptionType for Option<Vec<String>> {
    const KIND: OptionKind = OptionKind::OptionalStrings;
    fn from_value(v: OptionValue) -> Result<Self, Refusal> {
        match v {
            OptionValue::Null => Ok(None),
            v => Vec::from_value(v).map(Some),
        }
    }
    fn to_value(&self) -> OptionValue {
        self.as_ref().map_or(OptionValue::Null, |l| l.to_value())
    }
}

impl OptionType for Delivery {
    const KIND: OptionKind = OptionKind::Delivery;
    fn from_value(v: OptionValue) -> Result<Self, Refusal> {
        match v {
            OptionValue::Str(s) => match s.as_str() {
                "messages" => Ok(Delivery::Messages),
                "frames" => Ok(Delivery::Frames),
                _ => Err(Refusal::OutOfRange),
            },
            OptionValue::Table(entries) => match entries.as_slice() {
                [(key, n)] if key == "chunks" => usize::from_value(n.clone()).map(Delivery::Chunks),
                _ => Err(Refusal::OutOfRange),
            },
            v => usize::from_value(v).map(Delivery::Chunks),
        }
    }
    fn to_value(&self) -> OptionValue {
        match self {
            Delivery::Messages => OptionValue::Str("messages".to_string()),
            Delivery::Frames => OptionValue::Str("frames".to_string()),
            Delivery::Chunks(n) => n.to_value(),
        }
    }
}

/// Declares a table of options over a struct's fields: the `OPTIONS` slice and the
/// by-name `set` / `get` that convert through [`OptionType`]. A field listed with the wrong
/// type does not compile.
macro_rules! option_table {
    (
        $(#[$meta:meta])* $table:ident for $target:ty {
            $( $(#[$cfg:meta])* $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        pub const $table: &[OptionSpec] = &[
            $( $(#[$cfg])* OptionSpec { name: stringify!($field), kind: <$ty as OptionType>::KIND }, )*
        ];

        impl $target {
            fn set_field(&mut self, name: &str, value: OptionValue) -> Result<(), OptionError> {
                $( $(#[$cfg])* {
                    if name == stringify!($field) {
                        self.$field = <$ty as OptionType>::from_value(value).map_err(|r| {
                            refused(stringify!($field), <$ty as OptionType>::KIND, r)
                        })?;
                        return Ok(());
                    }
                } )*
                Err(OptionError::Unknown(name.to_string()))
            }

            fn get_field(&self, name: &str) -> Option<OptionValue> {
                $( $(#[$cfg])* {
                    if name == stringify!($field) {
                        return Some(<$ty as OptionType>::to_value(&self.$field));
                    }
                } )*
                None
            }
        }
    };
}

fn refused(name: &'static str, kind: OptionKind, r: Refusal) -> OptionError {
    let expected = kind.expected();
    match r {
        Refusal::WrongType => OptionError::WrongType { name, expected },
        Refusal::OutOfRange => OptionError::OutOfRange { name, expected },
    }
}

option_table! {
    /// Every option of [`Config`], in the order of its fields.
    CONFIG_OPTIONS for Config {
        max_frame_size: usize,
        max_message_size: usize,
        max_fragments: usize,
        max_output_buffer: usize,
        high_water_mark: usize,
        low_water_mark: usize,
        max_outgoing_frame_size: Option<usize>,
        max_header_bytes: usize,
        max_headers: usize,
        max_reject_body: usize,
        delivery: Delivery,
        ignore_utf8_errors: bool,
        surface_pings: bool,
        surface_pongs: bool,
        auto_pong: bool,
        handshake_timeout: Option<u64>,
        ping_interval: Option<u64>,
        pong_timeout: Option<u64>,
        idle_timeout: Option<u64>,
        max_lifetime: Option<u64>,
        close_timeout: Option<u64>,
        protocols: Vec<String>,
        allowed_origins: Option<Vec<String>>,
        #[cfg(feature = "deflate")]
        deflate: Option<crate::deflate::DeflateConfig>,
    }
}

impl Config {
    /// Sets the option `name` (one of [`CONFIG_OPTIONS`]) from a host value.
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), OptionError> {
        #[cfg(not(feature = "deflate"))]
        if name == "deflate" {
            return match value {
                OptionValue::Null | OptionValue::Bool(false) => Ok(()),
                _ => Err(OptionError::OutOfRange {
                    name: "deflate",
                    expected: "null or false: permessage-deflate is not compiled into this build",
                }),
            };
        }
        self.set_field(name, value)
    }

    /// The value of the option `name`; `None` when there is no such option.
    pub fn get(&self, name: &str) -> Option<OptionValue> {
        #[cfg(not(feature = "deflate"))]
        if name == "deflate" {
            return Some(OptionValue::Null);
        }
        self.get_field(name)
    }
}

#[cfg(feature = "deflate")]
mod deflate_options {
    use super::*;
    use crate::deflate::DeflateConfig;

    impl OptionType for Option<u8> {
        const KIND: OptionKind = OptionKind::WindowBits;
        fn from_value(v: OptionValue) -> Result<Self, Refusal> {
            match v {
                OptionValue::Null => Ok(None),
                v => match integer(&v, 15)? {
                    n @ 8..=15 => Ok(Some(n as u8)),
                    _ => Err(Refusal::OutOfRange),
                },
            }
        }
        fn to_value(&self) -> OptionValue {
            self.map_or(OptionValue::Null, |n| OptionValue::Int(u64::from(n)))
        }
    }

    impl OptionType for Option<DeflateConfig> {
        const KIND: OptionKind = OptionKind::Deflate;
        fn from_value(v: OptionValue) -> Result<Self, Refusal> {
            match v {
                OptionValue::Null | OptionValue::Bool(false) => Ok(None),
                OptionValue::Bool(true) => Ok(Some(DeflateConfig::default())),
                OptionValue::Table(entries) => {
                    let mut d = DeflateConfig::default();
                    for (name, value) in entries {
                        // A wrong deflate option is reported on `deflate` as a whole by
                        // `Config::set`; `DeflateConfig::set` names the inner option.
                        d.set(&name, value).map_err(|e| match e {
                            OptionError::WrongType { .. } => Refusal::WrongType,
                            _ => Refusal::OutOfRange,
                        })?;
                    }
                    Ok(Some(d))
                }
                _ => Err(Refusal::WrongType),
            }
        }
        fn to_value(&self) -> OptionValue {
            self.as_ref().map_or(OptionValue::Null, |d| {
                OptionValue::Table(
                    DEFLATE_OPTIONS
                        .iter()
                        .filter_map(|s| Some((s.name.to_string(), d.get(s.name)?)))
                        .collect(),
                )
            })
        }
    }

    impl DeflateConfig {
        /// Sets the option `name` (one of [`DEFLATE_OPTIONS`]) from a host value.
        pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), OptionError> {
            self.set_field(name, value)
        }

        /// The value of the option `name`; `None` when there is no such option.
        pub fn get(&self, name: &str) -> Option<OptionValue> {
            self.get_field(name)
        }
    }

    option_table! {
        /// Every option of [`DeflateConfig`] a binding sets (its `parse_limits` keep their
        /// defaults).
        DEFLATE_OPTIONS for DeflateConfig {
            client_no_context_takeover: bool,
            server_no_context_takeover: bool,
            client_max_window_bits: Option<u8>,
            server_max_window_bits: Option<u8>,
            compression_level: u32,
            threshold: usize,
            max_ratio: Option<u32>,
        }
    }
}

#[cfg(feature = "deflate")]
pub use deflate_options::DEFLATE_OPTIONS;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_option_round_trips_its_default() {
        let c = Config::default();
        for spec in CONFIG_OPTIONS {
            let v = c.get(spec.name).expect(spec.name);
            let mut d = Config::default();
            d.set(spec.name, v.clone()).expect(spec.name);
            assert_eq!(d.get(spec.name), Some(v), "{}", spec.name);
        }
    }

    #[test]
    fn sets_by_kind() {
        let mut c = Config::default();
        c.set("max_frame_size", OptionValue::Number(1024.0))
            .unwrap();
        assert_eq!(c.max_frame_size, 1024);
        c.set("ping_interval", OptionValue::Int(250)).unwrap();
        assert_eq!(c.ping_interval, Some(250));
        c.set("pong_timeout", OptionValue::Null).unwrap();
        assert_eq!(c.pong_timeout, None);
        c.set("delivery", OptionValue::Str("frames".into()))
            .unwrap();
        assert_eq!(c.delivery, Delivery::Frames);
        let chunks = OptionValue::Table(alloc::vec![("chunks".into(), OptionValue::Number(512.0))]);
        c.set("delivery", chunks).unwrap();
        assert_eq!(c.delivery, Delivery::Chunks(512));
        c.set(
            "allowed_origins",
            OptionValue::Strings(alloc::vec!["https://a".into()]),
        )
        .unwrap();
        assert_eq!(
            c.allowed_origins.as_deref(),
            Some(&["https://a".to_string()][..])
        );
    }

    #[test]
    fn refuses_with_the_option_named() {
        let mut c = Config::default();
        let e = c
            .set("max_frame_size", OptionValue::Number(-1.0))
            .unwrap_err();
        assert!(matches!(
            e,
            OptionError::OutOfRange {
                name: "max_frame_size",
                ..
            }
        ));
        assert_eq!(
            e.message(camel_case),
            "option maxFrameSize must be a non-negative integer"
        );
        let e = c.set("auto_pong", OptionValue::Int(1)).unwrap_err();
        assert!(matches!(
            e,
            OptionError::WrongType {
                name: "auto_pong",
                ..
            }
        ));
        let e = c.set("no_such", OptionValue::Null).unwrap_err();
        assert_eq!(e.to_string(), "unknown option no_such");
        let e = c
            .set("delivery", OptionValue::Str("bogus".into()))
            .unwrap_err();
        assert!(matches!(e, OptionError::OutOfRange { .. }));
    }

    #[cfg(feature = "deflate")]
    #[test]
    fn deflate_from_a_table() {
        let mut c = Config::default();
        c.set("deflate", OptionValue::Bool(true)).unwrap();
        assert!(c.deflate.is_some());
        let table = OptionValue::Table(alloc::vec![
            ("server_max_window_bits".into(), OptionValue::Null),
            ("compression_level".into(), OptionValue::Int(1)),
        ]);
        c.set("deflate", table).unwrap();
        let d = c.deflate.as_ref().unwrap();
        assert_eq!((d.server_max_window_bits, d.compression_level), (None, 1));
        let bad = OptionValue::Table(alloc::vec![(
            "client_max_window_bits".into(),
            OptionValue::Int(7)
        )]);
        assert!(c.set("deflate", bad).is_err());
        let bad = OptionValue::Table(alloc::vec![("no_such".into(), OptionValue::Null)]);
        assert!(c.set("deflate", bad).is_err());
        c.set("deflate", OptionValue::Bool(false)).unwrap();
        assert!(c.deflate.is_none());
    }
}
