//! Server-rendered SVG usage charts (no JavaScript chart library): one
//! stacked bar per UTC day — successful, client-error and server-error requests.

use chrono::{Duration, NaiveDate};
use std::fmt::Write;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 160.0;
const TOP: f64 = 6.0;
const BOTTOM: f64 = 2.0;

/// The chart for the `days` days ending today, from sparse daily counts.
pub fn usage_svg(counts: &[(NaiveDate, [i64; 3])], today: NaiveDate, days: i64, label: &str) -> String {
    let start = today - Duration::days(days - 1);
    let series: Vec<(NaiveDate, [i64; 3])> = (0..days)
        .map(|i| {
            let day = start + Duration::days(i);
            (day, counts.iter().find(|(d, _)| *d == day).map(|(_, c)| *c).unwrap_or_default())
        })
        .collect();
    let max = series.iter().map(|(_, c)| c.iter().sum::<i64>()).max().unwrap_or(0).max(1);
    let total: i64 = series.iter().map(|(_, c)| c.iter().sum::<i64>()).sum();
    if total == 0 {
        // No bars and a lone "1" tick read as a broken chart: say what it will show instead.
        return format!(
            r#"<div class="chart-empty" data-testid="usage-chart" data-total="0"><p>No requests in the last {days} days.</p><p class="muted small">{} will appear here, one bar per day, as soon as the API is called.</p></div>"#,
            escape(label)
        );
    }
    let slot = WIDTH / days as f64;
    let plot = HEIGHT - TOP - BOTTOM;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" data-testid="usage-chart" data-total="{total}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{}: {total} requests in the last {days} days" preserveAspectRatio="none">"#,
        escape(label)
    );
    let _ = write!(svg, r#"<line class="axis" x1="0" y1="{y}" x2="{WIDTH}" y2="{y}"/>"#, y = HEIGHT - BOTTOM);
    for (i, (day, [ok, client, server])) in series.iter().enumerate() {
        let x = i as f64 * slot + slot * 0.15;
        let w = slot * 0.7;
        let mut y = HEIGHT - BOTTOM;
        let _ = write!(svg, "<g><title>{day}: {ok} ok, {client} client errors, {server} server errors</title>");
        for (value, class) in [(ok, "bar-ok"), (client, "bar-client"), (server, "bar-server")] {
            if *value > 0 {
                let h = (*value as f64 / max as f64 * plot).max(1.0);
                y -= h;
                let _ = write!(svg, r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}"/>"#);
            }
        }
        let _ = write!(
            svg,
            r#"<rect class="bar-hit" x="{:.1}" y="{TOP}" width="{slot:.1}" height="{plot}"/></g>"#,
            i as f64 * slot
        );
    }
    svg.push_str("</svg>");
    // The labels are HTML, not SVG text: the chart stretches to any width, text must not.
    let _ = write!(
        svg,
        r#"<div class="chart-ticks small muted" aria-hidden="true"><span>{}</span><span>busiest day: {max}</span><span>{}</span></div>"#,
        start.format("%-d %b"),
        today.format("%-d %b")
    );
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::usage_svg;
    use chrono::NaiveDate;

    #[test]
    fn the_chart_has_a_bar_group_per_day_and_escapes_its_label() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
        let svg = usage_svg(&[(today, [3, 2, 1])], today, 30, "Key <x>");
        assert_eq!(svg.matches("<g>").count(), 30);
        assert!(svg.contains("2026-11-22: 3 ok, 2 client errors, 1 server errors"));
        assert!(svg.contains(r#"data-total="6""#));
        assert!(svg.contains("Key &lt;x&gt;"));
        assert_eq!(svg.matches("class=\"bar-").count(), 3 + 30, "three stacked parts plus a hit area per day");
    }
}
