//! Keeping user-chosen names (nicknames, usernames, group names) from reordering the words
//! around them. A name may be right-to-left or carry bidi control characters (U+202E turns
//! everything after it around), so it is always shown isolated: inside `<bdi>` in markup,
//! and between isolate characters where only plain text is allowed (an `<option>`'s label).

use std::borrow::Cow;

/// `name` for plain text that continues after it. Left-to-right names without controls are
/// returned as they are, so most labels stay byte-for-byte what the user typed; any other
/// name is wrapped in FIRST STRONG ISOLATE .. POP DIRECTIONAL ISOLATE, with its own controls
/// balanced first: a stray POP DIRECTIONAL ISOLATE would end the wrapper early, and an
/// embedding or isolate left open would swallow the wrapper's end.
pub fn isolate(name: &str) -> Cow<'_, str> {
    if !name.chars().any(|c| is_rtl(c) || is_control(c)) {
        return Cow::Borrowed(name);
    }
    #[derive(Clone, Copy)]
    enum Open {
        Embedding,
        Isolate,
    }
    let mut open = Vec::new();
    let mut out = String::with_capacity(name.len() + 8);
    out.push(FSI);
    for c in name.chars() {
        match c {
            '\u{202A}' | '\u{202B}' | '\u{202D}' | '\u{202E}' => open.push(Open::Embedding),
            // Only closes an embedding opened in this name and not hidden behind an isolate.
            PDF if matches!(open.last(), Some(Open::Embedding)) => {
                open.pop();
            }
            PDF => continue,
            '\u{2066}' | '\u{2067}' | FSI => open.push(Open::Isolate),
            PDI if open.iter().any(|o| matches!(o, Open::Isolate)) => {
                // Ends the innermost isolate and every embedding opened inside it.
                while let Some(Open::Embedding) = open.pop() {}
            }
            PDI => continue,
            _ => {}
        }
        out.push(c);
    }
    for o in open.into_iter().rev() {
        out.push(match o {
            Open::Embedding => PDF,
            Open::Isolate => PDI,
        });
    }
    out.push(PDI);
    Cow::Owned(out)
}

const PDF: char = '\u{202C}';
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';

/// Explicit directional formatting characters and marks.
fn is_control(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana, N'Ko and their
/// presentation forms, and the historic right-to-left blocks); a superset is harmless here.
fn is_rtl(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08FF}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}')
}

#[cfg(test)]
mod tests {
    use super::isolate;

    #[test]
    fn left_to_right_names_are_left_alone() {
        assert_eq!(isolate("Ann 4f2k"), "Ann 4f2k");
        assert_eq!(isolate("élise 张伟"), "élise 张伟");
    }

    #[test]
    fn right_to_left_names_are_isolated() {
        assert_eq!(isolate("שלום"), "\u{2068}שלום\u{2069}");
        assert_eq!(isolate("علي 7"), "\u{2068}علي 7\u{2069}");
    }

    #[test]
    fn controls_cannot_escape_the_isolate() {
        // An override left open is closed before the wrapper ends.
        assert_eq!(
            isolate("\u{202E}evil"),
            "\u{2068}\u{202E}evil\u{202C}\u{2069}"
        );
        // A stray pop would end the wrapper early: dropped.
        assert_eq!(isolate("a\u{2069}\u{202C}b"), "\u{2068}ab\u{2069}");
        // An isolate left open is closed, so the wrapper's own pop matches the wrapper.
        assert_eq!(isolate("\u{2067}x"), "\u{2068}\u{2067}x\u{2069}\u{2069}");
        // Balanced controls stay as they are; a pop inside an isolate cannot close an
        // embedding opened outside it.
        assert_eq!(
            isolate("\u{202B}\u{2066}\u{202C}y\u{2069}\u{202C}"),
            "\u{2068}\u{202B}\u{2066}y\u{2069}\u{202C}\u{2069}"
        );
    }
}
