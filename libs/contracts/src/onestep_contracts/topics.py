"""Kafka topic names. Every topic is keyed by case_id, so the events of one case are ordered."""

APPLICATIONS = "onestep.applications"
DECISIONS = "onestep.decisions"
CASES = "onestep.cases"
DEAD_LETTERS = "onestep.dead-letters"

ALL = (APPLICATIONS, DECISIONS, CASES, DEAD_LETTERS)
