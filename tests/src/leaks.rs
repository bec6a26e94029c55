//! The whole-device scan: looks for personal data in clear in every file under the directories a
//! device writes to (its data directory, the WebView's, the temporary directory).
//!
//! Each text is looked for as UTF-8, UTF-16 in both byte orders and GB18030 (what a Chinese Windows
//! program or an older spreadsheet would write). A test that finds nothing must also show, with a
//! control written in clear, that the scan finds each text in each encoding: [`Needles::control`].

use std::path::{Path, PathBuf};

/// The encodings each text is looked for in.
pub const ENCODINGS: [&str; 4] = ["UTF-8", "UTF-16LE", "UTF-16BE", "GB18030"];

/// The texts to look for, each in every encoding.
pub struct Needles {
    patterns: Vec<(String, &'static str, Vec<u8>)>,
}

/// `text` in `encoding`, one of [`ENCODINGS`].
pub fn encode(text: &str, encoding: &str) -> Vec<u8> {
    match encoding {
        "UTF-8" => text.as_bytes().to_vec(),
        "UTF-16LE" => text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect(),
        "UTF-16BE" => text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect(),
        "GB18030" => encoding_rs::GB18030.encode(text).0.into_owned(),
        other => panic!("unknown encoding {other}"),
    }
}

/// One text found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub text: String,
    pub encoding: &'static str,
    pub path: PathBuf,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}) in {}", self.text, self.encoding, self.path.display())
    }
}

impl Needles {
    pub fn new<S: AsRef<str>>(texts: impl IntoIterator<Item = S>) -> Needles {
        let mut patterns = Vec::new();
        for t in texts {
            let t = t.as_ref().to_string();
            assert!(t.chars().count() >= 2, "a needle of one character would match by chance: {t:?}");
            for e in ENCODINGS {
                patterns.push((t.clone(), e, encode(&t, e)));
            }
        }
        Needles { patterns }
    }

    pub fn texts(&self) -> Vec<String> {
        let mut t: Vec<String> = self.patterns.iter().map(|(t, _, _)| t.clone()).collect();
        t.dedup();
        t
    }

    /// Every text in every encoding found in the files under `dirs`.
    pub fn scan(&self, dirs: &[&Path]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for dir in dirs {
            for path in files_under(dir) {
                let Ok(bytes) = std::fs::read(&path) else { continue };
                for (text, encoding, p) in &self.patterns {
                    if bytes.windows(p.len()).any(|w| w == p.as_slice()) {
                        hits.push(Hit { text: text.clone(), encoding, path: path.clone() });
                    }
                }
            }
        }
        hits
    }

    /// The control: writes every text in every encoding into files under `dir`, one file per
    /// encoding, as an app writing them in clear would; then the scan of `dir` must find them all.
    pub fn control(&self, dir: &Path) {
        std::fs::create_dir_all(dir).expect("control dir");
        for e in ENCODINGS {
            let mut bytes = Vec::new();
            for (_, enc, p) in self.patterns.iter().filter(|(_, enc, _)| *enc == e) {
                debug_assert_eq!(*enc, e);
                bytes.extend_from_slice(p);
                bytes.extend_from_slice(&encode("\n", e));
            }
            std::fs::write(dir.join(format!("clear-{e}.txt")), bytes).expect("control file");
        }
    }

    /// Texts not found in some encoding under `dirs` (empty when the scan sees everything).
    pub fn missed(&self, dirs: &[&Path]) -> Vec<String> {
        let hits = self.scan(dirs);
        self.patterns
            .iter()
            .filter(|(t, e, _)| !hits.iter().any(|h| &h.text == t && h.encoding == *e))
            .map(|(t, e, _)| format!("{t} ({e})"))
            .collect()
    }
}

/// Every regular file under `dir` (symbolic links not followed).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for e in entries.flatten() {
        let p = e.path();
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => out.extend(files_under(&p)),
            Ok(m) if m.is_file() => out.push(p),
            _ => {}
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding_is_found_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        let n = Needles::new(["龙国富", "522630198001010011"]);
        assert_eq!(n.scan(&[d.path()]), vec![]);
        n.control(&d.path().join("control"));
        assert_eq!(n.missed(&[d.path()]), Vec::<String>::new());
        // A Chinese text is found once per encoding; an ASCII one more often (it is the same bytes in
        // UTF-8 and GB18030, and UTF-16 LE and BE are each other shifted by a byte).
        let hits = n.scan(&[d.path()]);
        assert_eq!(hits.iter().filter(|h| h.text == "龙国富").count(), ENCODINGS.len());
        assert!(hits.iter().filter(|h| h.text != "龙国富").count() >= ENCODINGS.len());
        assert_ne!(encode("龙国富", "GB18030"), encode("龙国富", "UTF-8"));
    }
}
