"""The report forms and the national report's input."""
