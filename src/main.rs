fn main() {
    std::process::exit(parwf::cli::main());
}
