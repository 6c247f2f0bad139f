//! `execo plot` and `execo::plot`: the TCP congestion figure from a results file as the
//! sweeper writes it (JSON Lines and YAML), matplotlib's box statistics, and each bad
//! input named with its cause.

use std::path::Path;
use std::process::{Command, Output};

use execo::plot::{BoxPlot, BoxStats, Level, PlotError, percentile};
use execo::sweep::{Combination, ResultEntry, read_results};

/// A result of the campaign, as an experiment would read it back.
#[derive(execo::sweep::serde::Deserialize, Debug)]
#[serde(crate = "execo::sweep::serde")]
struct Tcp {
    throughput_bps: f64,
}

use crate::Scratch;

/// execo's TCP congestion sweep: num_flows in igeom(1, 20, 5), cc cubic and reno,
/// repeat 0..3; cubic holds ~940 Mbit/s, reno loses a little per flow.
fn campaign() -> Vec<(u32, &'static str, u32, f64)> {
    let mut v = Vec::new();
    for nf in [1, 2, 4, 9, 20] {
        for cc in ["cubic", "reno"] {
            for repeat in 0..3 {
                let bw = match cc {
                    "cubic" => 9.41e8 - f64::from(nf) * 1e6 + f64::from(repeat) * 2e6,
                    _ => 9.30e8 - f64::from(nf) * 4e6 - f64::from(repeat) * 1.5e6,
                };
                v.push((nf, cc, repeat, bw));
            }
        }
    }
    v
}

fn jsonl() -> String {
    campaign()
        .iter()
        .map(|(nf, cc, r, bw)| {
            format!(
                "{{\"params\": {{\"num_flows\": {nf}, \"cc\": \"{cc}\", \"repeat\": {r}}}, \
                 \"result\": {{\"throughput_bps\": {bw:?}, \"retransmits\": {r}}}}}\n"
            )
        })
        .collect()
}

/// The same campaign as serde_norway writes it: a block sequence, one entry per `- `.
fn yaml() -> String {
    campaign()
        .iter()
        .map(|(nf, cc, r, bw)| {
            format!(
                "- params:\n    num_flows: {nf}\n    cc: {cc}\n    repeat: {r}\n  result:\n    \
                 throughput_bps: {bw:?}\n    retransmits: {r}\n"
            )
        })
        .collect()
}

fn execo(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_execo"))
        .arg("plot")
        .args(args)
        .output()
        .expect("run the execo binary")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The texts of an SVG: plotters writes each `<text ...>` element's content on its own
/// line.
fn svg_texts(body: &str) -> Vec<String> {
    body.split("<text")
        .skip(1)
        .filter_map(|t| {
            Some(
                t.split_once('>')?
                    .1
                    .split_once("</text>")?
                    .0
                    .trim()
                    .to_string(),
            )
        })
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Decodes a PNG: (width, height, RGB pixels).
fn decode_png(path: &Path) -> (u32, u32, Vec<[u8; 3]>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let px = buf[..info.buffer_size()]
        .chunks_exact(3)
        .map(|c| [c[0], c[1], c[2]])
        .collect();
    (info.width, info.height, px)
}

#[test]
fn png_from_jsonl_beside_the_results() {
    let d = Scratch::new("plot-png");
    let results = d.write("results.jsonl", &jsonl());
    let out = execo(&[
        s(&results),
        "--x",
        "num_flows",
        "--group",
        "cc",
        "--metric",
        "throughput_bps",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let png = d.0.join("results.png");
    assert_eq!(text(&out.stdout), format!("wrote {}\n", png.display()));
    let (w, h, px) = decode_png(&png);
    assert_eq!((w, h), (1024, 640));
    // Both groups' boxes are drawn in matplotlib's first two colours, and text (axis
    // labels, ticks, legend) in black: the font was found and used.
    let count = |c: [u8; 3]| px.iter().filter(|p| **p == c).count();
    assert!(count([0x1f, 0x77, 0xb4]) > 200, "no cubic (blue) boxes");
    assert!(count([0xff, 0x7f, 0x0e]) > 200, "no reno (orange) boxes");
    let dark = px.iter().filter(|p| p.iter().all(|&c| c < 80)).count();
    assert!(dark > 2000, "hardly any text or axes: {dark} dark pixels");
    // Its header (IHDR) says the same as the decoder, read by hand.
    let bytes = std::fs::read(&png).unwrap();
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    assert_eq!((be(16), be(20)), (1024, 640));
}

#[test]
fn svg_from_yaml_with_title_and_labels() {
    let d = Scratch::new("plot-svg");
    let results = d.write("results.yaml", &yaml());
    let svg = d.0.join("tcp.svg");
    let png = d.0.join("tcp.png");
    let out = execo(&[
        s(&results),
        "--x",
        "num_flows",
        "--group",
        "cc",
        "--metric",
        "result.throughput_bps",
        "-o",
        s(&svg),
        "-o",
        s(&png),
        "--title",
        "TCP congestion control",
        "--x-label",
        "num flows",
        "--y-label",
        "bandwidth bits/s",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("wrote {}\nwrote {}\n", svg.display(), png.display())
    );
    let body = std::fs::read_to_string(&svg).unwrap();
    assert!(body.starts_with("<svg"), "{}", &body[..body.len().min(200)]);
    let texts = svg_texts(&body);
    for want in [
        "cubic",
        "reno",
        "num flows",
        "bandwidth bits/s",
        "TCP congestion control",
    ] {
        assert!(texts.iter().any(|t| t == want), "no {want} in {texts:?}");
    }
    // Ticks at the levels, as plt.xticks(levels); the throughput axis in SI units.
    for tick in ["1", "2", "4", "9", "20", "940M"] {
        assert!(
            texts.iter().any(|t| t == tick),
            "no tick {tick} in {texts:?}"
        );
    }
    // 5 levels x 2 groups boxes, plus the background and the legend's box.
    let rects = body.matches("<rect").count();
    assert!(rects >= 10, "{rects} rects");
    assert_eq!(decode_png(&png).0, 1024);
}

#[test]
fn library_reads_jsonl_and_yaml_alike() {
    let d = Scratch::new("plot-lib");
    let j = d.write("results.jsonl", &jsonl());
    let y = d.write("results.yml", &yaml());
    let plot = BoxPlot {
        group: Some("cc".into()),
        ..BoxPlot::new("num_flows", "throughput_bps")
    };
    let from_j = plot.load_points(&j).unwrap();
    let from_y = plot.load_points(&y).unwrap();
    assert_eq!(from_j.len(), 30);
    assert_eq!(from_j, from_y);
    assert_eq!(from_j[0].x, Level::Number(1.0));
    assert_eq!(from_j[0].group.as_deref(), Some("cubic"));
    assert_eq!(from_j[0].value, 9.40e8);
    let out = d.0.join("fig.svg");
    plot.render(&from_j, &out).unwrap();
    let texts = svg_texts(&std::fs::read_to_string(&out).unwrap());
    assert!(texts.iter().any(|t| t == "reno"), "{texts:?}");
    // No title, default axis labels: the parameter's and the metric's names.
    assert!(texts.iter().any(|t| t == "num_flows"), "{texts:?}");
    assert!(texts.iter().any(|t| t == "throughput_bps"), "{texts:?}");
}

#[test]
fn categorical_x_and_bare_results() {
    let d = Scratch::new("plot-categorical");
    let results = d.write(
        "results.jsonl",
        "{\"params\": {\"cc\": \"cubic\", \"repeat\": 0}, \"result\": 9.4e8}\n\
         \n\
         {\"params\": {\"cc\": \"reno\", \"repeat\": 0}, \"result\": 9.1e8}\n\
         {\"params\": {\"cc\": \"bbr\", \"repeat\": 0}, \"result\": null}\n\
         {\"params\": {\"cc\": \"reno\", \"repeat\": 1}, \"result\": 9.2e8}\n",
    );
    let plot = BoxPlot::new("cc", "result");
    let points = plot.load_points(&results).unwrap();
    // The null result (a failed run) is skipped, the blank line ignored.
    assert_eq!(points.len(), 3);
    assert_eq!(points[1].x, Level::Text("reno".into()));
    assert_eq!(points[1].group, None);
    let out = d.0.join("cc.svg");
    plot.render(&points, &out).unwrap();
    let texts = svg_texts(&std::fs::read_to_string(&out).unwrap());
    // Categories as tick labels, sorted; the skipped level is not one; no legend
    // without groups (each name appears once).
    let at = |name: &str| texts.iter().position(|t| t == name);
    assert!(at("cubic").unwrap() < at("reno").unwrap(), "{texts:?}");
    assert_eq!(at("bbr"), None);
    assert_eq!(texts.iter().filter(|t| *t == "reno").count(), 1);
}

/// Expected numbers from numpy's conventions, computed by hand and checked with
/// python3's `statistics.quantiles(v, n=4, method="inclusive")` (the same linear
/// interpolation as `numpy.percentile`'s default); whiskers and outliers as
/// matplotlib's `cbook.boxplot_stats` (whis=1.5) gives them.
#[test]
fn quartiles_like_numpy_and_matplotlib() {
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
    // [938, 940, 941] Mbit/s: ranks 0.5, 1, 1.5.
    let s = BoxStats::of(&[9.41e8, 9.38e8, 9.40e8]).unwrap();
    assert!(close(s.q1, 9.39e8) && close(s.median, 9.40e8) && close(s.q3, 9.405e8));
    assert_eq!((s.whisker_low, s.whisker_high), (9.38e8, 9.41e8));
    assert!(s.outliers.is_empty());
    // Sorted: -20 2 3 3.5 4 4.5 5 30; q1 at rank 1.75 = 2.75, median 3.75, q3 at rank
    // 5.25 = 4.625; IQR 1.875, fences -0.0625 and 7.4375: whiskers 2 and 5, outliers
    // -20 and 30.
    let s = BoxStats::of(&[2.0, 3.0, 3.5, 4.0, 4.5, 5.0, 30.0, -20.0]).unwrap();
    assert_eq!((s.q1, s.median, s.q3), (2.75, 3.75, 4.625));
    assert_eq!((s.whisker_low, s.whisker_high), (2.0, 5.0));
    assert_eq!(s.outliers, [-20.0, 30.0]);
    // 1..=10: 3.25, 5.5, 7.75; whiskers at the extremes.
    let v: Vec<f64> = (1..=10).map(f64::from).collect();
    let s = BoxStats::of(&v).unwrap();
    assert_eq!((s.q1, s.median, s.q3), (3.25, 5.5, 7.75));
    assert_eq!((s.whisker_low, s.whisker_high), (1.0, 10.0));
    // One value: a flat box.
    let s = BoxStats::of(&[7.0]).unwrap();
    assert_eq!(
        (s.q1, s.median, s.q3, s.whisker_low, s.whisker_high),
        (7.0, 7.0, 7.0, 7.0, 7.0)
    );
    assert!(BoxStats::of(&[]).is_none());
    assert!(BoxStats::of(&[1.0, f64::NAN]).is_none());
    // numpy.percentile([1, 2, 3, 4], 90) = 3.7.
    assert!(close(percentile(&[1.0, 2.0, 3.0, 4.0], 90.0), 3.7));
}

/// Runs `execo plot` expecting exit 2 and returns its stderr.
fn bad(args: &[&str]) -> String {
    let out = execo(args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    text(&out.stderr)
}

#[test]
fn missing_file() {
    let d = Scratch::new("plot-missing");
    let p = d.0.join("nope.jsonl");
    let err = bad(&[s(&p), "--x", "num_flows", "--metric", "throughput_bps"]);
    assert!(
        err.starts_with(&format!("execo plot: failed to read `{}`: ", p.display())),
        "{err}"
    );
    assert!(err.contains("No such file"), "{err}");
}

#[test]
fn empty_files() {
    let d = Scratch::new("plot-empty");
    for (name, content) in [("results.jsonl", "\n\n"), ("results.yaml", "")] {
        let p = d.write(name, content);
        let err = bad(&[s(&p), "--x", "num_flows", "--metric", "throughput_bps"]);
        assert_eq!(
            err,
            format!("execo plot: `{}` holds no results\n", p.display())
        );
    }
}

#[test]
fn metric_absent_from_every_entry_lists_the_names() {
    let d = Scratch::new("plot-absent");
    let p = d.write("results.jsonl", &jsonl());
    let err = bad(&[
        s(&p),
        "--x",
        "num_flows",
        "--group",
        "cc",
        "--metric",
        "latency",
    ]);
    assert_eq!(
        err,
        format!(
            "execo plot: no entry of `{}` has a metric `latency`; available: \
             params.cc, params.num_flows, params.repeat, result.retransmits, \
             result.throughput_bps\n",
            p.display()
        )
    );
    // The same for a parameter.
    let plot = BoxPlot {
        group: Some("congestion".into()),
        ..BoxPlot::new("num_flows", "throughput_bps")
    };
    match plot.load_points(&p) {
        Err(e @ PlotError::Missing { role: "group", .. }) => {
            assert!(e.to_string().contains("has a group `congestion`"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn non_numeric_metric_names_the_line() {
    let d = Scratch::new("plot-nan");
    let mut lines = jsonl();
    lines.push_str(
        "{\"params\": {\"num_flows\": 4, \"cc\": \"reno\", \"repeat\": 3}, \
         \"result\": {\"throughput_bps\": \"fast\"}}\n",
    );
    let p = d.write("results.jsonl", &lines);
    let err = bad(&[s(&p), "--x", "num_flows", "--metric", "throughput_bps"]);
    assert_eq!(
        err,
        format!(
            "execo plot: `{}` line 31: metric `throughput_bps` is \"fast\", not a number\n",
            p.display()
        )
    );
    // YAML entries are located by the line their `- ` is on: entry 2 starts at line 8.
    let y = yaml().replacen("throughput_bps: 942000000.0", "throughput_bps: [1, 2]", 1);
    assert_ne!(y, yaml(), "the second entry's throughput is 942000000.0");
    let p = d.write("results.yaml", &y);
    let err = bad(&[s(&p), "--x", "num_flows", "--metric", "throughput_bps"]);
    assert!(
        err.contains("line 8: metric `throughput_bps` is [1,2], not a number"),
        "{err}"
    );
}

#[test]
fn unknown_extensions() {
    let d = Scratch::new("plot-ext");
    let csv = d.write("results.csv", "num_flows,bw\n1,9e8\n");
    let err = bad(&[s(&csv), "--x", "num_flows", "--metric", "bw"]);
    assert_eq!(
        err,
        format!(
            "execo plot: cannot tell the format of `{}` from its extension: use .jsonl, \
             .yaml or .yml\n",
            csv.display()
        )
    );
    let results = d.write("results.jsonl", &jsonl());
    let pdf = d.0.join("fig.pdf");
    let err = bad(&[
        s(&results),
        "--x",
        "num_flows",
        "--metric",
        "throughput_bps",
        "-o",
        s(&pdf),
    ]);
    assert_eq!(
        err,
        format!(
            "execo plot: cannot tell the format of `{}` from its extension: use .png or .svg\n",
            pdf.display()
        )
    );
    assert!(!pdf.exists());
}

#[test]
fn malformed_json_names_the_line() {
    let d = Scratch::new("plot-malformed");
    let p = d.write(
        "results.jsonl",
        "{\"params\": {}, \"result\": 1}\n{\"params\": \n",
    );
    let err = bad(&[s(&p), "--x", "n", "--metric", "result"]);
    assert!(
        err.starts_with(&format!(
            "execo plot: failed to parse `{}` line 2: ",
            p.display()
        )),
        "{err}"
    );
}

#[test]
fn no_font_says_what_to_install() {
    let d = Scratch::new("plot-font");
    let results = d.write("results.jsonl", &jsonl());
    let out = Command::new(env!("CARGO_BIN_EXE_execo"))
        .args([
            "plot",
            s(&results),
            "--x",
            "num_flows",
            "--metric",
            "throughput_bps",
        ])
        .env("EXECO_FONT", d.0.join("absent.ttf"))
        .output()
        .unwrap();
    // Not the user's input: exit 1, and the package to install.
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("absent.ttf"), "{err}");
    assert!(err.contains("apt-get install fonts-dejavu-core"), "{err}");
    assert!(!d.0.join("results.png").exists());
}

#[test]
fn outliers_drawn_as_points() {
    let d = Scratch::new("plot-outliers");
    // The second box of quartiles_like_numpy_and_matplotlib: -20 and 30 are outliers.
    let values = [2.0, 3.0, 3.5, 4.0, 4.5, 5.0, 30.0, -20.0];
    let lines: String = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("{{\"params\": {{\"n\": 1, \"repeat\": {i}}}, \"result\": {v:?}}}\n"))
        .collect();
    let p = d.write("results.jsonl", &lines);
    let plot = BoxPlot::new("n", "result");
    let out = d.0.join("o.svg");
    plot.render(&plot.load_points(&p).unwrap(), &out).unwrap();
    let body = std::fs::read_to_string(&out).unwrap();
    assert_eq!(body.matches("<circle").count(), 2, "{body}");
}

#[test]
fn a_parameter_missing_from_one_entry_names_it() {
    let d = Scratch::new("plot-missing-in");
    let p = d.write(
        "results.jsonl",
        "{\"params\": {\"n\": 1, \"cc\": \"reno\"}, \"result\": 1.0}\n\
         {\"params\": {\"n\": 2}, \"result\": 2.0}\n",
    );
    let err = bad(&[s(&p), "--x", "n", "--group", "cc", "--metric", "result"]);
    assert_eq!(
        err,
        format!(
            "execo plot: `{}` line 2: no group `cc` in this entry, though others have one\n",
            p.display()
        )
    );
}

#[test]
fn yaml_that_is_not_a_sequence() {
    let d = Scratch::new("plot-yaml-map");
    let p = d.write("results.yaml", "params: {n: 1}\nresult: 1.0\n");
    let err = bad(&[s(&p), "--x", "n", "--metric", "result"]);
    assert_eq!(
        err,
        format!(
            "execo plot: failed to parse `{}`: expected a sequence of `- params: ...` entries\n",
            p.display()
        )
    );
}

#[test]
fn a_cut_last_line_is_left_out_with_a_warning_and_the_rest_is_drawn() {
    let d = Scratch::new("plot-cut");
    // A writer killed in the middle of line 31: no newline, and it does not read.
    let mut lines = jsonl();
    lines.push_str("{\"params\": {\"num_flows\": 4, \"cc\": \"re");
    let p = d.write("results.jsonl", &lines);
    let out = execo(&[
        s(&p),
        "--x",
        "num_flows",
        "--group",
        "cc",
        "--metric",
        "throughput_bps",
    ]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains(&format!(
            "`{}` line 31: leaving out a last entry without its newline that does not read (",
            p.display()
        )),
        "{err}"
    );
    let (w, h, _) = decode_png(&d.0.join("results.png"));
    assert_eq!((w, h), (1024, 640));
    // The library reads the same 30 entries.
    let points = BoxPlot::new("num_flows", "throughput_bps")
        .load_points(&p)
        .unwrap();
    assert_eq!(points.len(), 30);
    // The same file as the sweeper's reader sees it.
    let typed: Vec<ResultEntry<Combination, Tcp>> = read_results(&p).unwrap();
    assert_eq!(typed.len(), 30);
    assert_eq!(typed[0].result.throughput_bps, 9.40e8);
}

#[test]
fn a_damaged_middle_line_is_an_error_naming_file_and_line() {
    let d = Scratch::new("plot-damaged");
    let good = jsonl();
    let mut lines: Vec<&str> = good.lines().collect();
    lines[4] = "{\"params\": {\"num_flows\": 2, oops";
    let p = d.write("results.jsonl", &(lines.join("\n") + "\n"));
    let err = bad(&[s(&p), "--x", "num_flows", "--metric", "throughput_bps"]);
    assert!(
        err.starts_with(&format!(
            "execo plot: failed to parse `{}` line 5: ",
            p.display()
        )),
        "{err}"
    );
    assert!(!d.0.join("results.png").exists());
    // The sweeper's reader names the same line.
    let e = read_results::<Combination, Tcp>(&p).unwrap_err();
    assert!(
        e.to_string()
            .starts_with(&format!("results file `{}` line 5: ", p.display())),
        "{e}"
    );
}

#[test]
fn figures_drawn_at_once_to_one_file_are_each_complete_and_leave_no_temporary_file() {
    let d = Scratch::new("plot-atomic");
    let results = d.write("results.jsonl", &jsonl());
    let plot = BoxPlot {
        group: Some("cc".into()),
        ..BoxPlot::new("num_flows", "throughput_bps")
    };
    let points = plot.load_points(&results).unwrap();
    let out = d.0.join("fig.png");
    // Writers of one process racing on one output: each has its own temporary file,
    // so every rename puts a whole figure in place.
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..6)
            .map(|_| scope.spawn(|| plot.render(&points, &out)))
            .collect();
        for h in handles {
            h.join().unwrap().unwrap();
        }
    });
    let (w, h, _) = decode_png(&out);
    assert_eq!((w, h), (1024, 640));
    let mut names: Vec<String> = std::fs::read_dir(&d.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["fig.png", "results.jsonl"]);
}

#[test]
fn a_figure_that_cannot_be_put_in_place_leaves_nothing_behind() {
    let d = Scratch::new("plot-no-rename");
    let results = d.write("results.jsonl", &jsonl());
    // A directory where the figure should go: the rename fails.
    let out = d.0.join("fig.svg");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep"), "").unwrap();
    let plot = BoxPlot::new("num_flows", "throughput_bps");
    let err = plot
        .render(&plot.load_points(&results).unwrap(), &out)
        .unwrap_err();
    assert!(matches!(err, PlotError::Write { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("failed to write `{}`: ", out.display())),
        "{msg}"
    );
    assert!(msg.contains("rename"), "{msg}");
    let mut names: Vec<String> = std::fs::read_dir(&d.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["fig.svg", "results.jsonl"]);
    assert!(out.join("keep").exists());
}

#[test]
fn a_figure_too_big_to_write_leaves_no_partial_file() {
    let d = Scratch::new("plot-efbig");
    let results = d.write("results.jsonl", &jsonl());
    // A file size limit of 4 KiB with SIGXFSZ ignored: writing the PNG fails with EFBIG.
    let out = Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_execo"))
        .args([
            "plot",
            s(&results),
            "--x",
            "num_flows",
            "--metric",
            "throughput_bps",
        ])
        .output()
        .unwrap();
    let err = text(&out.stderr);
    // Not the user's input: exit 1, the figure and the failed step named.
    assert_eq!(out.status.code(), Some(1), "{err}");
    let png = d.0.join("results.png");
    assert!(
        err.starts_with(&format!(
            "execo plot: failed to write `{}`: ",
            png.display()
        )),
        "{err}"
    );
    let names: Vec<String> = std::fs::read_dir(&d.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["results.jsonl"], "{err}");
}
