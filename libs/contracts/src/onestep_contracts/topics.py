"""Kafka topic names. Every topic is keyed by case_id, so the events of one case are ordered."""

APPLICATIONS = "onestep.applications"
DECISIONS = "onestep.decisions"
CASES = "onestep.cases"
# The ledger's tasks for the departments' gateways (a task opened after the licences it waited
# for, or for a new round; a task cancelled), apart from the case events: a gateway reads its
# applications and these, not every case's story, which notify reads for the portals.
TASKS = "onestep.tasks"
DEAD_LETTERS = "onestep.dead-letters"

ALL = (APPLICATIONS, DECISIONS, CASES, TASKS, DEAD_LETTERS)
