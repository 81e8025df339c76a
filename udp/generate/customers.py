"""Customer-like sources: CRM members (latin-1 CSV), ecom accounts (JSON lines) and support tickets (CSV).

Volumes are bounded by the number of persons, so records are rendered one by one in Python from decisions drawn
in records.py (no random calls here except for the planted bad records).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from udp.generate import vocab as V
from udp.generate.ids import CRM_BAD_ID_BASE
from udp.generate.output import DataFile, TaskResult, raw_file, ymd
from udp.generate.params import rng_for
from udp.generate.people import FIRST_ASCII, FIRST_LATIN1, FIRST_NAMES, SURNAME_ASCII, SURNAME_LATIN1, SURNAMES
from udp.generate.records import ADDR_MISSING, ADDR_MOVED, EMAIL_OTHER, TITLES, UPDATE_EMAIL, UPDATE_MOVED, UPDATE_PHONE
from udp.generate.render import PHONE_STYLES_CRM, PHONE_STYLES_ECOM, PHONE_STYLES_SUPPORT, Renderer
from udp.generate.text import EPOCH, csv_line_py
from udp.generate.world import World

CRM_HEADER = (
    "customer_id;title;first_name;last_name;email;phone;address_line1;city;postcode;date_of_birth;gender;"
    "loyalty_card;loyalty_tier;created_at;updated_at"
)
SUPPORT_HEADER = "ticket_id,name,email,phone,channel,subject,sku,created_at"
CHUNK = 100_000
TIERS = ("Bronze", "Silver", "Gold")
GENDERS = ("F", "M", "U")


def dmy(epoch_days: int) -> str:
    d = EPOCH + dt.timedelta(days=epoch_days)
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def sql_ts(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch_s))


def iso_ts(epoch_s: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def _persons_view(w: World, persons: np.ndarray) -> dict[str, list[Any]]:
    """Python lists of the person facts a batch of records needs (one fancy index per column)."""
    return {
        "first": w.people.first[persons].tolist(),
        "last": w.people.last[persons].tolist(),
        "male": w.people.male[persons].tolist(),
        "dob": w.people.dob[persons].tolist(),
        "email": w.contacts.email.take(persons).to_pylist(),
        "alt_email": w.contacts.alt_email.take(persons).to_pylist(),
        "mobile": w.contacts.mobile[persons].tolist(),
        "alt_mobile": w.contacts.alt_mobile[persons].tolist(),
        "landline": w.households.person_landline[persons].tolist(),
        "addr": w.people.addr[persons].tolist(),
        "alt_addr": w.people.alt_addr[persons].tolist(),
    }


def _changed(
    kind: int, *, email_mode: int, mobile: int, alt_mobile: int, addr: list[int], alt_addr: list[int]
) -> tuple[int, int, list[int]]:
    """The fields of a record after an update of `kind`: moved address, new email or new phone."""
    if kind == UPDATE_MOVED:
        return email_mode, mobile, alt_addr
    if kind == UPDATE_EMAIL:
        return EMAIL_OTHER, mobile, addr
    if kind == UPDATE_PHONE:
        return email_mode, alt_mobile, addr
    return email_mode, mobile, addr


# --------------------------------------------------------------------------------------------------------------------
# CRM
# --------------------------------------------------------------------------------------------------------------------


def crm_lines(w: World, recs: np.ndarray, updated: np.ndarray) -> list[str]:
    r = Renderer()
    pv = _persons_view(w, w.crm.person[recs])
    cols = zip(
        w.crm.id[recs].tolist(),
        w.crm.title[recs].tolist(),
        w.crm.name_var[recs].tolist(),
        w.crm.salt[recs].tolist(),
        w.crm.email_mode[recs].tolist(),
        w.crm.phone_mode[recs].tolist(),
        w.crm.addr_mode[recs].tolist(),
        w.crm.gender[recs].tolist(),
        w.crm.card[recs].tolist(),
        w.crm.tier[recs].tolist(),
        w.crm.created[recs].tolist(),
        np.where(updated, w.crm.upd_ts[recs], w.crm.updated[recs]).tolist(),
        np.where(updated, w.crm.upd_kind[recs], -1).tolist(),
        strict=True,
    )
    lines = []
    for i, (cid, title, var, salt, emode, pmode, amode, gender, card, tier, created, upd, kind) in enumerate(cols):
        first, last = r.first_last(pv["first"][i], pv["last"][i], var, salt, latin1=True)
        email_mode, mob, addr = _changed(
            kind,
            email_mode=emode,
            mobile=pv["mobile"][i],
            alt_mobile=pv["alt_mobile"][i],
            addr=pv["alt_addr"][i] if amode == ADDR_MOVED else pv["addr"][i],
            alt_addr=pv["alt_addr"][i],
        )
        email = r.email(pv["email"][i], pv["alt_email"][i], email_mode, salt)
        phone = r.phone(mob, pv["landline"][i], pmode, salt, PHONE_STYLES_CRM)
        line1, city, postcode = r.address(addr, salt)
        if (salt >> 26) % 200 == 0:
            city = V.JUNK_TEXT[(salt >> 8) % len(V.JUNK_TEXT)]
        fields = [
            f"C{cid:08d}",
            TITLES[title] if title >= 0 else "",
            first,
            last,
            email or "",
            phone or "",
            line1,
            city,
            postcode,
            dmy(pv["dob"][i]),
            GENDERS[gender],
            f"6339{card:012d}",
            TIERS[tier],
            sql_ts(created),
            sql_ts(upd),
        ]
        lines.append(csv_line_py(fields, ";"))
    return lines


def _crm_bad(w: World, rng: np.random.Generator, day: int, counts: dict[str, int]) -> list[tuple[str, bytes]]:
    """Synthetic rows (ids outside the valid range, example.com emails) carrying exactly one defect each."""
    out: list[tuple[str, bytes]] = []
    base = CRM_BAD_ID_BASE + day * 10_000
    k = 0
    for defect, count in counts.items():
        for _ in range(count):
            k += 1
            first = FIRST_LATIN1[int(rng.integers(len(FIRST_NAMES)))]
            last = SURNAME_LATIN1[int(rng.integers(len(SURNAMES)))]
            ts = sql_ts(w.day_s(day) + int(rng.integers(3600, 80000)))
            card = f"6339{int(rng.integers(0, 10**12)):012d}"
            email = f"{first.lower()}.{last.lower()}{int(rng.integers(100, 999))}@example.com"
            dob = dmy(int(w.day_epoch[0]) - int(rng.integers(20 * 365, 70 * 365)))
            if defect == "bad_date":
                dob = ("31/02/1985", "13/13/1990", "30/02/1979", "00/05/1968", "32/01/2001")[int(rng.integers(5))]
            fields = [f"C{base + k:08d}", "", first, last, email, "", "1 Test Road", "London", "E1 1AA", dob, "U"]
            fields += [card, "Bronze", ts, ts]
            line = csv_line_py(fields, ";").rstrip("\n")
            if defect == "malformed_row":
                line = ";".join(line.split(";")[: int(rng.integers(3, 10))])
            out.append((defect, line.encode("latin-1", errors="replace")))
    return out


def _records_of_day(
    ids: np.ndarray, created: np.ndarray, changed: np.ndarray, day: int
) -> tuple[np.ndarray, np.ndarray]:
    """A system's records in its dump of `day`, in id order, and whether each is a change: day 0 is the full snapshot
    of what exists; a later day holds the records created that day, then those changed that day."""
    if day == 0:
        recs = np.flatnonzero(created == 0)
        updated = np.zeros(recs.shape[0], dtype=bool)
    else:
        new = np.flatnonzero(created == day)
        upd = np.flatnonzero(changed == day)
        recs = np.concatenate([new, upd])
        updated = np.concatenate([np.zeros(new.shape[0], dtype=bool), np.ones(upd.shape[0], dtype=bool)])
    order = np.argsort(ids[recs], kind="stable")
    return recs[order], updated[order]


def crm_task(w: World, out: Path, day: int) -> TaskResult:
    """Day 0: the full member snapshot. Later days: members who joined that day and members who changed."""
    rng = rng_for(w.params, "crm", day, 0)
    recs, updated = _records_of_day(w.crm.id, w.crm.join_day, w.crm.upd_day, day)
    date = w.params.date(day)
    path, rel = raw_file(out, "crm", date, f"crm_customers_{ymd(date)}.csv")
    counts = w.bad.counts(rng, "crm", day, recs.shape[0])
    bad = _crm_bad(w, rng, day, counts)
    f = DataFile(path, rel, "crm", header=CRM_HEADER, encoding="latin-1", n_valid=recs.shape[0], bad=bad, rng=rng)
    for s in range(0, recs.shape[0], CHUNK):
        f.write(crm_lines(w, recs[s : s + CHUNK], updated[s : s + CHUNK]))
    stat, records = f.close()
    return TaskResult([stat], records)


# --------------------------------------------------------------------------------------------------------------------
# ecom accounts
# --------------------------------------------------------------------------------------------------------------------


def ecom_lines(w: World, recs: np.ndarray, updated: np.ndarray) -> list[str]:
    r = Renderer()
    pv = _persons_view(w, w.ecom.person[recs])
    cols = zip(
        w.ecom.id[recs].tolist(),
        w.ecom.second[recs].tolist(),
        w.ecom.name_var[recs].tolist(),
        w.ecom.salt[recs].tolist(),
        w.ecom.email_mode[recs].tolist(),
        w.ecom.phone_mode[recs].tolist(),
        w.ecom.addr_mode[recs].tolist(),
        w.ecom.line2[recs].tolist(),
        w.ecom.signup[recs].tolist(),
        np.where(updated, w.ecom.upd_ts[recs], w.ecom.updated[recs]).tolist(),
        np.where(updated, w.ecom.upd_kind[recs], -1).tolist(),
        w.ecom.consent_email[recs].tolist(),
        w.ecom.consent_sms[recs].tolist(),
        w.ecom.closed[recs].tolist(),
        strict=True,
    )
    lines = []
    for i, (aid, second, var, salt, emode, pmode, amode, line2, signup, upd, kind, c_email, c_sms, closed) in enumerate(
        cols
    ):
        email_mode, mob, addr = _changed(
            kind,
            email_mode=emode,
            mobile=pv["mobile"][i],
            alt_mobile=pv["alt_mobile"][i],
            addr=pv["alt_addr"][i] if amode == ADDR_MOVED else pv["addr"][i],
            alt_addr=pv["alt_addr"][i],
        )
        has_address = amode != ADDR_MISSING or kind == UPDATE_MOVED
        tagged = bool(second) and email_mode != EMAIL_OTHER
        email = r.email(pv["email"][i], pv["alt_email"][i], email_mode, salt, tagged=tagged)
        phone = r.phone(mob, pv["landline"][i], pmode, salt, PHONE_STYLES_ECOM)
        address = None
        if has_address:
            line1, city, postcode = r.address(addr, salt)
            flat = 1 + (salt >> 10) % 40
            l2 = (None, f"Flat {flat}", f"Apartment {flat}", V.JUNK_TEXT[(salt >> 3) % len(V.JUNK_TEXT)])[line2]
            address = {"line1": line1, "line2": l2, "city": city, "postcode": postcode, "country": "GB"}
        record = {
            "account_id": f"A{aid:010x}",
            "email": email,
            "full_name": r.full_name(pv["first"][i], pv["last"][i], var, salt),
            "phone": phone,
            "default_address": address,
            "signup_ts": iso_ts(signup),
            "updated_ts": iso_ts(upd),
            "consents": {"email": c_email, "sms": c_sms},
            "status": "closed" if closed else "active",
        }
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
    return lines


def _ecom_bad(rng: np.random.Generator, day: int, counts: dict[str, int]) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []
    for defect, count in counts.items():
        for k in range(count):
            aid = f"A{(1 << 39) + day * 10_000 + k:010x}"
            email = f"user{int(rng.integers(10**5, 10**6))}@example.com"
            good = json.dumps({"account_id": aid, "email": email, "full_name": "Pat Example", "status": "active"})
            cut = int(rng.integers(0, 3))
            bad = (good[: len(good) // 2], good.replace('", "', '" "', 1), good[:-1] + ",}")[cut]
            out.append((defect, bad.encode("utf-8")))
    return out


def ecom_task(w: World, out: Path, day: int) -> TaskResult:
    """Day 0: all accounts that exist; later days: accounts created or changed that day."""
    rng = rng_for(w.params, "ecom", day, 0)
    recs, updated = _records_of_day(w.ecom.id, w.ecom.signup_day, w.ecom.upd_day, day)
    date = w.params.date(day)
    path, rel = raw_file(out, "ecom", date, f"ecom_accounts_{ymd(date)}.jsonl")
    bad = _ecom_bad(rng, day, w.bad.counts(rng, "ecom", day, recs.shape[0]))
    f = DataFile(path, rel, "ecom", header=None, encoding="utf-8", n_valid=recs.shape[0], bad=bad, rng=rng)
    for s in range(0, recs.shape[0], CHUNK):
        f.write(ecom_lines(w, recs[s : s + CHUNK], updated[s : s + CHUNK]))
    stat, records = f.close()
    return TaskResult([stat], records)


# --------------------------------------------------------------------------------------------------------------------
# Support tickets
# --------------------------------------------------------------------------------------------------------------------


def support_lines(w: World, tickets: np.ndarray, day: int) -> list[str]:
    r = Renderer()
    pv = _persons_view(w, w.support.person[tickets])
    date = w.params.date(day).strftime("%d/%m/%Y")
    cols = zip(
        w.support.id[tickets].tolist(),
        w.support.sec[tickets].tolist(),
        w.support.channel[tickets].tolist(),
        w.support.subject[tickets].tolist(),
        np.where(w.support.has_sku[tickets], w.support.sku[tickets], -1).tolist(),
        w.support.name_var[tickets].tolist(),
        w.support.title[tickets].tolist(),
        w.support.salt[tickets].tolist(),
        w.support.email_mode[tickets].tolist(),
        w.support.phone_mode[tickets].tolist(),
        strict=True,
    )
    lines = []
    for i, (tid, sec, channel, subject, sku, var, with_title, salt, emode, pmode) in enumerate(cols):
        title = ""
        if with_title:
            title = "Mr" if pv["male"][i] else ("Mrs", "Ms", "Miss")[(salt >> 2) % 3]
        name = r.full_name(pv["first"][i], pv["last"][i], var, salt, title)
        email = r.email(pv["email"][i], pv["alt_email"][i], emode, salt)
        phone = r.phone(pv["mobile"][i], pv["landline"][i], pmode, salt, PHONE_STYLES_SUPPORT)
        fields = [
            f"TCK{tid:08d}",
            name,
            email or "",
            phone or "",
            V.SUPPORT_CHANNELS[channel],
            V.SUPPORT_SUBJECTS[subject],
            f"SKU{sku + 1:07d}" if sku >= 0 else "",
            f"{date} {sec // 3600:02d}:{sec // 60 % 60:02d}",
        ]
        lines.append(csv_line_py(fields, ","))
    return lines


def support_task(w: World, out: Path, day: int) -> TaskResult:
    rng = rng_for(w.params, "support", day, 0)
    tickets = np.arange(w.support.day_start[day], w.support.day_start[day + 1])
    date = w.params.date(day)
    path, rel = raw_file(out, "support", date, f"support_tickets_{ymd(date)}.csv")
    counts = w.bad.counts(rng, "support", day, tickets.shape[0])
    bad: list[tuple[str, bytes]] = []
    for k in range(counts["invalid_utf8"]):
        first = FIRST_ASCII[int(rng.integers(len(FIRST_NAMES)))]
        last = SURNAME_ASCII[int(rng.integers(len(SURNAMES)))]
        name = first.encode() + b"\xff\xfe" + b" " + last.encode()
        stamp = f"{date.strftime('%d/%m/%Y')} {int(rng.integers(8, 20)):02d}:{int(rng.integers(0, 60)):02d}"
        tail = f",,,email,{V.SUPPORT_SUBJECTS[0]},,{stamp}".encode()
        bad.append(("invalid_utf8", f"TCK9{day:03d}{k:04d}".encode() + b"," + name + tail))
    f = DataFile(
        path, rel, "support", header=SUPPORT_HEADER, encoding="utf-8", n_valid=tickets.shape[0], bad=bad, rng=rng
    )
    for s in range(0, tickets.shape[0], CHUNK):
        f.write(support_lines(w, tickets[s : s + CHUNK], day))
    stat, records = f.close()
    return TaskResult([stat], records)
