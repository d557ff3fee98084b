"""Writes the JSON Schema of every event type, for adapters written in any language.

Usage: onestep-schemas [OUTPUT_DIR]   (default: libs/contracts/schemas)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .envelope import dataschema_for
from .events import EVENT_TYPES

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "schemas"


def event_schemas() -> dict[str, dict]:
    """File name → JSON Schema, one per event type and version."""
    schemas = {}
    for event_type, model in EVENT_TYPES.items():
        schema = model.model_json_schema(mode="serialization")
        schema["$id"] = dataschema_for(model)
        schema["title"] = event_type
        schemas[f"{event_type}.v{model.VERSION}.json"] = schema
    return schemas


def write_schemas(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in event_schemas().items():
        path = directory / name
        path.write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    directory = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DIR
    for path in write_schemas(directory):
        print(path)


if __name__ == "__main__":
    main()
