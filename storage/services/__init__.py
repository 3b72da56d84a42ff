"""Service functions: the domain's use cases. They take a session and plain values,
enforce the rules, raise storage.errors, and never commit."""
