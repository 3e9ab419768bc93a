//! `klab grade <exercise> [--solution | --kernel SYMBOL] [--emulate] [--json [FILE]]`,
//! `klab grade --challenge FILE [--learner NAME] [--json [FILE]]`, `klab grade --rank FILE...`
//! and `klab grade --list` (docs/course/exercises.md, docs/course/challenge.md).

use crate::error::{Error, Result};
use crate::grade::{self, Answer, Card, challenge};
use crate::runtime::Gpu;
use std::path::PathBuf;

/// Arguments of `klab grade`.
#[derive(clap::Args, Debug)]
pub struct GradeArgs {
    /// The exercise (`grid-stride`; `--list` shows them all).
    pub exercise: Option<String>,
    /// Grade the ladder's own step N (the reference solution) instead of the learner's file.
    #[arg(long, alias = "reference", conflicts_with = "kernel")]
    pub solution: bool,
    /// Grade another registered kernel with the exercise's parameters (a planted cheat,
    /// `exercise_cheat_zeros`) instead of the learner's file.
    #[arg(long, value_name = "SYMBOL")]
    pub kernel: Option<String>,
    /// Grade on the CPU emulator even with a GPU: correctness only, at small shapes
    /// (`KLAB_EMULATE=1` too). Without a GPU this is what happens anyway, unless
    /// `KLAB_REQUIRE_GPU=1`, which makes a missing GPU an error.
    #[arg(long)]
    pub emulate: bool,
    /// Seed of the first shape's inputs (default: fresh; `KLAB_SEED` too).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write the card as JSON to FILE (`-` or no value: standard output, instead of the text).
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "-")]
    pub json: Option<String>,
    /// Grade a challenge file (`challenges/challenge-reduce.toml`); with `--json`, the result
    /// an instructor ranks.
    #[arg(long, value_name = "FILE", conflicts_with = "exercise")]
    pub challenge: Option<PathBuf>,
    /// Who the challenge result is for (default: `$USER`).
    #[arg(long, requires = "challenge")]
    pub learner: Option<String>,
    /// Rank challenge results (`klab grade --challenge ... --json FILE` files).
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["exercise", "challenge"])]
    pub rank: Vec<PathBuf>,
    /// List the exercises and challenges.
    #[arg(long, conflicts_with_all = ["exercise", "challenge"])]
    pub list: bool,
}

/// The device to grade on: the emulator when asked, or when there is no GPU (an error with
/// `KLAB_REQUIRE_GPU=1`).
fn device(emulate: bool) -> Result<Gpu> {
    if emulate || crate::testing::emulate() {
        return Ok(Gpu::emulator());
    }
    match Gpu::open_default() {
        Ok(g) => Ok(g),
        Err(e @ (Error::NoDriver | Error::NoDevice(_))) => {
            if crate::testing::gpu_required() {
                return Err(Error::Other(format!("KLAB_REQUIRE_GPU=1 and no GPU: {e}")));
            }
            eprintln!("klab grade: no GPU ({e}): grading correctness on the CPU emulator");
            Ok(Gpu::emulator())
        }
        Err(e) => Err(e),
    }
}

fn write_json(dest: &str, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|e| Error::Other(e.to_string()))?;
    if dest == "-" {
        println!("{text}");
        return Ok(());
    }
    std::fs::write(dest, text + "\n").map_err(|e| Error::File {
        path: dest.to_string(),
        why: e.to_string(),
    })
}

/// The verdict as the command's result: exit 0 when passed, 1 otherwise.
fn verdict(card: &Card) -> Result<()> {
    match card.status {
        grade::Status::Passed => Ok(()),
        grade::Status::NotImplemented => Err(Error::Other(format!(
            "{}: not implemented ({})",
            card.exercise, card.file
        ))),
        grade::Status::Failed => Err(Error::Other(format!(
            "{}: failed ({} reason(s) above)",
            card.exercise,
            card.reasons.len()
        ))),
    }
}

/// Runs `klab grade`.
pub fn grade(args: &GradeArgs) -> Result<()> {
    if args.list {
        println!(
            "  {:<20} {:<15} {:<16} {:<30} what",
            "exercise", "chapter", "your file", "baseline -> solution"
        );
        for e in grade::EXERCISES {
            println!("{}", grade::line(e));
        }
        return Ok(());
    }
    if !args.rank.is_empty() {
        let entries = challenge::rank(challenge::read_entries(&args.rank)?);
        print!("{}", challenge::rank_table(&entries));
        return Ok(());
    }
    let seed = args.seed.unwrap_or_else(crate::inputs::fresh_seed);
    let answer = |ex: &grade::Exercise| -> Result<Answer> {
        Ok(match (&args.kernel, args.solution) {
            (Some(k), _) => {
                let sym = crate::registry::exercise_symbols()
                    .find(|s| s == k)
                    .ok_or_else(|| {
                        Error::Usage(format!(
                            "--kernel {k}: not an exercise's or planted cheat's kernel (for {}: {})",
                            ex.name,
                            grade::CHEATS
                                .iter()
                                .filter(|c| c.exercise == ex.name)
                                .map(|c| c.symbols[0])
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?;
                Answer::Kernel(sym)
            }
            (None, true) => Answer::Solution,
            (None, false) => Answer::Learner,
        })
    };
    if let Some(path) = &args.challenge {
        let c = challenge::Challenge::load(path)?;
        let ex = grade::find(&c.name)?;
        if ex.ladder != c.op {
            return Err(Error::File {
                path: path.display().to_string(),
                why: format!(
                    "op {} but the kernel slot {} is a {} kernel",
                    c.op, ex.name, ex.ladder
                ),
            });
        }
        let ladder = crate::registry::find_ladder(&c.op)?;
        let opts = c.options(ladder, seed)?;
        let answer = answer(ex)?;
        let gpu = device(args.emulate)?;
        let card = grade::grade(&gpu, ex, answer, &opts)?;
        let learner = args
            .learner
            .clone()
            .or_else(|| std::env::var("USER").ok())
            .unwrap_or_else(|| "anonymous".into());
        let entry = challenge::Entry::of(&card, &c, &learner)?;
        if args.json.as_deref() != Some("-") {
            print!("{card}");
            if !entry.within_budget {
                println!(
                    "  over the time budget: {:.0} s > {} s",
                    card.seconds, c.time_budget_s
                );
            }
        }
        if let Some(dest) = &args.json {
            write_json(dest, &entry)?;
        }
        return if entry.passed {
            Ok(())
        } else if card.passed() {
            Err(Error::Other(format!("{}: over the time budget", c.name)))
        } else {
            verdict(&card)
        };
    }
    let Some(name) = &args.exercise else {
        return Err(Error::Usage(
            "klab grade needs an exercise (`klab grade --list`), --challenge FILE or --rank FILE..."
                .into(),
        ));
    };
    let ex = grade::find(name)?;
    let answer = answer(ex)?;
    let opts = grade::Options {
        seed,
        ..grade::Options::new()
    };
    let gpu = device(args.emulate)?;
    let card = grade::grade(&gpu, ex, answer, &opts)?;
    match args.json.as_deref() {
        Some("-") => write_json("-", &card)?,
        Some(dest) => {
            print!("{card}");
            write_json(dest, &card)?;
        }
        None => print!("{card}"),
    }
    verdict(&card)
}
