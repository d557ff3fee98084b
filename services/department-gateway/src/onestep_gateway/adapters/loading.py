"""Finds the department adapter named in settings among the installed entry points."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from onestep_contracts.adapters import DepartmentAdapter

GROUP = "onestep.gateway_adapters"


class UnknownAdapter(LookupError):
    pass


def load_adapter(name: str, config: Path) -> DepartmentAdapter:
    found = {entry.name: entry for entry in entry_points(group=GROUP)}
    if name not in found:
        raise UnknownAdapter(f"no adapter {name!r} in entry-point group {GROUP}; installed: {sorted(found)}")
    return found[name].load().from_config(config)
