"""Leadflow's shared package: the domain models, the domain logic and the adapters to AWS.

Every Lambda gets this package in its asset. It imports nothing else of the repo.
"""
