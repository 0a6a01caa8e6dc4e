//! Users (`user/externallib.php`): find by field, create, and move the caller's draft
//! files into their private files.

use crate::functions::Function;
use serde::{Deserialize, Serialize};

use super::lenient;
use crate::client::Client;
use crate::error::Error;
use crate::secret::{Secret, expose_secret};

/// `core_user_get_users_by_field`.
pub const GET_USERS_BY_FIELD: Function = Function::read("core_user_get_users_by_field");
/// `core_user_create_users`.
pub const CREATE_USERS: Function = Function::write("core_user_create_users");
/// `core_user_add_user_private_files`.
pub const ADD_USER_PRIVATE_FILES: Function = Function::write("core_user_add_user_private_files");

/// The field `core_user_get_users_by_field` matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum UserField {
    /// User id.
    Id,
    /// ID number.
    Idnumber,
    /// Username.
    Username,
    /// Email address.
    Email,
}

/// A user, with the fields the caller may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct User {
    /// User id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Username.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub username: Option<String>,
    /// First name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub firstname: Option<String>,
    /// Last name.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub lastname: Option<String>,
    /// Full name.
    #[serde(deserialize_with = "lenient::string")]
    pub fullname: String,
    /// Email.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub email: Option<String>,
    /// ID number.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub idnumber: Option<String>,
    /// Authentication plugin.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub auth: Option<String>,
    /// Suspended.
    #[serde(deserialize_with = "lenient::opt_bool")]
    pub suspended: Option<bool>,
    /// Language.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub lang: Option<String>,
    /// Time zone (`99` = server's).
    #[serde(deserialize_with = "lenient::opt_string")]
    pub timezone: Option<String>,
    /// Last access.
    #[serde(deserialize_with = "lenient::opt_int")]
    pub lastaccess: Option<i64>,
    /// Picture URL.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub profileimageurl: Option<String>,
}

/// A `{type, value}` pair of a new user (custom profile field or preference).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TypeValue {
    /// Field short name or preference name.
    #[serde(rename = "type")]
    pub kind: String,
    /// The value.
    pub value: String,
}

/// A user to create. Give `password` (it must satisfy the site's policy) or set
/// `createpassword` to have Moodle mail one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NewUser {
    /// Username (lowercase).
    pub username: String,
    /// The password.
    #[serde(serialize_with = "expose_secret")]
    pub password: Option<Secret>,
    /// Let Moodle generate and mail a password.
    pub createpassword: Option<bool>,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Email.
    pub email: String,
    /// Authentication plugin (default `manual`).
    pub auth: Option<String>,
    /// ID number.
    pub idnumber: Option<String>,
    /// Language.
    pub lang: Option<String>,
    /// Time zone.
    pub timezone: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Institution.
    pub institution: Option<String>,
    /// Custom profile fields.
    pub customfields: Vec<TypeValue>,
    /// Preferences.
    pub preferences: Vec<TypeValue>,
}

/// A created user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CreatedUser {
    /// New id.
    #[serde(deserialize_with = "lenient::int")]
    pub id: i64,
    /// Its username.
    #[serde(deserialize_with = "lenient::string")]
    pub username: String,
}

#[derive(Serialize)]
struct ByFieldParams<'a> {
    field: UserField,
    values: &'a [&'a str],
}

#[derive(Serialize)]
struct CreateParams<'a> {
    users: &'a [NewUser],
}

#[derive(Serialize)]
struct DraftParams {
    draftid: i64,
}

impl Client {
    /// Users whose `field` is one of `values` (unknown values are left out).
    ///
    /// # Errors
    /// `codingerror` for a field Moodle does not support, and other [`Error`]s.
    pub async fn get_users_by_field(
        &self,
        field: UserField,
        values: &[&str],
    ) -> Result<Vec<User>, Error> {
        self.call(GET_USERS_BY_FIELD, &ByFieldParams { field, values })
            .await
    }

    /// Creates users; all or nothing. Never retried.
    ///
    /// # Errors
    /// `invalidparameter` (username taken, bad email), a password-policy error (Moodle
    /// puts the policy text in the code), `nopermissions` and other [`Error`]s.
    pub async fn create_users(&self, users: &[NewUser]) -> Result<Vec<CreatedUser>, Error> {
        self.call(CREATE_USERS, &CreateParams { users }).await
    }

    /// Moves the token user's draft area `draftid` into their private files. Moodle
    /// answers `null`. Never retried.
    ///
    /// # Errors
    /// `codingerror` for a draft area that is empty or not the caller's, and other [`Error`]s.
    pub async fn add_user_private_files(&self, draftid: i64) -> Result<(), Error> {
        self.call(ADD_USER_PRIVATE_FILES, &DraftParams { draftid })
            .await
    }
}
