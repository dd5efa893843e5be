//! Generates, at build time:
//! - the `i18n` module (typed keys, the `Locale` enum, `t!`) from `locales/*.json`, so a
//!   missing or misspelt key fails the build instead of showing a blank;
//! - the emoji table the composer's picker ships (`$OUT_DIR/emoji.tsv`), from the `emojis`
//!   crate: one line per emoji without skin-tone variants, `group index, emoji, name,
//!   shortcodes, Unicode version (major * 100 + minor)`. Linking the crate itself would put its every variant, version and lookup
//!   table into the browser's bundle (~350 KB more WASM data); this text is about a quarter
//!   of that.

use leptos_i18n_build::{Config, ParseOptions, TranslationsInfos};
use std::error::Error;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo::rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set")?);
    translations(&out)?;
    emoji_table(&out)?;
    Ok(())
}

fn translations(out: &std::path::Path) -> Result<(), Box<dyn Error>> {
    // Interpolated strings also as plain `String`s, for attributes such as aria-label.
    let options = ParseOptions::new().interpolate_display(true);
    let cfg = Config::new("en")?
        .add_locale("zh-CN")?
        .parse_options(options);
    let infos = TranslationsInfos::parse(cfg)?;
    infos.emit_diagnostics();
    infos.rerun_if_locales_changed();
    infos.generate_i18n_module(out.join("i18n"))?;
    Ok(())
}

fn emoji_table(out: &std::path::Path) -> Result<(), Box<dyn Error>> {
    let mut table = String::new();
    for (i, group) in emojis::Group::iter().enumerate() {
        for e in group.emojis() {
            let codes: Vec<&str> = e.shortcodes().collect();
            let v = e.unicode_version();
            writeln!(
                table,
                "{i}\t{}\t{}\t{}\t{}",
                e.as_str(),
                e.name(),
                codes.join(" "),
                v.major() * 100 + v.minor()
            )?;
        }
    }
    std::fs::write(out.join("emoji.tsv"), table)?;
    Ok(())
}
