"""Knowledge base for customer-support teams: articles, revisions, hybrid search and suggestions."""

__version__ = "0.1.0"
