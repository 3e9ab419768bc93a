//! SVG charts from benchmark data (`klab report`): per ladder, bars of percent of ceiling per
//! step (and baseline); and a roofline of every kernel, arithmetic intensity (FLOPs/byte)
//! against achieved TFLOP/s, under the ceilings measured in the same run.

use super::results::{BenchReport, ResultRow, RowKind};
use crate::error::{Error, Result};
use crate::npy::write_atomic;
use plotters::prelude::*;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (900, 520);

fn plot_err(e: impl std::fmt::Debug) -> Error {
    Error::Other(format!("drawing a chart: {e:?}"))
}

/// A bar's label: `s2`, or the baseline's name; with the shape when the ladder has several.
fn bar_label(r: &ResultRow, with_shape: bool) -> String {
    let name = match r.kind {
        RowKind::Step => format!("s{}", r.step),
        RowKind::Baseline => r
            .kernel
            .strip_prefix(&format!("{}_", r.ladder))
            .unwrap_or(&r.kernel)
            .to_string(),
    };
    if with_shape {
        format!("{name} @{}", r.shape)
    } else {
        name
    }
}

/// The SVG of one ladder's bars: percent of its ceiling, per step and baseline. `title` names
/// the ladder (and the shape, when the ladder was run at several).
pub fn ladder_chart(title: &str, rows: &[&ResultRow]) -> Result<String> {
    let mut shapes: Vec<&str> = rows.iter().map(|r| r.shape.as_str()).collect();
    shapes.sort();
    shapes.dedup();
    let labels: Vec<String> = rows
        .iter()
        .map(|r| bar_label(r, shapes.len() > 1))
        .collect();
    let ceiling = rows.first().map_or("", |r| r.ceiling.key());
    let top = rows
        .iter()
        .filter_map(|r| r.pct_of_ceiling)
        .fold(100.0f64, f64::max)
        * 1.05;
    let n = rows.len().max(1) as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{title}: percent of {ceiling}"), ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..top)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(rows.len().max(1))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                    labels.get(*i as usize).cloned().unwrap_or_default()
                }
                SegmentValue::Last => String::new(),
            })
            .y_desc("% of ceiling")
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(rows.iter().enumerate().map(|(i, r)| {
                let color = match (r.kind, r.verified) {
                    (RowKind::Baseline, _) => RGBColor(150, 150, 150),
                    (_, false) => RED,
                    _ => RGBColor(31, 119, 180),
                };
                let x = i as i32;
                Rectangle::new(
                    [
                        (SegmentValue::Exact(x), 0.0),
                        (SegmentValue::Exact(x + 1), r.pct_of_ceiling.unwrap_or(0.0)),
                    ],
                    color.filled(),
                )
            }))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// The roofline SVG: every kernel with FLOPs and bytes as a point (intensity, TFLOP/s), under
/// the measured bandwidth roofs and compute ceilings.
pub fn roofline_chart(rep: &BenchReport) -> Result<String> {
    let points: Vec<(f64, f64, String)> = rep
        .results
        .iter()
        .filter(|r| r.flops > 0.0 && r.bytes > 0.0 && r.median_ms > 0.0)
        .map(|r| {
            (
                r.flops / r.bytes,
                r.flops / r.median_ms / 1e9,
                format!("{} {}", r.kernel, r.shape),
            )
        })
        .collect();
    let c = &rep.ceilings;
    let peak = [c.fma_tflops, c.cublas_sgemm_tflops, c.cublas_bf16_tflops]
        .into_iter()
        .flatten()
        .fold(f64::NAN, f64::max);
    let xs = points.iter().map(|p| p.0);
    let ys = points.iter().map(|p| p.1);
    let x_lo = xs.clone().fold(1.0f64, f64::min) / 4.0;
    let mut x_hi = xs.fold(100.0f64, f64::max) * 4.0;
    if let (Some(b), false) = (c.copy_gbps, peak.is_nan()) {
        x_hi = x_hi.max(peak * 1e3 / b * 4.0);
    }
    let y_lo = ys.clone().fold(1e-2f64, f64::min) / 4.0;
    let y_hi = ys.fold(if peak.is_nan() { 1.0 } else { peak }, f64::max) * 2.0;
    let roof = |gbps: f64| {
        move |x: f64| {
            let y = x * gbps / 1e3;
            if peak.is_nan() { y } else { y.min(peak) }
        }
    };
    let grid: Vec<f64> = (0..=200)
        .map(|i| x_lo * (x_hi / x_lo).powf(i as f64 / 200.0))
        .collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("roofline: {}", rep.device.name), ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(64)
            .build_cartesian_2d((x_lo..x_hi).log_scale(), (y_lo..y_hi).log_scale())
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc("arithmetic intensity (FLOP/byte)")
            .y_desc("TFLOP/s")
            .draw()
            .map_err(plot_err)?;
        let named_bw = [("copy", c.copy_gbps), ("read stream", c.read_gbps)];
        for ((name, g), color) in named_bw.iter().zip([BLUE, CYAN]) {
            if let Some(g) = g {
                let f = roof(*g);
                chart
                    .draw_series(LineSeries::new(grid.iter().map(|&x| (x, f(x))), color))
                    .map_err(plot_err)?
                    .label(format!("{name} {g:.0} GB/s"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            }
        }
        let named_peak = [
            ("FP32 FMA", c.fma_tflops),
            ("cuBLAS SGEMM", c.cublas_sgemm_tflops),
            ("cuBLAS bf16", c.cublas_bf16_tflops),
        ];
        for ((name, t), color) in named_peak.iter().zip([GREEN, MAGENTA, CYAN]) {
            if let Some(t) = t {
                chart
                    .draw_series(LineSeries::new(
                        [(x_lo, *t), (x_hi, *t)],
                        color.stroke_width(1),
                    ))
                    .map_err(plot_err)?
                    .label(format!("{name} {t:.1} TFLOP/s"))
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color));
            }
        }
        chart
            .draw_series(points.iter().map(|(x, y, name)| {
                EmptyElement::at((*x, *y))
                    + Circle::new((0, 0), 4, RED.filled())
                    + Text::new(name.clone(), (6, -6), ("sans-serif", 11))
            }))
            .map_err(plot_err)?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// A ladder name as a file name (letters, digits, `_` and `-` only).
fn file_stem(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Writes `<ladder>.svg` for every ladder (`<ladder>-<shape>.svg` per shape when it was run at
/// several, so that each chart's bars are one step each) and `roofline.svg` into `dir`
/// (created if needed); returns the paths written.
pub fn write_report(rep: &BenchReport, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::File {
        path: dir.display().to_string(),
        why: format!("cannot create the directory: {e}"),
    })?;
    let mut ladders: Vec<&str> = Vec::new();
    for r in &rep.results {
        if !ladders.contains(&r.ladder.as_str()) {
            ladders.push(&r.ladder);
        }
    }
    let mut written = Vec::new();
    for l in ladders {
        let rows: Vec<&ResultRow> = rep.results.iter().filter(|r| r.ladder == l).collect();
        let mut shapes: Vec<&str> = Vec::new();
        for r in &rows {
            if !shapes.contains(&r.shape.as_str()) {
                shapes.push(&r.shape);
            }
        }
        for shape in &shapes {
            let of_shape: Vec<&ResultRow> =
                rows.iter().copied().filter(|r| r.shape == *shape).collect();
            let (stem, title) = match shapes.len() {
                1 => (file_stem(l), l.to_string()),
                _ => (
                    format!("{}-{}", file_stem(l), file_stem(shape)),
                    format!("{l} {shape}"),
                ),
            };
            let path = dir.join(format!("{stem}.svg"));
            write_atomic(&path, ladder_chart(&title, &of_shape)?.as_bytes())?;
            written.push(path);
        }
    }
    let path = dir.join("roofline.svg");
    write_atomic(&path, roofline_chart(rep)?.as_bytes())?;
    written.push(path);
    Ok(written)
}
