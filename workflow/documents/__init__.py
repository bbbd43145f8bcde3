"""The documents an internal analysis produces (the order with its work plan, the analytic
note, the action plan, the quarterly monitoring report), drafted from the case's data as DOCX
from templates an operator can replace (docs/operator-guide.md, "Document templates")."""
