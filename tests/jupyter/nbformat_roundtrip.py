"""For each IN OUT pair of arguments: OUT = what nbformat writes for IN read
without conversion (the reference for notebook_write)."""
import sys

import nbformat

args = sys.argv[1:]
for src, dst in zip(args[0::2], args[1::2]):
    with open(src, encoding="utf-8") as f:
        nb = nbformat.reads(f.read(), as_version=nbformat.NO_CONVERT)
    with open(dst, "w", encoding="utf-8") as f:
        f.write(nbformat.writes(nb) + "\n")
