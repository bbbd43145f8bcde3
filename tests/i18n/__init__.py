"""Message catalogues and keys in kk, ru and en."""
