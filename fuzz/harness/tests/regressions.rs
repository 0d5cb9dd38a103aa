//! Replays every saved input through its target: the crashes fuzzing found
//! (`fuzz/regressions/<target>/`) and the committed seeds (`fuzz/seeds/<target>/`).
//! Runs on stable Rust with `cargo test` in `fuzz/`.

use std::fs;
use std::path::Path;

fn replay(dir: &str) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(dir);
    let mut count = 0;
    for (name, target) in wsengine_fuzz_harness::TARGETS {
        let Ok(entries) = fs::read_dir(root.join(name)) else {
            continue;
        };
        let mut files: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for file in files {
            let data = fs::read(&file).expect("read input");
            eprintln!("{name}: {}", file.display());
            target(&data);
            count += 1;
        }
    }
    count
}

#[test]
fn regressions() {
    replay("regressions");
}

#[test]
fn seeds() {
    replay("seeds");
}
