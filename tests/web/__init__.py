"""The dashboard and the API over HTTP: access, pages, forms, exports, limits."""
