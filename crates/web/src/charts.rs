//! Charts drawn on the server as SVG: line charts and (stacked) bar
//! charts over labelled periods. Pages embed the markup directly, so a
//! chart needs no script and prints, and each point carries a `<title>`
//! with its value for a pointer or a screen reader. Colours come from the
//! stylesheet (`.series-N`), so charts follow the site's palette.

use std::fmt::Write;

/// One line or bar series.
pub struct Series {
    pub label: String,
    /// One value per x label; `None` leaves a gap.
    pub values: Vec<Option<f64>>,
}

impl Series {
    pub fn new(label: impl Into<String>, values: Vec<Option<f64>>) -> Series {
        Series {
            label: label.into(),
            values,
        }
    }
}

/// How bars of several series share an x label.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Bars {
    Stacked,
    Grouped,
}

pub enum Kind {
    Line,
    Bar(Bars),
}

pub struct Chart<'a> {
    pub title: &'a str,
    /// Said when there is nothing to draw.
    pub empty: &'a str,
    pub x: &'a [String],
    pub series: Vec<Series>,
    pub kind: Kind,
}

const W: f64 = 640.0;
const H: f64 = 240.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 56.0;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// About how wide a label is drawn at the legend's size: CJK characters
/// take about twice the room of Latin ones.
fn text_width(s: &str) -> f64 {
    s.chars()
        .map(|c| if c >= '\u{2e80}' { 11.5 } else { 6.5 })
        .sum()
}

/// A value as the axis and the tooltips show it: integers plainly, others
/// with up to two decimals.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// A round step (1, 2 or 5 × 10^k) giving about four gridlines up to `max`.
pub fn nice_step(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let rough = max / 4.0;
    let mag = 10f64.powf(rough.log10().floor());
    let n = rough / mag;
    let f = if n <= 1.0 {
        1.0
    } else if n <= 2.0 {
        2.0
    } else if n <= 5.0 {
        5.0
    } else {
        10.0
    };
    f * mag
}

impl Chart<'_> {
    /// The largest value the y axis must reach.
    fn top(&self) -> f64 {
        let n = self.x.len();
        let finite = |v: &Option<f64>| v.filter(|v| v.is_finite() && *v > 0.0);
        match self.kind {
            Kind::Bar(Bars::Stacked) => (0..n)
                .map(|i| {
                    self.series
                        .iter()
                        .filter_map(|s| s.values.get(i).and_then(finite))
                        .sum::<f64>()
                })
                .fold(0.0, f64::max),
            _ => self
                .series
                .iter()
                .flat_map(|s| s.values.iter().filter_map(finite))
                .fold(0.0, f64::max),
        }
    }

    pub fn svg(&self) -> String {
        let mut o = String::new();
        let title = esc(self.title);
        let _ = write!(
            o,
            r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{title}" xmlns="http://www.w3.org/2000/svg"><title>{title}</title>"#
        );
        let _ = write!(
            o,
            r#"<text class="chart-title" x="{LEFT}" y="16">{title}</text>"#
        );
        let has_data = self
            .series
            .iter()
            .any(|s| s.values.iter().any(|v| v.is_some_and(f64::is_finite)));
        if self.x.is_empty() || !has_data {
            let _ = write!(
                o,
                r#"<text class="chart-empty" x="{}" y="{}" text-anchor="middle">{}</text></svg>"#,
                W / 2.0,
                H / 2.0,
                esc(self.empty)
            );
            return o;
        }
        let step = nice_step(self.top());
        let ymax = (self.top() / step).ceil().max(1.0) * step;
        let plot_w = W - LEFT - RIGHT;
        let plot_h = H - TOP - BOTTOM;
        let y = |v: f64| TOP + plot_h - (v.max(0.0) / ymax) * plot_h;
        // Gridlines and the y axis labels.
        let mut g = 0.0;
        while g <= ymax + step / 2.0 {
            let _ = write!(
                o,
                r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{:.1}" y2="{:.1}"/><text class="tick" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
                W - RIGHT,
                y(g),
                y(g),
                LEFT - 6.0,
                y(g) + 4.0,
                number(g)
            );
            g += step;
        }
        let n = self.x.len();
        let slot = plot_w / n as f64;
        let cx = |i: usize| LEFT + slot * (i as f64 + 0.5);
        // X labels, thinned out so that they do not overlap.
        let every = (n as f64 / 12.0).ceil().max(1.0) as usize;
        for (i, label) in self.x.iter().enumerate() {
            if i % every == 0 || i == n - 1 {
                let _ = write!(
                    o,
                    r#"<text class="tick" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#,
                    cx(i),
                    TOP + plot_h + 16.0,
                    esc(label)
                );
            }
        }
        match self.kind {
            Kind::Line => self.lines(&mut o, &cx, &y),
            Kind::Bar(b) => self.bars(&mut o, b, slot, &cx, &y),
        }
        // Legend.
        let mut lx = LEFT;
        for (k, s) in self.series.iter().enumerate() {
            let _ = write!(
                o,
                r#"<rect class="series-{k}" x="{lx:.1}" y="{}" width="10" height="10"/><text class="legend" x="{:.1}" y="{}">{}</text>"#,
                H - 18.0,
                lx + 14.0,
                H - 9.0,
                esc(&s.label)
            );
            lx += 24.0 + text_width(&s.label);
        }
        o.push_str("</svg>");
        o
    }

    fn lines(&self, o: &mut String, cx: &dyn Fn(usize) -> f64, y: &dyn Fn(f64) -> f64) {
        for (k, s) in self.series.iter().enumerate() {
            // A gap (None) breaks the line into segments.
            let mut path = String::new();
            let mut pen_down = false;
            for (i, v) in s.values.iter().enumerate().take(self.x.len()) {
                match v.filter(|v| v.is_finite()) {
                    Some(v) => {
                        let _ = write!(
                            path,
                            "{}{:.1},{:.1} ",
                            if pen_down { "L" } else { "M" },
                            cx(i),
                            y(v)
                        );
                        pen_down = true;
                    }
                    None => pen_down = false,
                }
            }
            if !path.is_empty() {
                let _ = write!(
                    o,
                    r#"<path class="line series-{k}" d="{}" fill="none"/>"#,
                    path.trim_end()
                );
            }
            for (i, v) in s.values.iter().enumerate().take(self.x.len()) {
                if let Some(v) = v.filter(|v| v.is_finite()) {
                    let _ = write!(
                        o,
                        r#"<circle class="dot series-{k}" cx="{:.1}" cy="{:.1}" r="3"><title>{} {}: {}</title></circle>"#,
                        cx(i),
                        y(v),
                        esc(&s.label),
                        esc(&self.x[i]),
                        number(v)
                    );
                }
            }
        }
    }

    fn bars(
        &self,
        o: &mut String,
        b: Bars,
        slot: f64,
        cx: &dyn Fn(usize) -> f64,
        y: &dyn Fn(f64) -> f64,
    ) {
        let k_n = self.series.len().max(1);
        let width = slot * 0.7;
        for i in 0..self.x.len() {
            let mut base = 0.0;
            for (k, s) in self.series.iter().enumerate() {
                let Some(v) = s.values.get(i).copied().flatten() else {
                    continue;
                };
                if !(v.is_finite() && v > 0.0) {
                    continue;
                }
                let (x0, w, from) = match b {
                    Bars::Stacked => (cx(i) - width / 2.0, width, base),
                    Bars::Grouped => {
                        let w = width / k_n as f64;
                        (cx(i) - width / 2.0 + w * k as f64, w, 0.0)
                    }
                };
                let (top, bottom) = (y(from + v), y(from));
                let _ = write!(
                    o,
                    r#"<rect class="bar series-{k}" x="{x0:.1}" y="{top:.1}" width="{:.1}" height="{:.1}"><title>{} {}: {}</title></rect>"#,
                    w.max(1.0),
                    (bottom - top).max(0.5),
                    esc(&s.label),
                    esc(&self.x[i]),
                    number(v)
                );
                if b == Bars::Stacked {
                    base += v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(n: usize) -> Vec<String> {
        (1..=n).map(|m| format!("2026-{m:02}")).collect()
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(100.0), 50.0);
        assert_eq!(nice_step(7.0), 2.0);
        assert_eq!(nice_step(0.3), 0.1);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }

    #[test]
    fn numbers_read_plainly() {
        assert_eq!(number(12.0), "12");
        assert_eq!(number(2.975), "2.98");
        assert_eq!(number(12.34), "12.3");
        assert_eq!(number(1234.5), "1234");
    }

    #[test]
    fn a_line_chart_has_a_point_per_value_and_breaks_at_gaps() {
        let xs = x(4);
        let svg = Chart {
            title: "Activity",
            empty: "no data",
            x: &xs,
            series: vec![Series::new(
                "activity",
                vec![Some(1.0), None, Some(3.0), Some(4.0)],
            )],
            kind: Kind::Line,
        }
        .svg();
        assert_eq!(svg.matches("<circle").count(), 3);
        // Two segments: the gap lifts the pen.
        let d = svg.split("d=\"").nth(1).unwrap();
        let d = &d[..d.find('"').unwrap()];
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(svg.contains("activity 2026-04: 4</title>"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    }

    #[test]
    fn stacked_bars_reach_the_sum() {
        let xs = x(1);
        let svg = Chart {
            title: "Attention",
            empty: "",
            x: &xs,
            series: vec![
                Series::new("real", vec![Some(30.0)]),
                Series::new("suspected", vec![Some(70.0)]),
            ],
            kind: Kind::Bar(Bars::Stacked),
        }
        .svg();
        // The axis runs to 100 (step 50), and the top bar starts at the top.
        assert!(svg.contains(">100</text>"));
        let rect = svg
            .split("<rect class=\"bar series-1\"")
            .nth(1)
            .expect("a suspected bar");
        assert!(rect.contains(&format!(" y=\"{TOP:.1}\"")), "{rect}");
        let bottom = svg
            .split("<rect class=\"bar series-0\"")
            .nth(1)
            .expect("a real bar");
        // 30 of 100 over a 156-pixel plot: 46.8 pixels tall.
        assert!(bottom.contains(" height=\"46.8\""), "{bottom}");
    }

    #[test]
    fn no_data_says_so_and_labels_are_escaped() {
        let xs = x(2);
        let svg = Chart {
            title: "<script>",
            empty: "Nothing yet",
            x: &xs,
            series: vec![Series::new("a", vec![None, Some(f64::NAN)])],
            kind: Kind::Line,
        }
        .svg();
        assert!(svg.contains("Nothing yet"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }
}
