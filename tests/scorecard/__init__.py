"""The evaluation of projects No. 1-4 and the score pages."""
