"""Time a 2,000-row roster import: reading, checking, hashing, writing, and both requests.

Usage: .venv/bin/python bench/roster_import.py [sqlite|postgres]
(PostgreSQL: a scratch database on TEST_DATABASE_URL's server is created and dropped.)
"""
import io
import re
import sys
import tempfile
import time

import openpyxl
from argon2 import PasswordHasher

sys.path.insert(0, ".")
from tests.helpers import PASSWORD, english_client, make_database_url  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.accounts import roster  # noqa: E402
from webapp.accounts.models import Firm, Region, RoleGrant, User  # noqa: E402
from webapp.accounts.services import hash_password  # noqa: E402
from webapp.branches.models import Branch  # noqa: E402
from webapp.cli import migrate_database  # noqa: E402
from webapp.db import db  # noqa: E402

N = roster.MAX_ROWS


def timed(label, fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    print(f"{label:<44} {time.perf_counter() - start:7.2f} s")
    return result


def workbook(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(roster.TEMPLATE_HEADERS.values()))
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def main(engine):
    import os
    os.environ["TEST_ENGINE"] = engine
    import tests.helpers as helpers
    helpers.ENGINE = engine
    url, drop = make_database_url("bench")
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="gl-bench-")})
    try:
        with app.app_context():
            migrate_database()
            db.connect(reuse_if_open=True)
            city = Region.create(name="市", kind="city")
            county = Region.create(name="县", kind="county", parent=city)
            firms = [Firm.create(name=f"第{i}法律服务所", county=county) for i in range(30)]
            Branch.create(name="联合支部", county=county)
            admin = User.create(name="管理员", phone="13800000000",
                                password_hash=hash_password(PASSWORD), county=county)
            RoleGrant.create(user=admin, role="county_admin", region=county)
            db.close()
        rows = [[f"人员{i}", f"137{i:08d}", firms[i % 30].name, f"L{i:06d}", 1960 + i % 40,
                 "是" if i % 3 == 0 else "否", "联合支部" if i % 3 == 0 else None]
                for i in range(N)]
        data = workbook(rows)
        print(f"engine {engine}, {N} rows, .xlsx of {len(data) // 1024} KB")

        full = PasswordHasher()
        start = time.perf_counter()
        for i in range(5):
            full.hash(f"code{i}")
        per = (time.perf_counter() - start) / 5
        print(f"{'argon2 full parameters, per hash':<44} {per * 1000:7.1f} ms"
              f"  (x{N} = {per * N:.0f} s serial)")
        start = time.perf_counter()
        for i in range(50):
            roster._code_hasher.hash(f"code{i}")
        per = (time.perf_counter() - start) / 50
        print(f"{'argon2 one-time parameters, per hash':<44} {per * 1000:7.1f} ms"
              f"  (x{N} = {per * N:.1f} s serial)")
        timed(f"hash_codes({N}) in threads", roster.hash_codes, [f"c{i}" for i in range(N)])
        timed(f"parse .xlsx ({N} rows)", roster.parse, "r.xlsx", data)

        client = english_client(app)
        client.login(admin)
        from tests.test_roster import upload
        response = timed("POST upload -> preview (whole request)", upload, client, data,
                         "r.xlsx")
        assert response.status_code == 200, response.status_code
        token = re.search(rb'name="token" value="([^"]+)"', response.data).group(1).decode()
        response = timed("POST confirm -> created (whole request)", client.post,
                         "/admin/people/import/confirm", {"token": token})
        assert response.status_code == 200, response.data[:300]
        with app.app_context():
            db.connect(reuse_if_open=True)
            print("people created:", User.select().where(User.phone.startswith("137")).count())
            db.close()
    finally:
        with app.app_context():
            if not db.is_closed():
                db.close()
        drop()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "sqlite")
