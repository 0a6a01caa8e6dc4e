//! `core_webservice_get_site_info` (`webservice/externallib.php`).

use serde_json::{Value, json};

use super::{Call, FunctionDef};
use crate::errors::WsError;
use crate::external::desc::*;
use crate::state::{ContextLevel, SITE_ID, SYSTEM_CONTEXT};

pub(super) fn functions() -> Vec<FunctionDef> {
    vec![FunctionDef {
        name: "core_webservice_get_site_info",
        params: || {
            single(vec![(
                "serviceshortnames",
                multiple(alphanumext()).default(json!([])),
            )])
        },
        returns: || Some(returns()),
        run: get_site_info,
        write: false,
    }]
}

fn returns() -> Desc {
    single(vec![
        ("sitename", raw()),
        ("username", raw()),
        ("firstname", text()),
        ("lastname", text()),
        ("fullname", text()),
        ("lang", lang()),
        ("userid", int()),
        ("siteurl", raw()),
        ("userpictureurl", url()),
        (
            "functions",
            multiple(single(vec![("name", raw()), ("version", text())])),
        ),
        ("downloadfiles", int().optional()),
        ("uploadfiles", int().optional()),
        ("release", text().optional()),
        ("version", text().optional()),
        ("mobilecssurl", url().optional()),
        (
            "advancedfeatures",
            multiple(single(vec![("name", alphanumext()), ("value", int())])).optional(),
        ),
        ("usercanmanageownfiles", boolean().optional()),
        ("userquota", int().optional()),
        ("usermaxuploadfilesize", int().optional()),
        ("userhomepage", int().optional()),
        ("userhomepageurl", localurl().optional()),
        ("userprivateaccesskey", alphanum().optional()),
        ("siteid", int().optional()),
        ("sitecalendartype", plugin().optional()),
        ("usercalendartype", plugin().optional()),
        ("userissiteadmin", boolean().optional()),
        ("theme", theme().optional()),
        ("limitconcurrentlogins", int().optional()),
        ("usersessionscount", int().optional()),
        ("policyagreed", int().optional()),
    ])
}

fn get_site_info(call: &mut Call<'_>, _params: Value) -> Result<Value, WsError> {
    let s = &*call.state;
    let user = s
        .users
        .get(&call.userid)
        .ok_or_else(|| s.site.missing_record_by_id("user", call.userid))?;
    let service = s
        .services
        .get(&call.token.serviceid)
        .filter(|sv| sv.enabled)
        .ok_or_else(|| WsError::coding("No service found in get_site_info"))?;
    let functions: Vec<Value> = service
        .functions
        .iter()
        .filter_map(|name| call.catalog.get(name))
        .map(|f| json!({"name": f.name, "version": f.version}))
        .collect();
    let user_ctx = s
        .context_id(ContextLevel::User, user.id)
        .unwrap_or(SYSTEM_CONTEXT);
    let ignores_quota = user.siteadmin;
    // get_user_max_upload_file_size(): unlimited (-1) for those who may ignore limits.
    let max_upload = if user.siteadmin {
        -1
    } else if s.site.maxbytes > 0 {
        s.site.maxbytes.min(s.site.php_upload_max)
    } else {
        s.site.php_upload_max
    };
    Ok(json!({
        "sitename": s.site.fullname,
        "siteurl": s.site.wwwroot,
        "username": user.username,
        "firstname": user.firstname,
        "lastname": user.lastname,
        "fullname": user.fullname(),
        "lang": "en",
        "userid": user.id,
        "userpictureurl": s.user_picture_url("f1"),
        "siteid": SITE_ID,
        "downloadfiles": i64::from(service.downloadfiles),
        "uploadfiles": i64::from(service.uploadfiles),
        "release": s.site.release,
        "version": s.site.version,
        "functions": functions,
        "mobilecssurl": "",
        "advancedfeatures": [
            {"name": "usecomments", "value": 1},
            {"name": "usetags", "value": 1},
            {"name": "enablenotes", "value": 1},
            {"name": "messaging", "value": 1},
            {"name": "enableblogs", "value": 1},
            {"name": "enablecompletion", "value": 1},
            {"name": "enablebadges", "value": 1},
            {"name": "messagingallusers", "value": 0},
            {"name": "enablecustomreports", "value": 1},
            {"name": "enableglobalsearch", "value": 0},
            {"name": "mnet_dispatcher_mode", "value": 0},
            {"name": "enablecompetencies", "value": 1},
        ],
        "usercanmanageownfiles": s.has_capability(user.id, "moodle/user:manageownfiles", user_ctx),
        "userquota": if ignores_quota { 0 } else { s.site.userquota },
        "usermaxuploadfilesize": max_upload,
        "userhomepage": 1,
        "sitecalendartype": "gregorian",
        "usercalendartype": "gregorian",
        "userissiteadmin": user.siteadmin,
        "userprivateaccesskey": s.private_access_keys.get(&user.id).cloned().unwrap_or_default(),
        "theme": "boost",
        "limitconcurrentlogins": 0,
        "policyagreed": user.policyagreed,
    }))
}
