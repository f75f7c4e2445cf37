//! The public form under load: `--clients` citizens at once post the petition form
//! (`POST /petition`, multipart, no attachment) as the browser does with JavaScript off,
//! each with a solved challenge issued a minute before, their own phone and their own
//! address (the form allows 5 a day per phone and 10 an hour per address, and every
//! POST passes the per-address rate limit). Accepted means a 200 whose page is the
//! receipt (受理回执).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};

use crate::data::{Generator, Rng, resident_id};
use crate::web::{peer, send};

const BOUNDARY: &str = "----minqing-bench-boundary";

fn multipart(fields: &[(&str, String)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    // The file input with nothing chosen still posts one empty, nameless part.
    body.extend(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// `count` filled-in forms, ready to post: made before the clock starts.
/// Their matters come from the generator (as the petitions loaded before them), so the
/// newest petitions of a run look like the rest and a later run's searches meet the same
/// mix of phrases.
pub async fn forms(
    db: &storage::Database,
    generator: &Generator,
    count: usize,
) -> Result<Vec<Vec<u8>>, String> {
    let secret = services::challenge::form_secret(db)
        .await
        .map_err(|e| format!("form secret: {e}"))?;
    // Phones differ from run to run too: the per-phone count lasts a day.
    let run = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(1);
    let mut rng = Rng::new(run);
    let base = rng.below(80_000_000);
    let issued = chrono::Utc::now() - chrono::Duration::seconds(60);
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let challenge = services::challenge::issue(&secret, issued);
        let index = generator.total + u64::try_from(i).unwrap_or(0);
        let matter = generator.petition(index);
        let villages = &generator.township.villages;
        let village_id = matter.village_id.unwrap_or(villages[i % villages.len()].0);
        let village = villages
            .iter()
            .find(|(id, _)| *id == village_id)
            .map_or("", |(_, name)| name.as_str());
        let fields = [
            ("kind", matter.kind.as_str().to_owned()),
            ("village_id", village_id.to_string()),
            ("subject", matter.subject),
            ("content", matter.content),
            (
                "request",
                matter.request.unwrap_or_else(|| "请求依法处理。".to_owned()),
            ),
            // A report or accusation names whom it is about; the others ignore it.
            ("reported_name", "某村干部".to_owned()),
            ("name", "张秀英".to_owned()),
            ("resident_id", resident_id(&mut rng)),
            ("phone", format!("199{:08}", base + u64::try_from(i).unwrap_or(0))),
            ("address", format!("{village}三组12号")),
            ("consent", "on".to_owned()),
            ("website", String::new()),
            ("challenge_token", challenge.token),
            ("challenge", (challenge.a + challenge.b).to_string()),
        ];
        out.push(multipart(&fields));
    }
    Ok(out)
}

#[derive(Debug, Default)]
pub struct Run {
    pub accepted: usize,
    pub times: Vec<Duration>,
    /// Status → (count, the first answer's words), for anything but a receipt.
    pub errors: BTreeMap<u16, (usize, String)>,
    pub wall: Duration,
}

impl Run {
    pub fn per_second(&self) -> f64 {
        self.accepted as f64 / self.wall.as_secs_f64().max(1e-9)
    }
}

/// Posts every form, `clients` at a time in a closed loop.
pub async fn run(app: &Router, forms: Vec<Vec<u8>>, clients: usize) -> Run {
    let space = crate::web::run_base();
    let total = forms.len();
    let forms = Arc::new(forms);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (app, forms, next) = (app.clone(), forms.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let request = Request::post("/petition")
                    .header(header::ACCEPT, "text/html")
                    .header(
                        header::CONTENT_TYPE,
                        format!("multipart/form-data; boundary={BOUNDARY}"),
                    )
                    .header("sec-fetch-site", "same-origin")
                    .body(Body::from(forms[i].clone()))
                    .unwrap_or_default();
                let reply = send(&app, request, peer(space + i as u64)).await;
                let accepted = reply.status.is_success() && reply.body.contains("受理回执");
                let detail = if accepted {
                    String::new()
                } else {
                    problem(&reply.body)
                };
                mine.push((reply.status.as_u16(), accepted, reply.elapsed, detail));
            }
            mine
        }));
    }
    let mut run = Run::default();
    for task in tasks {
        for (status, accepted, elapsed, detail) in task.await.unwrap_or_default() {
            run.times.push(elapsed);
            if accepted {
                run.accepted += 1;
            } else {
                run.errors.entry(status).or_insert((0, detail)).0 += 1;
            }
        }
    }
    run.wall = started.elapsed();
    run
}

/// The gist of a refusal: the page's error texts, else the start of the body.
fn problem(body: &str) -> String {
    let texts: Vec<&str> = ["class=\"error-message\"", "class=\"field-error\""]
        .iter()
        .flat_map(|marker| body.split(marker).skip(1))
        .filter_map(|s| {
            s.split_once('>')
                .map(|(_, rest)| rest.split('<').next().unwrap_or_default())
        })
        .filter(|t| !t.trim().is_empty())
        .take(3)
        .collect();
    if texts.is_empty() {
        body.chars().take(200).collect()
    } else {
        texts.join(" / ")
    }
}
