//! `execo plot`: a box plot of an experiment's results, the figure of execo's TCP
//! congestion example, without leaving the shell for matplotlib.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use execo::plot::{self, BoxPlot, PlotError};

/// `execo plot` options.
#[derive(Args, Debug)]
pub struct PlotArgs {
    /// The results file: `results.jsonl` or `results.yaml`.
    results: PathBuf,
    /// The parameter on the x axis (`num_flows`).
    #[arg(long, value_name = "PARAM")]
    x: String,
    /// The parameter whose levels are drawn side by side (`cc`).
    #[arg(long, value_name = "PARAM")]
    group: Option<String>,
    /// The measured value: a name under `result` (`throughput_bps`), a dotted path
    /// (`result.bw`), or `result` when results are bare numbers.
    #[arg(long, value_name = "NAME")]
    metric: String,
    /// Where to write: `.png` or `.svg`, repeatable (default: `<results stem>.png`
    /// beside the results file).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    outputs: Vec<PathBuf>,
    /// A title above the plot.
    #[arg(long)]
    title: Option<String>,
    /// The x axis's label (default: the parameter's name).
    #[arg(long, value_name = "TEXT")]
    x_label: Option<String>,
    /// The y axis's label (default: the metric's name).
    #[arg(long, value_name = "TEXT")]
    y_label: Option<String>,
}

fn fail(e: &PlotError) -> ExitCode {
    errln!("execo plot: {e}");
    ExitCode::from(if e.is_input() { 2 } else { 1 })
}

/// Runs `execo plot`.
pub fn plot(args: PlotArgs) -> ExitCode {
    let outputs = if args.outputs.is_empty() {
        vec![args.results.with_extension("png")]
    } else {
        args.outputs
    };
    // Every bad output is named before anything is read or drawn.
    let bad: Vec<PlotError> = outputs
        .iter()
        .filter_map(|o| plot::check_output(o).err())
        .collect();
    if let Some(last) = bad.last() {
        bad[..bad.len() - 1]
            .iter()
            .for_each(|e| errln!("execo plot: {e}"));
        return fail(last);
    }
    let figure = BoxPlot {
        group: args.group,
        title: args.title,
        x_label: args.x_label,
        y_label: args.y_label,
        ..BoxPlot::new(args.x, args.metric)
    };
    let points = match figure.load_points(&args.results) {
        Ok(p) => p,
        Err(e) => return fail(&e),
    };
    // Every figure is drawn even when stdout's reader has gone; the status tells.
    let mut stdout = Ok(());
    for out in &outputs {
        if let Err(e) = figure.render(&points, out) {
            return fail(&e);
        }
        if stdout.is_ok() {
            stdout = outln!("wrote {}", out.display());
        }
    }
    match stdout {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::stdout_failed("plot", &e),
    }
}
