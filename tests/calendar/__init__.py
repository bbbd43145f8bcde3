"""The Kazakh production calendar: its years, its fast tables, the operator's overrides."""
