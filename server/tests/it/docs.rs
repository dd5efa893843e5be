//! The error codes are a public contract: every code must be documented in docs/api.md and
//! actually used by the code (a code nobody returns is a promise nobody keeps).

use app::error::ErrorCode;
use std::path::Path;

fn sources(dir: &Path, out: &mut String) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            // The declaration itself does not count as a use.
            && !path.ends_with("app/src/error.rs")
        {
            out.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
}

#[test]
fn every_error_code_is_documented_and_used() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let doc = std::fs::read_to_string(root.join("docs/api.md")).unwrap();
    let mut code = String::new();
    sources(&root.join("server/src"), &mut code);
    sources(&root.join("app/src"), &mut code);
    for c in ErrorCode::ALL {
        let row = format!("| `{}` | {} |", c.as_str(), c.http_status());
        assert!(
            doc.contains(&row),
            "docs/api.md lacks the table row starting {row:?}"
        );
        assert!(
            code.contains(&format!("ErrorCode::{c:?}")),
            "ErrorCode::{c:?} is never used"
        );
    }
}
