//! The split build's JavaScript loader (`__wasm_split.<hash>.js`), rewritten to fetch
//! the bundles. The generated file starts with its helpers (`getSharedImports`,
//! `wrapAsyncCb`, `makeLoad`), then declares one loader per module and exports one
//! `__wasm_split_load_<function>` per lazy function, which the main wasm imports. The
//! helpers are kept as they are; the rest is replaced by one loader per bundle and the
//! same exports, each loading its function's bundles.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::BundleError;

const EXPORT_PREFIX: &str = "export const __wasm_split_load_";

/// The rewritten loader. `files[i]` is bundle `i`'s file name; `loads` is the plan's.
pub fn rewrite(
    js: &str,
    files: &[String],
    loads: &BTreeMap<String, Vec<usize>>,
) -> Result<String, BundleError> {
    let helpers = helpers(js)?;
    let exported: BTreeSet<&str> = js
        .lines()
        .filter_map(|line| line.strip_prefix(EXPORT_PREFIX))
        .filter_map(|rest| rest.split([' ', '=']).next())
        .collect();
    let planned: BTreeSet<&str> = loads.keys().map(String::as_str).collect();
    if exported != planned {
        let differ: Vec<&str> = exported.symmetric_difference(&planned).copied().collect();
        return Err(BundleError::Loader(format!(
            "the loader's exports and the manifest's lazy functions differ: {}",
            differ.join(", ")
        )));
    }
    let mut out = String::with_capacity(helpers.len() + 200 * (files.len() + loads.len()));
    out.push_str(helpers);
    for (i, file) in files.iter().enumerate() {
        let file =
            serde_json::to_string(&format!("./{file}")).map_err(|e| BundleError::Loader(e.to_string()))?;
        let _ = write!(
            out,
            "const __bundle_{i} = makeLoad(() => {{\n    const src = fetch(new URL({file}, import.meta.url));\n    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n}}, []);\n"
        );
    }
    for (function, bundles) in loads {
        let list: Vec<String> = bundles.iter().map(|i| format!("__bundle_{i}")).collect();
        let _ = writeln!(
            out,
            "{EXPORT_PREFIX}{function} = wrapAsyncCb(() => Promise.all([{}].map((load) => load())));",
            list.join(", ")
        );
    }
    Ok(out)
}

/// The generated file up to its first module loader: imports and helpers.
fn helpers(js: &str) -> Result<&str, BundleError> {
    let end = js
        .match_indices('\n')
        .map(|(i, _)| i + 1)
        .find(|&start| {
            let line = &js[start..];
            line.starts_with("/*") || line.starts_with("const __chunk_") || line.starts_with(EXPORT_PREFIX)
        })
        .ok_or_else(|| BundleError::Loader("no module loaders found".to_owned()))?;
    let helpers = &js[..end];
    for needed in [
        "function makeLoad(",
        "function wrapAsyncCb(",
        "function getSharedImports(",
    ] {
        if !helpers.contains(needed) {
            return Err(BundleError::Loader(format!(
                "`{needed}` is missing: the split build's loader changed"
            )));
        }
    }
    Ok(helpers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of what cargo-leptos' split build writes, cut short.
    const GENERATED: &str = r#"import { initSync } from "./minqing.abc.js";

let sharedImports = undefined;
function getSharedImports() {
    return sharedImports;
}
function wrapAsyncCb(callee) {
    return async (callbackIndex, callbackData) => { await callee(); }
}
function makeLoad(fetcher, deps) {
    return () => fetcher();
}
/* a_loader_1, b_2 */
const __chunk_1 = makeLoad(() => {
    const src = fetch(new URL("./chunk_1.x.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, []);
export const __wasm_split_load_b_2 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_b_2.y.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1]));
export const __wasm_split_load_a_loader_1 = wrapAsyncCb(makeLoad(() => {
    const src = fetch(new URL("./split_a_loader_1.z.wasm", import.meta.url));
    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));
}
, [__chunk_1]));
"#;

    fn loads() -> BTreeMap<String, Vec<usize>> {
        [("a_loader_1".to_owned(), vec![0]), ("b_2".to_owned(), vec![0, 1])].into()
    }

    #[test]
    fn the_helpers_stay_and_each_function_loads_its_bundles() {
        let files = ["bundle_a.h1.wasm".to_owned(), "bundle_b.h2.wasm".to_owned()];
        let js = rewrite(GENERATED, &files, &loads()).unwrap();
        assert!(js.starts_with("import { initSync } from \"./minqing.abc.js\";"));
        assert!(js.contains("function makeLoad(fetcher, deps)"));
        assert!(!js.contains("chunk_1") && !js.contains("./split_"), "{js}");
        assert!(js.contains(r#"fetch(new URL("./bundle_b.h2.wasm", import.meta.url))"#));
        assert!(js.contains(
            "export const __wasm_split_load_a_loader_1 = wrapAsyncCb(() => Promise.all([__bundle_0].map"
        ));
        assert!(js.contains(
            "export const __wasm_split_load_b_2 = wrapAsyncCb(() => Promise.all([__bundle_0, __bundle_1].map"
        ));
    }

    #[test]
    fn a_loader_whose_exports_differ_from_the_plan_is_refused() {
        let mut loads = loads();
        loads.insert("c_3".to_owned(), vec![0]);
        let error = rewrite(GENERATED, &["f".to_owned()], &loads).unwrap_err();
        assert!(error.to_string().contains("c_3"), "{error}");
    }

    #[test]
    fn a_loader_of_another_shape_is_refused() {
        let other = GENERATED.replace("function makeLoad(", "function load(");
        assert!(rewrite(&other, &["f".to_owned()], &loads()).is_err());
    }
}
