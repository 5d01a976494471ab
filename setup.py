"""Build steps: the wheel carries the top-level ``schemas/`` inside the package, and the C loop
that counts facets (``archive/index/_counting.c``).

The metadata is in ``pyproject.toml``; this file adds one step to ``build_py``, and the C
extension, optional: where it cannot be compiled (no C compiler) the install goes on without it
and the archive counts facets with NumPy alone, to the same counts, 4-5 times slower. The
schemas stay at the top of the repository (``schemas/``, their source of truth), and a built
wheel (``pip install .``, ``make wheel``) gets a copy as ``archive/schemas/`` so that an
installed archive reads nothing from a checkout; ``archive.config.SCHEMAS_DIR`` finds either.
An editable install (``make venv``) copies nothing: it reads ``schemas/`` in place.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

#: The files an archive reads at run time (validation, deposit zips); ``make_rng.py`` and the
#: README are for whoever regenerates the grammar, from a checkout.
SCHEMA_FILES = ("archive.odd", "archive.rng", "archive.sch")


class BuildPyWithSchemas(build_py):
    """``build_py`` that also copies ``schemas/`` to ``archive/schemas/`` in the build tree."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "archive" / "schemas"
        self.mkpath(str(target))
        for name in SCHEMA_FILES:
            self.copy_file(str(Path("schemas") / name), str(target / name))

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            target = Path(self.build_lib) / "archive" / "schemas"
            outputs += [str(target / name) for name in SCHEMA_FILES]
        return outputs


setup(cmdclass={"build_py": BuildPyWithSchemas},
      ext_modules=[Extension("archive.index._counting", ["archive/index/_counting.c"],
                             optional=True)])
