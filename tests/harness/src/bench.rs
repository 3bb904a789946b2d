//! The benchmark comparison: figures parsed from the benchmark program's
//! `bench: NAME: VALUE UNIT` lines, medians over rounds, the parallel
//! speedups between a 1-CPU boot and an SMP boot, and the kestrel against
//! Linux table and bar chart that `scripts/bench` prints and writes.

use std::fmt::Write as _;

/// Which way a figure is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    /// Times and latencies.
    Lower,
    /// Throughputs and free memory.
    Higher,
}

/// The units the benchmark prints (and "x", the speedups the runner
/// computes), and which way each is better.
const UNITS: [(&str, Better); 8] = [
    ("us per op", Better::Lower),
    ("ms", Better::Lower),
    ("MiB/s", Better::Higher),
    ("MiB free", Better::Higher),
    ("MiB used", Better::Lower),
    ("KiB per process", Better::Lower),
    ("MB/s", Better::Higher),
    ("x", Better::Higher),
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

/// The CPUs the benchmark program saw: `bench: cpus: K`.
pub fn parse_cpus(line: &str) -> Option<usize> {
    crate::serial::strip_timestamp(line).strip_prefix("bench: cpus: ")?.trim().parse().ok()
}

/// Why an SMP boot printed no SMP figures: the text of
/// `bench: smp: unavailable (...)`.
pub fn parse_smp_unavailable(line: &str) -> Option<&str> {
    let rest = crate::serial::strip_timestamp(line).strip_prefix("bench: smp: unavailable")?;
    Some(rest.trim().trim_start_matches('(').trim_end_matches(')'))
}

/// The table's name for a figure of the boot with `cpus` CPUs.
pub fn smp_name(name: &str, cpus: usize) -> String {
    format!("{name}, -smp {cpus}")
}

/// The table's name for the speedup of a figure timed in both boots.
pub fn speedup_name(name: &str, cpus: usize) -> String {
    format!("parallel speedup at -smp {cpus}, {name}")
}

/// One round of one kernel: the figures of its 1-CPU boot (`one`), and
/// of the benchmark's SMP mode booted at -smp 1 (`base`) and at -smp
/// `cpus` (`smp`). The 1-CPU figures keep their names; then each time (ms)
/// the SMP boot printed, named by [`smp_name`], comes after the same at
/// -smp 1 and before the speedup (the time at -smp 1 over the time at
/// -smp `cpus`, "x", named by [`speedup_name`]); then the other figures of
/// the two boots, named by [`smp_name`].
pub fn merge_smp(one: &[Figure], base: &[Figure], smp: &[Figure], cpus: usize) -> Vec<Figure> {
    let timed = |f: &Figure, g: &Figure| f.name == g.name && f.unit == "ms" && g.unit == "ms";
    let renamed = |f: &Figure, cpus| Figure { name: smp_name(&f.name, cpus), ..f.clone() };
    let mut out = one.to_vec();
    for g in smp {
        let Some(f) = base.iter().find(|f| timed(f, g)) else { continue };
        out.push(renamed(f, 1));
        out.push(renamed(g, cpus));
        if g.value > 0.0 {
            out.push(Figure { name: speedup_name(&g.name, cpus), value: f.value / g.value, unit: "x" });
        }
    }
    out.extend(base.iter().filter(|f| !smp.iter().any(|g| timed(f, g))).map(|f| renamed(f, 1)));
    out.extend(smp.iter().filter(|g| !base.iter().any(|f| timed(f, g))).map(|g| renamed(g, cpus)));
    out
}

/// Whether row `name` is a figure only the boot with `cpus` CPUs prints,
/// one that needs two CPUs: named by [`smp_name`] with no figure of the
/// same name at -smp 1 among `rows`.
pub fn smp_only(rows: &[Comparison], name: &str, cpus: usize) -> bool {
    name.strip_suffix(&format!(", -smp {cpus}")).is_some_and(|base| !rows.iter().any(|r| r.name == smp_name(base, 1)))
}

/// Marks as not applicable (n/a) the figures a kernel could not produce
/// because its SMP boot showed fewer CPUs than the `cpus` asked: those only
/// the SMP boot prints. Any other missing figure stays missing, a failure.
pub fn mark_unavailable(rows: &mut [Comparison], cpus: usize, kestrel_short: bool, linux_short: bool) {
    for i in 0..rows.len() {
        if !smp_only(rows, &rows[i].name, cpus) {
            continue;
        }
        let r = &mut rows[i];
        r.kestrel_na = kestrel_short && r.kestrel.is_none();
        r.linux_na = linux_short && r.linux.is_none();
    }
}

/// The rows missing a figure on either kernel and not marked n/a.
pub fn missing(rows: &[Comparison]) -> Vec<&str> {
    rows.iter()
        .filter(|r| (r.kestrel.is_none() && !r.kestrel_na) || (r.linux.is_none() && !r.linux_na))
        .map(|r| r.name.as_str())
        .collect()
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

/// Which kernel printed a figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Kestrel,
    Linux,
}

/// The disk figures (`disk WHAT (FILESYSTEM)`) of one kernel renamed for
/// the table: for each pair (kestrel's filesystem, Linux's) of `pairs`, the
/// figures of this side's filesystem become `disk WHAT (KESTREL | LINUX)`,
/// so each kestrelfs figure sits beside the one it compares with (and one
/// kestrelfs figure may sit in several rows). Other figures are dropped.
pub fn pair_disk_figures(figures: &[Figure], pairs: &[(&str, &str)], side: Side) -> Vec<Figure> {
    let mut out = Vec::new();
    for &(kestrel, linux) in pairs {
        let mine = if side == Side::Kestrel { kestrel } else { linux };
        for f in figures {
            let Some(what) = f.name.strip_prefix("disk ").and_then(|n| n.strip_suffix(&format!(" ({mine})"))) else {
                continue;
            };
            out.push(Figure { name: format!("disk {what} ({kestrel} | {linux})"), ..f.clone() });
        }
    }
    out
}

/// One metric on both kernels: the medians over the rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub name: String,
    pub unit: &'static str,
    pub linux: Option<f64>,
    pub kestrel: Option<f64>,
    /// The figure is missing for a reason given (see [`mark_unavailable`]).
    pub linux_na: bool,
    pub kestrel_na: bool,
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
        .map(|(name, unit)| Comparison {
            linux: medians(linux, &name),
            kestrel: medians(kestrel, &name),
            name,
            unit,
            linux_na: false,
            kestrel_na: false,
        })
        .collect()
}

fn show(v: Option<f64>, na: bool) -> String {
    match v {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.2}"),
        None if na => "n/a".to_string(),
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
            show(r.linux, r.linux_na),
            show(r.kestrel, r.kestrel_na),
            show(r.ratio(), false)
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
            let words = match (r.kestrel_na, r.linux_na) {
                (true, _) => "n/a on kestrel",
                (_, true) => "n/a on Linux",
                _ => "no figure",
            };
            let _ = writeln!(s, r##"<text x="{}" y="{}" fill="#555">{words}</text>"##, centre + 6.0, y + 15.0);
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
    fn pairs_the_disk_figures() {
        let pairs = [("kestrelfs", "ext4"), ("kestrelfs", "btrfs"), ("kestrelfs zstd", "btrfs zstd:1")];
        let k = [
            parse_figure("bench: disk write text+fsync (kestrelfs): 90.5 MB/s (64 MiB in 0.7 s)").unwrap(),
            parse_figure("bench: disk write text+fsync (kestrelfs zstd): 20.0 MB/s").unwrap(),
            parse_figure("bench: disk space for 64 MiB of text (kestrelfs lz4): 12.0 MiB used").unwrap(),
            parse_figure("bench: getpid: 1.0 us per op").unwrap(),
        ];
        let names: Vec<String> = pair_disk_figures(&k, &pairs, Side::Kestrel).into_iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "disk write text+fsync (kestrelfs | ext4)",
                "disk write text+fsync (kestrelfs | btrfs)",
                "disk write text+fsync (kestrelfs zstd | btrfs zstd:1)"
            ]
        );
        let l = [
            parse_figure("bench: disk write text+fsync (btrfs zstd:1): 49.0 MB/s").unwrap(),
            parse_figure("bench: disk create 2000 x 4 KiB + sync (ext4): 1066.0 ms").unwrap(),
        ];
        let paired = pair_disk_figures(&l, &pairs, Side::Linux);
        assert_eq!(paired[0].name, "disk create 2000 x 4 KiB + sync (kestrelfs | ext4)");
        assert_eq!(
            (paired[1].name.as_str(), paired[1].value),
            ("disk write text+fsync (kestrelfs zstd | btrfs zstd:1)", 49.0)
        );
        assert_eq!(paired.len(), 2);
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

    #[test]
    fn parses_the_cpu_count_and_the_smp_excuse() {
        assert_eq!(parse_cpus("bench: cpus: 2"), Some(2));
        assert_eq!(parse_cpus("[    0.5] bench: cpus: 1"), Some(1));
        assert_eq!(parse_cpus("bench: cpus: two"), None);
        assert!(parse_figure("bench: cpus: 2").is_none());
        let why = parse_smp_unavailable("bench: smp: unavailable (sched_getaffinity shows 1 CPU)");
        assert_eq!(why, Some("sched_getaffinity shows 1 CPU"));
        assert_eq!(parse_smp_unavailable("bench: done"), None);
        assert!(parse_figure("bench: smp: unavailable (sched_getaffinity shows 1 CPU)").is_none());
        let f = parse_figure("bench: 2 CPU-bound processes: 812.5 ms").unwrap();
        assert_eq!((f.name.as_str(), f.value, f.unit), ("2 CPU-bound processes", 812.5, "ms"));
    }

    #[test]
    fn merges_the_smp_boots_with_speedups() {
        let one = [fig("getpid", 1.0, "us per op")];
        let base = [fig("2 CPU-bound processes", 800.0, "ms"), fig("2 loops", 600.0, "ms")];
        let smp = [
            fig("2 CPU-bound processes", 400.0, "ms"),
            fig("2 loops", 500.0, "ms"),
            fig("futex round trip", 30.0, "us per op"),
        ];
        let merged = merge_smp(&one, &base, &smp, 2);
        let names: Vec<&str> = merged.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "getpid",
                "2 CPU-bound processes, -smp 1",
                "2 CPU-bound processes, -smp 2",
                "parallel speedup at -smp 2, 2 CPU-bound processes",
                "2 loops, -smp 1",
                "2 loops, -smp 2",
                "parallel speedup at -smp 2, 2 loops",
                "futex round trip, -smp 2",
            ]
        );
        assert_eq!((merged[3].value, merged[3].unit, merged[3].better()), (2.0, "x", Better::Higher));
        assert_eq!(merged[6].value, 1.2);
        // A time missing from the SMP boot has no speedup; the -smp 1 one stays.
        let merged = merge_smp(&one, &base, &smp[1..], 2);
        assert!(merged.iter().any(|f| f.name == "2 CPU-bound processes, -smp 1"));
        assert!(!merged.iter().any(|f| f.name.contains("speedup at -smp 2, 2 CPU-bound")));
    }

    #[test]
    fn a_kernel_short_of_cpus_is_excused_only_the_smp_only_figures() {
        let one = [fig("getpid", 1.0, "us per op")];
        let base = [fig("2 CPU-bound processes", 800.0, "ms")];
        let linux_smp = [fig("2 CPU-bound processes", 420.0, "ms"), fig("futex round trip", 30.0, "us per op")];
        let kestrel_smp = [fig("2 CPU-bound processes", 790.0, "ms")];
        let k = vec![merge_smp(&one, &base, &kestrel_smp, 2)];
        let l = vec![merge_smp(&one, &base, &linux_smp, 2)];
        let mut rows = compare(&k, &l);
        assert_eq!(missing(&rows), ["futex round trip, -smp 2"]);
        assert!(smp_only(&rows, "futex round trip, -smp 2", 2));
        assert!(!smp_only(&rows, "2 CPU-bound processes, -smp 2", 2));
        assert!(!smp_only(&rows, "2 CPU-bound processes, -smp 1", 2));
        assert!(!smp_only(&rows, "getpid", 2));
        mark_unavailable(&mut rows, 2, false, true);
        assert_eq!(missing(&rows), ["futex round trip, -smp 2"], "Linux was not short, kestrel was not excused");
        mark_unavailable(&mut rows, 2, true, false);
        assert!(missing(&rows).is_empty());
        let futex = rows.iter().find(|r| r.name == "futex round trip, -smp 2").unwrap();
        assert!(futex.kestrel_na && !futex.linux_na);
        let speedup = rows.iter().find(|r| r.name.starts_with("parallel speedup")).unwrap();
        assert!(speedup.kestrel.is_some_and(|x| x < 1.02) && speedup.linux.is_some_and(|x| x > 1.9));
        let t = table(&rows);
        assert!(t.lines().any(|l| l.starts_with("futex round trip, -smp 2") && l.contains("n/a")), "{t}");
        assert!(svg(&rows, "t").contains("n/a on kestrel"));
        // A time missing from the SMP boot is a failure whatever the CPUs.
        let k = vec![merge_smp(&one, &base, &[], 2)];
        let mut rows = compare(&k, &l);
        mark_unavailable(&mut rows, 2, true, false);
        assert_eq!(
            missing(&rows),
            ["2 CPU-bound processes, -smp 2", "parallel speedup at -smp 2, 2 CPU-bound processes"]
        );
    }
}
