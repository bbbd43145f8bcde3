"""The engine through its service layer: recording, re-planning, files, procedures."""
