use clap::Parser;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = custseg::cli::Cli::parse();
    let log = cli.log.format();
    if let Err(e) = custseg::cmd::dispatch(cli) {
        // A closed stdout ends the command quietly (`custseg validate | head`).
        if !e.is_silent() {
            custseg::log::report_error(log, &e);
        }
        std::process::exit(e.exit_code());
    }
}
