//! `klab`: kernel-lab's command line. See `klab --help`.

fn main() -> std::process::ExitCode {
    kernel_lab::cli::main()
}
