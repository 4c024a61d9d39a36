//! The little JSON partwise writes and reads: checkpoint records, their ids and an SSE-KMS
//! encryption context. Strings are escaped as `serde_json` escapes them (which earlier builds
//! used), so the ids of stored records stay the same. No JSON library ships in the module.

/// Appends `text` as a JSON string: `"` and `\` escaped, control characters as `\n`-style or
/// `\u00xx` escapes, everything else as it is.
pub(crate) fn write_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let byte = c as u8;
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0xf)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object written field by field, in order.
#[derive(Debug)]
pub(crate) struct ObjectWriter(String);

impl ObjectWriter {
    pub(crate) fn new() -> Self {
        ObjectWriter(String::from("{"))
    }

    fn key(&mut self, name: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        write_string(&mut self.0, name);
        self.0.push(':');
    }

    /// A string field.
    pub(crate) fn string(&mut self, name: &str, value: &str) -> &mut Self {
        self.key(name);
        write_string(&mut self.0, value);
        self
    }

    /// A string field, left out when there is none.
    pub(crate) fn optional_string(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.string(name, value),
            None => self,
        }
    }

    /// An integer field.
    pub(crate) fn integer(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        self.key(name);
        self.0.push_str(&value.to_string());
        self
    }

    /// A field whose value is JSON written already.
    pub(crate) fn raw(&mut self, name: &str, json: &str) -> &mut Self {
        self.key(name);
        self.0.push_str(json);
        self
    }

    /// The finished object.
    pub(crate) fn finish(&mut self) -> String {
        self.0.push('}');
        std::mem::take(&mut self.0)
    }
}

/// A parsed JSON value. Numbers keep their literal text, so integers are read exactly.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The value of an object's field (the first, if the name repeats).
    pub(crate) fn field(&self, name: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().find(|(key, _)| key == name).map(|(_, value)| value),
            _ => None,
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number as an integer of type `T`, if it is one written without fraction or exponent and fits.
    pub(crate) fn as_integer<T: std::str::FromStr>(&self) -> Option<T> {
        match self {
            Value::Number(literal) => literal.parse().ok(),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
}

/// Parses one JSON value (RFC 8259) with nothing but whitespace around it; `None` if `text` is not one.
pub(crate) fn parse(text: &str) -> Option<Value> {
    let mut parser = Parser { text, at: 0, depth: 0 };
    let value = parser.value()?;
    parser.whitespace();
    (parser.at == text.len()).then_some(value)
}

/// How deep arrays and objects may nest (as `serde_json`'s limit), so no input exhausts the stack.
const MAX_DEPTH: u32 = 128;

struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: u32,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Option<Value> {
        self.text[self.at..].starts_with(word).then(|| {
            self.at += word.len();
            value
        })
    }

    fn value(&mut self) -> Option<Value> {
        self.whitespace();
        match self.peek()? {
            b'{' => self
                .nested(b'}', |parser| {
                    let key = parser.string()?;
                    parser.whitespace();
                    parser.expect(b':')?;
                    Some((key, parser.value()?))
                })
                .map(Value::Object),
            b'[' => self.nested(b']', Parser::value).map(Value::Array),
            b'"' => self.string().map(Value::String),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// The comma-separated items of an object or array, from its opening to its `close` byte.
    fn nested<T>(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.at += 1;
        let mut items = Vec::new();
        self.whitespace();
        if !self.eat(close) {
            loop {
                self.whitespace();
                items.push(item(self)?);
                self.whitespace();
                if self.eat(close) {
                    break;
                }
                self.expect(b',')?;
            }
        }
        self.depth -= 1;
        Some(items)
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Option<Value> {
        let start = self.at;
        self.eat(b'-');
        if !self.eat(b'0') && self.digits() == 0 {
            return None;
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            let _ = self.eat(b'+') || self.eat(b'-');
            if self.digits() == 0 {
                return None;
            }
        }
        Some(Value::Number(self.text[start..self.at].to_owned()))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.at..self.at + 4)?;
        let value = u32::from_str_radix(digits, 16).ok().filter(|_| digits.bytes().all(|b| b.is_ascii_hexdigit()))?;
        self.at += 4;
        Some(value)
    }

    fn string(&mut self) -> Option<String> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while matches!(self.peek(), Some(byte) if byte != b'"' && byte != b'\\' && byte >= 0x20) {
                self.at += 1;
            }
            out.push_str(&self.text[start..self.at]);
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => out.push(self.escape()?),
                _ => return None,
            }
        }
    }

    /// The character of the escape after a `\` (a UTF-16 surrogate pair as one).
    fn escape(&mut self) -> Option<char> {
        Some(match self.next()? {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let unit = self.hex4()?;
                if (0xD800..0xDC00).contains(&unit) {
                    self.expect(b'\\')?;
                    self.expect(b'u')?;
                    let low = self.hex4().filter(|low| (0xDC00..0xE000).contains(low))?;
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?
                } else {
                    char::from_u32(unit)?
                }
            }
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(text: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, text);
        out
    }

    #[test]
    fn strings_escape_as_serde_json_does_and_read_back() {
        for text in ["", "plain", "a\"b\\c/d", "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}", "ünï 😀 \u{2028}", "]\",["] {
            let json = written(text);
            assert_eq!(json, serde_json::to_string(text).expect("string"), "{text:?}");
            assert_eq!(parse(&json), Some(Value::String(text.to_owned())));
        }
    }

    #[test]
    fn parses_what_json_stringify_writes() {
        let text = r#" {"a":[1,-2,0,3.5e-2,true,false,null],"b":{"c":"\u00e9\ud83d\ude00\/"},"d":[]} "#;
        let value = parse(text).expect("valid");
        assert_eq!(value.field("a").and_then(Value::as_array).map(<[Value]>::len), Some(7));
        let numbers = value.field("a").and_then(Value::as_array).expect("array");
        assert_eq!(numbers[1].as_integer::<i64>(), Some(-2));
        assert_eq!(numbers[1].as_integer::<u64>(), None);
        assert_eq!(numbers[3].as_integer::<u64>(), None);
        assert_eq!(value.field("b").and_then(|b| b.field("c")).and_then(Value::as_str), Some("é😀/"));
        assert_eq!(value.field("missing"), None);
        assert_eq!(parse("{}"), Some(Value::Object(vec![])));
        assert_eq!(parse("18446744073709551615").and_then(|v| v.as_integer::<u64>()), Some(u64::MAX));
    }

    #[test]
    fn refuses_what_is_not_json() {
        let deep = "[".repeat(200) + &"]".repeat(200);
        for text in [
            "",
            " ",
            "{",
            "}",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "01",
            "1.",
            "-",
            "1e",
            "+1",
            "'a'",
            "\"a",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\u12g4\"",
            "\"a\nb\"",
            "tru",
            "nul",
            "1 2",
            "[1]x",
            &deep,
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
        let nested_ok = "[".repeat(100) + &"]".repeat(100);
        assert!(parse(&nested_ok).is_some());
    }

    #[test]
    fn objects_write_fields_in_order() {
        let inner = ObjectWriter::new().string("x", "1").finish();
        let json = ObjectWriter::new()
            .integer("n", -5i64)
            .optional_string("skipped", None)
            .optional_string("kept", Some("é"))
            .raw("inner", &inner)
            .integer("big", u64::MAX)
            .finish();
        assert_eq!(json, r#"{"n":-5,"kept":"é","inner":{"x":"1"},"big":18446744073709551615}"#);
        assert_eq!(ObjectWriter::new().finish(), "{}");
    }
}
