"""The organisations' public pages, feeds and limits."""
