//! `webservice/upload.php`: multipart files into the token user's draft area, one draft
//! item id per upload (or the one given), per-file errors in the answer.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::ajax::{auth_trace, authenticate, error_response};
use super::{Shared, var, with_type};
use crate::errors::WsError;
use crate::external::param::{ParamType, php_intval};
use crate::php::{self, PhpArray, PhpValue};
use crate::php_json;
use crate::state::{ContextLevel, State as Db, files::NewFile};

const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
const JSON: &str = "application/json; charset=utf-8";

/// A file part of the upload, read into memory as PHP writes it to a temporary file.
struct UploadedFile {
    name: String,
    content: Vec<u8>,
    too_big: bool,
}

pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let php_max = shared.db().site.php_upload_max;
    let (vars, files) = match read_multipart(&headers, body, php_max).await {
        Ok((mut vars, files)) => {
            // required_param()/optional_param() read $_POST, then $_GET.
            let query = php::parse(uri.query().unwrap_or_default().as_bytes());
            for (k, v) in query {
                vars.entry(k).or_insert(v);
            }
            (vars, files)
        }
        Err(err) => {
            let db = shared.db();
            return error_response(&err, TEXT_PLAIN, db.site.debug, &db.site.wwwroot);
        }
    };
    // `$OUTPUT->header()` of an AJAX script: text/plain when files were posted.
    let content_type = if files.is_empty() { JSON } else { TEXT_PLAIN };
    let mut db = shared.db();
    let (debug, wwwroot) = (db.site.debug, db.site.wwwroot.clone());
    let result = store(&mut db, &vars, files);
    drop(db);
    match result {
        Ok(list) => with_type(StatusCode::OK, content_type, php_json::encode(&list)),
        Err(err) => error_response(&err, content_type, debug, &wwwroot),
    }
}

async fn read_multipart(
    headers: &HeaderMap,
    body: Body,
    php_max: i64,
) -> Result<(PhpArray, Vec<UploadedFile>), WsError> {
    let mut vars = PhpArray::new();
    let mut files = Vec::new();
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok());
    let Some(boundary) = boundary else {
        // Not multipart: PHP reads a url-encoded body into $_POST only.
        let bytes = axum::body::to_bytes(body, super::MAX_BODY)
            .await
            .unwrap_or_default();
        if headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
        {
            php::parse_into(&mut vars, &bytes);
        }
        return Ok((vars, files));
    };
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    let limit = usize::try_from(php_max).unwrap_or(usize::MAX);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Err(WsError::moodle(
                    "upload_error_partial",
                    "The uploaded file was only partially uploaded.",
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            None => {
                let text = field.text().await.unwrap_or_default();
                php::register(&mut vars, &name, PhpValue::Str(text));
            }
            Some(filename) => {
                let mut content = Vec::new();
                let mut too_big = false;
                let mut field = field;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if content.len() + chunk.len() > limit {
                                too_big = true;
                            } else {
                                content.extend_from_slice(&chunk);
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            return Err(WsError::moodle(
                                "upload_error_partial",
                                "The uploaded file was only partially uploaded.",
                            ));
                        }
                    }
                }
                if too_big {
                    return Err(WsError::moodle(
                        "upload_error_ini_size",
                        "The file is larger than the maximum size allowed.",
                    ));
                }
                files.push(UploadedFile {
                    // PHP's multipart parser keeps only the last path component of the name.
                    name: filename
                        .rsplit(['/', '\\'])
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                    content,
                    too_big,
                });
            }
        }
    }
    Ok((vars, files))
}

fn store(db: &mut Db, vars: &PhpArray, files: Vec<UploadedFile>) -> Result<Value, WsError> {
    let filepath = var(vars, "filepath").map_or_else(
        || "/".to_owned(),
        |p| {
            ParamType::Path
                .clean(&Value::from(p), &db.site.wwwroot)
                .as_str()
                .unwrap_or("/")
                .to_owned()
        },
    );
    let itemid = var(vars, "itemid").map_or(0, php_intval);
    let token = var(vars, "token").ok_or_else(|| WsError::missing_param("token"))?;
    let (user, service) = authenticate(db, token)
        .map_err(|e| e.thrown_at(auth_trace("webservice/upload.php", 58)))?;
    if !service.uploadfiles {
        return Err(WsError::access(
            "Web service file upload must be enabled in external service settings",
        ));
    }
    let context = db
        .context_id(ContextLevel::User, user.id)
        .ok_or_else(|| db.site.missing_record_by_id("context", user.id))?;
    let maxbytes = if db.site.maxbytes > 0 {
        db.site.maxbytes.min(db.site.php_upload_max)
    } else {
        db.site.php_upload_max
    };
    let itemid = if itemid <= 0 {
        db.unused_draft_itemid(context)
    } else {
        itemid
    };
    let total: i64 = files
        .iter()
        .filter(|f| !f.too_big)
        .map(|f| i64::try_from(f.content.len()).unwrap_or(i64::MAX))
        .sum();
    if !user.siteadmin && total > maxbytes {
        return Err(WsError::new(
            "file_exception",
            "userquotalimit",
            "You have reached your file quota limit.",
        ));
    }
    let mut results = Vec::new();
    for file in files {
        let filename = ParamType::File
            .clean(&Value::from(file.name.as_str()), &db.site.wwwroot)
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let size = i64::try_from(file.content.len()).unwrap_or(i64::MAX);
        // 5.0's webservice/upload.php times the antivirus scan of each file and reports it
        // first in a refused file's record; no antivirus is configured (as on the recorded
        // site), so the scan is nothing and takes next to no time.
        let scan = std::time::Instant::now();
        let mut refused = serde_json::Map::new();
        if db.site.moodle.at_least_5_0() {
            refused.insert("avscantime".into(), json!(scan.elapsed().as_secs_f64()));
        }
        refused.insert("filename".into(), json!(filename));
        if size > maxbytes {
            refused.insert("errortype".into(), json!("fileoversized"));
            refused.insert("error".into(), json!("[[maxbytes]]"));
            results.push(Value::Object(refused));
            continue;
        }
        // file_exists() hashes the path with slashes added around it.
        let hashed = format!(
            "{}{filepath}{}",
            if filepath.starts_with('/') { "" } else { "/" },
            if filepath.ends_with('/') { "" } else { "/" }
        );
        if db
            .find_file(context, "user", "draft", itemid, &hashed, &filename)
            .is_some()
        {
            // The answer is the upload's own record: its name, PHP's temporary file and size.
            refused.insert("filepath".into(), json!(php_upload_tmp_name()));
            refused.insert("size".into(), json!(size));
            refused.insert("errortype".into(), json!("filenameexist"));
            refused.insert(
                "error".into(),
                json!(format!("File name already exists: {filename}")),
            );
            results.push(Value::Object(refused));
            continue;
        }
        // file_storage::create_file_from_pathname(): the path must start and end with '/'.
        if !filepath.starts_with('/') || !filepath.ends_with('/') {
            return Err(WsError::new(
                "file_exception",
                "storedfileproblem",
                "Unknown exception related to local files (Invalid file path)",
            ));
        }
        let source = format!(
            "O:8:\"stdClass\":1:{{s:6:\"source\";s:{}:\"{filename}\";}}",
            filename.len()
        );
        db.create_file(
            NewFile {
                contextid: context,
                component: "user",
                filearea: "draft",
                itemid,
                filepath: &filepath,
                filename: &filename,
                userid: Some(user.id),
                author: Some(user.fullname()),
                license: Some("unknown".to_owned()),
                source: Some(source.clone()),
            },
            Arc::from(file.content),
        );
        results.push(json!({
            "component": "user",
            "contextid": context,
            "userid": user.id.to_string(),
            "filearea": "draft",
            "filename": filename,
            "filepath": filepath,
            "itemid": itemid,
            "license": "unknown",
            "author": user.fullname(),
            "source": source,
            "filesize": size,
        }));
    }
    Ok(Value::Array(results))
}

/// The temporary file PHP wrote an upload to: `/tmp/php` and six random letters and digits.
fn php_upload_tmp_name() -> String {
    use rand::Rng as _;
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..6)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect();
    format!("/tmp/php{tail}")
}
