//! An endpoint's health mark (docs/user-guide.md: Webhooks → Webhook operations):
//! healthy, failing or disabled, with a line that says how bad it is, read
//! from `failing_since` and the endpoint's latest attempts.

use crate::db::webhooks::Endpoint;
use chrono::NaiveDateTime;

/// How many recent attempts the mark counts.
pub const RECENT: i64 = 20;

/// What the list and the endpoint's page show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// `healthy`, `failing` or `disabled` (the `data-health` value).
    pub kind: &'static str,
    /// The badge's word.
    pub label: &'static str,
    /// The line after the badge, e.g. "for 3 h, since … UTC — 12 of the last 20 attempts failed".
    pub summary: String,
}

/// "45 s", "12 min", "3 h", "2 d": how long a run of failures has lasted, briefly.
fn brief(seconds: i64) -> String {
    match seconds.max(0) {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min", s / 60),
        s if s < 86_400 => format!("{} h", s / 3600),
        s => format!("{} d", s / 86_400),
    }
}

/// The mark of `hook`, given the status codes of its latest attempts
/// (newest first; `None` = no answer) and the time now.
pub fn of(hook: &Endpoint, recent: &[Option<i64>], now: NaiveDateTime) -> Health {
    let failed = recent.iter().filter(|s| !s.is_some_and(|s| (200..300).contains(&s))).count();
    let tally = |outcome: &str, n: usize| match recent.len() {
        0 => "no attempts yet".to_owned(),
        1 => format!("the last attempt {outcome}"),
        total => format!("{n} of the last {total} attempts {outcome}"),
    };
    if !hook.enabled {
        let why = hook.disabled_reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
        return Health { kind: "disabled", label: "disabled", summary: format!("nothing is sent{why}") };
    }
    match hook.failing_since {
        Some(since) => Health {
            kind: "failing",
            label: "failing",
            summary: format!(
                "for {}, since {} — {}",
                brief((now - since).num_seconds()),
                since.format("%Y-%m-%d %H:%M UTC"),
                tally("failed", failed)
            ),
        },
        None => Health { kind: "healthy", label: "healthy", summary: tally("succeeded", recent.len() - failed) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(enabled: bool, failing_since: Option<NaiveDateTime>) -> Endpoint {
        Endpoint {
            id: 1,
            org_id: 1,
            public_id: "wh_x".into(),
            url: "https://example.com/h".into(),
            description: String::new(),
            events: "order.created".into(),
            enabled,
            secret_sealed: String::new(),
            previous_secret_sealed: None,
            previous_until: None,
            disabled_reason: (!enabled).then(|| "disabled by a user".into()),
            failing_since,
            created_at: NaiveDateTime::default(),
            created_by_name: "t".into(),
            created_by_key: None,
        }
    }

    #[test]
    fn marks_say_how_long_and_how_many() {
        let now = NaiveDateTime::default() + chrono::Duration::days(1);
        let since = now - chrono::Duration::hours(3);
        let mut recent = vec![Some(500); 12];
        recent.extend(vec![Some(200); 7]);
        recent.push(None);
        let failing = of(&hook(true, Some(since)), &recent, now);
        assert_eq!(failing.kind, "failing");
        assert_eq!(failing.summary, "for 3 h, since 1970-01-01 21:00 UTC — 13 of the last 20 attempts failed");
        let healthy = of(&hook(true, None), &[Some(204), Some(200)], now);
        assert_eq!((healthy.kind, healthy.summary.as_str()), ("healthy", "2 of the last 2 attempts succeeded"));
        assert_eq!(of(&hook(true, None), &[], now).summary, "no attempts yet");
        assert_eq!(of(&hook(false, Some(since)), &recent, now).kind, "disabled");
    }
}
