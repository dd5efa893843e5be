//! Generates the `i18n` module (typed keys, the `Locale` enum, `t!`) from `locales/*.json`,
//! so a missing or misspelt key fails the build instead of showing a blank.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?;
    // Interpolated strings also as plain `String`s, for attributes such as aria-label.
    let options = ParseOptions::new().interpolate_display(true);
    let cfg = Config::new("en")?
        .add_locale("zh-CN")?
        .parse_options(options);
    let infos = TranslationsInfos::parse(cfg)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(PathBuf::from(out).join("i18n"))?;
    Ok(())
}
