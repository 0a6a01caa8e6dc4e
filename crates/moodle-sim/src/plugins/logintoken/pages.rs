//! The two HTML pages of `auth/logintoken.php` (`local\pages`): the refusal of a token sent
//! by GET (405, `Allow: POST`) and the confirmation asked before a browser where somebody else
//! is logged in switches to the token's user (409, a POST form carrying the request again with
//! `confirm=1` and the session's `sesskey`). The real plugin renders them with the site's theme;
//! the stand-in answers the same status, headers, texts and form fields in a bare page.

use crate::external::desc::html_escape;

/// The 405 page's title (`postrequired`).
pub(super) const POST_REQUIRED: &str = "Token login needs POST";

/// `postrequired_desc`.
const POST_REQUIRED_DESC: &str = "This address logs a browser in with a web service token, and takes the token only from a form sent by POST. A token in an address is written to server logs, browser history and Referer headers, where anybody who reads them could log in as you, so this site refuses it. If you followed a link, ask the application that gave it to you to open Moodle again.";

/// `pages::post_required()`.
pub(super) fn post_required() -> String {
    page(
        POST_REQUIRED,
        &format!(
            "<h2>{POST_REQUIRED}</h2>\n<p>{}</p>",
            html_escape(POST_REQUIRED_DESC)
        ),
    )
}

/// `pages::confirm_switch()`: `current` is logged in, the request would log `new` in; `carry`
/// are the request's parameters the form sends again, before `confirm` and `sesskey`.
pub(super) fn confirm_switch(
    wwwroot: &str,
    current: &str,
    new: &str,
    carry: &[(&str, String)],
    sesskey: &str,
) -> String {
    let mut fields: String = carry
        .iter()
        .map(|(name, value)| hidden(name, value))
        .collect();
    fields.push_str(&hidden("confirm", "1"));
    fields.push_str(&hidden("sesskey", sesskey));
    let message = format!(
        "You are logged in as {}. This link logs in {} instead, and ends your session. Continue only if you expected it.",
        html_escape(current),
        html_escape(new)
    );
    page(
        "Switch user?",
        &format!(
            "<div role=\"alertdialog\"><h4>Confirm</h4>\n<p>{message}</p>\n\
             <form method=\"post\" action=\"{wwwroot}{}\">\n{fields}<button type=\"submit\">Switch user</button>\n</form>\n\
             <form method=\"get\" action=\"{wwwroot}/\"><button type=\"submit\">Stay logged in</button></form></div>",
            super::ENTRY_PATH
        ),
    )
}

fn hidden(name: &str, value: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
        html_escape(name),
        html_escape(value)
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html dir=\"ltr\" lang=\"en\">\n<head>\n<title>{title}</title>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
}
