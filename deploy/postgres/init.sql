-- One database per event-sourced store; the eventsourcing library creates its tables.
CREATE DATABASE case_ledger;
CREATE DATABASE notify;
