//! A course's participants and a learner's Moodle files, read with the platform's
//! web-service token: submission files of the course's assignments (`mod_assign_get_assignments`
//! then `mod_assign_get_submissions`, downloaded through `webservice/pluginfile.php`) and, with
//! the companion plugin, private files (`local_bridge_list_user_files`, downloaded through its
//! `download.php`). Without the plugin the listing says private files need it.
//!
//! Every listed file gets an opaque key; a copy names keys, and the bridge copies only what a
//! fresh listing of that learner in that course contains — never a URL a caller sent.

use moodle_ws::Client;
use moodle_ws::download::Download;
use moodle_ws::functions::assign::SubmissionsQuery;
use moodle_ws::functions::enrol::EnrolledUsersOption;
use moodle_ws::functions::local_bridge::UserFilesQuery;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use utoipa::ToSchema;

use super::FileError;
use crate::storage::hex;

/// A course participant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Participant {
    /// Moodle user id.
    pub id: i64,
    /// Full name.
    pub fullname: String,
    /// Email, when Moodle shares it.
    pub email: Option<String>,
    /// Role short names in the course (`student`, `editingteacher`, …).
    pub roles: Vec<String>,
}

impl Participant {
    /// Whether the participant learns in the course: holds Moodle's learner role (`student`,
    /// the student archetype's role). A participant without any role, or with staff roles
    /// only, is not a learner: the file manager never opens their files.
    pub fn is_learner(&self) -> bool {
        self.roles.iter().any(|r| r == "student")
    }
}

/// Where a Moodle file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// An assignment submission file, by its `webservice/pluginfile.php` URL.
    Submission {
        /// The URL Moodle listed.
        fileurl: String,
    },
    /// A private file listed by `local_bridge`, by its file id.
    Private {
        /// Moodle's file id.
        fileid: i64,
    },
}

/// One of a learner's Moodle files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct MoodleFile {
    /// The opaque key a copy names.
    pub key: String,
    /// `submission` or `private`.
    pub source: &'static str,
    /// File name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// MIME type.
    #[serde(rename = "type")]
    pub mimetype: String,
    /// Last change (Unix seconds).
    pub modified: i64,
    /// Where it is in Moodle, for people ("Lab report 1 › submission (submitted)").
    pub location: String,
    /// The file's reference in Moodle, as stored with a copy.
    #[serde(skip)]
    pub moodle_ref: String,
    /// How to fetch it.
    #[serde(skip)]
    #[schema(ignore)]
    pub origin: Origin,
}

/// Whether private files could be listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PrivateFiles {
    /// Listed.
    pub available: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A learner's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    /// The files, submissions first.
    pub files: Vec<MoodleFile>,
    /// Whether private files are included.
    pub private_files: PrivateFiles,
}

/// The participants of a course, by name.
pub async fn participants(client: &Client, course: i64) -> Result<Vec<Participant>, FileError> {
    let users = client
        .get_enrolled_users(course, &[EnrolledUsersOption::OnlyActive(true)])
        .await?;
    let mut out: Vec<Participant> = users
        .into_iter()
        .map(|u| Participant {
            id: u.id,
            fullname: u.fullname,
            email: u.email,
            roles: u.roles.into_iter().map(|r| r.shortname).collect(),
        })
        .collect();
    out.sort_by(|a, b| a.fullname.cmp(&b.fullname).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// The participant `user` of `course`.
///
/// # Errors
/// [`FileError::NotEnrolled`] when the user is not an active participant.
pub async fn participant(
    client: &Client,
    course: i64,
    user: i64,
) -> Result<Participant, FileError> {
    participants(client, course)
        .await?
        .into_iter()
        .find(|p| p.id == user)
        .ok_or(FileError::NotEnrolled { user, course })
}

/// The learner `user` of `course`: an active participant holding a learner role.
///
/// # Errors
/// [`FileError::NotEnrolled`] when the user is not an active participant,
/// [`FileError::NotALearner`] when they are one without a learner role (a teacher, a manager).
pub async fn learner(client: &Client, course: i64, user: i64) -> Result<Participant, FileError> {
    let participant = participant(client, course, user).await?;
    if participant.is_learner() {
        Ok(participant)
    } else {
        Err(FileError::NotALearner { user, course })
    }
}

/// A learner's files in a course.
pub async fn listing(client: &Client, course: i64, user: i64) -> Result<Listing, FileError> {
    let mut files = submission_files(client, course, user).await?;
    let query = UserFilesQuery {
        courseid: course,
        userid: user,
        includeprivate: Some(true),
        includesubmissions: Some(false),
    };
    let private_files = match client.list_user_files(&query).await {
        Ok(listed) => {
            files.extend(
                listed
                    .files
                    .into_iter()
                    .filter(|f| f.source == "private")
                    .map(|f| {
                        let path = if f.filepath == "/" {
                            String::new()
                        } else {
                            f.filepath.clone()
                        };
                        MoodleFile {
                            key: format!("p{}", f.fileid),
                            source: "private",
                            location: format!("Private files{path}"),
                            moodle_ref: format!("local_bridge:{}", f.fileid),
                            origin: Origin::Private { fileid: f.fileid },
                            name: f.filename,
                            size: f.filesize,
                            mimetype: f.mimetype,
                            modified: f.timemodified,
                        }
                    }),
            );
            PrivateFiles {
                available: true,
                reason: None,
            }
        }
        // Moodle: invalidrecord for a function the site does not have (plugin missing;
        // 5.0 calls it invalidrecordunknown, which `code()` folds into invalidrecord),
        // accessexception for one its service lacks.
        Err(e) if matches!(e.code(), Some("invalidrecord" | "accessexception")) => PrivateFiles {
            available: false,
            reason: Some(
                "private files need the local_bridge plugin in Moodle, with \
                     local_bridge_list_user_files in the bridge's web service"
                    .to_owned(),
            ),
        },
        Err(e) => return Err(e.into()),
    };
    Ok(Listing {
        files,
        private_files,
    })
}

/// The latest submission files of `user` in every assignment of `course`.
async fn submission_files(
    client: &Client,
    course: i64,
    user: i64,
) -> Result<Vec<MoodleFile>, FileError> {
    let courses = client.get_assignments(&[course]).await?.courses;
    let assignments: Vec<_> = courses
        .into_iter()
        .filter(|c| c.id == course)
        .flat_map(|c| c.assignments)
        .collect();
    if assignments.is_empty() {
        return Ok(Vec::new());
    }
    let submissions = client
        .get_submissions(&SubmissionsQuery {
            assignmentids: assignments.iter().map(|a| a.id).collect(),
            ..SubmissionsQuery::default()
        })
        .await?;
    let mut files = Vec::new();
    for assignment in &assignments {
        let latest = submissions
            .assignments
            .iter()
            .filter(|a| a.assignmentid == assignment.id)
            .flat_map(|a| &a.submissions)
            .filter(|s| s.userid == user)
            .max_by_key(|s| s.attemptnumber);
        let Some(submission) = latest else { continue };
        for f in submission.files() {
            let moodle_ref = pluginfile_ref(&f.fileurl);
            files.push(MoodleFile {
                key: format!("s{}", &hex(&Sha256::digest(moodle_ref.as_bytes()))[..24]),
                source: "submission",
                name: f.filename.clone(),
                size: f.filesize,
                mimetype: f
                    .mimetype
                    .clone()
                    .unwrap_or_else(|| super::names::guess_type(&f.filename).to_owned()),
                modified: f.timemodified,
                location: format!("{} › submission ({})", assignment.name, submission.status),
                moodle_ref,
                origin: Origin::Submission {
                    fileurl: f.fileurl.clone(),
                },
            });
        }
    }
    Ok(files)
}

/// A submission file's reference: its path below `pluginfile.php`, without a query (the same
/// file whatever host alias or `forcedownload` Moodle puts in the URL).
fn pluginfile_ref(fileurl: &str) -> String {
    let without_query = fileurl.split(['?', '#']).next().unwrap_or_default();
    let path = without_query
        .split_once("pluginfile.php")
        .map_or(without_query, |(_, rest)| rest);
    format!("pluginfile:{path}")
}

/// Opens a listed file for download.
pub async fn open(client: &Client, course: i64, origin: &Origin) -> Result<Download, FileError> {
    Ok(match origin {
        Origin::Submission { fileurl } => client.download(fileurl).await?,
        Origin::Private { fileid } => client.download_user_file(course, *fileid).await?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submission_file_is_the_same_whatever_its_url_carries() {
        let a = pluginfile_ref(
            "http://m.example/webservice/pluginfile.php/27/assignsubmission_file/submission_files/2/a.pdf?forcedownload=1",
        );
        let b = pluginfile_ref(
            "http://m.example/pluginfile.php/27/assignsubmission_file/submission_files/2/a.pdf",
        );
        assert_eq!(
            a,
            "pluginfile:/27/assignsubmission_file/submission_files/2/a.pdf"
        );
        assert_eq!(a, b);
    }
}
