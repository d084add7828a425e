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
