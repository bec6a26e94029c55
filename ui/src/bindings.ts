// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs). Do not edit by hand.
// Regenerate: ZOUFANG_UPDATE_BINDINGS=1 cargo test -p zoufang-app bindings

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;

export type Village = { id: string, name: string, 
/**
 * 12-digit 统计用区划代码: the first 6 digits are the county, the first 9 the township.
 */
code: string, township: string, county: string, 
/**
 * A 贫困村 (registered poor village); inspections must cover every one. `None`: not flagged.
 */
poor_village: boolean | null, 
/**
 * Where the village committee is and how far from it a check-in counts as in the village (set by
 * the county office; `crate::presence`).
 */
lat: number | null, lon: number | null, radius_m: number | null, };

export type Household = { id: string, village_id: string, household_no: string, head_name: string, head_id_number: IdNumber | null, phone: Phone | null, group_name: string | null, address: string | null, attribute: Attribute, 
/**
 * The procedure record that last changed the status (`crate::procedure`); none for a household
 * whose status is still the one it was registered with.
 */
status_change: string | null, status: HouseholdStatus, poverty_causes: Array<PovertyCause>, helper_name: string | null, helper_phone: Phone | null, 
/**
 * The 帮扶责任人 in the village's register (`crate::helpers`); name and phone are copied from it.
 */
helper_id: string | null, 
/**
 * 系统人口: the population in the national register.
 */
registered_population: number | null, 
/**
 * 明白卡人口: the number on the household's card, where the county still uses the card.
 */
card_population: number | null, exit_year: number | null, notes: string | null, };

export type Member = { id: string, household_id: string, name: string, id_number: IdNumber | null, relation: Relation, sex: Sex | null, birth_date: string | null, health: Health | null, labor: Labor | null, 
/**
 * 文化程度; absent in records written before it was kept.
 */
education: Education | null, schooling: Schooling | null, phone: Phone | null, 
/**
 * The change that last moved the member (`crate::members`).
 */
member_change: string | null, 
/**
 * When the member left (died, married out, moved out); `None` while in the household.
 */
left_on: string | null, };

export type NeedState = "met" | "unmet" | "not_applicable";

export type NeedCheck = { state: NeedState, note?: string | null, };

export type BasicNeeds = { food: NeedCheck, clothing: NeedCheck, education: NeedCheck, medical: NeedCheck, housing: NeedCheck, water: NeedCheck, };

export type Visit = { id: string, household_id: string, kind: VisitKind, visited_on: string, visitor: string, 
/**
 * The register's 帮扶责任人 who made the visit, when it was one (`crate::helpers`).
 */
helper_id: string | null, basic_needs: BasicNeeds, satisfaction: Satisfaction | null, 
/**
 * 实际人口 counted on the visit.
 */
actual_population: number | null, notes: string | null, lat: number | null, lon: number | null, };

export type HandbookEntry = { id: string, household_id: string, section: HandbookSection, entry_date: string, title: string, content: string | null, measure: MeasureKind | null, amount_fen: number | null, income_calc: IncomeCalc | null, recorded_by: string | null, };

export type Presence = { id: string, village_id: string, staff_name: string, checked_at: string, lat: number | null, lon: number | null, note: string | null, 
/**
 * Whether the position was within the village's radius (`None`: no position, or the village has
 * no location set).
 */
inside: boolean | null, 
/**
 * The device's clock against the server's at the first sync after the check-in (server − device,
 * ms); `None` until then.
 */
clock_offset_ms: number | null, };

export type Rectification = { id: string, village_id: string, household_id: string | null, source: RectificationSource, problem: string, deadline: string, 
/**
 * The 销号 step that last changed the status (`crate::rectification`).
 */
review: string | null, status: RectificationStatus, responsible: string | null, evidence: string | null, closed_on: string | null, };

export type Candidate = { 
/**
 * The change that wrote this value.
 */
change: string, value: JsonValue, device: string, 
/**
 * The enrolled name of the device (who).
 */
author: string, 
/**
 * Wall-clock time of the edit, from its hybrid logical clock, RFC 3339 (when).
 */
at: string, };

export type Conflict = { id: string, village_id: string, entity: string, row_id: string, field: string, candidates: Array<Candidate>, 
/**
 * The change whose value the record holds now (deterministic: higher clock, then device id).
 */
winner: string, opened_at: string, status: ConflictStatus, resolution: JsonValue | null, resolved_by: string | null, resolved_at: string | null, };

export type IncomeCalc = { year: number, 
/**
 * Persons sharing the income (家庭人口).
 */
household_size: number, 
/**
 * 工资性收入.
 */
wage_fen: number, 
/**
 * 生产经营性收入.
 */
business_fen: number, 
/**
 * 财产性收入.
 */
property_fen: number, 
/**
 * 转移性收入 (pensions, 低保, subsidies).
 */
transfer_fen: number, 
/**
 * 生产经营性支出, deducted.
 */
production_cost_fen: number, };

export type IncomeSummary = { year: number, total_income_fen: number, net_income_fen: number, per_capita_fen: number | null, poverty_line_fen: number, above_line: boolean, 
/**
 * The Chinese message of a calculation that cannot be stored as it is.
 */
problem: string | null, };

export type IdNumber = string;

export type Phone = string;

export type Problem = { "kind": "required" } | { "kind": "wrong_type", expected: string, } | { "kind": "too_long", max: number, actual: number, } | { "kind": "too_many", max: number, actual: number, } | { "kind": "out_of_range", min: number, max: number, } | { "kind": "not_allowed", value: string, allowed: string, } | { "kind": "id_number_length", actual: number, } | { "kind": "id_number_chars" } | { "kind": "id_number_check_digit", expected: string, actual: string, } | { "kind": "id_number_birth_date", date: string, } | { "kind": "phone" } | { "kind": "date_format" } | { "kind": "date_time_format" } | { "kind": "future_date" } | { "kind": "too_early", min: string, } | { "kind": "money" } | { "kind": "division_code" } | { "kind": "sha256" } | { "kind": "uuid" } | { "kind": "person_name" } | { "kind": "invalid", detail: string, } | { "kind": "unknown_field" } | { "kind": "immutable" } | { "kind": "server_only" };

export type ValidationError = { 
/**
 * The field identifier (GLOSSARY.md names), e.g. `head_id_number`.
 */
field: string, problem: Problem, };

export type ExitDecision = { id: string, household_id: string, step: ExitStep, outcome: ExitOutcome, decided_on: string, 
/**
 * Who decided or recorded it.
 */
actor: string, 
/**
 * What it rests on: 评议结果, 核查说明, 公示地点…
 */
evidence: string | null, 
/**
 * Why a step was sent back.
 */
reason: string | null, publicity_start: string | null, publicity_end: string | null, 
/**
 * 核查测算 only: the per-capita net income and the line it was held against, as verified.
 */
income_per_capita_fen: number | null, poverty_line_fen: number | null, 
/**
 * When it was recorded (RFC 3339); orders decisions made on the same day.
 */
recorded_at: string, };

export type ExitProgress = { 
/**
 * The steps passed, in order.
 */
passed: Array<ExitStep>, 
/**
 * The step to decide next; `None` once 销号 is passed.
 */
next: ExitStep | null, 
/**
 * The last decision that sent the household back, if it is the latest decision that counted.
 */
sent_back: SentBack | null, 
/**
 * Decisions that did not fit the procedure when they arrived (e.g. two devices both passing the same
 * step offline); kept and shown, without effect.
 */
ignored: Array<string>, 
/**
 * When the latest counted decision was made (the next step's deadline counts from it).
 */
since: string | null, };

export type SentBack = { step: ExitStep, reason: string, by: string, on: string, };

export type VerificationCheck = { 
/**
 * Reasons the household may not pass verification (empty: it may).
 */
blockers: Array<string>, income_per_capita_fen: number | null, poverty_line_fen: number, year: number, };

export type Attribute = "general" | "dibao" | "tekun";

export type HouseholdStatus = "poor" | "exited" | "returned" | "marginal" | "monitored" | "stable";

export type PovertyCause = "illness" | "disability" | "schooling" | "disaster" | "no_land" | "no_water" | "no_skills" | "no_labor" | "no_capital" | "poor_transport" | "low_motivation" | "marriage" | "funeral" | "other";

export type Labor = "ordinary" | "skilled" | "weak" | "lost" | "none";

export type Health = "healthy" | "chronic" | "serious" | "disabled";

export type Relation = "head" | "spouse" | "child" | "parent" | "grandchild" | "grandparent" | "sibling" | "child_in_law" | "other";

export type Sex = "male" | "female";

export type Education = "illiterate" | "primary" | "junior" | "senior" | "college" | "preschool";

export type Schooling = "not_in_school" | "preschool" | "primary" | "junior" | "senior" | "vocational" | "higher";

export type VisitKind = "routine" | "secretary_tour" | "recheck";

export type BasicNeed = "food" | "clothing" | "education" | "medical" | "housing" | "water";

export type Satisfaction = "satisfied" | "basic" | "dissatisfied";

export type HandbookSection = "plan" | "measure" | "visit_record" | "income_calc" | "result";

export type MeasureKind = "industry" | "employment" | "education" | "health" | "housing_renovation" | "relocation" | "microcredit" | "social_security" | "solar" | "asset_income";

export type ExitStep = "application" | "verification" | "review" | "publicity" | "township_review" | "county_decision" | "notice" | "closed";

export type ExitOutcome = "passed" | "returned";

export type RectificationSource = "inspection" | "visit" | "audit" | "assessment" | "self_check" | "township";

export type RectificationStatus = "open" | "in_progress" | "proposed" | "closed";

export type RectificationAction = "propose" | "confirm" | "send_back" | "recheck_passed" | "reopened";

export type RectificationReview = { id: string, village_id: string, rectification_id: string, action: RectificationAction, decided_on: string, 
/**
 * Who decided or recorded it.
 */
actor: string, 
/**
 * What was done (a proposal), or why it was sent back or reopened.
 */
note: string | null, 
/**
 * When it was recorded (RFC 3339); orders steps taken on the same day.
 */
recorded_at: string, };

export type Issuer = "county" | "township" | "village";

export type SettingView = { key: string, label: string, unit: string, min: number, max: number, default: number, 
/**
 * Where the default comes from.
 */
source: string, 
/**
 * The value in force: as the county set it, or the default.
 */
value: number, 
/**
 * Whether the county set it.
 */
set: boolean, };

export type CountySettings = { values: { [key in string]: number }, };

export type ConflictStatus = "open" | "resolved";

export type StatusProcedure = "exit" | "relapse" | "correction";

export type StatusChange = { id: string, household_id: string, procedure: StatusProcedure, from_status: HouseholdStatus, to_status: HouseholdStatus, decided_on: string, 
/**
 * Who decided or recorded it.
 */
actor: string, 
/**
 * Why (返贫原因; the correction's reason).
 */
reason: string | null, 
/**
 * What it rests on (核实材料, 评议结果 …).
 */
evidence: string | null, 
/**
 * 脱贫退出 only: the 销号 decision it follows.
 */
exit_decision: string | null, 
/**
 * When it was recorded (RFC 3339).
 */
recorded_at: string, };

export type MemberChangeKind = "birth" | "marriage_in" | "move_in" | "death" | "marriage_out" | "move_out";

export type MemberChange = { id: string, household_id: string, member_id: string, kind: MemberChangeKind, changed_on: string, actor: string, evidence: string | null, recorded_at: string, };

export type ArchiveKind = "application" | "intake_form" | "five_review_score" | "exit_plan" | "project_application" | "relocation_application" | "project_approval" | "village_agreement" | "income_expense_sheet" | "policy_list";

export type ArchiveSection = "identification" | "assistance" | "exit";

export type PhotoOwner = "archive_document" | "visit" | "rectification" | "village_document";

export type ArchiveDocument = { id: string, household_id: string, kind: ArchiveKind, title?: string | null, note?: string | null, recorded_by?: string | null, };

export type Photo = { id: string, village_id: string, household_id?: string | null, owner_kind: PhotoOwner, owner_id: string, 
/**
 * SHA-256 of the archive JPEG.
 */
hash: string, thumb_hash: string, width: number, height: number, bytes: number, page?: number | null, 
/**
 * Camera time from EXIF, `YYYY-MM-DDTHH:MM:SS` (camera local time).
 */
taken_at?: string | null, lat?: number | null, lon?: number | null, added_by?: string | null, caption?: string | null, };

export type Helper = { id: string, village_id: string, name: string, phone?: Phone | null, unit?: string | null, post?: string | null, };

export type VillageDocument = { id: string, village_id: string, kind: VillageArchiveKind, year?: number | null, title?: string | null, note?: string | null, recorded_by?: string | null, };

export type VillageArchiveKind = "policy_documents" | "poverty_ledger" | "project_plan" | "project_acceptance" | "fund_disbursement" | "review_records" | "notices" | "special_programs" | "microcredit";

export type Frequency = { 
/**
 * Households that name this helper.
 */
households: number, 
/**
 * Of those, the ones the helper visited within the interval.
 */
visited: number, 
/**
 * The helper's visits within the interval, to any of them.
 */
visits: number, };

export type DocState = "missing" | "not_uploaded" | "complete";

export type Role = "work_team" | "first_secretary" | "township" | "inspector" | "county" | "admin";

export type CalendarDay = { date: string, working: boolean, 
/**
 * A weekday off by the State Council's notice (法定节假日).
 */
holiday: boolean, 
/**
 * A weekend day worked in exchange (调休上班).
 */
makeup: boolean, };

export type HouseholdQuery = { village: string | null, 
/**
 * Part of a name (head or member), a 户编号 or a 身份证号.
 */
text: string | null, status: HouseholdStatus | null, 
/**
 * Only households with no visit on or after this date (e.g. the first of this month).
 */
not_visited_since: string | null, 
/**
 * Only households with an open rectification item.
 */
open_problems: boolean, 
/**
 * Only households whose 一户一档 lacks a required document or has pages not yet uploaded.
 */
missing_archive: boolean, limit: number | null, offset: number | null, };

export type HouseholdSummary = { id: string, village_id: string | null, household_no: string | null, head_name: string | null, head_id_number: string | null, status: HouseholdStatus | null, group_name: string | null, members: number, last_visit: string | null, open_problems: number, };

export type HouseholdDetail = { household: Household, village: Village | null, members: Array<Member>, 
/**
 * Newest first.
 */
visits: Array<Visit>, 
/**
 * Newest first.
 */
handbook: Array<HandbookEntry>, 
/**
 * Open items first, then by deadline.
 */
problems: Array<Rectification>, 
/**
 * The checklist of the latest visit and its date.
 */
latest_needs: BasicNeeds | null, latest_visit_on: string | null, latest_income: LatestIncome | null, exit: ExitView, 
/**
 * How the status came to be: every procedure that changed it, oldest first.
 */
status_changes: Array<StatusChange>, 
/**
 * Status changes the household does not stand on (`procedure::not_in_effect`): shown, marked.
 */
status_changes_not_in_effect: Array<string>, 
/**
 * Members joining and leaving, oldest first.
 */
member_changes: Array<MemberChange>, open_conflicts: number, };

export type LatestIncome = { entry_id: string, entry_date: string, summary: IncomeSummary, };

export type ExitView = { progress: ExitProgress, 
/**
 * Every decision, oldest first.
 */
decisions: Array<ExitDecision>, verification: VerificationCheck, 
/**
 * Who records the next step (驻村工作队员或第一书记, 乡镇干部, 县扶贫办), and whether this device may.
 */
next_by: string | null, may_record_next: boolean, 
/**
 * What the next step's evidence records (the form's hint).
 */
evidence_hint: string | null, 
/**
 * The next step's last day by the county's working-day deadline, and whether it has passed.
 */
due_on: string | null, overdue: boolean, 
/**
 * The county's shortest 公示, in days.
 */
publicity_days: number, 
/**
 * Whether the household may be in the procedure at all (未脱贫 or 返贫); others have exited.
 */
open: boolean, };

export type StatusCount = { status: HouseholdStatus, count: number, };

export type VillageOverview = { village: Village, households: number, by_status: Array<StatusCount>, not_visited_this_month: number, with_open_problems: number, overdue_problems: number, open_conflicts: number, 
/**
 * Households whose 一户一档 lacks a required document or has pages not yet uploaded.
 */
archive_incomplete: number, };

export type NewVisit = { household_id: string, kind: string, visited_on: string, visitor: string, 
/**
 * The register's 帮扶责任人 who made the visit, when it was one: counts for their visit frequency.
 */
helper_id: string | null, basic_needs: BasicNeeds, satisfaction: string | null, actual_population: number | null, notes: string | null, lat: number | null, lon: number | null, problems: Array<NewProblem>, };

export type NewProblem = { problem: string, 
/**
 * `YYYY-MM-DD`; empty: the visit date plus [`DEFAULT_DEADLINE_DAYS`].
 */
deadline: string | null, responsible: string | null, };

export type NewExitDecision = { household_id: string, step: ExitStep, outcome: ExitOutcome, decided_on: string, actor: string, evidence: string | null, reason: string | null, publicity_start: string | null, publicity_end: string | null, };

export type NewStatusChange = { household_id: string, procedure: StatusProcedure, to_status: HouseholdStatus, decided_on: string, actor: string, reason: string | null, evidence: string | null, };

export type PresenceMonth = { staff_name: string, year: number, month: number, 
/**
 * Distinct days with a check-in.
 */
days_present: Array<string>, 
/**
 * Working days of the month by the national holiday calendar.
 */
working_days: number, required_days: number, meets: boolean, checked_in_today: boolean, 
/**
 * This month's check-ins, newest first.
 */
checkins: Array<Presence>, 
/**
 * Every day of the month, with holidays and 调休 working days marked.
 */
days: Array<CalendarDay>, 
/**
 * Days with a verified check-in (inside the village's radius, the clock right), and the county's
 * clock tolerance.
 */
days_verified: number, clock_tolerance_ms: number, };

export type ProblemItem = { item: Rectification, village_name: string | null, household_name: string | null, household_no: string | null, overdue: boolean, 
/**
 * Who issued it, and so confirms its 销号; and as people call it (县扶贫办, 乡镇, 本村).
 */
issuer: Issuer, issuer_label: string, 
/**
 * Its 销号 steps, oldest first (a proposal's 整改情况, why it was sent back …).
 */
reviews: Array<RectificationReview>, 
/**
 * The steps this device may take on it now.
 */
actions: Array<RectificationAction>, 
/**
 * Whether this device may mark it 整改中 (or back to 待整改).
 */
may_mark: boolean, };

export type NewReview = { rectification_id: string, action: RectificationAction, decided_on: string, actor: string, note: string | null, };

export type RecheckPlan = { percent: number, closed: number, rechecked: number, due: Array<ProblemItem>, };

export type NewMemberChange = { household_id: string, kind: MemberChangeKind, changed_on: string, actor: string, evidence: string | null, member_id: string | null, member: Record<string, unknown> | null, };

export type ConflictView = { conflict: Conflict, 
/**
 * 贫困户, 家庭成员…
 */
entity_label: string, 
/**
 * The field's Chinese label, e.g. 联系电话.
 */
field_label: string, 
/**
 * A title for the record: the household's 户主 and 户编号, or the member's name.
 */
record_title: string, 
/**
 * Whether the value is text a person can merge by typing (otherwise one side must be picked).
 */
typable: boolean, 
/**
 * The value the record holds now.
 */
current: JsonValue | null, };

export type HouseholdRef = { id: string, village: string, household_no: string, head_name: string, status: HouseholdStatus | null, };

export type NeedsGap = { household: HouseholdRef, visited_on: string, unmet: Array<BasicNeed>, 
/**
 * What was found, item by item.
 */
notes: Array<string>, };

export type VillageNeeds = { village: string, households: number, with_gap: number, 
/**
 * Per item: households whose latest visit found it unmet.
 */
by_item: Array<[BasicNeed, number]>, };

export type NeedsReport = { villages: Array<VillageNeeds>, gaps: Array<NeedsGap>, };

export type CoverageReport = { since: string, households: number, visited: number, not_visited: Array<[HouseholdRef, string | null]>, };

export type PresenceLine = { village: string, staff_name: string, 
/**
 * Days with a check-in.
 */
days_present: number, 
/**
 * Days with a verified check-in: inside the village's radius, the device's clock right
 * (`zoufang_model::presence::verified`).
 */
days_verified: number, working_days: number, required_days: number, meets: boolean, meets_verified: boolean, };

export type PresenceReport = { year: number, month: number, 
/**
 * Whether the holiday calendar knows the year (otherwise only weekends are off).
 */
calendar_known: boolean, lines: Array<PresenceLine>, };

export type PopulationMismatch = { household: HouseholdRef, 
/**
 * From the register (household.registered_population).
 */
system: number | null, 
/**
 * On the household's 明白卡 (only where the county still uses the card).
 */
card: number | null, 
/**
 * From the handbook's latest income calculation (household_size).
 */
handbook: number | null, 
/**
 * Counted on the latest visit.
 */
actual: number | null, 
/**
 * Household members on record.
 */
members: number, };

export type IncomeIssue = "exited_below_line" | "poor_above_line";

export type IncomeLine = { household: HouseholdRef, issue: IncomeIssue, year: number, per_capita_fen: number, poverty_line_fen: number, };

export type LedgerLine = { village: string, source: RectificationSource, 
/**
 * Not yet 销号, of which `overdue` are past their deadline and `proposed` wait for the issuer.
 */
open: number, overdue: number, proposed: number, closed: number, };

export type Dashboard = { needs: NeedsReport, coverage: CoverageReport, presence: PresenceReport, population: Array<PopulationMismatch>, income: Array<IncomeLine>, ledger: Array<LedgerLine>, assessment: Assessment, 
/**
 * 帮扶责任人 visit frequency by the county's interval.
 */
helpers: HelperReport, };

export type Rate = { count: number, of: number, };

export type CorrectionKind = "wrong_entry" | "missed" | "wrong_exit" | "other";

export type AssessmentLine = { 
/**
 * 村, 乡镇 or 县.
 */
level: string, name: string, satisfaction: Rate, wrong_entry: Rate, missed: Rate, wrong_exit: Rate, 
/**
 * Households in poverty visited by the 第一书记 this year.
 */
secretary_tour: Rate, 
/**
 * Exited households whose 回头看 is past due.
 */
recheck_overdue: number, };

export type Finding = { "kind": "corrected", correction: CorrectionKind, on: string, reason: string | null, } | { "kind": "dissatisfied", on: string, } | { "kind": "no_secretary_tour" } | { "kind": "recheck_due", due_on: string, overdue: boolean, };

export type AssessedHousehold = { household: HouseholdRef, finding: Finding, };

export type Assessment = { year: number, 
/**
 * Villages, then townships, then the county.
 */
lines: Array<AssessmentLine>, households: Array<AssessedHousehold>, recheck_days: number, };

export type PhotoTarget = { "kind": "archive_document", "id": string } | { "kind": "visit", "id": string } | { "kind": "rectification", "id": string } | { "kind": "village_document", "id": string };

export type NewDocument = { household_id: string, kind: ArchiveKind, title: string | null, note: string | null, };

export type PhotoImported = { photo: Photo, 
/**
 * The same photo was already attached here: nothing new was stored.
 */
duplicate: boolean, };

export type PhotoView = { photo: Photo, 
/**
 * The full image is on this device.
 */
on_device: boolean, 
/**
 * The thumbnail is on this device.
 */
thumb_on_device: boolean, 
/**
 * Made here and not yet confirmed by the server.
 */
pending_upload: boolean, };

export type DocumentView = { document: ArchiveDocument, pages: Array<PhotoView>, };

export type ArchiveItem = { kind: ArchiveKind, required: boolean, state: DocState, pages: number, pages_not_uploaded: number, documents: Array<DocumentView>, };

export type ArchiveStatus = { household_id: string, items: Array<ArchiveItem>, 
/**
 * Required kinds with no page.
 */
missing: number, 
/**
 * Pages still only on this device.
 */
pages_not_uploaded: number, 
/**
 * Every required document is on the server.
 */
complete: boolean, };

export type HouseholdFileLine = { household_id: string, household_no: string | null, head_name: string | null, required: number, missing: Array<ArchiveKind>, pages_not_uploaded: number, };

export type NewHelper = { village_id: string, name: string, phone: string | null, unit: string | null, post: string | null, };

export type HelpersLinked = { 
/**
 * Helpers added to the register from typed names.
 */
created: number, 
/**
 * Households now naming a helper of the register.
 */
linked: number, };

export type HelperHousehold = { household_id: string, household_no: string, head_name: string, village_name: string, 
/**
 * The helper's last visit to it.
 */
last_visit: string | null, 
/**
 * When the next is due (none: never visited, due now).
 */
due_on: string | null, };

export type HelperLine = { helper: Helper, village_name: string, frequency: Frequency, overdue: Array<HelperHousehold>, };

export type HelperReport = { 
/**
 * The county's interval (setting `helper_visit_days`).
 */
every_days: number, today: string, helpers: Array<HelperLine>, 
/**
 * All helpers together.
 */
total: Frequency, 
/**
 * Households that name no helper of the register (a typed name at most).
 */
unlinked: Array<HelperHousehold>, };

export type NewVillageDocument = { village_id: string, kind: VillageArchiveKind, year: number | null, title: string | null, note: string | null, };

export type VillageDocumentView = { document: VillageDocument, pages: Array<PhotoView>, };

export type VillageArchiveItem = { kind: VillageArchiveKind, required: boolean, state: DocState, pages: number, pages_not_uploaded: number, documents: Array<VillageDocumentView>, };

export type VillageArchiveStatus = { village_id: string, village_name: string, items: Array<VillageArchiveItem>, 
/**
 * Required kinds with no page.
 */
missing: number, 
/**
 * Pages still only on this device.
 */
pages_not_uploaded: number, 
/**
 * Every required document is on the server.
 */
complete: boolean, };

export type InspectionLine = { id: string, household_id: string, household_no: string, head_name: string, village: string, inspected_on: string, inspector: string, 
/**
 * Size of the sealed findings in bytes.
 */
sealed_bytes: number, 
/**
 * Rectification items already made from inspections of this household.
 */
rectifications: number, };

export type InspectionFindings = { 
/**
 * The 两不愁三保障 checklist as the inspector found it.
 */
basic_needs: BasicNeeds, satisfaction: Satisfaction | null, 
/**
 * Whether the family knows its 帮扶责任人 (a usual 暗访 question).
 */
knows_helper: boolean | null, notes: string | null, 
/**
 * Other problems found, one per item.
 */
problems: Array<string>, 
/**
 * The photos taken, in order (their files are sealed separately; see [`InspectionPhoto`]).
 */
photos: Array<InspectionPhoto>, };

export type InspectionPhoto = { 
/**
 * SHA-256 of the sealed file: its name on the device and the server.
 */
hash: string, width: number, height: number, 
/**
 * Size of the image inside, in bytes.
 */
bytes: number, 
/**
 * From the camera's EXIF, `YYYY-MM-DD HH:MM:SS`.
 */
taken_at: string | null, lat: number | null, lon: number | null, };

export type InspectionCoverage = { year: number, poor_households: number, 
/**
 * Poor households with at least one inspection dated in the year.
 */
inspected: number, 
/**
 * ⌈60% × poor households⌉.
 */
required: number, meets_share: boolean, villages: Array<VillageInspection>, 
/**
 * Villages that must be covered (≥ 20 poor households) and have no inspection this year.
 */
villages_missing: number, };

export type VillageInspection = { village: string, poor_households: number, inspected: number, 
/**
 * Inspections of any household of the village this year.
 */
inspections: number, 
/**
 * A 贫困村: it must be covered whatever its number of poor households.
 */
poor_village: boolean, must_cover: boolean, };

export type ImportSummary = { 
/**
 * Data rows read (one per member).
 */
rows: number, rows_imported: number, rows_rejected: number, 
/**
 * Households refused whole (one of their rows was wrong).
 */
households_rejected: number, households: number, households_created: number, households_updated: number, members_created: number, members_updated: number, 
/**
 * 帮扶责任人 added to the register from the file's names (households are linked to them).
 */
helpers_created: number, rejected: Array<RowError>, millis: number, };

export type ImportProgress = { 
/**
 * 1 reading and checking rows, 2 writing households.
 */
phase: number, done: number, 
/**
 * 0 while reading: how many rows a file holds is known only at its end.
 */
total: number, };

export type RowError = { 
/**
 * The spreadsheet's row number, as Excel shows it.
 */
row: number, 
/**
 * The column's name, as in the roster.
 */
column: string, reason: string, };

export type ImportResult = { summary: ImportSummary, 
/**
 * The file name to suggest for the rejection report, when rows were refused.
 */
rejections_name: string | null, };

export type AppInfo = { device_id: string, enrolled: boolean, server_url: string | null, device_name: string | null, 
/**
 * `village:<id>`, `township:<code>`…
 */
scope: string | null, 
/**
 * The role the server gave this device, as people call it (第一书记, 督查组…).
 */
role: string | null, 
/**
 * The same role as an identifier: decides the app's mode (village work, 暗访, county office).
 */
role_id: Role | null, 
/**
 * When the device's authorisation runs out (RFC 3339), if it does.
 */
expires_at: string | null, operator: string | null, villages: Array<Village>, today: string, 
/**
 * Values to prefill the enrolment form with (`make run` passes the local server and a code).
 */
suggested_server: string | null, suggested_code: string | null, 
/**
 * The server is reached over unencrypted HTTP (this machine only, or allowed explicitly): the
 * sync screen says so.
 */
plain_http: boolean, 
/**
 * The SHA-256 fingerprint of the server certificate pinned at enrolment, for people to compare.
 */
cert_pin: string | null, };

export type LockState = { unlocked: boolean, exists: boolean, 
/**
 * Shortest secret accepted for a new database.
 */
min_secret_chars: number, };

export type EnrolmentOffer = { 
/**
 * The server's address, e.g. `https://10.0.0.5:8470`.
 */
server: string, 
/**
 * The one-time enrolment code.
 */
code: string, 
/**
 * The SHA-256 fingerprint of the server's certificate (64 lowercase hex digits), to pin.
 */
pin: string | null, 
/**
 * The village, township or county the device will work in.
 */
place: string, role: Role, };

export type IssuedCode = { code: string, ttl_hours: number, 
/**
 * The enrolment offer as text (what the QR code holds; can also be copied).
 */
offer: string, 
/**
 * The QR code as SVG, for the screen.
 */
svg: string, 
/**
 * Where the tablet will work and as what, for the person to read.
 */
place: string, role: string, };

export type HistoryEntry = { 
/**
 * When it was made, by the device's clock (RFC 3339).
 */
at: string, 
/**
 * The device's name.
 */
device: string, 
/**
 * The record kind's identifier (`household`, `member` …).
 */
entity: string, row: string, field: string, 
/**
 * The value before, as this server holds the field's history (`None`: first set).
 */
old: JsonValue | null, new: JsonValue, 
/**
 * Whether it is the field's current value.
 */
live: boolean, };

export type HistoryResponse = { household: string, entries: Array<HistoryEntry>, };

export type SealingStatus = { 
/**
 * Holds the county office's public key (inspectors can seal).
 */
can_seal: boolean, sealing_fingerprint: string | null, 
/**
 * Holds the county office's private key (it can open).
 */
can_open: boolean, opening_fingerprint: string | null, };

export type KeyBackup = { fingerprint: string, backup_path: string, };

export type SyncStatus = { enrolled: boolean, running: boolean, 
/**
 * 0–100 while running.
 */
percent: number | null, 
/**
 * What is happening, in Chinese.
 */
phase: string | null, 
/**
 * The server answered the last attempt.
 */
reachable: boolean | null, pending: number, last_sync: string | null, 
/**
 * The last failure in plain Chinese, with what to do.
 */
last_error: string | null, 
/**
 * Its stable code (`wiped`, `unreachable`, `certificate_mismatch`, a server code …): what the UI
 * decides on.
 */
last_error_code: string | null, 
/**
 * The technical detail of that failure, for the township's IT staff.
 */
last_error_detail: string | null, retry_in_seconds: number | null, 
/**
 * Changes the server refused, waiting for a person.
 */
quarantined: number, last_report: string | null, };

export type CmdError = { 
/**
 * Stable, snake_case: `invalid`, `wrong_secret`, `wiped`, `not_enrolled`, a server code …
 */
code: string, message: string, 
/**
 * The field identifier, e.g. `head_id_number` or `problems.1.deadline`.
 */
field: string | null, };

/** Chinese labels of the vocabularies (GLOSSARY.md), by type and identifier. */
export const LABELS = {
  Attribute: {
    "general": "一般贫困户",
    "dibao": "低保贫困户",
    "tekun": "特困供养户"
  },
  HouseholdStatus: {
    "poor": "未脱贫",
    "exited": "已脱贫",
    "returned": "返贫",
    "marginal": "边缘户",
    "monitored": "脱贫监测户",
    "stable": "稳定脱贫"
  },
  PovertyCause: {
    "illness": "因病",
    "disability": "因残",
    "schooling": "因学",
    "disaster": "因灾",
    "no_land": "缺土地",
    "no_water": "缺水",
    "no_skills": "缺技术",
    "no_labor": "缺劳力",
    "no_capital": "缺资金",
    "poor_transport": "交通条件落后",
    "low_motivation": "自身发展动力不足",
    "marriage": "因婚",
    "funeral": "因丧",
    "other": "其他"
  },
  Labor: {
    "ordinary": "普通劳动力",
    "skilled": "技能劳动力",
    "weak": "弱劳动力或半劳动力",
    "lost": "丧失劳动力",
    "none": "无劳动力"
  },
  Health: {
    "healthy": "健康",
    "chronic": "长期慢性病",
    "serious": "患有大病",
    "disabled": "残疾"
  },
  Relation: {
    "head": "户主",
    "spouse": "配偶",
    "child": "子女",
    "parent": "父母",
    "grandchild": "孙子女",
    "grandparent": "祖父母",
    "sibling": "兄弟姐妹",
    "child_in_law": "儿媳女婿",
    "other": "其他"
  },
  Sex: {
    "male": "男",
    "female": "女"
  },
  Education: {
    "illiterate": "文盲或半文盲",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "college": "大专及以上",
    "preschool": "学龄前儿童"
  },
  Schooling: {
    "not_in_school": "非在校生",
    "preschool": "学前教育",
    "primary": "小学",
    "junior": "初中",
    "senior": "高中",
    "vocational": "中职",
    "higher": "大专及以上"
  },
  VisitKind: {
    "routine": "日常走访",
    "secretary_tour": "书记遍访",
    "recheck": "回头看"
  },
  BasicNeed: {
    "food": "不愁吃",
    "clothing": "不愁穿",
    "education": "义务教育有保障",
    "medical": "基本医疗有保障",
    "housing": "住房安全有保障",
    "water": "饮水安全有保障"
  },
  Satisfaction: {
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意"
  },
  HandbookSection: {
    "plan": "帮扶规划",
    "measure": "帮扶措施",
    "visit_record": "帮扶走访",
    "income_calc": "收支测算",
    "result": "帮扶成效"
  },
  MeasureKind: {
    "industry": "产业",
    "employment": "就业",
    "education": "教育",
    "health": "健康",
    "housing_renovation": "危房改造",
    "relocation": "易地搬迁",
    "microcredit": "金融(小额信贷)",
    "social_security": "社保兜底",
    "solar": "光伏",
    "asset_income": "资产收益"
  },
  ExitStep: {
    "application": "申请",
    "verification": "核查测算",
    "review": "民主评议",
    "publicity": "公示",
    "township_review": "乡镇审核",
    "county_decision": "县级审定",
    "notice": "告知",
    "closed": "销号"
  },
  ExitOutcome: {
    "passed": "通过",
    "returned": "退回"
  },
  RectificationSource: {
    "inspection": "督查暗访",
    "visit": "入户走访",
    "audit": "审计",
    "assessment": "考核评估",
    "self_check": "自查",
    "township": "乡镇督查"
  },
  RectificationStatus: {
    "open": "待整改",
    "in_progress": "整改中",
    "proposed": "待确认销号",
    "closed": "已销号"
  },
  RectificationAction: {
    "propose": "申请销号",
    "confirm": "确认销号",
    "send_back": "退回整改",
    "recheck_passed": "复核通过",
    "reopened": "复核不合格"
  },
  ConflictStatus: {
    "open": "待处理",
    "resolved": "已处理"
  },
  ArchiveKind: {
    "application": "申请书",
    "intake_form": "入户信息采集表",
    "five_review_score": "五评量化表",
    "exit_plan": "脱贫方案",
    "project_application": "项目申请",
    "relocation_application": "易地搬迁申请",
    "project_approval": "项目批复",
    "village_agreement": "村户协议",
    "income_expense_sheet": "收支算账表",
    "policy_list": "到户享受政策项目清单"
  },
  ArchiveSection: {
    "identification": "精准识别",
    "assistance": "精准帮扶",
    "exit": "精准退出"
  },
  PhotoOwner: {
    "archive_document": "一户一档材料",
    "visit": "走访记录",
    "rectification": "整改问题",
    "village_document": "村级档案材料"
  },
  VillageArchiveKind: {
    "policy_documents": "政策文件",
    "poverty_ledger": "脱贫台账",
    "project_plan": "到村项目规划",
    "project_acceptance": "项目验收",
    "fund_disbursement": "资金拨付",
    "review_records": "对象识别退出评议记录",
    "notices": "公示公告",
    "special_programs": "“六个一批”专项资料（易地扶贫搬迁等）",
    "microcredit": "小额信贷"
  },
  StatusProcedure: {
    "exit": "脱贫退出",
    "relapse": "返贫",
    "correction": "县级纠错"
  },
  MemberChangeKind: {
    "birth": "出生",
    "marriage_in": "婚入",
    "move_in": "迁入",
    "death": "死亡",
    "marriage_out": "婚出",
    "move_out": "迁出"
  },
  Role: {
    "work_team": "驻村工作队员",
    "first_secretary": "第一书记",
    "township": "乡镇干部",
    "inspector": "督查组",
    "county": "县扶贫办",
    "admin": "系统管理员"
  }
} as const

/** Chinese labels of the fields, by record kind and field. */
export const FIELD_LABELS: Record<string, Record<string, string>> = {
  village: {
    "name": "村名",
    "code": "行政区划代码",
    "township": "乡镇",
    "county": "县(市、区)",
    "poor_village": "贫困村",
    "lat": "村委会纬度",
    "lon": "村委会经度",
    "radius_m": "签到范围(米)"
  },
  household: {
    "village_id": "所属村",
    "household_no": "户编号",
    "head_name": "户主姓名",
    "head_id_number": "户主身份证号",
    "phone": "联系电话",
    "group_name": "村民小组",
    "address": "住址",
    "attribute": "贫困户属性",
    "status_change": "状态变更记录",
    "status": "户状态",
    "poverty_causes": "致贫原因",
    "helper_name": "帮扶责任人",
    "helper_phone": "帮扶责任人电话",
    "helper_id": "帮扶责任人名册",
    "registered_population": "系统人口",
    "card_population": "明白卡人口",
    "exit_year": "脱贫年度",
    "notes": "备注"
  },
  member: {
    "household_id": "所属户",
    "name": "姓名",
    "id_number": "身份证号",
    "relation": "与户主关系",
    "sex": "性别",
    "birth_date": "出生日期",
    "health": "健康状况",
    "labor": "劳动技能",
    "education": "文化程度",
    "schooling": "在校生状况",
    "phone": "联系电话",
    "member_change": "成员变动记录",
    "left_on": "离开日期"
  },
  visit: {
    "household_id": "所属户",
    "kind": "走访类型",
    "visited_on": "走访日期",
    "visitor": "走访人",
    "helper_id": "帮扶责任人",
    "basic_needs": "两不愁三保障",
    "satisfaction": "群众满意度",
    "actual_population": "实际人口",
    "notes": "走访记录",
    "lat": "纬度",
    "lon": "经度"
  },
  handbook_entry: {
    "household_id": "所属户",
    "section": "手册栏目",
    "entry_date": "日期",
    "title": "标题",
    "content": "内容",
    "measure": "帮扶措施",
    "amount_fen": "金额(分)",
    "income_calc": "收支测算",
    "recorded_by": "填写人"
  },
  presence: {
    "village_id": "所在村",
    "staff_name": "驻村人员",
    "checked_at": "签到时间",
    "lat": "纬度",
    "lon": "经度",
    "note": "备注",
    "inside": "在村范围内",
    "clock_offset_ms": "时钟偏差(毫秒)"
  },
  rectification: {
    "village_id": "所在村",
    "household_id": "涉及户",
    "source": "问题来源",
    "problem": "问题描述",
    "deadline": "整改时限",
    "review": "销号记录",
    "status": "整改状态",
    "responsible": "责任人",
    "evidence": "整改情况",
    "closed_on": "销号日期"
  },
  conflict: {
    "village_id": "所在村",
    "entity": "记录类型",
    "row_id": "记录",
    "field": "字段",
    "candidates": "各方取值",
    "winner": "当前取值来源",
    "opened_at": "发现时间",
    "status": "状态",
    "resolution": "处理结果",
    "resolved_by": "处理人",
    "resolved_at": "处理时间"
  },
  exit_decision: {
    "household_id": "所属户",
    "step": "退出步骤",
    "outcome": "结果",
    "decided_on": "办理日期",
    "actor": "经办人",
    "evidence": "依据",
    "reason": "退回原因",
    "publicity_start": "公示开始",
    "publicity_end": "公示结束",
    "income_per_capita_fen": "人均纯收入(分)",
    "poverty_line_fen": "贫困线(分)",
    "recorded_at": "记录时间"
  },
  archive_document: {
    "household_id": "所属户",
    "kind": "材料类别",
    "title": "材料名称",
    "note": "备注",
    "recorded_by": "整理人"
  },
  photo: {
    "village_id": "所在村",
    "household_id": "所属户",
    "owner_kind": "照片用途",
    "owner_id": "所属记录",
    "hash": "照片",
    "thumb_hash": "缩略图",
    "width": "宽(像素)",
    "height": "高(像素)",
    "bytes": "大小(字节)",
    "page": "页码",
    "taken_at": "拍摄时间",
    "lat": "纬度",
    "lon": "经度",
    "added_by": "拍摄人",
    "caption": "说明"
  },
  inspection: {
    "household_id": "被暗访户",
    "inspected_on": "暗访日期",
    "inspector": "暗访人",
    "sealed": "暗访内容（已密封）",
    "photos": "暗访照片（已密封）"
  },
  status_change: {
    "household_id": "所属户",
    "procedure": "变更程序",
    "from_status": "原状态",
    "decided_on": "办理日期",
    "actor": "经办人",
    "reason": "原因",
    "evidence": "依据",
    "exit_decision": "销号决定",
    "to_status": "新状态",
    "recorded_at": "记录时间"
  },
  rectification_review: {
    "village_id": "所在村",
    "rectification_id": "整改问题",
    "decided_on": "办理日期",
    "actor": "经办人",
    "note": "整改情况或原因",
    "action": "销号步骤",
    "recorded_at": "记录时间"
  },
  member_change: {
    "household_id": "所属户",
    "member_id": "成员",
    "changed_on": "变动日期",
    "actor": "经办人",
    "evidence": "依据",
    "kind": "变动原因",
    "recorded_at": "记录时间"
  },
  helper: {
    "village_id": "所在村",
    "name": "姓名",
    "phone": "联系电话",
    "unit": "工作单位",
    "post": "职务"
  },
  village_document: {
    "village_id": "所在村",
    "kind": "档案类别",
    "year": "年度",
    "title": "材料名称",
    "note": "备注",
    "recorded_by": "整理人"
  }
}

/** The 一户一档 section each document kind belongs in. */
export const ARCHIVE_SECTION_OF = {
  "application": "identification",
  "intake_form": "identification",
  "five_review_score": "identification",
  "exit_plan": "assistance",
  "project_application": "assistance",
  "relocation_application": "assistance",
  "project_approval": "assistance",
  "village_agreement": "assistance",
  "income_expense_sheet": "exit",
  "policy_list": "exit"
} as const

/** How a form enters a field (from the schema table: input, required, vocabulary, bounds). */
export type FieldSpec = { name: string, type: 'text' | 'textarea' | 'enum' | 'enumset' | 'date' | 'int', required: boolean, vocab?: keyof typeof LABELS, min?: number, max?: number, maxLength?: number }

/** The fields a form may enter, by record kind and field (those the server writes are left out). */
export const FIELD_SPECS: Record<string, Record<string, FieldSpec>> = {
  village: {
    name: { name: 'name', type: 'text', required: true, maxLength: 50 },
    township: { name: 'township', type: 'text', required: true, maxLength: 50 },
    county: { name: 'county', type: 'text', required: true, maxLength: 50 },
    radius_m: { name: 'radius_m', type: 'int', required: false, min: 50, max: 20000 }
  },
  household: {
    household_no: { name: 'household_no', type: 'text', required: true, maxLength: 30 },
    head_name: { name: 'head_name', type: 'text', required: true },
    head_id_number: { name: 'head_id_number', type: 'text', required: false },
    phone: { name: 'phone', type: 'text', required: false },
    group_name: { name: 'group_name', type: 'text', required: false, maxLength: 50 },
    address: { name: 'address', type: 'text', required: false, maxLength: 200 },
    attribute: { name: 'attribute', type: 'enum', required: true, vocab: 'Attribute' },
    status: { name: 'status', type: 'enum', required: true, vocab: 'HouseholdStatus' },
    poverty_causes: { name: 'poverty_causes', type: 'enumset', required: false, vocab: 'PovertyCause' },
    helper_name: { name: 'helper_name', type: 'text', required: false },
    helper_phone: { name: 'helper_phone', type: 'text', required: false },
    registered_population: { name: 'registered_population', type: 'int', required: false, min: 1, max: 30 },
    card_population: { name: 'card_population', type: 'int', required: false, min: 1, max: 30 },
    exit_year: { name: 'exit_year', type: 'int', required: false, min: 2013, max: 2035 },
    notes: { name: 'notes', type: 'textarea', required: false, maxLength: 5000 }
  },
  member: {
    name: { name: 'name', type: 'text', required: true },
    id_number: { name: 'id_number', type: 'text', required: false },
    relation: { name: 'relation', type: 'enum', required: true, vocab: 'Relation' },
    sex: { name: 'sex', type: 'enum', required: false, vocab: 'Sex' },
    birth_date: { name: 'birth_date', type: 'date', required: false },
    health: { name: 'health', type: 'enum', required: false, vocab: 'Health' },
    labor: { name: 'labor', type: 'enum', required: false, vocab: 'Labor' },
    education: { name: 'education', type: 'enum', required: false, vocab: 'Education' },
    schooling: { name: 'schooling', type: 'enum', required: false, vocab: 'Schooling' },
    phone: { name: 'phone', type: 'text', required: false },
    left_on: { name: 'left_on', type: 'date', required: false }
  },
  visit: {
    kind: { name: 'kind', type: 'enum', required: true, vocab: 'VisitKind' },
    visited_on: { name: 'visited_on', type: 'date', required: true },
    visitor: { name: 'visitor', type: 'text', required: true },
    satisfaction: { name: 'satisfaction', type: 'enum', required: false, vocab: 'Satisfaction' },
    actual_population: { name: 'actual_population', type: 'int', required: false, min: 0, max: 30 },
    notes: { name: 'notes', type: 'textarea', required: false, maxLength: 5000 }
  },
  handbook_entry: {
    section: { name: 'section', type: 'enum', required: true, vocab: 'HandbookSection' },
    entry_date: { name: 'entry_date', type: 'date', required: true },
    title: { name: 'title', type: 'text', required: true, maxLength: 100 },
    content: { name: 'content', type: 'textarea', required: false, maxLength: 5000 },
    measure: { name: 'measure', type: 'enum', required: false, vocab: 'MeasureKind' },
    recorded_by: { name: 'recorded_by', type: 'text', required: false }
  },
  presence: {
    staff_name: { name: 'staff_name', type: 'text', required: true },
    note: { name: 'note', type: 'textarea', required: false, maxLength: 500 },
    clock_offset_ms: { name: 'clock_offset_ms', type: 'int', required: false, min: -10000000000, max: 10000000000 }
  },
  rectification: {
    source: { name: 'source', type: 'enum', required: true, vocab: 'RectificationSource' },
    problem: { name: 'problem', type: 'textarea', required: true, maxLength: 2000 },
    deadline: { name: 'deadline', type: 'date', required: true },
    status: { name: 'status', type: 'enum', required: true, vocab: 'RectificationStatus' },
    responsible: { name: 'responsible', type: 'text', required: false },
    evidence: { name: 'evidence', type: 'textarea', required: false, maxLength: 5000 },
    closed_on: { name: 'closed_on', type: 'date', required: false }
  },
  conflict: {
    status: { name: 'status', type: 'enum', required: true, vocab: 'ConflictStatus' },
    resolved_by: { name: 'resolved_by', type: 'text', required: false, maxLength: 60 }
  },
  exit_decision: {
    step: { name: 'step', type: 'enum', required: true, vocab: 'ExitStep' },
    outcome: { name: 'outcome', type: 'enum', required: true, vocab: 'ExitOutcome' },
    decided_on: { name: 'decided_on', type: 'date', required: true },
    actor: { name: 'actor', type: 'text', required: true },
    evidence: { name: 'evidence', type: 'textarea', required: false, maxLength: 2000 },
    reason: { name: 'reason', type: 'textarea', required: false, maxLength: 500 },
    publicity_start: { name: 'publicity_start', type: 'date', required: false },
    publicity_end: { name: 'publicity_end', type: 'date', required: false },
    income_per_capita_fen: { name: 'income_per_capita_fen', type: 'int', required: false, min: -10000000000, max: 10000000000 }
  },
  archive_document: {
    kind: { name: 'kind', type: 'enum', required: true, vocab: 'ArchiveKind' },
    title: { name: 'title', type: 'text', required: false, maxLength: 100 },
    note: { name: 'note', type: 'textarea', required: false, maxLength: 500 },
    recorded_by: { name: 'recorded_by', type: 'text', required: false }
  },
  photo: {
    owner_kind: { name: 'owner_kind', type: 'enum', required: true, vocab: 'PhotoOwner' },
    width: { name: 'width', type: 'int', required: true, min: 1, max: 16384 },
    height: { name: 'height', type: 'int', required: true, min: 1, max: 16384 },
    bytes: { name: 'bytes', type: 'int', required: true, min: 1, max: 67108864 },
    page: { name: 'page', type: 'int', required: false, min: 1, max: 999 },
    taken_at: { name: 'taken_at', type: 'text', required: false, maxLength: 19 },
    added_by: { name: 'added_by', type: 'text', required: false },
    caption: { name: 'caption', type: 'text', required: false, maxLength: 200 }
  },
  inspection: {
    inspected_on: { name: 'inspected_on', type: 'date', required: true },
    inspector: { name: 'inspector', type: 'text', required: true }
  },
  status_change: {
    procedure: { name: 'procedure', type: 'enum', required: true, vocab: 'StatusProcedure' },
    from_status: { name: 'from_status', type: 'enum', required: true, vocab: 'HouseholdStatus' },
    decided_on: { name: 'decided_on', type: 'date', required: true },
    actor: { name: 'actor', type: 'text', required: true },
    reason: { name: 'reason', type: 'textarea', required: false, maxLength: 500 },
    evidence: { name: 'evidence', type: 'textarea', required: false, maxLength: 2000 },
    to_status: { name: 'to_status', type: 'enum', required: true, vocab: 'HouseholdStatus' }
  },
  rectification_review: {
    decided_on: { name: 'decided_on', type: 'date', required: true },
    actor: { name: 'actor', type: 'text', required: true },
    note: { name: 'note', type: 'textarea', required: false, maxLength: 2000 },
    action: { name: 'action', type: 'enum', required: true, vocab: 'RectificationAction' }
  },
  member_change: {
    changed_on: { name: 'changed_on', type: 'date', required: true },
    actor: { name: 'actor', type: 'text', required: true },
    evidence: { name: 'evidence', type: 'textarea', required: false, maxLength: 500 },
    kind: { name: 'kind', type: 'enum', required: true, vocab: 'MemberChangeKind' }
  },
  helper: {
    name: { name: 'name', type: 'text', required: true },
    phone: { name: 'phone', type: 'text', required: false },
    unit: { name: 'unit', type: 'text', required: false, maxLength: 60 },
    post: { name: 'post', type: 'text', required: false, maxLength: 30 }
  },
  village_document: {
    kind: { name: 'kind', type: 'enum', required: true, vocab: 'VillageArchiveKind' },
    year: { name: 'year', type: 'int', required: false, min: 2013, max: 2035 },
    title: { name: 'title', type: 'text', required: false, maxLength: 100 },
    note: { name: 'note', type: 'textarea', required: false, maxLength: 500 },
    recorded_by: { name: 'recorded_by', type: 'text', required: false }
  }
}
