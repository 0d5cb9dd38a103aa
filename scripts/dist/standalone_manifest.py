#!/usr/bin/env python3
"""Writes a crate's Cargo.toml that stands on its own, for a package that ships Rust sources
(the npm tarball's from-source build): every `key.workspace = true` takes the workspace's value,
the path to the core becomes `core` (the tarball carries it there), and an empty `[workspace]`
makes the package its own workspace root wherever it is unpacked (e.g. under node_modules/).

usage: standalone_manifest.py <workspace Cargo.toml> <crate Cargo.toml> <out>
"""
import re
import sys
import tomllib


def toml_value(v):
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    raise SystemExit(f"standalone_manifest: cannot write {v!r}")


def main(workspace, crate, out):
    with open(workspace, "rb") as f:
        inherited = tomllib.load(f)["workspace"]["package"]
    lines = []
    for line in open(crate, encoding="utf-8").read().splitlines():
        m = re.fullmatch(r"(\s*)([a-z-]+)\.workspace\s*=\s*true\s*", line)
        if m:
            key = m.group(2)
            if key not in inherited:
                raise SystemExit(f"standalone_manifest: the workspace has no package.{key}")
            line = f"{m.group(1)}{key} = {toml_value(inherited[key])}"
        line = line.replace('path = "../core"', 'path = "core"')
        lines.append(line)
    text = "\n".join(lines) + "\n"
    if "workspace = true" in text or "../" in text:
        raise SystemExit("standalone_manifest: something still points outside the package")
    text += (
        "\n# Its own workspace wherever it is unpacked; `core` is a plain path dependency.\n"
        "[workspace]\nexclude = [\"core\"]\n\n"
        "[profile.release]\nstrip = true\n"
    )
    tomllib.loads(text)  # it parses
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
