//! Which CUDA driver loads which PTX ISA, and which devices run which PTX target.

/// A `major.minor` version (PTX ISA 7.8, CUDA 12.0).
pub type Version = (u32, u32);

/// Each PTX ISA version and the CUDA release that introduced it, from the release history in
/// the PTX ISA manual ("Release Notes", docs.nvidia.com/cuda/parallel-thread-execution). A
/// driver JIT-compiles PTX up to the ISA of its own CUDA version, so this is also the oldest
/// driver that loads it. ISA 8.6 came with CUDA 12.7, which had no public toolkit; since
/// CUDA 13.0, ISA 9.x pairs with CUDA 13.x.
const PTX_ISA_CUDA: &[(Version, Version)] = &[
    ((1, 0), (1, 0)),
    ((1, 1), (1, 1)),
    ((1, 2), (2, 0)),
    ((1, 3), (2, 1)),
    ((1, 4), (2, 2)),
    ((2, 0), (3, 0)),
    ((2, 1), (3, 1)),
    ((2, 2), (3, 2)),
    ((2, 3), (4, 0)),
    ((3, 0), (4, 1)),
    ((3, 1), (5, 0)),
    ((3, 2), (5, 5)),
    ((4, 0), (6, 0)),
    ((4, 1), (6, 5)),
    ((4, 2), (7, 0)),
    ((4, 3), (7, 5)),
    ((5, 0), (8, 0)),
    ((6, 0), (9, 0)),
    ((6, 1), (9, 1)),
    ((6, 2), (9, 2)),
    ((6, 3), (10, 0)),
    ((6, 4), (10, 1)),
    ((6, 5), (10, 2)),
    ((7, 0), (11, 0)),
    ((7, 1), (11, 1)),
    ((7, 2), (11, 2)),
    ((7, 3), (11, 3)),
    ((7, 4), (11, 4)),
    ((7, 5), (11, 5)),
    ((7, 6), (11, 6)),
    ((7, 7), (11, 7)),
    ((7, 8), (11, 8)),
    ((8, 0), (12, 0)),
    ((8, 1), (12, 1)),
    ((8, 2), (12, 2)),
    ((8, 3), (12, 3)),
    ((8, 4), (12, 4)),
    ((8, 5), (12, 5)),
    ((8, 6), (12, 7)),
    ((8, 7), (12, 8)),
    ((8, 8), (12, 9)),
    ((9, 0), (13, 0)),
    ((9, 1), (13, 1)),
    ((9, 2), (13, 2)),
    ((9, 3), (13, 3)),
    ((9, 4), (13, 4)),
    ((9, 5), (13, 5)),
];

/// `"7.8"` → `(7, 8)`, `"12"` → `(12, 0)`.
pub fn parse_version(s: &str) -> Option<Version> {
    let (major, minor) = s.trim().split_once('.').unwrap_or((s.trim(), "0"));
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// `(12, 0)` → `"12.0"`.
pub fn show((major, minor): Version) -> String {
    format!("{major}.{minor}")
}

/// The oldest CUDA driver that loads PTX of ISA `isa`, or `None` for an ISA the table does
/// not know (newer than it).
pub fn cuda_for_ptx_isa(isa: Version) -> Option<Version> {
    PTX_ISA_CUDA
        .iter()
        .find(|(i, _)| *i == isa)
        .map(|(_, cuda)| *cuda)
}

/// Whether a driver for CUDA `driver` loads PTX of ISA `isa`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverFit {
    /// It does; the ISA needs CUDA `needs` or newer.
    Loads { needs: Version },
    /// It is too old: the ISA needs CUDA `needs` or newer.
    TooOld { needs: Version },
    /// The ISA is not in the table.
    Unknown,
}

/// See [`DriverFit`].
pub fn driver_fit(driver: Version, isa: Version) -> DriverFit {
    match cuda_for_ptx_isa(isa) {
        Some(needs) if driver >= needs => DriverFit::Loads { needs },
        Some(needs) => DriverFit::TooOld { needs },
        None => DriverFit::Unknown,
    }
}

/// A PTX `.target` (`sm_80`, `sm_90a`, `sm_100f`) as its compute capability and suffix.
pub fn parse_target(target: &str) -> Option<((i32, i32), Option<char>)> {
    let rest = target.strip_prefix("sm_")?;
    let (digits, suffix) = match rest.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, c)) if i + c.len_utf8() == rest.len() => (&rest[..i], Some(c)),
        Some(_) => return None,
        None => (rest, None),
    };
    if digits.len() < 2 {
        return None;
    }
    let (major, minor) = digits.split_at(digits.len() - 1);
    Some(((major.parse().ok()?, minor.parse().ok()?), suffix))
}

/// Whether PTX for `target` runs on a device of compute capability `cc`: plain targets on
/// that capability and every newer one (the driver JIT-compiles them), `a` targets
/// (`sm_90a`) on exactly that one, `f` targets (`sm_100f`) on the same major version from
/// that minor on. `None` for a target that cannot be parsed.
pub fn target_runs_on(target: &str, cc: (i32, i32)) -> Option<bool> {
    let (min, suffix) = parse_target(target)?;
    Some(match suffix {
        None => cc >= min,
        Some('a') => cc == min,
        Some('f') => cc.0 == min.0 && cc.1 >= min.1,
        Some(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ptx_isa_needs_the_driver_of_its_cuda_release() {
        assert_eq!(cuda_for_ptx_isa((7, 0)), Some((11, 0)));
        assert_eq!(cuda_for_ptx_isa((7, 8)), Some((11, 8)));
        assert_eq!(cuda_for_ptx_isa((8, 0)), Some((12, 0)));
        assert_eq!(cuda_for_ptx_isa((8, 6)), Some((12, 7)), "12.6 kept ISA 8.5");
        assert_eq!(cuda_for_ptx_isa((9, 0)), Some((13, 0)));
        assert_eq!(cuda_for_ptx_isa((9, 9)), None);
        // The table is in order, and both columns only grow.
        for w in PTX_ISA_CUDA.windows(2) {
            assert!(w[0].0 < w[1].0 && w[0].1 < w[1].1, "{w:?}");
        }
    }

    #[test]
    fn a_driver_loads_ptx_up_to_its_own_cuda_version() {
        let needs = (11, 8);
        assert_eq!(driver_fit((13, 0), (7, 8)), DriverFit::Loads { needs });
        assert_eq!(driver_fit((11, 8), (7, 8)), DriverFit::Loads { needs });
        assert_eq!(driver_fit((11, 7), (7, 8)), DriverFit::TooOld { needs });
        assert_eq!(
            driver_fit((12, 9), (9, 0)),
            DriverFit::TooOld { needs: (13, 0) }
        );
        // 12.10 is newer than 12.9: versions compare as numbers, not as text.
        assert_eq!(
            driver_fit((12, 10), (8, 8)),
            DriverFit::Loads { needs: (12, 9) }
        );
        assert_eq!(driver_fit((13, 0), (10, 0)), DriverFit::Unknown);
    }

    #[test]
    fn versions_parse_and_print() {
        assert_eq!(parse_version("7.8"), Some((7, 8)));
        assert_eq!(parse_version(" 12 "), Some((12, 0)));
        assert_eq!(parse_version("12.10"), Some((12, 10)));
        assert_eq!(parse_version("x.1"), None);
        assert_eq!(show((13, 0)), "13.0");
    }

    #[test]
    fn targets_run_on_their_capability_and_as_the_suffix_allows() {
        assert_eq!(parse_target("sm_80"), Some(((8, 0), None)));
        assert_eq!(parse_target("sm_90a"), Some(((9, 0), Some('a'))));
        assert_eq!(parse_target("sm_100f"), Some(((10, 0), Some('f'))));
        for bad in ["sm80", "sm_8", "sm_90ab", "compute_90", "sm_"] {
            assert_eq!(parse_target(bad), None, "{bad}");
        }
        // Plain: that capability and newer.
        assert_eq!(target_runs_on("sm_80", (8, 0)), Some(true));
        assert_eq!(target_runs_on("sm_80", (9, 0)), Some(true));
        assert_eq!(target_runs_on("sm_80", (8, 6)), Some(true));
        assert_eq!(target_runs_on("sm_80", (7, 5)), Some(false));
        assert_eq!(target_runs_on("sm_90", (8, 9)), Some(false));
        // Architecture-specific: exactly that one.
        assert_eq!(target_runs_on("sm_90a", (9, 0)), Some(true));
        assert_eq!(target_runs_on("sm_90a", (10, 0)), Some(false));
        // Family: same major, that minor or newer.
        assert_eq!(target_runs_on("sm_100f", (10, 3)), Some(true));
        assert_eq!(target_runs_on("sm_100f", (12, 0)), Some(false));
        assert_eq!(target_runs_on("sm_90x", (9, 0)), None);
    }
}
