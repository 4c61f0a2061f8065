//! A JSON scanner that reads the few fields an event needs and steps over
//! the rest without building it. A GH Archive line is mostly payload the
//! metrics never look at (commit messages, issue bodies, nested copies of
//! the repository); a full parse checks every escape and every character
//! of it, and that was most of an import's time. The scanner still checks
//! the structure of what it skips (strings closed, brackets balanced, the
//! object ending where the line ends), so a truncated or garbled line is
//! reported as malformed; the values it returns are checked in full (UTF-8,
//! escapes, number syntax).

use memchr::memchr2;
use std::borrow::Cow;

pub type ScanResult<T> = Result<T, String>;

/// The first `"` or `\\` at or after `from`. Most strings of an event are
/// short (keys, logins, hashes, addresses): they are searched sixteen
/// bytes at a time in a vector register (SSE2, part of every x86-64), or
/// eight at a time in a general one elsewhere; long ones (bodies) with
/// `memchr`, which picks the widest instructions the processor has.
fn quote_or_backslash(b: &[u8], from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    return quote_or_backslash_sse2(b, from);
    #[cfg(not(target_arch = "x86_64"))]
    return quote_or_backslash_swar(b, from);
}

#[cfg(target_arch = "x86_64")]
fn quote_or_backslash_sse2(b: &[u8], from: usize) -> Option<usize> {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let mut j = from;
    // SAFETY: SSE2 is part of x86-64, and every load reads sixteen bytes
    // that lie inside `b` (`j + 16 <= b.len()`), unaligned as allowed.
    unsafe {
        let (quote, backslash) = (_mm_set1_epi8(b'"' as i8), _mm_set1_epi8(b'\\' as i8));
        while j + 16 <= b.len() && j < from + 128 {
            let v = _mm_loadu_si128(b.as_ptr().add(j).cast::<__m128i>());
            let hits = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash));
            let mask = _mm_movemask_epi8(hits);
            if mask != 0 {
                return Some(j + mask.trailing_zeros() as usize);
            }
            j += 16;
        }
    }
    memchr2(b'"', b'\\', b.get(j..)?).map(|k| j + k)
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn quote_or_backslash_swar(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut j = from;
    while j + 8 <= b.len() && j < from + 64 {
        let v = u64::from_le_bytes(b[j..j + 8].try_into().expect("eight bytes"));
        let (q, s) = (v ^ (ONES * u64::from(b'"')), v ^ (ONES * u64::from(b'\\')));
        // A byte equal to the one looked for is zero after the xor; the
        // lowest flagged byte is exact (later flags may be false).
        let hit = ((q.wrapping_sub(ONES) & !q) | (s.wrapping_sub(ONES) & !s)) & HIGH;
        if hit != 0 {
            return Some(j + (hit.trailing_zeros() / 8) as usize);
        }
        j += 8;
    }
    memchr2(b'"', b'\\', b.get(j..)?).map(|k| j + k)
}

pub struct Scan<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scan<'a> {
    pub fn new(b: &'a [u8]) -> Self {
        Scan { b, i: 0 }
    }

    fn err<T>(&self, what: &str) -> ScanResult<T> {
        Err(format!("{what} at column {}", self.i + 1))
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\r' | b'\n') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> ScanResult<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else if self.i >= self.b.len() {
            self.err("unexpected end of line")
        } else {
            self.err(&format!("expected '{}'", c as char))
        }
    }

    /// A string's bytes between its quotes (the cursor on the opening
    /// quote), and whether it holds escapes.
    fn raw_string(&mut self) -> ScanResult<(&'a [u8], bool)> {
        let start = self.i + 1;
        let mut j = start;
        let mut escaped = false;
        loop {
            match quote_or_backslash(self.b, j) {
                Some(k) if self.b[k] == b'\\' => {
                    escaped = true;
                    j = k + 2;
                }
                Some(k) => {
                    self.i = k + 1;
                    return Ok((&self.b[start..k], escaped));
                }
                None => {
                    self.i = self.b.len();
                    return self.err("unterminated string");
                }
            }
        }
    }

    /// A string value; `None` (consumed) when the value is of another type.
    pub fn string(&mut self) -> ScanResult<Option<Cow<'a, str>>> {
        if self.peek() != Some(b'"') {
            self.skip()?;
            return Ok(None);
        }
        let open = self.i;
        let (raw, escaped) = self.raw_string()?;
        if !escaped {
            return match std::str::from_utf8(raw) {
                Ok(s) => Ok(Some(Cow::Borrowed(s))),
                Err(_) => self.err("invalid UTF-8 in a string"),
            };
        }
        // Escapes are rare in the fields read; the full decoder handles them.
        match serde_json::from_slice::<String>(&self.b[open..self.i]) {
            Ok(s) => Ok(Some(Cow::Owned(s))),
            Err(e) => self.err(&format!("bad string ({e})")),
        }
    }

    /// A scalar token (number or literal) as its bytes.
    fn token(&mut self) -> ScanResult<&'a [u8]> {
        let start = self.i;
        while let Some(c) = self.b.get(self.i) {
            if matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n') {
                break;
            }
            self.i += 1;
        }
        let t = &self.b[start..self.i];
        let number = t.first().is_some_and(|c| *c == b'-' || c.is_ascii_digit())
            && t.iter()
                .all(|c| c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E'));
        if number || matches!(t, b"true" | b"false" | b"null") {
            Ok(t)
        } else {
            self.i = start;
            self.err("expected a value")
        }
    }

    /// A non-negative integer; `None` (consumed) for any other value.
    pub fn u64(&mut self) -> ScanResult<Option<u64>> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                let t = self.token()?;
                Ok(std::str::from_utf8(t).ok().and_then(|s| s.parse().ok()))
            }
            _ => self.skip().map(|_| None),
        }
    }

    /// A non-negative integer written as a number or as a string of digits
    /// (GH Archive writes event ids as strings, some exports as numbers).
    pub fn u64_or_string(&mut self) -> ScanResult<Option<u64>> {
        if self.peek() == Some(b'"') {
            return Ok(self.string()?.and_then(|s| s.parse().ok()));
        }
        self.u64()
    }

    /// `true` or `false`; `None` (consumed) for any other value.
    pub fn bool(&mut self) -> ScanResult<Option<bool>> {
        match self.peek() {
            Some(b't' | b'f') => Ok(match self.token()? {
                b"true" => Some(true),
                b"false" => Some(false),
                _ => None,
            }),
            _ => self.skip().map(|_| None),
        }
    }

    /// Consumes a `null`; false (nothing consumed) for any other value.
    pub fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.b[self.i..].starts_with(b"null") {
            self.i += 4;
            true
        } else {
            false
        }
    }

    pub fn is_object(&mut self) -> bool {
        self.peek() == Some(b'{')
    }

    /// Steps over one value, checking only its structure.
    pub fn skip(&mut self) -> ScanResult<()> {
        match self.peek() {
            Some(b'"') => self.raw_string().map(|_| ()),
            Some(b'{' | b'[') => self.nested(),
            Some(_) => self.token().map(|_| ()),
            None => self.err("unexpected end of line"),
        }
    }

    /// Steps over an object or array: strings are jumped with `memchr`,
    /// brackets counted by kind so `{]` is refused.
    fn nested(&mut self) -> ScanResult<()> {
        let mut stack: Vec<u8> = Vec::new();
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    self.raw_string()?;
                    continue;
                }
                b'{' => stack.push(b'}'),
                b'[' => stack.push(b']'),
                b'}' | b']' => {
                    if stack.pop() != Some(c) {
                        return self.err("unbalanced brackets");
                    }
                    if stack.is_empty() {
                        self.i += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        self.err("unexpected end of line")
    }

    /// Calls `field` with each key of an object (unescaped keys are
    /// compared as they are; the ones an event needs have no escapes);
    /// `field` must consume the value. A value other than an object is
    /// stepped over.
    pub fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &[u8]) -> ScanResult<()>,
    ) -> ScanResult<()> {
        if !self.is_object() {
            return self.skip();
        }
        self.i += 1;
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            if self.peek() != Some(b'"') {
                return self.err("expected a key");
            }
            let (key, _) = self.raw_string()?;
            self.eat(b':')?;
            field(self, key)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(());
                }
                None => return self.err("unexpected end of line"),
                Some(_) => return self.err("expected ',' or '}'"),
            }
        }
    }

    /// Only whitespace may follow the top-level value.
    pub fn end(&mut self) -> ScanResult<()> {
        if self.peek().is_some() {
            self.err("trailing characters")
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key of a flat object with its value as the scanner reads it.
    fn fields(s: &str) -> ScanResult<Vec<(String, String)>> {
        let mut out = Vec::new();
        let mut sc = Scan::new(s.as_bytes());
        sc.object(|sc, k| {
            let k = String::from_utf8_lossy(k).into_owned();
            let v = match k.as_str() {
                "s" => format!("{:?}", sc.string()?),
                "n" => format!("{:?}", sc.u64()?),
                "b" => format!("{:?}", sc.bool()?),
                _ => {
                    sc.skip()?;
                    "skipped".into()
                }
            };
            out.push((k, v));
            Ok(())
        })?;
        sc.end()?;
        Ok(out)
    }

    #[test]
    fn reads_what_is_asked_and_skips_the_rest() {
        let f = fields(
            r#" {"x": {"a": [1, {"b": "}]\"{"}, -2.5e3], "c": null}, "s": "h\u00e9 \"q\"", "n": 42, "b": false, "y": "\\", "z": true } "#,
        )
        .unwrap();
        assert_eq!(
            f,
            [
                ("x", "skipped"),
                ("s", "Some(\"hé \\\"q\\\"\")"),
                ("n", "Some(42)"),
                ("b", "Some(false)"),
                ("y", "skipped"),
                ("z", "skipped"),
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        // Values of another type read as absent, not as errors.
        let f = fields(r#"{"s": 5, "n": "7", "b": null}"#).unwrap();
        assert_eq!(f[0].1, "None");
        assert_eq!(f[1].1, "None");
        assert_eq!(f[2].1, "None");
        assert_eq!(fields("{}").unwrap(), vec![]);
        // Numbers too large, negative or fractional are not ids.
        assert_eq!(
            fields(r#"{"n": 99999999999999999999}"#).unwrap()[0].1,
            "None"
        );
        assert_eq!(fields(r#"{"n": 1.5}"#).unwrap()[0].1, "None");
    }

    #[test]
    fn search_finds_the_first_quote_or_backslash() {
        for len in 0..150 {
            for (at, c) in [(len / 3, b'"'), (len / 2, b'\\'), (len, b'"')] {
                // Bytes around the target that must not be taken for it.
                let mut b: Vec<u8> = (0..len + 9)
                    .map(|i| [b'a', 0xe2, 0x22 ^ 0x80, 0x01, 0][i % 5])
                    .collect();
                b[at] = c;
                let naive = b[2.min(b.len())..]
                    .iter()
                    .position(|x| *x == b'"' || *x == b'\\');
                assert_eq!(
                    quote_or_backslash(&b, 2),
                    naive.map(|k| k + 2),
                    "{len} {at}"
                );
                assert_eq!(
                    quote_or_backslash_swar(&b, 2),
                    naive.map(|k| k + 2),
                    "{len} {at}"
                );
            }
        }
    }

    #[test]
    fn broken_lines_are_refused() {
        for bad in [
            "",
            "{",
            r#"{"a": "open"#,
            r#"{"a": {"b": [1, 2}}"#,
            r#"{"a": [1, 2]"#,
            r#"{"a" 1}"#,
            r#"{"a": 1 "b": 2}"#,
            r#"{"a": nope}"#,
            r#"{"a": 1} x"#,
            r#"{a: 1}"#,
            r#"{"s": "bad \q escape"}"#,
        ] {
            assert!(fields(bad).is_err(), "{bad:?} was accepted");
        }
        let e = fields(r#"{"a": {"b": [1, 2}}"#).unwrap_err();
        assert!(e.contains("column 18"), "{e}");
        // A top-level value other than an object is refused by the caller;
        // the scanner steps over it.
        assert!(fields("[1, 2]").unwrap().is_empty());
    }
}
