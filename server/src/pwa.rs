//! The service worker: generated at start-up from the files the build actually produced,
//! so its precache list names exactly this build's hashed wasm, JS and CSS, and its
//! version changes whenever any of them does (a deploy never mixes old and new files).

use std::path::Path;

/// Pages precached so the app opens with no network after the first visit: the front
/// door, the offline fallback, and the village officers' desk.
const PRECACHED_PAGES: [&str; 3] = ["/", "/offline", "/login"];

/// The kinds of build output in `pkg/` that pages load.
const PRECACHED_BUILD_FILES: [&str; 3] = [".wasm", ".js", ".css"];

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
        if let Ok(entries) = std::fs::read_dir(site_root.join(pkg_dir)) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                // Only what a page loads: not the precompressed twins (served in place of
                // the originals) nor wasm-bindgen's TypeScript declarations.
                if !PRECACHED_BUILD_FILES.iter().any(|ext| name.ends_with(ext)) {
                    continue;
                }
                if let Ok(bytes) = std::fs::read(entry.path()) {
                    files.push((format!("/{pkg_dir}/{name}"), bytes));
                }
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
}
