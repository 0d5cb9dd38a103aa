# The two commands of the README.
.PHONY: demo test bench bench-e2e fuzz dist

## Runs the demo server on http://127.0.0.1:8080/ (echo, chat, a browser page).
demo:
	cargo run --release -p wsengine-tokio --example demo -- $(ARGS)

## Runs every test of the repository, installing what a fresh machine lacks.
test:
	bash scripts/test.sh

## Runs every benchmark (Rust, Python, Node, WASM, next to their peers) and rewrites docs/benchmarks.md.
bench:
	bash scripts/bench.sh

## End-to-end benchmarks: every group of bench-e2e/servers.py under the same load generator
## (results in target/bench/e2e-*.json; `make bench` puts them in docs/benchmarks.md). BENCH_QUICK=1: short runs.
bench-e2e:
	python3 scripts/bench_e2e.py --group all $(if $(filter 1,$(BENCH_QUICK)),--quick)

## Writes the release artifacts to dist/: wheel, sdist, npm tarballs (native, platform, wasm), crate.
dist:
	bash scripts/dist.sh

## Long fuzzing run of every target (see fuzz/README.md).
fuzz:
	bash fuzz/run.sh $(SECONDS_PER_TARGET)
