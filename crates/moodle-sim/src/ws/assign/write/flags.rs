//! `mod_assign_set_user_flags` and `mod_assign_get_user_flags` (`mod/assign/externallib.php`):
//! the `assign_user_flags` rows, made on first use.

use serde::Deserialize;
use serde_json::{Value, json};

use super::super::find_assignment;
use super::validate_assign;
use crate::errors::WsError;
use crate::state::{ContextLevel, SYSTEM_CONTEXT};
use crate::ws::{Call, params};

#[derive(Deserialize)]
struct SetFlagsParams {
    assignmentid: i64,
    userflags: Vec<FlagData>,
}

#[derive(Deserialize)]
struct FlagData {
    userid: i64,
    locked: Option<i64>,
    mailed: Option<i64>,
    extensionduedate: Option<i64>,
    workflowstate: Option<String>,
    allocatedmarker: Option<i64>,
}

pub(super) fn set_user_flags(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: SetFlagsParams = params(p)?;
    let t = validate_assign(call, p.assignmentid)?;
    call.require_capability("mod/assign:grade", t.ctx)?;
    let mut results = Vec::new();
    for f in p.userflags {
        let Some(id) = call.state.assign_user_flags(t.id, f.userid, true) else {
            results.push(json!({"id": -1, "userid": f.userid, "errormessage": "Record could not be created"}));
            continue;
        };
        if let Some(row) = call.state.user_flags.get_mut(&id) {
            if let Some(v) = f.locked {
                row.locked = v;
            }
            if let Some(v) = f.mailed {
                row.mailed = v;
            }
            if let Some(v) = f.extensionduedate {
                row.extensionduedate = v;
            }
            if let Some(v) = f.workflowstate {
                row.workflowstate = v;
            }
            if let Some(v) = f.allocatedmarker {
                row.allocatedmarker = v;
            }
        }
        results.push(json!({"id": id, "userid": f.userid}));
    }
    Ok(Value::Array(results))
}

#[derive(Deserialize)]
struct GetFlagsParams {
    assignmentids: Vec<i64>,
}

/// `get_user_flags()`: modules the user may not grade are dropped with warning 1, the
/// others' flags listed by assignment and id, assignments without flags warned (3).
pub(super) fn get_user_flags(call: &mut Call<'_>, p: Value) -> Result<Value, WsError> {
    let p: GetFlagsParams = params(p)?;
    let s = &*call.state;
    let mut requested = p.assignmentids.clone();
    let mut warnings = Vec::new();
    let mut cms: Vec<(i64, i64)> = p
        .assignmentids
        .iter()
        .filter_map(|id| find_assignment(s, *id).map(|(cm, _)| (cm.id, *id)))
        .collect();
    cms.sort_unstable();
    cms.dedup();
    for (cmid, instance) in cms {
        let ctx = s
            .context_id(ContextLevel::Module, cmid)
            .unwrap_or(SYSTEM_CONTEXT);
        if s.validate_module_context(call.userid, cmid, call.now)
            .is_err()
            || !s.has_capability(call.userid, "mod/assign:grade", ctx)
        {
            requested.retain(|r| *r != instance);
            warnings.push(json!({"item": "assignment", "itemid": instance, "warningcode": "1", "message": "No access rights in module context"}));
        }
    }
    let mut rows: Vec<&crate::state::UserFlags> = s
        .user_flags
        .values()
        .filter(|f| requested.contains(&f.assignment))
        .collect();
    rows.sort_by_key(|f| (f.assignment, f.id));
    let mut assignments: Vec<Value> = Vec::new();
    for f in rows {
        let flag = json!({
            "id": f.id, "userid": f.userid, "locked": f.locked, "mailed": f.mailed,
            "extensionduedate": f.extensionduedate, "workflowstate": f.workflowstate,
            "allocatedmarker": f.allocatedmarker,
        });
        match assignments.last_mut() {
            Some(a) if a["assignmentid"] == json!(f.assignment) => {
                if let Some(list) = a["userflags"].as_array_mut() {
                    list.push(flag);
                }
            }
            _ => {
                requested.retain(|r| *r != f.assignment);
                assignments.push(json!({"assignmentid": f.assignment, "userflags": [flag]}));
            }
        }
    }
    for id in requested {
        warnings.push(json!({"item": "assignment", "itemid": id, "warningcode": "3", "message": "No user flags found"}));
    }
    Ok(json!({"assignments": assignments, "warnings": warnings}))
}
