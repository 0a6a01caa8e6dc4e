//! `webservice/pluginfile.php`: serves a file to the token's user under the same access
//! rules as `file_pluginfile()` and the module `*_pluginfile()` callbacks, with
//! Moodle's 404 for anything missing or not allowed, and byte ranges.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;

use super::ajax::{auth_trace, authenticate, error_response};
use super::{Shared, request_vars, var};
use crate::errors::WsError;
use crate::state::files::OnDisk;
use crate::state::{ContextLevel, State as Db, StoredFile, User, now};

const JSON: &str = "application/json; charset=utf-8";

/// What to send.
struct Served {
    content: Arc<[u8]>,
    on_disk: Option<Arc<OnDisk>>,
    mimetype: String,
    filename: String,
    timemodified: i64,
    etag: String,
    force_download: bool,
}

pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let vars = request_vars(uri.query(), &headers, &body);
    let mut db = shared.db();
    let (debug, wwwroot) = (db.site.debug, db.site.wwwroot.clone());
    let result = find(&mut db, &uri, &vars);
    drop(db);
    match result {
        Ok(served) => send(
            served,
            &headers,
            var(&vars, "forcedownload").is_some_and(|v| v != "0" && !v.is_empty()),
        ),
        Err(err) => error_response(&err, JSON, debug, &wwwroot),
    }
}

fn find(db: &mut Db, uri: &Uri, vars: &crate::php::PhpArray) -> Result<Served, WsError> {
    let token = var(vars, "token").ok_or_else(|| WsError::missing_param("token"))?;
    let (user, service) = authenticate(db, token)
        .map_err(|e| e.thrown_at(auth_trace("webservice/pluginfile.php", 55)))?;
    if !service.downloadfiles {
        return Err(WsError::access(
            "Web service file downloading must be enabled in external service settings",
        ));
    }
    // get_file_argument(): slash arguments, else the `file` parameter.
    let path = uri
        .path()
        .strip_prefix("/webservice/pluginfile.php")
        .filter(|p| !p.is_empty())
        .map(percent_decode)
        .or_else(|| var(vars, "file").map(str::to_owned))
        .unwrap_or_default();
    resolve(db, &user, &path)
}

fn not_found(line: u32) -> WsError {
    WsError::file_not_found().thrown_at(format!(
        "* line 2161 of /lib/filelib.php: core\\exception\\moodle_exception thrown\n* line {line} of /lib/filelib.php: call to send_file_not_found()\n* line 65 of /webservice/pluginfile.php: call to file_pluginfile()\n"
    ))
}

/// `file_pluginfile($relativepath)`.
fn resolve(db: &Db, user: &User, relativepath: &str) -> Result<Served, WsError> {
    let args: Vec<&str> = relativepath.trim_start_matches('/').split('/').collect();
    if args.len() < 3 {
        return Err(not_found(4553));
    }
    let Ok(contextid) = args[0].parse::<i64>() else {
        return Err(not_found(4553));
    };
    let (component, filearea, rest) = (args[1], args[2], &args[3..]);
    let Some(context) = db.contexts.get(&contextid).cloned() else {
        return Err(not_found(4562));
    };
    let now = now();
    match (context.level, component, filearea) {
        (ContextLevel::User, "user", "private") => {
            // Only the owner, whoever else asks (file_pluginfile: "must force download - security!").
            if user.id != context.instanceid {
                return Err(not_found(4830));
            }
            let (filepath, filename) = split_path(rest);
            let file = db
                .find_file(contextid, "user", "private", 0, &filepath, &filename)
                .filter(|f| !f.is_dir())
                .ok_or_else(|| not_found(4837))?;
            Ok(served(file, true))
        }
        (ContextLevel::Module, "mod_resource", "content") => {
            let cm = db
                .cms
                .get(&context.instanceid)
                .ok_or_else(|| not_found(4970))?;
            db.require_course_login(user.id, cm.course, now)
                .map_err(|_| not_found(4970))?;
            if !cm.visible
                && !db.has_capability(user.id, "moodle/course:viewhiddenactivities", contextid)
            {
                return Err(not_found(4970));
            }
            // resource_pluginfile(): the first argument is a revision, ignored.
            let (filepath, filename) = split_path(rest.get(1..).unwrap_or_default());
            let file = db
                .find_file(
                    contextid,
                    "mod_resource",
                    "content",
                    0,
                    &filepath,
                    &filename,
                )
                .filter(|f| !f.is_dir())
                .ok_or_else(|| not_found(4970))?;
            Ok(served(file, false))
        }
        (ContextLevel::Module, "assignsubmission_file", "submission_files") => {
            let cm = db
                .cms
                .get(&context.instanceid)
                .ok_or_else(|| not_found(4970))?;
            db.require_course_login(user.id, cm.course, now)
                .map_err(|_| not_found(4970))?;
            let itemid: i64 = rest
                .first()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| not_found(4970))?;
            let submission = db.submissions.get(&itemid).ok_or_else(|| not_found(4970))?;
            let own = submission.userid == user.id;
            let grader = db.has_capability(user.id, "mod/assign:grade", contextid)
                || db.has_capability(user.id, "mod/assign:viewgrades", contextid);
            if !own && !grader {
                return Err(not_found(4970));
            }
            let (filepath, filename) = split_path(rest.get(1..).unwrap_or_default());
            let file = db
                .find_file(contextid, component, filearea, itemid, &filepath, &filename)
                .filter(|f| !f.is_dir())
                .ok_or_else(|| not_found(4970))?;
            Ok(served(file, true))
        }
        _ => Err(not_found(4553)),
    }
}

/// Splits `["a", "b", "c.txt"]` into (`/a/b/`, `c.txt`).
fn split_path(parts: &[&str]) -> (String, String) {
    match parts.split_last() {
        None => ("/".to_owned(), String::new()),
        Some((name, dirs)) => {
            let dirs: Vec<&str> = dirs.iter().copied().filter(|d| !d.is_empty()).collect();
            let path = if dirs.is_empty() {
                "/".to_owned()
            } else {
                format!("/{}/", dirs.join("/"))
            };
            (path, (*name).to_owned())
        }
    }
}

fn served(file: &StoredFile, force_download: bool) -> Served {
    Served {
        content: file.content.clone(),
        on_disk: file.on_disk.clone(),
        mimetype: file
            .mimetype
            .clone()
            .unwrap_or_else(|| "document/unknown".to_owned()),
        filename: file.filename.clone(),
        timemodified: file.timemodified,
        etag: file.contenthash.clone(),
        force_download,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes: Vec<u8> = form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned().into_bytes())
        .unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `send_stored_file()`: content type, disposition, validators and one byte range.
fn send(file: Served, headers: &HeaderMap, forcedownload: bool) -> Response {
    let total = file.on_disk.as_ref().map_or(file.content.len(), |d| {
        usize::try_from(d.size).unwrap_or(usize::MAX)
    });
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| parse_range(r, total));
    let (status, start, end) = match range {
        Some(Ok((s, e))) => (StatusCode::PARTIAL_CONTENT, s, e),
        Some(Err(())) => {
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{total}")) {
                resp.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return resp;
        }
        None => (StatusCode::OK, 0, total),
    };
    let body = match &file.on_disk {
        Some(d) => disk_body(&d.path, start, end),
        None => Body::from(Bytes::copy_from_slice(&file.content[start..end])),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let content_type = if file.mimetype.starts_with("text/") {
        format!("{}; charset=utf-8", file.mimetype)
    } else {
        file.mimetype.clone()
    };
    let disposition = if file.force_download || forcedownload {
        "attachment"
    } else {
        "inline"
    };
    let h = resp.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(header::CONTENT_TYPE, content_type);
    set(
        header::CONTENT_DISPOSITION,
        format!(
            "{disposition}; filename=\"{}\"",
            file.filename.replace('"', "")
        ),
    );
    set(header::ETAG, format!("\"{}\"", file.etag));
    set(header::LAST_MODIFIED, http_date(file.timemodified));
    set(header::ACCEPT_RANGES, "bytes".to_owned());
    set(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_owned());
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{total}", end - 1),
        );
    }
    resp
}

/// Bytes `start..end` of a file on disk, read as the client takes them (64 KiB at a time).
fn disk_body(path: &std::path::Path, start: usize, end: usize) -> Body {
    use tokio::io::{AsyncReadExt as _, AsyncSeekExt as _};
    let path = path.to_owned();
    let (start, len) = (start as u64, end.saturating_sub(start) as u64);
    let stream = futures_util::stream::once(async move {
        let mut file = tokio::fs::File::open(&path).await?;
        file.seek(std::io::SeekFrom::Start(start)).await?;
        Ok::<_, std::io::Error>(tokio_util::io::ReaderStream::with_capacity(
            file.take(len),
            64 * 1024,
        ))
    });
    Body::from_stream(futures_util::TryStreamExt::try_flatten(stream))
}

/// `bytes=a-b`, `bytes=a-` or `bytes=-n`: the half-open range, or an error when unsatisfiable.
fn parse_range(value: &str, total: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = value.strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let range = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: usize = n.parse().ok()?;
            if n == 0 {
                return Some(Err(()));
            }
            (total.saturating_sub(n), total)
        }
        (a, "") => (a.parse().ok()?, total),
        (a, b) => {
            let (a, b): (usize, usize) = (a.parse().ok()?, b.parse().ok()?);
            if b < a {
                return None;
            }
            (a, (b + 1).min(total))
        }
    };
    Some(if range.0 >= total { Err(()) } else { Ok(range) })
}

/// An RFC 7231 date.
fn http_date(timestamp: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = timestamp.div_euclid(86_400);
    let secs = timestamp.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or_default()];
    format!(
        "{weekday}, {day:02} {} {year} {:02}:{:02}:{:02} GMT",
        MONTHS[usize::try_from(month - 1).unwrap_or_default()],
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_match_rfc_7231() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_795_303_177), "Sat, 21 Nov 2026 23:19:37 GMT");
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 10))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 100))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn paths_split_into_directory_and_name() {
        assert_eq!(
            split_path(&["physics", "formulae.txt"]),
            ("/physics/".to_owned(), "formulae.txt".to_owned())
        );
        assert_eq!(split_path(&["a.txt"]), ("/".to_owned(), "a.txt".to_owned()));
    }
}
