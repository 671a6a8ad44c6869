"""The roster template: an .xlsx with the column headers and the county's names to pick from."""
from flask_babel import gettext as _
from openpyxl.worksheet.datavalidation import DataValidation

from ...web import Sheet, workbook
from .columns import FIELDS, MAX_ROWS, TEMPLATE_HEADERS


def template_workbook(firm_names, branch_names):
    """Return the roster template workbook: Chinese headers, and the county's names to pick from."""
    lines = [
        _("One person per row on the first sheet. Do not change the first row."),
        _("Name, phone number and firm must be filled in."),
        _("Phone number: 11 digits, starting with 1."),
        _("Firm and party branch: write the name exactly as listed below."),
        _("Birth year: four digits, for example 1975."),
        _("Party member: 是 or 否. Party members may also give their party branch."),
        _("Licensed on (optional): the day the licence was granted, for example 2015-07-01."),
        _("Education (optional): 高中及以下, 大专, 本科, 硕士 or 博士."),
        _("At most %(n)d people per file. Empty rows are skipped.", n=MAX_ROWS),
    ]
    names = [[firm_names[i] if i < len(firm_names) else None,
              branch_names[i] if i < len(branch_names) else None]
             for i in range(max(len(firm_names), len(branch_names)))]
    book = workbook([
        Sheet(_("Roster"), [TEMPLATE_HEADERS[n] for n in FIELDS], [],
              widths=(12, 16, 28, 22, 10, 10, 24, 14, 12)),
        Sheet(_("Instructions"), [_("Firms"), _("Party branches")], names, widths=(40, 30),
              above=[[line] for line in lines] + [[]], freeze=False),
    ])
    sheet, notes = book.worksheets
    for column in ("B", "D"):
        # Text, so Excel keeps 11-digit phones and licence numbers as typed.
        sheet.column_dimensions[column].number_format = "@"
    first = len(lines) + 3          # the lines, a blank line, the header; then the names
    title = notes.title.replace("'", "''")
    end = MAX_ROWS + 1
    party = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    sheet.add_data_validation(party)
    party.add(f"F2:F{end}")
    education = DataValidation(type="list", formula1='"高中及以下,大专,本科,硕士,博士"',
                               allow_blank=True)
    sheet.add_data_validation(education)
    education.add(f"I2:I{end}")
    for listed, column, target in ((firm_names, "A", "C"), (branch_names, "B", "G")):
        if listed:
            pick = DataValidation(
                type="list", allow_blank=True, showErrorMessage=False,
                formula1=f"'{title}'!${column}${first}:${column}${first + len(listed) - 1}")
            sheet.add_data_validation(pick)
            pick.add(f"{target}2:{target}{end}")
    return book
