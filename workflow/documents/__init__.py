"""The documents an internal analysis produces (the order with its work plan, the analytic
note, the action plan, the quarterly monitoring report) and the papers of the other procedures
(a conflict of interest's, a gift's, those an operator's procedure declares in its `[papers]`
table), drafted from the case's data as DOCX from templates an operator can replace
(docs/operator-guide.md, "Document templates")."""
