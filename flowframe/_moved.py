"""Old import paths of modules that moved into the layer packages keep importing.

flowframe 0.1 had ``flowframe.engine``, ``flowframe.hosted``, ``flowframe.decision``,
``flowframe.calibration`` and ``flowframe.samples`` at the top; they now live in
:mod:`flowframe.sources`. ``import flowframe.engine.greeks`` (and ``from flowframe import
calibration``) still work and give the *same* module object as the new path, so classes and
module state are never duplicated. The finder only answers for the names below.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

__all__ = ["MOVED", "install"]

#: Old dotted name -> new dotted name (a prefix maps its submodules too).
MOVED: Final = {
    "flowframe.decision.snapshot": "flowframe.sources.engine.decision.body",
    "flowframe.decision": "flowframe.sources.engine.decision",
    "flowframe.engine": "flowframe.sources.engine",
    "flowframe.hosted": "flowframe.sources.hosted",
    "flowframe.calibration": "flowframe.sources.engine.calibration",
    "flowframe.samples": "flowframe.sources.samples",
}


def new_name(old: str) -> str | None:
    """Return where the module once called ``old`` lives now, or None if it did not move."""
    for before, after in MOVED.items():
        if old == before or old.startswith(before + "."):
            return after + old[len(before) :]
    return None


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answer an old name with the module at its new name (imported there, once)."""

    def __init__(self) -> None:
        # the import system rebinds a created module's __spec__ to ours: keep the real one
        self._specs: dict[str, importlib.machinery.ModuleSpec | None] = {}

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if new_name(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        target = new_name(spec.name)
        assert target is not None
        module = importlib.import_module(target)
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        for old, real in list(self._specs.items()):
            if real is not None and real.name == module.__name__:
                module.__spec__ = self._specs.pop(old)


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (before the path finder would load a copy)."""
    if not any(isinstance(f, _MovedFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _MovedFinder())
