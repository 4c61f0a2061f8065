//! Streaming reader of a dump file: `<posts><row Id="1" … /> … </posts>`.
//!
//! One row at a time from a buffered file, so memory is bounded by the
//! largest row, never by the file. A row that cannot be read (invalid
//! UTF-8, a broken attribute) is an error for that row and reading goes on;
//! broken XML structure (a truncated file, garbage between rows) ends the
//! file with an error naming the row where it happened.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Why a row or a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file} row {row}: {reason}")]
pub struct ReadError {
    pub file: String,
    /// 1-based number of the `<row>` element (0: the file itself).
    pub row: u64,
    pub reason: String,
    /// The rest of the file cannot be read.
    pub fatal: bool,
}

/// One `<row …/>` with its attributes, unescaped. The names and values
/// share one string (two allocations a row rather than two an attribute:
/// a reader goes through millions of rows).
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub number: u64,
    text: String,
    /// Where each attribute's name and value end in `text`; each name
    /// starts where the attribute before it ended.
    ends: Vec<(usize, usize)>,
}

impl Row {
    /// A row of the given attributes (for building rows by hand).
    pub fn new<'a>(number: u64, attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Row {
        let mut row = Row {
            number,
            ..Default::default()
        };
        for (k, v) in attrs {
            row.push(k, v);
        }
        row
    }

    fn push(&mut self, key: &str, value: &str) {
        self.text.push_str(key);
        let key_end = self.text.len();
        self.text.push_str(value);
        self.ends.push((key_end, self.text.len()));
    }

    /// The attributes, in the order the row gives them.
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        let mut start = 0;
        self.ends.iter().map(move |&(k, v)| {
            let pair = (&self.text[start..k], &self.text[k..v]);
            start = v;
            pair
        })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.attrs().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// A whole-number attribute; absent is `Ok(None)`, unreadable an error.
    pub fn int(&self, key: &str) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{key}=\"{}\" is not a whole number", clip(v))),
        }
    }

    pub fn required_int(&self, key: &str) -> Result<i64, String> {
        self.int(key)?
            .ok_or_else(|| format!("missing required attribute {key}"))
    }

    /// A date attribute (`2018-02-06T20:19:50.957`, UTC) as Unix seconds.
    pub fn date(&self, key: &str) -> Result<Option<i64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) => crate::dates::parse(v)
                .map(Some)
                .ok_or_else(|| format!("{key}=\"{}\" is not a date", clip(v))),
        }
    }

    pub fn required_date(&self, key: &str) -> Result<i64, String> {
        self.date(key)?
            .ok_or_else(|| format!("missing required attribute {key}"))
    }

    pub fn text(&self, key: &str) -> &str {
        self.get(key).unwrap_or("")
    }
}

fn clip(v: &str) -> String {
    v.chars().take(40).collect()
}

pub struct DumpReader {
    reader: Reader<BufReader<File>>,
    buf: Vec<u8>,
    file: String,
    row: u64,
    size: u64,
    root_open: bool,
    /// Open elements: the root, and any unexpected element inside it.
    depth: usize,
    finished: bool,
}

impl DumpReader {
    /// Open `path`; refuses a file that is not UTF-8 (a UTF-16 byte order
    /// mark, or an XML declaration naming another encoding).
    pub fn open(path: &Path) -> Result<DumpReader, ReadError> {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let err = |reason: String| ReadError {
            file: file.clone(),
            row: 0,
            reason,
            fatal: true,
        };
        let f = File::open(path).map_err(|e| err(format!("cannot open: {e}")))?;
        let size = f.metadata().map(|m| m.len()).unwrap_or(0);
        let mut br = BufReader::with_capacity(1 << 16, f);
        let head = br
            .fill_buf()
            .map_err(|e| err(format!("cannot read: {e}")))?;
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(err(
                "the file is UTF-16; dumps are UTF-8 (convert it with iconv)".into(),
            ));
        }
        if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
            br.consume(3);
        }
        let mut reader = Reader::from_reader(br);
        reader.config_mut().trim_text(true);
        Ok(DumpReader {
            reader,
            buf: Vec::with_capacity(1 << 12),
            file,
            row: 0,
            size,
            root_open: false,
            depth: 0,
            finished: false,
        })
    }

    /// Bytes read so far and the file's size, for progress.
    pub fn progress(&self) -> (u64, u64) {
        (self.reader.buffer_position(), self.size)
    }

    pub fn file(&self) -> &str {
        &self.file
    }

    fn error(&self, row: u64, reason: String, fatal: bool) -> ReadError {
        ReadError {
            file: self.file.clone(),
            row,
            reason,
            fatal,
        }
    }

    /// The next row, a row's error, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Option<Result<Row, ReadError>> {
        if self.finished {
            return None;
        }
        loop {
            self.buf.clear();
            let ev = self.reader.read_event_into(&mut self.buf);
            match ev {
                Err(e) => {
                    self.finished = true;
                    let at = self.reader.error_position();
                    let row = self.row + 1;
                    let msg = e.to_string();
                    let reason = if msg.contains("end of input") || msg.contains("Eof") {
                        format!("the file ends early (truncated at byte {at}): {msg}")
                    } else {
                        format!("malformed XML at byte {at}: {msg}")
                    };
                    return Some(Err(self.error(row, reason, true)));
                }
                Ok(Event::Decl(d)) => {
                    if let Some(Ok(enc)) = d.encoding() {
                        let enc = String::from_utf8_lossy(&enc).to_ascii_lowercase();
                        if enc != "utf-8" && enc != "utf8" {
                            self.finished = true;
                            return Some(Err(self.error(
                                0,
                                format!("the file declares encoding {enc}; dumps are UTF-8"),
                                true,
                            )));
                        }
                    }
                }
                Ok(ev @ (Event::Start(_) | Event::Empty(_))) if matches!(&ev, Event::Start(e) | Event::Empty(e) if e.name().as_ref() == b"row") =>
                {
                    let e = match ev {
                        Event::Start(e) => {
                            self.depth += 1;
                            e
                        }
                        Event::Empty(e) => e,
                        _ => unreachable!(),
                    };
                    self.row += 1;
                    let number = self.row;
                    let mut row = Row {
                        number,
                        text: String::with_capacity(e.len()),
                        ends: Vec::with_capacity(16),
                    };
                    for a in e.attributes() {
                        let a = match a {
                            Ok(a) => a,
                            Err(err) => {
                                return Some(Err(self.error(
                                    number,
                                    format!("unreadable attribute: {err}"),
                                    false,
                                )))
                            }
                        };
                        let key = match std::str::from_utf8(a.key.as_ref()) {
                            Ok(k) => k,
                            Err(_) => {
                                return Some(Err(self.error(
                                    number,
                                    "an attribute name is not UTF-8".into(),
                                    false,
                                )))
                            }
                        };
                        let value = match a.unescape_value() {
                            Ok(v) => v,
                            Err(err) => {
                                let reason = format!("{key}: {}", describe(&err));
                                return Some(Err(self.error(number, reason, false)));
                            }
                        };
                        row.push(key, &value);
                    }
                    return Some(Ok(row));
                }
                Ok(Event::Start(_)) => {
                    if self.root_open {
                        self.depth += 1;
                        let row = self.row + 1;
                        return Some(Err(self.error(
                            row,
                            "unexpected element (expected <row …/>)".into(),
                            false,
                        )));
                    }
                    self.root_open = true;
                    self.depth += 1;
                }
                Ok(Event::End(_)) => {
                    self.depth = self.depth.saturating_sub(1);
                }
                Ok(Event::Eof) => {
                    self.finished = true;
                    let pos = self.reader.buffer_position();
                    if self.depth > 0 {
                        let row = self.row + 1;
                        return Some(Err(self.error(
                            row,
                            format!("the file ends early (truncated at byte {pos})"),
                            true,
                        )));
                    }
                    if !self.root_open {
                        return Some(Err(self.error(
                            0,
                            "no dump element in the file (empty or not XML)".into(),
                            true,
                        )));
                    }
                    return None;
                }
                Ok(_) => {}
            }
        }
    }
}

fn describe(err: &quick_xml::Error) -> String {
    let s = err.to_string();
    if s.contains("utf-8") || s.contains("UTF-8") || s.contains("Utf8") {
        "the value is not valid UTF-8".to_string()
    } else {
        s
    }
}
