"""Dealpane's domain: typed SQLAlchemy models, their rules and the unit of work.

Imports neither Flask nor Microsoft Graph code.
"""
