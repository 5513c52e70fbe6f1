"""kg: English news articles → a knowledge graph of companies, people and policies (RDF)."""

__version__ = "0.1.0"
