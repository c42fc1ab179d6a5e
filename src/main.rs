use clap::Parser;

fn main() {
    let cli = custseg::cli::Cli::parse();
    let log = cli.log.clone();
    if let Err(e) = custseg::cmd::dispatch(cli) {
        custseg::log::report_error(&log, &e);
        std::process::exit(e.exit_code());
    }
}
