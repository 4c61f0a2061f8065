//! Writing a dump file in the format the reader (and Stack Exchange's own
//! tools) read: one `<row …/>` per line, attributes escaped as the dumps do.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

pub struct DumpWriter {
    out: BufWriter<File>,
    root: &'static str,
    rows: u64,
}

/// Escape an attribute value; newlines and tabs as character references
/// (as in the dumps) so they survive attribute-value normalization, and the
/// characters XML 1.0 cannot hold at all dropped.
pub fn escape_attr(v: &str, out: &mut String) {
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#xA;"),
            '\r' => out.push_str("&#xD;"),
            '\t' => out.push_str("&#x9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

impl DumpWriter {
    /// Create `dir/file` with root element `root` (`posts`, `users`, …).
    pub fn create(dir: &Path, file: &str, root: &'static str) -> std::io::Result<DumpWriter> {
        let mut out = BufWriter::with_capacity(1 << 16, File::create(dir.join(file))?);
        write!(
            out,
            "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<{root}>\n"
        )?;
        Ok(DumpWriter { out, root, rows: 0 })
    }

    /// One row; attributes with no value are left out, as in the dumps.
    pub fn row(&mut self, attrs: &[(&str, Option<String>)]) -> std::io::Result<()> {
        let mut line = String::with_capacity(256);
        line.push_str("  <row");
        for (k, v) in attrs {
            if let Some(v) = v {
                line.push(' ');
                line.push_str(k);
                line.push_str("=\"");
                escape_attr(v, &mut line);
                line.push('"');
            }
        }
        line.push_str(" />\n");
        self.rows += 1;
        self.out.write_all(line.as_bytes())
    }

    /// Close the root element and flush; returns the rows written.
    pub fn finish(mut self) -> std::io::Result<u64> {
        writeln!(self.out, "</{}>", self.root)?;
        self.out.flush()?;
        self.out.get_ref().sync_all()?;
        Ok(self.rows)
    }
}
