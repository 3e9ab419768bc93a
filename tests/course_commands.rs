//! Keeps the course honest: every `klab …` command in docs/course/*.md (in code blocks, and in
//! inline code) parses with the CLI's own definition (its subcommand and flags exist, values
//! have the right form), and every kernel it names (`saxpy/3`, a symbol) is registered. A
//! card's first line (`klab grade NAME: PASSED`) is output, not a command. Placeholders
//! (`K`, `NAME`, `A`, `…`) are not kernels; a bare `klab sass` in prose names the tool, and
//! only its subcommand is checked.
//! No GPU, no tools: the commands are parsed, not run.

use clap::{CommandFactory, Parser};
use kernel_lab::cli::Cli;
use std::path::Path;

/// `(file, line number, command words)` of every `klab` command in the course.
fn course_commands() -> Vec<(String, usize, Vec<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/course");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 7,
        "the course's chapters are missing: {files:?}"
    );
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&f).unwrap();
        let mut in_code = false;
        for (k, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
                continue;
            }
            let mut found: Vec<String> = Vec::new();
            if in_code {
                found.extend(command_at_line_start(line));
            } else {
                // Inline code spans: `klab …`.
                for (i, span) in line.split('`').enumerate() {
                    if i % 2 == 1 {
                        found.extend(command_at_line_start(span));
                    }
                }
            }
            for c in found {
                out.push((name.clone(), k + 1, words(&c)));
            }
        }
    }
    out
}

/// `klab …` at the start of `s` (after `$ ` and `VAR=value` prefixes), up to a pipe or `#`.
fn command_at_line_start(s: &str) -> Option<String> {
    let mut t = s.trim().trim_start_matches("$ ");
    while let Some((first, rest)) = t.split_once(' ') {
        if first.contains('=') && first.chars().next().is_some_and(|c| c.is_ascii_uppercase()) {
            t = rest.trim_start();
        } else {
            break;
        }
    }
    let t = t.strip_prefix("klab ")?;
    // A card's first line (`klab grade fusion: PASSED …`) is output, not a command.
    if t.split_whitespace().take(2).any(|w| w.ends_with(':')) {
        return None;
    }
    let t = t.split(['|', '#']).next().unwrap_or(t);
    Some(t.trim().to_string())
}

fn words(cmd: &str) -> Vec<String> {
    cmd.split_whitespace().map(str::to_string).collect()
}

/// A placeholder rather than a kernel name: `K`, `STEP`, `NAME`, `…`.
fn placeholder(w: &str) -> bool {
    w == "…"
        || w.chars()
            .all(|c| c.is_ascii_uppercase() || c == '_' || c == '-')
}

fn is_kernel(w: &str) -> bool {
    kernel_lab::registry::find(w).is_ok() || kernel_lab::registry::all_symbols().any(|s| s == w)
}

#[test]
fn every_klab_command_in_the_course_parses_and_names_registered_kernels() {
    let commands = course_commands();
    assert!(
        commands.len() >= 30,
        "only {} commands found",
        commands.len()
    );
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let mut bad = Vec::new();
    for (file, line, w) in &commands {
        let at = format!("docs/course/{file}:{line}: klab {}", w.join(" "));
        let Some(sub) = w.first() else {
            bad.push(format!("{at}: no subcommand"));
            continue;
        };
        if !subcommands.contains(sub) {
            bad.push(format!(
                "{at}: no subcommand {sub} (there are {subcommands:?})"
            ));
            continue;
        }
        // `klab sass` alone in prose names the tool; only its name is checked.
        if w.len() == 1 {
            continue;
        }
        if let Err(e) =
            Cli::try_parse_from(std::iter::once("klab").chain(w.iter().map(|s| s.as_str())))
        {
            bad.push(format!(
                "{at}: {}",
                e.to_string().lines().next().unwrap_or("")
            ));
            continue;
        }
        // The kernel arguments: the first positional, and --diff's value.
        if matches!(
            sub.as_str(),
            "run" | "ptx" | "sass" | "occupancy" | "profile"
        ) {
            let mut names: Vec<&str> = w.iter().skip(1).take(1).map(|s| s.as_str()).collect();
            if let Some(i) = w.iter().position(|x| x == "--diff") {
                names.extend(w.get(i + 1).map(|s| s.as_str()));
            }
            for n in names
                .into_iter()
                .filter(|n| !placeholder(n) && !n.starts_with('-'))
            {
                if !is_kernel(n) {
                    bad.push(format!("{at}: {n} is not a registered kernel"));
                }
            }
        }
    }
    assert!(
        bad.is_empty(),
        "course commands that do not work:\n{}",
        bad.join("\n")
    );
}

#[test]
fn the_extraction_finds_commands_and_skips_prose() {
    assert_eq!(
        command_at_line_start("KLAB_EMU_SEED=3 klab run reduce_sum/8 --emulate").as_deref(),
        Some("run reduce_sum/8 --emulate")
    );
    assert_eq!(
        command_at_line_start("klab sass saxpy/3 | grep E.128").as_deref(),
        Some("sass saxpy/3")
    );
    assert_eq!(
        command_at_line_start("$ klab list   # all").as_deref(),
        Some("list")
    );
    assert_eq!(command_at_line_start("cargo test --test emulator"), None);
    assert_eq!(command_at_line_start("ncu target/release/klab run x"), None);
    // A wrong flag does not parse.
    assert!(Cli::try_parse_from(["klab", "sass", "saxpy/3", "--no-such-flag"]).is_err());
    assert!(is_kernel("saxpy/3") && is_kernel("saxpy_s03_vectorized") && !is_kernel("saxpy/99"));
    assert!(placeholder("K") && placeholder("…") && !placeholder("saxpy/3"));
}
