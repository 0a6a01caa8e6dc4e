//! A JSON object of Moodle's read borrowed from its answer: the members in order, each key
//! unescaped (borrowed unless it had escapes), each value as sent. Written back without
//! some keys, it passes Moodle's object on with no value parsed or copied twice.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// An object's members, in Moodle's order.
pub struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl Members<'_> {
    /// The object as JSON, without the members named in `dropped` (every one of them, should
    /// a key come twice).
    pub fn to_json_without(&self, dropped: &[&str]) -> Vec<u8> {
        let kept = self
            .0
            .iter()
            .filter(|(k, _)| !dropped.contains(&k.as_ref()));
        let mut out = Vec::with_capacity(
            2 + self
                .0
                .iter()
                .map(|(k, v)| k.len() + v.get().len() + 4)
                .sum::<usize>(),
        );
        out.push(b'{');
        for (i, (key, value)) in kept.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // A string always serializes.
            serde_json::to_writer(&mut out, key.as_ref()).expect("a string serializes");
            out.push(b':');
            out.extend_from_slice(value.get().as_bytes());
        }
        out.push(b'}');
        out
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MembersVisitor)
    }
}

struct MembersVisitor;

impl<'de> Visitor<'de> for MembersVisitor {
    type Value = Members<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::with_capacity(map.size_hint().unwrap_or(32));
        while let Some(key) = map.next_key::<Key<'de>>()? {
            members.push((key.0, map.next_value::<&'de RawValue>()?));
        }
        Ok(Members(members))
    }
}

/// A key, borrowed from the text when it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_keys_leave_and_everything_else_stays_as_sent_in_order() {
        let text = r#"{"b":1,"userprivateaccesskey":"s3cr3t","a\u00e9":{"x":[1, 2]},"c":"\u0041","userprivateaccesskey":"again"}"#;
        let members: Members<'_> = serde_json::from_str(text).expect("object");
        let out = members.to_json_without(&["userprivateaccesskey"]);
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            r#"{"b":1,"aé":{"x":[1, 2]},"c":"\u0041"}"#
        );
    }

    #[test]
    fn an_answer_that_is_not_an_object_is_refused() {
        assert!(serde_json::from_str::<Members<'_>>("[1,2]").is_err());
        assert!(serde_json::from_str::<Members<'_>>("{}").is_ok());
        let empty: Members<'_> = serde_json::from_str("{\"k\":1}").expect("object");
        assert_eq!(empty.to_json_without(&["k"]), b"{}");
    }
}
