//! The service worker: generated at start-up from the files the build actually produced,
//! so its precache list names exactly this build's hashed wasm, JS and CSS, and its
//! version changes whenever any of them does (a deploy never mixes old and new files).

use std::path::Path;

/// Pages precached so the app opens with no network after the first visit: the front
/// door, the offline fallback, and the village officers' desk.
const PRECACHED_PAGES: [&str; 3] = ["/", "/offline", "/login"];

/// The kinds of build output in `pkg/` that pages load.
const PRECACHED_BUILD_FILES: [&str; 3] = [".wasm", ".js", ".css"];

/// The islands whose code the worker keeps, by function name (see `#[island(lazy)]`):
/// those of the pages that open offline, the public pages and the field area. The
/// office's islands are fetched when an office page needs them; nothing of the office
/// is kept on a device.
const OFFLINE_ISLANDS: [&str; 8] = [
    "field_area",
    "outbox_badge",
    "field_home_body",
    "report_body",
    "weekly_body",
    "outbox_body",
    "logout_button",
    "form_checks",
];

/// Lazy functions (`#[lazy]`) whose code the worker keeps: the field outbox's engine,
/// which the field pages fetch once they are interactive (`app/src/outbox/engine.rs`).
const OFFLINE_LAZY_FUNCTIONS: [&str; 1] = ["outbox_engine"];

/// The file (in `pkg/`) where the wasm split build lists each lazy function's chunks.
const SPLIT_MANIFEST: &str = "__wasm_split_manifest";

/// Shell files from `public/` that every page uses.
const SHELL_FILES: [&str; 5] = [
    "/manifest.webmanifest",
    "/pwa.js",
    "/icons/icon-192.png",
    "/icons/icon-512.png",
    "/icons/icon-512-maskable.png",
];

const TEMPLATE: &str = include_str!("sw.js");

#[derive(Debug, Clone)]
pub struct ServiceWorker {
    pub version: String,
    pub precache: Vec<String>,
    pub script: String,
}

impl ServiceWorker {
    /// Reads the built site under `site_root`. Files that are missing (a server run
    /// without a front-end build, as in the Rust tests) are simply not precached.
    pub fn for_site(site_root: &Path, pkg_dir: &str) -> Self {
        let mut files: Vec<(String, Vec<u8>)> = Vec::new();
        let mut names: Vec<String> = std::fs::read_dir(site_root.join(pkg_dir))
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        let chunks = offline_chunks(site_root, pkg_dir, &names);
        for name in names {
            // Only what a page loads: not the precompressed twins (served in place of
            // the originals) nor wasm-bindgen's TypeScript declarations; of the lazy
            // islands' chunks, only those the offline pages need.
            if !PRECACHED_BUILD_FILES.iter().any(|ext| name.ends_with(ext)) {
                continue;
            }
            if let Some(chunks) = &chunks
                && is_chunk(&name)
                && !chunks.contains(stem(&name))
            {
                continue;
            }
            if let Ok(bytes) = std::fs::read(site_root.join(pkg_dir).join(&name)) {
                files.push((format!("/{pkg_dir}/{name}"), bytes));
            }
        }
        for url in SHELL_FILES {
            if let Ok(bytes) = std::fs::read(site_root.join(url.trim_start_matches('/'))) {
                files.push((url.to_owned(), bytes));
            }
        }
        files.sort();
        Self::from_files(&files)
    }

    /// Builds the worker from (url, contents) pairs; pure, for testing.
    pub fn from_files(files: &[(String, Vec<u8>)]) -> Self {
        let mut hash = Fnv1a::new();
        hash.write(TEMPLATE.as_bytes());
        for (url, bytes) in files {
            hash.write(url.as_bytes());
            hash.write(&[0]);
            hash.write(bytes);
        }
        let version = format!("{:016x}", hash.finish());
        let precache: Vec<String> = PRECACHED_PAGES
            .iter()
            .map(|p| (*p).to_owned())
            .chain(files.iter().map(|(url, _)| url.clone()))
            .collect();
        let list = serde_json::to_string(&precache).unwrap_or_else(|_| "[]".to_owned());
        let script = TEMPLATE
            .replace("__VERSION__", &version)
            .replace("__PRECACHE__", &list);
        Self {
            version,
            precache,
            script,
        }
    }
}

/// A file of a lazy function's code: `chunk_N.<hash>.wasm` or `split_<name>.<hash>.wasm`
/// as the split build writes them, `bundle_<name>.<hash>.wasm` once `minqing-bundle` has
/// merged them (the release build).
fn is_chunk(name: &str) -> bool {
    name.ends_with(".wasm")
        && ["chunk_", "split_", "bundle_"]
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// A chunk's name as the split manifest gives it: the file's name without `.wasm`
/// (with its content hash, when the build hashes file names).
fn stem(name: &str) -> &str {
    name.strip_suffix(".wasm").unwrap_or(name)
}

/// The chunks the offline islands need, from the split manifest (a JSON object: lazy
/// function name → chunk names). `None` when the build was not split.
fn offline_chunks(
    site_root: &Path,
    pkg_dir: &str,
    names: &[String],
) -> Option<std::collections::HashSet<String>> {
    let manifest = names
        .iter()
        .find(|n| n.starts_with(SPLIT_MANIFEST) && n.ends_with(".json"))?;
    let text = std::fs::read_to_string(site_root.join(pkg_dir).join(manifest)).ok()?;
    let lazy: std::collections::HashMap<String, Vec<String>> = serde_json::from_str(&text).ok()?;
    Some(
        lazy.into_iter()
            .filter(|(function, _)| is_offline_code(function))
            .flat_map(|(_, chunks)| chunks)
            .collect(),
    )
}

/// Whether a lazy function of the split manifest is code the offline pages need. The
/// manifest names an island `<island>_loader_<hash>` and a lazy function `<name>_<hash>`.
fn is_offline_code(function: &str) -> bool {
    let hash_after = |prefix: &str| {
        function
            .strip_prefix(prefix)
            .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()))
    };
    OFFLINE_ISLANDS
        .iter()
        .any(|island| hash_after(&format!("{island}_loader_")))
        || OFFLINE_LAZY_FUNCTIONS
            .iter()
            .any(|name| hash_after(&format!("{name}_")))
}

/// FNV-1a, 64 bit: a stable fingerprint of the build (not a security measure).
struct Fnv1a(u64);

impl Fnv1a {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(wasm: &[u8]) -> ServiceWorker {
        ServiceWorker::from_files(&[
            ("/pkg/minqing.abc123.wasm".to_owned(), wasm.to_vec()),
            ("/pwa.js".to_owned(), b"js".to_vec()),
        ])
    }

    #[test]
    fn the_worker_precaches_the_pages_and_exactly_the_given_files() {
        let sw = build(b"wasm");
        assert_eq!(
            sw.precache,
            ["/", "/offline", "/login", "/pkg/minqing.abc123.wasm", "/pwa.js"]
        );
        assert!(
            sw.script.contains(
                r#"const PRECACHE = ["/","/offline","/login","/pkg/minqing.abc123.wasm","/pwa.js"];"#
            )
        );
        assert!(
            sw.script
                .contains(&format!(r#"const VERSION = "{}";"#, sw.version))
        );
        assert!(!sw.script.contains("__"), "every placeholder is filled");
    }

    #[test]
    fn a_new_build_is_a_new_version_and_the_same_build_is_not() {
        assert_eq!(build(b"wasm").version, build(b"wasm").version);
        assert_ne!(build(b"wasm").version, build(b"wasm2").version);
    }

    #[test]
    fn only_the_files_pages_load_are_precached() {
        let dir = std::env::temp_dir().join(format!("minqing-sw-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/minqing.1.wasm"), b"w").unwrap();
        std::fs::write(dir.join("pkg/minqing.1.wasm.br"), b"b").unwrap();
        std::fs::write(dir.join("pkg/minqing.d.1.ts"), b"t").unwrap();
        std::fs::write(dir.join("pwa.js"), b"j").unwrap();
        let sw = ServiceWorker::for_site(&dir, "pkg");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            sw.precache,
            ["/", "/offline", "/login", "/pkg/minqing.1.wasm", "/pwa.js"]
        );
    }

    /// What the worker precaches of a pkg directory holding `files` and the split `manifest`.
    fn precache_of(files: &[&str], manifest: &str) -> Vec<String> {
        let dir = std::env::temp_dir().join(format!("minqing-sw-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        for name in files {
            std::fs::write(dir.join("pkg").join(name), name).unwrap();
        }
        std::fs::write(dir.join("pkg/__wasm_split_manifest.1.json"), manifest).unwrap();
        let sw = ServiceWorker::for_site(&dir, "pkg");
        std::fs::remove_dir_all(&dir).unwrap();
        sw.precache
    }

    #[test]
    fn of_a_split_build_only_the_offline_code_s_chunks_are_precached() {
        let precache = precache_of(
            &[
                "minqing.1.wasm",
                "minqing.1.js",
                "__wasm_split.1.js",
                "chunk_1.a.wasm",
                "chunk_2.b.wasm",
                "chunk_3.c.wasm",
                "split_report_body_loader_7.d.wasm",
                "split_inbox_report_body_loader_8.e.wasm",
                "chunk_4.f.wasm",
                "split_outbox_engine_9.g.wasm",
                "split_outbox_engine_extra_10.h.wasm",
            ],
            r#"{"report_body_loader_7": ["chunk_1.a", "chunk_2.b", "split_report_body_loader_7.d"],
                "inbox_report_body_loader_8": ["chunk_2.b", "chunk_3.c", "split_inbox_report_body_loader_8.e"],
                "outbox_engine_9": ["chunk_4.f", "split_outbox_engine_9.g"],
                "outbox_engine_extra_10": ["split_outbox_engine_extra_10.h"]}"#,
        );
        assert_eq!(
            precache,
            [
                "/",
                "/offline",
                "/login",
                "/pkg/__wasm_split.1.js",
                "/pkg/chunk_1.a.wasm",
                "/pkg/chunk_2.b.wasm",
                "/pkg/chunk_4.f.wasm",
                "/pkg/minqing.1.js",
                "/pkg/minqing.1.wasm",
                "/pkg/split_outbox_engine_9.g.wasm",
                "/pkg/split_report_body_loader_7.d.wasm",
            ]
        );
    }

    #[test]
    fn of_a_bundled_build_only_the_offline_code_s_bundles_are_precached() {
        let precache = precache_of(
            &[
                "minqing.1.wasm",
                "__wasm_split.1.js",
                "bundle_field_area.a.wasm",
                "bundle_report_body.b.wasm",
                "bundle_petition_body.c.wasm",
            ],
            r#"{"field_area_loader_1": ["bundle_field_area.a"],
                "report_body_loader_7": ["bundle_field_area.a", "bundle_report_body.b"],
                "petition_body_loader_8": ["bundle_petition_body.c"]}"#,
        );
        assert_eq!(
            precache,
            [
                "/",
                "/offline",
                "/login",
                "/pkg/__wasm_split.1.js",
                "/pkg/bundle_field_area.a.wasm",
                "/pkg/bundle_report_body.b.wasm",
                "/pkg/minqing.1.wasm",
            ]
        );
    }
}
