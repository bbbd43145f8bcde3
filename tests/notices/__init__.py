"""The notification centre and reminder preferences."""
