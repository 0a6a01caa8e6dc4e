//! What Moodle's AJAX-style scripts (`login/token.php`, `webservice/upload.php`,
//! `webservice/pluginfile.php`) share: the error body of `core_renderer_ajax::fatal_error`
//! and `webservice::authenticate_user()`.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::with_type;
use crate::errors::WsError;
use crate::php_json;
use crate::state::{SYSTEM_CONTEXT, Service, State, User, now};

/// `{error, errorcode, stacktrace, debuginfo, reproductionlink}` with the HTTP status of
/// the exception (200, or 404 for a missing file).
pub fn error_response(
    err: &WsError,
    content_type: &'static str,
    debug: bool,
    wwwroot: &str,
) -> Response {
    let status = StatusCode::from_u16(err.http_status).unwrap_or(StatusCode::OK);
    let body = if debug {
        let link = if err.errorcode == "filenotfound" {
            format!("{wwwroot}/course/view.php?id=1")
        } else {
            format!("{wwwroot}/")
        };
        json!({
            "error": err.message,
            "errorcode": err.errorcode,
            "stacktrace": err.stacktrace,
            "debuginfo": format!("{}\nError code: {}", err.debuginfo.as_deref().unwrap_or_default(), err.errorcode),
            "reproductionlink": link,
        })
    } else {
        json!({
            "error": err.message,
            "errorcode": err.errorcode,
            "stacktrace": Value::Null,
            "debuginfo": Value::Null,
            "reproductionlink": Value::Null,
        })
    };
    with_type(status, content_type, php_json::encode(&body))
}

/// The stack trace of an exception thrown in `webservice::authenticate_user()` when
/// called from a script at a line.
pub fn auth_trace(script: &str, line: u32) -> String {
    format!(
        "* line 81 of /webservice/lib.php: core\\exception\\moodle_exception thrown\n* line {line} of /{script}: call to webservice->authenticate_user()\n"
    )
}

/// `webservice::authenticate_user($token)`: the token's user and service.
///
/// # Errors
/// `invalidtoken`, expiry and IP restriction, maintenance, disabled service.
pub fn authenticate(db: &mut State, token: &str) -> Result<(User, Service), WsError> {
    if !db.site.webservices {
        return Err(WsError::access(
            "Web services are not enabled in Advanced features.",
        ));
    }
    let Some(found) = db.tokens.get(token).cloned() else {
        return Err(WsError::invalid_token());
    };
    if found.validuntil != 0 && found.validuntil < now() {
        db.tokens.remove(token);
        return Err(WsError::access(
            "Invalid token - token expired - check validuntil time for the token",
        ));
    }
    if !found.iprestriction.is_empty() && !address_in_subnet("127.0.0.1", &found.iprestriction) {
        return Err(WsError::access(
            "Invalid token - IP:127.0.0.1 is not supported",
        ));
    }
    let user = db
        .live_user(found.userid)
        .cloned()
        .ok_or_else(|| db.site.missing_record_by_id("user", found.userid))?;
    if db.site.maintenance
        && !db.has_capability(user.id, "moodle/site:maintenanceaccess", SYSTEM_CONTEXT)
    {
        return Err(WsError::moodle(
            "sitemaintenance",
            "The site is undergoing maintenance and is currently not available",
        ));
    }
    let service = db
        .services
        .get(&found.serviceid)
        .filter(|s| s.enabled)
        .cloned()
        .ok_or_else(|| {
            WsError::access("Web service is not available (it doesn't exist or might be disabled)")
        })?;
    Ok((user, service))
}

/// `address_in_subnet()` for the forms Moodle accepts: exact addresses, `a.b.c.d/nn`
/// ranges, `a.b.c.` prefixes and `a.b.c.d-e` ranges, comma separated.
pub fn address_in_subnet(addr: &str, subnets: &str) -> bool {
    let Ok(ip) = addr.parse::<std::net::Ipv4Addr>() else {
        return false;
    };
    let ip = u32::from(ip);
    subnets
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .any(|subnet| {
            if let Some((net, bits)) = subnet.split_once('/') {
                let (Ok(net), Ok(bits)) = (net.parse::<std::net::Ipv4Addr>(), bits.parse::<u32>())
                else {
                    return false;
                };
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits.min(32))
                };
                (u32::from(net) & mask) == (ip & mask)
            } else if let Some((start, end)) = subnet.rsplit_once('-') {
                let Some((prefix, first)) = start.rsplit_once('.') else {
                    return false;
                };
                let (Ok(first), Ok(last)) = (first.parse::<u32>(), end.parse::<u32>()) else {
                    return false;
                };
                let octets: Vec<&str> = addr.rsplitn(2, '.').collect();
                octets.len() == 2
                    && octets[1] == prefix
                    && octets[0]
                        .parse::<u32>()
                        .is_ok_and(|o| (first..=last).contains(&o))
            } else if subnet.ends_with('.') {
                addr.starts_with(subnet)
            } else {
                addr == subnet
            }
        })
}

#[cfg(test)]
mod tests {
    use super::address_in_subnet;

    #[test]
    fn subnet_forms() {
        assert!(address_in_subnet("127.0.0.1", "127.0.0.1"));
        assert!(address_in_subnet("127.0.0.1", "10.0.0.1, 127.0.0.0/8"));
        assert!(address_in_subnet("127.0.0.1", "127.0."));
        assert!(address_in_subnet("127.0.0.1", "127.0.0.1-5"));
        assert!(!address_in_subnet("127.0.0.1", "192.168.1.0/24"));
        assert!(!address_in_subnet("127.0.0.1", "127.0.0.2-5"));
    }
}
