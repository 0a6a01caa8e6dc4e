//! A case as bytes on the wire for one route: the path, the body and its content type, the
//! `Authorization` value.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use super::Route;
use super::input::{Auth, Body, Breakage, Key, Pools};
use crate::helpers::{SHARED_SECRET, TestApp};

/// JSON text for `schema`, its values taken from the pools in turn.
pub(super) fn typed_text(
    schema: &Value,
    schemas: &Value,
    pools: &Pools,
    n: &mut usize,
    depth: u32,
) -> String {
    if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        return typed_text(&schemas[name], schemas, pools, n, depth);
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(first) = schema[combinator].as_array().and_then(|a| {
            let i = Pools::take(&pools.picks, n);
            (!a.is_empty()).then(|| a[i.index(a.len())].clone())
        }) {
            return typed_text(&first, schemas, pools, n, depth);
        }
    }
    if let Some(choices) = schema["enum"].as_array().filter(|c| !c.is_empty()) {
        return choices[Pools::take(&pools.picks, n).index(choices.len())].to_string();
    }
    let kind = match &schema["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ => "object",
    };
    match kind {
        "string" => Value::String(Pools::take(&pools.strings, n)).to_string(),
        "integer" | "number" => Pools::take(&pools.numbers, n).to_owned(),
        "boolean" => Pools::take(&pools.bools, n).to_string(),
        "array" if depth < 4 => {
            let len = Pools::take(&pools.picks, n).index(4);
            let items: Vec<String> = (0..len)
                .map(|_| typed_text(&schema["items"], schemas, pools, n, depth + 1))
                .collect();
            format!("[{}]", items.join(","))
        }
        "object" if depth < 4 => {
            let mut members = Vec::new();
            for (name, member) in schema["properties"].as_object().into_iter().flatten() {
                if !Pools::take(&pools.omit, n) {
                    let value = typed_text(member, schemas, pools, n, depth + 1);
                    members.push(format!("{}:{value}", Value::from(name.as_str())));
                }
            }
            format!("{{{}}}", members.join(","))
        }
        _ => "null".to_owned(),
    }
}

/// Every byte but the unreserved ones percent-encoded.
pub(super) fn encode_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub(super) fn key_name(key: &Key, names: &[String]) -> String {
    match key {
        Key::Known(i) if !names.is_empty() => names[i.index(names.len())].clone(),
        Key::Known(_) => "q".to_owned(),
        Key::Random(s) => s.clone(),
    }
}

pub(super) fn fields_text(fields: &[String], values: &[String]) -> String {
    let names: Vec<String> = if fields.is_empty() {
        vec!["x".to_owned()]
    } else {
        fields.to_vec()
    };
    let members: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            format!(
                "{}:{}",
                Value::from(name.as_str()),
                values[i % values.len()]
            )
        })
        .collect();
    format!("{{{}}}", members.join(","))
}

/// The body bytes and the content type it would normally travel with.
pub(super) fn render_body(body: &Body, route: &Route) -> (Vec<u8>, Option<String>) {
    let json = Some("application/json".to_owned());
    match body {
        Body::Empty => (Vec::new(), None),
        Body::Bytes(b) => (b.clone(), Some("application/octet-stream".to_owned())),
        Body::Json(v) => (v.to_string().into_bytes(), json),
        Body::Fields(values) => (fields_text(&route.fields, values).into_bytes(), json),
        Body::Truncated(values, at) => {
            let mut text = fields_text(&route.fields, values).into_bytes();
            text.truncate(at.index(text.len()));
            (text, json)
        }
        Body::Typed(pools) => (
            typed_text(&route.schema, &route.schemas, pools, &mut 0, 0).into_bytes(),
            json,
        ),
        Body::Form(pairs) => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in pairs {
                form.append_pair(&key_name(k, &route.params), v);
            }
            (
                form.finish().into_bytes(),
                Some("application/x-www-form-urlencoded".to_owned()),
            )
        }
        Body::Multipart(m) => {
            let mut out = Vec::new();
            if let Breakage::GarbageBefore(g) = &m.breakage {
                out.extend_from_slice(g);
            }
            for (name, filename, data) in &m.parts {
                out.extend_from_slice(format!("--{}\r\n", m.boundary).as_bytes());
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"").as_bytes(),
                );
                if let Some(f) = filename {
                    out.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
                }
                out.extend_from_slice(b"\r\nContent-Type: application/octet-stream\r\n\r\n");
                out.extend_from_slice(data);
                out.extend_from_slice(b"\r\n");
            }
            if !matches!(m.breakage, Breakage::NoClosingBoundary) {
                out.extend_from_slice(format!("--{}--\r\n", m.boundary).as_bytes());
            }
            if let Breakage::CutAt(at) = &m.breakage {
                out.truncate(at.index(out.len()));
            }
            let content_type = match m.breakage {
                Breakage::OtherBoundaryInHeader => "multipart/form-data; boundary=other".to_owned(),
                Breakage::NoBoundaryInHeader => "multipart/form-data".to_owned(),
                _ => format!("multipart/form-data; boundary={}", m.boundary),
            };
            (out, Some(content_type))
        }
    }
}

pub(super) fn authorization(auth: &Auth, app: &TestApp, read_only: &str) -> Option<String> {
    match auth {
        Auth::None => None,
        Auth::Valid => Some(format!("Bearer {}", app.token)),
        Auth::ReadOnly => Some(format!("Bearer {read_only}")),
        Auth::Raw(s) => Some(s.clone()),
        Auth::JwtLike(alg, kid, claims, signature) => {
            let mut header = serde_json::json!({"alg": alg, "typ": "JWT"});
            if let Some(kid) = kid {
                header["kid"] = Value::from(kid.as_str());
            }
            Some(format!(
                "Bearer {}.{}.{}",
                URL_SAFE_NO_PAD.encode(header.to_string()),
                URL_SAFE_NO_PAD.encode(claims.to_string()),
                URL_SAFE_NO_PAD.encode(signature)
            ))
        }
        Auth::Shared(claims) => jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SHARED_SECRET.as_bytes()),
        )
        .ok()
        .map(|t| format!("Bearer {t}")),
    }
}
