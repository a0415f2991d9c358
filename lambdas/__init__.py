"""Lambda handlers, one package per function: thin code that parses an event and calls `shared`."""
