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

/// Bits of `b[at..at + 64]` (bytes past the end: none) where the byte is
/// a quote, a backslash, or a bracket.
fn block_bits(b: &[u8], at: usize) -> (u64, u64, u64) {
    let mut buf = [b' '; 64];
    let chunk: &[u8; 64] = match b.get(at..at + 64) {
        Some(c) => c.try_into().expect("64 bytes"),
        None => {
            let rest = &b[at.min(b.len())..];
            buf[..rest.len()].copy_from_slice(rest);
            &buf
        }
    };
    #[cfg(target_arch = "x86_64")]
    return block_bits_sse2(chunk);
    #[cfg(not(target_arch = "x86_64"))]
    return block_bits_scalar(chunk);
}

#[cfg(target_arch = "x86_64")]
fn block_bits_sse2(chunk: &[u8; 64]) -> (u64, u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let (mut quote, mut backslash, mut bracket) = (0u64, 0u64, 0u64);
    // SAFETY: SSE2 is part of x86-64; each load reads sixteen bytes of
    // the 64-byte array, unaligned as allowed.
    unsafe {
        let q = _mm_set1_epi8(b'"' as i8);
        let s = _mm_set1_epi8(b'\\' as i8);
        // `[`/`{` and `]`/`}` differ only in bit 0x20: setting it folds
        // each pair into one compare (no other byte folds onto them).
        let fold = _mm_set1_epi8(0x20);
        let (open, close) = (_mm_set1_epi8(b'{' as i8), _mm_set1_epi8(b'}' as i8));
        for k in 0..4 {
            let v = _mm_loadu_si128(chunk.as_ptr().add(16 * k).cast::<__m128i>());
            let f = _mm_or_si128(v, fold);
            let bits = |m| u64::from(_mm_movemask_epi8(m) as u16) << (16 * k);
            quote |= bits(_mm_cmpeq_epi8(v, q));
            backslash |= bits(_mm_cmpeq_epi8(v, s));
            bracket |= bits(_mm_or_si128(
                _mm_cmpeq_epi8(f, open),
                _mm_cmpeq_epi8(f, close),
            ));
        }
    }
    (quote, backslash, bracket)
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn block_bits_scalar(chunk: &[u8; 64]) -> (u64, u64, u64) {
    let (mut quote, mut backslash, mut bracket) = (0u64, 0u64, 0u64);
    for (k, c) in chunk.iter().enumerate() {
        match c {
            b'"' => quote |= 1 << k,
            b'\\' => backslash |= 1 << k,
            b'{' | b'}' | b'[' | b']' => bracket |= 1 << k,
            _ => {}
        }
    }
    (quote, backslash, bracket)
}

/// Bit `k` set when an odd number of bits at or below `k` are: over the
/// unescaped quotes from an opening one, the bytes inside a string.
fn prefix_xor(mut x: u64) -> u64 {
    for shift in [1, 2, 4, 8, 16, 32] {
        x ^= x << shift;
    }
    x
}

/// A block's unescaped quotes, backslashes and brackets (see
/// `block_bits`), from the bits of `from` on; `carry` says whether its
/// first byte is escaped, and becomes whether the next block's is.
fn block_marks(b: &[u8], at: usize, from: u64, carry: &mut bool) -> (u64, u64, u64) {
    let (quote, backslash, bracket) = block_bits(b, at);
    let (quote, backslash, bracket) = (quote & from, backslash & from, bracket & from);
    // A backslash escapes the byte after it, unless it is escaped itself;
    // runs are short and rare, so their bits are walked.
    let mut escaped = 0u64;
    let mut escapes = backslash;
    if std::mem::take(carry) {
        escaped |= 1;
        escapes &= !1;
    }
    while escapes != 0 {
        let k = escapes.trailing_zeros();
        if k == 63 {
            *carry = true;
            break;
        }
        escaped |= 1 << (k + 1);
        escapes &= !(3 << k);
    }
    (quote & !escaped, backslash, bracket)
}

/// A string's bytes as text if they are UTF-8. Nearly every string read
/// (names, types, times) is ASCII, which a plain check of its bytes tells
/// faster than the full validation does for short strings.
fn utf8(raw: &[u8]) -> Option<&str> {
    if raw.is_ascii() {
        // SAFETY: ASCII is UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(raw) })
    } else {
        std::str::from_utf8(raw).ok()
    }
}

/// The value of a run of ASCII digits, read without going through text;
/// `None` for anything else (a sign, a fraction, an exponent) or a value
/// beyond `u64`, as `str::parse` would say of a token that starts with a
/// digit.
fn digits(t: &[u8]) -> Option<u64> {
    if t.is_empty() {
        return None;
    }
    t.iter().try_fold(0u64, |n, c| {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(d))
    })
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
    /// quote), and whether it holds escapes. Strings are short: searching
    /// from the quote costs less than marking the line's blocks.
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
            return match utf8(raw) {
                Some(s) => Ok(Some(Cow::Borrowed(s))),
                None => self.err("invalid UTF-8 in a string"),
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
            Some(b'0'..=b'9') => Ok(digits(self.token()?)),
            _ => self.skip().map(|_| None),
        }
    }

    /// A non-negative integer written as a number or as a string of digits
    /// (GH Archive writes event ids as strings, some exports as numbers).
    pub fn u64_or_string(&mut self) -> ScanResult<Option<u64>> {
        if self.peek() == Some(b'"') {
            let (open, (raw, escaped)) = (self.i, self.raw_string()?);
            if !escaped {
                if let Some(n) = digits(raw) {
                    return Ok(Some(n));
                }
            }
            // Anything else the way any string is read (a `+` sign and
            // escaped digits included).
            self.i = open;
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

    /// Steps over an object or array: its brackets outside strings are
    /// visited in order and counted by kind, so `{]` is refused. Anything
    /// out of the ordinary (an error, a backslash outside a string, deep
    /// nesting) is stepped over again byte by byte, which says exactly
    /// what is wrong where.
    fn nested(&mut self) -> ScanResult<()> {
        let start = self.i;
        match self.nested_marked() {
            Some(end) => {
                self.i = end;
                Ok(())
            }
            None => {
                self.i = start;
                self.nested_bytewise()
            }
        }
    }

    /// The end of the object or array at the cursor, from the marks; `None`
    /// when it must be read byte by byte.
    fn nested_marked(&self) -> Option<usize> {
        let start = self.i;
        // Open brackets as bits, 1 for `{`, innermost lowest.
        let (mut stack, mut depth) = (0u128, 0u32);
        let (mut in_string, mut carry) = (false, false);
        // Marked from the bracket on: no escape reaches past it.
        let mut block = start / 64;
        let mut from = !0u64 << (start % 64);
        while 64 * block < self.b.len() {
            let (quote, backslash, bracket) = block_marks(self.b, 64 * block, from, &mut carry);
            let inside = prefix_xor(quote) ^ if in_string { !0 } else { 0 };
            // Outside strings a backslash is not JSON; the byte reading
            // steps over it as the scanner always has.
            if backslash & !inside != 0 {
                return None;
            }
            let mut brackets = bracket & !inside;
            while brackets != 0 {
                let at = 64 * block + brackets.trailing_zeros() as usize;
                brackets &= brackets - 1;
                match self.b[at] {
                    c @ (b'{' | b'[') => {
                        if depth == 128 {
                            return None;
                        }
                        stack = stack << 1 | u128::from(c == b'{');
                        depth += 1;
                    }
                    c => {
                        if depth == 0 || (stack & 1 == 1) != (c == b'}') {
                            return None;
                        }
                        stack >>= 1;
                        depth -= 1;
                        if depth == 0 {
                            return Some(at + 1);
                        }
                    }
                }
            }
            in_string = inside >> 63 == 1;
            block += 1;
            from = !0;
        }
        None
    }

    /// Steps over an object or array a byte at a time: strings are jumped
    /// with `memchr`, brackets counted by kind.
    fn nested_bytewise(&mut self) -> ScanResult<()> {
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

    /// What stepping over the value at the start of `b` gives, with the
    /// marks or byte by byte: the result and where the cursor ends.
    fn stepped(b: &[u8], bytewise: bool) -> (ScanResult<()>, usize) {
        let mut sc = Scan::new(b);
        let r = if bytewise {
            sc.nested_bytewise()
        } else {
            sc.skip()
        };
        (r, sc.i)
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]
        /// The marks find what the byte reading finds, on text made mostly
        /// of the bytes that matter (quotes, backslashes, brackets), long
        /// enough to cross blocks with strings, escapes and nesting.
        #[test]
        fn marks_read_as_the_bytes_do(
            open in proptest::sample::select(vec![b'{', b'[']),
            body in proptest::collection::vec(
                proptest::sample::select(vec![
                    b'{', b'}', b'[', b']', b'"', b'"', b'\\', b'\\', b'a', b',', b':', b' ', 0xc3,
                ]),
                0..400,
            ),
            filler in 0usize..130,
        ) {
            let mut b = vec![open];
            // A run of plain bytes moves everything after it across blocks.
            b.extend(std::iter::repeat_n(b'x', filler));
            b.extend(body);
            proptest::prop_assert_eq!(stepped(&b, false), stepped(&b, true));
            // The same with the value balanced at its end, so that long
            // successful skips are common too.
            let mut closed = b.clone();
            closed.extend_from_slice(b"\"]}]}]}");
            proptest::prop_assert_eq!(stepped(&closed, false), stepped(&closed, true));
            // Other processors mark blocks with the plain loop: same bits.
            #[cfg(target_arch = "x86_64")]
            for at in (0..closed.len()).step_by(64) {
                let mut chunk = [b' '; 64];
                let part = &closed[at..closed.len().min(at + 64)];
                chunk[..part.len()].copy_from_slice(part);
                proptest::prop_assert_eq!(block_bits_sse2(&chunk), block_bits_scalar(&chunk));
            }
        }
    }

    #[test]
    fn marks_carry_escapes_and_strings_across_blocks() {
        // A backslash at the last byte of a block escapes the first quote
        // of the next; a string open at a block's end stays open.
        for pad in 0..70 {
            let text = format!(
                "{{\"{}\\\"}}\", \"k\": [\"{}\"], \"e\": \"\\\\\"}}",
                "y".repeat(pad),
                "]".repeat(pad)
            );
            let b = text.as_bytes();
            assert_eq!(stepped(b, false), stepped(b, true), "{text}");
            let (r, end) = stepped(b, false);
            assert!(r.is_ok() && end == b.len(), "{text}: {r:?} at {end}");
        }
    }

    proptest::proptest! {
        /// Digits are read as `str::parse` reads them, whatever the bytes.
        #[test]
        fn digits_read_as_parse_does(t in proptest::collection::vec(
            proptest::sample::select(b"0123456789+-.eE a9".to_vec()), 0..24)
        ) {
            let parsed = std::str::from_utf8(&t).ok().and_then(|s| s.parse::<u64>().ok());
            // `parse` also takes a leading `+`, which a JSON number never has.
            if t.first() != Some(&b'+') {
                proptest::prop_assert_eq!(digits(&t), parsed);
            }
        }
    }

    #[test]
    fn ids_read_as_numbers_or_strings() {
        let id = |s: &str| Scan::new(s.as_bytes()).u64_or_string();
        assert_eq!(id("\"40000000032\""), Ok(Some(40000000032)));
        assert_eq!(id("40000000032"), Ok(Some(40000000032)));
        assert_eq!(id("\"18446744073709551615\""), Ok(Some(u64::MAX)));
        assert_eq!(id("\"18446744073709551616\""), Ok(None));
        assert_eq!(id("18446744073709551616"), Ok(None));
        assert_eq!(id("\"+7\""), Ok(Some(7)));
        assert_eq!(id("\"\\u0037\""), Ok(Some(7)));
        assert_eq!(id("\"7a\""), Ok(None));
        assert_eq!(id("\"\""), Ok(None));
        assert_eq!(id("null"), Ok(None));
        assert_eq!(utf8("h\u{e9}".as_bytes()), Some("h\u{e9}"));
        assert_eq!(utf8(b"\xff"), None);
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
