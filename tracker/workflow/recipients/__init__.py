"""Who receives a takedown notice: built-in platform directory, RDAP, security.txt, overrides."""
