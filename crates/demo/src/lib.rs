//! Realistic, deterministic demo and benchmark data: a county of villages with 建档立卡 households whose
//! heads and members have plausible Chinese names and valid 身份证号, mixed statuses, visits with the
//! 两不愁三保障 checklist, handbook entries and open rectification items. The same seed always gives
//! the same county.

pub mod archive;
mod names;
mod rng;

use chrono::{Datelike, Duration, NaiveDate};
use rng::Rng;
use serde_json::Value;
use uuid::Uuid;
use zoufang_model::schema::creation_order;
use zoufang_model::*;
use zoufang_sync::{Change, Clock, Hlc};

/// How big a county to make.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub townships: usize,
    pub villages_per_township: usize,
    pub households_per_village: usize,
    /// Average visits per household (the count varies around it).
    pub visits_per_household: usize,
    /// Visits fall within the half year before this date.
    pub today: NaiveDate,
}

impl Size {
    /// What `make run` shows: one township, three villages of a few hundred households.
    pub fn demo(today: NaiveDate) -> Self {
        Size { townships: 1, villages_per_township: 3, households_per_village: 240, visits_per_household: 3, today }
    }

    /// A county as DESIGN.md sizes it: 30,000 households, about 100,000 members, 200,000 visits.
    pub fn county(today: NaiveDate) -> Self {
        Size { townships: 10, villages_per_township: 30, households_per_village: 100, visits_per_household: 7, today }
    }
}

/// A generated county.
#[derive(Debug, Clone, Default)]
pub struct County {
    pub code: String,
    pub name: String,
    pub villages: Vec<Village>,
    /// 帮扶责任人 registers: each helper looks after a few households of one village.
    pub helpers: Vec<Helper>,
    pub households: Vec<Household>,
    pub members: Vec<Member>,
    pub visits: Vec<Visit>,
    pub handbook: Vec<HandbookEntry>,
    pub rectifications: Vec<Rectification>,
    /// 一户一档 documents and their photographed pages (none unless [`archive::add_archive`] adds them).
    pub documents: Vec<ArchiveDocument>,
    pub photos: Vec<Photo>,
}

const COUNTY_CODE: u32 = 522630;
const HOUSEHOLDS_PER_HELPER: usize = 4;

/// A UUIDv7 as a device makes them: time-ordered. Ids are handed out in generation order, a few
/// milliseconds apart.
fn uuid7(rng: &mut Rng) -> Uuid {
    let ms = rng.tick_ms();
    let bytes = rng.next().to_le_bytes();
    let more = rng.next().to_le_bytes();
    let mut r = [0u8; 10];
    r[..8].copy_from_slice(&bytes);
    r[8..].copy_from_slice(&more[..2]);
    uuid::Builder::from_unix_timestamp_millis(ms, &r).into_uuid()
}

/// Makes a county.
pub fn county(seed: u64, size: Size) -> County {
    let mut rng = Rng::new(seed);
    let mut c = County { code: COUNTY_CODE.to_string(), name: "台江县".into(), ..Default::default() };
    let epoch = NaiveDate::from_ymd_opt(2016, 3, 1).expect("valid date");
    for t in 0..size.townships {
        let township = names::TOWNSHIPS[t % names::TOWNSHIPS.len()].to_string();
        for v in 0..size.villages_per_township {
            let code = format!("{COUNTY_CODE}{:03}{:03}", 101 + t, 201 + v);
            let village = Village {
                id: uuid7(&mut rng),
                name: names::village_name(&mut rng, t * 100 + v),
                code: code.clone(),
                township: township.clone(),
                county: c.name.clone(),
                // The first village of every township is a 贫困村.
                poor_village: (v == 0).then_some(true),
                lat: None,
                lon: None,
                radius_m: None,
            };
            for h in 0..size.households_per_village {
                household(&mut rng, &mut c, &village, &code, h, size, epoch);
            }
            c.villages.push(village);
        }
    }
    c
}

#[allow(clippy::too_many_arguments)]
fn household(rng: &mut Rng, c: &mut County, village: &Village, code: &str, n: usize, size: Size, epoch: NaiveDate) {
    let id = uuid7(rng);
    let surname = names::surname(rng);
    let head_male = rng.chance(0.8);
    let head_birth =
        rng.date_between(NaiveDate::from_ymd_opt(1940, 1, 1).unwrap(), NaiveDate::from_ymd_opt(1990, 12, 31).unwrap());
    let mut seq = rng.below(500) as u16 * 2;
    let mut id_for = |birth: NaiveDate, male: bool| {
        seq = (seq + 2) % 1000;
        IdNumber::compose(COUNTY_CODE, birth, seq + u16::from(male))
    };
    let head_name = format!("{surname}{}", names::given(rng, head_male));
    let head_id = id_for(head_birth, head_male);
    let status = *rng.weighted(&[
        (HouseholdStatus::Exited, 68),
        (HouseholdStatus::Poor, 14),
        (HouseholdStatus::Monitored, 8),
        (HouseholdStatus::Marginal, 6),
        (HouseholdStatus::Stable, 3),
        (HouseholdStatus::Returned, 1),
    ]);
    let attribute = *rng.weighted(&[(Attribute::General, 70), (Attribute::Dibao, 25), (Attribute::Tekun, 5)]);
    let mut causes = vec![*rng.weighted(&[
        (PovertyCause::Illness, 30),
        (PovertyCause::Disability, 12),
        (PovertyCause::Schooling, 8),
        (PovertyCause::NoSkills, 14),
        (PovertyCause::NoLabor, 10),
        (PovertyCause::NoCapital, 12),
        (PovertyCause::NoLand, 4),
        (PovertyCause::Disaster, 3),
        (PovertyCause::PoorTransport, 4),
        (PovertyCause::LowMotivation, 3),
    ])];
    if rng.chance(0.3) {
        causes.push(*rng.pick(PovertyCause::ALL));
    }
    causes.sort();
    causes.dedup();

    let mut members = vec![Member {
        id: uuid7(rng),
        household_id: id,
        name: head_name.clone(),
        id_number: Some(head_id.clone()),
        relation: Relation::Head,
        sex: Some(if head_male { Sex::Male } else { Sex::Female }),
        birth_date: Some(head_birth),
        health: Some(health(rng, &causes)),
        labor: Some(*rng.weighted(&[
            (Labor::Ordinary, 60),
            (Labor::Skilled, 10),
            (Labor::Weak, 15),
            (Labor::Lost, 10),
            (Labor::None, 5),
        ])),
        education: Some(education((size.today - head_birth).num_days() / 365, Schooling::NotInSchool, head_birth)),
        schooling: Some(Schooling::NotInSchool),
        phone: None,
        member_change: None,
        left_on: None,
    }];
    if rng.chance(0.8) {
        let birth = head_birth + Duration::days(rng.range(-1500, 1500));
        let male = !head_male;
        let spouse_surname = if male { surname } else { names::surname(rng) };
        members.push(person(rng, id, spouse_surname, male, birth, Relation::Spouse, &mut id_for, size.today));
    }
    for _ in 0..rng.below(4) {
        let birth = head_birth + Duration::days(rng.range(20 * 365, 38 * 365));
        if birth >= size.today {
            continue;
        }
        let male = rng.chance(0.5);
        members.push(person(rng, id, surname, male, birth, Relation::Child, &mut id_for, size.today));
    }
    if rng.chance(0.25) {
        let birth = head_birth - Duration::days(rng.range(20 * 365, 30 * 365));
        let male = rng.chance(0.4);
        members.push(person(rng, id, surname, male, birth, Relation::Parent, &mut id_for, size.today));
    }

    let helper_male = rng.chance(0.6);
    let helper_name = format!("{}{}", names::surname(rng), names::given(rng, helper_male));
    let exited = matches!(status, HouseholdStatus::Exited | HouseholdStatus::Stable | HouseholdStatus::Monitored);
    let phone = format!("1{}{:09}", [3, 5, 7, 8, 9][rng.below(5) as usize], rng.below(1_000_000_000));
    let group = 1 + rng.below(8) as usize;
    let helper_phone = Phone::parse(&format!("139{:08}", rng.below(100_000_000))).ok();
    // Each 帮扶责任人 looks after four households: the first of a group brings a new helper to the
    // register (its id derived from the household's, so the random stream, and every other figure of
    // the demo county, stays as it was), the others share it.
    if n.is_multiple_of(HOUSEHOLDS_PER_HELPER) {
        c.helpers.push(Helper {
            id: Uuid::from_u128(id.as_u128() ^ 0x4e1f),
            village_id: village.id,
            name: helper_name,
            phone: helper_phone,
            unit: Some(names::HELPER_UNITS[n / HOUSEHOLDS_PER_HELPER % names::HELPER_UNITS.len()].to_string()),
            post: None,
        });
    }
    let helper = c.helpers.last().cloned().expect("a helper for the group");
    let hh = Household {
        id,
        village_id: village.id,
        household_no: format!("{code}{:04}", n + 1),
        head_name: head_name.clone(),
        head_id_number: Some(head_id),
        phone: Phone::parse(&phone).ok(),
        group_name: Some(format!("第{}组", names::CN_DIGITS[group])),
        address: Some(format!("{}{}号", village.name, n + 1)),
        attribute,
        status_change: None,
        status,
        poverty_causes: causes,
        helper_name: Some(helper.name.clone()),
        helper_phone: helper.phone.clone(),
        helper_id: Some(helper.id),
        registered_population: Some(members.len() as i64),
        card_population: None,
        exit_year: exited.then(|| 2016 + rng.below(5) as i64),
        notes: None,
    };

    let visits = rng.range(size.visits_per_household as i64 / 2, size.visits_per_household as i64 * 3 / 2 + 1).max(0);
    for _ in 0..visits {
        let on = size.today - Duration::days(rng.range(0, 180));
        let mut needs = BasicNeeds::default();
        if matches!(status, HouseholdStatus::Poor | HouseholdStatus::Returned) && rng.chance(0.3) {
            let (item, note) = *rng.pick(names::PROBLEMS);
            needs.set_unmet(item, note);
        }
        if !members.iter().any(|m| matches!(m.schooling, Some(s) if s != Schooling::NotInSchool)) {
            needs.education = NeedCheck { state: NeedState::NotApplicable, note: None };
        }
        let visit_id = uuid7(rng);
        let kind = *rng.weighted(&[(VisitKind::Routine, 70), (VisitKind::SecretaryTour, 20), (VisitKind::Recheck, 10)]);
        c.visits.push(Visit {
            id: visit_id,
            household_id: id,
            kind,
            visited_on: on,
            visitor: hh.helper_name.clone().unwrap_or_default(),
            helper_id: (kind != VisitKind::SecretaryTour).then_some(helper.id),
            basic_needs: needs,
            satisfaction: Some(*rng.weighted(&[
                (Satisfaction::Satisfied, 85),
                (Satisfaction::Basic, 13),
                (Satisfaction::Dissatisfied, 2),
            ])),
            actual_population: Some(members.len() as i64),
            notes: Some(rng.pick(names::VISIT_NOTES).to_string()),
            lat: Some(26.67 + rng.unit() * 0.2),
            lon: Some(108.32 + rng.unit() * 0.2),
        });
    }

    let size_n = members.len() as u32;
    let year = size.today.year().min(2035);
    let wage = rng.range(300_000, 2_400_000) * i64::from(size_n) / 3;
    c.handbook.push(HandbookEntry {
        id: uuid7(rng),
        household_id: id,
        section: HandbookSection::IncomeCalc,
        entry_date: size.today - Duration::days(rng.range(0, 60)),
        title: format!("{year}年收支测算"),
        content: None,
        measure: None,
        amount_fen: None,
        income_calc: Some(IncomeCalc {
            year,
            household_size: size_n,
            wage_fen: wage,
            business_fen: rng.range(0, 800_000),
            property_fen: rng.range(0, 50_000),
            transfer_fen: rng.range(60_000, 600_000),
            production_cost_fen: rng.range(0, 300_000),
        }),
        recorded_by: hh.helper_name.clone(),
    });
    let measure = *rng.pick(MeasureKind::ALL);
    c.handbook.push(HandbookEntry {
        id: uuid7(rng),
        household_id: id,
        section: HandbookSection::Measure,
        entry_date: epoch + Duration::days(rng.range(0, 1500)),
        title: format!("{}帮扶", measure.label()),
        content: Some(rng.pick(names::MEASURE_NOTES).to_string()),
        measure: Some(measure),
        amount_fen: Some(rng.range(1, 50) * 100_000),
        income_calc: None,
        recorded_by: hh.helper_name.clone(),
    });
    if rng.chance(0.06) {
        let (_, problem) = *rng.pick(names::PROBLEMS);
        c.rectifications.push(Rectification {
            id: uuid7(rng),
            village_id: village.id,
            household_id: Some(id),
            source: *rng.weighted(&[
                (RectificationSource::Visit, 50),
                (RectificationSource::Inspection, 30),
                (RectificationSource::SelfCheck, 20),
            ]),
            problem: problem.to_string(),
            deadline: size.today + Duration::days(rng.range(-20, 60)),
            review: None,
            status: *rng.weighted(&[(RectificationStatus::Open, 60), (RectificationStatus::InProgress, 40)]),
            responsible: hh.helper_name.clone(),
            evidence: None,
            closed_on: None,
        });
    }
    c.members.extend(members);
    c.households.push(hh);
}

fn health(rng: &mut Rng, causes: &[PovertyCause]) -> Health {
    if causes.contains(&PovertyCause::Illness) && rng.chance(0.6) {
        *rng.pick(&[Health::Chronic, Health::Serious])
    } else if causes.contains(&PovertyCause::Disability) && rng.chance(0.6) {
        Health::Disabled
    } else {
        *rng.weighted(&[(Health::Healthy, 80), (Health::Chronic, 15), (Health::Serious, 3), (Health::Disabled, 2)])
    }
}

#[allow(clippy::too_many_arguments)]
fn person(
    rng: &mut Rng,
    household: Uuid,
    surname: &str,
    male: bool,
    birth: NaiveDate,
    relation: Relation,
    id_for: &mut impl FnMut(NaiveDate, bool) -> IdNumber,
    today: NaiveDate,
) -> Member {
    let age = (today - birth).num_days() / 365;
    let schooling = match age {
        0..=2 => Schooling::NotInSchool,
        3..=5 => Schooling::Preschool,
        6..=11 => Schooling::Primary,
        12..=14 => Schooling::Junior,
        15..=17 => *rng.pick(&[Schooling::Senior, Schooling::Vocational]),
        18..=21 if rng.chance(0.4) => Schooling::Higher,
        _ => Schooling::NotInSchool,
    };
    let labor = match age {
        0..=15 => Labor::None,
        16..=59 => *rng.weighted(&[(Labor::Ordinary, 70), (Labor::Skilled, 15), (Labor::Weak, 10), (Labor::Lost, 5)]),
        _ => *rng.weighted(&[(Labor::Weak, 50), (Labor::Lost, 30), (Labor::None, 20)]),
    };
    Member {
        id: uuid7(rng),
        household_id: household,
        name: format!("{surname}{}", names::given(rng, male)),
        id_number: Some(id_for(birth, male)),
        relation,
        sex: Some(if male { Sex::Male } else { Sex::Female }),
        birth_date: Some(birth),
        health: Some(*rng.weighted(&[
            (Health::Healthy, 85),
            (Health::Chronic, 10),
            (Health::Serious, 3),
            (Health::Disabled, 2),
        ])),
        labor: Some(labor),
        education: Some(education(age, schooling, birth)),
        schooling: Some(schooling),
        phone: None,
        member_change: None,
        left_on: None,
    }
}

/// 文化程度 from age and schooling: a pupil's is the stage they are in, as registers record it; an
/// adult's is spread as in rural registers (older people less schooled), chosen from the birth date so
/// that the generator's random stream, and so every other figure of the demo county, stays as it was.
fn education(age: i64, schooling: Schooling, birth: NaiveDate) -> Education {
    match schooling {
        Schooling::Preschool => return Education::Preschool,
        Schooling::Primary => return Education::Primary,
        Schooling::Junior => return Education::Junior,
        Schooling::Senior | Schooling::Vocational => return Education::Senior,
        Schooling::Higher => return Education::College,
        Schooling::NotInSchool => {}
    }
    let share = birth.ordinal() % 20;
    match age {
        0..=5 => Education::Preschool,
        6..=17 => Education::Junior,
        18..=59 => match share {
            0 => Education::Illiterate,
            1..=6 => Education::Primary,
            7..=15 => Education::Junior,
            16..=18 => Education::Senior,
            _ => Education::College,
        },
        _ => match share {
            0..=7 => Education::Illiterate,
            8..=16 => Education::Primary,
            _ => Education::Junior,
        },
    }
}

impl County {
    /// Every record as changes from `device`, parents before children and each record's parent link
    /// first: the order a device would have pushed them in.
    pub fn to_changes(&self, device: Uuid) -> Vec<Change> {
        let mut out = Vec::with_capacity(self.households.len() * 60);
        let mut clock = Clock::resume(Hlc::new(1_700_000_000_000, 0));
        let mut n: u64 = 0;
        let mut push = |out: &mut Vec<Change>, entity: Entity, row: Uuid, fields: serde_json::Map<String, Value>| {
            for (field, value) in creation_order(entity, &fields) {
                n += 1;
                let hlc = clock.tick(1_700_000_000_000);
                let id = uuid::Builder::from_unix_timestamp_millis(
                    hlc.wall_ms(),
                    &[
                        (n >> 56) as u8,
                        (n >> 48) as u8,
                        (n >> 40) as u8,
                        (n >> 32) as u8,
                        (n >> 24) as u8,
                        (n >> 16) as u8,
                        (n >> 8) as u8,
                        n as u8,
                        device.as_bytes()[0],
                        device.as_bytes()[1],
                    ],
                )
                .into_uuid();
                out.push(Change {
                    id,
                    entity,
                    row,
                    field: field.to_string(),
                    value,
                    hlc,
                    device,
                    base: None,
                    seen: None,
                    chain: None,
                });
            }
        };
        for r in &self.villages {
            push(&mut out, Entity::Village, r.id, r.to_fields());
        }
        for r in &self.helpers {
            push(&mut out, Entity::Helper, r.id, r.to_fields());
        }
        for r in &self.households {
            push(&mut out, Entity::Household, r.id, r.to_fields());
        }
        for r in &self.members {
            push(&mut out, Entity::Member, r.id, r.to_fields());
        }
        for r in &self.visits {
            push(&mut out, Entity::Visit, r.id, r.to_fields());
        }
        for r in &self.handbook {
            push(&mut out, Entity::HandbookEntry, r.id, r.to_fields());
        }
        for r in &self.rectifications {
            push(&mut out, Entity::Rectification, r.id, r.to_fields());
        }
        for r in &self.documents {
            push(&mut out, Entity::ArchiveDocument, r.id, r.to_fields());
        }
        for r in &self.photos {
            push(&mut out, Entity::Photo, r.id, r.to_fields());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zoufang_model::schema::validate_new;

    #[test]
    fn deterministic_and_valid() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let size =
            Size { townships: 1, villages_per_township: 2, households_per_village: 40, visits_per_household: 3, today };
        let a = county(7, size);
        let b = county(7, size);
        assert_eq!(a.households, b.households);
        assert_eq!(a.households.len(), 80);
        assert!(a.members.len() > 150, "{}", a.members.len());
        fn all_valid<R: Record>(rs: &[R], today: NaiveDate) {
            for r in rs {
                validate_new(R::ENTITY, &r.to_fields(), today).unwrap_or_else(|e| panic!("{:?}: {e}", R::ENTITY));
            }
        }
        all_valid(&a.villages, today);
        all_valid(&a.helpers, today);
        all_valid(&a.households, today);
        all_valid(&a.members, today);
        all_valid(&a.visits, today);
        all_valid(&a.handbook, today);
        all_valid(&a.rectifications, today);
        let statuses: std::collections::BTreeSet<_> = a.households.iter().map(|h| h.status).collect();
        assert!(statuses.len() >= 3);
        let changes = a.to_changes(Uuid::nil());
        assert_eq!(changes[0].entity, Entity::Village);
        let mut ids: Vec<_> = changes.iter().map(|c| c.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), changes.len());
    }
}
