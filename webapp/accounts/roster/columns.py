"""A roster's columns: their names in the template, the headers people write, their labels."""
import re
import unicodedata

from flask_babel import gettext as _

MAX_ROWS = 2000
FIELDS = ("name", "phone", "firm", "licence_no", "birth_year", "party_member", "branch",
          "licensed_on", "education")
REQUIRED = ("name", "phone", "firm")
# The template's headers; they name the format, so they stay Chinese in every language.
TEMPLATE_HEADERS = {"name": "姓名", "phone": "手机号", "firm": "所属法律服务所",
                    "licence_no": "执业证号", "birth_year": "出生年份",
                    "party_member": "是否党员", "branch": "所在支部",
                    "licensed_on": "执业日期", "education": "学历"}
_ALIASES = {
    "name": ("姓名", "名字", "name", "full name", "person"),
    "phone": ("手机号", "手机号码", "手机", "电话", "电话号码", "联系电话", "联系方式",
              "phone", "phone number", "mobile", "mobile phone", "mobile number", "tel",
              "telephone"),
    "firm": ("所属法律服务所", "法律服务所", "服务所", "单位", "所在单位", "工作单位",
             "所在法律服务所", "执业机构", "firm", "firm name", "office", "law office",
             "legal service firm"),
    "licence_no": ("执业证号", "执业证编号", "执业证书编号", "执业证书号", "执业证号码", "证号",
                   "licence no", "licence number", "license no", "license number", "licence",
                   "license"),
    "birth_year": ("出生年份", "出生年", "出生年月", "出生日期", "birth year", "year of birth",
                   "born"),
    "party_member": ("是否党员", "党员", "是否中共党员", "政治面貌", "party member", "party",
                     "cpc member"),
    "branch": ("所在支部", "支部", "党支部", "所在党支部", "所属支部", "所属党支部", "branch",
               "party branch"),
    "licensed_on": ("执业日期", "执业时间", "执业起始日期", "开始执业日期", "发证日期",
                    "执业证发证日期", "取得执业证日期", "licensed on", "licence date",
                    "license date", "date licensed", "licensed since"),
    "education": ("学历", "最高学历", "文化程度", "学历层次", "education", "education level",
                  "highest education"),
}


def header_key(text):
    """Return a header reduced to letters: width, case, spaces, marks and notes removed."""
    text = unicodedata.normalize("NFKC", str(text)).casefold()
    text = re.sub(r"[(\[【].*?[)\]】]", "", text)
    return re.sub(r"[\s*:_\-.·/]", "", text)


HEADER_MAP = {header_key(alias): name for name, aliases in _ALIASES.items() for alias in aliases}


def name_key(text):
    """Return a firm or branch name as compared: width, case and spaces ignored."""
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", text or "")).casefold()


def field_labels():
    """Return the translated label of each roster column."""
    return {"name": _("Name"), "phone": _("Phone number"), "firm": _("Firm"),
            "licence_no": _("Licence number"), "birth_year": _("Birth year"),
            "party_member": _("Party member"), "branch": _("Party branch"),
            "licensed_on": _("Licensed on"), "education": _("Education")}


def match_header(texts):
    """Map column index to field for a candidate header row (first match of a field wins)."""
    mapping = {}
    for index, text in enumerate(texts):
        name = HEADER_MAP.get(header_key(text)) if text else None
        if name and name not in mapping.values():
            mapping[index] = name
    return mapping
