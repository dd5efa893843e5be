//! Writes the emoji table the composer's picker ships (`$OUT_DIR/emoji.tsv`), from the
//! `emojis` crate at build time: one line per emoji without skin-tone variants,
//! `group index, emoji, name, shortcodes`. Linking the crate itself would put its every
//! variant, version and lookup table into the browser's bundle (~350 KB more WASM data);
//! this text is about a quarter of that.

use std::fmt::Write as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut table = String::new();
    for (i, group) in emojis::Group::iter().enumerate() {
        for e in group.emojis() {
            let codes: Vec<&str> = e.shortcodes().collect();
            writeln!(
                table,
                "{i}\t{}\t{}\t{}",
                e.as_str(),
                e.name(),
                codes.join(" ")
            )?;
        }
    }
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?).join("emoji.tsv");
    std::fs::write(out, table)?;
    println!("cargo::rerun-if-changed=build.rs");
    Ok(())
}
