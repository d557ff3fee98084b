"""`onestep-rules check --catalogue DIR FILE...`: every problem of a department's rules files,
against the catalogue whose applications they decide.

A rule that cannot be evaluated counts as not holding (a guesthouse's form has no seats, so a
rule on seats lets it through), so a mistake in a rule never fails an application: it lets it
through. A misspelled field would approve every application silently. This finds such mistakes
before the gateway meets an application: a rule that does not compile; a field on no form of an
item routed to the department; a material, or a material asked for as missing, that no such
item lists; a rule that cannot be evaluated on a form that has every field it reads (CEL does
not compare a number with a text); a licence prefix for an approval the department does not
grant; a department the catalogue does not know, or to which no item in force is routed.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml
from pydantic import ValidationError

from onestep_contracts.catalogue import Catalogue, Item, check_catalogue
from onestep_contracts.catalogue_rules import FORM_FIELD, sample_forms
from onestep_contracts.errors import ContractError
from onestep_contracts.expressions import Condition

from .adapters.rules import Rule, RulesConfig

# `'code' in materials` (either quote): the materials a rule asks whether the applicant gave.
MATERIAL_NAMED = re.compile(r"""['"]([^'"]+)['"]\s+in\s+materials\b""")


def rules_problems(config: RulesConfig, catalogue: Catalogue) -> list[str]:
    department = config.department
    if department not in catalogue.departments:
        return [f"department {department!r} is not in the catalogue"]
    routed = [item for item in catalogue.in_force() if item.part(department) is not None]
    if not routed:
        return [f"no item in force is routed to {department}: its rules decide nothing"]
    fields = {name for item in routed for name in item.form_schema.get("properties", {})}
    materials = {material.code for item in routed for material in item.materials}
    problems = [
        f"rule {number} ({rule.when!r}): {problem}"
        for number, rule in enumerate(config.rules, start=1)
        for problem in _rule_problems(rule, routed, fields, materials, department)
    ]
    granted = {approval.code for item in routed for approval in item.part(department).approvals}
    problems += [
        f"licence prefix for {approval!r}, which {department} does not grant"
        for approval in sorted(set(config.licence_prefixes) - granted)
    ]
    return problems


def _rule_problems(rule: Rule, routed: list[Item], fields: set[str], materials: set[str], department: str) -> list[str]:
    """`fields` and `materials`: those of the forms and material lists of the items routed to the department."""
    try:
        condition = Condition(rule.when)
    except ContractError as exc:
        return [str(exc)]
    problems = []
    read = set(FORM_FIELD.findall(rule.when))
    if unknown := sorted(read - fields):
        problems.append(f"reads {unknown}, on no form of an item routed to {department}")
    if unlisted := sorted(set(MATERIAL_NAMED.findall(rule.when)) - materials):
        problems.append(f"names materials {unlisted}, which no item routed to {department} lists")
    if unlisted := sorted(set(rule.missing) - materials):
        problems.append(f"asks for missing {unlisted}, which no item routed to {department} lists")
    for item in routed:
        properties = item.form_schema.get("properties", {})
        if not read <= set(properties):
            continue  # a form without a field the rule reads: the rule does not hold there, by design
        for sample in sample_forms(properties):
            try:
                condition.evaluate_strictly(sample, materials=[])
            except ContractError as exc:
                problems.append(f"{exc} (on {item.code}'s form {sample})")
                break
    return problems


def file_problems(path: Path, catalogue: Catalogue) -> list[str]:
    try:
        config = RulesConfig.from_file(path)
    except (OSError, yaml.YAMLError) as exc:
        return [f"cannot be read: {exc}"]
    except ValidationError as exc:
        return [f"{'.'.join(str(part) for part in error['loc']) or 'file'}: {error['msg']}" for error in exc.errors()]
    return rules_problems(config, catalogue)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="onestep-rules", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="list every problem of rules files against a catalogue")
    check.add_argument("files", nargs="+", type=Path)
    check.add_argument("--catalogue", default="catalogue", help="the catalogue directory (default: catalogue)")
    arguments = parser.parse_args(argv)

    catalogue, problems = check_catalogue(arguments.catalogue)
    if catalogue is None:
        for problem in problems:
            print(f"problem: the catalogue: {problem}", file=sys.stderr)
        return 1
    failed = 0
    for path in arguments.files:
        if found := file_problems(path, catalogue):
            failed += 1
            for problem in found:
                print(f"problem: {path}: {problem}", file=sys.stderr)
        else:
            print(f"{path}: ok")
    if failed:
        print(f"{failed} of {len(arguments.files)} rules file(s) have problems", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
