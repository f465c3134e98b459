//! The `latchkey` binary: parse the command line and hand over to the CLI module.

use clap::Parser;

fn main() -> std::process::ExitCode {
    latchkey::infra::memory::tune_allocator();
    let cli = latchkey::cli::Cli::parse();
    match latchkey::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            latchkey::infra::telemetry::command_failed(&e);
            std::process::ExitCode::FAILURE
        }
    }
}
