"""Two real processes writing to one SQLite file at once lose nothing (PRODUCT.md §9)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from sqlalchemy import func, select

from msp_tui.core import events
from msp_tui.core.models import Event, Member
from msp_tui.core.services import clients
from tests.conftest import PASSWORD

WRITER = textwrap.dedent("""
    import sys
    from msp_tui.core.db import Database
    from msp_tui.core.services import accounts, members
    db = Database(sys.argv[1])
    actor = accounts.sign_in(db, "ada@msp.example", sys.argv[3])
    tag = sys.argv[2]
    for i in range(40):
        members.invite(db, actor, "Contoso", [f"{tag}-{i}@c.example"])
""")


def test_two_processes_writing_at_once_lose_nothing(sqlite_db):
    from tests.conftest import make_provider

    admin = make_provider(sqlite_db)
    clients.create_client(sqlite_db, admin, name="Contoso", plan="teams-monthly", seats=200,
                          owner_email="o@c.example")
    path = sqlite_db.url.database
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, tag, PASSWORD],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag in ("left", "right")]
    outputs = [p.communicate(timeout=240) for p in procs]
    for p, (out, err) in zip(procs, outputs):
        assert p.returncode == 0, err
        assert "locked" not in err
    with sqlite_db.read() as s:
        members_n = s.execute(select(func.count()).select_from(Member)).scalar_one()
        invites = s.execute(select(func.count()).select_from(Event).where(Event.type == 1500)).scalar_one()
        assert members_n == 81 and invites == 81
        assert events.verify_chain(s).ok
    assert clients.get_client(sqlite_db, admin, "Contoso").used == 81
