//! The registry under load: `--clients` clerks at once, each asking for the first page of
//! a filter with a full-text query, as the hydrated registry page asks: the server
//! function `POST /api/petition_registry`, its argument form-encoded
//! (`filter[state]=in_handling&filter[query]=…`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use domain::petition::{Channel, PetitionKind, PetitionState};
use domain::registry::{RegistryFilter, RegistryPage};
use storage::PetitionScope;

use crate::web::{encode, peer, send};

/// One kind of search: a label and the filter's fields (names as in `RegistryFilter`).
#[derive(Debug, Clone)]
pub struct Case {
    pub label: String,
    pub fields: Vec<(&'static str, String)>,
}

impl Case {
    pub fn new(label: impl Into<String>, fields: &[(&'static str, &str)]) -> Self {
        Self {
            label: label.into(),
            fields: fields.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        }
    }
}

/// How the argument's nested names are written in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brackets {
    /// `filter%5Bquery%5D=…`, as serde_qs (the browser's server-function client) writes.
    Encoded,
    /// `filter[query]=…`.
    Raw,
}

pub fn body(case: &Case, brackets: Brackets) -> String {
    let (open, close) = match brackets {
        Brackets::Encoded => ("%5B", "%5D"),
        Brackets::Raw => ("[", "]"),
    };
    let mut pairs: Vec<String> = case
        .fields
        .iter()
        .map(|(k, v)| format!("filter{open}{k}{close}={}", encode(v)))
        .collect();
    // The two fields without a default: the first page, newest first.
    pairs.push(format!("filter{open}sort{close}=newest"));
    pairs.push(format!("filter{open}page{close}=1"));
    pairs.join("&")
}

fn request(case: &Case, brackets: Brackets, cookie: &str) -> Request<Body> {
    Request::post("/api/petition_registry")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, cookie)
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(body(case, brackets)))
        .unwrap_or_default()
}

/// What one search answered, checked in full.
#[derive(Debug, Clone)]
pub struct Checked {
    pub label: String,
    /// `None`: found without counting (many matches).
    pub total: Option<i64>,
    pub rows: usize,
    pub elapsed: Duration,
}

/// Asks each case once, alone, and checks a 200 with rows. Finds the encoding that works
/// (serde_qs' own first). Fails with the server's answer if neither does.
pub async fn check(
    app: &Router,
    cookie: &str,
    cases: &[Case],
    space: u64,
) -> Result<(Brackets, Vec<Checked>), String> {
    let mut last_error = String::new();
    'encodings: for brackets in [Brackets::Encoded, Brackets::Raw] {
        let mut out = Vec::new();
        for (i, case) in cases.iter().enumerate() {
            let reply = send(app, request(case, brackets, cookie), peer(space + i as u64)).await;
            if !reply.status.is_success() {
                last_error = format!(
                    "{} ({brackets:?}): {} {}",
                    case.label,
                    reply.status,
                    reply.body.chars().take(300).collect::<String>()
                );
                continue 'encodings;
            }
            let page: RegistryPage = serde_json::from_str(&reply.body)
                .map_err(|e| format!("{}: not a registry page ({e}): {}", case.label, reply.body))?;
            if page.rows.is_empty() {
                last_error = format!("{} ({brackets:?}): 200 but no rows", case.label);
                continue 'encodings;
            }
            out.push(Checked {
                label: case.label.clone(),
                total: page.total,
                rows: page.rows.len(),
                elapsed: reply.elapsed,
            });
        }
        return Ok((brackets, out));
    }
    Err(last_error)
}

#[derive(Debug, Default)]
pub struct Run {
    /// Per case, every answered request's time.
    pub times: Vec<Vec<Duration>>,
    pub all: Vec<Duration>,
    /// Status code → count, for anything but a 200 with a registry page.
    pub errors: BTreeMap<u16, usize>,
    pub wall: Duration,
}

impl Run {
    pub fn failed(&self) -> usize {
        self.errors.values().sum()
    }

    pub fn per_second(&self) -> f64 {
        self.all.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// `clients` tasks ask `total` searches between them, cycling through the cases, each as
/// soon as its previous answer is in (a closed loop), after a pause of `think` on average
/// (none by default: the harshest reading of "clients at once").
#[allow(clippy::too_many_arguments)]
pub async fn run(
    app: &Router,
    cookie: &str,
    cases: &[Case],
    brackets: Brackets,
    clients: usize,
    total: usize,
    space: u64,
    think: Duration,
) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let cases = Arc::new(cases.to_vec());
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for client in 0..clients.max(1) {
        let (app, cookie, cases, next) = (app.clone(), cookie.to_owned(), cases.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine: Vec<(usize, Result<Duration, u16>)> = Vec::new();
            let mut rng = crate::data::Rng::new(client as u64);
            loop {
                if !think.is_zero() {
                    // Between half and one and a half times the pause, so clients drift apart.
                    let factor = 0.5 + rng.below(1000) as f64 / 1000.0;
                    tokio::time::sleep(think.mul_f64(factor)).await;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let case = i % cases.len();
                let reply = send(
                    &app,
                    request(&cases[case], brackets, &cookie),
                    peer(space + i as u64),
                )
                .await;
                let ok = reply.status.is_success() && reply.body.starts_with("{\"rows\":[{");
                mine.push((
                    case,
                    if ok {
                        Ok(reply.elapsed)
                    } else {
                        Err(reply.status.as_u16())
                    },
                ));
            }
            mine
        }));
    }
    let mut run = Run {
        times: vec![Vec::new(); cases.len()],
        ..Run::default()
    };
    for task in tasks {
        for (case, result) in task.await.unwrap_or_default() {
            match result {
                Ok(t) => {
                    run.times[case].push(t);
                    run.all.push(t);
                }
                Err(status) => *run.errors.entry(status).or_default() += 1,
            }
        }
    }
    run.wall = started.elapsed();
    run
}

/// The filter a case stands for, as the server function would decode it.
pub fn filter_of(case: &Case) -> RegistryFilter {
    let mut f = RegistryFilter {
        page: 1,
        ..RegistryFilter::default()
    };
    for (k, v) in &case.fields {
        let date = || chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
        match *k {
            "state" => f.state = PetitionState::parse(v),
            "channel" => f.channel = Channel::parse(v),
            "kind" => f.kind = PetitionKind::parse(v),
            "village_id" => f.village_id = v.parse().ok(),
            "department_id" => f.department_id = v.parse().ok(),
            "from" => f.from = date(),
            "to" => f.to = date(),
            "query" => f.query = Some(v.clone()),
            _ => {}
        }
    }
    f
}

/// The same searches straight on the storage layer (no HTTP, no session, no JSON), to
/// tell the database's share from the rest: the registry's page with its capped count
/// (what the server function runs), or the page alone.
pub async fn run_storage(
    db: &storage::Database,
    scope: &PetitionScope,
    cases: &[Case],
    clients: usize,
    total: usize,
    page_only: bool,
) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let filters: Arc<Vec<RegistryFilter>> = Arc::new(cases.iter().map(filter_of).collect());
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients.max(1) {
        let (db, scope, filters, next) = (db.clone(), scope.clone(), filters.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine: Vec<(usize, Result<Duration, u16>)> = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let case = i % filters.len();
                let t0 = Instant::now();
                let rows = if page_only {
                    db.registry_rows(&filters[case], &scope, 0, i64::from(domain::registry::PAGE_SIZE))
                        .await
                        .map(|r| r.len())
                } else {
                    db.registry(&filters[case], &scope).await.map(|p| p.rows.len())
                };
                mine.push((
                    case,
                    match rows {
                        Ok(n) if n > 0 => Ok(t0.elapsed()),
                        Ok(_) => Err(200),
                        Err(_) => Err(500),
                    },
                ));
            }
            mine
        }));
    }
    let mut run = Run {
        times: vec![Vec::new(); cases.len()],
        ..Run::default()
    };
    for task in tasks {
        for (case, result) in task.await.unwrap_or_default() {
            match result {
                Ok(t) => {
                    run.times[case].push(t);
                    run.all.push(t);
                }
                Err(status) => *run.errors.entry(status).or_default() += 1,
            }
        }
    }
    run.wall = started.elapsed();
    run
}
