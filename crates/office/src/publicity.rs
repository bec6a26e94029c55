//! The 公示名单 a village posts during the exit procedure's 公示, as .xlsx (to edit and print from WPS or
//! Excel) and as a PDF ready to print. What the list holds is the store's (`Store::publicity_list`):
//! nothing a public notice may not show. The blanks for the dates and the number of days follow the
//! county's setting (`publicity_days`).

use crate::export::{add_sheet, Cell};
use crate::pdf::{self, Page, PAGE_HEIGHT, PAGE_WIDTH};
use crate::Result;
use rust_xlsxwriter::Workbook;
use zoufang_model::Fen;
use zoufang_store::PublicityList;

const HEADERS: &[&str] = &["序号", "村民小组", "户主姓名", "家庭人口", "人均纯收入（元）", "民主评议结果"];

fn title(list: &PublicityList) -> String {
    format!("{}拟退出贫困户公示名单", list.village)
}

fn preamble(list: &PublicityList) -> String {
    format!(
        "经农户申请，村两委和驻村工作队入户核查测算、民主评议，以下 {} 户拟脱贫退出，现予公示。\
         公示期不少于 {} 天，自    年  月  日至    年  月  日。如有异议，请在公示期内向村委会或乡镇人民政府反映。",
        list.lines.len(),
        list.publicity_days
    )
}

fn yuan(fen: Option<i64>) -> String {
    fen.map(|f| Fen(f).to_string()).unwrap_or_default()
}

/// The list as a workbook: the notice's text above the table.
pub fn publicity_xlsx(list: &PublicityList) -> Result<Vec<u8>> {
    let mut book = Workbook::new();
    let rows = list
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                Cell::from((i + 1) as u32),
                l.group_name.as_deref().unwrap_or("").into(),
                l.head_name.as_str().into(),
                Cell::from(Some(l.population)),
                l.income_per_capita_fen.map_or(Cell::Empty, |f| Cell::from(Fen(f))),
                l.review.as_deref().unwrap_or("").into(),
            ]
        })
        .collect();
    add_sheet(&mut book, "公示名单", HEADERS, rows)?;
    let ws = book.worksheet_from_index(0)?;
    let at = list.lines.len() as u32 + 2;
    ws.write_string(at, 0, title(list))?;
    ws.write_string(at + 1, 0, preamble(list))?;
    let footer = format!("{}村民委员会  {}", list.village, list.made_on.format("%Y年%m月%d日"));
    ws.write_string(at + 2, 0, footer)?;
    Ok(book.save_to_buffer()?)
}

/// Column widths of the printed table, in points (the last takes what is left).
const COLUMNS: [f32; 6] = [36.0, 66.0, 72.0, 56.0, 96.0, 169.0];
const MARGIN: f32 = 50.0;
const SIZE: f32 = 10.5;
const LEADING: f32 = 15.0;

/// The list as a printable A4 PDF: title, the notice's text, the table (continued on further pages with
/// its header), the village committee and the date.
pub fn publicity_pdf(list: &PublicityList) -> Vec<u8> {
    let mut pages = vec![Page::default()];
    let mut y = PAGE_HEIGHT - 70.0;
    let text_width = PAGE_WIDTH - 2.0 * MARGIN;
    {
        let p = pages.last_mut().expect("a page");
        p.centred(y, 18.0, &title(list));
        y -= 32.0;
        for line in pdf::wrap(&preamble(list), 11.0, text_width) {
            p.text(MARGIN, y, 11.0, &line);
            y -= 17.0;
        }
        y -= 8.0;
    }
    let header = |p: &mut Page, y: &mut f32| {
        let mut x = MARGIN;
        p.line(MARGIN, *y + LEADING - 2.0, PAGE_WIDTH - MARGIN, *y + LEADING - 2.0);
        for (h, w) in HEADERS.iter().zip(COLUMNS) {
            for (k, part) in pdf::wrap(h, SIZE, w - 6.0).iter().enumerate() {
                p.text(x + 3.0, *y - k as f32 * LEADING + 2.0, SIZE, part);
            }
            x += w;
        }
        *y -= 2.0 * LEADING - 4.0;
        p.line(MARGIN, *y + LEADING - 2.0, PAGE_WIDTH - MARGIN, *y + LEADING - 2.0);
    };
    header(pages.last_mut().expect("a page"), &mut y);
    for (i, l) in list.lines.iter().enumerate() {
        let cells = [
            (i + 1).to_string(),
            l.group_name.clone().unwrap_or_default(),
            l.head_name.clone(),
            l.population.to_string(),
            yuan(l.income_per_capita_fen),
            l.review.clone().unwrap_or_default(),
        ];
        let wrapped: Vec<Vec<String>> = cells.iter().zip(COLUMNS).map(|(c, w)| pdf::wrap(c, SIZE, w - 6.0)).collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1) as f32 * LEADING;
        if y - height < 90.0 {
            pages.push(Page::default());
            y = PAGE_HEIGHT - 70.0;
            header(pages.last_mut().expect("a page"), &mut y);
        }
        let p = pages.last_mut().expect("a page");
        let mut x = MARGIN;
        for (lines, w) in wrapped.iter().zip(COLUMNS) {
            for (k, part) in lines.iter().enumerate() {
                p.text(x + 3.0, y - k as f32 * LEADING, SIZE, part);
            }
            x += w;
        }
        y -= height;
        p.line(MARGIN, y + LEADING - 4.0, PAGE_WIDTH - MARGIN, y + LEADING - 4.0);
    }
    let p = pages.last_mut().expect("a page");
    if list.lines.is_empty() {
        p.text(MARGIN + 3.0, y, SIZE, "（暂无进入公示的农户）");
        y -= LEADING;
    }
    y -= 30.0;
    let committee = format!("{}村民委员会", list.village);
    let date = list.made_on.format("%Y年%m月%d日").to_string();
    p.text(PAGE_WIDTH - MARGIN - pdf::width(&committee, 11.0), y, 11.0, &committee);
    p.text(PAGE_WIDTH - MARGIN - pdf::width(&date, 11.0), y - 18.0, 11.0, &date);
    pdf::document(&title(list), &pages)
}
