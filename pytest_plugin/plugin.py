"""pytest plugin entry point; the fixtures arrive with the plugin issue."""
