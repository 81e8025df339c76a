"""Canonical models: the shapes every source is mapped onto in silver (see conf/sources.yaml `mapping`).

Each model is an ordered mapping of field name -> Spark SQL type. A contract's mapping may fill any subset; the
fields it leaves out are null.
"""

from __future__ import annotations

CUSTOMER_FIELDS: dict[str, str] = {
    "source_key": "STRING",
    "title": "STRING",
    "first_name": "STRING",
    "last_name": "STRING",
    "full_name": "STRING",
    "email": "STRING",
    "phone": "STRING",
    "address_line1": "STRING",
    "city": "STRING",
    "postcode": "STRING",
    "country": "STRING",
    "date_of_birth": "DATE",
    "gender": "STRING",
    "loyalty_id": "STRING",
    "loyalty_tier": "STRING",
    "marketing_consent": "BOOLEAN",
    "created_at": "TIMESTAMP",
    "updated_at": "TIMESTAMP",
}

TOUCHPOINT_FIELDS: dict[str, str] = {
    "touchpoint_id": "STRING",
    "account_key": "STRING",
    "loyalty_key": "STRING",
    "anonymous_id": "STRING",
    "channel": "STRING",
    "event_type": "STRING",
    "item_id": "STRING",
    "quantity": "INT",
    "value": "DOUBLE",
    "currency": "STRING",
    "occurred_at": "TIMESTAMP",
    "session_id": "STRING",
    "device": "STRING",
    "search_query": "STRING",
}

ITEM_FIELDS: dict[str, str] = {
    "item_id": "STRING",
    "name": "STRING",
    "description": "STRING",
    "brand": "STRING",
    "category_path": "STRING",
    "price": "DOUBLE",
    "currency": "STRING",
    "launched_at": "DATE",
    "active": "BOOLEAN",
}

# Enrichment sources keep their own attribute names; only their key is fixed by the contract.
MODELS: dict[str, dict[str, str] | None] = {
    "customer": CUSTOMER_FIELDS,
    "touchpoint": TOUCHPOINT_FIELDS,
    "item": ITEM_FIELDS,
    "enrichment": None,
}
