//! `ltiservice_gradebookservices`' score and result resources (`resources/scores.php`,
//! `resources/results.php`, the service's `save_grade_item()` and `result_for_json()`): a
//! score is refused with 400 `[]` when malformed or for a user without a gradebook role in
//! the course, with 409 `[]` when not newer than the stored grade, and otherwise stored
//! scaled to the line item's maximum (200, empty body); results list the graded users.

use serde_json::{Map, Value};

use super::gradebook::{prelude, tool_item};
use super::{Reply, Request};
use crate::lti::data::GradeGrade;
use crate::lti::token::{SCOPE_RESULT_READ, SCOPE_SCORE};
use crate::php_json;
use crate::state::{ContextLevel, State as Db, now};

const SCORE: &str = "application/vnd.ims.lis.v1.score+json";
const SCORE_CONTAINER: &str = "application/vnd.ims.lis.v1.scorecontainer+json";
const RESULTS: &str = "application/vnd.ims.lis.v2.resultcontainer+json";

/// `strtotime()` for the ISO 8601 forms `validate_iso8601_date()` lets through in practice:
/// `YYYY-MM-DD`, optionally `THH:MM[:SS[.fff]]` and `Z`, `±HH`, `±HHMM` or `±HH:MM`
/// (no zone: the server's, UTC).
pub fn parse_iso8601(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |t: &str| -> Option<i64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.parse().ok())
            .flatten()
    };
    let (date, time) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next()?)?, num(d.next()?)?, num(d.next()?)?);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let mut secs = 0;
    let mut offset = 0;
    if let Some(time) = time {
        let zone_at = time.find(['Z', 'z', '+', '-']).unwrap_or(time.len());
        let (clock, zone) = time.split_at(zone_at);
        let clock = clock.split(['.', ',']).next()?;
        let mut c = clock.split(':');
        let h = num(c.next()?)?;
        let min = c.next().map_or(Some(0), num)?;
        let sec = c.next().map_or(Some(0), num)?;
        if h > 24 || min > 59 || sec > 60 {
            return None;
        }
        secs = h * 3600 + min * 60 + sec;
        if let Some(sign) = zone.chars().next().filter(|c| *c == '+' || *c == '-') {
            let digits: String = zone[1..].chars().filter(char::is_ascii_digit).collect();
            let (oh, om) = match digits.len() {
                2 => (num(&digits)?, 0),
                4 => (num(&digits[..2])?, num(&digits[2..])?),
                _ => return None,
            };
            offset = (oh * 3600 + om * 60) * if sign == '-' { -1 } else { 1 };
        }
    }
    // Days since 1970-01-01 (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + secs - offset)
}

/// `date('c', $t)` in UTC.
fn date_c(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    let s = t.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+00:00",
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}

/// `is_user_gradable_in_course()`: enrolled with a gradebook role (the student role).
fn gradable(db: &Db, courseid: i64, userid: i64) -> bool {
    let Some(ctx) = db.context_id(ContextLevel::Course, courseid) else {
        return false;
    };
    db.is_enrolled(userid, courseid, now())
        && db
            .roles_in_context(userid, ctx)
            .iter()
            .any(|r| db.roles.get(r).is_some_and(|r| r.shortname == "student"))
}

fn number(v: Option<&Value>) -> Option<Option<f64>> {
    match v {
        None | Some(Value::Null) => Some(None),
        Some(Value::Number(n)) => Some(n.as_f64()),
        Some(Value::String(s)) => s.trim().parse().ok().map(Some),
        Some(_) => None,
    }
}

/// The checks shared by both resources, then the line item.
fn item_of(
    db: &Db,
    req: &Request,
    scope: &str,
) -> Result<(i64, i64, crate::lti::GradeItem), Reply> {
    let (typeid, courseid) = prelude(db, req, &[scope])?;
    let itemid_text = req
        .segments()
        .get(3)
        .copied()
        .unwrap_or_default()
        .to_owned();
    let itemid = crate::external::param::php_intval(&itemid_text);
    if !db.lti.grade_items.contains_key(&itemid) {
        return Err(Reply::status(
            404,
            &format!("Not Found: Grade item {itemid_text} doesn't exist"),
        ));
    }
    let item = tool_item(db, itemid, typeid)
        .ok_or_else(|| Reply::status(404, "Line item does not exist"))?;
    if let Some(instance) = item.iteminstance {
        let ok = db
            .lti
            .instances
            .get(&instance)
            .filter(|i| i.course == item.courseid)
            .and_then(|i| db.lti.instance_type(i))
            .is_some_and(|t| t.id == typeid);
        if !ok {
            return Err(Reply::status(403, "Invalid LTI id supplied."));
        }
    }
    Ok((typeid, courseid, item))
}

/// `resources/scores.php`: POST a score.
pub(super) fn scores(db: &mut Db, req: &Request, mut reply: Reply) -> Reply {
    let container = req.content_type.is_empty() || req.content_type == SCORE_CONTAINER;
    let checked = item_of(db, req, SCOPE_SCORE).and_then(|ok| {
        if container || req.content_type != SCORE {
            Err(Reply::status(400, "No context or unsupported content type"))
        } else {
            Ok(ok)
        }
    });
    let (_, courseid, item) = match checked {
        Ok(v) => v,
        Err(r) => return r,
    };
    reply.body = "[]".to_owned();
    match save_score(db, req, courseid, &item) {
        Ok(()) => {
            reply.code = 200;
            reply.content_type = SCORE.to_owned();
            reply.body.clear();
        }
        Err((code, reason)) => {
            reply.code = code;
            reply.reason = reason;
        }
    }
    reply
}

/// `get_json_for_post_request()` and `save_grade_item()`.
fn save_score(
    db: &mut Db,
    req: &Request,
    courseid: i64,
    item: &crate::lti::GradeItem,
) -> Result<(), (u16, String)> {
    let body = String::from_utf8_lossy(&req.body).into_owned();
    let bad = || (400, format!("Incorrect score received{body}"));
    let score: Map<String, Value> = match serde_json::from_str(&body) {
        Ok(Value::Object(m)) if !m.is_empty() => m,
        _ => return Err(bad()),
    };
    let has = |k: &str| score.get(k).is_some_and(|v| !v.is_null());
    let timestamp = score
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(parse_iso8601);
    let given = number(score.get("scoreGiven")).ok_or_else(bad)?;
    let maximum = number(score.get("scoreMaximum")).ok_or_else(bad)?;
    let userid = match score.get("userId") {
        Some(Value::String(s)) => crate::external::param::php_intval(s),
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        _ => 0,
    };
    if !has("userId")
        || !has("gradingProgress")
        || !has("activityProgress")
        || timestamp.is_none()
        || (given.is_some() && maximum.is_none())
        || !gradable(db, courseid, userid)
    {
        return Err(bad());
    }
    let timestamp = timestamp.unwrap_or_default();
    let maximum = maximum.unwrap_or(1.0);
    if let Some(grade) = db.lti.grades.get(&(item.id, userid))
        && let Some(t) = grade.timemodified.filter(|t| *t != 0)
        && t >= timestamp
    {
        return Err((
            409,
            format!(
                "Refusing score with an earlier timestamp for item {} and user {userid}",
                item.id
            ),
        ));
    }
    let fully_graded = score.get("gradingProgress").and_then(Value::as_str) == Some("FullyGraded");
    let given = given.filter(|_| fully_graded);
    if db.live_user(userid).is_none() {
        return Err((400, String::new()));
    }
    let finalgrade = given.map(|g| {
        if maximum != item.grademax && maximum != 0.0 {
            g * item.grademax / maximum
        } else {
            g
        }
    });
    let feedback = score
        .get("comment")
        .and_then(Value::as_str)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    let old = db
        .lti
        .grades
        .get(&(item.id, userid))
        .and_then(|g| g.finalgrade);
    db.lti.grades.insert(
        (item.id, userid),
        GradeGrade {
            itemid: item.id,
            userid,
            finalgrade,
            rawgrademax: item.grademax,
            feedback,
            timemodified: given.map(|_| timestamp),
        },
    );
    let graded = crate::plugins::GradeItemRef::Lti(item.id);
    db.emit(crate::plugins::Change::Graded {
        item: graded,
        userid,
        old,
        new: finalgrade,
    });
    Ok(())
}

/// `resources/results.php`: GET the line item's results.
pub(super) fn results(db: &mut Db, req: &Request, mut reply: Reply) -> Reply {
    let (_, _, item) = match item_of(db, req, SCOPE_RESULT_READ) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let endpoint = format!(
        "{}/mod/lti/services.php/{}/lineitems/{}/lineitem",
        db.site.wwwroot, item.courseid, item.id
    );
    let typeid = req.param("type_id").map(str::to_owned);
    let user = req.int("user_id").unwrap_or(0);
    let (limit, from) = (req.int("limit").unwrap_or(0), req.int("from").unwrap_or(0));
    let mut grades: Vec<&GradeGrade> = db
        .lti
        .grades
        .values()
        .filter(|g| {
            g.itemid == item.id
                && (user <= 0 || g.userid == user)
                && g.timemodified.is_some_and(|t| t != 0)
        })
        .collect();
    if limit > 0 {
        grades = grades
            .into_iter()
            .skip(from.max(0) as usize)
            .take(limit as usize)
            .collect();
    }
    let results: Vec<Value> = grades
        .iter()
        .map(|g| {
            let query = typeid
                .as_ref()
                .map(|t| format!("type_id={t}&"))
                .unwrap_or_default();
            let mut r = Map::new();
            r.insert(
                "id".into(),
                format!("{endpoint}/results?{query}user_id={}", g.userid).into(),
            );
            r.insert("userId".into(), g.userid.to_string().into());
            if let Some(score) = g.finalgrade.filter(|f| *f != 0.0) {
                r.insert("resultScore".into(), score.into());
                r.insert("resultMaximum".into(), g.rawgrademax.into());
                if let Some(c) = &g.feedback {
                    r.insert("comment".into(), c.clone().into());
                }
                let of = typeid
                    .as_ref()
                    .map_or_else(|| endpoint.clone(), |t| format!("{endpoint}?type_id={t}"));
                r.insert("scoreOf".into(), of.into());
                r.insert(
                    "timestamp".into(),
                    date_c(g.timemodified.unwrap_or_default()).into(),
                );
            }
            Value::Object(r)
        })
        .collect();
    reply.content_type = RESULTS.to_owned();
    reply.body = String::from_utf8_lossy(&php_json::encode(&Value::Array(results))).into_owned();
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps_are_read_like_strtotime() {
        assert_eq!(
            parse_iso8601("2026-11-22T00:04:46.000+00:00"),
            Some(1_795_305_886)
        );
        assert_eq!(
            parse_iso8601("2026-11-22T01:04:46+01:00"),
            Some(1_795_305_886)
        );
        assert_eq!(parse_iso8601("2026-11-22T00:04:46Z"), Some(1_795_305_886));
        assert_eq!(parse_iso8601("yesterday"), None);
        assert_eq!(date_c(1_795_305_886), "2026-11-22T00:04:46+00:00");
    }
}
