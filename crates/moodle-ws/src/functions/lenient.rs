//! Tolerant field decoders for what Moodle really sends: ids as numbers or numeric strings
//! (`upload.php` sends `"userid":"4"`, course-format state `"id":"5"`), booleans as `true`,
//! `1` or `"1"`, and `null` where a string or number is declared.
//!
//! Use with `#[serde(default, deserialize_with = "lenient::…")]` so a missing key works too.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize as _, Deserializer};

/// What a scalar field held.
enum Scalar {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, string, boolean or null")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        i64::try_from(v)
            .map(Scalar::Int)
            .or(Ok(Scalar::Float(v as f64)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<Scalar, A::Error> {
        Err(de::Error::invalid_type(de::Unexpected::Seq, &self))
    }
    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<Scalar, A::Error> {
        Err(de::Error::invalid_type(de::Unexpected::Map, &self))
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

fn to_int<E: de::Error>(s: Scalar) -> Result<Option<i64>, E> {
    match s {
        Scalar::Int(i) => Ok(Some(i)),
        Scalar::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i64)),
        Scalar::Str(s) if s.trim().is_empty() => Ok(None),
        Scalar::Str(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| E::custom("expected an integer or a numeric string")),
        Scalar::Bool(b) => Ok(Some(i64::from(b))),
        Scalar::Null => Ok(None),
        Scalar::Float(_) => Err(E::custom("expected an integer, got a fraction")),
    }
}

/// An integer sent as a number or a numeric string; `null` or `""` is 0.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    to_int(scalar(d)?).map(Option::unwrap_or_default)
}

/// An optional integer sent as a number or a numeric string; `null` or `""` is `None`.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    to_int(scalar(d)?)
}

/// A number sent as a number or a numeric string (`PARAM_FLOAT` values); `null` or `""` is 0.
pub fn float<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    match scalar(d)? {
        Scalar::Int(i) => Ok(i as f64),
        Scalar::Float(f) => Ok(f),
        Scalar::Str(s) if s.trim().is_empty() => Ok(0.0),
        Scalar::Str(s) => s
            .trim()
            .parse::<f64>()
            .map_err(|_| de::Error::custom("expected a number or a numeric string")),
        Scalar::Bool(b) => Ok(f64::from(u8::from(b))),
        Scalar::Null => Ok(0.0),
    }
}

/// A string; numbers and booleans become their text, `null` the empty string.
pub fn string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(opt_string(d)?.unwrap_or_default())
}

/// An optional string; numbers and booleans become their text.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::Str(s) => Some(s),
        Scalar::Int(i) => Some(i.to_string()),
        Scalar::Float(f) => Some(f.to_string()),
        Scalar::Bool(b) => Some(if b { "1" } else { "0" }.to_owned()),
        Scalar::Null => None,
    })
}

/// A boolean sent as `true`/`false`, `1`/`0` or `"1"`/`"0"`; `null` is false.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool(d)?.unwrap_or(false))
}

/// An optional boolean sent as `true`/`false`, `1`/`0` or `"1"`/`"0"`.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match scalar(d)? {
        Scalar::Bool(b) => Ok(Some(b)),
        Scalar::Int(i) => Ok(Some(i != 0)),
        Scalar::Float(f) => Ok(Some(f != 0.0)),
        Scalar::Str(s) => match s.trim() {
            "" => Ok(None),
            "0" | "false" => Ok(Some(false)),
            "1" | "true" => Ok(Some(true)),
            _ => Err(de::Error::custom("expected a boolean")),
        },
        Scalar::Null => Ok(None),
    }
}

/// A list that may be `null` (treated as empty).
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "int")]
        a: i64,
        #[serde(default, deserialize_with = "opt_int")]
        b: Option<i64>,
        #[serde(default, deserialize_with = "boolean")]
        c: bool,
        #[serde(default, deserialize_with = "string")]
        d: String,
    }

    fn t(json: &str) -> T {
        serde_json::from_str(json).expect("decodes")
    }

    #[test]
    fn ids_come_as_numbers_or_strings() {
        assert_eq!(t(r#"{"a":4}"#).a, 4);
        assert_eq!(t(r#"{"a":"4"}"#).a, 4);
        assert_eq!(t(r#"{"b":null}"#).b, None);
        assert_eq!(t(r#"{"b":"17"}"#).b, Some(17));
        assert_eq!(t("{}").b, None);
        assert!(serde_json::from_str::<T>(r#"{"a":"x"}"#).is_err());
        assert!(serde_json::from_str::<T>(r#"{"a":1.5}"#).is_err());
    }

    #[test]
    fn booleans_come_as_bools_ints_or_strings() {
        assert!(t(r#"{"c":true}"#).c);
        assert!(t(r#"{"c":1}"#).c);
        assert!(t(r#"{"c":"1"}"#).c);
        assert!(!t(r#"{"c":0}"#).c);
        assert!(!t(r#"{"c":null}"#).c);
    }

    #[test]
    fn strings_accept_numbers_and_null() {
        assert_eq!(t(r#"{"d":2024100706}"#).d, "2024100706");
        assert_eq!(t(r#"{"d":null}"#).d, "");
    }
}
