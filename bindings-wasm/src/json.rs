//! A minimal JSON writer for the rare events (handshake, close, failure) and the
//! inspector's report: JavaScript `JSON.parse`s the result. Only what the binding writes:
//! objects of strings, numbers, booleans, nulls, string arrays and header lists.

use core::fmt::Write as _;

use wsengine::Header;

/// A JSON object (or array) being written.
pub(crate) struct Json {
    s: String,
    first: bool,
}

impl Json {
    /// Starts an object.
    pub(crate) fn object() -> Json {
        Json {
            s: String::from("{"),
            first: true,
        }
    }

    /// Starts an array (items appended with [`Json::item`]).
    pub(crate) fn array() -> Json {
        Json {
            s: String::from("["),
            first: true,
        }
    }

    /// Ends the object or array.
    pub(crate) fn end(&mut self) -> Json {
        let close = if self.s.starts_with('[') { ']' } else { '}' };
        let mut s = core::mem::take(&mut self.s);
        s.push(close);
        Json { s, first: false }
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.s
    }

    pub(crate) fn into_string(self) -> String {
        self.s
    }

    fn sep(&mut self) {
        if !self.first {
            self.s.push(',');
        }
        self.first = false;
    }

    fn key(&mut self, k: &str) {
        self.sep();
        quote(&mut self.s, k);
        self.s.push(':');
    }

    pub(crate) fn str(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k);
        quote(&mut self.s, v);
        self
    }

    pub(crate) fn opt_str(&mut self, k: &str, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.str(k, v),
            None => self.raw(k, "null"),
        }
    }

    pub(crate) fn num(&mut self, k: &str, v: f64) -> &mut Self {
        self.key(k);
        let _ = write!(self.s, "{v}");
        self
    }

    pub(crate) fn opt_num(&mut self, k: &str, v: Option<f64>) -> &mut Self {
        match v {
            Some(v) => self.num(k, v),
            None => self.raw(k, "null"),
        }
    }

    pub(crate) fn bool(&mut self, k: &str, v: bool) -> &mut Self {
        self.raw(k, if v { "true" } else { "false" })
    }

    /// A value that is already JSON.
    pub(crate) fn raw(&mut self, k: &str, json: &str) -> &mut Self {
        self.key(k);
        self.s.push_str(json);
        self
    }

    pub(crate) fn strs(&mut self, k: &str, v: &[String]) -> &mut Self {
        self.key(k);
        self.s.push('[');
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                self.s.push(',');
            }
            quote(&mut self.s, x);
        }
        self.s.push(']');
        self
    }

    /// Headers as `[{name, value}, ...]`, like the Node binding.
    pub(crate) fn headers(&mut self, k: &str, v: &[Header]) -> &mut Self {
        self.key(k);
        self.s.push('[');
        for (i, h) in v.iter().enumerate() {
            if i > 0 {
                self.s.push(',');
            }
            self.s.push_str("{\"name\":");
            quote(&mut self.s, &h.name);
            self.s.push_str(",\"value\":");
            quote(&mut self.s, &h.value);
            self.s.push('}');
        }
        self.s.push(']');
        self
    }

    /// Appends an array item that is already JSON.
    pub(crate) fn item(&mut self, json: &str) -> &mut Self {
        self.sep();
        self.s.push_str(json);
        self
    }
}

/// Writes `v` as a JSON string literal.
pub(crate) fn quote(out: &mut String, v: &str) {
    out.push('"');
    for ch in v.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_objects() {
        let mut j = Json::object();
        j.str("a", "x\"y\n\u{1}")
            .num("n", 1000.0)
            .opt_str("z", None)
            .bool("b", true);
        assert_eq!(
            j.end().as_str(),
            r#"{"a":"x\"y\n\u0001","n":1000,"z":null,"b":true}"#
        );
        let mut a = Json::array();
        a.item("1").item("{}");
        assert_eq!(a.end().as_str(), "[1,{}]");
    }
}
