//! Replays one input through one target: `cargo run --example replay -- <target> <file>`
//! (set `WSFUZZ_TRACE=1` to print every step of the connection targets).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, target, file] = &args[..] else {
        eprintln!("usage: replay <target> <file>");
        std::process::exit(2);
    };
    let data = std::fs::read(file).expect("read input");
    let (_, f) = wsengine_fuzz_harness::TARGETS
        .iter()
        .find(|(n, _)| n == target)
        .expect("unknown target");
    f(&data);
    eprintln!("ok");
}
