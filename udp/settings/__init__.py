"""What the configuration is made of, below udp/config.py and above nothing in the layers: the typed sections
(`matching` for silver's standardising, blocking, matching and survivorship; `gold` for the Personalize datasets,
export and preflight; `personalize` for the Personalize step and its local backend) and the vocabularies they are
checked against (`recipes`, the recipe catalogue; `names`, the resource naming rules; `metric_keys`, the offline
metrics a gate may name). The layers import their settings from here; nothing here imports a layer.
"""
