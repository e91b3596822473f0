"""Pure rules and records: no SQL, no HTTP, no clock reads (callers pass ``now``)."""
