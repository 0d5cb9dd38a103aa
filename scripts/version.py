#!/usr/bin/env python3
"""The one version of every wsengine package lives in Cargo.toml ([workspace.package] version).

    python3 scripts/version.py            check that every package follows it (exit 1 if not)
    python3 scripts/version.py set X.Y.Z  write X.Y.Z there and into every follower

Followers: the npm packages' package.json and package-lock.json (wsengine, wsengine-wasm), the
wasm crate (its own workspace, so it cannot inherit), CHANGELOG.md's newest section, and (checked
only, `set` leaves them to you) the `version` of a workspace crate's dependency on wsengine. The
Python package takes the version from Cargo through maturin (pyproject `dynamic = ["version"]`),
the Rust crates inherit it, and the npm platform packages are written by scripts/dist.sh.
"""
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEMVER = r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?"


def source():
    return tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["package"]["version"]


def followers():
    """(file, found version, function that rewrites the text to a new version)."""
    out = []
    for pkg in ["bindings-node", "bindings-wasm"]:
        p = ROOT / pkg / "package.json"
        out.append((p, json.loads(p.read_text())["version"], json_version))
        lock = ROOT / pkg / "package-lock.json"
        if lock.exists():
            data = json.loads(lock.read_text())
            out.append((lock, data.get("version"), lock_version))
    wasm = ROOT / "bindings-wasm" / "Cargo.toml"
    out.append((wasm, tomllib.loads(wasm.read_text())["package"]["version"], cargo_version))
    # Workspace crates that depend on the core with a version as well as a path (needed to
    # publish them): that version must be the core's.
    members = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]
    for member in members:
        manifest = ROOT / member / "Cargo.toml"
        if not manifest.exists():
            continue
        data = tomllib.loads(manifest.read_text())
        for table in ("dependencies", "dev-dependencies", "build-dependencies"):
            dep = data.get(table, {}).get("wsengine")
            if isinstance(dep, dict) and "version" in dep:
                out.append((manifest, dep["version"].lstrip("=^"), None))
    changelog = ROOT / "CHANGELOG.md"
    m = re.search(rf"^## \[?({SEMVER})\]?", changelog.read_text(), re.M)
    out.append((changelog, m.group(1) if m else None, None))
    return out


def json_version(text, new):
    return re.sub(rf'^(  "version": )"{SEMVER}"', rf'\g<1>"{new}"', text, count=1, flags=re.M)


def lock_version(text, new):
    # The root's version, at the top and in packages[""].
    text = re.sub(rf'^(  "version": )"{SEMVER}"', rf'\g<1>"{new}"', text, count=1, flags=re.M)
    return re.sub(rf'("": \{{\n      "name": "[^"]+",\n      "version": )"{SEMVER}"', rf'\g<1>"{new}"', text, count=1)


def cargo_version(text, new):
    return re.sub(rf'^version = "{SEMVER}"', f'version = "{new}"', text, count=1, flags=re.M)


def check():
    want = source()
    pyproject = tomllib.loads((ROOT / "bindings-python" / "pyproject.toml").read_text())
    bad = []
    if "version" not in pyproject["project"].get("dynamic", []):
        bad.append("bindings-python/pyproject.toml: version must be dynamic (from Cargo)")
    for path, found, _ in followers():
        if found != want:
            bad.append(f"{path.relative_to(ROOT)}: {found} (Cargo.toml says {want})")
    for line in bad:
        print(f"version: {line}", file=sys.stderr)
    if not bad:
        print(f"version {want}: every package follows Cargo.toml")
    return 1 if bad else 0


def set_version(new):
    if not re.fullmatch(SEMVER, new):
        raise SystemExit(f"version: {new!r} is not X.Y.Z")
    cargo = ROOT / "Cargo.toml"
    text = cargo.read_text()
    head, sep, rest = text.partition("[workspace.package]")
    cargo.write_text(head + sep + cargo_version(rest, new))
    for path, _, rewrite in followers():
        if rewrite is not None:
            path.write_text(rewrite(path.read_text(), new))
    print(f"version: set {new}; add its section to CHANGELOG.md")
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args:
        sys.exit(check())
    if len(args) == 2 and args[0] == "set":
        sys.exit(set_version(args[1]))
    raise SystemExit(__doc__)
