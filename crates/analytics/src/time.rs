//! Calendar arithmetic for event timestamps: GH Archive writes UTC times as
//! `YYYY-MM-DDTHH:MM:SSZ`; analytics buckets them by day and month. Plain
//! integer maths (Howard Hinnant's civil-date algorithm) keeps the crate free
//! of a date library for the few conversions it needs.

/// Seconds since 1970-01-01T00:00:00Z.
pub type Timestamp = i64;

/// A calendar month as `year * 12 + (month - 1)`, so consecutive months are
/// consecutive integers and "months elapsed" is a subtraction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Month(pub i32);

impl Month {
    pub fn new(year: i32, month: u32) -> Month {
        Month(year * 12 + month as i32 - 1)
    }
    pub fn of(t: Timestamp) -> Month {
        let (y, m, _) = civil_from_days(t.div_euclid(86_400));
        Month::new(y, m)
    }
    pub fn year(self) -> i32 {
        self.0.div_euclid(12)
    }
    /// 1..=12
    pub fn month(self) -> u32 {
        self.0.rem_euclid(12) as u32 + 1
    }
    /// 1..=4
    pub fn quarter(self) -> u32 {
        (self.month() - 1) / 3 + 1
    }
    pub fn next(self) -> Month {
        Month(self.0 + 1)
    }
    /// The first second of the month.
    pub fn start(self) -> Timestamp {
        days_from_civil(self.year(), self.month(), 1) * 86_400
    }
    /// The first second of the next month.
    pub fn end(self) -> Timestamp {
        self.next().start()
    }
    /// `2026-01`
    pub fn label(self) -> String {
        format!("{:04}-{:02}", self.year(), self.month())
    }
    /// Parses `2026-01` (also `202601`).
    pub fn parse(s: &str) -> Option<Month> {
        let s = s.trim();
        let (y, m) = match s.split_once('-') {
            Some((y, m)) => (y, m),
            None if s.len() == 6 => s.split_at(4),
            None => return None,
        };
        let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
        ((1..=12).contains(&m) && (1970..=9999).contains(&y)).then(|| Month::new(y, m))
    }
}

/// Days since the epoch → (year, month, day).
pub fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as i32, m, d)
}

/// (year, month, day) → days since the epoch.
pub fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Parses an RFC 3339 UTC time as GH Archive writes it
/// (`2015-01-01T15:00:01Z`), tolerating fractional seconds and a numeric
/// offset (`+08:00`), which older archives and other exporters use.
pub fn parse_timestamp(s: &str) -> Option<Timestamp> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, se) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if b[13] != b':' || b[16] != b':' || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    if h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let mut rest = &b[19..];
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        rest = &rest[1 + n..];
    }
    let offset = match rest {
        b"Z" | b"z" | b"" => 0,
        [sign @ (b'+' | b'-'), hh1, hh2, b':', mm1, mm2] => {
            let v = i64::from(digits(&[*hh1, *hh2])? * 60 + digits(&[*mm1, *mm2])?) * 60;
            if *sign == b'+' {
                v
            } else {
                -v
            }
        }
        _ => return None,
    };
    let days = days_from_civil(y as i32, mo, d);
    Some(days * 86_400 + i64::from(h * 3600 + mi * 60 + se) - offset)
}

/// The day number (days since the epoch) of a timestamp.
pub fn day_of(t: Timestamp) -> i64 {
    t.div_euclid(86_400)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        // 2015-01-01 is day 16436 (45 years, 11 leap days: 45·365 + 11).
        assert_eq!(
            parse_timestamp("2015-01-01T15:00:01Z"),
            Some(16_436 * 86_400 + 54_001)
        );
        assert_eq!(
            parse_timestamp("2015-01-01T23:00:01+08:00"),
            parse_timestamp("2015-01-01T15:00:01Z")
        );
        assert_eq!(
            parse_timestamp("2024-02-29T00:00:00.123Z"),
            Some(days_from_civil(2024, 2, 29) * 86_400)
        );
        for bad in [
            "",
            "2015-13-01T00:00:00Z",
            "2015-01-01",
            "2015-01-01T25:00:00Z",
            "x015-01-01T00:00:00Z",
            "2015-01-01T00:00:00Q",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for z in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn months() {
        let m = Month::of(parse_timestamp("2026-03-31T23:59:59Z").unwrap());
        assert_eq!(
            (m.year(), m.month(), m.quarter(), m.label()),
            (2026, 3, 1, "2026-03".into())
        );
        assert_eq!(m.next().label(), "2026-04");
        assert_eq!(Month::new(2026, 12).next().label(), "2027-01");
        assert_eq!(Month::parse("2026-04"), Some(m.next()));
        assert_eq!(Month::parse("202604"), Some(m.next()));
        assert_eq!(Month::parse("2026-13"), None);
        assert_eq!(m.end(), m.next().start());
        assert_eq!(m.end() - m.start(), 31 * 86_400);
    }
}
