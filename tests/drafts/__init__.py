"""Announcement drafts."""
