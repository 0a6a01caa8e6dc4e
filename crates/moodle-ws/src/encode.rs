//! Moodle's parameter encoding: any `Serialize` value to PHP bracket notation
//! (`courses[0][fullname]=…`, `options[ids][0]=6`, `values[1]=…`), the form PHP turns back
//! into the nested arrays `external_api::validate_parameters()` checks.
//!
//! Rules (Moodle: `webservice/renderer.php` `rest_param_description_html()`, PHP's
//! `php_register_variable_ex`):
//! - structs and maps become `name[key]`, sequences `name[0]`, `name[1]`, …;
//! - `true`/`false` become `1`/`0` (`PARAM_BOOL` refuses `"true"`), numbers their decimal text;
//! - `None` and `()` are omitted, so Moodle applies the parameter's default;
//! - an **empty sequence or map is omitted**: a form body cannot carry an empty PHP array
//!   (`name[]=` would be a one-element array holding `""`), so Moodle sees the parameter as
//!   missing and uses its default, which for every optional list is the empty list;
//! - a `None` inside a sequence leaves a gap in the indices; Moodle re-indexes lists.
//!
//! Names PHP would mangle are refused rather than sent wrong: brackets or NUL in any key,
//! `.` or space in a top-level name (PHP turns them into `_`), empty keys, and keys of one
//! blank character (PHP reads `[ ]` as `[]`). Enum variants
//! carrying data, byte strings and non-finite floats are refused too.
//!
//! This module does not send anything; `client.rs` adds the reserved `wstoken`,
//! `wsfunction` and `moodlewsrestformat` fields.

use serde::Serialize;
use serde::ser::{self, Impossible};

use crate::error::Error;

/// Encoded parameters: `(name, value)` pairs in bracket notation, in field order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// The `(name, value)` pairs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// Number of form fields (what PHP's `max_input_vars` counts).
    pub fn len(&self) -> usize {
        self.pairs.len()
    }

    /// Whether there are no fields.
    pub fn is_empty(&self) -> bool {
        self.pairs.is_empty()
    }

    /// The distinct top-level parameter names, in order (for logs: names, never values).
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for (key, _) in &self.pairs {
            let top = key.split('[').next().unwrap_or(key);
            if !names.contains(&top) {
                names.push(top);
            }
        }
        names
    }

    /// The form body (`application/x-www-form-urlencoded`) of these fields.
    pub fn to_form(&self) -> String {
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.pairs {
            form.append_pair(k, v);
        }
        form.finish()
    }
}

/// Encodes a struct or map (or `()` for no parameters) into bracket-notation fields.
///
/// # Errors
/// [`Error::InvalidRequest`] when the value has no faithful form encoding (see the module
/// docs), or is a scalar at the top level.
pub fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Params, Error> {
    let mut params = Params::default();
    value.serialize(TopLevel {
        out: &mut params.pairs,
    })?;
    Ok(params)
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidRequest {
        reason: reason.into(),
    }
}

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        invalid(msg.to_string())
    }
}

/// Checks a key before it becomes part of a name.
fn checked_key(key: String, top_level: bool) -> Result<String, Error> {
    if key.is_empty() {
        return Err(invalid("empty parameter name"));
    }
    if key.contains(['[', ']', '\0']) {
        return Err(invalid(format!(
            "parameter name {key:?} contains a bracket or NUL"
        )));
    }
    // PHP reads `[ ]` (one blank character between the brackets) as `[]`, an append
    // (main/php_variables.c skips one blank before looking for `]`).
    if matches!(key.as_str(), " " | "\t" | "\r" | "\n") {
        return Err(invalid(
            "a parameter name of one blank character reads as `[]` in PHP",
        ));
    }
    if top_level && key.contains(['.', ' ']) {
        return Err(invalid(format!(
            "top-level parameter name {key:?} contains '.' or ' ' (PHP renames it)"
        )));
    }
    Ok(key)
}

fn child(prefix: &str, key: &str) -> String {
    let mut name = String::with_capacity(prefix.len() + key.len() + 2);
    name.push_str(prefix);
    name.push('[');
    name.push_str(key);
    name.push(']');
    name
}

/// The serializer for the whole parameter set: a struct, a map or nothing.
struct TopLevel<'a> {
    out: &'a mut Vec<(String, String)>,
}

/// Serializes one value under a full bracketed name.
struct Value<'a> {
    name: String,
    out: &'a mut Vec<(String, String)>,
}

impl Value<'_> {
    fn leaf(self, value: String) -> Result<(), Error> {
        self.out.push((self.name, value));
        Ok(())
    }
}

/// Collects the fields of a struct or map under a prefix (`None` = top level).
struct Fields<'a> {
    prefix: Option<String>,
    out: &'a mut Vec<(String, String)>,
    pending_key: Option<String>,
}

impl Fields<'_> {
    fn name_for(&self, key: String) -> Result<String, Error> {
        match &self.prefix {
            None => checked_key(key, true),
            Some(p) => Ok(child(p, &checked_key(key, false)?)),
        }
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: String, value: &T) -> Result<(), Error> {
        let name = self.name_for(key)?;
        value.serialize(Value {
            name,
            out: self.out,
        })
    }
}

/// Collects sequence elements under `prefix[0]`, `prefix[1]`, ….
struct Elements<'a> {
    prefix: String,
    index: usize,
    out: &'a mut Vec<(String, String)>,
}

impl Elements<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let name = child(&self.prefix, &self.index.to_string());
        self.index += 1;
        value.serialize(Value {
            name,
            out: self.out,
        })
    }
}

macro_rules! leaf_ints {
    ($($method:ident: $ty:ty),*) => {
        $(fn $method(self, v: $ty) -> Result<(), Error> {
            self.leaf(v.to_string())
        })*
    };
}

impl<'a> ser::Serializer for Value<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Elements<'a>;
    type SerializeTuple = Elements<'a>;
    type SerializeTupleStruct = Elements<'a>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Fields<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.leaf(if v { "1" } else { "0" }.to_owned())
    }

    leaf_ints!(serialize_i8: i8, serialize_i16: i16, serialize_i32: i32, serialize_i64: i64,
        serialize_i128: i128, serialize_u8: u8, serialize_u16: u16, serialize_u32: u32,
        serialize_u64: u64, serialize_u128: u128, serialize_char: char);

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        if !v.is_finite() {
            return Err(invalid(format!("{} is not a finite number", self.name)));
        }
        self.leaf(v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.leaf(v.to_owned())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(invalid(format!(
            "{}: byte strings have no form encoding (base64 them)",
            self.name
        )))
    }

    fn serialize_none(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.leaf(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _n: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(invalid(format!(
            "{}: enum variant {variant} carries data",
            self.name
        )))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Elements<'a>, Error> {
        Ok(Elements {
            prefix: self.name,
            index: 0,
            out: self.out,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Elements<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _n: &'static str, len: usize) -> Result<Elements<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(invalid(format!(
            "{}: enum variant {variant} carries data",
            self.name
        )))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Fields<'a>, Error> {
        Ok(Fields {
            prefix: Some(self.name),
            out: self.out,
            pending_key: None,
        })
    }

    fn serialize_struct(self, _n: &'static str, _len: usize) -> Result<Fields<'a>, Error> {
        self.serialize_map(None)
    }

    fn serialize_struct_variant(
        self,
        _n: &'static str,
        _i: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(invalid(format!(
            "{}: enum variant {variant} carries data",
            self.name
        )))
    }
}

mod collect;
mod key;
mod top;
use key::KeySerializer;

#[cfg(test)]
mod tests;
