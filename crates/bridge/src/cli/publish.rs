//! `moodle-bridge push COURSE_ID` and `moodle-bridge sync status|retry`: the publisher from
//! the command line, through the same services and jobs as the HTTP side, acting as the
//! operator on anyone's courses (the audit log names the operator, source `cli`).
//!
//! The LMS token comes from `--lms-token` or `LMS_TOKEN`: a session token from
//! `/api/login-lms` of the course's owner, or a Moodle web-service token (for the default
//! site, or the one `--lms` names). A push shows a progress bar on standard error; if the
//! command is stopped, the job's lease runs out and a running service resumes it.

use std::io::Write as _;

use clap::{Args, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::audit::Actor;
use crate::config::Config;
use crate::courses::AssetType;
use crate::db::Db;
use crate::jobs::{JobState, Worker};
use crate::publish::{GivenToken, Mode, PublishError, Publisher, PushReport, PushRequest, Pushed};

/// `moodle-bridge push`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// The local course id.
    pub course_id: String,
    /// The LMS token: a session token from /api/login-lms of the course's owner, or a Moodle
    /// web-service token.
    #[arg(long, env = "LMS_TOKEN", hide_env_values = true)]
    pub lms_token: String,
    /// The site of a Moodle web-service token (LMS_SITES name; default the first).
    #[arg(long)]
    pub lms: Option<String>,
    /// Push only this asset (repeat for several; default all).
    #[arg(long = "asset", value_name = "NAME")]
    pub assets: Vec<String>,
    /// Update this Moodle course instead of the one the bridge made.
    #[arg(long)]
    pub lms_course_id: Option<i64>,
    /// Make the course hidden from students.
    #[arg(long)]
    pub hidden: bool,
}

/// `moodle-bridge sync …`.
#[derive(Debug, Clone, Subcommand)]
pub enum SyncCommand {
    /// Counts by status, and what failed with its error.
    Status {
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Pushes again everything that failed (with each course's last LMS token, or this one).
    Retry {
        /// An LMS token to act with instead.
        #[arg(long, env = "LMS_TOKEN", hide_env_values = true)]
        lms_token: Option<String>,
        /// The site of a Moodle web-service token.
        #[arg(long)]
        lms: Option<String>,
    },
}

/// Runs a `sync` command.
///
/// # Errors
/// When the database or a service cannot be set up.
pub async fn sync(config: &Config, command: SyncCommand) -> anyhow::Result<ExitCode> {
    match command {
        SyncCommand::Status { json } => status(config, json).await,
        SyncCommand::Retry { lms_token, lms } => {
            retry(config, lms_token.as_deref(), lms.as_deref()).await
        }
    }
}

async fn publisher(config: &Config) -> anyhow::Result<(Db, Publisher)> {
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let (_, _, publisher) =
        crate::app::publisher_parts(config, &db, &crate::moodle::Clients::new(None))?;
    Ok((db, publisher))
}

fn operator(route: &str) -> Actor {
    Actor {
        subject: super::operator(),
        source: "cli",
        route: route.to_owned(),
        request_id: None,
        client: None,
    }
}

/// Runs `push`.
///
/// # Errors
/// When the database or a service cannot be set up.
pub async fn push(config: &Config, options: PushArgs) -> anyhow::Result<ExitCode> {
    let (db, publisher) = publisher(config).await?;
    let result = push_with(&publisher, options).await;
    db.close().await;
    match result {
        Ok(report) => {
            eprintln!();
            let count = |s: &str| {
                report
                    .exported_assets
                    .iter()
                    .filter(|a| a.status == s)
                    .count()
            };
            println!(
                "pushed to {}: Moodle course {} ({}); {} asset(s) in Moodle, {} waiting for the plugin",
                report.lms,
                report.lms_course_id,
                report.course_url,
                count("success"),
                count("pending_plugin")
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!();
            eprintln!(
                "moodle-bridge: push failed ({}): {}",
                e.class().as_str(),
                e.detail()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn push_with(publisher: &Publisher, o: PushArgs) -> Result<PushReport, PublishError> {
    let courses = publisher.courses();
    let course = courses
        .course_of_anyone(crate::courses::CourseId::from_route(&o.course_id)?)
        .await?;
    let names = if o.assets.is_empty() {
        courses
            .assets_of(&course)
            .await?
            .into_iter()
            .map(|a| a.name)
            .collect()
    } else {
        o.assets
    };
    let request = PushRequest {
        asset_names: names,
        asset_type: AssetType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect(),
        lms_course_id: o.lms_course_id,
        publish: !o.hidden,
        export_format: "lms_standard".to_owned(),
        enrol: Vec::new(),
    };
    let token = GivenToken {
        token: &o.lms_token,
        site: o.lms.as_deref(),
    };
    let actor = operator("push");
    let pushed = publisher
        .push(
            &actor,
            &course.owner,
            token,
            course.key(),
            request,
            Mode::Claim,
        )
        .await?;
    let Pushed::Claimed(job) = pushed else {
        return Err(PublishError::Internal(
            "the push was not claimed".to_owned(),
        ));
    };
    let id = job.id.clone();
    let runner = publisher.clone();
    let task = tokio::spawn(async move { runner.run_claimed(*job).await });
    let mut after = 0;
    while !task.is_finished() {
        tokio::time::sleep(Duration::from_millis(200)).await;
        if let Ok((events, _)) = publisher.job_events(None, &id, after).await {
            for e in events {
                after = e.id;
                show_progress(&e.data);
            }
        }
    }
    task.await
        .map_err(|e| PublishError::Internal(format!("the push stopped: {e}")))?
}

/// Redraws the one-line progress bar on standard error from a `progress` event.
fn show_progress(data: &serde_json::Value) {
    let (Some(done), Some(total)) = (data["done"].as_u64(), data["total"].as_u64()) else {
        return;
    };
    let width = 30;
    let filled = usize::try_from(done * width / total.max(1)).unwrap_or(0);
    let asset: String = data["asset"]
        .as_str()
        .unwrap_or_default()
        .chars()
        .take(30)
        .collect();
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {done}/{total} {asset:<30} {}",
        "#".repeat(filled),
        "-".repeat(usize::try_from(width).unwrap_or(30) - filled),
        data["action"].as_str().unwrap_or_default()
    );
    let _ = err.flush();
}

/// Runs `sync status`.
///
/// # Errors
/// When the database cannot be read.
async fn status(config: &Config, json: bool) -> anyhow::Result<ExitCode> {
    let (db, publisher) = publisher(config).await?;
    let status = publisher.status(None, None).await;
    db.close().await;
    let status = status.map_err(|e| anyhow::anyhow!("{e}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&status)?);
        return Ok(ExitCode::SUCCESS);
    }
    for (what, counts) in [("courses", &status.courses), ("assets", &status.assets)] {
        let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{s} {n}")).collect();
        println!("{what:<8} {}", parts.join(", "));
    }
    let jobs: Vec<String> = status
        .jobs
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    println!(
        "{:<8} {}",
        "jobs",
        if jobs.is_empty() {
            "none".to_owned()
        } else {
            jobs.join(", ")
        }
    );
    for f in &status.failed {
        println!(
            "failed   course {} ({}) @ {}{}: {} [{} attempt(s), {}]",
            f.course_id,
            f.course_name,
            f.lms,
            f.asset_name
                .as_deref()
                .map(|a| format!(" asset {a:?}"))
                .unwrap_or_default(),
            f.error,
            f.attempts,
            f.updated_at
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `sync retry`: queues the re-pushes and runs them here (or waits for a service that
/// takes them first).
///
/// # Errors
/// When the database or a service cannot be set up.
pub async fn retry(
    config: &Config,
    lms_token: Option<&str>,
    lms: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let (db, publisher) = publisher(config).await?;
    let token = lms_token.map(|t| GivenToken {
        token: t,
        site: lms,
    });
    let reply = match publisher
        .retry_failed(&operator("sync retry"), None, token)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            db.close().await;
            eprintln!(
                "moodle-bridge: retry failed ({}): {}",
                e.class().as_str(),
                e.detail()
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    for s in &reply.skipped {
        println!("skipped  course {} @ {}: {}", s.course_id, s.lms, s.reason);
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = Worker::new(publisher.jobs().clone(), Arc::new(publisher.clone()), 1);
    let running = tokio::spawn(worker.run(stopped));
    let mut code = ExitCode::SUCCESS;
    for id in &reply.job_ids {
        let job = loop {
            match publisher.job(None, id).await {
                Ok(j) if j.state.is_finished() => break j,
                // Moodle is unreachable: the job waits in the queue for a service to resume it.
                Ok(j) if j.state == JobState::Queued && j.error.is_some() => break j,
                Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                Err(e) => anyhow::bail!("job {id}: {e}"),
            }
        };
        let detail = job
            .error
            .as_ref()
            .and_then(|e| e["detail"].as_str())
            .unwrap_or("done");
        println!(
            "{} job {id}: {detail}",
            if job.state == JobState::Succeeded {
                "pushed  "
            } else {
                "failed  "
            }
        );
        if job.state != JobState::Succeeded {
            code = ExitCode::FAILURE;
        }
    }
    let _ = stop.send(true);
    let _ = running.await;
    db.close().await;
    println!("{} push(es) retried", reply.job_ids.len());
    Ok(code)
}
