//! External descriptions (`external_value`, `external_single_structure`,
//! `external_multiple_structure`) and the two walks Moodle does over them:
//! `validate_parameters()` for requests and `clean_returnvalue()` for responses
//! (`lib/external/classes/external_api.php`), plus the REST server's XML rendering.

use serde_json::{Map, Value};

use super::param::{ParamType, php_string};
use crate::errors::WsError;

/// `VALUE_REQUIRED`, `VALUE_OPTIONAL` or `VALUE_DEFAULT` with its default.
#[derive(Debug, Clone)]
pub enum Presence {
    /// The key must be present.
    Required,
    /// The key may be absent and is then left out.
    Optional,
    /// The key may be absent and then takes this value.
    Default(Value),
}

/// An external description.
#[derive(Debug, Clone)]
pub enum Desc {
    /// `external_value`.
    Value {
        /// The `PARAM_*` type.
        ty: ParamType,
        /// Required, optional or defaulted.
        presence: Presence,
        /// `NULL_ALLOWED` (the default for values).
        allow_null: bool,
    },
    /// `external_single_structure`.
    Single {
        /// Keys in declaration order (the order of the output).
        keys: Vec<(&'static str, Desc)>,
        /// Required, optional or defaulted.
        presence: Presence,
    },
    /// `external_multiple_structure`.
    Multiple {
        /// The description of each element.
        content: Box<Desc>,
        /// Required, optional or defaulted.
        presence: Presence,
    },
}

/// `new external_value($type)`.
pub fn value(ty: ParamType) -> Desc {
    Desc::Value {
        ty,
        presence: Presence::Required,
        allow_null: true,
    }
}

/// `new external_single_structure([...])`.
pub fn single(keys: Vec<(&'static str, Desc)>) -> Desc {
    Desc::Single {
        keys,
        presence: Presence::Required,
    }
}

/// `new external_multiple_structure($content)`.
pub fn multiple(content: Desc) -> Desc {
    Desc::Multiple {
        content: Box::new(content),
        presence: Presence::Required,
    }
}

/// The standard `warnings` return (`core_external\external_warnings`).
pub fn warnings() -> Desc {
    multiple(single(vec![
        ("item", value(ParamType::Text).optional()),
        ("itemid", value(ParamType::Int).optional()),
        ("warningcode", value(ParamType::AlphaNum)),
        ("message", value(ParamType::Raw)),
    ]))
    .optional()
}

macro_rules! shorthand {
    ($($name:ident => $ty:ident),* $(,)?) => {
        $(
            #[doc = concat!("`new external_value(PARAM_", stringify!($ty), ")`.")]
            pub fn $name() -> Desc {
                value(ParamType::$ty)
            }
        )*
    };
}
shorthand!(int => Int, float => Float, boolean => Bool, raw => Raw, text => Text, notags => NoTags,
    alphanum => AlphaNum, alphanumext => AlphaNumExt, url => Url, plugin => Plugin, area => Area,
    component => Component, path => Path, file => File, alpha => Alpha, username => Username,
    email => Email, lang => Lang, theme => Theme, timezone => Timezone, cleanhtml => CleanHtml,
    safedir => SafeDir, localurl => LocalUrl, sequence => Sequence, auth => Auth, alphaext => AlphaExt);

impl Desc {
    fn presence_mut(&mut self) -> &mut Presence {
        match self {
            Desc::Value { presence, .. }
            | Desc::Single { presence, .. }
            | Desc::Multiple { presence, .. } => presence,
        }
    }

    fn presence(&self) -> &Presence {
        match self {
            Desc::Value { presence, .. }
            | Desc::Single { presence, .. }
            | Desc::Multiple { presence, .. } => presence,
        }
    }

    /// `VALUE_OPTIONAL`.
    pub fn optional(mut self) -> Self {
        *self.presence_mut() = Presence::Optional;
        self
    }

    /// `VALUE_DEFAULT, $default`.
    pub fn default(mut self, default: impl Into<Value>) -> Self {
        *self.presence_mut() = Presence::Default(default.into());
        self
    }

    /// `NULL_NOT_ALLOWED` on a value.
    pub fn not_null(mut self) -> Self {
        if let Desc::Value { allow_null, .. } = &mut self {
            *allow_null = false;
        }
        self
    }

    fn allows_null(&self) -> bool {
        matches!(
            self,
            Desc::Value {
                allow_null: true,
                ..
            }
        )
    }
}

/// Context for cleaning: the site root, which `PARAM_LOCALURL` compares against, and the
/// Moodle version, whose `validate_param()` rules apply.
#[derive(Debug, Clone, Copy)]
pub struct CleanContext<'a> {
    /// `$CFG->wwwroot`.
    pub wwwroot: &'a str,
    /// The site's Moodle version.
    pub moodle: crate::version::MoodleVersion,
}

/// `external_api::validate_parameters()`: checks request parameters against a description
/// and returns them cleaned and typed, with defaults filled in.
///
/// # Errors
/// `invalid_parameter_exception` with Moodle's debuginfo (the path to the bad key).
pub fn validate_parameters(
    desc: &Desc,
    params: &Value,
    cx: CleanContext<'_>,
) -> Result<Value, WsError> {
    if params.is_null() && desc.allows_null() {
        return Ok(Value::Null);
    }
    match desc {
        Desc::Value { ty, allow_null, .. } => {
            if params.is_array() || params.is_object() {
                return Err(WsError::invalid_parameter(
                    "Scalar type expected, array or object received.",
                ));
            }
            if *ty == ParamType::Bool {
                match params {
                    Value::Bool(b) => return Ok(Value::Bool(*b)),
                    Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                        return Ok(Value::Bool(n.as_i64() == Some(1)));
                    }
                    Value::String(s) if s == "0" || s == "1" => return Ok(Value::Bool(s == "1")),
                    _ => {}
                }
            }
            let debuginfo = format!(
                "Invalid external api parameter: the value is \"{}\", the server was expecting \"{}\" type",
                php_string(params),
                ty.name()
            );
            if params.is_null() {
                return if *allow_null {
                    Ok(Value::Null)
                } else {
                    Err(WsError::invalid_parameter(debuginfo))
                };
            }
            let valid = ty
                .validate_in(cx.moodle, params, cx.wwwroot)
                .ok_or_else(|| WsError::invalid_parameter(debuginfo))?;
            // A boolean that passed 5.0's loose check ("1.0", " 1") is cleaned to 0 or 1.
            Ok(if *ty == ParamType::Bool {
                Value::Bool(valid.as_i64() == Some(1))
            } else {
                valid
            })
        }
        Desc::Single { keys, .. } => {
            let Some(object) = as_php_array(params) else {
                return Err(WsError::invalid_parameter(format!(
                    "Only arrays accepted. The bad value is: '{}'",
                    php_string(params)
                )));
            };
            let mut remaining = object.clone();
            let mut result = Map::new();
            for (key, sub) in keys {
                match remaining.shift_remove(*key) {
                    None => match sub.presence() {
                        Presence::Required => {
                            return Err(WsError::invalid_parameter(format!(
                                "Missing required key in single structure: {key}"
                            )));
                        }
                        Presence::Default(default) => {
                            let v = validate_parameters(sub, default, cx)
                                .map_err(|e| prefix_path(key, &e))?;
                            result.insert((*key).to_owned(), v);
                        }
                        Presence::Optional => {}
                    },
                    Some(v) => {
                        let v =
                            validate_parameters(sub, &v, cx).map_err(|e| prefix_path(key, &e))?;
                        result.insert((*key).to_owned(), v);
                    }
                }
            }
            if !remaining.is_empty() {
                let names: Vec<&str> = remaining.keys().map(String::as_str).collect();
                return Err(WsError::invalid_parameter(format!(
                    "Unexpected keys ({}) detected in parameter array.",
                    names.join(", ")
                )));
            }
            Ok(Value::Object(result))
        }
        Desc::Multiple { content, .. } => {
            let items: Vec<Value> = match params {
                Value::Array(a) => a.clone(),
                Value::Object(o) => o.values().cloned().collect(),
                other => {
                    return Err(WsError::invalid_parameter(format!(
                        "Only arrays accepted. The bad value is: '{}'",
                        php_string(other)
                    )));
                }
            };
            items
                .iter()
                .map(|item| validate_parameters(content, item, cx))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
    }
}

/// A PHP array seen as a map: JSON objects, and JSON lists keyed by position.
fn as_php_array(v: &Value) -> Option<Map<String, Value>> {
    match v {
        Value::Object(o) => Some(o.clone()),
        Value::Array(a) => Some(
            a.iter()
                .enumerate()
                .map(|(i, v)| (i.to_string(), v.clone()))
                .collect(),
        ),
        _ => None,
    }
}

fn prefix_path(key: &str, e: &WsError) -> WsError {
    WsError::invalid_parameter(format!(
        "{key} => {}: {}",
        e.message,
        e.debuginfo.as_deref().unwrap_or_default()
    ))
}

/// `invalid_response_exception`: the server's own answer did not match its description.
fn invalid_response(debuginfo: impl Into<String>) -> WsError {
    WsError::new(
        "core\\exception\\invalid_response_exception",
        "invalidresponse",
        "Invalid response value detected",
    )
    .with_debuginfo(debuginfo)
}

/// `external_api::clean_returnvalue()`: keeps only described keys, in description order,
/// typed by their `PARAM_*` type, with defaults for absent defaulted values.
///
/// # Errors
/// `invalid_response_exception` when the value does not fit its description.
pub fn clean_returnvalue(
    desc: &Desc,
    response: &Value,
    cx: CleanContext<'_>,
) -> Result<Value, WsError> {
    if response.is_null() && desc.allows_null() {
        return Ok(Value::Null);
    }
    match desc {
        Desc::Value { ty, allow_null, .. } => {
            if response.is_array() || response.is_object() {
                return Err(invalid_response(
                    "Scalar type expected, array or object received.",
                ));
            }
            if *ty == ParamType::Bool {
                match response {
                    Value::Bool(b) => return Ok(Value::Bool(*b)),
                    Value::Number(n) if matches!(n.as_i64(), Some(0 | 1)) => {
                        return Ok(Value::Bool(n.as_i64() == Some(1)));
                    }
                    Value::String(s) if s == "0" || s == "1" => return Ok(Value::Bool(s == "1")),
                    _ => {}
                }
            }
            if response.is_null() && !*allow_null {
                return Err(invalid_response(format!(
                    "Invalid external api response: the value is \"\" of PHP type \"NULL\", the server was expecting \"{}\" type",
                    ty.name()
                )));
            }
            ty.validate_in(cx.moodle, response, cx.wwwroot).ok_or_else(|| {
                invalid_response(format!(
                    "Invalid external api response: the value is \"{}\", the server was expecting \"{}\" type",
                    php_string(response),
                    ty.name()
                ))
            })
        }
        Desc::Single { keys, .. } => {
            let Value::Object(object) = response else {
                return Err(invalid_response(format!(
                    "Only arrays/objects accepted. The bad value is: '{}'",
                    php_string(response)
                )));
            };
            let mut result = Map::new();
            for (key, sub) in keys {
                match object.get(*key) {
                    None => match sub.presence() {
                        Presence::Required => {
                            return Err(invalid_response(format!(
                                "Error in response - Missing following required key in a single structure: {key}"
                            )));
                        }
                        Presence::Default(default) if matches!(sub, Desc::Value { .. }) => {
                            result.insert((*key).to_owned(), clean_returnvalue(sub, default, cx)?);
                        }
                        _ => {}
                    },
                    Some(v) => {
                        let cleaned = clean_returnvalue(sub, v, cx).map_err(|e| {
                            invalid_response(format!(
                                "{key} => {}: {}",
                                e.message,
                                e.debuginfo.as_deref().unwrap_or_default()
                            ))
                        })?;
                        result.insert((*key).to_owned(), cleaned);
                    }
                }
            }
            // PHP's json_encode() writes an empty array as `[]`.
            if result.is_empty() {
                return Ok(Value::Array(Vec::new()));
            }
            Ok(Value::Object(result))
        }
        Desc::Multiple { content, .. } => {
            let items: Vec<&Value> = match response {
                Value::Array(a) => a.iter().collect(),
                Value::Object(o) => o.values().collect(),
                other => {
                    return Err(invalid_response(format!(
                        "Only arrays accepted. The bad value is: '{}'",
                        php_string(other)
                    )));
                }
            };
            items
                .into_iter()
                .map(|item| clean_returnvalue(content, item, cx))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
    }
}

/// `webservice_rest_server::xmlize_result()`: the XML body of a cleaned value.
pub fn xmlize(value: &Value, desc: &Desc, out: &mut String) {
    match desc {
        Desc::Value { .. } => match value {
            Value::Null => out.push_str("<VALUE null=\"null\"/>\n"),
            Value::Bool(b) => {
                out.push_str("<VALUE>");
                out.push_str(if *b { "1" } else { "0" });
                out.push_str("</VALUE>\n");
            }
            other => {
                out.push_str("<VALUE>");
                out.push_str(&html_escape(&php_string(other)));
                out.push_str("</VALUE>\n");
            }
        },
        Desc::Multiple { content, .. } => {
            out.push_str("<MULTIPLE>\n");
            if let Value::Array(items) = value {
                for item in items {
                    xmlize(item, content, out);
                }
            }
            out.push_str("</MULTIPLE>\n");
        }
        Desc::Single { keys, .. } => {
            out.push_str("<SINGLE>\n");
            for (key, sub) in keys {
                let v = value.get(*key).unwrap_or(&Value::Null);
                out.push_str("<KEY name=\"");
                out.push_str(key);
                out.push_str("\">");
                xmlize(v, sub, out);
                out.push_str("</KEY>\n");
            }
            out.push_str("</SINGLE>\n");
        }
    }
}

/// `htmlspecialchars($s, ENT_COMPAT, 'UTF-8')`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const CX: CleanContext<'static> = CleanContext {
        wwwroot: "http://moodle.test",
        moodle: crate::version::MoodleVersion::V4_5,
    };

    fn contents_params() -> Desc {
        single(vec![
            ("courseid", int()),
            (
                "options",
                multiple(single(vec![("name", alpha()), ("value", raw())])).default(json!([])),
            ),
        ])
    }

    #[test]
    fn missing_required_key_is_named() {
        let err = validate_parameters(&contents_params(), &json!({}), CX).unwrap_err();
        assert_eq!(err.errorcode, "invalidparameter");
        assert_eq!(
            err.debuginfo.as_deref(),
            Some("Missing required key in single structure: courseid")
        );
    }

    #[test]
    fn bad_scalar_names_its_path_and_type() {
        let err =
            validate_parameters(&contents_params(), &json!({"courseid": "abc"}), CX).unwrap_err();
        assert_eq!(
            err.debuginfo.as_deref(),
            Some(
                "courseid => Invalid parameter value detected: Invalid external api parameter: the value is \"abc\", the server was expecting \"int\" type"
            )
        );
    }

    #[test]
    fn unexpected_keys_are_listed() {
        let err = validate_parameters(
            &contents_params(),
            &json!({"courseid": "2", "a": "1", "b": "2"}),
            CX,
        )
        .unwrap_err();
        assert_eq!(
            err.debuginfo.as_deref(),
            Some("Unexpected keys (a, b) detected in parameter array.")
        );
    }

    #[test]
    fn defaults_fill_in_and_values_are_typed() {
        let v = validate_parameters(&contents_params(), &json!({"courseid": "2"}), CX).unwrap();
        assert_eq!(v, json!({"courseid": 2, "options": []}));
    }

    #[test]
    fn nested_errors_carry_the_whole_path() {
        let desc = single(vec![(
            "courses",
            multiple(single(vec![("fullname", text()), ("categoryid", int())])),
        )]);
        let err = validate_parameters(&desc, &json!({"courses": {"0": {"fullname": "x"}}}), CX)
            .unwrap_err();
        assert_eq!(
            err.debuginfo.as_deref(),
            Some(
                "courses => Invalid parameter value detected: Missing required key in single structure: categoryid"
            )
        );
    }

    #[test]
    fn returns_are_ordered_typed_and_stripped() {
        let desc = single(vec![
            ("id", int()),
            ("name", text()),
            ("visible", boolean()),
            ("extra", int().optional()),
            ("format", text().default("topics")),
        ]);
        let out = clean_returnvalue(
            &desc,
            &json!({"name": 5, "id": "3", "visible": 1, "junk": 1}),
            CX,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({"id": 3, "name": "5", "visible": true, "format": "topics"})
        );
        let keys: Vec<_> = out.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["id", "name", "visible", "format"]);
    }

    #[test]
    fn xml_lists_every_described_key() {
        let desc = single(vec![
            ("a", int()),
            ("b", raw().optional()),
            ("c", boolean()),
        ]);
        let mut xml = String::new();
        xmlize(&json!({"a": 1, "c": true}), &desc, &mut xml);
        assert_eq!(
            xml,
            "<SINGLE>\n<KEY name=\"a\"><VALUE>1</VALUE>\n</KEY>\n<KEY name=\"b\"><VALUE null=\"null\"/>\n</KEY>\n<KEY name=\"c\"><VALUE>1</VALUE>\n</KEY>\n</SINGLE>\n"
        );
    }
}
