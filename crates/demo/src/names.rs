//! Words for demo data: common surnames, given-name characters, place names of a Guizhou county, and
//! what visitors typically write.

use crate::rng::Rng;
use zoufang_model::BasicNeed;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "韩", "冯", "邓", "曹", "彭", "曾", "田", "潘", "蒋", "龙", "杜", "吕", "石",
    "姚", "邰", "张", "杨", "吴", "龙", "潘", "杨", "吴", "刘",
];
const MALE: &[&str] = &[
    "伟", "强", "军", "勇", "明", "华", "建国", "国强", "志强", "德明", "光荣", "文军", "永福", "天佑", "金生", "正华",
    "海", "林", "斌", "亮", "成", "春生", "树林", "兴发", "德贵", "老三", "洪", "昌", "先富", "贵平",
];
const FEMALE: &[&str] = &[
    "秀英", "桂英", "秀兰", "玉兰", "桂兰", "丽", "芳", "敏", "静", "燕", "艳", "娟", "霞", "红梅", "春花", "金花",
    "小妹", "玉梅", "翠", "英", "阿妹", "银花", "美", "慧", "婷",
];
pub const TOWNSHIPS: &[&str] =
    &["台拱镇", "施洞镇", "南宫镇", "排羊乡", "台盘乡", "革一镇", "老屯乡", "方召镇", "良上镇", "南省乡"];
const VILLAGE_PARTS: &[&str] = &[
    "红阳", "交宫", "长滩", "平寨", "岩脚", "巫梭", "登鲁", "九摆", "偏寨", "塘坝", "小河", "阳芳", "稿午", "排扎",
    "展福", "翁你", "南省", "交密", "反排", "方家", "猫鼻", "平水", "良田", "白土", "新民", "光明", "团结", "红星",
    "青山", "和平",
];
/// Where 帮扶责任人 work (county departments and township offices send cadres to households).
pub const HELPER_UNITS: &[&str] = &[
    "县农业农村局",
    "县教育局",
    "县卫生健康局",
    "县住房城乡建设局",
    "县人社局",
    "乡镇人民政府",
    "县财政局",
    "县水务局",
];

pub const CN_DIGITS: &[&str] = &["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];

pub const PROBLEMS: &[(BasicNeed, &str)] = &[
    (BasicNeed::Housing, "房屋墙体开裂，屋顶漏雨，需鉴定是否为危房"),
    (BasicNeed::Water, "自来水管冬季冻裂，需临时挑水"),
    (BasicNeed::Medical, "慢性病卡未办理，门诊报销未落实"),
    (BasicNeed::Education, "初中适龄子女辍学在家，需劝返"),
    (BasicNeed::Medical, "未参加城乡居民基本医疗保险"),
    (BasicNeed::Housing, "易地搬迁新房未入住，旧房未拆除"),
    (BasicNeed::Food, "独居老人口粮不足，需落实临时救助"),
    (BasicNeed::Clothing, "冬季被褥衣物不足"),
];
pub const VISIT_NOTES: &[&str] = &[
    "宣讲惠民政策，了解家庭收入情况，户主表示满意",
    "查看住房和饮水情况，核对扶贫手册信息",
    "帮助联系县城务工岗位，户主有意向外出",
    "核实家庭人口变化，子女已外出务工",
    "了解产业发展情况，养殖生猪 3 头",
    "帮助申请教育资助，已提交材料",
    "督促按时服药，协调村医上门随访",
];
pub const MEASURE_NOTES: &[&str] = &[
    "发放种植补助，种植油茶 5 亩",
    "安排公益性岗位护林员",
    "落实雨露计划培训补助",
    "享受光伏收益分红",
    "发放扶贫小额信贷 5 万元，发展养殖",
    "纳入农村低保兜底",
    "完成危房改造，已入住",
];

pub fn surname(rng: &mut Rng) -> &'static str {
    SURNAMES[rng.below(SURNAMES.len() as u64) as usize]
}

pub fn given(rng: &mut Rng, male: bool) -> &'static str {
    let names = if male { MALE } else { FEMALE };
    names[rng.below(names.len() as u64) as usize]
}

pub fn village_name(rng: &mut Rng, n: usize) -> String {
    let base = VILLAGE_PARTS[n % VILLAGE_PARTS.len()];
    if n < VILLAGE_PARTS.len() {
        format!("{base}村")
    } else {
        format!("{base}{}村", rng.pick(&["上", "下", "新", "大", "中"]))
    }
}
