//! `json_encode()` as PHP writes it with default flags: `/` escaped as `\/` and every
//! non-ASCII character as `\uXXXX` (surrogate pairs above the BMP), so clients meet the
//! same bytes a real Moodle sends.

use std::io;

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CharEscape, Formatter, Serializer};

struct PhpFormatter;

impl Formatter for PhpFormatter {
    fn write_string_fragment<W>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c == '/' || !c.is_ascii() {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                if c == '/' {
                    writer.write_all(b"\\/")?;
                } else {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        write!(writer, "\\u{unit:04x}")?;
                    }
                }
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    /// PHP prints integral floats without a fraction (`100.0` as `100`) unless asked
    /// for `JSON_PRESERVE_ZERO_FRACTION`.
    fn write_f64<W>(&mut self, writer: &mut W, value: f64) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        if value.fract() == 0.0 && value.abs() < 1e15 {
            write!(writer, "{value:.0}")
        } else {
            write!(writer, "{value}")
        }
    }

    fn write_char_escape<W>(&mut self, writer: &mut W, char_escape: CharEscape) -> io::Result<()>
    where
        W: ?Sized + io::Write,
    {
        let s: &[u8] = match char_escape {
            CharEscape::Quote => b"\\\"",
            CharEscape::ReverseSolidus => b"\\\\",
            CharEscape::Solidus => b"\\/",
            CharEscape::Backspace => b"\\b",
            CharEscape::FormFeed => b"\\f",
            CharEscape::LineFeed => b"\\n",
            CharEscape::CarriageReturn => b"\\r",
            CharEscape::Tab => b"\\t",
            CharEscape::AsciiControl(byte) => {
                return write!(writer, "\\u{:04x}", byte);
            }
        };
        writer.write_all(s)
    }
}

/// Encodes a value the way PHP's `json_encode()` does.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = Serializer::with_formatter(&mut out, PhpFormatter);
    // Serialising a `Value` into a Vec cannot fail.
    let _ = value.serialize(&mut ser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integral_floats_lose_their_fraction_like_php() {
        assert_eq!(
            encode(&json!([100.0, 87.5, -3.0])),
            b"[100,87.5,-3]".to_vec()
        );
    }

    #[test]
    fn slashes_and_unicode_are_escaped_like_php() {
        let out = encode(&json!({"url": "http://x/y", "t": "2π√", "e": "😀"}));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"url":"http:\/\/x\/y","t":"2\u03c0\u221a","e":"\ud83d\ude00"}"#
        );
    }

    #[test]
    fn round_trips_through_a_json_parser() {
        let v = json!({"a": [1, 2.5, null, true], "s": "x\"y\\z\n/é"});
        let back: Value = serde_json::from_slice(&encode(&v)).unwrap();
        assert_eq!(back, v);
    }
}
