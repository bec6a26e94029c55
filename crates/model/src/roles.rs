//! Who may read and write which records. One table, used by the server to filter pulls and refuse pushes,
//! and by the app to show only what a role can do. The server is the one that enforces it.

use crate::entities::Scope;
use crate::error::Problem;
use crate::schema::Entity;
use serde::{Deserialize, Serialize};

/// A person's role; with a scope it decides what their devices receive and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 驻村工作队员: one village, reads and writes its records.
    #[default]
    WorkTeam,
    /// 第一书记: as the work team, in one village.
    FirstSecretary,
    /// 乡镇干部: reads the villages of their township, resolves edit conflicts, enrols devices.
    Township,
    /// 督查组: reads the households of their county to choose where to go; writes inspections only.
    Inspector,
    /// 县扶贫办 / 脱贫办: reads everything in the county, sets up villages, opens sealed inspections, files
    /// rectification items.
    County,
    /// 系统管理员: manages users and devices; reads no household data.
    Admin,
}

/// The level a role's scope must be at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeLevel {
    Village,
    Township,
    County,
}

impl Role {
    pub const ALL: &'static [Role] =
        &[Role::WorkTeam, Role::FirstSecretary, Role::Township, Role::Inspector, Role::County, Role::Admin];

    pub fn ident(self) -> &'static str {
        match self {
            Role::WorkTeam => "work_team",
            Role::FirstSecretary => "first_secretary",
            Role::Township => "township",
            Role::Inspector => "inspector",
            Role::County => "county",
            Role::Admin => "admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::WorkTeam => "驻村工作队员",
            Role::FirstSecretary => "第一书记",
            Role::Township => "乡镇干部",
            Role::Inspector => "督查组",
            Role::County => "县扶贫办",
            Role::Admin => "系统管理员",
        }
    }

    pub fn parse(s: &str) -> Result<Role, Problem> {
        Role::ALL.iter().copied().find(|r| r.ident() == s).ok_or_else(|| Problem::Invalid {
            detail: format!(
                "无法识别的角色：{s}（可用：{}）",
                Role::ALL.iter().map(|r| r.ident()).collect::<Vec<_>>().join("、")
            ),
        })
    }

    /// The scope level this role works at.
    pub fn level(self) -> ScopeLevel {
        match self {
            Role::WorkTeam | Role::FirstSecretary => ScopeLevel::Village,
            Role::Township => ScopeLevel::Township,
            Role::Inspector | Role::County | Role::Admin => ScopeLevel::County,
        }
    }

    /// Refuses a scope at the wrong level for this role (a work team member for a whole county, say),
    /// or one whose code is malformed.
    pub fn check_scope(self, scope: &Scope) -> Result<(), Problem> {
        scope.check()?;
        let level = match scope {
            Scope::Village(_) => ScopeLevel::Village,
            Scope::Township(_) => ScopeLevel::Township,
            Scope::County(_) => ScopeLevel::County,
        };
        if level == self.level() {
            return Ok(());
        }
        let want = match self.level() {
            ScopeLevel::Village => "一个村（village:<村id>）",
            ScopeLevel::Township => "一个乡镇（township:<9位代码>）",
            ScopeLevel::County => "一个县（county:<6位代码>）",
        };
        Err(Problem::Invalid { detail: format!("{}的工作范围应是{want}，而不是 {scope}", self.label()) })
    }

    /// Whether devices of this role receive records of this kind (inside their scope).
    pub fn can_read(self, entity: Entity) -> bool {
        match self {
            // 暗访 must stay unannounced and its findings the county's: not even that a household
            // was inspected reaches the village or the township.
            Role::WorkTeam | Role::FirstSecretary | Role::Township => entity != Entity::Inspection,
            Role::County => true,
            // To choose households and find them, and the team's inspections (sealed: only their plain
            // metadata is readable); nothing the village wrote about households beyond that.
            Role::Inspector => {
                matches!(entity, Entity::Village | Entity::Household | Entity::Member | Entity::Inspection)
            }
            Role::Admin => false,
        }
    }

    /// Whether devices of this role may create or change records of this kind (inside their scope).
    pub fn can_write(self, entity: Entity) -> bool {
        match self {
            // Villages are set up by the county, not from the field.
            Role::WorkTeam | Role::FirstSecretary => !matches!(entity, Entity::Village | Entity::Inspection),
            // The township issues rectification items of its own and closes them (`crate::rectification`),
            // and records its step of the exit procedure (乡镇审核, `crate::exit_procedure`).
            Role::Township => matches!(
                entity,
                Entity::Conflict | Entity::Rectification | Entity::RectificationReview | Entity::ExitDecision
            ),
            // The county office turns inspection findings into rectification items for the village and
            // closes or re-checks them, records its step of the exit procedure (县级审定), and corrects a
            // household's status with a stated reason (a `StatusChange`, see `crate::procedure`).
            Role::County => matches!(
                entity,
                Entity::Village
                    | Entity::Rectification
                    | Entity::RectificationReview
                    | Entity::Conflict
                    | Entity::StatusChange
                    | Entity::ExitDecision
            ),
            Role::Inspector => entity == Entity::Inspection,
            Role::Admin => false,
        }
    }

    /// Whether a device of this role may enrol devices or add users of role `other` (inside its own
    /// scope): township staff enrol their villages' work teams, the county office anyone in the county
    /// but administrators, the administrator anyone.
    pub fn may_enrol(self, other: Role) -> bool {
        match self {
            Role::Township => matches!(other, Role::WorkTeam | Role::FirstSecretary),
            Role::County => other != Role::Admin,
            Role::Admin => true,
            Role::WorkTeam | Role::FirstSecretary | Role::Inspector => false,
        }
    }

    /// The kinds this role reads, for filtering pulls.
    pub fn readable(self) -> Vec<Entity> {
        Entity::ALL.iter().copied().filter(|e| self.can_read(*e)).collect()
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.ident())
    }
}

impl Scope {
    /// Whether `inner` lies inside this scope. A village scope is known by id; `village_code` is the
    /// division code of `inner` when it is a village (unknown village: not covered, except by itself).
    pub fn covers(&self, inner: &Scope, village_code: Option<&str>) -> bool {
        match (self, inner) {
            (Scope::Village(a), Scope::Village(b)) => a == b,
            (Scope::Village(_), _) => false,
            (Scope::Township(t) | Scope::County(t), Scope::Village(_)) => {
                village_code.is_some_and(|c| c.starts_with(t.as_str()))
            }
            (Scope::Township(a), Scope::Township(b)) => a == b,
            (Scope::Township(_), Scope::County(_)) => false,
            (Scope::County(c), Scope::Township(t) | Scope::County(t)) => t.starts_with(c.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn idents_round_trip_and_unknown_is_refused_in_chinese() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.ident()).unwrap(), *r);
            assert_eq!(serde_json::to_value(r).unwrap(), serde_json::json!(r.ident()));
        }
        let e = Role::parse("superuser").unwrap_err().to_string();
        assert!(e.contains("无法识别的角色"), "{e}");
    }

    #[test]
    fn scopes_must_match_the_role_level() {
        let v = Scope::Village(Uuid::nil());
        let t = Scope::Township("130102001".into());
        let c = Scope::County("130102".into());
        assert!(Role::WorkTeam.check_scope(&v).is_ok());
        assert!(Role::WorkTeam.check_scope(&c).is_err());
        assert!(Role::Township.check_scope(&t).is_ok());
        assert!(Role::Township.check_scope(&v).is_err());
        assert!(Role::Inspector.check_scope(&c).is_ok());
        let e = Role::County.check_scope(&t).unwrap_err().to_string();
        assert!(e.contains("县扶贫办的工作范围应是一个县"), "{e}");
        // Codes that arrive as JSON are checked too: letters, and a county code given as a township.
        for bad in [Scope::County("522630abc".into()), Scope::Township("522630".into()), Scope::County("52263".into())]
        {
            let e = Role::County.check_scope(&bad).and(Role::Township.check_scope(&bad)).unwrap_err().to_string();
            assert!(e.contains("无法识别的范围"), "{bad}: {e}");
        }
    }

    #[test]
    fn who_enrols_whom_and_where() {
        assert!(Role::Township.may_enrol(Role::WorkTeam) && !Role::Township.may_enrol(Role::Inspector));
        assert!(Role::County.may_enrol(Role::Inspector) && !Role::County.may_enrol(Role::Admin));
        assert!(!Role::WorkTeam.may_enrol(Role::WorkTeam) && !Role::Inspector.may_enrol(Role::WorkTeam));
        let v = Uuid::from_u128(7);
        let town = Scope::Township("522630101".into());
        let county = Scope::County("522630".into());
        assert!(town.covers(&Scope::Village(v), Some("522630101203")));
        assert!(!town.covers(&Scope::Village(v), Some("522630102203")));
        assert!(!town.covers(&Scope::Village(v), None), "an unknown village is nobody's");
        assert!(county.covers(&town, None) && !town.covers(&county, None));
        assert!(!county.covers(&Scope::County("520102".into()), None));
        assert!(Scope::Village(v).covers(&Scope::Village(v), None));
        assert!(!Scope::Village(v).covers(&Scope::Village(Uuid::from_u128(8)), Some("522630101203")));
    }

    #[test]
    fn least_privilege() {
        // Only field roles write household data; only the county sets up villages.
        for e in Entity::ALL {
            assert!(!Role::Admin.can_read(*e) && !Role::Admin.can_write(*e));
            assert_eq!(Role::Inspector.can_write(*e), *e == Entity::Inspection);
            assert!(!Role::WorkTeam.can_write(Entity::Village) && Role::County.can_write(Entity::Village));
            assert!(!Role::County.can_write(Entity::Household) && !Role::Township.can_write(Entity::Visit));
            // Whoever may write a kind may also read it.
            for r in Role::ALL {
                assert!(!r.can_write(*e) || r.can_read(*e), "{r} writes {e:?} it cannot read");
            }
        }
        assert!(!Role::Inspector.can_read(Entity::Visit) && !Role::Inspector.can_read(Entity::Conflict));
        assert_eq!(Role::Township.readable().len(), Entity::ALL.len() - 1);
        // 暗访 stays between inspectors and the county office.
        for r in [Role::WorkTeam, Role::FirstSecretary, Role::Township] {
            assert!(!r.can_read(Entity::Inspection) && !r.can_write(Entity::Inspection));
        }
        assert!(Role::County.can_read(Entity::Inspection) && !Role::County.can_write(Entity::Inspection));
        assert!(Role::Township.can_write(Entity::Conflict) && !Role::Township.can_write(Entity::Household));
    }
}
