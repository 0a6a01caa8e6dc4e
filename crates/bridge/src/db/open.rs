//! Opening the database at start: which SQLite file a URL names (created when missing, and
//! said so), and every failure as one sentence that names the database without its
//! password and says what to check — not the driver's error repeated through its causes.

use std::path::PathBuf;

/// The file of a `sqlite:` URL (`sqlite:///abs/path`, `sqlite://rel/path`, `sqlite:path`),
/// `None` for an in-memory database.
pub(crate) fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// `url` with `mode=rwc` added when it names a SQLite file that does not exist yet and no
/// `mode` was chosen: sqlx opens an existing file only, unless told to create it.
pub(crate) fn creating_missing_sqlite(url: &str) -> (String, Option<PathBuf>) {
    let Some(path) = sqlite_path(url) else {
        return (url.to_owned(), None);
    };
    let has_mode = url
        .split_once('?')
        .is_some_and(|(_, query)| query.split('&').any(|kv| kv.starts_with("mode=")));
    if path.exists() || has_mode {
        return (url.to_owned(), None);
    }
    let joiner = if url.contains('?') { '&' } else { '?' };
    (format!("{url}{joiner}mode=rwc"), Some(path))
}

/// The database as a message may name it: the SQLite file, or `postgres://user@host:port/db`
/// without the password.
pub(crate) fn describe_target(url: &str) -> String {
    if url.starts_with("sqlite:") {
        return match sqlite_path(url) {
            Some(path) => format!("the SQLite database {}", path.display()),
            None => "the in-memory SQLite database".to_owned(),
        };
    }
    match url::Url::parse(url) {
        Ok(u) => {
            let user = if u.username().is_empty() {
                String::new()
            } else {
                format!("{}@", u.username())
            };
            format!(
                "the PostgreSQL database {}://{user}{}:{}{}",
                u.scheme(),
                u.host_str().unwrap_or("localhost"),
                u.port().unwrap_or(5432),
                u.path()
            )
        }
        Err(_) => "the database of DATABASE_URL (not a valid URL)".to_owned(),
    }
}

/// One sentence for a failure to open `url`.
pub(crate) fn open_failure(url: &str, e: &sqlx::Error) -> String {
    let target = describe_target(url);
    let sqlite = url.starts_with("sqlite:");
    let why = match e {
        sqlx::Error::Configuration(why) => {
            return format!("DATABASE_URL is not a usable database URL ({why})");
        }
        // SQLite's result codes: 14 SQLITE_CANTOPEN, 26 SQLITE_NOTADB.
        sqlx::Error::Database(db) if sqlite => match db.code().as_deref() {
            Some("14") => format!(
                "{} (does the file's folder exist, and may this user write to it?)",
                db.message()
            ),
            Some("26") => format!(
                "{} (does DATABASE_URL name the bridge's database file?)",
                db.message()
            ),
            _ => db.message().to_owned(),
        },
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01" | "28000") => format!("the server refused the login ({})", db.message()),
            Some("3D000") => format!("{} (create it first: createdb)", db.message()),
            _ => db.message().to_owned(),
        },
        sqlx::Error::Io(io) => format!("cannot reach the server ({io})"),
        sqlx::Error::Tls(tls) => format!("TLS to the server failed ({tls})"),
        sqlx::Error::PoolTimedOut => {
            "no connection within 10 seconds (is the server up and reachable?)".to_owned()
        }
        other => other.to_string(),
    };
    format!("cannot open {target}: {why}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file_in_every_spelling() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/b/bridge.db"),
            Some(PathBuf::from("/var/lib/b/bridge.db"))
        );
        assert_eq!(
            sqlite_path("sqlite://data/bridge.db?mode=rwc"),
            Some(PathBuf::from("data/bridge.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:bridge.db"),
            Some(PathBuf::from("bridge.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }

    #[test]
    fn a_missing_file_is_created_unless_a_mode_was_chosen() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}/new.db", dir.path().display());
        let (opened, created) = creating_missing_sqlite(&url);
        assert_eq!(opened, format!("{url}?mode=rwc"));
        assert!(created.is_some());
        let (opened, created) = creating_missing_sqlite(&format!("{url}?mode=ro"));
        assert_eq!(opened, format!("{url}?mode=ro"));
        assert!(created.is_none());
    }

    #[test]
    fn messages_never_carry_the_password() {
        let text = describe_target("postgres://bridge:s3cret@db.example:6543/bridge");
        assert_eq!(
            text,
            "the PostgreSQL database postgres://bridge@db.example:6543/bridge"
        );
        let text = open_failure(
            "postgres://bridge:s3cret@db.example/bridge",
            &sqlx::Error::PoolTimedOut,
        );
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("within 10 seconds"), "{text}");
    }
}
