use clap::Parser;

fn main() {
    let cli = custseg::cli::Cli::parse();
    match custseg::cmd::dispatch(cli) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
