"""Demo vault content: items in the first clients' collections and personal items (called by demo.build).

Kept fast for any number of clients: only the first VAULT_CLIENTS clients get items, written in bulk,
each encrypted by its client's key exactly as the vault service does it. Two client Owners get a
real master password (DEMO_MEMBER_PASSWORD) and personal items, and so does the demo admin — so
one can sign in as a client member and see that provider staff never see those items (S3).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field

from sqlalchemy import insert, select, update

from msp_tui.core import clock, crypto, keys
from msp_tui.core.context import Actor
from msp_tui.core.db import Database
from msp_tui.core.enums import ItemType, MemberRole, MemberStatus
from msp_tui.core.models import Account, Client, Collection, CollectionItem, Member, VaultItem
from msp_tui.core.services.vault import PERSONAL_TYPE_COLUMN, item_aad

VAULT_CLIENTS = 300
DEMO_MEMBER_PASSWORD = "client-owner-demo-2026"
MEMBERS_WITH_PASSWORD = 2

ORG_ITEMS = [
    (ItemType.LOGIN, "Microsoft 365 global admin", "https://admin.microsoft.com"),
    (ItemType.LOGIN, "Core switch console", "https://10.0.0.2"),
    (ItemType.LOGIN, "Guest wifi controller", "https://unifi.local"),
    (ItemType.LOGIN, "QuickBooks Online", "https://qbo.intuit.com"),
    (ItemType.LOGIN, "Domain registrar account", "https://registrar.example"),
    (ItemType.LOGIN, "Backup NAS console", "https://nas.local:5001"),
    (ItemType.SECURE_NOTE, "Alarm panel procedure", None),
    (ItemType.CARD, "Company purchasing card", None),
    (ItemType.IDENTITY, "Managing director identity", None),
    (ItemType.SSH_KEY, "Deploy key for build server", None),
]
PERSONAL_ITEMS = [
    (ItemType.LOGIN, "My home banking", "https://bank.example"),
    (ItemType.LOGIN, "Private mailbox", "https://mail.example"),
    (ItemType.SECURE_NOTE, "Passport and insurance numbers", None),
]
ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_!"


@dataclass(frozen=True)
class VaultDemo:
    org_items: int
    personal_items: int
    member_emails: tuple[str, ...]
    #: The new signing keys of the people given a demo password (their demo events are signed with them).
    signing_keys: dict = field(default_factory=dict)


def _secret(rng: random.Random, n: int = 20) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def _fields(rng: random.Random, item_type: ItemType, url: str | None, tag: str) -> dict[str, str]:
    if item_type == ItemType.LOGIN:
        return {"username": f"it-{tag}-{rng.randint(100, 999)}", "password": _secret(rng), "url": url or ""}
    if item_type == ItemType.SECURE_NOTE:
        return {"notes": f"Code {rng.randint(100000, 999999)}; call the on-call line first. Ref {_secret(rng, 12)}"}
    if item_type == ItemType.CARD:
        return {"cardholder": "Purchasing", "brand": "Visa",
                "number": "4" + "".join(str(rng.randint(0, 9)) for _ in range(15)),
                "exp_month": f"{rng.randint(1, 12):02d}", "exp_year": str(rng.randint(2027, 2031)),
                "code": f"{rng.randint(100, 999)}"}
    if item_type == ItemType.IDENTITY:
        return {"title": "Dr", "first_name": "Director", "last_name": tag.title(),
                "email": f"director@{tag}.example", "phone": f"+1 555 {rng.randint(1000, 9999)}"}
    return {"private_key": "-----BEGIN OPENSSH PRIVATE KEY-----\n" + _secret(rng, 64)
            + "\n-----END OPENSSH PRIVATE KEY-----",
            "public_key": "ssh-ed25519 " + _secret(rng, 40), "key_fingerprint": "SHA256:" + _secret(rng, 20)}


def _row(item_id, key: bytes, item_type: ItemType, name: str, fields: dict, *, org_id=None, owner_id=None,
         actor_id=None) -> dict:
    doc = json.dumps({"v": 1, "type": int(item_type), "name": name, "fields": fields},
                     ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    now = clock.now()
    return dict(id=item_id, organization_id=org_id, owner_account_id=owner_id,
                type=int(item_type) if org_id else PERSONAL_TYPE_COLUMN,
                data=crypto.encrypt(key, doc, item_aad(item_id, org_id, owner_id)),
                created_at=now, revision_date=now, version=1, updated_by_id=actor_id)


def add_vault_items(db: Database, admin: Actor, org_ids: list[uuid.UUID], seed: int = 7) -> VaultDemo:
    rng = random.Random(seed * 31 + 5)
    chosen = org_ids[:VAULT_CLIENTS]
    items: list[dict] = []
    links: list[dict] = []
    with db.write() as s:
        pkey = keys.provider_key(s, admin, admin.provider_id)
        wrapped = dict(s.execute(select(Client.organization_id, Client.key).where(
            Client.organization_id.in_(chosen))).all())
        colls: dict[uuid.UUID, list[uuid.UUID]] = {}
        for cid, oid in s.execute(select(Collection.id, Collection.organization_id).where(
                Collection.organization_id.in_(chosen))):
            colls.setdefault(oid, []).append(cid)
        org_keys = {}
        gen = s.execute(select(Client.key_generation).where(Client.organization_id.in_(chosen[:1]))).scalar()
        for oid in chosen:
            org_key = crypto.decrypt(pkey, wrapped[oid], keys.org_key_aad(oid, gen))
            org_keys[oid] = org_key
            for item_type, name, url in rng.sample(ORG_ITEMS, rng.randint(3, 6)):
                iid = uuid.uuid4()
                items.append(_row(iid, org_key, item_type, name, _fields(rng, item_type, url, f"c{len(items)}"),
                                  org_id=oid, actor_id=admin.account_id))
                for cid in rng.sample(colls.get(oid, []), min(len(colls.get(oid, [])), rng.randint(1, 2))):
                    links.append(dict(collection_id=cid, item_id=iid))
        n_org = len(items)
        # Personal items: the demo admin's own, and those of client Owners given a demo password.
        for item_type, name, url in PERSONAL_ITEMS:
            items.append(_row(uuid.uuid4(), admin.secrets.user_key, item_type, name,
                              _fields(rng, item_type, url, "ada"), owner_id=admin.account_id,
                              actor_id=admin.account_id))
        emails = []
        signing = {}
        for oid in chosen[1:1 + MEMBERS_WITH_PASSWORD]:
            account = s.execute(select(Account).join(Member, Member.account_id == Account.id).where(
                Member.organization_id == oid, Member.role == int(MemberRole.OWNER),
                Member.status == int(MemberStatus.CONFIRMED))).scalars().first()
            if account is None or account.email in emails:
                continue
            secrets = _give_password(s, account, org_keys, pkey, gen)
            user_key = secrets.user_key
            signing[account.id] = secrets.signing_key
            emails.append(account.email)
            for item_type, name, url in PERSONAL_ITEMS:
                items.append(_row(uuid.uuid4(), user_key, item_type, f"{name} ({account.name})",
                                  _fields(rng, item_type, url, account.email.split("@")[0].replace(".", "")),
                                  owner_id=account.id, actor_id=account.id))
        if items:
            s.execute(insert(VaultItem), items)
        if links:
            s.execute(insert(CollectionItem), links)
    return VaultDemo(n_org, len(items) - n_org, tuple(emails), signing)


def _give_password(s, account: Account, org_keys: dict, pkey: bytes, gen: int) -> crypto.AccountSecrets:
    """New keys for a demo person, under DEMO_MEMBER_PASSWORD; their org keys sealed again to them."""
    made = crypto.new_account_keys(account.id, DEMO_MEMBER_PASSWORD)
    columns = dict(made.columns)
    if account.totp_secret is not None:  # enrolled in two-step login: its secret follows the new user key
        from msp_tui.core.services import two_step

        columns["totp_secret"] = two_step.seal(account.id, made.secrets.user_key, two_step.demo_secret(account.email))
    s.execute(update(Account).where(Account.id == account.id).values(**columns))
    for m in s.execute(select(Member).where(Member.account_id == account.id, Member.key.is_not(None))).scalars():
        org_key = org_keys.get(m.organization_id)
        if org_key is None:
            link_key = s.execute(select(Client.key).where(Client.organization_id == m.organization_id)).scalar()
            if link_key is None:
                continue
            org_key = crypto.decrypt(pkey, link_key, keys.org_key_aad(m.organization_id, gen))
        m.key = keys.seal_org_key_for_member(org_key, m.organization_id, made.columns["public_key"])
    return made.secrets
