//! The ID numbers of everything the publisher makes in Moodle, derived from local ids so a
//! repeated push finds what an earlier one made, and the hash of a course as pushed.

use serde_json::json;
use sha2::{Digest as _, Sha256};

use super::plan::Target;
use crate::storage::hex;

/// The ID numbers of what the publisher makes.
#[derive(Debug, Clone)]
pub struct Idnumbers {
    prefix: String,
}

impl Idnumbers {
    /// ID numbers starting with `prefix` (`LMS_IDNUMBER_PREFIX`).
    pub fn new(prefix: &str) -> Idnumbers {
        Idnumbers {
            prefix: prefix.to_owned(),
        }
    }

    /// A course's: `bridge:12`.
    pub fn course(&self, course_id: i64) -> String {
        format!("{}:{course_id}", self.prefix)
    }

    /// A category path prefix's: `bridge:cat:<16 hex of its SHA-256>`.
    pub fn category(&self, path: &str) -> String {
        format!(
            "{}:cat:{}",
            self.prefix,
            &hex(&Sha256::digest(path.as_bytes()))[..16]
        )
    }

    /// An asset's: `bridge:12:<name>` for short plain names, else `bridge:12:h:<24 hex>`,
    /// always within Moodle's 100 characters.
    pub fn asset(&self, course_id: i64, name: &str) -> String {
        let plain = format!("{}:{course_id}:{name}", self.prefix);
        let simple = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if simple && !name.starts_with("h:") && plain.len() <= 100 {
            plain
        } else {
            let digest = hex(&Sha256::digest(name.as_bytes()));
            format!("{}:{course_id}:h:{}", self.prefix, &digest[..24])
        }
    }
}

/// The course as pushed: what is compared to decide whether to write it again.
pub fn course_hash(course: &Target, visible: bool, categoryid: Option<i64>) -> String {
    let canonical = json!([
        course.name,
        course.description,
        course.category_path,
        visible,
        categoryid
    ])
    .to_string();
    hex(&Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_are_derived_from_local_ids_and_fit_moodles_limit() {
        let ids = Idnumbers::new("bridge");
        assert_eq!(ids.course(12), "bridge:12");
        assert_eq!(ids.asset(12, "quiz-1.v2"), "bridge:12:quiz-1.v2");
        let long = ids.asset(12, &"x".repeat(200));
        assert!(
            long.starts_with("bridge:12:h:") && long.len() <= 100,
            "{long}"
        );
        assert_ne!(ids.asset(12, "a b"), ids.asset(12, "a_b"));
        assert_ne!(ids.asset(12, "x"), ids.asset(13, "x"));
        assert!(
            ids.asset(1, "h:x").starts_with("bridge:1:h:"),
            "no clash with hashed names"
        );
        assert_eq!(ids.category("Science"), ids.category("Science"));
        assert_ne!(ids.category("Science"), ids.category("Science/Physics"));
        assert!(ids.category("Science").len() <= 100);
    }
}
