"""The web face of merzim: managers' dashboard, officers' forms, REST API, calendar feeds."""
