//! The benchmark comparison: figures parsed from the benchmark program's
//! `bench: NAME: VALUE UNIT` lines, medians over rounds, and the kestrel
//! against Linux table and bar chart that `scripts/bench` prints and writes.

use std::fmt::Write as _;

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Times and latencies.
    Lower,
    /// Throughputs and free memory.
    Higher,
}

/// The units the benchmark prints, and which way each is better.
const UNITS: [(&str, Better); 5] = [
    ("us per op", Better::Lower),
    ("ms", Better::Lower),
    ("MiB/s", Better::Higher),
    ("MiB free", Better::Higher),
    ("MB/s", Better::Higher),
];

/// One figure of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    pub name: String,
    pub value: f64,
    pub unit: &'static str,
}

impl Figure {
    pub fn better(&self) -> Better {
        better_for(self.unit)
    }
}

fn better_for(unit: &str) -> Better {
    UNITS.iter().find(|(u, _)| *u == unit).map_or(Better::Lower, |&(_, b)| b)
}

/// Parses `bench: NAME: VALUE UNIT[ (...)]` (after any kernel timestamp);
/// None for other lines and for units not in the list above.
pub fn parse_figure(line: &str) -> Option<Figure> {
    let rest = crate::serial::strip_timestamp(line).strip_prefix("bench: ")?;
    let (name, figure) = rest.split_once(": ")?;
    let (value, after) = figure.split_once(' ')?;
    let value: f64 = value.parse().ok()?;
    let unit = UNITS.iter().map(|(u, _)| *u).find(|u| after == *u || after.starts_with(&format!("{u} ")))?;
    Some(Figure { name: name.to_string(), value, unit })
}

/// The median of `values` (the mean of the middle two for an even count);
/// None when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 { v[mid] } else { (v[mid - 1] + v[mid]) / 2.0 })
}

/// One metric on both kernels: the medians over the rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub unit: &'static str,
    pub linux: Option<f64>,
    pub kestrel: Option<f64>,
}

impl Comparison {
    /// kestrel's figure divided by Linux's (below 1 is faster for times).
    pub fn ratio(&self) -> Option<f64> {
        match (self.kestrel, self.linux) {
            (Some(k), Some(l)) if l > 0.0 => Some(k / l),
            _ => None,
        }
    }

    /// How many times better kestrel does than Linux: above 1 when kestrel
    /// is faster (or has more free memory), below 1 when slower.
    pub fn advantage(&self) -> Option<f64> {
        let r = self.ratio()?;
        match better_for(self.unit) {
            Better::Lower if r > 0.0 => Some(1.0 / r),
            Better::Lower => None,
            Better::Higher => Some(r),
        }
    }
}

/// Medians of every metric, in the order the metrics first appear in
/// `kestrel` (then the ones only Linux printed).
pub fn compare(kestrel: &[Vec<Figure>], linux: &[Vec<Figure>]) -> Vec<Comparison> {
    let mut names: Vec<(String, &'static str)> = Vec::new();
    for f in kestrel.iter().chain(linux).flatten() {
        if !names.iter().any(|(n, _)| *n == f.name) {
            names.push((f.name.clone(), f.unit));
        }
    }
    let medians = |runs: &[Vec<Figure>], name: &str| {
        let values: Vec<f64> = runs.iter().flatten().filter(|f| f.name == name).map(|f| f.value).collect();
        median(&values)
    };
    names
        .into_iter()
        .map(|(name, unit)| Comparison { linux: medians(linux, &name), kestrel: medians(kestrel, &name), name, unit })
        .collect()
}

fn show(v: Option<f64>) -> String {
    match v {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
        None => "-".to_string(),
    }
}

/// A plain-text table: metric, unit, Linux, kestrel, ratio kestrel/Linux,
/// and which kernel is better.
pub fn table(rows: &[Comparison]) -> String {
    let width = rows.iter().map(|r| r.name.len()).max().unwrap_or(6).max(6);
    let mut s = String::new();
    let _ = writeln!(s, "{:width$}  {:>9}  {:>9}  {:>9}  {:>6}  better", "metric", "unit", "Linux", "kestrel", "ratio");
    for r in rows {
        let better = match r.advantage() {
            Some(a) if a >= 1.0 => "kestrel",
            Some(_) => "Linux",
            None => "-",
        };
        let _ = writeln!(
            s,
            "{:width$}  {:>9}  {:>9}  {:>9}  {:>6}  {better}",
            r.name,
            r.unit,
            show(r.linux),
            show(r.kestrel),
            show(r.ratio())
        );
    }
    s
}

/// Escapes text for SVG.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A horizontal bar chart of kestrel's advantage over Linux per metric, on
/// a log scale centred on 1x (equal): bars to the right are metrics where
/// kestrel is better, to the left where Linux is; 8x or more fills a side.
pub fn svg(rows: &[Comparison], title: &str) -> String {
    const ROW: f64 = 22.0;
    const LABEL: f64 = 300.0;
    const HALF: f64 = 240.0;
    const TOP: f64 = 50.0;
    let centre = LABEL + HALF;
    let height = TOP + ROW * rows.len() as f64 + 30.0;
    let width = LABEL + 2.0 * HALF + 140.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#fff"/>"##);
    let _ = writeln!(s, r#"<text x="10" y="20" font-size="14" font-weight="bold">{}</text>"#, xml(title));
    let _ = writeln!(
        s,
        r##"<text x="{centre}" y="40" text-anchor="middle" fill="#555">&#8592; Linux better | kestrel better &#8594; (log scale, 8x at the edge)</text>"##
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let _ = writeln!(s, r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#, LABEL - 8.0, y + 15.0, xml(&r.name));
        let Some(a) = r.advantage() else {
            let _ = writeln!(s, r##"<text x="{}" y="{}" fill="#555">no figure</text>"##, centre + 6.0, y + 15.0);
            continue;
        };
        let len = (a.log2() / 3.0).clamp(-1.0, 1.0) * HALF;
        let (x, w, colour) = if len >= 0.0 { (centre, len, "#2a7") } else { (centre + len, -len, "#c44") };
        let _ = writeln!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/>"#,
            y + 3.0,
            w.max(1.0),
            ROW - 6.0
        );
        let words = if a >= 1.0 { format!("{a:.2}x better") } else { format!("{:.2}x worse", 1.0 / a) };
        let _ = writeln!(s, r#"<text x="{}" y="{}">{words}</text>"#, centre + HALF + 8.0, y + 15.0);
    }
    let bottom = TOP + ROW * rows.len() as f64;
    let _ = writeln!(s, r##"<line x1="{centre}" y1="{TOP}" x2="{centre}" y2="{bottom}" stroke="#000"/>"##);
    let _ = writeln!(s, "</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_benchmark_lines() {
        let f = parse_figure("bench: getpid: 0.473 us per op (100000 ops)").unwrap();
        assert_eq!((f.name.as_str(), f.value, f.unit), ("getpid", 0.473, "us per op"));
        let f = parse_figure("[    4.275845] bench: file read (/tmp): 430.5 MiB/s").unwrap();
        assert_eq!((f.name.as_str(), f.unit, f.better()), ("file read (/tmp)", "MiB/s", Better::Higher));
        let f = parse_figure("bench: free memory at start: 902.3 MiB free").unwrap();
        assert_eq!(f.better(), Better::Higher);
        assert_eq!(parse_figure("bench: uptime at start: 12.5 ms").unwrap().better(), Better::Lower);
        assert!(parse_figure("bench: free memory before 1000 forks: 922292 KiB, after: 922292 KiB").is_none());
        assert!(parse_figure("bench: done").is_none());
        assert!(parse_figure("getpid: 1 us per op").is_none());
        assert!(parse_figure("bench: x: 1 msec").is_none());
    }

    #[test]
    fn medians() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    fn fig(name: &str, value: f64, unit: &'static str) -> Figure {
        Figure { name: name.into(), value, unit }
    }

    #[test]
    fn compares_medians_and_direction() {
        let k = vec![
            vec![fig("getpid", 1.0, "us per op"), fig("read", 400.0, "MiB/s")],
            vec![fig("getpid", 3.0, "us per op")],
        ];
        let l = vec![vec![fig("getpid", 0.5, "us per op"), fig("read", 200.0, "MiB/s"), fig("only", 1.0, "ms")]];
        let rows = compare(&k, &l);
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[0].kestrel, rows[0].linux, rows[0].ratio()), (Some(2.0), Some(0.5), Some(4.0)));
        assert_eq!(rows[0].advantage(), Some(0.25));
        assert_eq!(rows[1].advantage(), Some(2.0));
        assert_eq!((rows[2].name.as_str(), rows[2].kestrel, rows[2].advantage()), ("only", None, None));
        let t = table(&rows);
        assert!(t.lines().nth(1).unwrap().ends_with("Linux"), "{t}");
        assert!(t.lines().nth(2).unwrap().ends_with("kestrel"), "{t}");
        let chart = svg(&rows, "a <b>");
        assert!(chart.starts_with("<svg") && chart.trim_end().ends_with("</svg>"));
        assert!(chart.contains("4.00x worse") && chart.contains("2.00x better") && chart.contains("a &lt;b&gt;"));
    }
}
