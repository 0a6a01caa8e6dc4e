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
use crate::version::MoodleVersion;

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

/// `send_file_not_found()` called from `file_pluginfile()` at a line of 4.5's lib/filelib.php;
/// 5.0's lib/filelib.php has send_file_not_found() four lines and file_pluginfile() eleven lines
/// further down, which its debugging-mode stack trace shows.
fn not_found(moodle: MoodleVersion, line_in_4_5: u32) -> WsError {
    let (thrown, line) = if moodle.at_least_5_0() {
        (2165, line_in_4_5 + 11)
    } else {
        (2161, line_in_4_5)
    };
    WsError::file_not_found().thrown_at(format!(
        "* line {thrown} of /lib/filelib.php: core\\exception\\moodle_exception thrown\n* line {line} of /lib/filelib.php: call to send_file_not_found()\n* line 65 of /webservice/pluginfile.php: call to file_pluginfile()\n"
    ))
}

/// `file_pluginfile($relativepath)`.
fn resolve(db: &Db, user: &User, relativepath: &str) -> Result<Served, WsError> {
    let args: Vec<&str> = relativepath.trim_start_matches('/').split('/').collect();
    if args.len() < 3 {
        return Err(not_found(db.site.moodle, 4553));
    }
    let Ok(contextid) = args[0].parse::<i64>() else {
        return Err(not_found(db.site.moodle, 4553));
    };
    let (component, filearea, rest) = (args[1], args[2], &args[3..]);
    let Some(context) = db.contexts.get(&contextid).cloned() else {
        return Err(not_found(db.site.moodle, 4562));
    };
    let now = now();
    match (context.level, component, filearea) {
        (ContextLevel::User, "user", "private") => {
            // Only the owner, whoever else asks (file_pluginfile: "must force download - security!").
            if user.id != context.instanceid {
                return Err(not_found(db.site.moodle, 4830));
            }
            let (filepath, filename) = split_path(rest);
            let file = db
                .find_file(contextid, "user", "private", 0, &filepath, &filename)
                .filter(|f| !f.is_dir())
                .ok_or_else(|| not_found(db.site.moodle, 4837))?;
            Ok(served(file, true))
        }
        (ContextLevel::Module, "mod_resource", "content") => {
            let cm = db
                .cms
                .get(&context.instanceid)
                .ok_or_else(|| not_found(db.site.moodle, 4970))?;
            db.require_course_login(user.id, cm.course, now)
                .map_err(|_| not_found(db.site.moodle, 4970))?;
            if !cm.visible
                && !db.has_capability(user.id, "moodle/course:viewhiddenactivities", contextid)
            {
                return Err(not_found(db.site.moodle, 4970));
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
                .ok_or_else(|| not_found(db.site.moodle, 4970))?;
            Ok(served(file, false))
        }
        (ContextLevel::Module, "assignsubmission_file", "submission_files") => {
            let cm = db
                .cms
                .get(&context.instanceid)
                .ok_or_else(|| not_found(db.site.moodle, 4970))?;
            db.require_course_login(user.id, cm.course, now)
                .map_err(|_| not_found(db.site.moodle, 4970))?;
            let itemid: i64 = rest
                .first()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| not_found(db.site.moodle, 4970))?;
            // assignsubmission_file_pluginfile(): the submission with MUST_EXIST.
            let submission = db.submissions.get(&itemid).ok_or_else(|| {
                db.site.missing_record(
                    "assign_submission",
                    format!(
                        "SELECT userid,assignment,groupid FROM {{assign_submission}} WHERE id = ?\n[array (\n  0 => {itemid},\n)]"
                    ),
                )
            })?;
            let own = submission.userid == user.id;
            let grader = db.has_capability(user.id, "mod/assign:grade", contextid)
                || db.has_capability(user.id, "mod/assign:viewgrades", contextid);
            if !own && !grader {
                return Err(not_found(db.site.moodle, 4970));
            }
            let (filepath, filename) = split_path(rest.get(1..).unwrap_or_default());
            let file = db
                .find_file(contextid, component, filearea, itemid, &filepath, &filename)
                .filter(|f| !f.is_dir())
                .ok_or_else(|| not_found(db.site.moodle, 4970))?;
            Ok(served(file, true))
        }
        _ => Err(not_found(db.site.moodle, 4553)),
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

/// `BYTESERVING_BOUNDARY`.
const BOUNDARY: &str = "s1k2o3d4a5k6s7";

/// PHP's `default_charset`: a `text/*` type sent without a charset gets `;charset=UTF-8`.
fn php_content_type(value: &str) -> String {
    if value.starts_with("text/") && !value.contains("charset") {
        format!("{value};charset=UTF-8")
    } else {
        value.to_owned()
    }
}

/// `send_file()` and `readfile_accel()`: content type (`text/plain` gets `charset=utf-8`, an
/// unknown type is sent as `application/octet-stream`), validators answered with 304, and
/// byte ranges for every type but `text/plain` (`byteserving_send_file()`).
fn send(file: Served, headers: &HeaderMap, forcedownload: bool) -> Response {
    let total = file.on_disk.as_ref().map_or(file.content.len(), |d| {
        usize::try_from(d.size).unwrap_or(usize::MAX)
    });
    let mimetype = if file.mimetype == "document/unknown" {
        crate::state::mimetype_for(&file.filename)
            .replace("document/unknown", "application/octet-stream")
    } else {
        file.mimetype.clone()
    };
    let header_value = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let not_modified = match header_value(header::IF_NONE_MATCH) {
        Some(tag) => tag.trim_matches('"') == file.etag,
        None => header_value(header::IF_MODIFIED_SINCE)
            .and_then(|since| parse_http_date(since.split(';').next().unwrap_or_default()))
            .is_some_and(|since| since >= file.timemodified),
    };
    if not_modified {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        return resp;
    }
    let byteserving = mimetype != "text/plain";
    let ranges = if byteserving {
        header_value(header::RANGE).and_then(|r| php_ranges(&r, total))
    } else {
        None
    };
    let body_of = |start: usize, end: usize| -> Vec<u8> {
        match &file.on_disk {
            Some(d) => read_disk_range(&d.path, start, end),
            None => file.content[start..end].to_vec(),
        }
    };
    let (status, content_type, body, content_range) = match ranges.as_deref() {
        Some([(start, end)]) => (
            StatusCode::PARTIAL_CONTENT,
            php_content_type(&mimetype),
            Body::from(body_of(*start, *end + 1)),
            Some(format!("bytes {start}-{end}/{total}")),
        ),
        Some(several) => {
            let mut out = Vec::new();
            for (start, end) in several {
                out.extend_from_slice(
                    format!(
                        "\r\n--{BOUNDARY}\r\nContent-Type: {mimetype}\r\nContent-Range: bytes {start}-{end}/{total}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend(body_of(*start, *end + 1));
            }
            out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
            (
                StatusCode::PARTIAL_CONTENT,
                format!("multipart/byteranges; boundary={BOUNDARY}"),
                Body::from(out),
                None,
            )
        }
        None => {
            let content_type = if mimetype == "text/plain" {
                "text/plain; charset=utf-8".to_owned()
            } else {
                php_content_type(&mimetype)
            };
            let body = match &file.on_disk {
                Some(d) => disk_body(&d.path, 0, total),
                None => Body::from(Bytes::copy_from_slice(&file.content)),
            };
            (StatusCode::OK, content_type, body, None)
        }
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
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
    set(
        header::ACCEPT_RANGES,
        if byteserving { "bytes" } else { "none" }.to_owned(),
    );
    set(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_owned());
    if let Some(range) = content_range {
        set(header::CONTENT_RANGE, range);
    }
    resp
}

/// `readfile_accel()`'s reading of `Range`: `bytes=` then every `(\d*)-(\d*)`; a suffix
/// range counts from the end, an end past the file is clipped, and one range ending before
/// it starts drops them all (the whole file is sent). Inclusive (start, end) pairs.
fn php_ranges(value: &str, total: usize) -> Option<Vec<(usize, usize)>> {
    if !value.contains("bytes=") {
        return None;
    }
    let last = i128::try_from(total).unwrap_or(i128::MAX) - 1;
    let mut out = Vec::new();
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // The leftmost match of (\d*)-(\d*) starting at or after i.
        let Some(dash) = value[i..].find('-').map(|d| d + i) else {
            break;
        };
        let mut start = dash;
        while start > i && bytes[start - 1].is_ascii_digit() {
            start -= 1;
        }
        let mut end = dash + 1;
        while end < bytes.len() && bytes[end].is_ascii_digit() {
            end += 1;
        }
        let (a, b) = (&value[start..dash], &value[dash + 1..end]);
        let num = |s: &str| s.parse::<i128>().unwrap_or(i128::MAX);
        let (from, to) = if a.is_empty() {
            (
                i128::try_from(total).unwrap_or(0) - if b.is_empty() { 0 } else { num(b) },
                last,
            )
        } else if b.is_empty() || num(b) > last {
            (num(a), last)
        } else {
            (num(a), num(b))
        };
        if to < from || from < 0 {
            return None;
        }
        out.push((usize::try_from(from).ok()?, usize::try_from(to).ok()?));
        i = end.max(dash + 1);
    }
    (!out.is_empty()).then_some(out)
}

/// Bytes `start..end` of a file on disk (range answers are small).
fn read_disk_range(path: &std::path::Path, start: usize, end: usize) -> Vec<u8> {
    use std::io::{Read as _, Seek as _};
    let mut out = vec![0; end.saturating_sub(start)];
    if let Ok(mut f) = std::fs::File::open(path)
        && f.seek(std::io::SeekFrom::Start(start as u64)).is_ok()
    {
        let _ = f.read_exact(&mut out);
    }
    out
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

/// An RFC 7231 date back to a time stamp (`strtotime()` of `If-Modified-Since`).
fn parse_http_date(s: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let parts: Vec<&str> = s.split_whitespace().collect();
    let [_, day, month, year, time, _] = parts.as_slice() else {
        return None;
    };
    let day: i64 = day.parse().ok()?;
    let month = i64::try_from(MONTHS.iter().position(|m| m == month)?).ok()? + 1;
    let year: i64 = year.parse().ok()?;
    let hms: Vec<i64> = time.split(':').filter_map(|x| x.parse().ok()).collect();
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + sec)
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
    fn ranges_are_read_as_readfile_accel_reads_them() {
        assert_eq!(php_ranges("bytes=0-9", 100), Some(vec![(0, 9)]));
        assert_eq!(php_ranges("bytes=90-", 100), Some(vec![(90, 99)]));
        assert_eq!(php_ranges("bytes=-10", 100), Some(vec![(90, 99)]));
        assert_eq!(
            php_ranges("bytes=0-3,10-13", 100),
            Some(vec![(0, 3), (10, 13)])
        );
        assert_eq!(php_ranges("bytes=500-600", 98), None);
        assert_eq!(php_ranges("bytes=abc", 98), None);
        assert_eq!(php_ranges("items=0-1", 100), None);
    }

    #[test]
    fn a_text_type_without_charset_gets_phps_default() {
        assert_eq!(php_content_type("text/csv"), "text/csv;charset=UTF-8");
        assert_eq!(php_content_type("image/png"), "image/png");
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
