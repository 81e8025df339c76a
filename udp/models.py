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
    "national_id": "STRING",
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


# ---------------------------------------------------------------------------------------------------------------------
# Silver tables read by gold (the contract between the layers). Column order as written.
# ---------------------------------------------------------------------------------------------------------------------

SURVIVING_ATTRIBUTES = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address_line1",
    "city",
    "postcode",
    "country",
    "date_of_birth",
    "gender",
    "loyalty_id",
    "national_id",
    "loyalty_tier",
    "marketing_consent",
)

# Columns that identify a person, in any layer: never in a Personalize dataset or export, and out of
# gold.customer_360 unless configured. gold's PII guard always includes these (conf/gold.yaml can only add).
PII_FIELDS: tuple[str, ...] = (
    "title",
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "address_line1",
    "city",
    "postcode",
    "postcode_district",
    "date_of_birth",
    "loyalty_id",
    "national_id",
    "anonymous_id",
    "session_id",
    "search_query",
)

# silver.customers: one golden record per customer_id; `<attribute>_source` names the record that supplied it
# (e.g. 'crm:C00012345'); enrichment columns come from the enrichment source joined on the postcode district.
SILVER_CUSTOMERS_DDL = (
    "customer_id STRING, first_name STRING, last_name STRING, email STRING, phone STRING, address_line1 STRING, "
    "city STRING, postcode STRING, country STRING, date_of_birth DATE, gender STRING, loyalty_id STRING, "
    "national_id STRING, loyalty_tier STRING, marketing_consent BOOLEAN, "
    + ", ".join(f"{a}_source STRING" for a in SURVIVING_ATTRIBUTES)
    + ", postcode_district STRING, income_band STRING, urban_rural STRING, region STRING, "
    "record_count INT, sources ARRAY<STRING>, first_seen_at TIMESTAMP, updated_at TIMESTAMP"
)

# silver.items: the conformed catalogue (latest ERP version per SKU).
SILVER_ITEMS_DDL = (
    "item_id STRING, name STRING, description STRING, brand STRING, category_path STRING, category_l1 STRING, "
    "category_l2 STRING, category_l3 STRING, price DOUBLE, currency STRING, launched_at DATE, active BOOLEAN, "
    "updated_at TIMESTAMP"
)

# silver.touchpoints: every interaction of every channel. customer_id is null when the event cannot be tied to a
# customer; identity_method says how it was tied: account | loyalty | record | session | device | none.
# event_type: view | add_to_cart | search | purchase | support_contact (whatever the contracts map).
SILVER_TOUCHPOINTS_DDL = (
    "touchpoint_id STRING, source STRING, customer_id STRING, identity_method STRING, anonymous_id STRING, "
    "channel STRING, event_type STRING, item_id STRING, quantity INT, value DOUBLE, currency STRING, "
    "occurred_at TIMESTAMP, event_date DATE, session_id STRING, device STRING, search_query STRING"
)
