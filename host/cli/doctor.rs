//! `klab doctor [--json]`: can this machine build, inspect and run kernel-lab? One line per
//! check with a fix for what is missing, then whether the README's two commands can run.
//! Exits 0 when both can, 1 otherwise. Works without a GPU.

use crate::doctor::{self, Check, Group, Report, Status};
use crate::error::{Error, Result};

/// Arguments of `klab doctor`.
#[derive(clap::Args, Debug)]
pub struct DoctorArgs {
    /// Print the report as JSON (same exit status).
    #[arg(long)]
    pub json: bool,
}

/// Prints the report; an error (exit 1) when a command cannot run.
pub fn doctor(args: &DoctorArgs) -> Result<()> {
    let report = doctor::diagnose();
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::Other(format!("serialising the report: {e}")))?;
        println!("{text}");
    } else {
        print!("{}", render(&report));
    }
    let blocked: Vec<String> = report
        .commands
        .iter()
        .filter(|c| !c.ready)
        .map(|c| format!("{} (needs {})", c.name, c.blocked_by.join(", ")))
        .collect();
    if blocked.is_empty() {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "cannot run here: {}",
            blocked.join("; ")
        )))
    }
}

const NAME_WIDTH: usize = 18;

/// The text table.
pub fn render(r: &Report) -> String {
    let mut out = format!(
        "klab doctor: kernel-lab {}, {} kernels in PTX ISA {} for {}\n",
        r.klab, r.ptx.kernels, r.ptx.isa, r.ptx.target
    );
    for (group, title) in [
        (Group::Build, "build"),
        (Group::Inspect, "inspect (no GPU needed)"),
        (Group::Run, "run (GPU)"),
    ] {
        out.push_str(&format!("\n{title}\n"));
        for c in r.checks.iter().filter(|c| c.group == group) {
            out.push_str(&line(c));
        }
    }
    out.push_str("\ncommands\n");
    for v in &r.commands {
        let mark = if v.ready { Status::Ok } else { Status::Fail }.mark();
        out.push_str(&format!(
            "  {mark} {:<w$} {}\n",
            v.name,
            v.command,
            w = NAME_WIDTH
        ));
        let indent = " ".repeat(NAME_WIDTH + 5);
        if !v.ready {
            out.push_str(&format!(
                "{indent}cannot run: needs {}\n",
                v.blocked_by.join(", ")
            ));
        }
        if let Some(note) = &v.note {
            out.push_str(&format!("{indent}{note}\n"));
        }
    }
    out
}

/// One check: mark, name, what was found (and where), and the fix when it is not fine.
fn line(c: &Check) -> String {
    let mut s = format!(
        "  {} {:<w$} {}",
        c.status.mark(),
        c.name,
        c.found,
        w = NAME_WIDTH
    );
    if let Some(p) = &c.path {
        s.push_str(&format!("  {}", home_relative(p)));
    }
    s.push('\n');
    if c.status != Status::Ok
        && let Some(fix) = &c.fix
    {
        let indent = " ".repeat(NAME_WIDTH + 5);
        let needs: Vec<&str> = c.needed_by.iter().map(|n| n.label()).collect();
        let head = if needs.is_empty() {
            "fix".to_string()
        } else {
            format!("fix (for {})", needs.join(", "))
        };
        let mut lines = fix.trim_end().lines();
        s.push_str(&format!(
            "{indent}{head}: {}\n",
            lines.next().unwrap_or_default()
        ));
        for l in lines {
            if l.trim().is_empty() {
                s.push('\n');
            } else {
                s.push_str(&format!("{indent}  {l}\n"));
            }
        }
    }
    s
}

/// `path` with the home folder written `~`.
fn home_relative(path: &str) -> String {
    match dirs::home_dir() {
        Some(home) => {
            let home = home.display().to_string();
            match path.strip_prefix(&home) {
                Some(rest) if !home.is_empty() && rest.starts_with('/') => format!("~{rest}"),
                _ => path.to_string(),
            }
        }
        None => path.to_string(),
    }
}
