//! `minqing-bench`: the performance targets of the registry and the public form, measured
//! on a database of a million petitions, and (`minqing-bench ingest`) the field reports'
//! server ingest (docs/BENCHMARKS.md has the method and figures).
//!
//! 1. Migrates the database, loads the demo township and accounts, then loads
//!    `--petitions` realistic petitions (skipped with `--reuse` when they are there).
//! 2. Builds the real app in this process (the router `minqing serve` runs), logs in as
//!    the demo clerk, and has `--clients` clerks search the registry at once: the first
//!    page of a filter with a full-text query, through the registry's server function.
//! 3. Has `--clients` citizens post the public petition form at once.
//! 4. Prints the figures against the targets.
//!
//! The ingest mode is described in `ingest.rs`.

mod data;
mod ingest;
mod registry;
mod stats;
mod submit;
mod web;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use clap::{Parser, Subcommand};
use storage::{Database, Engine};

use crate::data::{Generator, Township};
use crate::registry::{Case, Checked};
use crate::stats::{Latency, ms};

/// Registry targets (first page, filter and full-text query, 20 clients at once).
const TARGET_MEDIAN: Duration = Duration::from_millis(50);
const TARGET_P99: Duration = Duration::from_millis(200);
/// Public form target: accepted submissions a second, without error.
const TARGET_SUBMISSIONS: f64 = 200.0;

#[derive(Debug, Parser)]
#[command(
    name = "minqing-bench",
    about = "Measures the registry's search and the public form under load, on a database of many petitions; \
             `minqing-bench ingest` measures the field reports' ingest.",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true
)]
struct Cli {
    #[command(subcommand)]
    mode: Option<Mode>,
    #[command(flatten)]
    registry: Option<Args>,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Field officers push field reports through the sync API at once; the rate is
    /// compared with plain multi-row INSERTs of the same rows into the same engine.
    Ingest(ingest::IngestArgs),
}

/// The registry and the public form (what runs with no mode named).
#[derive(Debug, clap::Args)]
struct Args {
    /// sqlite://FILE (created if missing) or postgres://user@host:port/db (an existing,
    /// preferably empty database).
    #[arg(long, env = "DATABASE_URL")]
    database_url: String,
    /// Petitions to hold before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    petitions: u64,
    /// Clients at once, for the registry and for the form.
    #[arg(long, default_value_t = 20)]
    clients: usize,
    /// Registry searches with a query of three characters or more, all clients together.
    #[arg(long, default_value_t = 2_000)]
    queries: usize,
    /// Registry searches with a two-character query (no trigram index can serve them).
    #[arg(long, default_value_t = 200)]
    short_queries: usize,
    /// Public form posts.
    #[arg(long, default_value_t = 2_000)]
    submissions: usize,
    /// Each registry client pauses this long on average between searches (0: none, the
    /// harshest reading of "clients at once"; a clerk reading a page takes seconds).
    #[arg(long, default_value_t = 0)]
    think_ms: u64,
    /// Use the petitions already in the database (load only what is missing) instead of
    /// refusing a database that holds some.
    #[arg(long)]
    reuse: bool,
    /// Petitions per transaction while loading.
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Transactions loading at once.
    #[arg(long, default_value_t = 1)]
    load_jobs: usize,
    /// The data's seed: the same seed and the same day give the same petitions.
    #[arg(long, default_value_t = 20_261_123)]
    seed: u64,
    /// The petitions are spread over this many days before today.
    #[arg(long, default_value_t = 1_095)]
    days: i64,
    /// Load, then stop.
    #[arg(long)]
    load_only: bool,
    #[arg(long)]
    skip_registry: bool,
    #[arg(long)]
    skip_submissions: bool,
    /// Also run the registry's searches straight on the storage layer, with and without
    /// the capped count, to show where the time goes.
    #[arg(long)]
    storage_breakdown: bool,
    /// An experiment, not what the server does: open SQLite with a pool of this many
    /// connections (the server's is 8), same settings otherwise. `1` shows what writes
    /// do when they never wait on each other's locks.
    #[arg(long)]
    sqlite_pool: Option<u32>,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let cli = Cli::parse();
    // Quiet unless asked: `MINQING_LOG=sqlx::query=debug` shows every statement.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("MINQING_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    // A panic in a background task leaves the server answering, so no figure shows it:
    // count them all, and fail the run if there was one.
    static PANICS: AtomicU64 = AtomicU64::new(0);
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        report(info);
    }));
    let done = match (cli.mode, cli.registry) {
        (Some(Mode::Ingest(args)), _) => ingest::run(args).await,
        (None, Some(args)) => run(args).await,
        (None, None) => Err("--database-url is required (see --help)".to_owned()),
    };
    let done = done.and_then(|()| match PANICS.load(Ordering::SeqCst) {
        0 => Ok(()),
        n => Err(format!("{n} panics while measuring (their messages are above)")),
    });
    if let Err(e) = done {
        eprintln!("minqing-bench: {e}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let db = match args.sqlite_pool {
        Some(size) if args.database_url.starts_with("sqlite:") => {
            sqlite_with_pool(&args.database_url, size).await?
        }
        _ => Database::connect(&args.database_url)
            .await
            .map_err(|e| format!("connect: {e}"))?,
    };
    db.migrate().await.map_err(|e| format!("migrate: {e}"))?;
    db.seed_demo().await.map_err(|e| format!("seed demo: {e}"))?;
    services::demo::seed_demo_users(&db, Utc::now())
        .await
        .map_err(|e| format!("demo users: {e}"))?;
    let structure = db
        .org_structure()
        .await
        .map_err(|e| format!("org: {e}"))?
        .ok_or("no township after seeding")?;
    let township = Township {
        id: structure.township.id,
        villages: structure
            .villages
            .iter()
            .map(|v| (v.village.id, v.village.name.clone()))
            .collect(),
        departments: structure.departments.iter().map(|d| d.id).collect(),
    };
    if township.villages.is_empty() || township.departments.is_empty() {
        return Err("the township has no villages or departments".into());
    }
    let engine = match db.engine() {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };

    let existing = db.petition_count().await.map_err(|e| format!("count: {e}"))?;
    let existing = u64::try_from(existing).unwrap_or(0);
    if existing > 0 && !args.reuse {
        return Err(format!(
            "the database already holds {existing} petitions: pass --reuse to use them, or give a fresh database"
        ));
    }
    let generator = Generator {
        seed: args.seed,
        total: args.petitions,
        end: domain::registry::china_date(Utc::now()),
        days: args.days.max(1),
        township: township.clone(),
    };
    let mut load = None;
    if existing < args.petitions {
        let started = Instant::now();
        load_petitions(&db, &generator, existing, &args).await?;
        let took = started.elapsed();
        settle(&db).await?;
        load = Some((args.petitions - existing, took, started.elapsed()));
    } else {
        println!("{engine}: {existing} petitions already there; nothing to load");
    }
    let held = db.petition_count().await.map_err(|e| format!("count: {e}"))?;
    if args.load_only {
        println!("{engine}: {held} petitions");
        return Ok(());
    }

    let site = web::SiteDir::new().map_err(|e| format!("site dir: {e}"))?;
    let app = web::app(db.clone(), &site);
    let cookie = web::login(&app, "clerk", services::demo::DEMO_PASSWORD).await?;

    let mut report = Report {
        engine,
        held,
        clients: args.clients,
        load,
        ..Report::default()
    };

    if !args.skip_registry {
        let (main, short) = cases(&generator, &township);
        println!("\nRegistry: each search once, alone (cold caches for some):");
        let (brackets, checked) = registry::check(&app, &cookie, &main, 1 << 20).await?;
        print_checked(&checked);
        println!(
            "  body encoding that works: {brackets:?} (e.g. {})",
            registry::body(&main[0], brackets)
        );
        println!(
            "\nRegistry: {} searches, {} clients at once, {} ms pause on average, 3+ character queries …",
            args.queries, args.clients, args.think_ms
        );
        let think = Duration::from_millis(args.think_ms);
        let run = registry::run(
            &app,
            &cookie,
            &main,
            brackets,
            args.clients,
            args.queries,
            100,
            think,
        )
        .await;
        print_run(&main, &run);
        report.registry = Some((Latency::of(&run.all), run.per_second(), run.failed()));

        println!("\nRegistry: two-character queries, each once, alone:");
        let (_, checked) = registry::check(&app, &cookie, &short, 2 << 20).await?;
        print_checked(&checked);
        println!(
            "\nRegistry: {} two-character searches, {} clients at once …",
            args.short_queries, args.clients
        );
        let run = registry::run(
            &app,
            &cookie,
            &short,
            brackets,
            args.clients,
            args.short_queries,
            150,
            think,
        )
        .await;
        print_run(&short, &run);
        report.short = Some((Latency::of(&run.all), run.per_second(), run.failed()));

        if args.storage_breakdown {
            let scope = storage::PetitionScope {
                townships: vec![township.id],
                ..storage::PetitionScope::default()
            };
            for (page_only, what) in [
                (false, "page + capped count (Database::registry)"),
                (true, "page alone (Database::registry_rows)"),
            ] {
                println!(
                    "\nStorage only, {what}: {} searches, {} clients at once …",
                    args.queries, args.clients
                );
                let run =
                    registry::run_storage(&db, &scope, &main, args.clients, args.queries, page_only).await;
                print_run(&main, &run);
            }
        }
    }

    if !args.skip_submissions {
        println!(
            "\nPublic form: {} posts, {} clients at once …",
            args.submissions, args.clients
        );
        let forms = submit::forms(&db, &generator, args.submissions).await?;
        let run = submit::run(&app, forms, args.clients).await;
        let latency = Latency::of(&run.times);
        println!(
            "  accepted {} of {} in {:.1} s: {:.0} a second; latency median {} ms, p99 {} ms, max {} ms",
            run.accepted,
            args.submissions,
            run.wall.as_secs_f64(),
            run.per_second(),
            ms(latency.median),
            ms(latency.p99),
            ms(latency.max)
        );
        for (status, (count, detail)) in &run.errors {
            println!("  refused: {count} × {status}: {detail}");
        }
        report.submissions = Some((
            run.per_second(),
            latency,
            run.errors.values().map(|(n, _)| n).sum(),
        ));
    }

    report.print();
    db.close().await;
    Ok(())
}

/// SQLite as `Database::connect` opens it, with another pool size.
async fn sqlite_with_pool(url: &str, size: u32) -> Result<Database, String> {
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
    use std::str::FromStr;
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| format!("connect: {e}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    let pool = SqlitePoolOptions::new()
        .max_connections(size.max(1))
        .connect_with(options)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    println!("experiment: SQLite pool of {size} connection(s) instead of the server's 8");
    Ok(Database::Sqlite(pool))
}

/// Loads petitions `from..total`, `--batch` a transaction, printing a line every 50,000.
async fn load_petitions(db: &Database, generator: &Generator, from: u64, args: &Args) -> Result<(), String> {
    let total = generator.total;
    println!(
        "Loading petitions {from}..{total} ({} days up to {}, seed {}) …",
        generator.days, generator.end, generator.seed
    );
    let started = Instant::now();
    let batch = u64::try_from(args.batch.max(1)).unwrap_or(5_000);
    let (tx, rx) = tokio::sync::mpsc::channel::<Vec<storage::BulkPetition>>(2 * args.load_jobs.max(1));
    // Making the rows is cheap next to storing them; it runs beside the inserts.
    let gen_copy = generator.clone();
    let producer = tokio::task::spawn_blocking(move || {
        let mut i = from;
        while i < total {
            let end = (i + batch).min(total);
            let rows: Vec<_> = (i..end).map(|n| gen_copy.petition(n)).collect();
            if tx.blocking_send(rows).is_err() {
                break;
            }
            i = end;
        }
    });
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let done = Arc::new(AtomicU64::new(0));
    let mut jobs = Vec::new();
    for _ in 0..args.load_jobs.max(1) {
        let (db, rx, done) = (db.clone(), rx.clone(), done.clone());
        let todo = total - from;
        jobs.push(tokio::spawn(async move {
            loop {
                let Some(rows) = rx.lock().await.recv().await else {
                    return Ok::<(), String>(());
                };
                db.bulk_load_petitions(&rows)
                    .await
                    .map_err(|e| format!("bulk load: {e}"))?;
                let n = rows.len() as u64;
                let before = done.fetch_add(n, Ordering::Relaxed);
                let after = before + n;
                if after / 50_000 > before / 50_000 || after == todo {
                    let secs = started.elapsed().as_secs_f64();
                    println!(
                        "  {:>9} / {todo} rows  {:>7.1} s  {:>6.0} rows/s",
                        after,
                        secs,
                        after as f64 / secs.max(1e-9)
                    );
                }
            }
        }));
    }
    for job in jobs {
        job.await.map_err(|e| format!("load task: {e}"))??;
    }
    producer.await.map_err(|e| format!("generator: {e}"))?;
    Ok(())
}

/// After a load: PostgreSQL gets the VACUUM ANALYZE its autovacuum would soon run; SQLite
/// folds its write-ahead log back into the file. Neither changes the schema.
async fn settle(db: &Database) -> Result<(), String> {
    let started = Instant::now();
    match db {
        Database::Postgres { pool, .. } => {
            sqlx::query("VACUUM (ANALYZE) petition, petitioner, tracking_sequence")
                .execute(pool)
                .await
                .map_err(|e| format!("vacuum: {e}"))?;
            println!("  VACUUM (ANALYZE): {:.1} s", started.elapsed().as_secs_f64());
        }
        Database::Sqlite(pool) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await
                .map_err(|e| format!("checkpoint: {e}"))?;
            println!("  WAL checkpoint: {:.1} s", started.elapsed().as_secs_f64());
        }
    }
    Ok(())
}

/// The searches: a realistic filter with a query of three characters or more each, and
/// the two-character ones apart.
fn cases(g: &Generator, t: &Township) -> (Vec<Case>, Vec<Case>) {
    let (village_a, name_a) = &t.villages[0];
    let (village_b, name_b) = &t.villages[t.villages.len().min(2) - 1];
    let welfare = t.departments[t.departments.len().min(4) - 1].to_string();
    let from = (g.end - chrono::Duration::days(365)).to_string();
    let to = (g.end - chrono::Duration::days(275)).to_string();
    let (va, vb) = (village_a.to_string(), village_b.to_string());
    let main = vec![
        Case::new(
            "state=in_handling + 土地承包",
            &[("state", "in_handling"), ("query", "土地承包")],
        ),
        Case::new(
            format!("village={name_a} + 村道损坏"),
            &[("village_id", &va), ("query", "村道损坏")],
        ),
        Case::new(
            format!("received {from}..{to} + 补偿款"),
            &[("from", &from), ("to", &to), ("query", "补偿款")],
        ),
        Case::new(
            "department=民政办 + 低保申请",
            &[("department_id", &welfare), ("query", "低保申请")],
        ),
        Case::new(
            "channel=visit + 拖欠工资",
            &[("channel", "visit"), ("query", "拖欠工资")],
        ),
        Case::new(
            "kind=report_accusation + 村务公开",
            &[("kind", "report_accusation"), ("query", "村务公开")],
        ),
        Case::new(
            "state=submitted (inbox) + 宅基地",
            &[("state", "submitted"), ("query", "宅基地")],
        ),
        Case::new(
            format!("village={name_b} + state=concluded + 环境污染"),
            &[("village_id", &vb), ("state", "concluded"), ("query", "环境污染")],
        ),
    ];
    let short = vec![
        Case::new("低保 (no other filter)", &[("query", "低保")]),
        Case::new(
            "state=in_handling + 低保",
            &[("state", "in_handling"), ("query", "低保")],
        ),
    ];
    (main, short)
}

fn print_checked(checked: &[Checked]) {
    for c in checked {
        let total = match c.total {
            None => "many".to_owned(),
            Some(t) if t > domain::registry::COUNT_CAP => format!(">{}", domain::registry::COUNT_CAP),
            Some(t) => t.to_string(),
        };
        println!(
            "  {:>8} ms  {:>2} rows of {:>7}  {}",
            ms(c.elapsed),
            c.rows,
            total,
            c.label
        );
    }
}

fn print_run(cases: &[Case], run: &registry::Run) {
    println!(
        "  {:>8} {:>8} {:>8} {:>8} {:>6}  search",
        "median", "p90", "p99", "max", "n"
    );
    for (case, times) in cases.iter().zip(&run.times) {
        let l = Latency::of(times);
        println!(
            "  {:>8} {:>8} {:>8} {:>8} {:>6}  {}",
            ms(l.median),
            ms(l.p90),
            ms(l.p99),
            ms(l.max),
            l.count,
            case.label
        );
    }
    let l = Latency::of(&run.all);
    println!(
        "  {:>8} {:>8} {:>8} {:>8} {:>6}  all (ms); {:.0} searches a second over {:.1} s",
        ms(l.median),
        ms(l.p90),
        ms(l.p99),
        ms(l.max),
        l.count,
        run.per_second(),
        run.wall.as_secs_f64()
    );
    for (status, count) in &run.errors {
        let what = if *status == 200 {
            "200 without rows"
        } else {
            "status"
        };
        println!("  failed: {count} × {what} {status}");
    }
}

#[derive(Debug, Default)]
struct Report {
    engine: &'static str,
    held: i64,
    clients: usize,
    /// Rows loaded, time to load, time with the VACUUM or checkpoint after it.
    load: Option<(u64, Duration, Duration)>,
    /// Latency, searches a second, failures.
    registry: Option<(Latency, f64, usize)>,
    short: Option<(Latency, f64, usize)>,
    /// Accepted a second, latency, refusals.
    submissions: Option<(f64, Latency, usize)>,
}

impl Report {
    fn print(&self) {
        let verdict = |ok: bool| if ok { "PASS" } else { "FAIL" };
        println!(
            "\n== Summary: {}, {} petitions, {} clients ==",
            self.engine, self.held, self.clients
        );
        if let Some((rows, load, all)) = self.load {
            println!(
                "load            {rows} petitions in {:.0} s ({:.0} rows/s), {:.0} s with VACUUM/checkpoint",
                load.as_secs_f64(),
                rows as f64 / load.as_secs_f64().max(1e-9),
                all.as_secs_f64()
            );
        }
        if let Some((l, rate, failed)) = &self.registry {
            println!(
                "registry        median {} ms [{} < 50], p99 {} ms [{} < 200], p90 {} ms, max {} ms, {:.0}/s, {} failed",
                ms(l.median),
                verdict(l.median < TARGET_MEDIAN && *failed == 0),
                ms(l.p99),
                verdict(l.p99 < TARGET_P99 && *failed == 0),
                ms(l.p90),
                ms(l.max),
                rate,
                failed
            );
        }
        if let Some((l, rate, failed)) = &self.short {
            println!(
                "2-char query    median {} ms, p99 {} ms, max {} ms, {:.0}/s, {} failed (no target: known slower case)",
                ms(l.median),
                ms(l.p99),
                ms(l.max),
                rate,
                failed
            );
        }
        if let Some((rate, l, refused)) = &self.submissions {
            println!(
                "public form     {:.0} accepted/s [{} >= 200 without error], {} refused, median {} ms, p99 {} ms",
                rate,
                verdict(*rate >= TARGET_SUBMISSIONS && *refused == 0),
                refused,
                ms(l.median),
                ms(l.p99)
            );
        }
    }
}
