"""Every model of the app, in dependency order (for migrations checks and tests)."""
from .accounts.models import (AuditEvent, Firm, LoginAttempt, Notification, Region,  # noqa: F401
                              RegionYear, RoleGrant, User, UserSession)
from .branches.models import (ActivityAttendance, ActivityPhoto, Branch, BranchActivity,  # noqa: F401
                              BranchFirm, BranchMember)
from .ledger.models import Entry, Evidence, ReviewRule  # noqa: F401
from .study.models import StudyAssignment, StudyMaterial, StudyQuestion  # noqa: F401
from .quality.complaint_models import Complaint  # noqa: F401
from .quality.rating_models import Rating  # noqa: F401
from .quality.village_models import Village  # noqa: F401
from .push.models import (PushDelivery, PushDevice, PushSubscription,  # noqa: F401
                          NotificationMute, ReminderSent)
from .reports.models import (FirmReport, FirmReportAttachment, FirmReportCredit,  # noqa: F401
                             FirmReporter)
from .reports.inspection_models import Inspection, InspectionItem  # noqa: F401
from .reports.bulletin_models import Bulletin  # noqa: F401
from .reports.selection_models import CaseSelection  # noqa: F401
from .targets.models import Assessment, Target  # noqa: F401
from .trainings.models import (Attendance, ScanReceipt, Training, TrainingCategory,  # noqa: F401
                               TrainingFirm, TrainingPerson)

ALL_MODELS = [
    Region, Firm, User, Branch, RoleGrant, UserSession, LoginAttempt, AuditEvent, Notification,
    BranchFirm, BranchMember, BranchActivity, ActivityAttendance, ActivityPhoto,
    TrainingCategory, Training, TrainingFirm, TrainingPerson, Attendance, ScanReceipt,
    Village, Entry, Evidence, ReviewRule, Target, PushSubscription, RegionYear, Assessment,
    FirmReport, FirmReportCredit, FirmReportAttachment, FirmReporter, Inspection, InspectionItem,
    Bulletin, CaseSelection, PushDevice, PushDelivery, ReminderSent, NotificationMute,
    StudyMaterial, StudyQuestion, StudyAssignment, Rating, Complaint,
]
