//! Popup notifications (`message/output/popup`): the list and the unread count.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::lenient;
use crate::client::Client;
use crate::error::Error;

/// `message_popup_get_popup_notifications`.
pub const GET_POPUP_NOTIFICATIONS: Function =
    Function::read("message_popup_get_popup_notifications");
/// `message_popup_get_unread_popup_notification_count`.
pub const GET_UNREAD_POPUP_NOTIFICATION_COUNT: Function =
    Function::read("message_popup_get_unread_popup_notification_count");

/// Which notifications to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotificationsQuery {
    /// The recipient (0 = the token user; another user needs rights, else `accessdenied`).
    pub useridto: i64,
    /// Newest first (Moodle's default).
    pub newestfirst: Option<bool>,
    /// Page size (0 = all).
    pub limit: Option<i64>,
    /// Skip this many.
    pub offset: Option<i64>,
}

impl NotificationsQuery {
    /// The notifications of `useridto` (0 = the token user), Moodle's default order.
    pub fn for_user(useridto: i64) -> Self {
        NotificationsQuery {
            useridto,
            ..NotificationsQuery::default()
        }
    }
}

/// `message_popup_get_popup_notifications` answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PopupNotifications {
    /// The notifications.
    #[serde(deserialize_with = "lenient::list")]
    pub notifications: Vec<Notification>,
    /// Unread notifications in total.
    #[serde(deserialize_with = "lenient::int")]
    pub unreadcount: i64,
}

/// A notification.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Notification {
    /// Notification id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Sender (negative for the system users: -10 no-reply, -20 support).
    #[serde(deserialize_with = "lenient::int")]
    pub useridfrom: i64,
    /// Recipient.
    #[serde(deserialize_with = "lenient::int")]
    pub useridto: i64,
    /// Subject.
    #[serde(deserialize_with = "lenient::string")]
    pub subject: String,
    /// Short subject.
    #[serde(deserialize_with = "lenient::string")]
    pub shortenedsubject: String,
    /// Text (HTML).
    #[serde(deserialize_with = "lenient::string")]
    pub text: String,
    /// Full message.
    #[serde(deserialize_with = "lenient::string")]
    pub fullmessage: String,
    /// Full message as HTML.
    #[serde(deserialize_with = "lenient::string")]
    pub fullmessagehtml: String,
    /// Short message.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub smallmessage: Option<String>,
    /// Link to what it is about.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub contexturl: Option<String>,
    /// The link's name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub contexturlname: Option<String>,
    /// Sent at.
    #[serde(deserialize_with = "lenient::int")]
    pub timecreated: i64,
    /// Read at (`None` when unread).
    #[serde(deserialize_with = "lenient::opt_int")]
    pub timeread: Option<i64>,
    /// Read.
    #[serde(deserialize_with = "lenient::boolean")]
    pub read: bool,
    /// Deleted.
    #[serde(deserialize_with = "lenient::boolean")]
    pub deleted: bool,
    /// Icon URL.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub iconurl: Option<String>,
    /// Sending component (`mod_assign`, …).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub component: Option<String>,
    /// Event type.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub eventtype: Option<String>,
    /// Extra data (JSON text).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub customdata: Option<String>,
}

#[derive(Serialize)]
struct CountParams {
    useridto: i64,
}

#[derive(Deserialize)]
#[serde(transparent)]
struct Count(#[serde(deserialize_with = "lenient::int")] i64);

impl Client {
    /// A user's popup notifications.
    ///
    /// # Errors
    /// `accessdenied` for another user's notifications, and other [`Error`]s.
    pub async fn get_popup_notifications(
        &self,
        query: &NotificationsQuery,
    ) -> Result<PopupNotifications, Error> {
        self.call(GET_POPUP_NOTIFICATIONS, query).await
    }

    /// A user's unread popup notifications count (`useridto` 0 = the token user).
    ///
    /// # Errors
    /// `accessdenied` for another user, and other [`Error`]s.
    pub async fn get_unread_popup_notification_count(&self, useridto: i64) -> Result<i64, Error> {
        let Count(n) = self
            .call(
                GET_UNREAD_POPUP_NOTIFICATION_COUNT,
                &CountParams { useridto },
            )
            .await?;
        Ok(n)
    }
}
