"""`onestep-catalogue check [DIR]`: lists every problem of a catalogue directory.

Run it before committing a catalogue change (CI runs it through the tests): an unknown
material or department, a condition that does not compile or cannot be evaluated on a form
the schema allows, a form schema that does not compile, a department reading a material the
item does not list, a prerequisite no department grants, or departments needing each other.
"""

from __future__ import annotations

import argparse
import sys

from .catalogue import check_catalogue


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestep-catalogue", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="list every problem of a catalogue directory")
    check.add_argument("directory", nargs="?", default="catalogue")
    arguments = parser.parse_args(argv)

    catalogue, problems = check_catalogue(arguments.directory)
    if catalogue is None:
        for problem in problems:
            print(f"problem: {problem}", file=sys.stderr)
        print(f"{arguments.directory}: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    items = catalogue.in_force()
    print(f"{arguments.directory}: {len(items)} items in force, {len(catalogue.departments)} departments, ok")
    for item in items:
        print(f"  {item.code} v{item.version}: {len(item.departments)} departments, {len(item.materials)} materials")
    return 0


if __name__ == "__main__":
    sys.exit(main())
