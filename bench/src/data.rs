//! Realistic petitions, made deterministically: petition `i` of a load depends only on
//! the seed and `i`, so a load can be stopped and continued, and two runs with the same
//! seed and end date hold the same rows. The words are the problems a township's petition
//! office hears every week: contracted land, broken village roads, demolition
//! compensation, subsistence allowance, pollution, unpaid wages, quarrels between
//! neighbours, homestead land…

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::audit::china_time;
use domain::intake::PetitionerIdentity;
use domain::petition::{Channel, PetitionKind, PetitionState};
use storage::BulkPetition;

/// xorshift64*: small, fast and good enough to spread test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that neighbouring seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + i64::try_from(self.below(u64::try_from(hi - lo + 1).unwrap_or(1))).unwrap_or(0)
    }

    /// True `per_mille` times in a thousand.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }

    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u64 = items.iter().map(|(_, w)| u64::from(*w)).sum();
        let mut at = self.below(total);
        for (item, w) in items {
            if at < u64::from(*w) {
                return item;
            }
            at -= u64::from(*w);
        }
        &items[items.len() - 1].0
    }
}

/// One kind of problem: its words, the department that usually handles it, its kind.
struct Topic {
    weight: u32,
    /// Index into the township's departments (demo order: 派出所, 司法所, 国土所,
    /// 民政办, 农业农村办).
    department: usize,
    kind: PetitionKind,
    subjects: &'static [&'static str],
    facts: &'static [&'static str],
    requests: &'static [&'static str],
}

use PetitionKind::{ReportAccusation as Report, RequestComplaint as Request, Suggestion};

/// Placeholders: {v} village, {g} village group (组), {n} a small number, {m} a sum of
/// money, {y} a year, {p} a person named by surname, {d} an illness.
const TOPICS: &[Topic] = &[
    Topic {
        weight: 9,
        department: 2,
        kind: Request,
        subjects: &[
            "土地承包经营权纠纷",
            "{v}{g}土地承包合同到期后被收回",
            "反映土地承包地被他人占用",
            "土地承包经营权确权登记有误",
        ],
        facts: &[
            "本人家庭承包的{n}亩责任田在二轮土地承包时登记在册，现被{p}强行占用耕种。",
            "村里未经村民代表大会讨论，擅自将集体土地承包给外地老板，承包费去向不明。",
            "土地承包经营权证上的面积比实际少了{n}亩，多次找村委会更正未果。",
            "{y}年流转出去的土地到期后，承包方拒不退还，也不支付流转费。",
        ],
        requests: &[
            "请求依法确认土地承包经营权，恢复耕种。",
            "请求镇政府调查处理，公开土地承包费收支。",
            "请求更正土地承包经营权证登记面积。",
        ],
    },
    Topic {
        weight: 7,
        department: 4,
        kind: Request,
        subjects: &[
            "{v}{g}村道损坏严重",
            "反映村道损坏影响出行",
            "村道损坏后一直无人修缮",
        ],
        facts: &[
            "{v}通往{g}的村道损坏严重，路面坑洼积水，雨天无法通行。",
            "村道损坏已有{n}个月，学生上学和老人就医都很不方便。",
            "前年修的水泥村道因重车碾压出现大面积损坏，路基下沉。",
            "村道损坏处没有任何警示标志，夜间已发生{n}起摔伤事故。",
        ],
        requests: &[
            "请求尽快安排维修村道。",
            "请求查明施工质量问题并追究责任。",
            "请求设置警示标志并限制重车通行。",
        ],
    },
    Topic {
        weight: 6,
        department: 2,
        kind: Request,
        subjects: &[
            "房屋拆迁补偿标准过低",
            "反映拆迁补偿款未足额发放",
            "征地拆迁补偿款被截留",
        ],
        facts: &[
            "我家{n}间房屋在{y}年被列入拆迁范围，补偿标准远低于周边项目。",
            "拆迁补偿款至今仍有{m}元未发放到位。",
            "征地补偿款由村委会代领后，只发放了一部分，余款去向不明。",
            "拆迁时附属设施和青苗未计入补偿，评估结果未向本人公示。",
        ],
        requests: &[
            "请求按标准足额支付补偿款。",
            "请求公开拆迁补偿安置方案和评估报告。",
            "请求核查补偿款发放情况。",
        ],
    },
    Topic {
        weight: 6,
        department: 3,
        kind: Request,
        subjects: &["低保申请未获批准", "反映低保评定不公", "低保被取消后要求重新核查"],
        facts: &[
            "本人患有{d}，丧失劳动能力，家庭年收入不足{m}元，低保申请未获批准。",
            "村里有的家庭条件较好却享受低保，真正困难的群众却评不上。",
            "今年低保复核时本户低保被取消，村里没有说明理由。",
            "低保申请材料已交到村委会{n}个月，一直没有答复。",
        ],
        requests: &[
            "请求重新审核低保申请。",
            "请求公开低保评议结果并核查优亲厚友问题。",
            "请求恢复低保待遇。",
        ],
    },
    Topic {
        weight: 5,
        department: 4,
        kind: Request,
        subjects: &[
            "养殖场环境污染问题",
            "反映工厂排污造成环境污染",
            "{v}河道环境污染严重",
        ],
        facts: &[
            "村旁的养猪场粪污直排，臭味刺鼻，夏天蚊蝇成群，环境污染严重。",
            "{v}附近的砖厂夜间排放浓烟，周边农田作物受损。",
            "河道两岸垃圾堆积，生活污水直排，河水发黑发臭。",
            "石料厂粉尘污染严重，村民门窗不敢打开。",
        ],
        requests: &[
            "请求依法查处污染企业。",
            "请求督促整改并赔偿损失。",
            "请求组织清理河道垃圾。",
        ],
    },
    Topic {
        weight: 5,
        department: 1,
        kind: Request,
        subjects: &["拖欠农民工工资", "反映工程款和工资被拖欠", "劳资纠纷请求调解"],
        facts: &[
            "本人在{v}的建筑工地务工{n}个月，包工头{p}拖欠工资{m}元拒不支付。",
            "{y}年在镇上的加工厂打工，工厂停产后老板失联，{n}名工人被拖欠工资。",
            "劳资纠纷多次协商无果，对方以工程款未结清为由推脱。",
        ],
        requests: &["请求协调追回拖欠工资。", "请求依法调解劳资纠纷。"],
    },
    Topic {
        weight: 5,
        department: 1,
        kind: Request,
        subjects: &["邻里纠纷请求调解", "邻居建房占用通道", "反映邻里宅前排水纠纷"],
        facts: &[
            "邻居{p}建房时占用了本户宅前通道，双方多次发生争吵。",
            "邻居在界址上砌墙，导致本户排水不畅，雨季房屋进水。",
            "因屋后竹林界线问题与邻居发生纠纷，对方多次砍伐本户竹木。",
        ],
        requests: &["请求组织调解邻里纠纷。", "请求责令拆除违章搭建。"],
    },
    Topic {
        weight: 5,
        department: 2,
        kind: Request,
        subjects: &["宅基地审批迟迟不办", "反映宅基地被他人侵占", "宅基地确权有争议"],
        facts: &[
            "本户{y}年申请宅基地建房，材料齐全，至今未获审批。",
            "祖上留下的宅基地被{p}强占建房，村委会调解未果。",
            "宅基地确权时四至界线与实际不符。",
        ],
        requests: &["请求依法审批宅基地。", "请求确认宅基地使用权。"],
    },
    Topic {
        weight: 3,
        department: 3,
        kind: Request,
        subjects: &["医疗费用报销问题", "大病医疗救助未落实"],
        facts: &[
            "本人{y}年住院治疗花费{m}元，按规定应报销的费用至今未到账。",
            "家人患{d}，申请大病救助被告知不符合条件。",
        ],
        requests: &["请求落实医疗报销政策。", "请求给予医疗救助。"],
    },
    Topic {
        weight: 3,
        department: 4,
        kind: Request,
        subjects: &["自来水经常停水", "{v}饮水安全问题"],
        facts: &[
            "{v}{g}的自来水水压不足，每天只有早晚供水{n}小时。",
            "水井水质浑浊，有异味，村民不敢饮用。",
        ],
        requests: &["请求解决饮水安全问题。", "请求改造供水管网。"],
    },
    Topic {
        weight: 3,
        department: 0,
        kind: Request,
        subjects: &["反映村内聚众赌博问题", "夜间噪音扰民", "耕牛被盗请求侦查"],
        facts: &[
            "村里有人长期聚众赌博，影响家庭和睦和社会治安。",
            "村口烧烤摊夜间噪音扰民，常闹到凌晨{n}点。",
            "本户耕牛{n}头夜间被盗，已报警但至今未破案。",
        ],
        requests: &["请求依法打击赌博。", "请求加强夜间巡逻。", "请求尽快侦破案件。"],
    },
    Topic {
        weight: 4,
        department: 4,
        kind: Report,
        subjects: &[
            "举报村干部侵占集体资金",
            "反映村务公开不及时",
            "举报村干部优亲厚友",
        ],
        facts: &[
            "村委会{y}年以来的财务账目从未公开，集体土地租金{m}元去向不明。",
            "村干部{p}利用职务便利，将扶贫项目安排给亲属承包。",
            "村务公开栏长期不更新，村民无从监督。",
        ],
        requests: &["请求审计村集体财务。", "请求查处违纪违法行为。"],
    },
    Topic {
        weight: 3,
        department: 3,
        kind: Request,
        subjects: &["危房改造补助未发放", "申请农村危房改造"],
        facts: &[
            "本户房屋为{y}年建的土坯房，墙体开裂，申请危房改造一直未批。",
            "危房改造已完工{n}个月，补助款{m}元仍未发放。",
        ],
        requests: &["请求纳入危房改造计划。", "请求发放危房改造补助款。"],
    },
    Topic {
        weight: 2,
        department: 1,
        kind: Request,
        subjects: &["家庭赡养纠纷", "子女不履行赡养义务"],
        facts: &[
            "本人年过七十，{n}个子女互相推诿，不履行赡养义务。",
            "因分家析产与兄弟发生纠纷，老人无人照顾。",
        ],
        requests: &["请求调解并督促子女履行赡养义务。"],
    },
    Topic {
        weight: 3,
        department: 4,
        kind: Request,
        subjects: &["耕地地力保护补贴未到账", "反映农机购置补贴发放问题"],
        facts: &[
            "{y}年的耕地地力保护补贴至今未到账，一卡通查询无记录。",
            "补贴面积按{n}亩计算，比实际耕种面积少。",
        ],
        requests: &["请求核实并补发农业补贴。"],
    },
    Topic {
        weight: 3,
        department: 4,
        kind: Suggestion,
        subjects: &["建议增设公交站点", "建议修建村级文化广场", "建议在主干道安装路灯"],
        facts: &[
            "{v}到镇上没有公交车，老人和学生出行不便，建议增设公交站点。",
            "村里缺少文体活动场所，建议利用闲置校舍修建文化广场。",
            "{v}主干道没有路灯，夜间出行存在安全隐患。",
        ],
        requests: &["希望镇政府予以考虑。"],
    },
    Topic {
        weight: 2,
        department: 2,
        kind: Request,
        subjects: &["山林权属争议", "林权证登记错误"],
        facts: &[
            "与邻村因山林权属发生争议，对方越界砍伐林木数十株。",
            "林权证上的四至与实际山场不符。",
        ],
        requests: &["请求依法确权。"],
    },
];

const GENERIC: &[&str] = &[
    "此事已向村委会反映{n}次，一直没有得到解决。",
    "希望政府尽快协调解决，维护群众合法权益。",
    "此问题已持续{n}年，严重影响正常生产生活。",
    "相关证明材料已复印附后。",
    "恳请领导高度重视。",
    "周边{n}户村民都有同样的遭遇。",
];

const GROUPS: &[&str] = &[
    "一组", "二组", "三组", "四组", "五组", "六组", "七组", "八组", "九组",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "林", "罗", "高",
];
const GIVEN: &[&str] = &[
    "秀英", "桂兰", "建国", "志强", "国华", "海燕", "丽", "伟", "芳", "军", "明", "红梅", "玉兰", "建华",
    "金凤", "德胜", "春生", "翠花", "永福", "小红",
];
const ILLNESSES: &[&str] = &["尿毒症", "脑梗", "肺癌", "严重风湿病", "糖尿病并发症"];
const FORWARD_TO: &[&str] = &[
    "县人力资源和社会保障局",
    "县自然资源局",
    "县住房和城乡建设局",
    "县生态环境局",
    "县市场监督管理局",
];
const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Letter, 25),
    (Channel::Visit, 30),
    (Channel::Phone, 15),
    (Channel::Fax, 2),
    (Channel::Online, 20),
    (Channel::Agent, 8),
];

/// The township a load goes into.
#[derive(Debug, Clone)]
pub struct Township {
    pub id: i64,
    /// (id, name), in the demo's order.
    pub villages: Vec<(i64, String)>,
    pub departments: Vec<i64>,
}

/// Makes petition `i` of `total`, received over `days` days up to `end` (exclusive,
/// China midnight), oldest first.
#[derive(Debug, Clone)]
pub struct Generator {
    pub seed: u64,
    pub total: u64,
    pub end: NaiveDate,
    pub days: i64,
    pub township: Township,
}

impl Generator {
    pub fn first_day(&self) -> NaiveDate {
        self.end - Duration::days(self.days)
    }

    pub fn petition(&self, i: u64) -> BulkPetition {
        let mut rng = Rng::new(self.seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // Evenly over the days, in order; office hours in China, seconds apart.
        let day_index = i64::try_from(i.saturating_mul(self.days as u64) / self.total.max(1)).unwrap_or(0);
        let day = self.first_day() + Duration::days(day_index);
        let age_days = self.days - day_index;
        let received_at = china_midnight(day) + Duration::seconds(8 * 3600 + rng.range(0, 10 * 3600 - 1));

        let topic = weighted_topic(&mut rng);
        let channel = *rng.weighted(CHANNELS);
        let village = if matches!(channel, Channel::Online | Channel::Agent) || !rng.chance(50) {
            // Bigger villages send more: the first ones weigh more.
            let n = self.township.villages.len() as u64;
            let a = rng.below(n);
            let b = rng.below(n);
            Some(&self.township.villages[usize::try_from(a.min(b)).unwrap_or(0)])
        } else {
            None
        };
        let village_name = village.map_or("本村", |(_, name)| name.as_str());
        let say = |text: &str, rng: &mut Rng| fill(text, village_name, rng);

        let subject = say(rng.pick(topic.subjects), &mut rng);
        let mut content = format!("{village_name}{}村民反映：", rng.pick(GROUPS));
        let first = rng.below(topic.facts.len() as u64);
        content.push_str(&say(topic.facts[usize::try_from(first).unwrap_or(0)], &mut rng));
        let facts = topic.facts.len() as u64;
        if facts > 1 && rng.chance(600) {
            // Another fact of the same problem, never the same one twice.
            let second = (first + 1 + rng.below(facts - 1)) % facts;
            content.push_str(&say(topic.facts[usize::try_from(second).unwrap_or(0)], &mut rng));
        }
        for _ in 0..rng.below(3) {
            content.push_str(&say(rng.pick(GENERIC), &mut rng));
        }
        let request = say(rng.pick(topic.requests), &mut rng);

        let state = state_for_age(age_days, &mut rng);
        let routed_to_department = matches!(
            state,
            PetitionState::Assigned
                | PetitionState::Accepted
                | PetitionState::InHandling
                | PetitionState::Extended
                | PetitionState::Replied
                | PetitionState::Evaluated
                | PetitionState::ReviewRequested
                | PetitionState::Reviewed
                | PetitionState::ReReviewRequested
                | PetitionState::ReReviewed
                | PetitionState::Concluded
        );
        let department_id = routed_to_department.then(|| {
            let d = if rng.chance(800) {
                topic.department
            } else {
                usize::try_from(rng.below(self.township.departments.len() as u64)).unwrap_or(0)
            };
            self.township.departments[d.min(self.township.departments.len() - 1)]
        });
        let accepted = routed_to_department && state != PetitionState::Assigned;
        let registered_at = (state != PetitionState::Submitted)
            .then(|| received_at + Duration::minutes(rng.range(5, 2 * 24 * 60)));
        let accepted_at = registered_at
            .filter(|_| accepted)
            .map(|r| r + Duration::hours(rng.range(2, 10 * 24)));
        let updated_at =
            accepted_at.or(registered_at).unwrap_or(received_at) + Duration::hours(rng.range(0, 72));

        let (batch_count, person_count) = if channel == Channel::Visit {
            let people = if rng.chance(150) {
                rng.range(5, 30)
            } else {
                rng.range(1, 4)
            };
            (rng.range(1, 2), people)
        } else {
            (1, 1)
        };
        let public = matches!(channel, Channel::Online | Channel::Agent);
        let petitioner = PetitionerIdentity {
            name: format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)),
            resident_id: (public || rng.chance(500)).then(|| resident_id(&mut rng)),
            phone: (public || rng.chance(800)).then(|| phone(&mut rng)),
            address: village.map(|(_, v)| format!("{v}{}{}号", rng.pick(GROUPS), rng.range(1, 120))),
        };
        BulkPetition {
            query_secret_hash: hex64(&mut rng),
            channel,
            kind: if rng.chance(900) { topic.kind } else { Report },
            state,
            township_id: self.township.id,
            village_id: village.map(|(id, _)| *id),
            department_id,
            forwarded_to: (state == PetitionState::Forwarded).then(|| (*rng.pick(FORWARD_TO)).to_owned()),
            subject,
            content,
            request: Some(request),
            batch_count,
            person_count,
            collective: person_count >= 5,
            received_at,
            registered_at,
            accepted_at,
            updated_at,
            petitioner,
            consent_at: public.then_some(received_at),
        }
    }
}

fn weighted_topic(rng: &mut Rng) -> &'static Topic {
    let total: u64 = TOPICS.iter().map(|t| u64::from(t.weight)).sum();
    let mut at = rng.below(total);
    for t in TOPICS {
        if at < u64::from(t.weight) {
            return t;
        }
        at -= u64::from(t.weight);
    }
    &TOPICS[0]
}

/// Where a petition of this age stands: recent ones are open, old ones mostly closed.
fn state_for_age(age_days: i64, rng: &mut Rng) -> PetitionState {
    use PetitionState::*;
    const NEW: &[(PetitionState, u32)] = &[
        (Submitted, 25),
        (Registered, 20),
        (Forwarded, 5),
        (Assigned, 20),
        (Accepted, 15),
        (InHandling, 15),
    ];
    const MONTH: &[(PetitionState, u32)] = &[
        (Registered, 3),
        (Forwarded, 10),
        (Assigned, 10),
        (Accepted, 15),
        (Declined, 7),
        (InHandling, 40),
        (Extended, 5),
        (Replied, 8),
        (Withdrawn, 2),
    ];
    const QUARTER: &[(PetitionState, u32)] = &[
        (Forwarded, 8),
        (Declined, 5),
        (InHandling, 20),
        (Extended, 10),
        (Replied, 35),
        (Evaluated, 20),
        (Withdrawn, 2),
    ];
    const OLD: &[(PetitionState, u32)] = &[
        (Forwarded, 8),
        (Declined, 6),
        (InHandling, 1),
        (Replied, 10),
        (Evaluated, 30),
        (ReviewRequested, 1),
        (Reviewed, 2),
        (ReReviewRequested, 1),
        (ReReviewed, 1),
        (Concluded, 38),
        (Withdrawn, 2),
    ];
    *rng.weighted(match age_days {
        ..=7 => NEW,
        8..=30 => MONTH,
        31..=90 => QUARTER,
        _ => OLD,
    })
}

fn fill(text: &str, village: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find('}') else { break };
        match &rest[start + 1..start + len] {
            "v" => out.push_str(village),
            "g" => out.push_str(rng.pick(GROUPS)),
            "n" => out.push_str(&rng.range(2, 9).to_string()),
            "m" => out.push_str(&(rng.range(3, 200) * 1000 + rng.range(0, 9) * 100).to_string()),
            "y" => out.push_str(&rng.range(2012, 2025).to_string()),
            "p" => {
                out.push_str(rng.pick(SURNAMES));
                out.push_str(if rng.chance(500) { "某" } else { "某某" });
            }
            "d" => out.push_str(rng.pick(ILLNESSES)),
            other => out.push_str(other),
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// 00:00 China time of `day`, as an instant.
pub fn china_midnight(day: NaiveDate) -> DateTime<Utc> {
    china_time()
        .from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
        .single()
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// A resident ID with a valid GB 11643 check digit, from a county in Hunan.
pub fn resident_id(rng: &mut Rng) -> String {
    let birth =
        NaiveDate::from_ymd_opt(1940, 1, 1).unwrap_or_default() + Duration::days(rng.range(0, 60 * 365));
    let body = format!("430124{}{:03}", birth.format("%Y%m%d"), rng.range(1, 999));
    with_check_digit(&body)
}

pub fn with_check_digit(body17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let sum: u32 = body17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    format!("{body17}{}", char::from(CHECK[(sum % 11) as usize]))
}

const PHONE_PREFIXES: &[&str] = &[
    "133", "135", "136", "137", "138", "139", "150", "151", "158", "177", "186", "189",
];

pub fn phone(rng: &mut Rng) -> String {
    format!("{}{:08}", rng.pick(PHONE_PREFIXES), rng.below(100_000_000))
}

fn hex64(rng: &mut Rng) -> String {
    (0..4).map(|_| format!("{:016x}", rng.next_u64())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generator() -> Generator {
        Generator {
            seed: 7,
            total: 10_000,
            end: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
            days: 1095,
            township: Township {
                id: 2,
                villages: (0..12).map(|i| (10 + i, format!("村{i}"))).collect(),
                departments: (30..35).collect(),
            },
        }
    }

    #[test]
    fn the_same_index_gives_the_same_petition_and_time_runs_forward() {
        let g = generator();
        let a = g.petition(1234);
        let b = g.petition(1234);
        assert_eq!(a.subject, b.subject);
        assert_eq!(a.content, b.content);
        assert_eq!(a.received_at, b.received_at);
        assert!(g.petition(0).received_at < g.petition(9_999).received_at);
        assert!(g.petition(9_999).received_at < china_midnight(g.end));
        assert!(g.petition(0).received_at >= china_midnight(g.first_day()));
    }

    #[test]
    fn the_rows_are_what_the_schema_and_the_form_accept() {
        let g = generator();
        let mut land = 0;
        for i in 0..2_000 {
            let p = g.petition(i);
            assert!(
                !p.subject.contains('{') && !p.content.contains('{'),
                "{}",
                p.content
            );
            assert!(p.subject.chars().count() <= 100);
            assert_eq!(p.query_secret_hash.len(), 64);
            if matches!(p.channel, Channel::Online | Channel::Agent) {
                assert!(p.village_id.is_some() && p.petitioner.phone.is_some());
            }
            land += usize::from(p.content.contains("土地承包") || p.subject.contains("土地承包"));
        }
        assert!(land > 50, "the benchmark's search words must be common: {land}");
        // GB 11643's own example.
        assert_eq!(with_check_digit("11010519491231002"), "11010519491231002X");
    }
}
