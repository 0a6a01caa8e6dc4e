//! People: users by field, manual enrolments, and popup notifications with their unread
//! count. User data is personal, so none of it is cached.

use moodle_ws::functions::{enrol, message, user};
use serde::Serialize;
use serde_json::{Value, json};

use super::replies::{Enrolled, Notifications, UnreadCount};
use super::requests::{Enrol, MAX_ITEMS, NotificationsQuery, UnreadCountQuery, UsersByField};
use super::{Gateway, GatewayError, Raw, Reply, unexpected};
use crate::audit::Actor;

/// The fields `core_user_get_users_by_field` matches on.
const USER_FIELDS: [&str; 4] = ["id", "idnumber", "username", "email"];

#[derive(Serialize)]
struct UsersParams<'a> {
    field: &'a str,
    values: Vec<&'a str>,
}

impl Gateway {
    /// Users whose `field` is one of the comma-separated `values`; unknown values are left
    /// out, as Moodle does.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`] for a field other than id, idnumber, username, email, or
    /// bad values; [`GatewayError::Moodle`].
    pub async fn users_by_field(&self, query: UsersByField) -> Result<Reply, GatewayError> {
        let field = query.field.trim();
        if !USER_FIELDS.contains(&field) {
            return Err(GatewayError::invalid(
                "field",
                "must be one of id, idnumber, username, email",
            ));
        }
        let values: Vec<&str> = query
            .values
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(GatewayError::invalid(
                "values",
                "must list at least one value",
            ));
        }
        if values.len() > MAX_ITEMS {
            return Err(GatewayError::invalid(
                "values",
                format!("must list at most {MAX_ITEMS} values"),
            ));
        }
        if field == "id"
            && values
                .iter()
                .any(|v| v.parse::<u64>().map_or(true, |n| n == 0))
        {
            return Err(GatewayError::invalid(
                "values",
                "ids must be positive whole numbers",
            ));
        }
        let users: Vec<Raw> = self
            .moodle
            .call_raw(user::GET_USERS_BY_FIELD, &UsersParams { field, values })
            .await?;
        if users.iter().all(|u| u.get().starts_with('{')) {
            Ok(Reply::list(&users))
        } else {
            Err(unexpected("the user list is not a list of users"))
        }
    }

    /// Enrols users with the manual enrolment method, all or none; answers `{enrolled: n}`.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`], [`GatewayError::Moodle`] (`wsusercannotassign`,
    /// `wsnoinstance`, …).
    pub async fn enrol(&self, actor: &Actor, request: Enrol) -> Result<Reply, GatewayError> {
        let enrolments = request.validate()?;
        if let Some((i, e)) = enrolments
            .iter()
            .enumerate()
            .find(|(_, e)| !self.enrol_roles.contains(&e.roleid))
        {
            let allowed: Vec<String> = self.enrol_roles.iter().map(i64::to_string).collect();
            return Err(GatewayError::RoleForbidden {
                field: format!("enrolments[{i}].roleid"),
                roleid: e.roleid,
                allowed: allowed.join(", "),
            });
        }
        let ids: Vec<Value> = enrolments
            .iter()
            .map(|e| json!({"userid": e.userid, "courseid": e.courseid, "roleid": e.roleid}))
            .collect();
        let result = async {
            self.moodle.enrol_users(&enrolments).await?;
            // Lists served by core_course_get_courses_by_field depend on enrolments.
            self.cache.clear();
            Ok(Reply::of(&Enrolled {
                enrolled: enrolments.len(),
            }))
        }
        .await;
        self.audited(
            actor,
            enrol::ENROL_USERS.name(),
            json!({"enrolments": ids}),
            result,
        )
        .await
    }

    /// A user's popup notifications, newest first, with the unread count.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`] for a bad user, limit or offset; [`GatewayError::Moodle`].
    pub async fn notifications(&self, query: NotificationsQuery) -> Result<Reply, GatewayError> {
        let useridto = positive_user(query.userid)?;
        let limit = query.limit.unwrap_or(20);
        if !(1..=100).contains(&limit) {
            return Err(GatewayError::invalid("limit", "must be from 1 to 100"));
        }
        let offset = query.offset.unwrap_or(0);
        if offset < 0 {
            return Err(GatewayError::invalid("offset", "must not be negative"));
        }
        let params = message::NotificationsQuery {
            useridto,
            newestfirst: None,
            limit: Some(limit),
            offset: Some(offset),
        };
        let answer: Notifications = self
            .moodle
            .call_raw(message::GET_POPUP_NOTIFICATIONS, &params)
            .await?;
        if answer.notifications.get().starts_with('[') {
            Ok(Reply::of(&answer))
        } else {
            Err(unexpected(
                "the notifications answer has no list of notifications",
            ))
        }
    }

    /// A user's unread popup notification count; answers `{count}`.
    ///
    /// # Errors
    /// [`GatewayError::Invalid`] for a bad user, [`GatewayError::Moodle`].
    pub async fn unread_count(&self, query: UnreadCountQuery) -> Result<Reply, GatewayError> {
        let count = self
            .moodle
            .get_unread_popup_notification_count(positive_user(query.userid)?)
            .await?;
        Ok(Reply::of(&UnreadCount { count }))
    }
}

fn positive_user(userid: i64) -> Result<i64, GatewayError> {
    if userid > 0 {
        Ok(userid)
    } else {
        Err(GatewayError::invalid("userid", "must be a positive id"))
    }
}
