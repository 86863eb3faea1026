"""Plain-Python models of the editor (no Qt): the session, projects, recovery files, the
opened clip and the requests built from the settings. Importable and testable without Qt."""
