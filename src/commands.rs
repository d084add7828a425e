//! The non-serving commands of the `redtrail` binary.
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db::Db;
use crate::error::ApiError;

/// The database, migrated first unless `REDTRAIL_MIGRATE=false`.
async fn open(settings: &Settings) -> anyhow::Result<Db> {
    Db::open(&settings.database_url, settings.migrate, settings.pool()).await
}

/// Applies pending migrations.
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = Db::open(&settings.database_url, true, settings.pool()).await?;
    tracing::info!("migrations are up to date");
    db.close().await?;
    Ok(())
}

/// Creates a platform admin account.
pub async fn create_admin(
    settings: &Settings,
    username: &str,
    password: &str,
) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let result =
        crate::sessions::service::create_platform_admin(&db, username, password, SystemClock.now())
            .await;
    db.close().await?;
    match result {
        Ok(member) => {
            println!(
                "created platform admin {username:?} (member id {})",
                member.id
            );
            Ok(())
        }
        Err(ApiError::Conflict) => anyhow::bail!("an account named {username:?} already exists"),
        Err(ApiError::Validation(fields)) if fields.contains_key("password") => {
            anyhow::bail!("the password must be at least 10 characters")
        }
        Err(ApiError::Validation(_)) => {
            anyhow::bail!(
                "the username must be 3 to 32 characters: lowercase letters, digits, '.', '_' or '-'"
            )
        }
        Err(other) => Err(anyhow::Error::new(other)),
    }
}

/// Loads the demo data set (once). Refused in production.
pub async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.env != crate::config::Environment::Production,
        "refusing to load demo data with REDTRAIL_ENV=production"
    );
    let db = open(settings).await?;
    let result = crate::seed::demo(&db, SystemClock.now()).await;
    db.close().await?;
    match result.map_err(anyhow::Error::new)? {
        None => println!(
            "the demo data is already there ({})",
            crate::seed::COMMITTEE
        ),
        Some(seeded) => {
            println!(
                "loaded the demo: {} orgs, {} members (dev login as openid demo-member-1 … demo-member-{}), {} sites, a route, {} quiz questions, a series of {} articles and an online class",
                seeded.orgs,
                seeded.members,
                seeded.members,
                seeded.sites,
                seeded.questions,
                seeded.chapters
            );
            println!(
                "org admin of the first enterprise: username {} password {}",
                crate::seed::SECRETARY,
                crate::seed::SECRETARY_PASSWORD
            );
        }
    }
    Ok(())
}

/// Loads the scale benchmark's data set on a fresh database. Refused in production.
pub async fn seed_bench(
    settings: &Settings,
    plan: &crate::seed::bench::Plan,
) -> anyhow::Result<()> {
    use crate::seed::bench;
    anyhow::ensure!(
        settings.env != crate::config::Environment::Production,
        "refusing to load benchmark data with REDTRAIL_ENV=production"
    );
    let db = open(settings).await?;
    let started = std::time::Instant::now();
    let result = bench::bench(&db, plan, SystemClock.now(), settings.timezone).await;
    db.close().await?;
    let report = match result {
        Err(ApiError::Conflict) => {
            anyhow::bail!("seed bench needs a fresh database: this one has orgs or members")
        }
        other => other.map_err(anyhow::Error::new)?,
    };
    println!(
        "seeded in {:.1} s: {} orgs, {} members (dev login as openid {}1 … {}{}), {} sites, \
         {} check-ins, {} questions, {} quiz attempts, {} articles, {} reading days, \
         {} submissions; {} ledger rows, {} totals",
        started.elapsed().as_secs_f64(),
        report.orgs,
        report.members,
        bench::OPENID_PREFIX,
        bench::OPENID_PREFIX,
        report.members,
        report.sites,
        report.checkins,
        report.questions,
        report.quiz_attempts,
        report.articles,
        report.reading_days,
        report.submissions,
        report.ledger,
        report.totals,
    );
    println!(
        "org admins: {} (the committee, org {}) and {} (a branch, org {}), password {}",
        bench::COMMITTEE_ADMIN,
        report.committee_id,
        bench::BRANCH_ADMIN,
        report.branch_id,
        bench::PASSWORD
    );
    Ok(())
}

/// Recomputes point counters and totals from the ledger. Exits non-zero on any mismatch.
pub async fn verify_points(settings: &Settings) -> anyhow::Result<()> {
    let db = open(settings).await?;
    let problems = crate::points::service::verify(db.conn()).await;
    db.close().await?;
    let problems = problems.map_err(anyhow::Error::new)?;
    if problems.is_empty() {
        println!("points verified: every counter and total equals the ledger");
        return Ok(());
    }
    for problem in &problems {
        println!("{problem}");
    }
    anyhow::bail!(
        "{} mismatches between the ledger and the kept totals",
        problems.len()
    )
}
