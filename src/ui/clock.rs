//! Clocks on screen: in the local time zone (TZ) unless told otherwise, with
//! the zone named once (in the status bar), and ages that turn into an
//! absolute "as of 14:02:11" once they are past a minute, when "37m ago"
//! would need arithmetic to place.

use chrono::{DateTime, FixedOffset, Local, Offset, Utc};

/// The zone clocks are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Zone {
    /// The machine's zone (TZ), looked up at each time shown so a daylight
    /// saving change during a week-long run is followed.
    #[default]
    Local,
    Utc,
    Fixed(FixedOffset),
}

/// Past this, an age is shown as the time it happened.
const AGE_LIMIT_SECS: i64 = 60;

impl Zone {
    pub fn offset(self, t: DateTime<Utc>) -> FixedOffset {
        match self {
            Zone::Local => t.with_timezone(&Local).offset().fix(),
            Zone::Utc => Utc.fix(),
            Zone::Fixed(o) => o,
        }
    }

    /// "14:02:11".
    pub fn time(self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.offset(t))
            .format("%H:%M:%S")
            .to_string()
    }

    /// "UTC", or "UTC+01:00" / "UTC-05:00".
    pub fn label(self, t: DateTime<Utc>) -> String {
        let secs = self.offset(t).local_minus_utc();
        if secs == 0 {
            return "UTC".into();
        }
        let sign = if secs < 0 { '-' } else { '+' };
        let m = secs.unsigned_abs() / 60;
        format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
    }

    /// "3s ago" within a minute; then "as of 14:02:11"; from another day
    /// "as of 11-24 14:02".
    pub fn age(self, now: DateTime<Utc>, then: DateTime<Utc>) -> String {
        let secs = (now - then).num_seconds();
        if secs < AGE_LIMIT_SECS {
            return format!("{}s ago", secs.max(0));
        }
        let off = self.offset(then);
        let local = then.with_timezone(&off);
        if local.date_naive() == now.with_timezone(&off).date_naive() {
            format!("as of {}", local.format("%H:%M:%S"))
        } else {
            format!("as of {}", local.format("%m-%d %H:%M"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn ages_turn_absolute_past_a_minute() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 25, 14, 3, 0)
            .single()
            .unwrap();
        let ago = |s: i64| Zone::Utc.age(now, now - chrono::Duration::seconds(s));
        assert_eq!(ago(0), "0s ago");
        assert_eq!(ago(59), "59s ago");
        assert_eq!(ago(-3), "0s ago", "a clock ahead counts as now");
        assert_eq!(ago(60), "as of 14:02:00");
        assert_eq!(ago(3600), "as of 13:03:00");
        assert_eq!(ago(86400), "as of 11-24 14:03");
        let cet = Zone::Fixed(FixedOffset::east_opt(3600).unwrap());
        assert_eq!(
            cet.age(now, now - chrono::Duration::seconds(120)),
            "as of 15:01:00"
        );
        assert_eq!(cet.time(now), "15:03:00");
        assert_eq!(cet.label(now), "UTC+01:00");
        assert_eq!(Zone::Utc.label(now), "UTC");
        let ny = Zone::Fixed(FixedOffset::west_opt(5 * 3600 + 1800).unwrap());
        assert_eq!(ny.label(now), "UTC-05:30");
    }
}
