"""The graph's namespaces and SPARQL prefixes as plain strings, so that what only moves RDF (kg export)
need not import rdflib; `kg.ontology` makes rdflib Namespaces of the same strings."""

STORE_DIR = "store"  # an output folder's Oxigraph store

KG = "https://w3id.org/kg-news/ontology#"
ID = "https://w3id.org/kg-news/id/"
SCHEMA = "https://schema.org/"
PROV = "http://www.w3.org/ns/prov#"

PREFIXES = {
    "kg": KG,
    "id": ID,
    "schema": SCHEMA,
    "prov": PROV,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "org": "http://www.w3.org/ns/org#",
    "wd": "http://www.wikidata.org/entity/",
}
