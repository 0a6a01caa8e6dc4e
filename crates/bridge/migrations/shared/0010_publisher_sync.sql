-- The publisher, complete: Moodle quizzes, pushes of an application's own data, deletes and
-- changes that reach Moodle, automatic sync, enrolments with a push. Times are Unix ms.

-- A course published inline (POST /api/lms/publish) from an application's own data: the
-- application's id for it; NULL for the bridge's own courses. Such a row (and its assets'
-- rows) only names what the mapping is about: the content comes with each publish and is kept
-- only in the job that pushes it.
ALTER TABLE courses ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX courses_external ON courses (owner, external_id);
-- Automatic sync of this course after a local change: 1 on, 0 off, NULL as LMS_AUTO_SYNC says.
ALTER TABLE courses ADD COLUMN auto_sync BIGINT;

-- SHA-256 of a quiz's questions as last pushed, apart from its name and settings
-- (content_hash): the questions are sent only when they changed, because Moodle refuses to
-- replace them once learners have attempted the quiz (quizhasattempts) while a rename still works.
ALTER TABLE lms_assets ADD COLUMN questions_hash TEXT;

-- What a push must still hide or delete in Moodle (LMS_DELETE_MODE): the activity of a local
-- asset that was deleted (or left out of a complete inline publish), or the Moodle course of a
-- local course that was deleted. Written before the local row goes (its mapping goes with it).
CREATE TABLE lms_removals (
    site TEXT NOT NULL,
    moodle_course_id BIGINT NOT NULL,
    -- The course module; 0 for the Moodle course itself.
    cmid BIGINT NOT NULL,
    -- The local course (no foreign key: the removal of a deleted course outlives its row).
    course_id BIGINT NOT NULL,
    -- The local asset the activity was made for; NULL for a course. A removal whose asset
    -- still exists (its delete failed) is dropped, never carried out.
    asset_id BIGINT,
    -- The subject the course belonged to.
    owner TEXT NOT NULL,
    -- page, resource, url, forum or quiz; NULL for a course.
    modname TEXT,
    -- The asset's or course's name, for reports.
    name TEXT NOT NULL,
    -- Failed attempts, and why the last one failed.
    attempts BIGINT NOT NULL,
    last_error TEXT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (site, moodle_course_id, cmid)
);
CREATE INDEX lms_removals_course ON lms_removals (course_id, site);

-- Users a push enrolled (enrol: [...]): a repeated push does not enrol them again. Per Moodle
-- course, so a course made again in Moodle gets its users again.
CREATE TABLE lms_enrolments (
    course_id BIGINT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    site TEXT NOT NULL,
    moodle_course_id BIGINT NOT NULL,
    -- How the push named the user: "email:alice@example.org" or "username:alice".
    login TEXT NOT NULL,
    -- The Moodle role given (5 student, 3 teacher by default).
    role_id BIGINT NOT NULL,
    moodle_user_id BIGINT NOT NULL,
    enrolled_at_ms BIGINT NOT NULL,
    PRIMARY KEY (site, moodle_course_id, login, role_id)
);
