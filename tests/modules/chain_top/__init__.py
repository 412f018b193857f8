"""Top of a dependency chain: chain_top -> example_ext -> example."""
