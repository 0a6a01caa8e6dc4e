//! `user_create_user()` and password policy checks (`lib/moodlelib.php`
//! `check_password_policy`).

use super::{ContextLevel, SYSTEM_CONTEXT, State, User};

/// A new user's fields.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// First name.
    pub firstname: String,
    /// Last name.
    pub lastname: String,
    /// Email.
    pub email: String,
    /// ID number.
    pub idnumber: String,
    /// Auth plugin.
    pub auth: String,
    /// Language.
    pub lang: String,
}

impl State {
    /// Creates a user and its context; returns the user id.
    pub fn create_user(&mut self, new: NewUser, now: i64) -> i64 {
        let id = self.seq.next("user");
        self.users.insert(
            id,
            User {
                id,
                username: new.username,
                password: new.password,
                firstname: new.firstname,
                lastname: new.lastname,
                email: new.email,
                idnumber: new.idnumber,
                department: String::new(),
                description: String::new(),
                auth: new.auth,
                suspended: false,
                deleted: false,
                confirmed: true,
                lang: new.lang,
                theme: String::new(),
                timezone: "99".to_owned(),
                mailformat: 1,
                trackforums: 0,
                firstaccess: 0,
                lastaccess: 0,
                policyagreed: 0,
                timecreated: now,
                siteadmin: false,
            },
        );
        self.create_context(ContextLevel::User, id, SYSTEM_CONTEXT);
        self.emit(crate::plugins::Change::UserCreated(id));
        id
    }
}

/// `check_password_policy()` with Moodle's default policy: the error messages, each in a
/// `<div>`, or `None` when the password is acceptable.
pub fn password_policy_errors(password: &str) -> Option<String> {
    let mut errors = String::new();
    if password.chars().count() < 8 {
        errors.push_str("<div>Passwords must be at least 8 characters long.</div>");
    }
    if password.chars().filter(char::is_ascii_digit).count() < 1 {
        errors.push_str("<div>Passwords must have at least 1 digit(s).</div>");
    }
    if password.chars().filter(char::is_ascii_lowercase).count() < 1 {
        errors.push_str("<div>Passwords must have at least 1 lower case letter(s).</div>");
    }
    if password.chars().filter(char::is_ascii_uppercase).count() < 1 {
        errors.push_str("<div>Passwords must have at least 1 upper case letter(s).</div>");
    }
    if password.chars().filter(|c| !c.is_alphanumeric()).count() < 1 {
        errors.push_str(
            "<div>The password must have at least 1 special character(s) such as *, -, or #.</div>",
        );
    }
    (!errors.is_empty()).then_some(errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_password_lists_every_broken_rule_in_order() {
        assert_eq!(
            password_policy_errors("abc").as_deref(),
            Some(
                "<div>Passwords must be at least 8 characters long.</div><div>Passwords must have at least 1 digit(s).</div><div>Passwords must have at least 1 upper case letter(s).</div><div>The password must have at least 1 special character(s) such as *, -, or #.</div>"
            )
        );
        assert_eq!(password_policy_errors("Student123!x"), None);
    }
}
