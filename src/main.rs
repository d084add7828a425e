use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use clap::{Parser, Subcommand};
use redtrail::clock::SystemClock;
use redtrail::config::Settings;
use redtrail::startup::Application;
use redtrail::{commands, openapi, telemetry};

/// redtrail: 线下徒步 线上打卡. Configuration comes from REDTRAIL_* environment variables.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default): migrates first unless REDTRAIL_MIGRATE=false.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Manage admin accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Points maintenance.
    Points {
        #[command(subcommand)]
        command: PointsCommand,
    },
    /// Load sample data.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
}

#[derive(Subcommand)]
enum PointsCommand {
    /// Recompute counters and totals from the ledger; exit 1 on any mismatch.
    Verify,
}

#[derive(Subcommand)]
enum SeedCommand {
    /// A demo organisation tree with members and an org admin (development only; runs once).
    Demo,
    /// The scale benchmark's data set, on a fresh database (development only): by default
    /// 100,000 members in 1,000 orgs, 10,000 sites, 1,000,000 check-ins and so on.
    Bench(BenchArgs),
}

/// Counts for `seed bench`: `--scale` multiplies the defaults, a count named sets its own.
#[derive(clap::Args)]
struct BenchArgs {
    /// Multiplies every default count (0.01: the 10,000-check-in data set).
    #[arg(long, default_value_t = 1.0)]
    scale: f64,
    #[arg(long)]
    members: Option<u64>,
    #[arg(long)]
    orgs: Option<u64>,
    #[arg(long)]
    sites: Option<u64>,
    #[arg(long)]
    checkins: Option<u64>,
    #[arg(long)]
    questions: Option<u64>,
    #[arg(long)]
    quiz_attempts: Option<u64>,
    #[arg(long)]
    articles: Option<u64>,
    #[arg(long)]
    reading_days: Option<u64>,
    #[arg(long)]
    submissions: Option<u64>,
    /// Activity falls on the last this many local days.
    #[arg(long)]
    days: Option<u32>,
    /// The random generator's seed (one seed, one data set).
    #[arg(long)]
    seed: Option<u64>,
}

impl BenchArgs {
    fn plan(&self) -> anyhow::Result<redtrail::seed::bench::Plan> {
        anyhow::ensure!(
            self.scale > 0.0 && self.scale <= 100.0,
            "--scale must be above 0 and at most 100"
        );
        let mut plan = redtrail::seed::bench::Plan::FULL.scaled(self.scale);
        let set = |field: &mut u64, value: Option<u64>| {
            if let Some(v) = value {
                *field = v;
            }
        };
        set(&mut plan.members, self.members);
        set(&mut plan.orgs, self.orgs);
        set(&mut plan.sites, self.sites);
        set(&mut plan.checkins, self.checkins);
        set(&mut plan.questions, self.questions);
        set(&mut plan.quiz_attempts, self.quiz_attempts);
        set(&mut plan.articles, self.articles);
        set(&mut plan.reading_days, self.reading_days);
        set(&mut plan.submissions, self.submissions);
        if let Some(days) = self.days {
            plan.days = days;
        }
        if let Some(seed) = self.seed {
            plan.seed = seed;
        }
        plan.check()?;
        Ok(plan)
    }
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a platform admin; the password is read from standard input.
    Create { name: String },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Openapi) = cli.command {
        print!("{}", openapi::spec_json()?);
        return Ok(());
    }
    let settings = Settings::load()?;
    telemetry::init(settings.log_format, &settings.log_filter);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                let app = Application::build(settings, Arc::new(SystemClock)).await?;
                app.run_until_stopped().await?;
                Ok(())
            }
            Command::Migrate => commands::migrate(&settings).await,
            Command::Admin {
                command: AdminCommand::Create { name },
            } => {
                let password = read_password()?;
                commands::create_admin(&settings, &name, &password).await
            }
            Command::Points {
                command: PointsCommand::Verify,
            } => commands::verify_points(&settings).await,
            Command::Seed {
                command: SeedCommand::Demo,
            } => commands::seed_demo(&settings).await,
            Command::Seed {
                command: SeedCommand::Bench(args),
            } => commands::seed_bench(&settings, &args.plan()?).await,
            Command::Openapi => unreachable!("handled before configuration is loaded"),
        }
    })
}

/// One line from standard input, without its line ending.
fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
