# The two commands of the README.
.PHONY: demo test bench fuzz dist

## Runs the demo server on http://127.0.0.1:8080/ (echo, chat, a browser page).
demo:
	cargo run --release -p wsengine-tokio --example demo -- $(ARGS)

## Runs every test of the repository, installing what a fresh machine lacks.
test:
	bash scripts/test.sh

## Runs every benchmark (Rust, Python, Node, WASM, next to their peers) and rewrites docs/benchmarks.md.
bench:
	bash scripts/bench.sh

## Writes the release artifacts to dist/: wheel, sdist, npm tarballs (native, platform, wasm), crate.
dist:
	bash scripts/dist.sh

## Long fuzzing run of every target (see fuzz/README.md).
fuzz:
	bash fuzz/run.sh $(SECONDS_PER_TARGET)
