"""CadreSim experiments: running, storing, summarising and plotting model runs."""
