"""Prints the newest GLIBC_x.y symbol version an ELF shared object needs (pyelftools, which
auditwheel brings into the dist venv), or exits 1 if it needs one newer than 2.17.

usage: python glibc_max.py <file.so>
"""
import sys

from elftools.elf.elffile import ELFFile
from elftools.elf.gnuversions import GNUVerNeedSection

versions = set()
with open(sys.argv[1], "rb") as f:
    for section in ELFFile(f).iter_sections():
        if isinstance(section, GNUVerNeedSection):
            for _, auxiliaries in section.iter_versions():
                for aux in auxiliaries:
                    if aux.name.startswith("GLIBC_"):
                        versions.add(tuple(int(x) for x in aux.name[6:].split(".")))
newest = max(versions)
print("GLIBC_" + ".".join(map(str, newest)))
sys.exit(1 if newest > (2, 17) else 0)
