"""Monitoring after the note: reporting periods, reports, recommendations."""
