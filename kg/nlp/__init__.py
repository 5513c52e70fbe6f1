"""spaCy side of kg: the pipeline, entity fixes and the relation patterns."""
