//! The roster's columns, by the names registers give them, and finding the header row (which may sit
//! under a title row or under merged group headers).

use serde::{Deserialize, Serialize};

/// A column the import understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Column {
    HouseholdNo,
    HeadName,
    Name,
    Relation,
    IdNumber,
    Sex,
    BirthDate,
    Health,
    Labor,
    Education,
    Schooling,
    Attribute,
    Status,
    Causes,
    ExitYear,
    Village,
    Group,
    VillageAndGroup,
    Phone,
}

const ALIASES: &[(Column, &[&str])] = &[
    (Column::HouseholdNo, &["户编号", "户编码", "户号", "家庭编号"]),
    (Column::HeadName, &["户主姓名", "户主"]),
    (Column::Name, &["姓名", "成员姓名", "家庭成员姓名", "人员姓名"]),
    (Column::Relation, &["与户主关系", "与户主的关系", "家庭关系", "与户主关系(户主填本人)"]),
    (Column::IdNumber, &["身份证号", "身份证号码", "证件号码", "公民身份号码", "身份证"]),
    (Column::Sex, &["性别"]),
    (Column::BirthDate, &["出生日期", "出生年月", "出生年月日"]),
    (Column::Health, &["健康状况", "健康状态"]),
    (Column::Labor, &["劳动技能", "劳动能力"]),
    (Column::Education, &["文化程度", "文化程度(学历)", "学历", "受教育程度"]),
    (Column::Schooling, &["在校生状况", "在校生情况", "在校状况", "在校情况"]),
    (Column::Attribute, &["贫困户属性", "户属性", "贫困属性"]),
    (Column::Status, &["户状态", "贫困户状态", "脱贫状态"]),
    (Column::Causes, &["致贫原因", "主要致贫原因", "致贫原因(主要)"]),
    (Column::ExitYear, &["脱贫年度", "脱贫年份", "脱贫时间"]),
    (Column::Village, &["村", "行政村", "所在村", "村名称", "村名"]),
    (Column::Group, &["组", "村民小组", "自然村(组)", "所在组", "组名"]),
    (Column::VillageAndGroup, &["村/组", "村组", "所在村组", "村(组)"]),
    (Column::Phone, &["联系电话", "电话", "手机号", "手机号码", "联系方式"]),
];

impl Column {
    /// The name shown in the rejection report.
    pub fn label(self) -> &'static str {
        ALIASES.iter().find(|(c, _)| *c == self).map(|(_, names)| names[0]).unwrap_or("")
    }
}

/// Header text as registers vary it: full-width brackets, spaces, line breaks, a trailing colon.
fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '：' && *c != ':')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            '／' => '/',
            other => other,
        })
        .collect()
}

/// The column a header cell names, if any.
pub fn recognise(header: &str) -> Option<Column> {
    let h = normalise(header);
    if h.is_empty() {
        return None;
    }
    ALIASES.iter().find(|(_, names)| names.iter().any(|n| normalise(n) == h)).map(|(c, _)| *c)
}

/// The header: its row index and the column of each cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub row: usize,
    pub columns: Vec<Option<Column>>,
}

/// Finds the header among the first rows: the row naming the most known columns (at least three). A cell
/// left empty by a merged group header above it takes the text of the row above; a group header over
/// sub-headers ("家庭成员信息" over 姓名, 性别 …) is skipped because its own row names too few columns.
pub fn find_header(rows: &[Vec<String>]) -> Option<Header> {
    let mut best: Option<(usize, Vec<Option<Column>>, usize)> = None;
    for (i, row) in rows.iter().enumerate().take(15) {
        let cols: Vec<Option<Column>> = row
            .iter()
            .enumerate()
            .map(|(j, cell)| {
                recognise(cell).or_else(|| {
                    // Merged vertically: the text sits in the row above.
                    if cell.trim().is_empty() && i > 0 {
                        rows[i - 1].get(j).and_then(|above| recognise(above))
                    } else {
                        None
                    }
                })
            })
            .collect();
        let n = cols.iter().flatten().count();
        if n >= 3 && best.as_ref().is_none_or(|(_, _, m)| n > *m) {
            best = Some((i, cols, n));
        }
    }
    best.map(|(row, columns, _)| Header { row, columns })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn variants_of_column_names() {
        assert_eq!(recognise(" 身份证号码 "), Some(Column::IdNumber));
        assert_eq!(recognise("与户主关系（户主填本人）"), Some(Column::Relation));
        assert_eq!(recognise("*姓名"), Some(Column::Name));
        assert_eq!(recognise("村／组"), Some(Column::VillageAndGroup));
        assert_eq!(recognise("备注"), None);
    }

    #[test]
    fn header_under_a_title_and_merged_group_headers() {
        let rows = vec![
            r(&["台江县建档立卡贫困人口花名册", "", "", "", "", ""]),
            r(&["户信息", "", "", "家庭成员信息", "", "户主姓名"]),
            r(&["户编号", "村", "组", "姓名", "与户主关系", ""]),
            r(&["001", "红阳村", "一组", "张三", "户主", "张三"]),
        ];
        let h = find_header(&rows).unwrap();
        assert_eq!(h.row, 2);
        assert_eq!(h.columns[5], Some(Column::HeadName), "merged cell takes the text above");
        assert_eq!(h.columns[0], Some(Column::HouseholdNo));
        assert!(find_header(&[r(&["a", "b"]), r(&["1", "2"])]).is_none());
    }
}
