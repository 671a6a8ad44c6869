"""The audit trail on a phone: at 360 px its rows stack, its text and targets are big enough,
a filter swaps the list in place (htmx) with the address kept, and before → after reads."""
import json

from tests.browser.helpers import (NARROW, assert_clean, bound_to, check_layout, expect,
                                   screenshot, zh)
from webapp.accounts.models import AuditEvent, RoleGrant, User


def _record(live_server):
    """A few events in the county admin's county (audit rows stay: the trail is append-only)."""
    with bound_to(live_server.database_url):
        admin = User.get(User.phone == live_server.people["county_admin"]["phone"])
        county = RoleGrant.get(RoleGrant.user == admin.id,
                               RoleGrant.role == "county_admin").region_id
        long_street = "城关镇人民路与解放路交叉口东北角司法所楼上" * 2
        for n in range(3):
            AuditEvent.create(
                actor=admin.id, action="firm.update", object_type="firm", object_id=n + 1,
                region=county, address="10.36.2.15",
                detail=json.dumps({"name": f"城关法律服务所{n}", "changes": {
                    "township": ["城关镇", long_street]}}, ensure_ascii=False))
        AuditEvent.create(actor=admin.id, action="user.reset_password", object_type="user",
                          object_id=admin.id, region=county, address="10.36.2.15")
        return (AuditEvent.select().where(AuditEvent.region == county,
                                          AuditEvent.action == "user.reset_password").count())


def test_audit_trail_on_a_phone(phone, live_server):
    resets = _record(live_server)
    context = phone("county_admin", **NARROW)
    page = context.new_page()
    page.goto("/admin/audit")
    rows = page.locator("#audit-list li.audit-row")
    expect(rows.first).to_be_visible()
    check_layout(page, "/admin/audit")
    # Each row's parts stack one under another, none beside another.
    first = rows.filter(has=page.locator(".audit-changes")).first
    what = first.locator(".audit-what").bounding_box()
    meta = first.locator(".audit-meta").bounding_box()
    assert meta["y"] >= what["y"] + what["height"] - 1
    expect(first.locator(".audit-changes del")).to_have_text("城关镇")
    screenshot(page, "audit-trail-360")
    page.select_option("#a-action", "user.reset_password")
    page.wait_for_url("**/admin/audit?*action=user.reset_password*")
    expect(rows).to_have_count(resets)
    expect(rows.locator(".audit-action").first).to_have_text(zh("Password reset"))
    expect(page.locator("form.audit-filters")).to_have_count(1)   # swapped the list, not the page
    check_layout(page, "/admin/audit?action=user.reset_password")
    screenshot(page, "audit-trail-filtered-360")
    assert_clean(context)
