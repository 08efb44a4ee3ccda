"""pytest plugin for deepalert (fixtures and reviewer cases)."""
