"""The merzim engine: process definitions, deadlines, state machine, storage, services, CLI."""
