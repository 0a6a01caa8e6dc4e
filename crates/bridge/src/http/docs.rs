//! `/openapi.json` (OpenAPI 3.1, generated from the handlers' annotations, so every route
//! is in it) and `/docs`, a page rendered from that document on the server: no script,
//! font or style is fetched from anywhere, at build or run time.

use std::fmt::Write as _;

use serde_json::Value;

use crate::html::escape;

/// The page for `spec` (the OpenAPI document as JSON).
pub fn render(spec: &Value) -> String {
    let mut html = String::with_capacity(64 * 1024);
    let title = text(&spec["info"]["title"]);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><style>{STYLE}</style></head><body>\
         <h1>{title} <small>{}</small></h1><p>{}</p><p><a href=\"/openapi.json\">openapi.json</a></p>",
        text(&spec["info"]["version"]),
        text(&spec["info"]["description"]),
    );
    html.push_str("<nav><ul>");
    for (path, item) in entries(&spec["paths"]) {
        for (method, _) in operations(item) {
            let _ = write!(
                html,
                "<li><a href=\"#{}\"><span class=\"m {method}\">{}</span> {}</a></li>",
                anchor(method, path),
                method.to_uppercase(),
                escape(path)
            );
        }
    }
    html.push_str("</ul></nav><main>");
    for (path, item) in entries(&spec["paths"]) {
        for (method, op) in operations(item) {
            operation(&mut html, method, path, op);
        }
    }
    html.push_str("<h2>Schemas</h2>");
    for (name, schema) in entries(&spec["components"]["schemas"]) {
        let _ = write!(
            html,
            "<section id=\"schema-{0}\"><h3>{0}</h3>",
            escape(name)
        );
        schema_table(&mut html, schema);
        html.push_str("</section>");
    }
    html.push_str("</main></body></html>");
    html
}

fn operation(html: &mut String, method: &str, path: &str, op: &Value) {
    let _ = write!(
        html,
        "<section id=\"{}\"><h2><span class=\"m {method}\">{}</span> {}</h2><p>{}</p>",
        anchor(method, path),
        method.to_uppercase(),
        escape(path),
        text(&op["description"])
    );
    if let Some(security) = op["security"].as_array().filter(|s| !s.is_empty()) {
        let scopes: Vec<String> = security
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.values())
            .filter_map(Value::as_array)
            .flatten()
            .map(text)
            .collect();
        let _ = write!(
            html,
            "<p class=\"auth\">Bearer token with scope {}</p>",
            scopes.join(", ")
        );
    }
    if let Some(params) = op["parameters"].as_array().filter(|p| !p.is_empty()) {
        html.push_str("<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>");
        for p in params {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                text(&p["name"]),
                text(&p["in"]),
                type_of(&p["schema"]),
                if p["required"].as_bool() == Some(true) {
                    "yes"
                } else {
                    "no"
                },
                text(&p["description"])
            );
        }
        html.push_str("</table>");
    }
    if let Some(content) = op["requestBody"]["content"].as_object() {
        html.push_str("<h4>Body</h4><ul>");
        for (ct, media) in content {
            let _ = write!(
                html,
                "<li><code>{}</code> {}</li>",
                escape(ct),
                type_of(&media["schema"])
            );
        }
        let _ = write!(
            html,
            "</ul><p>{}</p>",
            text(&op["requestBody"]["description"])
        );
    }
    html.push_str(
        "<h4>Responses</h4><table><tr><th>status</th><th>body</th><th>description</th></tr>",
    );
    for (status, response) in entries(&op["responses"]) {
        let body: Vec<String> = response["content"]
            .as_object()
            .map(|c| c.values().map(|m| type_of(&m["schema"])).collect())
            .unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(status),
            body.join(", "),
            text(&response["description"])
        );
    }
    html.push_str("</table></section>");
}

fn schema_table(html: &mut String, schema: &Value) {
    let _ = write!(html, "<p>{}</p>", text(&schema["description"]));
    let Some(props) = schema["properties"].as_object() else {
        let _ = write!(html, "<p>{}</p>", type_of(schema));
        return;
    };
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    html.push_str(
        "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>",
    );
    for (name, prop) in props {
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
            type_of(prop),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                "no"
            },
            text(&prop["description"])
        );
    }
    html.push_str("</table>");
}

/// A short, linked description of a schema's type.
fn type_of(schema: &Value) -> String {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[key].as_array() {
            return options.iter().map(type_of).collect::<Vec<_>>().join(" | ");
        }
    }
    let kind = match &schema["type"] {
        Value::Array(types) => types.iter().map(text).collect::<Vec<_>>().join(" | "),
        other => text(other),
    };
    if kind.contains("array") {
        return format!("{kind} of {}", type_of(&schema["items"]));
    }
    if kind.is_empty() {
        "any".to_owned()
    } else {
        kind
    }
}

fn operations(item: &Value) -> Vec<(&str, &Value)> {
    ["get", "post", "put", "patch", "delete"]
        .into_iter()
        .filter_map(|m| item.get(m).map(|op| (m, op)))
        .collect()
}

fn entries(v: &Value) -> Vec<(&str, &Value)> {
    v.as_object()
        .map(|o| o.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn anchor(method: &str, path: &str) -> String {
    let slug: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{method}{slug}")
}

fn text(v: &Value) -> String {
    escape(v.as_str().unwrap_or_default())
}

const STYLE: &str = "body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d2125}\
h1 small{font-size:.6em;color:#6a737b}nav ul{columns:2;list-style:none;padding:0}section{border-top:1px solid #dee2e6;margin-top:1.5rem}\
table{border-collapse:collapse;width:100%}td,th{border:1px solid #dee2e6;padding:.3rem .5rem;text-align:left;vertical-align:top}\
code{background:#f1f3f5;padding:0 .2rem}.m{display:inline-block;min-width:4rem;font-weight:600}.get{color:#0b7285}\
.post{color:#2b8a3e}.patch{color:#e67700}.delete{color:#c92a2a}.auth{color:#6a737b}a{color:#0f6cbf}";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_page_lists_each_operation_and_escapes_text() {
        let spec = json!({
            "info": {"title": "T<1>", "version": "1"},
            "paths": {"/a/{id}": {"get": {"description": "x & y", "responses": {"200": {"description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}}}}}},
            "components": {"schemas": {"A": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}}}
        });
        let html = render(&spec);
        assert!(html.contains("T&lt;1&gt;"));
        assert!(html.contains("<span class=\"m get\">GET</span> /a/{id}"));
        assert!(html.contains("x &amp; y"));
        assert!(html.contains("<a href=\"#schema-A\">A</a>"));
        assert!(
            !html.contains("http://") && !html.contains("https://"),
            "nothing fetched from outside"
        );
    }
}
