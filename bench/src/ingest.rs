//! `minqing-bench ingest`: the field reports' server ingest (issue 5). `--clients` info
//! officers of the demo township, each logged in with a session of their own, push
//! `--reports` dispute and hazard reports between them, `--batch-size` a push, through
//! the real router (`POST /api/v1/sync/push`, the phones' request). Then, in the same
//! run, the same rows go into `field_report` of a fresh database of the same engine by
//! plain multi-row INSERTs, as many at once and as large; the ingest is printed as a
//! fraction of that (goal: at least half).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use chrono::{DateTime, Utc};
use domain::auth::{NewUser, Role};
use domain::field::{NewFieldReport, ReportForm, ReportKind, check_report};
use serde_json::{Value, json};
use storage::{Database, Engine};

use crate::data::Rng;
use crate::stats::{Latency, ms};
use crate::web;

/// The goal: ingest at least this fraction of a plain INSERT's rows a second.
const TARGET_FRACTION: f64 = 0.5;

#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// sqlite://FILE (created if missing) or postgres://user@host:port/db (an existing
    /// database). It must hold no field reports yet.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: String,
    /// Where the plain INSERT goes: a fresh database of the same engine, emptied first
    /// and removed afterwards. Default: beside the first (FILE-baseline.db, or the
    /// PostgreSQL database DB_baseline, which needs the right to create databases).
    #[arg(long)]
    pub baseline_url: Option<String>,
    /// Reports pushed in all.
    #[arg(long, default_value_t = 100_000)]
    pub reports: usize,
    /// Field officers pushing at once, each with their own session.
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Reports a push (the API takes at most 100).
    #[arg(long, default_value_t = domain::sync::MAX_BATCH)]
    pub batch_size: usize,
    /// The data's seed.
    #[arg(long, default_value_t = 20_261_123)]
    pub seed: u64,
}

/// A bench account: an info officer on one of the township's villages.
#[derive(Debug, Clone)]
struct Officer {
    username: String,
    village_id: i64,
}

/// One report as the phone makes it and as the database keeps it.
struct Made {
    record: Value,
    row: Row,
}

/// The columns of one `field_report` row, as `Tx::push_records` writes them.
struct Row {
    client_uuid: String,
    author: String,
    device_id: String,
    created_at: DateTime<Utc>,
    report: NewFieldReport,
}

pub async fn run(args: IngestArgs) -> Result<(), String> {
    let batch_size = args.batch_size.clamp(1, domain::sync::MAX_BATCH);
    let clients = args.clients.max(1);
    let db = prepare(&args.database_url).await?;
    let engine = match db.engine() {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };
    let before = count(&db, "field_report").await?;
    if before > 0 {
        return Err(format!(
            "the database already holds {before} field reports: give a fresh one (the plain INSERT's is fresh too)"
        ));
    }
    let (township_id, villages) = township(&db).await?;
    let accounts = officers(&db, &villages, clients).await?;
    let kinds = db
        .report_kinds(township_id)
        .await
        .map_err(|e| format!("kinds: {e}"))?;

    // Everything is made before the clock starts: JSON bodies and the rows they become.
    let now = Utc::now();
    let run_tag = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let mut rng = Rng::new(args.seed);
    let mut per_client: Vec<Vec<Made>> = (0..clients).map(|_| Vec::new()).collect();
    for n in 0..args.reports {
        let client = n % clients;
        let made = report(&mut rng, &accounts[client], &kinds, now, run_tag, n)?;
        per_client[client].push(made);
    }
    println!(
        "{engine}: {} reports by {clients} officers, {batch_size} a push; urgent {}, serious {}",
        args.reports,
        per_client
            .iter()
            .flatten()
            .filter(|m| m.row.report.severity.as_str() == "urgent")
            .count(),
        per_client
            .iter()
            .flatten()
            .filter(|m| m.row.report.severity.as_str() == "serious")
            .count(),
    );

    let site = web::SiteDir::new().map_err(|e| format!("site dir: {e}"))?;
    let app = web::app(db.clone(), &site);
    let mut cookies = Vec::new();
    for o in &accounts {
        cookies.push(web::login(&app, &o.username, services::demo::DEMO_PASSWORD).await?);
    }
    let bodies: Vec<Vec<Vec<u8>>> = per_client
        .iter()
        .map(|made| {
            made.chunks(batch_size)
                .map(|chunk| {
                    let records: Vec<&Value> = chunk.iter().map(|m| &m.record).collect();
                    json!({ "records": records }).to_string().into_bytes()
                })
                .collect()
        })
        .collect();
    let bytes: usize = bodies.iter().flatten().map(Vec::len).sum();
    println!(
        "\nIngest: {} pushes ({:.1} MB of JSON) through POST /api/v1/sync/push …",
        bodies.iter().map(Vec::len).sum::<usize>(),
        bytes as f64 / 1e6
    );
    let ingest = push_all(&app, cookies, bodies).await;
    let stored_rows = count(&db, "field_report").await?;
    let receipts = count(&db, "field_report WHERE body_hash IS NOT NULL").await?;
    let latency = Latency::of(&ingest.times);
    let ingest_rate = ingest.stored as f64 / ingest.wall.as_secs_f64().max(1e-9);
    println!(
        "  {} stored in {:.1} s: {:.0} reports a second; a push: median {} ms, p99 {} ms, max {} ms",
        ingest.stored,
        ingest.wall.as_secs_f64(),
        ingest_rate,
        ms(latency.median),
        ms(latency.p99),
        ms(latency.max)
    );
    println!("  in the database: {stored_rows} field reports, {receipts} receipts");
    for (what, n) in &ingest.other {
        println!("  not stored: {n} × {what}");
    }
    drop(app);
    db.close().await;

    let rows: Vec<Vec<Row>> = per_client
        .into_iter()
        .map(|made| made.into_iter().map(|m| m.row).collect())
        .collect();
    let baseline_url = match &args.baseline_url {
        Some(url) => url.clone(),
        None => baseline_url(&args.database_url)?,
    };
    println!(
        "\nPlain INSERT: the same rows into a fresh database ({}) …",
        redact(&baseline_url)
    );
    let fresh = fresh_database(&baseline_url).await?;
    let base = prepare(&fresh.url).await?;
    let (base_township, base_villages) = township(&base).await?;
    let authors = officers(&base, &base_villages, clients).await?;
    let ids = author_ids(&base, &authors).await?;
    let plain = insert_all(&base, base_township, &ids, rows, batch_size).await?;
    let plain_rows = count(&base, "field_report").await?;
    let plain_rate = plain_rows as f64 / plain.as_secs_f64().max(1e-9);
    println!(
        "  {plain_rows} rows in {:.1} s: {plain_rate:.0} rows a second",
        plain.as_secs_f64()
    );
    base.close().await;
    fresh.remove().await;

    let fraction = ingest_rate / plain_rate.max(1e-9);
    let complete = ingest.stored == args.reports
        && usize::try_from(stored_rows).ok() == Some(args.reports)
        && ingest.other.is_empty();
    let verdict = if fraction >= TARGET_FRACTION && complete {
        "PASS"
    } else {
        "FAIL"
    };
    println!(
        "\n== Summary: {engine}, {} reports, {clients} clients, {batch_size} a push ==",
        args.reports
    );
    println!(
        "ingest          {ingest_rate:.0} reports/s ({} stored, {} not), push median {} ms, p99 {} ms",
        ingest.stored,
        ingest.other.values().sum::<usize>(),
        ms(latency.median),
        ms(latency.p99)
    );
    println!(
        "plain INSERT    {plain_rate:.0} rows/s (multi-row, {batch_size} rows a statement, {clients} at once)"
    );
    println!("fraction        {fraction:.2} [{verdict} >= {TARGET_FRACTION}, every report stored once]");
    Ok(())
}

/// Connects, migrates, and loads the demo township and accounts.
async fn prepare(url: &str) -> Result<Database, String> {
    let db = Database::connect(url)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    db.migrate().await.map_err(|e| format!("migrate: {e}"))?;
    db.seed_demo().await.map_err(|e| format!("seed demo: {e}"))?;
    services::demo::seed_demo_users(&db, Utc::now())
        .await
        .map_err(|e| format!("demo users: {e}"))?;
    Ok(db)
}

/// The demo township's id and its villages.
async fn township(db: &Database) -> Result<(i64, Vec<i64>), String> {
    let s = db
        .org_structure()
        .await
        .map_err(|e| format!("org: {e}"))?
        .ok_or("no township after seeding")?;
    let villages: Vec<i64> = s.villages.iter().map(|v| v.village.id).collect();
    if villages.is_empty() {
        return Err("the township has no villages".into());
    }
    Ok((s.township.id, villages))
}

/// `n` info officers (`bench_officer_01`…), each on a village in turn; made if missing,
/// with the demo password.
async fn officers(db: &Database, villages: &[i64], n: usize) -> Result<Vec<Officer>, String> {
    let mut out = Vec::with_capacity(n);
    let mut hash = None;
    for i in 0..n {
        let officer = Officer {
            username: format!("bench_officer_{:02}", i + 1),
            village_id: villages[i % villages.len()],
        };
        let known = db
            .credentials(&officer.username)
            .await
            .map_err(|e| format!("account: {e}"))?;
        if known.is_none() {
            if hash.is_none() {
                hash = Some(
                    services::auth::hash_password(services::demo::DEMO_PASSWORD)
                        .await
                        .map_err(|e| format!("hash: {e}"))?,
                );
            }
            let user = NewUser {
                username: officer.username.clone(),
                display_name: format!("测试信息员{:02}", i + 1),
                phone: None,
                grants: vec![(Role::InfoOfficer, officer.village_id)],
            };
            services::demo::create_demo_user(db, &user, hash.as_deref().unwrap_or_default(), Utc::now())
                .await
                .map_err(|e| format!("create {}: {e}", officer.username))?;
        }
        out.push(officer);
    }
    Ok(out)
}

async fn author_ids(db: &Database, officers: &[Officer]) -> Result<BTreeMap<String, i64>, String> {
    let mut ids = BTreeMap::new();
    for o in officers {
        let c = db
            .credentials(&o.username)
            .await
            .map_err(|e| format!("account: {e}"))?
            .ok_or_else(|| format!("no account {}", o.username))?;
        ids.insert(o.username.clone(), c.user_id);
    }
    Ok(ids)
}

async fn count(db: &Database, table: &str) -> Result<i64, String> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let n = match db {
        Database::Sqlite(pool) => sqlx::query_scalar(&sql).fetch_one(pool).await,
        Database::Postgres { pool, .. } => sqlx::query_scalar(&sql).fetch_one(pool).await,
    };
    n.map_err(|e| format!("count {table}: {e}"))
}

/// What the officers write: the place, what happened, what was done. Each kind has its
/// own sentences; `{n}` is a small number.
const KINDS: &[(&str, &[&str], &[&str])] = &[
    (
        "land",
        &["三组与四组交界的责任田", "村东头的承包地", "河滩边的自留地"],
        &[
            "两户村民因承包地边界争执，一方拔掉了界桩，双方家属约{n}人在地头对峙。",
            "外出务工返乡村民发现承包地被邻居耕种，要求退还，对方拒绝。",
        ],
    ),
    (
        "wages_owed",
        &["村口在建的安置房工地", "镇工业园的砖厂", "村里的蔬菜合作社"],
        &[
            "{n}名本村民工反映包工头拖欠工资近半年，今天聚集在工地门口讨要。",
            "合作社拖欠季节工工钱，工人多次讨要无果，情绪激动。",
        ],
    ),
    (
        "neighbours",
        &["五组两户之间的巷道", "村委会旁的老宅", "新村安置点"],
        &[
            "邻居建房占用公共巷道，另一户出行受阻，双方发生口角并有推搡。",
            "因排水沟堵塞污水流入邻家院子，两家争吵多次，已调解一次未果。",
        ],
    ),
    (
        "family",
        &["二组一户村民家中", "村卫生室门口"],
        &[
            "夫妻因赡养老人问题争吵，妻子回娘家，老人无人照料。",
            "兄弟之间因老宅继承分配不均发生争执，扬言要动手。",
        ],
    ),
    (
        "demolition",
        &["高速公路征地范围内的{n}户", "镇规划道路沿线"],
        &[
            "征地补偿标准公示后，{n}户村民认为青苗补偿过低，拒绝签字。",
            "拆迁户反映安置房分配顺序不公开，要求镇里说明。",
        ],
    ),
    (
        "environment",
        &["村西的小河", "养殖场下游的水塘", "砖厂周边"],
        &[
            "养殖场废水直排小河，河水发黑发臭，下游{n}户村民反映强烈。",
            "砖厂夜间焚烧垃圾，浓烟影响周边住户，老人咳嗽加重。",
        ],
    ),
    (
        "safety",
        &["村口石桥", "小学门前的路口", "后山的废弃矿洞"],
        &[
            "桥面出现裂缝，桥墩有松动迹象，每天有学生和农用车经过。",
            "山体在连续降雨后出现裂缝，坡下有{n}户住房，存在滑坡危险。",
            "废弃矿洞口的围挡倒塌，常有小孩在附近玩耍。",
        ],
    ),
    (
        "other",
        &["村民活动中心", "集市"],
        &["有外来人员在集市向老人推销所谓保健品，多名老人已付款。"],
    ),
];

const ACTIONS: &[&str] = &[
    "已到现场劝离，做了双方的思想工作，约定明天由村调委会再调解。",
    "已拉警戒线并安排人员看守，通知了镇安监办。",
    "已登记人员名单，答复将上报镇里协调解决。",
    "",
];

/// One report by `officer`, as the phone sends it and as it is stored.
fn report(
    rng: &mut Rng,
    officer: &Officer,
    kinds: &[ReportKind],
    now: DateTime<Utc>,
    run_tag: u64,
    n: usize,
) -> Result<Made, String> {
    let (kind, places, facts) = rng.pick(KINDS);
    let fill = |s: &str, rng: &mut Rng| s.replace("{n}", &rng.range(2, 30).to_string());
    let severity = *rng.weighted(&[("general", 700), ("serious", 250), ("urgent", 50)]);
    let found_at = now - chrono::Duration::minutes(rng.range(30, 6 * 24 * 60));
    let created_at = found_at + chrono::Duration::minutes(rng.range(5, 25));
    let with_gps = rng.chance(600);
    let form = ReportForm {
        kind: (*kind).to_owned(),
        severity: severity.to_owned(),
        village_id: Some(officer.village_id),
        grid_id: None,
        place: fill(rng.pick(places), rng),
        latitude: with_gps.then(|| 30.5 + rng.below(10_000) as f64 / 100_000.0),
        longitude: with_gps.then(|| 114.3 + rng.below(10_000) as f64 / 100_000.0),
        accuracy_m: with_gps.then(|| rng.range(5, 60) as f64),
        found_at: found_at.to_rfc3339(),
        parties: if rng.chance(500) {
            "当事双方及其家属".to_owned()
        } else {
            String::new()
        },
        person_count: Some(rng.range(1, 30)),
        description: fill(rng.pick(facts), rng),
        action_taken: (*rng.pick(ACTIONS)).to_owned(),
        needs_township: severity != "general" || rng.chance(200),
        photos: Vec::new(),
    };
    let checked =
        check_report(&form, kinds, now).map_err(|e| format!("a made report does not pass: {e:?}"))?;
    // Distinct across runs on the same database: the run's time and the number.
    let client_uuid = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (run_tag >> 16) as u32,
        (run_tag & 0xffff) as u16,
        rng.below(0x1000),
        rng.below(0x1000),
        n
    );
    let device_id = format!("phone-{}", officer.username);
    let record = json!({
        "client_id": client_uuid,
        "record_type": "field_report",
        "author": officer.username,
        "device_id": device_id,
        "created_at": created_at.to_rfc3339(),
        "body": form,
    });
    Ok(Made {
        record,
        row: Row {
            client_uuid,
            author: officer.username.clone(),
            device_id,
            created_at,
            report: checked,
        },
    })
}

struct Pushed {
    wall: Duration,
    times: Vec<Duration>,
    stored: usize,
    /// What else came back: a status, or an outcome other than `stored`.
    other: BTreeMap<String, usize>,
}

/// Each client sends its pushes one after another, all clients at once.
async fn push_all(app: &Router, cookies: Vec<String>, bodies: Vec<Vec<Vec<u8>>>) -> Pushed {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (k, (cookie, batches)) in cookies.into_iter().zip(bodies).enumerate() {
        let app = app.clone();
        let from = web::peer(u64::try_from(k).unwrap_or(0) + 1);
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(batches.len());
            let mut stored = 0;
            let mut other: BTreeMap<String, usize> = BTreeMap::new();
            for body in batches {
                let request = Request::post("/api/v1/sync/push")
                    .header(header::CONTENT_TYPE, "application/json")
                    .header("sec-fetch-site", "same-origin")
                    .header(header::COOKIE, &cookie)
                    .body(Body::from(body))
                    .expect("a push request");
                let reply = web::send(&app, request, from).await;
                times.push(reply.elapsed);
                let answer: Value = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
                if !reply.status.is_success() {
                    *other
                        .entry(format!("HTTP {}: {}", reply.status, answer["code"]))
                        .or_default() += 1;
                    continue;
                }
                for line in answer["results"].as_array().into_iter().flatten() {
                    match line["status"].as_str() {
                        Some("stored") => stored += 1,
                        status => {
                            let what = format!(
                                "{} {}",
                                status.unwrap_or("?"),
                                line["code"].as_str().unwrap_or("")
                            );
                            *other.entry(what).or_default() += 1;
                        }
                    }
                }
            }
            (times, stored, other)
        }));
    }
    let mut out = Pushed {
        wall: Duration::ZERO,
        times: Vec::new(),
        stored: 0,
        other: BTreeMap::new(),
    };
    for task in tasks {
        match task.await {
            Ok((times, stored, other)) => {
                out.times.extend(times);
                out.stored += stored;
                for (what, n) in other {
                    *out.other.entry(what).or_default() += n;
                }
            }
            Err(e) => *out.other.entry(format!("client task failed: {e}")).or_default() += 1,
        }
    }
    out.wall = started.elapsed();
    out
}

/// The plain INSERT's database: beside the ingest's.
fn baseline_url(url: &str) -> Result<String, String> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let (path, query) = rest.split_once('?').map_or((rest, None), |(p, q)| (p, Some(q)));
        let stem = path.strip_suffix(".db").unwrap_or(path);
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(format!("sqlite://{stem}-baseline.db{query}"));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
        let (server, name) = base
            .rsplit_once('/')
            .filter(|(server, _)| server.contains("://"))
            .ok_or("the PostgreSQL URL names no database; give --baseline-url")?;
        let name = if name.is_empty() { "postgres" } else { name };
        let query = query.map(|q| format!("?{q}")).unwrap_or_default();
        return Ok(format!("{server}/{name}_baseline{query}"));
    }
    Err(format!("not a sqlite:// or postgres:// URL: {}", redact(url)))
}

/// A URL without its password, for printing.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let user = &url[s + 3..at];
            let user = user.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..s + 3], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// A database made empty for the plain INSERT, and how to remove it afterwards.
struct Fresh {
    url: String,
    /// SQLite: the file (and its -wal, -shm); PostgreSQL: a URL to drop it from, and its name.
    file: Option<std::path::PathBuf>,
    pg: Option<(String, String)>,
}

impl Fresh {
    async fn remove(self) {
        if let Some(file) = &self.file {
            remove_sqlite(file);
        }
        if let Some((admin, name)) = &self.pg {
            let _ = pg_exec(admin, &format!("DROP DATABASE IF EXISTS {name}")).await;
        }
    }
}

fn remove_sqlite(file: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = file.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
}

async fn pg_exec(url: &str, sql: &str) -> Result<(), String> {
    use sqlx::Connection;
    let mut c = sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| format!("connect to {}: {e}", redact(url)))?;
    sqlx::query(sql)
        .execute(&mut c)
        .await
        .map_err(|e| format!("{sql}: {e}"))?;
    let _ = c.close().await;
    Ok(())
}

async fn fresh_database(url: &str) -> Result<Fresh, String> {
    if let Some(rest) = url.strip_prefix("sqlite://") {
        let path = std::path::PathBuf::from(rest.split('?').next().unwrap_or(rest));
        remove_sqlite(&path);
        return Ok(Fresh {
            url: url.to_owned(),
            file: Some(path),
            pg: None,
        });
    }
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, name) = base
        .rsplit_once('/')
        .ok_or("the baseline URL names no database")?;
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!(
            "the baseline database's name must be letters, digits and _: {name}"
        ));
    }
    let admin = format!(
        "{server}/postgres{}",
        query.map(|q| format!("?{q}")).unwrap_or_default()
    );
    pg_exec(&admin, &format!("DROP DATABASE IF EXISTS {name}")).await?;
    pg_exec(&admin, &format!("CREATE DATABASE {name}")).await?;
    Ok(Fresh {
        url: url.to_owned(),
        file: None,
        pg: Some((admin, name.to_owned())),
    })
}

/// One multi-row INSERT of `rows` into `field_report`, with the columns and values the
/// push writes.
macro_rules! insert_rows {
    ($pool:expr, $township:expr, $ids:expr, $rows:expr, $at:expr) => {{
        let mut qb = sqlx::QueryBuilder::new(
            "INSERT INTO field_report (client_uuid, township_id, village_id, grid_id, kind, category, severity, \
             urgent, place, latitude, longitude, accuracy_m, found_at, parties, person_count, description, \
             action_taken, needs_township, state, author_id, device_id, created_at, received_at, updated_at) ",
        );
        qb.push_values($rows, |mut b, r: &Row| {
            let n = &r.report;
            b.push_bind(&r.client_uuid)
                .push_bind($township)
                .push_bind(n.village_id)
                .push_bind(n.grid_id)
                .push_bind(&n.kind)
                .push_bind(n.category.as_str())
                .push_bind(n.severity.as_str())
                .push_bind(n.is_urgent())
                .push_bind(&n.place)
                .push_bind(n.gps.map(|g| g.latitude))
                .push_bind(n.gps.map(|g| g.longitude))
                .push_bind(n.gps.and_then(|g| g.accuracy_m))
                .push_bind(n.found_at)
                .push_bind(&n.parties)
                .push_bind(n.person_count)
                .push_bind(&n.description)
                .push_bind(&n.action_taken)
                .push_bind(n.needs_township)
                .push_bind("new")
                .push_bind($ids.get(&r.author).copied().unwrap_or_default())
                .push_bind(&r.device_id)
                .push_bind(r.created_at)
                .push_bind($at)
                .push_bind($at);
        });
        qb.build().execute($pool).await.map(drop)
    }};
}

/// Every client's rows, `batch` a statement, all clients at once. On SQLite the
/// statements queue in this process first, as the server's writers do, so none sleeps
/// in SQLite's busy handler.
async fn insert_all(
    db: &Database,
    township_id: i64,
    ids: &BTreeMap<String, i64>,
    rows: Vec<Vec<Row>>,
    batch: usize,
) -> Result<Duration, String> {
    let queue = Arc::new(tokio::sync::Mutex::new(()));
    let ids = Arc::new(ids.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_rows in rows {
        let (db, queue, ids) = (db.clone(), queue.clone(), ids.clone());
        tasks.push(tokio::spawn(async move {
            for chunk in client_rows.chunks(batch) {
                let at = Utc::now();
                let done = match &db {
                    Database::Sqlite(pool) => {
                        let _turn = queue.lock().await;
                        insert_rows!(pool, township_id, ids, chunk, at)
                    }
                    Database::Postgres { pool, .. } => insert_rows!(pool, township_id, ids, chunk, at),
                };
                done.map_err(|e| format!("insert: {e}"))?;
            }
            Ok::<(), String>(())
        }));
    }
    for task in tasks {
        task.await.map_err(|e| format!("insert task: {e}"))??;
    }
    Ok(started.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_inserts_database_sits_beside_the_ingests() {
        assert_eq!(
            baseline_url("sqlite:///tmp/ingest.db").unwrap(),
            "sqlite:///tmp/ingest-baseline.db"
        );
        assert_eq!(
            baseline_url("sqlite://data/x?mode=rwc").unwrap(),
            "sqlite://data/x-baseline.db?mode=rwc"
        );
        assert_eq!(
            baseline_url("postgres://postgres@127.0.0.1:5432/ingest").unwrap(),
            "postgres://postgres@127.0.0.1:5432/ingest_baseline"
        );
        assert!(baseline_url("mysql://x/y").is_err());
        assert_eq!(redact("postgres://me:secret@host/db"), "postgres://me@host/db");
    }
}
