"""The cross-platform package: a programme's documents, one ZIP per sub-task of the
implementation map with its manifests and its report forms (appendices 2-6, kk and
ru, under the sub-tasks they confirm), and the day each sub-task was uploaded.

`rules` (pure: the map as data, the approver check 000:L45-69, safe ZIP names) · `map` (the
shipped `implementation_map.toml` or the operator's, read and checked) · `service` (build,
write, record an upload) · `cli` (`merzim package`, `uploaded`) · `web` (the ZIP download, the
upload form and API, the programme page's part) · `templates/`.
"""
