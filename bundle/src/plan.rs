//! Which wasm modules of the split build go into which file, and which files each lazy
//! function loads. Pure: it reads the split manifest's names and nothing else.
//!
//! `wasm-split` gives every combination of lazy functions that shares some code a module
//! of its own, and a field page ends up fetching over two hundred of them, most under
//! 2 KB. Compressed one by one they compress badly and each costs a request. Here each
//! lazy function gets one file with all the code it needs, except what its page's
//! surrounding islands (its layer's base) already bring, which is in the base's file.
//! A module may be in more than one file: installing it twice puts the same functions
//! into the same table slots, so that only costs bytes, never correctness.

use std::collections::{BTreeMap, BTreeSet};

use crate::BundleError;

/// Islands that always sit on a page together: the `base` islands are on every page of
/// an area, and each island `on_top` only appears on pages that have them.
pub struct Layer {
    pub base: &'static [&'static str],
    pub on_top: &'static [&'static str],
}

/// The app's pages, by their lazy islands (`#[island(lazy)]`) and lazy functions
/// (`#[lazy]`). An island not named here gets a file of its own with all it needs, so
/// this table decides only how many bytes a page fetches, never whether it works.
pub const LAYERS: &[Layer] = &[
    // Every field page sits in `FieldArea` and has the outbox badge in its menu; the
    // outbox's engine is fetched by the same pages once they are interactive.
    Layer {
        base: &["field_area", "outbox_badge"],
        on_top: &[
            "field_home_body",
            "report_body",
            "weekly_body",
            "outbox_body",
            "outbox_engine",
        ],
    },
    // The account page's logout button.
    Layer {
        base: &["account_body"],
        on_top: &["logout_button"],
    },
];

/// The split manifest: lazy function (as the build names it) → the modules it needs.
pub type Manifest = BTreeMap<String, Vec<String>>;

/// One output file: a name for people, and the modules merged into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    pub name: String,
    pub modules: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub bundles: Vec<Bundle>,
    /// Lazy function (manifest key) → the bundles it loads, by index, base first.
    pub loads: BTreeMap<String, Vec<usize>>,
}

/// The function's name in the source, from the name the build gives it:
/// `<island>_loader_<hash>` for an island, `<function>_<hash>` for a lazy function.
pub fn function_name(key: &str) -> &str {
    let name = match key.rsplit_once('_') {
        Some((name, hash)) if !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => key,
    };
    name.strip_suffix("_loader").unwrap_or(name)
}

/// The files for `manifest`'s modules, by `layers`. A module in `once` (one that writes
/// memory when instantiated, `merge::has_data`) is never in two files: if the layers
/// would copy it, it gets a file of its own that every function needing it loads.
pub fn plan(manifest: &Manifest, layers: &[Layer], once: &BTreeSet<String>) -> Result<Plan, BundleError> {
    let key_of = |function: &str| -> Result<&String, BundleError> {
        manifest
            .keys()
            .find(|key| function_name(key) == function)
            .ok_or_else(|| BundleError::UnknownFunction(function.to_owned()))
    };
    let needs =
        |key: &str| -> BTreeSet<String> { manifest.get(key).into_iter().flatten().cloned().collect() };

    let mut bundles: Vec<Bundle> = Vec::new();
    let mut loads: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut add = |name: &str, modules: BTreeSet<String>| -> Option<usize> {
        (!modules.is_empty()).then(|| {
            bundles.push(Bundle {
                name: name.to_owned(),
                modules: modules.into_iter().collect(),
            });
            bundles.len() - 1
        })
    };
    let assign = |loads: &mut BTreeMap<String, Vec<usize>>, key: &str, files: Vec<usize>| {
        if loads.insert(key.to_owned(), files).is_some() {
            return Err(BundleError::TwoLayers(function_name(key).to_owned()));
        }
        Ok(())
    };

    for layer in layers {
        let Some(first) = layer.base.first() else { continue };
        let base_keys = layer
            .base
            .iter()
            .map(|f| key_of(f))
            .collect::<Result<Vec<_>, _>>()?;
        let base: BTreeSet<String> = base_keys.iter().flat_map(|key| needs(key)).collect();
        let base_file = add(first, base.clone());
        for key in base_keys {
            assign(&mut loads, key, base_file.into_iter().collect())?;
        }
        for function in layer.on_top {
            let key = key_of(function)?;
            let own = add(function, needs(key).difference(&base).cloned().collect());
            assign(&mut loads, key, base_file.into_iter().chain(own).collect())?;
        }
    }
    for key in manifest.keys() {
        if !loads.contains_key(key) {
            let own = add(function_name(key), needs(key));
            loads.insert(key.clone(), own.into_iter().collect());
        }
    }
    for module in once {
        let holders: Vec<usize> = (0..bundles.len())
            .filter(|&i| bundles[i].modules.contains(module))
            .collect();
        if holders.len() < 2 {
            continue;
        }
        for &i in &holders {
            bundles[i].modules.retain(|m| m != module);
        }
        let own = bundles.len();
        let name = module.split('.').next().unwrap_or(module);
        bundles.push(Bundle {
            name: name.to_owned(),
            modules: vec![module.clone()],
        });
        for files in loads.values_mut() {
            if files.iter().any(|i| holders.contains(i)) {
                files.push(own);
            }
        }
    }
    Ok(without_empty(Plan { bundles, loads }))
}

/// Drops the bundles that lost all their modules to files of their own.
fn without_empty(plan: Plan) -> Plan {
    let mut new_index = Vec::with_capacity(plan.bundles.len());
    let mut bundles = Vec::new();
    for bundle in plan.bundles {
        new_index.push((!bundle.modules.is_empty()).then_some(bundles.len()));
        if !bundle.modules.is_empty() {
            bundles.push(bundle);
        }
    }
    let loads = plan
        .loads
        .into_iter()
        .map(|(key, files)| (key, files.into_iter().filter_map(|i| new_index[i]).collect()))
        .collect();
    Plan { bundles, loads }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(entries: &[(&str, &[&str])]) -> Manifest {
        entries
            .iter()
            .map(|(key, modules)| {
                (
                    (*key).to_owned(),
                    modules.iter().map(|m| (*m).to_owned()).collect(),
                )
            })
            .collect()
    }

    /// Every module a function needs is in a file it loads.
    fn assert_complete(m: &Manifest, plan: &Plan) {
        for (key, modules) in m {
            let loaded: BTreeSet<&String> = plan.loads[key]
                .iter()
                .flat_map(|&i| &plan.bundles[i].modules)
                .collect();
            assert!(
                modules.iter().all(|module| loaded.contains(module)),
                "{key} lacks code"
            );
        }
    }

    const FIELD: &[Layer] = &[Layer {
        base: &["area", "badge"],
        on_top: &["form", "engine"],
    }];

    #[test]
    fn names_are_read_from_the_builds_keys() {
        assert_eq!(
            function_name("report_body_loader_15107246499024752264"),
            "report_body"
        );
        assert_eq!(
            function_name("outbox_engine_14653136098273945898"),
            "outbox_engine"
        );
        assert_eq!(function_name("plain"), "plain");
        assert_eq!(function_name("ends_with_"), "ends_with_");
    }

    #[test]
    fn an_island_on_top_loads_the_base_file_and_only_what_the_base_lacks() {
        let m = manifest(&[
            ("area_loader_1", &["chunk_1", "chunk_2", "split_area_loader_1"]),
            ("badge_loader_2", &["chunk_2", "split_badge_loader_2"]),
            ("form_loader_3", &["chunk_1", "chunk_3", "split_form_loader_3"]),
            ("engine_4", &["chunk_3", "split_engine_4"]),
            (
                "office_loader_5",
                &["chunk_1", "chunk_4", "split_office_loader_5"],
            ),
        ]);
        let plan = plan(&m, FIELD, &BTreeSet::new()).unwrap();
        let files = |key: &str| -> Vec<(&str, Vec<&str>)> {
            plan.loads[key]
                .iter()
                .map(|&i| {
                    let b = &plan.bundles[i];
                    (b.name.as_str(), b.modules.iter().map(String::as_str).collect())
                })
                .collect()
        };
        let base = (
            "area",
            vec![
                "chunk_1",
                "chunk_2",
                "split_area_loader_1",
                "split_badge_loader_2",
            ],
        );
        assert_eq!(files("area_loader_1"), vec![base.clone()]);
        assert_eq!(files("badge_loader_2"), vec![base.clone()]);
        assert_eq!(
            files("form_loader_3"),
            vec![base.clone(), ("form", vec!["chunk_3", "split_form_loader_3"])]
        );
        // The engine shares chunk_3 with the form: each of their files carries it.
        assert_eq!(
            files("engine_4"),
            vec![base, ("engine", vec!["chunk_3", "split_engine_4"])]
        );
        // Outside every layer: one file with everything, shared chunk_1 included.
        assert_eq!(
            files("office_loader_5"),
            vec![("office", vec!["chunk_1", "chunk_4", "split_office_loader_5"])]
        );
        assert_eq!(plan.bundles.len(), 4);
    }

    #[test]
    fn every_module_a_function_needs_is_in_a_file_it_loads() {
        let m = manifest(&[
            ("area_loader_1", &["chunk_1", "split_area_loader_1"]),
            ("badge_loader_2", &["chunk_1", "chunk_2"]),
            ("form_loader_3", &["chunk_2", "chunk_5", "split_form_loader_3"]),
            ("engine_4", &["chunk_1"]),
            ("x_loader_9", &["chunk_5"]),
        ]);
        let plan = plan(&m, FIELD, &BTreeSet::new()).unwrap();
        assert_complete(&m, &plan);
        // A function whose every module the base has loads the base file alone.
        assert_eq!(plan.loads["engine_4"].len(), 1);
    }

    #[test]
    fn a_module_that_writes_memory_is_never_in_two_files() {
        let m = manifest(&[
            ("area_loader_1", &["chunk_1"]),
            ("badge_loader_2", &["chunk_1"]),
            ("form_loader_3", &["chunk_2", "chunk_7", "split_form_loader_3"]),
            ("engine_4", &["chunk_7"]),
            ("office_loader_5", &["chunk_7"]),
        ]);
        let once = BTreeSet::from(["chunk_7".to_owned()]);
        let plan = plan(&m, FIELD, &once).unwrap();
        let holding: Vec<&Bundle> = plan
            .bundles
            .iter()
            .filter(|b| b.modules.contains(&"chunk_7".to_owned()))
            .collect();
        assert_eq!(holding.len(), 1);
        assert_eq!(holding[0].modules, vec!["chunk_7"]);
        // The engine's and the office's files held only chunk_7: they are gone, and every
        // function that needs chunk_7 loads its file.
        assert_eq!(plan.bundles.len(), 3);
        assert_complete(&m, &plan);
    }

    #[test]
    fn a_layer_naming_a_function_the_build_lacks_is_an_error() {
        let m = manifest(&[("area_loader_1", &["chunk_1"]), ("badge_loader_2", &["chunk_1"])]);
        assert!(
            matches!(plan(&m, FIELD, &BTreeSet::new()), Err(BundleError::UnknownFunction(f)) if f == "form")
        );
    }

    #[test]
    fn a_function_in_two_layers_is_an_error() {
        let m = manifest(&[("a_loader_1", &["chunk_1"]), ("b_loader_2", &["chunk_2"])]);
        let layers = [
            Layer {
                base: &["a"],
                on_top: &["b"],
            },
            Layer {
                base: &["b"],
                on_top: &[],
            },
        ];
        assert!(matches!(plan(&m, &layers, &BTreeSet::new()), Err(BundleError::TwoLayers(f)) if f == "b"));
    }
}
