//! Generates the `i18n` module from `locales/*.json` (leptos_i18n's code generation).
//! zh-CN is the default locale; a key missing from a locale is a build warning.

use std::error::Error;
use std::path::PathBuf;

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?).join("i18n");
    // interpolate_display: messages with values can also be built as plain strings (for
    // attributes and titles), not only as views.
    let options = ParseOptions::default().interpolate_display(true);
    let config = Config::new("zh-CN")?.add_locale("en")?.parse_options(options);
    let translations = TranslationsInfos::parse(config)?;
    translations.emit_diagnostics();
    translations.rerun_if_locales_changed();
    translations.generate_i18n_module(out_dir)?;
    Ok(())
}
