"""Plumbing shared by onestep's services. It holds no domain logic and no service's code."""
