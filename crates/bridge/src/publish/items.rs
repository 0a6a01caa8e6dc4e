//! The activities of a push. Each item is rendered from its typed content and compared with
//! its mapping and with what Moodle holds under its ID number (one look-up for the whole
//! course), then: left alone (unchanged), updated (a quiz's questions only when they
//! changed), made (new, or made again after it was deleted in Moodle), or replaced (its type
//! changed: the old activity is retired per `LMS_DELETE_MODE` and a new one made). New
//! activities go through `local_bridge_create_modules` in batches when the site has it, else
//! one call each. The mapping is written after each batch of work, so a push cut off is
//! resumed from where it stopped.

use std::collections::HashMap;

use moodle_ws::functions::local_bridge::CreatedModule;

use super::batch::{Made, NewActivity};
use super::error::FailureClass;
use super::plan::{Item, Plan};
use super::render::{self, Activity};
use super::steps::Steps;
use super::store::{self, AssetMapping, PushedAsset, Status};
use super::{ExportedAsset, PublishError, Publisher};
use crate::audit::now_ms;
use crate::jobs::Progress;

/// What the site's `local_bridge` can do.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// It makes quizzes (1.1); without, quizzes become printable pages.
    pub quizzes: bool,
    /// It makes many activities per call (1.1), and `LMS_BATCH_SIZE` is not 0.
    pub batch: bool,
}

/// What to do with one item.
#[derive(Debug)]
enum Step {
    Unchanged(i64),
    Update { cmid: i64, questions: bool },
    Create,
    Replace(CreatedModule),
}

/// The outcome of one item: its report entry and, when it failed, the class of the failure.
pub(super) type Outcome = (ExportedAsset, Option<FailureClass>);

/// Where the items of a push are pushed.
pub(super) struct Ctx<'a> {
    pub steps: &'a Steps<'a>,
    pub plan: &'a Plan,
    pub moodle_id: i64,
    pub caps: Caps,
    pub mappings: &'a HashMap<i64, AssetMapping>,
    /// What Moodle holds under the items' ID numbers (empty for a course made just now).
    pub found: HashMap<String, CreatedModule>,
}

impl Publisher {
    /// Pushes every item; answers their outcomes in the plan's order. Only a failure that
    /// stops the whole push (Moodle unreachable, the token refused) is an `Err`.
    pub(super) async fn push_items(
        &self,
        mut ctx: Ctx<'_>,
        progress: &mut Progress<'_>,
    ) -> Result<Vec<Outcome>, PublishError> {
        let plan = ctx.plan;
        let total = plan.items.len();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; total];
        let mut done = 0usize;
        let mut saved: Vec<PushedAsset> = Vec::new();
        let mut creates: Vec<(usize, Activity, Option<String>)> = Vec::new();
        let mut updates: Vec<(usize, Activity, i64, bool)> = Vec::new();
        for (index, item) in plan.items.iter().enumerate() {
            let idnumber = self.inner.ids.asset(plan.course.id, &item.key);
            let activity = match render::activity(item, ctx.caps.quizzes) {
                Ok(a) => a,
                Err(invalid) => {
                    let error =
                        format!("invalid asset data: {}: {}", invalid.field, invalid.reason);
                    let outcome = self
                        .fail(&ctx, item, None, error, FailureClass::Invalid)
                        .await?;
                    self.finish(&mut outcomes, index, outcome, &mut done, total, progress)
                        .await;
                    continue;
                }
            };
            let mapping = ctx
                .mappings
                .get(&item.asset_id)
                .filter(|m| m.moodle_course_id == Some(ctx.moodle_id));
            match decide(&activity, mapping, ctx.found.remove(&idnumber)) {
                Step::Unchanged(cmid) => {
                    if mapping.is_some_and(|m| m.status != "synced") {
                        saved.push(pushed(ctx.moodle_id, item, cmid, &activity));
                    }
                    let entry = entry(item, Some(cmid), "success", "unchanged", &activity);
                    self.finish(
                        &mut outcomes,
                        index,
                        (entry, None),
                        &mut done,
                        total,
                        progress,
                    )
                    .await;
                }
                Step::Update { cmid, questions } => {
                    updates.push((index, activity, cmid, questions));
                }
                Step::Create => creates.push((index, activity, None)),
                Step::Replace(old) => {
                    let mode = self.inner.delete_mode;
                    match ctx.steps.retire(old.cmid, mode, true).await {
                        Ok(()) => creates.push((index, activity, Some(old.cmid.to_string()))),
                        Err(e) => {
                            let outcome = self.moodle_failure(&ctx, item, &activity, e).await?;
                            self.finish(&mut outcomes, index, outcome, &mut done, total, progress)
                                .await;
                        }
                    }
                }
            }
        }
        self.save(&ctx, &mut saved).await?;
        for (index, activity, cmid, questions) in updates {
            let item = &plan.items[index];
            match self
                .update_one(&ctx, item, &activity, cmid, questions)
                .await?
            {
                Some(outcome) => {
                    self.finish(&mut outcomes, index, outcome, &mut done, total, progress)
                        .await;
                }
                // Deleted in Moodle: made again.
                None => creates.push((index, activity, None)),
            }
        }
        creates.sort_by_key(|c| c.0);
        let made = self.create_all(&mut ctx, &creates).await?;
        for (index, outcome) in made {
            self.finish(&mut outcomes, index, outcome, &mut done, total, progress)
                .await;
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    /// Updates one activity; `None` when it is gone from Moodle (the caller makes it again).
    async fn update_one(
        &self,
        ctx: &Ctx<'_>,
        item: &Item,
        activity: &Activity,
        cmid: i64,
        questions: bool,
    ) -> Result<Option<Outcome>, PublishError> {
        let steps = ctx.steps;
        match steps.update_activity(cmid, activity, item, questions).await {
            Ok(m) => {
                self.save_one(ctx, item, m.cmid, activity, true).await?;
                Ok(Some((
                    entry(item, Some(m.cmid), "success", "updated", activity),
                    None,
                )))
            }
            Err(e) if super::activities::is_gone(&e) => Ok(None),
            // Learners have attempted the quiz: its questions stay, its name and description
            // still follow the asset; the asset fails with the conflict.
            Err(e) if questions && e.moodle_errorcode() == Some("quizhasattempts") => {
                match steps.update_activity(cmid, activity, item, false).await {
                    Ok(m) => self.save_one(ctx, item, m.cmid, activity, false).await?,
                    Err(again) => {
                        return self
                            .moodle_failure(ctx, item, activity, again)
                            .await
                            .map(Some);
                    }
                }
                let reason = format!(
                    "asset {:?}: learners have attempted the quiz, so Moodle keeps its questions; its other changes were made (quizhasattempts)",
                    item.name
                );
                let mut outcome = self
                    .fail(ctx, item, Some(activity), reason, FailureClass::Conflict)
                    .await?;
                outcome.0.lms_content_id = Some(cmid.to_string());
                Ok(Some(outcome))
            }
            Err(e) => self.moodle_failure(ctx, item, activity, e).await.map(Some),
        }
    }

    /// Makes the new activities (batched when the site can); answers their outcomes.
    async fn create_all(
        &self,
        ctx: &mut Ctx<'_>,
        creates: &[(usize, Activity, Option<String>)],
    ) -> Result<Vec<(usize, Outcome)>, PublishError> {
        let plan = ctx.plan;
        let mut out = Vec::with_capacity(creates.len());
        if creates.is_empty() {
            return Ok(out);
        }
        let idnumber = |index: usize| self.inner.ids.asset(plan.course.id, &plan.items[index].key);
        let replaced = |index: usize| {
            creates
                .iter()
                .find(|c| c.0 == index)
                .and_then(|c| c.2.clone())
        };
        if ctx.caps.batch {
            let news: Vec<NewActivity<'_>> = creates
                .iter()
                .map(|(index, activity, _)| NewActivity {
                    index: *index,
                    item: &plan.items[*index],
                    activity,
                    idnumber: idnumber(*index),
                })
                .collect();
            let size = self.inner.batch_size;
            let results = ctx
                .steps
                .create_batched(ctx.moodle_id, &news, size)
                .await
                .map_err(|e| PublishError::moodle("creating the course's activities", e))?;
            let mut saved = Vec::new();
            for (index, made) in results {
                let item = &plan.items[index];
                let activity = &creates.iter().find(|c| c.0 == index).expect("created").1;
                let outcome = match made {
                    Made::Created(cmid) => {
                        saved.push(pushed(ctx.moodle_id, item, cmid, activity));
                        let mut e = entry(item, Some(cmid), "success", "created", activity);
                        e.replaced = replaced(index);
                        (e, None)
                    }
                    Made::Existed(cmid) => {
                        match self.update_one(ctx, item, activity, cmid, true).await? {
                            Some(outcome) => outcome,
                            None => {
                                self.moodle_failure(
                                    ctx,
                                    item,
                                    activity,
                                    super::steps::unexpected(
                                        "the activity vanished while it was made",
                                    ),
                                )
                                .await?
                            }
                        }
                    }
                    Made::Failed(e) => self.moodle_failure(ctx, item, activity, e).await?,
                };
                out.push((index, outcome));
            }
            self.save(ctx, &mut saved).await?;
            return Ok(out);
        }
        for (index, activity, old) in creates {
            let item = &plan.items[*index];
            let made = ctx
                .steps
                .create_activity(ctx.moodle_id, &idnumber(*index), activity, item)
                .await;
            let outcome = match made {
                Ok((m, false)) => {
                    self.save_one(ctx, item, m.cmid, activity, true).await?;
                    let mut e = entry(item, Some(m.cmid), "success", "created", activity);
                    e.replaced = old.clone();
                    (e, None)
                }
                Ok((m, true)) => match self.update_one(ctx, item, activity, m.cmid, true).await? {
                    Some(outcome) => outcome,
                    None => {
                        self.moodle_failure(
                            ctx,
                            item,
                            activity,
                            super::steps::unexpected("the activity vanished while it was made"),
                        )
                        .await?
                    }
                },
                Err(e) => self.moodle_failure(ctx, item, activity, e).await?,
            };
            out.push((*index, outcome));
        }
        Ok(out)
    }

    /// A Moodle refusal of one item: recorded and reported; an unreachable Moodle or a
    /// refused token stops the push instead.
    async fn moodle_failure(
        &self,
        ctx: &Ctx<'_>,
        item: &Item,
        activity: &Activity,
        e: moodle_ws::Error,
    ) -> Result<Outcome, PublishError> {
        let error = PublishError::moodle(format!("asset {:?}", item.name), e);
        if error.is_unreachable() || matches!(error, PublishError::Lms(_)) {
            return Err(error);
        }
        let class = error.class();
        let reason = error
            .detail()
            .trim_start_matches("LMS export failed: ")
            .to_owned();
        self.fail(ctx, item, Some(activity), reason, class).await
    }

    /// Marks an item failed and answers its outcome.
    async fn fail(
        &self,
        ctx: &Ctx<'_>,
        item: &Item,
        activity: Option<&Activity>,
        reason: String,
        class: FailureClass,
    ) -> Result<Outcome, PublishError> {
        store::mark_asset(
            &self.inner.db,
            item.asset_id,
            ctx.plan.course.id,
            ctx.steps.site,
            Status::Failed,
            Some(&reason),
            now_ms(),
        )
        .await?;
        let mut entry = match activity {
            Some(a) => entry(item, None, "failed", "skipped", a),
            None => fallback_entry(item, "failed"),
        };
        entry.error = Some(reason);
        Ok((entry, Some(class)))
    }

    async fn save_one(
        &self,
        ctx: &Ctx<'_>,
        item: &Item,
        cmid: i64,
        activity: &Activity,
        with_questions: bool,
    ) -> Result<(), PublishError> {
        let mut one = pushed(ctx.moodle_id, item, cmid, activity);
        if !with_questions {
            one.questions_hash = None;
        }
        self.save(ctx, &mut vec![one]).await
    }

    async fn save(&self, ctx: &Ctx<'_>, saved: &mut Vec<PushedAsset>) -> Result<(), PublishError> {
        if saved.is_empty() {
            return Ok(());
        }
        store::save_assets(
            &self.inner.db,
            ctx.plan.course.id,
            ctx.steps.site,
            saved,
            now_ms(),
        )
        .await?;
        saved.clear();
        Ok(())
    }

    async fn finish(
        &self,
        outcomes: &mut [Option<Outcome>],
        index: usize,
        outcome: Outcome,
        done: &mut usize,
        total: usize,
        progress: &mut Progress<'_>,
    ) {
        *done += 1;
        let e = &outcome.0;
        progress
            .event(
                "progress",
                serde_json::json!({"asset": e.asset_name, "status": e.status, "action": e.action, "done": *done, "total": total}),
            )
            .await;
        outcomes[index] = Some(outcome);
    }
}

/// What to do with an item, from its activity, its mapping and what Moodle holds under its
/// ID number.
fn decide(
    activity: &Activity,
    mapping: Option<&AssetMapping>,
    existing: Option<CreatedModule>,
) -> Step {
    let Some(existing) = existing else {
        return Step::Create;
    };
    if existing.modname != activity.modname() {
        return Step::Replace(existing);
    }
    let same = mapping.filter(|m| {
        m.cmid == Some(existing.cmid) && m.modname.as_deref() == Some(activity.modname())
    });
    let questions_same = match activity.questions_hash() {
        None => true,
        Some(hash) => same.is_some_and(|m| m.questions_hash.as_deref() == Some(hash.as_str())),
    };
    let content_same = same.is_some_and(|m| m.content_hash.as_deref() == Some(&activity.hash()));
    if content_same && questions_same {
        Step::Unchanged(existing.cmid)
    } else {
        Step::Update {
            cmid: existing.cmid,
            questions: activity.questions_hash().is_some() && !questions_same,
        }
    }
}

fn pushed(moodle_id: i64, item: &Item, cmid: i64, activity: &Activity) -> PushedAsset {
    PushedAsset {
        asset_id: item.asset_id,
        moodle_course_id: moodle_id,
        cmid,
        modname: activity.modname(),
        hash: activity.hash(),
        questions_hash: activity.questions_hash(),
        version: item.version,
    }
}

/// A report entry.
pub(super) fn entry(
    item: &Item,
    cmid: Option<i64>,
    status: &str,
    action: &str,
    activity: &Activity,
) -> ExportedAsset {
    ExportedAsset {
        asset_name: item.name.clone(),
        asset_id: item.external_id.clone(),
        asset_type: item.kind,
        lms_content_id: cmid.map(|c| c.to_string()),
        status: status.to_owned(),
        action: action.to_owned(),
        moodle_module: activity.modname().to_owned(),
        replaced: None,
        error: None,
    }
}

/// A report entry for an item that was not rendered (invalid, or waiting for the plugin).
pub(super) fn fallback_entry(item: &Item, status: &str) -> ExportedAsset {
    use crate::courses::AssetType;
    ExportedAsset {
        asset_name: item.name.clone(),
        asset_id: item.external_id.clone(),
        asset_type: item.kind,
        lms_content_id: None,
        status: status.to_owned(),
        action: "skipped".to_owned(),
        moodle_module: match item.kind {
            AssetType::File => "resource",
            AssetType::Url => "url",
            AssetType::Forum => "forum",
            AssetType::Page => "page",
            AssetType::Quiz | AssetType::QuestionPaper => "quiz",
        }
        .to_owned(),
        replaced: None,
        error: None,
    }
}
