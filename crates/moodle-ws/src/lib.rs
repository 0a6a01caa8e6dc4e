//! Moodle web-services client (in progress).
