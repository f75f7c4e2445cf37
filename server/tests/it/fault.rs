//! The fault test of issue 5: the real `minqing serve` binary is killed with SIGKILL at
//! random moments and started again while several phones push thousands of reports, on
//! SQLite and on PostgreSQL. The phones retry as the app does: a batch whose answer did
//! not arrive is sent again whole, and a record leaves the queue only once the server
//! has answered it `stored` or `duplicate`. Afterwards every report is in the database
//! exactly once and every phone saw each of its reports settled.

use std::collections::{BTreeSet, VecDeque};
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

const PHONES: usize = 6;
const REPORTS_PER_PHONE: usize = 1_000;
const BATCH: usize = 100;

/// xorshift64*: the kill moments and the phones' pauses. The seed is printed, so a
/// failing run can be repeated with `MINQING_FAULT_SEED`.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn seed() -> u64 {
    std::env::var("MINQING_FAULT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(1);
            (nanos as u64) | 1
        })
}

/// What came back for one request, or `None` if no whole answer arrived.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// One HTTP/1.1 request on a fresh connection, read to the end. A connection refused or
/// reset, a truncated body or a timeout is "no answer": what a phone sees when the
/// server dies under it.
async fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Answer> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        stream.write_all(body).await.ok()?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.ok()?;
        parse(&raw)
    };
    tokio::time::timeout(Duration::from_secs(20), exchange)
        .await
        .ok()
        .flatten()
}

fn parse(raw: &[u8]) -> Option<Answer> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let rest = &raw[split + 4..];
    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        unchunk(rest)?
    } else {
        let length: usize = header("content-length")?.parse().ok()?;
        (rest.len() == length).then(|| rest.to_vec())?
    };
    Some(Answer {
        status,
        headers,
        body,
    })
}

/// A chunked body, only if it is complete (ends with the zero-length chunk).
fn unchunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size = usize::from_str_radix(
            std::str::from_utf8(&rest[..end]).ok()?.split(';').next()?.trim(),
            16,
        )
        .ok()?;
        rest = &rest[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

/// The server under test: the binary, its database and address, and the process now
/// running (if any).
struct Server {
    url: String,
    addr: String,
    site: storage::testing::TempDir,
    child: Option<Child>,
}

impl Server {
    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_minqing"));
        c.arg("--database-url")
            .arg(&self.url)
            .arg("--addr")
            .arg(&self.addr)
            .arg("--site-root")
            .arg(&self.site.0)
            .env("MINQING_LOG", "error")
            .env_remove("MINQING_TRUST_PROXY")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        c
    }

    async fn seed(&self) {
        let status = self
            .command()
            .arg("seed-demo")
            .status()
            .await
            .expect("run minqing seed-demo");
        assert!(status.success(), "seed-demo failed: {status}");
    }

    /// Starts `minqing serve` and waits until it answers its health check.
    async fn start(&mut self) {
        let child = self.command().arg("serve").spawn().expect("start minqing serve");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(a) = request(&self.addr, "GET", "/healthz", &[], b"").await
                && a.status == 200
            {
                return;
            }
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                panic!("minqing serve exited at start: {status}");
            }
            assert!(Instant::now() < deadline, "minqing serve did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL: no shutdown, no flushing, whatever was in flight is cut off.
    async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.start_kill().expect("SIGKILL");
            child.wait().await.expect("reap the killed server");
        }
    }
}

fn free_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").to_string()
}

async fn login(addr: &str) -> String {
    let body = format!("username=officer&password={}", services::demo::DEMO_PASSWORD);
    let answer = request(
        addr,
        "POST",
        "/api/login",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
        ],
        body.as_bytes(),
    )
    .await
    .expect("the login answered");
    answer
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .find_map(|(_, v)| {
            v.starts_with("minqing_session=")
                .then(|| v.split(';').next().unwrap_or("").to_owned())
        })
        .unwrap_or_else(|| {
            panic!(
                "no session cookie: {} {}",
                answer.status,
                String::from_utf8_lossy(&answer.body)
            )
        })
}

fn report(phone: usize, n: usize, village: i64) -> (String, Value) {
    let id = format!("{:08x}-0000-4000-8000-{:012x}", phone + 1, n);
    let found = chrono::Utc::now() - chrono::Duration::hours(2);
    let record = json!({
        "client_id": id,
        "record_type": "field_report",
        "author": "officer",
        "device_id": format!("phone-{phone}"),
        "created_at": chrono::Utc::now().to_rfc3339(),
        "body": {
            "kind": "neighbours", "severity": if n.is_multiple_of(50) { "urgent" } else { "general" },
            "village_id": village, "place": "五组巷道", "found_at": found.to_rfc3339(),
            "person_count": 2, "description": format!("第{n}号：邻居建房占用巷道，双方争执。"),
        },
    });
    (id, record)
}

/// What one phone did.
#[derive(Debug, Default)]
struct PhoneRun {
    settled: BTreeSet<String>,
    sent: usize,
    resent: usize,
    duplicates: usize,
}

/// A phone's sync loop: the first `BATCH` records of the queue, sent until an answer
/// arrives; the records answered `stored` or `duplicate` leave the queue.
async fn phone(
    addr: String,
    cookie: String,
    mut queue: VecDeque<(String, Value)>,
    seed: u64,
    answered: Arc<AtomicUsize>,
) -> PhoneRun {
    let mut rng = Rng(seed | 1);
    let mut run = PhoneRun::default();
    let started = Instant::now();
    while !queue.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the phone never emptied its queue"
        );
        let batch: Vec<&Value> = queue.iter().take(BATCH).map(|(_, r)| r).collect();
        let body = json!({ "records": batch }).to_string();
        run.sent += 1;
        let answer = request(
            &addr,
            "POST",
            "/api/v1/sync/push",
            &[
                ("Content-Type", "application/json"),
                ("Sec-Fetch-Site", "same-origin"),
                ("Cookie", &cookie),
            ],
            body.as_bytes(),
        )
        .await;
        let results = match answer {
            Some(a) if a.status == 200 => serde_json::from_slice::<Value>(&a.body).ok(),
            Some(a) => {
                // The server is up but did not take it (starting, busy, throttled):
                // the phone tries again later. A lost session would lose the queue's
                // owner, which must never happen: sessions live in the database.
                assert!(
                    matches!(a.status, 429 | 503),
                    "push answered {}: {}",
                    a.status,
                    String::from_utf8_lossy(&a.body)
                );
                None
            }
            None => None,
        };
        if results.is_some() {
            answered.fetch_add(1, Ordering::SeqCst);
        }
        let Some(results) = results else {
            run.resent += 1;
            tokio::time::sleep(Duration::from_millis(20 + rng.below(80))).await;
            continue;
        };
        for line in results["results"].as_array().expect("results") {
            let id = line["client_id"].as_str().expect("client_id").to_owned();
            match line["status"].as_str() {
                Some("stored") => {}
                Some("duplicate") => run.duplicates += 1,
                other => panic!("record {id} answered {other:?}: {line}"),
            }
            queue.retain(|(queued, _)| *queued != id);
            run.settled.insert(id);
        }
    }
    run
}

async fn village(url: &str) -> i64 {
    let db = storage::Database::connect(url).await.expect("open the database");
    let structure = db.org_structure().await.expect("org").expect("seeded");
    let id = structure.villages[0].village.id;
    db.close().await;
    id
}

/// Reports stored with their receipt: the hash of the body they came with.
const RECEIPTS: &str = "SELECT COUNT(*) FROM field_report WHERE body_hash IS NOT NULL";

async fn stored_ids(url: &str) -> (Vec<String>, i64) {
    let db = storage::Database::connect(url).await.expect("open the database");
    let ids: Vec<String> = match &db {
        storage::Database::Sqlite(pool) => sqlx::query_scalar("SELECT client_uuid FROM field_report")
            .fetch_all(pool)
            .await
            .expect("reports"),
        storage::Database::Postgres { pool, .. } => {
            sqlx::query_scalar("SELECT client_uuid FROM field_report")
                .fetch_all(pool)
                .await
                .expect("reports")
        }
    };
    let receipts: i64 = match &db {
        storage::Database::Sqlite(pool) => sqlx::query_scalar(RECEIPTS)
            .fetch_one(pool)
            .await
            .expect("receipts"),
        storage::Database::Postgres { pool, .. } => sqlx::query_scalar(RECEIPTS)
            .fetch_one(pool)
            .await
            .expect("receipts"),
    };
    db.close().await;
    (ids, receipts)
}

async fn push_through_kills(label: &str, url: String) {
    let seed = seed();
    eprintln!("{label}: fault test seed {seed} (MINQING_FAULT_SEED={seed} repeats the kill moments)");
    let mut server = Server {
        url,
        addr: free_address(),
        site: storage::testing::temp_dir(),
        child: None,
    };
    server.seed().await;
    let village = village(&server.url).await;
    server.start().await;

    let mut phones = Vec::new();
    let mut expected = BTreeSet::new();
    let done = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    for p in 0..PHONES {
        let cookie = login(&server.addr).await;
        let queue: VecDeque<(String, Value)> =
            (0..REPORTS_PER_PHONE).map(|n| report(p, n, village)).collect();
        let ids: BTreeSet<String> = queue.iter().map(|(id, _)| id.clone()).collect();
        expected.extend(ids.iter().cloned());
        let (addr, done, answered) = (server.addr.clone(), done.clone(), answered.clone());
        let phone_seed = seed.wrapping_mul(31).wrapping_add(p as u64);
        phones.push((
            ids,
            tokio::spawn(async move {
                let run = phone(addr, cookie, queue, phone_seed, answered).await;
                done.fetch_add(1, Ordering::SeqCst);
                run
            }),
        ));
    }

    // The killer: after every few answered pushes (one to four), at a random moment
    // within the next 40 ms, SIGKILL, then start again, until every phone is done. Counting
    // answers rather than time keeps it killing however fast the server is.
    let mut rng = Rng(seed);
    let mut kills = 0;
    while done.load(Ordering::SeqCst) < PHONES {
        let target = answered.load(Ordering::SeqCst) + 1 + usize::try_from(rng.below(4)).unwrap_or(0);
        while answered.load(Ordering::SeqCst) < target && done.load(Ordering::SeqCst) < PHONES {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.below(40))).await;
        if done.load(Ordering::SeqCst) == PHONES {
            break;
        }
        server.kill().await;
        kills += 1;
        // Sometimes the phones meet a dead server for a while before it comes back.
        tokio::time::sleep(Duration::from_millis(rng.below(150))).await;
        server.start().await;
    }
    server.kill().await;

    let mut resent = 0;
    let mut duplicates = 0;
    let mut sent = 0;
    for (p, (ids, task)) in phones.into_iter().enumerate() {
        let run = task.await.expect("phone task");
        assert_eq!(
            run.settled, ids,
            "{label}: phone {p} did not see each of its reports settled"
        );
        resent += run.resent;
        duplicates += run.duplicates;
        sent += run.sent;
    }
    let (stored, receipts) = stored_ids(&server.url).await;
    let unique: BTreeSet<String> = stored.iter().cloned().collect();
    eprintln!(
        "{label}: {kills} kills; {sent} pushes sent, {resent} without an answer; {duplicates} records answered duplicate; {} reports stored",
        stored.len()
    );
    assert_eq!(stored.len(), unique.len(), "{label}: a report stored twice");
    let missing: Vec<&String> = expected.difference(&unique).collect();
    assert!(
        missing.is_empty(),
        "{label}: {} reports lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert_eq!(unique, expected, "{label}: reports that no phone sent");
    assert_eq!(
        usize::try_from(receipts).unwrap_or(0),
        expected.len(),
        "{label}: receipts"
    );
    assert!(
        kills > 0,
        "{label}: the server was never killed; the test proved nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_every_report_exactly_once_through_kill_9() {
    let dir = storage::testing::temp_dir();
    let url = format!("sqlite://{}", dir.0.join("minqing.db").display());
    push_through_kills("sqlite", url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_keeps_every_report_exactly_once_through_kill_9() {
    let Some(url) = storage::testing::postgres_url().await else {
        return;
    };
    push_through_kills("postgres", url).await;
}
