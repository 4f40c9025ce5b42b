//! `format: date` and `format: date-time`, parsed as pydantic parses them.
//!
//! pydantic (through the `speedate` parser) accepts more than RFC 3339: a plain date
//! for a datetime (midnight), `' '`/`'_'` as separator, `+0100` offsets, unix
//! timestamps in seconds or milliseconds (as numbers or numeric strings), and a
//! datetime at exact midnight for a date. Its error messages name the first byte
//! that is wrong ("invalid character in month", "input is too short", ...). We parse
//! the same grammar with the same messages and hand serde a normalised RFC 3339
//! string (`YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)`, or `YYYY-MM-DD` for dates) that
//! `chrono` deserialises. A datetime without offset is taken as UTC, since the
//! usual Rust target (`DateTime<Utc>`) cannot hold a naive time.

use serde_json::Value;

use crate::validation::messages::Issue;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Date {
    year: i64,
    month: u32,
    day: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct DateTime {
    date: Date,
    seconds: u32,
    micros: u32,
    offset: i32,
}

type Parsed<T> = Result<T, &'static str>;

fn digit(b: &[u8], i: usize, error: &'static str) -> Parsed<u32> {
    match b.get(i) {
        Some(c) if c.is_ascii_digit() => Ok(u32::from(c - b'0')),
        _ => Err(error),
    }
}

fn two(b: &[u8], i: usize, error: &'static str) -> Parsed<u32> {
    Ok(digit(b, i, error)? * 10 + digit(b, i + 1, error)?)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Parses the leading `YYYY-MM-DD` of `b`.
fn date_prefix(b: &[u8]) -> Parsed<Date> {
    if b.len() < 10 {
        return Err("input is too short");
    }
    let mut year = 0;
    for i in 0..4 {
        year = year * 10 + i64::from(digit(b, i, "invalid character in year")?);
    }
    if b[4] != b'-' {
        return Err("invalid date separator, expected `-`");
    }
    let month = two(b, 5, "invalid character in month")?;
    if b[7] != b'-' {
        return Err("invalid date separator, expected `-`");
    }
    let day = two(b, 8, "invalid character in day")?;
    if !(1..=12).contains(&month) {
        return Err("month value is outside expected range of 1-12");
    }
    if day == 0 || day > days_in_month(year, month) {
        return Err("day value is outside expected range");
    }
    Ok(Date { year, month, day })
}

fn parse_date(text: &str) -> Parsed<Date> {
    let date = date_prefix(text.as_bytes())?;
    if text.len() > 10 {
        return Err("unexpected extra characters at the end of the input");
    }
    Ok(date)
}

fn parse_datetime(text: &str) -> Parsed<DateTime> {
    let b = text.as_bytes();
    let date = date_prefix(b)?;
    if !matches!(b.get(10), Some(b'T' | b't' | b' ' | b'_')) {
        return Err("invalid datetime separator, expected `T`, `t`, `_` or space");
    }
    let t = &b[11..];
    if t.len() < 5 {
        return Err("input is too short");
    }
    let hour = two(t, 0, "invalid character in hour")?;
    if t[2] != b':' {
        return Err("invalid time separator, expected `:`");
    }
    let minute = two(t, 3, "invalid character in minute")?;
    let mut i = 5;
    let mut second = 0;
    let mut micros = 0;
    if t.get(i) == Some(&b':') {
        second = two(t, i + 1, "invalid character in second")?;
        i += 3;
        if matches!(t.get(i), Some(b'.' | b',')) {
            i += 1;
            let start = i;
            while t.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 6 {
                    micros = micros * 10 + u32::from(t[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return Err("second fraction digits missing after `.`");
            }
            micros *= 10u32.pow(6u32.saturating_sub((i - start) as u32));
        }
    }
    if hour > 23 {
        return Err("hour value is outside expected range of 0-23");
    }
    if minute > 59 {
        return Err("minute value is outside expected range of 0-59");
    }
    if second > 59 {
        return Err("second value is outside expected range of 0-59");
    }
    let (offset, used) = parse_offset(&t[i..])?;
    if i + used != t.len() {
        return Err("unexpected extra characters at the end of the input");
    }
    Ok(DateTime {
        date,
        seconds: hour * 3600 + minute * 60 + second,
        micros,
        offset,
    })
}

/// Parses `Z`, `±HH`, `±HHMM` or `±HH:MM`; returns seconds east and bytes used.
fn parse_offset(b: &[u8]) -> Parsed<(i32, usize)> {
    let sign = match b.first() {
        None => return Ok((0, 0)),
        Some(b'Z' | b'z') => return Ok((0, 1)),
        Some(b'+') => 1,
        Some(b'-') => -1,
        Some(_) => return Err("invalid timezone sign"),
    };
    let hours = two(b, 1, "invalid timezone hour")?;
    let mut used = 3;
    let mut minutes = 0;
    if b.len() > used {
        if b[used] == b':' {
            used += 1;
        }
        minutes = two(b, used, "invalid timezone minute")?;
        used += 2;
    }
    if minutes > 59 {
        return Err("timezone minute value is outside expected range of 0-59");
    }
    if hours * 60 + minutes >= 24 * 60 {
        return Err("timezone offset must be less than 24 hours");
    }
    Ok((sign * (hours * 3600 + minutes * 60) as i32, used))
}

/// A number as a unix timestamp (milliseconds when beyond 2e10, as speedate does).
fn from_timestamp(ts: f64) -> Parsed<DateTime> {
    let ts = if ts.abs() > 2e10 { ts / 1000.0 } else { ts };
    let whole = ts.floor();
    let micros = ((ts - whole) * 1e6).round().min(999_999.0) as u32;
    let secs = whole as i64;
    let date = civil_from_days(secs.div_euclid(86_400));
    if date.year < 1600 {
        return Err("dates before 1600 are not supported as unix timestamps");
    }
    if date.year > 9999 {
        return Err("dates after 9999 are not supported as unix timestamps");
    }
    Ok(DateTime {
        date,
        seconds: secs.rem_euclid(86_400) as u32,
        micros,
        offset: 0,
    })
}

/// Converts days since 1970-01-01 to a calendar date (proleptic Gregorian).
fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date { year, month, day }
}

/// The number a timestamp-like input carries, if it is one.
fn as_timestamp(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => {
            let t = s.trim();
            let body = t.strip_prefix('-').unwrap_or(t);
            let numeric = !body.is_empty()
                && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && body.bytes().filter(|&b| b == b'.').count() <= 1
                && body.bytes().any(|b| b.is_ascii_digit());
            numeric.then(|| t.parse().ok()).flatten()
        }
        _ => None,
    }
}

fn render_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
}

fn render_datetime(dt: DateTime) -> String {
    let (h, m, s) = (dt.seconds / 3600, dt.seconds / 60 % 60, dt.seconds % 60);
    let mut out = format!("{}T{h:02}:{m:02}:{s:02}", render_date(dt.date));
    if dt.micros != 0 {
        out.push_str(&format!(".{:06}", dt.micros));
    }
    if dt.offset == 0 {
        out.push('Z');
    } else {
        let sign = if dt.offset < 0 { '-' } else { '+' };
        let off = dt.offset.unsigned_abs();
        out.push_str(&format!("{sign}{:02}:{:02}", off / 3600, off / 60 % 60));
    }
    out
}

/// Validates a `format: date-time` input; returns the normalised RFC 3339 string.
pub(crate) fn to_datetime(v: &Value) -> Result<String, Issue> {
    if let Some(ts) = as_timestamp(v) {
        return from_timestamp(ts)
            .map(render_datetime)
            .map_err(|e| Issue::DatetimeParsing(e.into()));
    }
    let Value::String(text) = v else {
        return Err(Issue::DatetimeType);
    };
    match parse_datetime(text) {
        Ok(dt) => Ok(render_datetime(dt)),
        Err(_) => match parse_date(text) {
            Ok(date) => Ok(render_datetime(DateTime {
                date,
                seconds: 0,
                micros: 0,
                offset: 0,
            })),
            Err(e) => Err(Issue::DatetimeFromDateParsing(e.into())),
        },
    }
}

/// Validates a `format: date` input; returns the normalised `YYYY-MM-DD` string.
pub(crate) fn to_date(v: &Value) -> Result<String, Issue> {
    let exact = |dt: DateTime| {
        if dt.seconds == 0 && dt.micros == 0 {
            Ok(render_date(dt.date))
        } else {
            Err(Issue::DateFromDatetimeInexact)
        }
    };
    if let Some(ts) = as_timestamp(v) {
        return from_timestamp(ts)
            .map_err(|e| Issue::DateFromDatetimeParsing(e.into()))
            .and_then(exact);
    }
    let Value::String(text) = v else {
        return Err(Issue::DateType);
    };
    match parse_date(text) {
        Ok(date) => Ok(render_date(date)),
        Err(_) => match parse_datetime(text) {
            Ok(dt) => exact(dt),
            Err(e) => Err(Issue::DateFromDatetimeParsing(e.into())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dt_err(v: Value) -> String {
        match to_datetime(&v) {
            Err(Issue::DatetimeFromDateParsing(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn datetimes_accepted_like_pydantic() {
        let cases = [
            (json!("2024-01-01T10:00:00Z"), "2024-01-01T10:00:00Z"),
            (json!("2024-01-01"), "2024-01-01T00:00:00Z"),
            (json!("2024-01-01 10:00"), "2024-01-01T10:00:00Z"),
            (
                json!("2024-01-01T10:00:00+0100"),
                "2024-01-01T10:00:00+01:00",
            ),
            (
                json!("2024-01-01T10:00:00.123456789-05:30"),
                "2024-01-01T10:00:00.123456-05:30",
            ),
            (json!("1700000000"), "2023-11-14T22:13:20Z"),
            (json!(1_700_000_000_000i64), "2023-11-14T22:13:20Z"),
            (json!(2024), "1970-01-01T00:33:44Z"),
        ];
        for (input, out) in cases {
            assert_eq!(to_datetime(&input).as_deref(), Ok(out), "{input}");
        }
    }

    #[test]
    fn datetime_errors_match_pydantic() {
        assert_eq!(dt_err(json!("nope")), "input is too short");
        assert_eq!(dt_err(json!("")), "input is too short");
        assert_eq!(
            dt_err(json!("2024-13-01")),
            "month value is outside expected range of 1-12"
        );
        assert_eq!(
            dt_err(json!("2024-02-30T00:00:00")),
            "day value is outside expected range"
        );
        assert_eq!(
            dt_err(json!("2024-01-01T25:00:00")),
            "unexpected extra characters at the end of the input"
        );
        assert_eq!(
            dt_err(json!("2024-01-01T10:00:00+25:00")),
            "unexpected extra characters at the end of the input"
        );
        assert_eq!(dt_err(json!("20x4-01-01")), "invalid character in year");
        assert_eq!(to_datetime(&json!(null)), Err(Issue::DatetimeType));
    }

    #[test]
    fn dates_follow_pydantic() {
        assert_eq!(to_date(&json!("2024-02-29")).as_deref(), Ok("2024-02-29"));
        assert_eq!(
            to_date(&json!("2024-01-01T00:00:00")).as_deref(),
            Ok("2024-01-01")
        );
        assert_eq!(
            to_date(&json!("2024-01-01T10:00:00")),
            Err(Issue::DateFromDatetimeInexact)
        );
        assert_eq!(to_date(&json!(5)), Err(Issue::DateFromDatetimeInexact));
        assert_eq!(to_date(&json!(1_699_920_000)).as_deref(), Ok("2023-11-14"));
        let parse = |s: &str| Issue::DateFromDatetimeParsing(s.into());
        assert_eq!(
            to_date(&json!("2023-02-29")),
            Err(parse("day value is outside expected range"))
        );
        assert_eq!(
            to_date(&json!("2024-01-01T25:00:00")),
            Err(parse("hour value is outside expected range of 0-23"))
        );
        assert_eq!(to_date(&json!("nope")), Err(parse("input is too short")));
        assert_eq!(to_date(&json!(null)), Err(Issue::DateType));
    }
}
