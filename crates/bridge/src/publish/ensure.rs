//! The course step of a push: the Moodle course `lms_course_id` names, the mapped one (when
//! it still exists in Moodle: a course deleted there is made again and the mapping
//! repaired), the one with the course's ID number, or a new one; with its mapping written as
//! soon as Moodle has answered.

use super::ids::course_hash;
use super::plan::Target;
use super::steps::Steps;
use super::store::{self, PushedCourse};
use super::{PublishError, Publisher, PushArgs};
use crate::audit::now_ms;

impl Publisher {
    /// The Moodle course; answers its id and whether it was made just now.
    pub(super) async fn ensure_course(
        &self,
        steps: &Steps<'_>,
        course: &Target,
        args: &PushArgs,
    ) -> Result<(i64, bool), PublishError> {
        let db = &self.inner.db;
        let mut mapping = store::course_mapping(db, course.id, steps.site).await?;
        let hash = course_hash(course, args.publish, args.lms_course_id);
        let fail = |what: &str| {
            let what = what.to_owned();
            move |e: moodle_ws::Error| PublishError::moodle(what, e)
        };
        // The course the mapping names may have been deleted in Moodle: then it is made again
        // (found by its ID number first, so nothing is made twice).
        if args.lms_course_id.is_none()
            && let Some(id) = mapping.moodle_course_id
            && !steps
                .course_exists(id)
                .await
                .map_err(fail("finding the Moodle course"))?
        {
            tracing::info!(
                course = course.id,
                lms = steps.site,
                moodle_course = id,
                "the mapped Moodle course is gone; making it again"
            );
            mapping = store::CourseMapping::default();
        }
        let target = args.lms_course_id.or(mapping.moodle_course_id);
        let mut shortname = mapping
            .shortname
            .clone()
            .filter(|_| args.lms_course_id.is_none());
        let (id, created) = match target {
            Some(id)
                if mapping.moodle_course_id == Some(id)
                    && mapping.content_hash.as_deref() == Some(hash.as_str()) =>
            {
                (id, false)
            }
            Some(id) => {
                if args.lms_course_id.is_some()
                    && !steps
                        .course_exists(id)
                        .await
                        .map_err(fail("finding the Moodle course"))?
                {
                    return Err(PublishError::MoodleCourseNotFound(id));
                }
                // Only a course the bridge made is moved to the course's category.
                let categoryid = match shortname {
                    Some(_) => Some(steps.category_path(&course.category_path).await?),
                    None => None,
                };
                steps
                    .update_course(id, course, args.publish, categoryid)
                    .await
                    .map_err(fail("updating the course"))?;
                (id, false)
            }
            None => {
                let idnumber = self.inner.ids.course(course.id);
                let categoryid = steps.category_path(&course.category_path).await?;
                match steps
                    .find_course(&idnumber)
                    .await
                    .map_err(fail("looking up the course"))?
                {
                    Some((id, taken)) => {
                        steps
                            .update_course(id, course, args.publish, Some(categoryid))
                            .await
                            .map_err(fail("updating the course"))?;
                        shortname = Some(taken);
                        (id, false)
                    }
                    None => {
                        let (id, taken) = steps
                            .create_course(course, categoryid, args.publish)
                            .await
                            .map_err(fail("creating the course"))?;
                        shortname = Some(taken);
                        (id, true)
                    }
                }
            }
        };
        let pushed = PushedCourse {
            moodle_course_id: id,
            shortname: shortname.as_deref(),
            hash: &hash,
            version: course.version,
        };
        store::save_course(db, course.id, steps.site, &pushed, now_ms()).await?;
        Ok((id, created))
    }
}
