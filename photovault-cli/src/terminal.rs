//! Text for the terminal: names from a repository are data, not commands to the terminal.
//!
//! A file name, host name or tag may hold newlines or escape sequences (a hostile repository
//! or an odd camera). Printed raw, they could forge output lines or drive the terminal.
//! Every line of text output goes through [`safe`], which escapes control characters the
//! way `ls -b` does; `--json` output is escaped by JSON itself.

use std::fmt::Write;

/// `text` with every control character escaped: `\n`, `\t`, `\r`, `\e` and `\xNN`, and a
/// backslash doubled only where it would otherwise read as such an escape.
pub fn safe(text: &str) -> String {
    if !text.chars().any(is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '\\' => out.push_str("\\\\"),
            c if is_control(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

fn is_control(c: char) -> bool {
    c.is_control()
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn plain_names_are_left_alone() {
        assert_eq!(safe("IMG_0001.JPG"), "IMG_0001.JPG");
        assert_eq!(
            safe("Ünïcødé 写真 📷 back\\slash"),
            "Ünïcødé 写真 📷 back\\slash"
        );
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(safe("a\nb"), "a\\nb");
        assert_eq!(safe("\x1b[31mred\x1b[0m"), "\\e[31mred\\e[0m");
        assert_eq!(safe("bell\x07\\"), "bell\\x07\\\\");
        assert_eq!(safe("c1\u{9b}"), "c1\\x9b");
    }
}
