//! The pieces every reading of a provider's limits rests on: its response headers, the
//! longest wait believed, and the dates servers write (IMF-fixdate, RFC 3339).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::timefmt::days_from_civil;

/// No provider hint is believed beyond this: a day (a daily quota resets within one).
pub const MAX_HINT: Duration = Duration::from_secs(24 * 3600);

/// Response headers, names lowercased.
#[derive(Debug, Clone, Default)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    /// Headers from literal pairs, as tests write them.
    #[cfg(test)]
    pub(crate) fn of(pairs: &[(&str, &str)]) -> Headers {
        Headers(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    /// The first value of `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    }
}

pub(super) fn cap(d: Duration) -> Duration {
    d.min(MAX_HINT)
}

pub(super) fn secs_f64(s: f64) -> Option<Duration> {
    if !s.is_finite() || s < 0.0 {
        return None;
    }
    Some(cap(Duration::try_from_secs_f64(
        s.min(MAX_HINT.as_secs_f64()),
    )
    .ok()?))
}

/// Years a server's date is believed in: anything else is garbage, and far-off years would
/// overflow the day arithmetic or `SystemTime`.
const YEARS: std::ops::RangeInclusive<i64> = 1970..=9999;

fn at(days: i64, secs_of_day: f64) -> Option<SystemTime> {
    let secs = days as f64 * 86_400.0 + secs_of_day;
    if secs < 0.0 {
        return None;
    }
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).ok()?)
}

fn hms(s: &str) -> Option<f64> {
    let mut it = s.splitn(3, ':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let sec: f64 = it.next()?.parse().ok()?;
    (h < 24 && m < 60 && (0.0..61.0).contains(&sec)).then(|| f64::from(h * 3600 + m * 60) + sec)
}

/// An IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`), the form servers send in `Retry-After`.
pub fn http_date(value: &str) -> Option<SystemTime> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, mon, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == mon)? as u32 + 1;
    let d: u32 = day.parse().ok().filter(|d| (1..=31).contains(d))?;
    let y: i64 = year.parse().ok().filter(|y| YEARS.contains(y))?;
    at(days_from_civil(y, m, d), hms(time)?)
}

/// An RFC 3339 timestamp (`2026-01-01T00:00:30Z`, `…T00:00:30.5+01:00`), as in Anthropic's
/// `anthropic-ratelimit-*-reset`.
pub fn rfc3339(value: &str) -> Option<SystemTime> {
    let v = value.trim();
    let (date, rest) = v.split_at_checked(10)?;
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, u32, u32) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    if !YEARS.contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (time, offset) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0i64)
    } else {
        let i = rest.rfind(['+', '-'])?;
        let (t, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (oh, om) = off[1..].split_once(':')?;
        let (oh, om): (i64, i64) = (oh.parse().ok()?, om.parse().ok()?);
        // Real offsets are within ±24h; a bigger one would overflow below.
        if !(0..24).contains(&oh) || !(0..60).contains(&om) {
            return None;
        }
        let mins = oh * 60 + om;
        (t, sign * mins * 60)
    };
    at(days_from_civil(y, m, day), hms(time)? - offset as f64)
}
