//! The `apiarist` command: see the library's docs, or run `apiarist help`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let cwd = std::env::current_dir().unwrap_or_else(|e| {
        eprintln!("error: no working directory: {e}");
        std::process::exit(1);
    });
    match apiarist_cli::run(&args, &cwd) {
        Ok(out) => print!("{out}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
