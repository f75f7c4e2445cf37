//! `minqing`: the command line of the server.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use server::{AppState, ServerError};
use storage::Database;

#[derive(Parser)]
#[command(
    name = "minqing",
    version,
    about = "民情 (Minqing): the township petition office's server.",
    long_about = "民情 (Minqing): the township petition office's server.\n\n\
        With no command it serves the app. The database is migrated at every start, so a \
        new SQLite file or an empty PostgreSQL database is ready at once."
)]
struct Cli {
    /// Where the data lives: sqlite://FILE (the default, created if missing) or
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/minqing.db",
        global = true
    )]
    database_url: String,

    /// Log lines as plain text (for a person) or JSON (for a log collector).
    #[arg(long, env = "MINQING_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,

    /// The address to serve on.
    #[arg(long, env = "MINQING_ADDR", default_value = "127.0.0.1:3000", global = true)]
    addr: SocketAddr,

    /// The folder cargo-leptos built the site into (the pages' wasm, JS, CSS and icons).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site", global = true)]
    site_root: PathBuf,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the app (what runs with no command).
    Serve,
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Load the demo township: a county, 东湖镇 with 12 villages and their grids, and 5
    /// departments. Running it again changes nothing.
    SeedDemo,
    /// Write a consistent copy of the database to a new file while the server runs.
    /// SQLite: a database file (open it with sqlite3 or as sqlite://FILE).
    /// PostgreSQL: a pg_dump archive (restore it with pg_restore).
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("minqing: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "minqing stopped with an error");
            eprintln!("minqing: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), ServerError> {
    let db = Database::connect(&cli.database_url).await?;
    db.migrate().await?;
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(db.clone(), cli.addr, cli.site_root).await,
        Command::Migrate => {
            println!("database is up to date");
            Ok(())
        }
        Command::SeedDemo => {
            let summary = db.seed_demo().await?;
            if summary.created {
                println!("demo township created ({} org units)", summary.units);
            } else {
                println!("demo township already present; nothing changed");
            }
            let users = services::demo::seed_demo_users(&db, chrono::Utc::now()).await?;
            println!(
                "{users} demo accounts created (password {})",
                services::demo::DEMO_PASSWORD
            );
            Ok(())
        }
        Command::Backup { out } => {
            db.backup(&out).await?;
            println!("backup written to {}", out.display());
            Ok(())
        }
    };
    db.close().await;
    result
}

async fn serve(db: Database, addr: SocketAddr, site_root: PathBuf) -> Result<(), ServerError> {
    let state = AppState::new(db, &site_root, addr);
    tracing::info!(
        %addr,
        site_root = %site_root.display(),
        service_worker = %state.service_worker.version,
        precached = state.service_worker.precache.len(),
        "serving"
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let app = server::router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServerError::Serve)?;
    tracing::info!("stopped after finishing in-flight requests");
    Ok(())
}

/// Ctrl-C or SIGTERM: stop accepting, finish what is in flight, then exit.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("MINQING_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}
