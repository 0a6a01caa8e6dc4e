//! The two kinds of step a push repeats, at the level of the push: the course (the one
//! `lms_course_id` names, the mapped one, the one with the course's ID number, or a new one)
//! and one asset (unchanged and not sent, updated, found and updated, or made), each with
//! its mapping and sync state written as soon as Moodle has answered.

use moodle_ws::functions::local_bridge::CreatedModule;

use super::error::FailureClass;
use super::ids::course_hash;
use super::render::{self, Activity};
use super::steps::Steps;
use super::store::{self, AssetMapping, PushedAsset, PushedCourse, Status};
use super::{ExportedAsset, PublishError, Publisher, PushArgs};
use crate::audit::now_ms;
use crate::courses::{Asset, Course};

impl Publisher {
    /// The Moodle course: the one `lms_course_id` names, the mapped one, the one with the
    /// course's ID number, or a new one. Answers its id and whether it was made just now.
    pub(super) async fn ensure_course(
        &self,
        steps: &Steps<'_>,
        course: &Course,
        args: &PushArgs,
    ) -> Result<(i64, bool), PublishError> {
        let db = &self.inner.db;
        let mapping = store::course_mapping(db, course.id, steps.site).await?;
        let hash = course_hash(course, args.publish, args.lms_course_id);
        let fail = |what: &str| {
            let what = what.to_owned();
            move |e: moodle_ws::Error| PublishError::moodle(what, e)
        };
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

    /// One asset: unchanged (nothing sent), updated, found and updated, or made. Only a
    /// failure that stops the whole push is an `Err`; others are in the entry (and the
    /// status its failure would answer with).
    pub(super) async fn push_asset(
        &self,
        steps: &Steps<'_>,
        course: &Course,
        moodle_id: i64,
        asset: &Asset,
        mapping: Option<&AssetMapping>,
        prior: Option<CreatedModule>,
    ) -> Result<(ExportedAsset, Option<FailureClass>), PublishError> {
        let inner = &self.inner;
        let activity = match render::activity(asset) {
            Ok(a) => a,
            Err(invalid) => {
                let error = format!("invalid asset data: {}: {}", invalid.field, invalid.reason);
                store::mark_asset(
                    &inner.db,
                    asset.id,
                    course.id,
                    steps.site,
                    Status::Failed,
                    Some(&error),
                    now_ms(),
                )
                .await?;
                return Ok((
                    exported(asset, None, "failed", "skipped", None).with_error(error),
                    Some(FailureClass::Invalid),
                ));
            }
        };
        let hash = activity.hash();
        let mapping = mapping.filter(|m| m.moodle_course_id == Some(moodle_id));
        if let Some(m) = mapping
            && let Some(cmid) = m.cmid
            && m.content_hash.as_deref() == Some(hash.as_str())
        {
            if m.status != "synced" {
                self.save_asset(steps, course, moodle_id, asset, cmid, &activity, &hash)
                    .await?;
            }
            return Ok((
                exported(
                    asset,
                    Some(cmid),
                    "success",
                    "unchanged",
                    Some(activity.modname()),
                ),
                None,
            ));
        }
        let courses = &*inner.courses;
        let idnumber = inner.ids.asset(course.id, &asset.name);
        let outcome = async {
            let cmid = mapping
                .and_then(|m| m.cmid)
                .or(prior.as_ref().map(|m| m.cmid));
            if let Some(cmid) = cmid {
                match steps.update_activity(cmid, &activity, asset, courses).await {
                    Err(e) if e.moodle_errorcode() == Some("invalidcoursemodule") => {}
                    other => return other.map(|m| (m, "updated")),
                }
            }
            let (made, existed) = steps
                .create_activity(moodle_id, &idnumber, &activity, asset, courses)
                .await?;
            if existed {
                return steps
                    .update_activity(made.cmid, &activity, asset, courses)
                    .await
                    .map(|m| (m, "updated"));
            }
            Ok((made, "created"))
        }
        .await;
        match outcome {
            Ok((module, action)) => {
                self.save_asset(
                    steps,
                    course,
                    moodle_id,
                    asset,
                    module.cmid,
                    &activity,
                    &hash,
                )
                .await?;
                Ok((
                    exported(
                        asset,
                        Some(module.cmid),
                        "success",
                        action,
                        Some(activity.modname()),
                    ),
                    None,
                ))
            }
            Err(e) => {
                let error = PublishError::moodle(format!("asset {:?}", asset.name), e);
                if error.is_unreachable() || matches!(error, PublishError::Lms(_)) {
                    return Err(error);
                }
                let class = error.class();
                let reason = error
                    .detail()
                    .trim_start_matches("LMS export failed: ")
                    .to_owned();
                store::mark_asset(
                    &inner.db,
                    asset.id,
                    course.id,
                    steps.site,
                    Status::Failed,
                    Some(&reason),
                    now_ms(),
                )
                .await?;
                Ok((
                    exported(asset, None, "failed", "skipped", Some(activity.modname()))
                        .with_error(reason),
                    Some(class),
                ))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn save_asset(
        &self,
        steps: &Steps<'_>,
        course: &Course,
        moodle_id: i64,
        asset: &Asset,
        cmid: i64,
        activity: &Activity,
        hash: &str,
    ) -> Result<(), PublishError> {
        let pushed = PushedAsset {
            asset_id: asset.id,
            moodle_course_id: moodle_id,
            cmid,
            modname: activity.modname(),
            hash,
            version: asset.version,
        };
        store::save_asset(&self.inner.db, course.id, steps.site, &pushed, now_ms()).await?;
        Ok(())
    }
}

pub(super) fn exported(
    asset: &Asset,
    cmid: Option<i64>,
    status: &str,
    action: &str,
    module: Option<&str>,
) -> ExportedAsset {
    ExportedAsset {
        asset_name: asset.name.clone(),
        asset_type: asset.kind,
        lms_content_id: cmid.map(|c| c.to_string()),
        status: status.to_owned(),
        action: action.to_owned(),
        moodle_module: module
            .unwrap_or(match asset.kind {
                crate::courses::AssetType::File => "resource",
                crate::courses::AssetType::Url => "url",
                crate::courses::AssetType::Forum => "forum",
                _ => "page",
            })
            .to_owned(),
        error: None,
    }
}

impl ExportedAsset {
    fn with_error(mut self, error: String) -> Self {
        self.error = Some(error);
        self
    }
}
