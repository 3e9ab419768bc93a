//! `klab grade` on the CPU emulator (no GPU needed, so CI runs it): every exercise's stub
//! builds and grades "not implemented"; every exercise graded with its reference solution
//! passes its correctness checks; every planted cheat fails, for the reason its design says;
//! the challenge files agree with the exercise table; the JSON card and the challenge result
//! have the fields an instructor's scripts read; the exit statuses.

use kernel_lab::grade::{self, Answer, CHEATS, EXERCISES, Options, Status, challenge};
use kernel_lab::runtime::Gpu;
use std::process::Command;

/// Phase names of the two kinds of check (as the cards print them).
const FRESH: &str = "fresh inputs";
const REPEATED: &str = "after repeated runs, inputs regenerated";

fn opts(seed: u64) -> Options {
    Options {
        seed,
        ..Options::new()
    }
}

fn klab(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = Command::new(kernel_lab::testing::klab_bin(env!("CARGO_BIN_EXE_klab")));
    c.args(args).env_remove("KLAB_REQUIRE_GPU");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn every_exercise_stub_is_built_and_grades_not_implemented() {
    let gpu = Gpu::emulator();
    assert!(
        EXERCISES.len() >= 8 + 2,
        "at least 8 exercises and 2 challenges"
    );
    for e in EXERCISES {
        // The stub is compiled: its kernel is in the base PTX module and in the emulator's table.
        assert_eq!(
            kernel_lab::ptx::module_of(e.symbols[0]),
            Some(kernel_lab::registry::Arch::Sm80),
            "{}: {} is not in the PTX",
            e.name,
            e.symbols[0]
        );
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(e.file)
                .is_file(),
            "{}: {} is missing",
            e.name,
            e.file
        );
        assert!(
            !e.implemented,
            "{}: the committed stub says IMPLEMENTED",
            e.name
        );
        let card = grade::grade(&gpu, e, Answer::Learner, &opts(1)).unwrap();
        assert_eq!(card.status, Status::NotImplemented, "{}", e.name);
        assert!(
            card.reasons[0].contains("not implemented") && card.reasons[0].contains(e.file),
            "{}: {:?}",
            e.name,
            card.reasons
        );
        // The stub itself runs without crashing (it writes nothing): graded as a kernel, it
        // fails its first check instead of passing or panicking.
        let card = grade::grade(&gpu, e, Answer::Kernel(e.symbols[0]), &opts(2)).unwrap();
        assert_eq!(
            card.status,
            Status::Failed,
            "{}: the empty stub passed",
            e.name
        );
    }
}

#[test]
fn every_exercise_passes_with_its_reference_solution() {
    let gpu = Gpu::emulator();
    for e in EXERCISES {
        let card = grade::grade(&gpu, e, Answer::Solution, &opts(3)).unwrap();
        assert!(card.passed(), "{}: {:?}", e.name, card.reasons);
        let (_, step) =
            kernel_lab::registry::find(&format!("{}/{}", e.ladder, e.solution)).unwrap();
        assert_eq!(card.answer, step.symbol, "{}", e.name);
        assert!(card.correctness.len() >= 3, "{}: too few checks", e.name);
        assert!(card.correctness.iter().any(|c| c.phase == FRESH));
        assert!(
            card.correctness.last().is_some_and(|c| c.phase == REPEATED),
            "{}: no check after repeated runs",
            e.name
        );
        assert!(
            !card.speed.graded,
            "{}: speed graded on the emulator",
            e.name
        );
        assert!(card.speed.note.as_deref().unwrap().contains("no GPU"));
    }
}

#[test]
fn the_planted_cheats_fail_and_say_why() {
    let gpu = Gpu::emulator();
    assert_eq!(CHEATS.len(), 4);
    for c in CHEATS {
        let ex = grade::find(c.exercise).unwrap();
        let card = grade::grade(&gpu, ex, Answer::Kernel(c.symbols[0]), &opts(4)).unwrap();
        assert_eq!(card.status, Status::Failed, "{} passed", c.trick);
        let first_failure = card.correctness.iter().find(|k| !k.passed).unwrap();
        if c.trick == "returns zeros" {
            // Caught at once: per-element and norm (relative norm 1).
            assert_eq!(first_failure.phase, FRESH, "{}", c.trick);
            assert!(
                (first_failure.rel_norm - 1.0).abs() < 1e-12,
                "{first_failure:?}"
            );
        } else {
            // Right on every fresh-input check (the poison defeats it), wrong after the timed
            // loop's repeated runs with regenerated inputs.
            assert!(
                card.correctness
                    .iter()
                    .filter(|k| k.phase == FRESH)
                    .all(|k| k.passed),
                "{}: {:?}",
                c.trick,
                card.reasons
            );
            assert_eq!(first_failure.phase, REPEATED, "{}", c.trick);
            let why = first_failure.why.as_deref().unwrap();
            assert!(why.contains("keeps results between calls"), "{why}");
        }
    }
}

#[test]
fn a_kernel_that_writes_nothing_fails_on_nan_poison() {
    // The stubs write nothing: every output keeps the NaN poison (or, in place, its input).
    let gpu = Gpu::emulator();
    let ex = grade::find("fusion").unwrap();
    let card = grade::grade(&gpu, ex, Answer::Kernel(ex.symbols[0]), &opts(5)).unwrap();
    let c = &card.correctness[0];
    assert!(!c.passed && c.non_finite == c.elements, "{c:?}");
    assert!(c.why.as_deref().unwrap().contains("NaN or infinite"));
}

#[test]
fn the_challenge_files_agree_with_the_exercise_table() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("challenges");
    let mut names = Vec::new();
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let c = challenge::Challenge::load(&path).unwrap();
        let e = grade::find(&c.name).unwrap();
        assert_eq!(e.chapter, "challenge", "{}", path.display());
        assert_eq!(e.ladder, c.op, "{}", path.display());
        assert_eq!(e.baseline, c.baseline, "{}", path.display());
        assert_eq!(e.goal, c.goal(), "{}", path.display());
        let ladder = kernel_lab::registry::find_ladder(&c.op).unwrap();
        c.options(ladder, 0).unwrap();
        names.push(c.name);
    }
    names.sort();
    let mut want: Vec<&str> = EXERCISES
        .iter()
        .filter(|e| e.chapter == "challenge")
        .map(|e| e.name)
        .collect();
    want.sort();
    assert_eq!(names, want);
}

#[test]
fn the_course_docs_list_every_exercise_and_its_file() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/course/exercises.md")).unwrap();
    for e in EXERCISES.iter().filter(|e| e.chapter != "challenge") {
        let row = format!(
            "| `{}` | [{}]({}.md) | {}/{} → {}/{} | `{}` |",
            e.name, e.chapter, e.chapter, e.ladder, e.baseline, e.ladder, e.solution, e.file
        );
        assert!(
            doc.contains(&row),
            "docs/course/exercises.md lacks the row\n{row}"
        );
    }
    let doc = std::fs::read_to_string(root.join("docs/course/challenge.md")).unwrap();
    for e in EXERCISES.iter().filter(|e| e.chapter == "challenge") {
        assert!(
            doc.contains(e.name) && doc.contains(e.file),
            "challenge.md: {}",
            e.name
        );
    }
}

#[test]
fn the_json_card_has_what_an_instructor_reads() {
    let (code, out, err) = klab(
        &["grade", "fusion", "--solution", "--emulate", "--json"],
        &[("KLAB_SEED", "7")],
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["exercise"], "fusion");
    assert_eq!(v["status"], "passed");
    assert_eq!(v["answer_kind"], "solution");
    assert_eq!(v["emulated"], true);
    assert_eq!(v["speed"]["graded"], false);
    let checks = v["correctness"].as_array().unwrap();
    assert!(checks.len() >= 3);
    for key in [
        "shape",
        "phase",
        "seed",
        "passed",
        "rel_norm",
        "max_abs_err",
        "norm_bound",
    ] {
        assert!(checks[0].get(key).is_some(), "no correctness[].{key}");
    }
    assert_eq!(checks[0]["seed"], 7);
    if v["review"].is_object() {
        for key in ["registers", "spill_stores", "smem_bytes", "instructions"] {
            assert!(
                v["review"]["answer"][key].is_number(),
                "review.answer.{key}"
            );
        }
        assert!(v["review"]["mix"].is_array());
    } else {
        assert!(v["review_note"].is_string());
    }

    let (code, out, _) = klab(
        &[
            "grade",
            "fusion",
            "--kernel",
            "exercise_cheat_cached",
            "--emulate",
            "--json",
        ],
        &[],
    );
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"], "failed");
    assert!(!v["reasons"].as_array().unwrap().is_empty());
}

#[test]
fn challenge_results_are_written_and_ranked() {
    let dir = tempfile::tempdir().unwrap();
    let file = |n: &str| dir.path().join(n).display().to_string();
    let challenge = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/challenges/challenge-transpose.toml"
    );
    let (code, _, err) = klab(
        &[
            "grade",
            "--challenge",
            challenge,
            "--solution",
            "--emulate",
            "--learner",
            "ada",
            "--json",
            &file("ada.json"),
        ],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let (code, _, _) = klab(
        &[
            "grade",
            "--challenge",
            challenge,
            "--kernel",
            "exercise_challenge_transpose",
            "--emulate",
            "--learner",
            "bob",
            "--json",
            &file("bob.json"),
        ],
        &[],
    );
    assert_eq!(code, 1, "the empty stub fails the challenge");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file("ada.json")).unwrap()).unwrap();
    assert_eq!(v["learner"], "ada");
    assert_eq!(v["challenge"], "challenge-transpose");
    assert_eq!(v["passed"], true);
    assert_eq!(v["card"]["exercise"], "challenge-transpose");
    let (code, out, err) = klab(
        &["grade", "--rank", &file("bob.json"), &file("ada.json")],
        &[],
    );
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines[1].contains("ada") && lines[1].contains("yes"),
        "{out}"
    );
    assert!(lines[2].contains("bob") && lines[2].contains("no"), "{out}");
}

#[test]
fn exit_statuses_and_usage_errors() {
    let (code, out, err) = klab(&["grade", "grid-stride", "--emulate"], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("NOT IMPLEMENTED") && err.contains("not implemented"),
        "{out}{err}"
    );
    let (code, _, err) = klab(&["grade", "grid-strid"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean grid-stride?"), "{err}");
    let (code, _, err) = klab(&["grade", "fusion", "--kernel", "exercise_cheat_nope"], &[]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = klab(
        &[
            "grade",
            "grid-stride",
            "--kernel",
            "exercise_cheat_zeros",
            "--emulate",
        ],
        &[],
    );
    assert_eq!(code, 2, "a cheat for another exercise: {err}");
    let (code, _, _) = klab(&["grade"], &[]);
    assert_eq!(code, 2);
    let (code, out, _) = klab(&["grade", "--list"], &[]);
    assert_eq!(code, 0);
    for e in EXERCISES {
        assert!(out.contains(e.name), "{out}");
    }
    if !kernel_lab::runtime::driver_present() {
        let (code, _, err) = klab(
            &["grade", "fusion", "--solution"],
            &[("KLAB_REQUIRE_GPU", "1")],
        );
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("KLAB_REQUIRE_GPU=1"), "{err}");
    }
}
