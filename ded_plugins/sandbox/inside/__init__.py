"""Files that run inside the sandbox (standard library only); the worker imports them as top-level modules."""
