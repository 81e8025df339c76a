"""`udp report`: the run report — one self-contained HTML file with charts of every layer and of the run history."""
