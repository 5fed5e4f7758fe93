fn main() {
    eprintln!(
        "The numdialer TUI is not built yet; run `cargo run -p numdialer-server` for the server."
    );
    std::process::exit(2);
}
