"""Demo data for `jobgate sandbox`: the people of a small career-services team, a dozen
employers and thirty jobs as the platform sends them (clean ones, duplicates, a trusted
employer, and scams the screening flags), a fraud report, and fresh batches on demand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

REVIEW_CHANNEL = "C0JOBREVIEW"
REPORTS_CHANNEL = "C0JOBREPORTS"


@dataclass(frozen=True)
class DemoPerson:
    id: str
    handle: str
    real_name: str
    role: str  # "reviewer", "admin" or "staff"
    title: str


REVIEWER = DemoPerson("U0MAYACHEN", "maya", "Maya Chen", "reviewer", "Employer relations")
REVIEWER_2 = DemoPerson("U0SAMOKAFO", "sam", "Sam Okafor", "reviewer", "Career coach")
ADMIN = DemoPerson("U0PRIYANAT", "priya", "Priya Natarajan", "admin", "Director")
STAFF = DemoPerson("U0JORDANLE", "jordan", "Jordan Lee", "staff", "Front desk, not a reviewer")
PEOPLE = (REVIEWER, REVIEWER_2, ADMIN, STAFF)

TRUSTED_EMPLOYER = "emp_northwind"
APPROVED_EMPLOYERS = (
    "emp_northwind",
    "emp_brightpath",
    "emp_cedarstone",
    "emp_harborlib",
    "emp_lumen",
    "emp_greenleaf",
    "emp_atlas",
)
DECLINED_EMPLOYER = "emp_quickcash"
FIRST_TRUSTED_JOB = "job_nw_1"
UNSAFE_URL = "https://harborview-onboarding.example/start"
SCAM_WITH_THREAD = "job_scam_check"


def _ago(now: datetime, hours: float) -> str:
    return (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _contact(cid: str, name: str, email: str, phone: str | None = None) -> dict[str, Any]:
    contact = {"id": cid, "name": name, "email": email}
    if phone:
        contact["phone"] = phone
    return contact


# fmt: off
# id, name, website, industry, size, location, contact (id, name, email), (approved, declined)
_EMPLOYERS: list[tuple[Any, ...]] = [
    ("emp_northwind", "Northwind Health", "https://northwindhealth.example", "Hospital & health care",
     "5001-10000", "Boston, MA", ("c_nw", "Dana Whitfield", "dwhitfield@northwindhealth.example"),
     (58, 0), "Regional academic health system with four hospitals and 30 clinics."),
    ("emp_brightpath", "BrightPath Analytics", "https://brightpath.example", "Software",
     "51-200", "Austin, TX", ("c_bp", "Jane Roe", "jane.roe@brightpath.example"), (41, 2),
     "Analytics dashboards for school districts and city governments."),
    ("emp_cedarstone", "Cedar & Stone Architects", "https://cedarstone.example", "Architecture",
     "11-50", "Portland, OR", ("c_cs", "Luis Ortega", "lortega@cedarstone.example"), (12, 0),
     "Small studio designing libraries, schools and affordable housing."),
    ("emp_harborlib", "Harbor City Public Library", "https://harborcitylibrary.example",
     "Government", "201-500", "Harbor City, CA", ("c_hl", "Ruth Adeyemi",
     "radeyemi@harborcitylibrary.example"), (23, 0), "Twelve branches and a digital archive."),
    ("emp_lumen", "Lumen Robotics", "https://lumenrobotics.example", "Robotics", "201-500",
     "Pittsburgh, PA", ("c_lr", "Kenji Watanabe", "talent@lumenrobotics.example"), (37, 1),
     "Warehouse and agricultural robots."),
    ("emp_greenleaf", "Greenleaf Energy Cooperative", "https://greenleaf.coop.example",
     "Utilities", "51-200", "Madison, WI", ("c_gl", "Anna Lindqvist",
     "anna@greenleaf.coop.example"), (9, 0), "Member-owned solar and wind cooperative."),
    ("emp_atlas", "Atlas Freight Logistics", "https://atlasfreight.example", "Logistics",
     "501-1000", "Memphis, TN", ("c_at", "Marcus Bell", "mbell@atlasfreight.example"), (30, 3),
     "Regional freight, cross-docking and last-mile delivery."),
    ("emp_meridian", "Meridian Credit Union", "https://meridiancu.example", "Financial services",
     "201-500", "Columbus, OH", ("c_mc", "Grace Kim", "gkim@meridiancu.example"), (15, 0),
     "Not-for-profit credit union serving 80,000 members."),
    ("emp_riverbend", "Riverbend Youth Theatre", "https://riverbendtheatre.example",
     "Performing arts", "11-50", "Asheville, NC", ("c_rb", "Tom Hollis",
     "tom@riverbendtheatre.example"), (4, 0), "Theatre school and summer camp for ages 8 to 18."),
    ("emp_quickcash", "QuickCash Staffing Solutions LLC", None, "Staffing and recruiting",
     "1-10", "Miami, FL", ("c_qc", "Mike Brandt", "quickcash.staffing@gmail.com"), (0, 6),
     "We place candidates with our many partner companies. Fast placement guaranteed."),
    ("emp_globalpay", "Global Pay Processing Group", "https://globalpay-processing.example",
     "Financial services", "1-10", "Remote", ("c_gp", "Steven Clarke",
     "s.clarke.hr@outlook.com"), (1, 4), "International payment processing partner."),
    ("emp_fizzwell", "Fizzwell Beverages", "https://fizzwell.example", "Food & beverages",
     "51-200", "Denver, CO", ("c_fw", "Olivia Park", "olivia.park@fizzwell.example"), (19, 1),
     "Sparkling teas and sodas."),
]
# fmt: on


def employers(now: datetime) -> list[dict[str, Any]]:
    """The twelve employer requests, oldest first."""
    out = []
    for index, row in enumerate(_EMPLOYERS):
        eid, name, website, industry, size, location, contact, schools, about = row
        body: dict[str, Any] = {
            "id": eid,
            "name": name,
            "industry": industry,
            "size": size,
            "location": location,
            "description": about,
            "contact": _contact(*contact),
            "other_schools": {"approved": schools[0], "declined": schools[1]},
            "requested_at": _ago(now, 80 - index * 5),
        }
        if website:
            body["website"] = website
        out.append(body)
    return out


_NAMES = {row[0]: row[1] for row in _EMPLOYERS}
_NAMES |= {
    "emp_harborview": "Harborview Consulting",
    "emp_elitehome": "Elite Home Services",
    "emp_swiftship": "SwiftShip Partners",
    "emp_blueoak": "Blue Oak Capital Group",
    "emp_shopsmart": "ShopSmart Evaluations",
}

_CLINIC = (
    "Greet patients, verify insurance and schedule follow-up visits at our Back Bay "
    "clinic. You will learn Epic scheduling and work with a team of six. Twenty hours a "
    "week during the semester, full time in the summer; weekday shifts only."
)
_ANALYST = (
    "Join our analytics team to clean district enrollment data, build dashboards in "
    "Tableau and write SQL for weekly reports. You will pair with a senior analyst and "
    "present one project to the whole company in August. Hybrid: two days a week in "
    "our downtown Austin office."
)
_ROBOTICS = (
    "Write and test ROS 2 nodes for our fruit-picking arm, from simulation to the "
    "field. You will own one perception or planning feature end to end, with code "
    "review from a mentor. C++ or Python experience from classes or projects is enough."
)

# fmt: off
# id, employer, title, description, location, type, (min, max, period), apply url, contact
_JOBS: list[tuple[Any, ...]] = [
    ("job_nw_2", "emp_northwind", "Clinical Research Assistant (Summer)",
     "Help our cardiology research team recruit study participants, enter data in REDCap and "
     "prepare IRB paperwork. Ten weeks, June to August, with a weekly seminar for students.",
     "Boston, MA", "internship", (21, 24, "hour"), "https://northwindhealth.example/careers/r118",
     None),
    ("job_nw_3", "emp_northwind", "Nursing Student Extern",
     "Paid externship for nursing students after their junior year: shadow a preceptor on a "
     "medical-surgical unit, practise assessments and charting. Twelve-hour shifts, three a week.",
     "Boston, MA", "internship", (23, 23, "hour"), "https://northwindhealth.example/careers/n204",
     None),
    ("job_nw_4", "emp_northwind", "Patient Access Intern", _CLINIC + " Apply by March 1.",
     "Boston, MA", "internship", (19, 21, "hour"), "https://northwindhealth.example/careers/p777",
     None),
    ("job_bp_1", "emp_brightpath", "Data Analyst Intern", _ANALYST, "Austin, TX", "internship",
     (25, 30, "hour"), "https://brightpath.example/careers/456", None),
    ("job_bp_2", "emp_brightpath", "Junior Data Engineer",
     "Build and monitor the pipelines that load school data into our warehouse (Python, dbt, "
     "Postgres). New graduates welcome; we train you on our stack during your first month.",
     "Austin, TX", "full-time", (78000, 88000, "year"), "https://brightpath.example/careers/471",
     None),
    ("job_bp_3", "emp_brightpath", "Data Analyst Intern", _ANALYST + " Start date flexible.",
     "Austin, TX", "internship", (25, 30, "hour"), "https://brightpath.example/careers/456b", None),
    ("job_cs_1", "emp_cedarstone", "Architectural Design Intern",
     "Produce drawings and models for a new branch library, join client meetings and site "
     "visits. Revit and a portfolio of studio work are expected.", "Portland, OR", "internship",
     (22, 24, "hour"), "https://cedarstone.example/jobs/intern", None),
    ("job_cs_2", "emp_cedarstone", "BIM Technician (Part-time)",
     "Keep our Revit families and project templates in order, fifteen hours a week during the "
     "school year. Good for architecture or construction management students.", "Portland, OR",
     "part-time", (24, 26, "hour"), "https://cedarstone.example/jobs/bim", None),
    ("job_hl_1", "emp_harborlib", "Teen Services Assistant (Work-study)",
     "Run after-school homework help and the maker space for teens at the Central branch. "
     "Federal Work-Study eligible; ten hours a week.", "Harbor City, CA", "work-study",
     (18, 18, "hour"), "https://harborcitylibrary.example/jobs/teen", None),
    ("job_hl_2", "emp_harborlib", "Digital Archives Intern",
     "Scan, describe and publish the city's historic photographs in our digital collection. "
     "Training in metadata standards provided.", "Harbor City, CA", "internship",
     (19, 19, "hour"), "https://harborcitylibrary.example/jobs/archives", None),
    ("job_lr_1", "emp_lumen", "Robotics Software Intern", _ROBOTICS, "Pittsburgh, PA",
     "internship", (32, 38, "hour"), "https://lumenrobotics.example/careers/rsi", None),
    ("job_lr_2", "emp_lumen", "Mechanical Engineering Co-op",
     "Six-month co-op designing grippers and end effectors: CAD in SolidWorks, rapid "
     "prototyping, and testing in our field lab.", "Pittsburgh, PA", "co-op", (28, 30, "hour"),
     "https://lumenrobotics.example/careers/mec", None),
    ("job_lr_3", "emp_lumen", "Robotics Software Intern", _ROBOTICS, "Pittsburgh, PA",
     "internship", (32, 38, "hour"), "https://lumenrobotics.example/careers/rsi-2", None),
    ("job_gl_1", "emp_greenleaf", "Energy Policy Research Intern",
     "Research state net-metering rules and write briefs for our members and board. Remote "
     "friendly, with monthly visits to Madison.", "Madison, WI", "internship", (20, 22, "hour"),
     "https://greenleaf.coop.example/work-with-us", None),
    ("job_gl_2", "emp_greenleaf", "Field Technician Apprentice",
     "Install and maintain rooftop solar under a licensed electrician. Paid apprenticeship "
     "with a path to an electrician's license; driver's licence required.", "Madison, WI",
     "apprenticeship", (21, 25, "hour"), "https://greenleaf.coop.example/apprentice", None),
    ("job_at_1", "emp_atlas", "Operations Analyst",
     "Analyse lane costs and carrier performance, and help plan peak season. Excel and SQL; "
     "our analysts present to the regional VP every quarter.", "Memphis, TN", "full-time",
     (62000, 70000, "year"), "https://atlasfreight.example/careers/oa", None),
    ("job_at_2", "emp_atlas", "Warehouse Supervisor Trainee",
     "Eighteen-month rotation through receiving, cross-dock and dispatch, then lead a shift of "
     "25. Evening shifts during training.", "Memphis, TN", "full-time", (55000, 58000, "year"),
     "https://atlasfreight.example/careers/wst", None),
    ("job_mc_1", "emp_meridian", "Member Service Representative (Part-time)",
     "Help members at our campus branch open accounts and understand loans. Twenty hours a "
     "week; paid training.", "Columbus, OH", "part-time", (18, 19, "hour"),
     "https://meridiancu.example/careers/msr", None),
    ("job_mc_2", "emp_meridian", "Accounting Intern",
     "Reconcile general-ledger accounts and help prepare the year-end audit. Accounting "
     "majors after their sophomore year.", "Columbus, OH", "internship", (20, 22, "hour"),
     "https://meridiancu.example/careers/acct", None),
    ("job_rb_1", "emp_riverbend", "Summer Camp Drama Counselor",
     "Lead games, scene work and a final showcase with campers aged 8 to 12, June to August. "
     "Background check covered by us.", "Asheville, NC", "seasonal", (3800, 4200, "total"),
     "https://riverbendtheatre.example/camp-staff", None),
    ("job_rb_2", "emp_riverbend", "Stage Management Intern",
     "Call cues, run rehearsals and keep the prompt book for our two fall productions.",
     "Asheville, NC", "internship", (16, 16, "hour"), "https://riverbendtheatre.example/sm", None),
    ("job_qc_1", "emp_quickcash", "Remote Payroll Clerk",
     "Process payroll for our partner companies from home. Flexible hours, weekly pay.",
     "Remote", "part-time", (25, 30, "hour"), None, None),
    ("job_gp_1", "emp_globalpay", "Payment Processing Agent",
     "Receive customer payments into your personal account, keep 10% as your commission and "
     "send the balance via Zelle to our overseas partners. Work from home, one hour a day.",
     "Remote", "part-time", (40, 60, "hour"), "https://globalpay-processing.example/agents",
     ("c_gp", "Steven Clarke", "s.clarke.hr@outlook.com")),
    ("job_fw_1", "emp_fizzwell", "Campus Brand Ambassador",
     "Host tastings at campus events and share Fizzwell on social media. No experience needed: "
     "we send you a kit each month.", "Denver, CO", "part-time", (15, 17, "hour"),
     "https://fizzwell.example/ambassadors", None),
    ("job_scam_check", "emp_harborview", "Administrative Assistant - Remote",
     "No interview needed, you're hired based on your resume. We will mail you a cashier's check "
     "to buy your laptop and software from our approved vendor; deposit it and send the rest back. "
     "Contact the hiring manager on Telegram @hv_hiring.", "Remote", "part-time",
     (30, 35, "hour"), UNSAFE_URL, ("c_hv", "Daniel Moore", "harborview.hr@gmail.com")),
    ("job_scam_pa", "emp_elitehome", "Personal Assistant Needed",
     "I need a personal assistant to run errands, pay my bills and pick up packages while I "
     "travel. Make $500 a day from home. Text me at (555) 201-7788 to start today.",
     "Remote", "part-time", None, None, ("c_eh", "Richard Vaughn", "elitehomeservices@yahoo.com")),
    ("job_scam_ship", "emp_swiftship", "Package Handling Coordinator (Work from Home)",
     "Receive packages at your home address, repackage them and forward them with our prepaid "
     "labels. Earn $1,500 a week. Anyone can do it, limited spots!", "Remote", "part-time",
     (1500, 1500, "week"), "https://swiftship-partners.example/join",
     ("c_ss", "Karen Lowe", "swiftship.partners@gmail.com")),
    ("job_scam_gift", "emp_blueoak", "Executive Assistant to the CEO",
     "Assist our CEO with client appreciation: buy Apple gift cards with your own card, scratch "
     "them and send the codes by email. You will be reimbursed the same day.", "New York, NY",
     "part-time", (28, 32, "hour"), "https://blueoakcapital.example/ea",
     ("c_bo", "CEO Office", "ceo.office.blueoak@gmail.com")),
    ("job_scam_mystery", "emp_shopsmart", "Mystery Shopper",
     "Get paid to shop! Evaluate stores near campus as a secret shopper. A $49 registration fee "
     "for your starter kit is required before your first assignment.", "Anywhere", "part-time",
     (300, 400, "week"), "https://shopsmart-evaluations.example/apply",
     ("c_sh", "Evaluations Team", "jobs@shopsmart-evaluations.example")),
]
# fmt: on
FIRST_JOB: tuple[Any, ...] = (
    FIRST_TRUSTED_JOB,
    "emp_northwind",
    "Patient Access Intern",
    _CLINIC,
    "Boston, MA",
    "internship",
    (19, 21, "hour"),
    "https://northwindhealth.example/careers/p776",
    None,
)


def _job_body(row: tuple[Any, ...], now: datetime, hours_ago: float) -> dict[str, Any]:
    jid, eid, title, description, location, kind, pay, apply_url, contact = row
    body: dict[str, Any] = {
        "id": jid,
        "employer": {"id": eid, "name": _NAMES[eid]},
        "title": title,
        "description": description,
        "location": location,
        "remote": location == "Remote",
        "employment_type": kind,
        "requested_at": _ago(now, hours_ago),
    }
    if pay:
        body["pay"] = {"min": pay[0], "max": pay[1], "currency": "USD", "period": pay[2]}
    if apply_url:
        body["apply_url"] = apply_url
    employer_contact = next((e[6] for e in _EMPLOYERS if e[0] == eid), None)
    chosen = contact or employer_contact
    if chosen:
        body["contact"] = _contact(*chosen)
    return body


def first_trusted_job(now: datetime) -> dict[str, Any]:
    """The trusted employer's first job: a person approves it, so later ones go automatically."""
    return _job_body(FIRST_JOB, now, 30)


def jobs(now: datetime) -> list[dict[str, Any]]:
    """The other 29 job requests."""
    return [_job_body(row, now, 28 - index * 0.8) for index, row in enumerate(_JOBS)]


def fraud_report(now: datetime) -> dict[str, Any]:
    return {
        "id": "rep_demo_1",
        "subject": {"type": "job", "id": SCAM_WITH_THREAD},
        "category": "fraud",
        "details": "A student says they were sent a $2,400 check and asked to return $1,900 by Zelle.",
        "status": "open",
        "created_at": _ago(now, 1),
    }


def platform_action(now: datetime) -> dict[str, Any]:
    """The platform's trust & safety team acts on a second report: the employer is suspended
    (everyone who decided on its requests is told by DM)."""
    return {
        "id": "rep_demo_2",
        "subject": {"type": "job", "id": SCAM_WITH_THREAD},
        "category": "fraud",
        "details": "Second student report; the employer account is suspended.",
        "status": "action_taken",
        "actions": ["employer_suspended"],
        "created_at": _ago(now, 0),
    }


THREAD_SCRIPT = (
    (REVIEWER_2, "Check sent first, then ‘buy from our vendor’ and Telegram: textbook check scam."),
    (REVIEWER, "Agreed. The apply link is on Web Risk too. Declining as suspected fraud."),
)

# fmt: off
_MORE: list[tuple[Any, ...]] = [
    ("emp_lumen", "Computer Vision Intern",
     "Train and evaluate detection models for ripe fruit on our harvest robots, with a mentor "
     "from the perception team.", "Pittsburgh, PA", "internship", (34, 38, "hour"), None),
    ("emp_harborview", "Data Entry Clerk - Remote",
     "You're hired, no interview! We send you a check for your home office equipment from our "
     "vendor. Message us on WhatsApp +1 555 0100 to start.", "Remote", "part-time",
     (35, 40, "hour"), ("c_hv", "Daniel Moore", "harborview.hr@gmail.com")),
    ("emp_harborlib", "Bookmobile Driver Assistant",
     "Ride along on our bookmobile routes, help patrons check out books and keep the van "
     "stocked. Summer only.", "Harbor City, CA", "seasonal", (18, 18, "hour"), None),
    ("emp_northwind", "Pharmacy Technician Intern",
     "Fill prescriptions under a pharmacist's supervision at our outpatient pharmacy; "
     "certification exam fee reimbursed.", "Boston, MA", "internship", (20, 22, "hour"), None),
]
# fmt: on


def more(now: datetime, round_number: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A fresh batch (one new employer, four jobs) for the 'send more' button."""
    employer = {
        "id": f"emp_more_{round_number}",
        "name": f"Summit Civic Lab {round_number}",
        "website": f"https://summitcivic{round_number}.example",
        "industry": "Nonprofit",
        "size": "11-50",
        "location": "Denver, CO",
        "contact": _contact(
            f"c_more_{round_number}", "Ivy Summers", f"ivy@summitcivic{round_number}.example"
        ),
        "other_schools": {"approved": 3, "declined": 0},
        "requested_at": _ago(now, 0),
    }
    batch = []
    for index, (eid, title, description, location, kind, pay, contact) in enumerate(_MORE):
        row = (
            f"job_more_{round_number}_{index + 1}",
            eid,
            title,
            description,
            location,
            kind,
            pay,
            None,
            contact,
        )
        batch.append(_job_body(row, now, 0))
    return [employer], batch


def now_utc() -> datetime:
    return datetime.now(UTC)
