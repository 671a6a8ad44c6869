"""Firm monthly reports: information reports (信息) and typical cases (典型案例)."""
