"""Phone leads: vanity numbers for callers and the calls Amazon Connect hands us."""
