"""Helpers for the roster import's tests (tests/test_roster.py, tests/test_person_fields.py):
the template's headers, rows, files, uploads and what the preview lists."""
import csv
import io

import openpyxl

from tests.helpers import soup, text_of
from webapp.accounts.models import AuditEvent, RoleGrant, User
from webapp.branches.models import BranchMember

ZH = ["姓名", "手机号", "所属法律服务所", "执业证号", "出生年份", "是否党员", "所在支部"]
# The template adds two optional columns after these (执业日期, 学历); a file may leave them out.
EN = ["Name", "Phone", "Firm", "Licence number", "Birth year", "Party member", "Branch"]
FIRM_A = "甲县城关法律服务所"
BRANCH_A = "甲县联合支部"


def row(name="王芳", phone="13700000001", firm=FIRM_A, licence="", birth="1975", party="否",
        branch=""):
    return [name, phone, firm, licence, birth, party, branch]


def csv_bytes(rows, header=ZH, encoding="utf-8", delimiter=","):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, header=ZH, title=None):
    book = openpyxl.Workbook()
    sheet = book.active
    if title:
        sheet.append([title])
    sheet.append(header)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def multipart(fields, files):
    """Encode a form as a browser would (the test client leaves large bodies' temp files open)."""
    boundary = "----roster-test-boundary"
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                  f"{value}\r\n".encode())
    for name, (filename, content) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                  .encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def upload(client, content, filename="roster.csv", url="/admin/people/import"):
    body, content_type = multipart({"csrf_token": client.csrf()}, {"file": (filename, content)})
    return client.c.post(url, data=body, content_type=content_type)


def token_of(response):
    field = soup(response).find("form", id="confirm-form").find("input", {"name": "token"})
    return field["value"]


def confirm(client, token):
    return client.post("/admin/people/import/confirm", {"token": token})


def counts():
    return (User.select().count(), RoleGrant.select().count(), BranchMember.select().count(),
            AuditEvent.select().count())


def table_lines(response, element_id):
    """Return the file's row numbers listed in the table or list with this id."""
    element = soup(response).find(id=element_id)
    if element is None:
        return []
    return [int(node["data-line"]) for node in element.find_all(attrs={"data-line": True})]


def row_errors(response, line):
    node = soup(response).find(id="rows-invalid").find(attrs={"data-line": str(line)})
    return [text_of(li) for li in node.find("ul", class_="row-errors").find_all("li")]


def preview_cells(response, line, element_id="rows-valid"):
    """Return {column header: cell text} for the row of this file line in the preview table."""
    table = soup(response).find(id=element_id)
    headers = [text_of(th) for th in table.find("thead").find_all("th")]
    node = table.find("tr", attrs={"data-line": str(line)})
    return dict(zip(headers, [text_of(td) for td in node.find_all("td")]))
