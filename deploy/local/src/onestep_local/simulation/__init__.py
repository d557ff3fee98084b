"""`onestep-simulate`: applicants and their cases driven through the running system."""
