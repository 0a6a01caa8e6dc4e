//! `mod/lti/services.php`: the LTI service dispatcher. A request goes to the first resource
//! whose formats accept it (`Accept` for GET, `Content-Type` otherwise) and whose template
//! matches the path (`lti_get_services()` order: gradebook line item, line items, results,
//! scores, then context memberships); the resource checks the bearer token
//! (`get_oauth_key_from_headers()`: an unexpired `lti_access_tokens` row, of the type in the
//! URL when one is given, with one of the resource's scopes) and the service's permitted
//! scopes. `response.php` decides the answer: a body with the resource's content type, or
//! for 4xx/5xx without a body `{"status","reason","request"}` as JSON.

mod gradebook;
mod memberships;
mod scores;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::response::Response;
use serde_json::json;

use super::http;
use crate::endpoints::{Shared, request_vars, var};
use crate::php::PhpArray;
use crate::state::{State as Db, now};

/// A service request, as the resources see it.
pub struct Request {
    method: Method,
    /// `PATH_INFO`.
    path: String,
    /// `REQUEST_URI`.
    uri: String,
    vars: PhpArray,
    accept: Option<String>,
    content_type: String,
    authorization: String,
    body: Bytes,
}

impl Request {
    /// A query parameter.
    fn param(&self, name: &str) -> Option<&str> {
        var(&self.vars, name)
    }

    /// A query parameter as `PARAM_INT` reads it (absent: `None`).
    fn int(&self, name: &str) -> Option<i64> {
        self.param(name).map(crate::external::param::php_intval)
    }

    /// The `{name}` segments of the path for a template.
    fn segments(&self) -> Vec<&str> {
        self.path.split('/').collect()
    }

    /// `get_oauth_key_from_headers($typeid, $scopes)`: the tool type of a valid bearer token.
    fn bearer_type(&self, db: &Db, typeid: Option<i64>, scopes: &[&str]) -> Option<i64> {
        let token = self.authorization.strip_prefix("Bearer ")?.trim();
        let row = db.lti.access_tokens.get(token)?;
        if typeid.is_some_and(|t| t != row.typeid) {
            return None;
        }
        (row.validuntil > now() && scopes.iter().any(|s| row.scopes.iter().any(|g| g == s)))
            .then_some(row.typeid)
    }

    /// `resource_base::check_tool()`: the token's type, when the service permits the scopes.
    fn check_tool(
        &self,
        db: &Db,
        typeid: Option<i64>,
        scopes: &[&str],
        permitted: fn(&super::ToolType) -> Vec<&'static str>,
    ) -> Option<i64> {
        let typeid = self.bearer_type(db, typeid, scopes)?;
        let tool = db.lti.types.get(&typeid)?;
        let permitted = permitted(tool);
        scopes
            .iter()
            .any(|s| permitted.contains(s))
            .then_some(typeid)
    }
}

/// `\mod_lti\local\ltiservice\response`.
pub struct Reply {
    code: u16,
    reason: String,
    content_type: String,
    body: String,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A status with Moodle's reason phrase (or the given one).
    fn status(code: u16, reason: &str) -> Reply {
        Reply {
            code,
            reason: reason.to_owned(),
            content_type: String::new(),
            body: String::new(),
            headers: Vec::new(),
        }
    }

    /// A body with a content type and a status.
    fn body(code: u16, content_type: &str, body: String) -> Reply {
        Reply {
            content_type: content_type.to_owned(),
            body,
            ..Reply::status(code, "")
        }
    }

    fn reason(&self) -> &str {
        if !self.reason.is_empty() {
            return &self.reason;
        }
        match self.code {
            200 => "OK",
            201 => "Created",
            400 => "Bad Request",
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "Not Found",
            405 => "Method Not Allowed",
            409 => "Conflict",
            _ => "Internal Server Error",
        }
    }

    /// `response::send()`.
    fn send(self, req: &Request) -> Response {
        let mut resp = if (200..300).contains(&self.code) || !self.body.is_empty() {
            let ct = if self.content_type.is_empty() {
                "text/html; charset=utf-8".to_owned()
            } else {
                format!("{}; charset=utf-8", self.content_type)
            };
            http::answer(self.code, &ct, self.body.clone())
        } else {
            let mut request = json!({"method": req.method.as_str(), "url": req.uri});
            if let Some(accept) = &req.accept {
                request["accept"] = accept.as_str().into();
            }
            request["contentType"] = req.content_type.as_str().into();
            let body = json!({"status": self.code, "reason": self.reason(), "request": request});
            http::json_pretty(self.code, "application/json; charset=utf-8", &body)
        };
        for (name, value) in self.headers {
            if let Ok(v) = HeaderValue::from_bytes(value.as_bytes()) {
                resp.headers_mut().append(name, v);
            }
        }
        resp
    }
}

/// A resource: its template, formats and methods (`resource_base`).
struct Resource {
    template: &'static str,
    formats: &'static [&'static str],
    methods: &'static [&'static str],
    run: fn(&mut Db, &Request, Reply) -> Reply,
}

const RESOURCES: &[Resource] = &[
    Resource {
        template: "/{context_id}/lineitems/{item_id}/lineitem",
        formats: &["application/vnd.ims.lis.v2.lineitem+json"],
        methods: &["GET", "PUT", "DELETE"],
        run: gradebook::lineitem,
    },
    Resource {
        template: "/{context_id}/lineitems",
        formats: &[
            "application/vnd.ims.lis.v2.lineitemcontainer+json",
            "application/vnd.ims.lis.v2.lineitem+json",
        ],
        methods: &["GET", "POST"],
        run: gradebook::lineitems,
    },
    Resource {
        template: "/{context_id}/lineitems/{item_id}/lineitem/results",
        formats: &["application/vnd.ims.lis.v2.resultcontainer+json"],
        methods: &["GET"],
        run: scores::results,
    },
    Resource {
        template: "/{context_id}/lineitems/{item_id}/lineitem/scores",
        formats: &[
            "application/vnd.ims.lis.v1.scorecontainer+json",
            "application/vnd.ims.lis.v1.score+json",
        ],
        methods: &["POST"],
        run: scores::scores,
    },
    Resource {
        template: "/{context_type}/{context_id}/bindings/{tool_code}/memberships",
        formats: &[
            "application/vnd.ims.lis.v2.membershipcontainer+json",
            "application/vnd.ims.lti-nrps.v2.membershipcontainer+json",
        ],
        methods: &["GET"],
        run: memberships::context_memberships,
    },
];

/// Whether a path matches a template (`{name}` stands for one non-empty segment).
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter().zip(&p).all(|(t, p)| {
            if t.starts_with('{') {
                !p.is_empty()
            } else {
                t == p
            }
        })
}

/// `services.php`.
pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let h = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let is_get = method == Method::GET;
    let req = Request {
        path: uri
            .path()
            .strip_prefix("/mod/lti/services.php")
            .unwrap_or_default()
            .to_owned(),
        uri: uri
            .path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        vars: request_vars(uri.query(), &HeaderMap::new(), &[]),
        accept: h(header::ACCEPT),
        content_type: h(header::CONTENT_TYPE)
            .map(|c| c.split(';').next().unwrap_or_default().trim().to_owned())
            .unwrap_or_default(),
        authorization: h(header::AUTHORIZATION).unwrap_or_default(),
        body,
        method,
    };
    let accept = if is_get {
        req.accept.clone().unwrap_or_default()
    } else {
        String::new()
    };
    let found = RESOURCES.iter().find(|r| {
        let format_ok = if is_get {
            accept.is_empty() || accept.contains("*/*") || r.formats.contains(&accept.as_str())
        } else {
            req.method == Method::DELETE || r.formats.contains(&req.content_type.as_str())
        };
        format_ok && matches(r.template, &req.path)
    });
    // The response's content type starts as the request's (set_content_type()) for writes.
    let start = Reply {
        content_type: if is_get {
            String::new()
        } else {
            req.content_type.clone()
        },
        ..Reply::status(200, "")
    };
    let reply = match found {
        None => Reply::status(
            400,
            &format!(
                "No handler found for {} {accept} {}",
                req.path,
                if is_get {
                    ""
                } else {
                    req.content_type.as_str()
                }
            ),
        ),
        Some(r) if !r.methods.contains(&req.method.as_str()) => Reply::status(405, ""),
        Some(r) => (r.run)(&mut shared.db(), &req, start),
    };
    reply.send(&req)
}
