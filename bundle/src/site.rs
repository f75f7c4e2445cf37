//! The files: reads the split build's output in the site's `pkg/` directory, writes the
//! bundles with content-hashed names and their `.br`/`.gz` twins (the server sends those
//! in place of the originals), rewrites the loader and the manifest in place, and
//! removes the modules that are now inside bundles.
//!
//! The loader and the manifest keep their names: cargo-leptos hashed the files it wrote,
//! the server finds them by those hashes (`hash.txt`), and what is written here follows
//! from those files alone, so a name still stands for one content.

use std::collections::BTreeSet;
use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::plan::{Layer, Manifest, plan};
use crate::{BundleError, loader, merge};

const BUNDLE_PREFIX: &str = "bundle_";

/// What was done, for the build's log.
pub struct Report {
    pub modules: usize,
    pub files: Vec<(String, usize, usize)>,
    pub already: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already {
            return writeln!(f, "minqing-bundle: the split build's modules are already bundled");
        }
        writeln!(
            f,
            "minqing-bundle: {} wasm modules of the split build are now {} files",
            self.modules,
            self.files.len()
        )?;
        for (name, raw, br) in &self.files {
            writeln!(f, "  {name:<48} {raw:>9} bytes, {br:>8} brotli")?;
        }
        Ok(())
    }
}

/// Bundles the split build in `pkg`, by `layers` (the app's: [`crate::plan::LAYERS`]).
pub fn bundle_site(pkg: &Path, layers: &[Layer]) -> Result<Report, BundleError> {
    let names = list(pkg)?;
    let manifest_name = only(&names, "__wasm_split_manifest.", ".json")?;
    let loader_name = only(&names, "__wasm_split.", ".js")?;
    let manifest: Manifest = serde_json::from_slice(&read(&pkg.join(&manifest_name))?)
        .map_err(|e| BundleError::Manifest(e.to_string()))?;
    let modules: BTreeSet<&String> = manifest.values().flatten().collect();
    if !modules.is_empty() && modules.iter().all(|m| m.starts_with(BUNDLE_PREFIX)) {
        return Ok(Report {
            modules: 0,
            files: Vec::new(),
            already: true,
        });
    }

    let mut once = BTreeSet::new();
    for module in &modules {
        if merge::has_data(module, &read(&pkg.join(format!("{module}.wasm")))?)? {
            once.insert((*module).clone());
        }
    }
    let plan = plan(&manifest, layers, &once)?;
    let mut files = Vec::new();
    let mut report = Vec::new();
    for bundle in &plan.bundles {
        let inputs = bundle
            .modules
            .iter()
            .map(|m| Ok((m.as_str(), read(&pkg.join(format!("{m}.wasm")))?)))
            .collect::<Result<Vec<_>, BundleError>>()?;
        let inputs: Vec<(&str, &[u8])> = inputs.iter().map(|(m, bytes)| (*m, bytes.as_slice())).collect();
        let merged = merge::merge(&inputs)?;
        let digest = Sha256::digest(&merged);
        let hash = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
        let stem = format!("{BUNDLE_PREFIX}{}.{hash}", bundle.name);
        let br = write_with_twins(&pkg.join(format!("{stem}.wasm")), &merged)?;
        report.push((format!("{stem}.wasm"), merged.len(), br));
        files.push(stem);
    }

    let wasm_files: Vec<String> = files.iter().map(|stem| format!("{stem}.wasm")).collect();
    let js = String::from_utf8(read(&pkg.join(&loader_name))?)
        .map_err(|_| BundleError::Loader("not UTF-8".to_owned()))?;
    let js = loader::rewrite(&js, &wasm_files, &plan.loads)?;
    let bundled: Manifest = plan
        .loads
        .iter()
        .map(|(function, bundles)| {
            (
                function.clone(),
                bundles.iter().map(|&i| files[i].clone()).collect(),
            )
        })
        .collect();
    let bundled = serde_json::to_vec(&bundled).map_err(|e| BundleError::Manifest(e.to_string()))?;
    write_with_twins(&pkg.join(&loader_name), js.as_bytes())?;
    write_with_twins(&pkg.join(&manifest_name), &bundled)?;

    // Only now that nothing names them: the merged modules, and bundles of older builds.
    let written: BTreeSet<&str> = wasm_files.iter().map(String::as_str).collect();
    for name in &names {
        let wasm = name.trim_end_matches(".br").trim_end_matches(".gz");
        let merged = wasm
            .strip_suffix(".wasm")
            .is_some_and(|stem| modules.contains(&stem.to_owned()));
        let stale = wasm.starts_with(BUNDLE_PREFIX) && !written.contains(wasm);
        if merged || stale {
            std::fs::remove_file(pkg.join(name)).map_err(|e| BundleError::Io(name.clone(), e))?;
        }
    }
    Ok(Report {
        modules: modules.len(),
        files: report,
        already: false,
    })
}

fn list(dir: &Path) -> Result<Vec<String>, BundleError> {
    let entries = std::fs::read_dir(dir).map_err(|e| BundleError::Io(dir.display().to_string(), e))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| BundleError::Io(dir.display().to_string(), e))?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// The one file named `<prefix>…<suffix>` (not its `.br`/`.gz` twins).
fn only(names: &[String], prefix: &str, suffix: &str) -> Result<String, BundleError> {
    let found: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .collect();
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(BundleError::Manifest(format!(
            "no {prefix}*{suffix} in the pkg directory: is this a `--split` build?"
        ))),
        _ => Err(BundleError::Manifest(format!("more than one {prefix}*{suffix}"))),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, BundleError> {
    std::fs::read(path).map_err(|e| BundleError::Io(path.display().to_string(), e))
}

/// Writes `bytes` to `path`, `path.br` and `path.gz`; returns the brotli size.
fn write_with_twins(path: &Path, bytes: &[u8]) -> Result<usize, BundleError> {
    let io = |e: std::io::Error| BundleError::Io(path.display().to_string(), e);
    let mut br = Vec::new();
    {
        let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 11, 22);
        writer.write_all(bytes).map_err(io)?;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).map_err(io)?;
    let gz = gz.finish().map_err(io)?;
    let with = |ext: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(ext);
        std::path::PathBuf::from(name)
    };
    std::fs::write(path, bytes).map_err(io)?;
    std::fs::write(with(".br"), &br).map_err(io)?;
    std::fs::write(with(".gz"), &gz).map_err(io)?;
    Ok(br.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::tests::chunk;

    const JS: &str = "import { initSync } from \"./m.js\";\nfunction getSharedImports() {}\nfunction wrapAsyncCb(callee) {}\nfunction makeLoad(fetcher, deps) {}\n/* area_loader_1, form_loader_2 */\nconst __chunk_1 = makeLoad(() => {}, []);\nexport const __wasm_split_load_area_loader_1 = wrapAsyncCb(makeLoad(() => {}, [__chunk_1]));\nexport const __wasm_split_load_form_loader_2 = wrapAsyncCb(makeLoad(() => {}, [__chunk_1]));\n";

    /// A pkg directory as the split build leaves it, with a bundle of an older build.
    fn site() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "minqing-bundle-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = r#"{"area_loader_1":["chunk_1.h","split_area_loader_1.h"],"form_loader_2":["chunk_1.h","split_form_loader_2.h"]}"#;
        for (name, bytes) in [
            ("__wasm_split_manifest.m1.json", manifest.as_bytes().to_vec()),
            ("__wasm_split.s1.js", JS.as_bytes().to_vec()),
            ("chunk_1.h.wasm", chunk(10, 2, false)),
            ("chunk_1.h.wasm.br", b"old".to_vec()),
            ("split_area_loader_1.h.wasm", chunk(20, 1, true)),
            ("split_form_loader_2.h.wasm", chunk(30, 3, false)),
            ("bundle_old.x.wasm", b"old".to_vec()),
            ("minqing.h.wasm", b"main".to_vec()),
        ] {
            std::fs::write(dir.join(name), bytes).unwrap();
        }
        dir
    }

    const LAYERS: &[Layer] = &[Layer {
        base: &["area"],
        on_top: &["form"],
    }];

    #[test]
    fn the_site_fetches_bundles_and_keeps_nothing_else_of_the_split() {
        let dir = site();
        let report = bundle_site(&dir, LAYERS).unwrap();
        assert_eq!((report.modules, report.files.len()), (3, 2));
        let names = list(&dir).unwrap();
        let manifest: Manifest =
            serde_json::from_slice(&std::fs::read(dir.join("__wasm_split_manifest.m1.json")).unwrap())
                .unwrap();
        let area = &manifest["area_loader_1"];
        let form = &manifest["form_loader_2"];
        assert_eq!(area.len(), 1);
        assert_eq!((form.len(), &form[0]), (2, &area[0]));
        for stem in [&area[0], &form[1]] {
            for ext in [".wasm", ".wasm.br", ".wasm.gz"] {
                assert!(
                    names.contains(&format!("{stem}{ext}")),
                    "{stem}{ext} missing from {names:?}"
                );
            }
        }
        // The loader and manifest have fresh twins, the merged modules and old bundles are gone.
        let js = std::fs::read_to_string(dir.join("__wasm_split.s1.js")).unwrap();
        assert!(js.contains(&format!("./{}.wasm", form[1])));
        assert!(names.contains(&"__wasm_split.s1.js.br".to_owned()));
        assert!(
            names
                .iter()
                .all(|n| !n.starts_with("chunk_") && !n.starts_with("split_") && n != "bundle_old.x.wasm"),
            "{names:?}"
        );
        assert!(names.contains(&"minqing.h.wasm".to_owned()));
        // A second run finds the work done and changes nothing.
        assert!(bundle_site(&dir, LAYERS).unwrap().already);
        assert_eq!(list(&dir).unwrap(), names);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_build_that_is_not_split_is_an_error_that_says_so() {
        let dir = std::env::temp_dir().join(format!("minqing-bundle-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let error = bundle_site(&dir, LAYERS).err().unwrap();
        assert!(error.to_string().contains("--split"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
