"""Gold: Amazon Personalize datasets (interactions, items, users), preflight, export, and analyst tables."""
