//! `klab`: kernel-lab's command line. See `klab --help`.

fn main() -> std::process::ExitCode {
    // Like other Unix tools, stop quietly when the reader of our output goes away
    // (`klab list | head`) instead of panicking on EPIPE: Rust ignores SIGPIPE by default.
    // SAFETY: restores the default action of one signal before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    kernel_lab::cli::main()
}
