"""A seeded job-matching workload of both cities (pure): employers' postings and key-group
job seekers of Chongqing and Chengdu, a joint recruitment fair, 12333 requests forwarded
between the cities along every path, and personnel-file transfers and certificates.

Used by the demo (a few hundred postings and seekers) and the end-to-end test (thousands).
The plan never talks to a service; it says what each city's clerks enter, as the bodies of
the job-matching API (``POST /postings``, ``POST /seekers``, ...), and what should follow.

Occupations come from the service's own classification table
(``chengyu_job_matching/data/occupations.csv``): a posting names one, a seeker wants one
(the *intended* occupation, which the matches should favour) and may name related ones.
Titles, descriptions, skills and interests are realistic Chinese for each occupation the
plan has words for; an occupation of the table without them gets sentences built from its
name. Descriptions and clerks' summaries never hold names, ID numbers or phones (the
service refuses such text); seekers' ID numbers, names and phones are synthetic and go only
into the registration body.

Time: the services run on the real clock, so every date of the plan is relative to
``today`` (the day in China): postings close in the coming weeks, the fair is next month.
Every 12333 request is received (``received_at``) minutes before ``now``. Its deadlines
count from the day it is forwarded (sign-for: the next working day; resolution: the
category's working days), so on the real clock none can pass during a run: the plan's
*unsigned* requests are left waiting for their signature, and nothing is overdue.
Overdue requests need a moved clock: ``tests/test_job_matching_overdue_e2e.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from chengyu_contracts.cities import CITIES, City, other_city
from chengyu_contracts.resident_id import synthesize_resident_id
from chengyu_job_matching.occupations import occupations

__all__ = [
    "CHINA",
    "DISTRICT_SEATS",
    "HotlinePath",
    "JobsPlan",
    "PlannedFile",
    "PlannedPosting",
    "PlannedRequest",
    "PlannedSeeker",
    "credit_code",
    "jobs_plan",
]

CHINA = ZoneInfo("Asia/Shanghai")
Body = dict[str, Any]

#: Urban districts of each city where postings are and seekers live, with the approximate
#: seat (政府驻地) of each, in degrees: a posting's workplace lies within ~1 km of one.
DISTRICT_SEATS: dict[City, dict[str, tuple[str, float, float]]] = {
    "cq": {
        "500103": ("渝中区", 29.5565, 106.5693),
        "500105": ("江北区", 29.6067, 106.5743),
        "500106": ("沙坪坝区", 29.5411, 106.4580),
        "500107": ("九龙坡区", 29.5024, 106.5111),
        "500108": ("南岸区", 29.5232, 106.5607),
        "500109": ("北碚区", 29.8056, 106.3964),
        "500112": ("渝北区", 29.7181, 106.6312),
    },
    "cd": {
        "510104": ("锦江区", 30.6571, 104.0834),
        "510105": ("青羊区", 30.6740, 104.0617),
        "510106": ("金牛区", 30.6914, 104.0517),
        "510107": ("武侯区", 30.6425, 104.0432),
        "510108": ("成华区", 30.6600, 104.1019),
        "510116": ("双流区", 30.5744, 103.9234),
        "510117": ("郫都区", 30.7953, 103.9008),
    },
}


@dataclass(frozen=True)
class _Words:
    """What postings and seekers of one occupation say."""

    titles: tuple[str, ...]
    duties: tuple[str, ...]
    skills: tuple[str, ...]
    interests: tuple[str, ...]
    education: tuple[str, ...]
    salary: tuple[int, int]  # typical monthly range in yuan


#: Words per occupation code (the 2022 classification's codes in the service's table).
_WORDS: dict[str, _Words] = {
    "2-02-10-03": _Words(
        titles=(
            "Java后端开发工程师",
            "Python开发工程师",
            "前端开发工程师",
            "嵌入式软件工程师",
            "C++软件工程师",
            "Go语言开发工程师",
        ),
        duties=(
            "负责政务服务平台后端接口的设计与开发",
            "参与微服务架构下业务模块的编码、联调与上线",
            "负责Web前端页面开发与性能优化",
            "参与车载嵌入式软件的需求分析与实现",
            "编写技术文档，参与代码评审",
        ),
        skills=(
            "Java",
            "Spring Boot",
            "MySQL",
            "Python",
            "Django",
            "Linux",
            "Vue",
            "TypeScript",
            "C++",
            "Git",
            "Redis",
            "Kafka",
            "Go",
            "Docker",
        ),
        interests=("后端开发", "微服务", "前端", "嵌入式", "软件开发", "云原生"),
        education=("junior-college", "bachelor", "bachelor", "master"),
        salary=(8000, 22000),
    ),
    "2-02-10-04": _Words(
        titles=("网络工程师", "网络运维工程师", "信息安全工程师", "数据中心网络工程师"),
        duties=(
            "负责园区网络的规划、部署与日常运维",
            "处理网络故障，保障数据中心网络稳定运行",
            "负责防火墙策略配置与安全巡检",
            "参与政务外网改造项目的实施",
        ),
        skills=(
            "路由交换",
            "华为HCIP",
            "思科CCNP",
            "防火墙",
            "Linux",
            "网络安全",
            "VPN",
            "SDN",
            "等保测评",
        ),
        interests=("网络运维", "网络安全", "数据中心", "通信"),
        education=("junior-college", "junior-college", "bachelor"),
        salary=(6000, 15000),
    ),
    "2-02-10-09": _Words(
        titles=(
            "机器学习算法工程师",
            "计算机视觉算法工程师",
            "自然语言处理工程师",
            "大模型应用开发工程师",
        ),
        duties=(
            "负责图像识别算法的研发与模型部署",
            "参与大模型在政务问答场景的微调与评测",
            "负责推荐系统的特征工程与模型迭代",
            "跟踪前沿论文并落地到产品",
        ),
        skills=(
            "Python",
            "PyTorch",
            "TensorFlow",
            "深度学习",
            "OpenCV",
            "自然语言处理",
            "推荐系统",
            "SQL",
            "大模型微调",
        ),
        interests=("人工智能", "机器学习", "计算机视觉", "大模型", "算法"),
        education=("bachelor", "master", "master", "doctor"),
        salary=(15000, 35000),
    ),
    "4-04-05-01": _Words(
        titles=("初级程序员", "软件实施工程师", "微信小程序开发员", "ERP实施顾问"),
        duties=(
            "根据需求文档完成功能模块的编码",
            "负责软件在客户现场的安装、配置与培训",
            "开发维护微信小程序及后台管理页面",
            "协助客户梳理业务流程并完成系统上线",
        ),
        skills=("Java", "PHP", "SQL", "JavaScript", "微信小程序", "HTML", "ERP", "Excel"),
        interests=("编程", "软件实施", "小程序", "信息化"),
        education=("senior-middle", "junior-college", "junior-college", "bachelor"),
        salary=(4500, 9000),
    ),
    "4-04-05-02": _Words(
        titles=("软件测试工程师", "自动化测试工程师", "游戏测试员", "性能测试工程师"),
        duties=(
            "编写测试用例，执行功能测试与回归测试",
            "搭建接口自动化测试框架并持续维护",
            "负责手机游戏版本的测试与缺陷跟踪",
            "负责系统压力测试与性能瓶颈分析",
        ),
        skills=(
            "功能测试",
            "接口测试",
            "Selenium",
            "JMeter",
            "Python",
            "Postman",
            "测试用例设计",
            "LoadRunner",
        ),
        interests=("软件测试", "自动化测试", "质量保障", "游戏"),
        education=("junior-college", "junior-college", "bachelor"),
        salary=(5000, 12000),
    ),
    "2-02-10-11": _Words(
        titles=("大数据开发工程师", "数据仓库工程师", "数据分析师"),
        duties=(
            "负责离线与实时数据仓库的建设与维护",
            "参与政务数据共享平台的数据治理",
            "编写数据分析报告，支撑业务决策",
        ),
        skills=("Hadoop", "Spark", "Flink", "Hive", "SQL", "Python", "数据建模", "Kafka"),
        interests=("大数据", "数据分析", "数据仓库", "数据治理"),
        education=("bachelor", "bachelor", "master"),
        salary=(10000, 25000),
    ),
    "2-05-08-01": _Words(
        titles=("内科护士", "病房护士", "护理员（内科）"),
        duties=("负责住院患者的基础护理与用药观察", "执行医嘱，做好护理记录", "参与夜班轮值"),
        skills=("护士执业证书", "静脉输液", "基础护理", "急救技能", "护理文书"),
        interests=("护理", "医疗", "内科"),
        education=("junior-college", "bachelor"),
        salary=(5000, 9000),
    ),
    "2-06-03-00": _Words(
        titles=("会计", "成本会计", "财务专员", "出纳"),
        duties=("负责日常账务处理与凭证审核", "编制月度财务报表", "办理纳税申报与发票管理"),
        skills=("初级会计职称", "用友", "金蝶", "Excel", "纳税申报", "成本核算"),
        interests=("会计", "财务", "税务"),
        education=("junior-college", "bachelor", "bachelor"),
        salary=(4500, 9000),
    ),
    "4-01-02-02": _Words(
        titles=("电商运营专员", "直播电商运营", "网店客服主管"),
        duties=("负责天猫、京东店铺的日常运营", "策划直播带货活动并复盘数据", "管理客服团队"),
        skills=("店铺运营", "直播运营", "数据分析", "文案策划", "Photoshop"),
        interests=("电商", "直播", "运营"),
        education=("senior-middle", "junior-college", "bachelor"),
        salary=(4500, 10000),
    ),
    "4-02-06-01": _Words(
        titles=("仓库管理员", "仓储主管", "物流仓管员"),
        duties=("负责货物入库、出库与盘点", "维护仓储管理系统数据", "安排叉车与装卸作业"),
        skills=("WMS系统", "叉车证", "库存盘点", "Excel"),
        interests=("仓储", "物流"),
        education=("junior-middle", "senior-middle", "junior-college"),
        salary=(4000, 7000),
    ),
    "4-02-07-08": _Words(
        titles=("快递员", "同城配送员", "快递网点收派员"),
        duties=("负责片区快件的收取与派送", "使用手持终端完成签收录入", "维护客户关系"),
        skills=("电动车驾驶", "路线熟悉", "手持终端操作", "客户服务"),
        interests=("快递", "配送", "物流"),
        education=("junior-middle", "senior-middle"),
        salary=(5000, 9000),
    ),
    "4-03-02-01": _Words(
        titles=("中餐厨师", "川菜厨师", "火锅店厨师长"),
        duties=("负责川菜热菜的烹制", "把控出品质量与食品安全", "研发时令新菜"),
        skills=("川菜烹饪", "刀工", "食品安全", "中式烹调师证书", "成本控制"),
        interests=("烹饪", "川菜", "餐饮"),
        education=("junior-middle", "senior-middle"),
        salary=(5000, 12000),
    ),
    "4-10-01-05": _Words(
        titles=("养老护理员", "社区养老服务员", "失能老人照护员"),
        duties=("为入住老人提供生活照料", "协助康复训练并做好照护记录", "开展社区上门服务"),
        skills=("养老护理员证书", "生活照料", "康复护理", "急救常识", "沟通能力"),
        interests=("养老", "护理", "社区服务"),
        education=("junior-middle", "senior-middle", "junior-college"),
        salary=(4000, 7000),
    ),
    "6-18-02-04": _Words(
        titles=("电焊工", "氩弧焊工", "二保焊焊工"),
        duties=("按图纸完成钢结构件的焊接", "负责焊缝自检与返修", "维护保养焊接设备"),
        skills=("焊工证", "氩弧焊", "二氧化碳保护焊", "看图纸", "钢结构"),
        interests=("焊接", "制造", "钢结构"),
        education=("junior-middle", "senior-middle"),
        salary=(6000, 11000),
    ),
    "6-22-02-01": _Words(
        titles=("汽车装调工", "整车装配工", "新能源汽车装调技术员"),
        duties=("负责整车总装线的装配与调试", "执行工艺文件并记录质量数据", "参与新车型试装"),
        skills=("汽车装配", "扭矩工具", "电气调试", "质量检验", "精益生产"),
        interests=("汽车制造", "新能源汽车", "装配"),
        education=("junior-middle", "senior-middle", "junior-college"),
        salary=(5000, 9000),
    ),
    "6-31-01-03": _Words(
        titles=("电工", "维修电工", "物业电工"),
        duties=("负责厂区高低压配电设备的巡检与维修", "处理用电故障", "做好设备台账"),
        skills=("电工证", "高压电工证", "PLC", "配电维护", "电气识图"),
        interests=("电工", "设备维修", "电气"),
        education=("junior-middle", "senior-middle", "junior-college"),
        salary=(5000, 9000),
    ),
}

_EMPLOYER_WORDS: dict[City, tuple[str, ...]] = {
    "cq": (
        "渝信",
        "两江数智",
        "嘉陵云",
        "山城软件",
        "长江智造",
        "朝天门网络",
        "缙云科技",
        "巴渝数联",
    ),
    "cd": (
        "蓉联",
        "天府数科",
        "锦城智能",
        "芙蓉云",
        "青城网络",
        "熊猫互娱",
        "蜀道信息",
        "岷江软件",
    ),
}
_EMPLOYER_KINDS = ("科技有限公司", "信息技术有限公司", "软件股份有限公司", "网络科技有限公司")
_CITY_NAMES: dict[City, str] = {"cq": "重庆", "cd": "成都"}
_BENEFITS = (
    "五险一金，周末双休，带薪年假",
    "缴纳五险一金，提供员工食堂与年度体检",
    "绩效奖金，节日福利，定期技术培训",
    "弹性工作时间，交通补贴，通讯补贴",
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗高林"
_GIVEN = (
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "婷",
)

HotlinePath = Literal["closed", "reopened", "returned", "extended", "unsigned", "signed"]
#: What each path of a 12333 request ends in, in both cities' views.
HOTLINE_END: dict[HotlinePath, str] = {
    "closed": "closed",
    "reopened": "closed",
    "returned": "returned",
    "extended": "closed",
    "unsigned": "forwarded",
    "signed": "signed",
}
_SUMMARIES: dict[str, tuple[str, ...]] = {
    "consultation": (
        "来电咨询在对方城市缴纳的社保能否转回本地并连续计算缴费年限",
        "咨询川渝两地就业创业补贴能否同时申领",
        "咨询在对方城市办理失业登记需要准备哪些材料",
    ),
    "help": (
        "来电求助：在对方城市务工期间工资被拖欠三个月，请求协调处理",
        "企业求助：在对方城市设立分公司后如何办理用工备案",
    ),
    "complaint": (
        "来电投诉对方城市某人力资源服务机构收取高额中介费",
        "投诉对方城市某用人单位未依法签订劳动合同",
    ),
    "suggestion": ("建议两地人社部门统一线上办事入口", "建议增加川渝联合专场招聘会的场次"),
    "urgent": ("紧急求助：务工人员在对方城市工地受伤，需协调工伤认定",),
}
_CENTRES: dict[City, tuple[tuple[str, str], ...]] = {
    "cq": (("CQ-RC-01", "重庆市人才交流服务中心"), ("CQ-RC-02", "重庆市渝北区人才服务中心")),
    "cd": (("CD-RC-01", "成都市人才流动服务中心"), ("CD-RC-02", "成都市武侯区人才服务中心")),
}


@dataclass(frozen=True)
class PlannedPosting:
    """An employer's posting as a city's clerk enters it (``POST /postings``)."""

    key: str
    city: City
    body: Body


@dataclass(frozen=True)
class PlannedSeeker:
    """A key-group seeker registered in ``city`` (``POST /seekers``); ``intended`` is the
    occupation the seeker is after (the matches should favour it)."""

    key: str
    city: City
    body: Body
    intended: str
    #: Withdraws consent to the other city after registering.
    withdraws: bool = False


@dataclass(frozen=True)
class PlannedRequest:
    """A 12333 request taken by ``from_city``'s hotline that belongs to ``to_city``, and
    the path it takes."""

    key: str
    from_city: City
    to_city: City
    path: HotlinePath
    body: Body

    @property
    def end_state(self) -> str:
        """The state both cities should show at the end."""
        return HOTLINE_END[self.path]


@dataclass(frozen=True)
class PlannedFile:
    """A personnel file held in ``holder``, transferred to ``to_city`` (complete on arrival,
    or held as incomplete until the missing parts come)."""

    key: str
    holder: City
    to_city: City
    id_number: str
    centre: tuple[str, str]
    to_centre: tuple[str, str]
    held_since: date
    incomplete: bool
    missing_parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobsPlan:
    """The whole workload, in the order the demo enters it."""

    seed: int
    today: date
    postings: tuple[PlannedPosting, ...]
    seekers: tuple[PlannedSeeker, ...]
    fair: Body
    fair_city: City
    fair_postings: tuple[str, ...]  # posting keys of both cities
    requests: tuple[PlannedRequest, ...]
    files: tuple[PlannedFile, ...]
    certificate_holder: City = "cd"

    def postings_of(self, city: City) -> list[PlannedPosting]:
        """``city``'s postings."""
        return [p for p in self.postings if p.city == city]

    def seekers_of(self, city: City) -> list[PlannedSeeker]:
        """``city``'s seekers."""
        return [s for s in self.seekers if s.city == city]


def _pick_words(code: str) -> _Words:
    words = _WORDS.get(code)
    if words is not None:
        return words
    name = occupations()[code].name
    return _Words(
        titles=(name, f"{name}（储备）"),
        duties=(f"从事{name}相关工作", f"协助完成{name}岗位的日常任务"),
        skills=(name[:10], "团队协作", "沟通协调"),
        interests=(name[:10],),
        education=("senior-middle", "junior-college", "bachelor"),
        salary=(4000, 9000),
    )


def _posting(rng: random.Random, city: City, n: int, code: str, today: date) -> PlannedPosting:
    words = _pick_words(code)
    district = rng.choice(sorted(DISTRICT_SEATS[city]))
    district_name, lat, lon = DISTRICT_SEATS[city][district]
    title = rng.choice(words.titles)
    duties = "；".join(rng.sample(words.duties, k=min(2, len(words.duties))))
    skills = rng.sample(words.skills, k=min(len(words.skills), rng.randint(2, 5)))
    education = rng.choice(words.education)
    employer = _CITY_NAMES[city] + rng.choice(_EMPLOYER_WORDS[city]) + rng.choice(_EMPLOYER_KINDS)
    low, high = words.salary
    negotiable = rng.random() < 0.1
    floor = rng.randrange(low, (low + high) // 2, 500)
    ceiling = floor + rng.randrange(2000, max(2500, high - floor), 500)
    description = (
        f"{duties}。任职要求：熟悉{'、'.join(skills[:3])}，{_EDUCATION_WORDS[education]}及以上学历。"
        f"工作地点：{_CITY_NAMES[city]}{district_name}。{rng.choice(_BENEFITS)}。"
    )
    body: Body = {
        "employer_name": employer,
        "title": title,
        "description": description,
        "occupation_code": code,
        "education": education,
        "skills": skills,
        "salary_min_yuan": None if negotiable else floor,
        "salary_max_yuan": None if negotiable else ceiling,
        "district": district,
        "latitude": round(lat + rng.uniform(-0.01, 0.01), 5),
        "longitude": round(lon + rng.uniform(-0.01, 0.01), 5),
        "openings": rng.randint(1, 5),
        "closing_on": (today + timedelta(days=rng.randint(20, 60))).isoformat(),
    }
    return PlannedPosting(f"{city}-p{n:04d}", city, body)


_EDUCATION_WORDS = {
    "junior-middle": "初中",
    "senior-middle": "高中或中专",
    "junior-college": "大专",
    "bachelor": "本科",
    "master": "硕士",
    "doctor": "博士",
}
_EDUCATION_ORDER = tuple(_EDUCATION_WORDS)


def _seeker(rng: random.Random, city: City, n: int, codes: list[str], today: date) -> PlannedSeeker:
    intended = rng.choice(codes)
    words = _pick_words(intended)
    related = [c for c in codes if c != intended and c[:4] == intended[:4]]
    occupation_codes = [intended, *rng.sample(related, k=min(len(related), rng.randint(0, 1)))]
    # Education within what the occupation's postings ask; a college graduate (大专 and
    # up) where the occupation takes one, else a migrant worker.
    floor = min(_EDUCATION_ORDER.index(e) for e in words.education)
    top = max(_EDUCATION_ORDER.index(e) for e in words.education)
    graduate = top >= 2 and rng.random() < 0.6
    groups = ["college-graduate"] if graduate else ["migrant-worker"]
    education = _EDUCATION_ORDER[rng.randint(max(floor, 2 if graduate else floor), top)]
    desired: list[City] = rng.choice([[city], [city], [city, other_city(city)], [other_city(city)]])
    districts = [
        d for c in desired for d in rng.sample(sorted(DISTRICT_SEATS[c]), k=rng.randint(1, 3))
    ]
    home = rng.choice(sorted(DISTRICT_SEATS[city]))
    region = home
    # The birth day and sequence follow from n: no two seekers of a city share an ID number.
    born = date(
        today.year - (23 if graduate else rng.randint(25, 45)), rng.randint(1, 12), 1 + n // 500
    )
    sex: Literal["male", "female"] = "female" if n % 2 else "male"
    low, high = words.salary
    body: Body = {
        "id_number": synthesize_resident_id(region, born, n % 500, sex),
        "name": rng.choice(_SURNAMES) + rng.choice(_GIVEN),
        "phone": f"139{rng.randrange(10**8):08d}",
        "groups": groups,
        "graduation_year": (today.year if today.month >= 7 else today.year - 1)
        if graduate
        else None,
        "occupation_codes": occupation_codes,
        "skills": rng.sample(words.skills, k=min(len(words.skills), rng.randint(2, 5))),
        "interests": rng.sample(words.interests, k=min(len(words.interests), 2)),
        "education": education,
        "desired_cities": desired,
        "desired_districts": districts,
        "home_district": home,
        "salary_floor_yuan": None
        if rng.random() < 0.2
        else rng.randrange(low, high // 2 + low // 2, 500),
        "willing_to_move": rng.random() < 0.4,
        "commute_radius_km": rng.choice((5, 10, 15, 20, 30)),
        "consent_other_city": rng.random() < 0.85,
    }
    return PlannedSeeker(f"{city}-s{n:04d}", city, body, intended)


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def credit_code(region: str, organisation: str) -> str:
    """A well-formed unified social credit code (统一社会信用代码, GB 32100-2015) of an
    enterprise (``91``) registered in ``region``, for the 8 characters ``organisation``:
    the organisation code's check character (GB 11714) and the code's own. Synthetic."""
    org = organisation.upper()
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(org, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    org += "X" if check == 10 else "0" if check == 11 else str(check)
    body = f"91{region}{org}"
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_ALPHABET[(31 - total % 31) % 31]


def _request(
    rng: random.Random, n: int, from_city: City, path: HotlinePath, received: str
) -> PlannedRequest:
    category = (
        "consultation"
        if path == "unsigned"
        else rng.choice(("consultation", "help", "complaint", "suggestion"))
    )
    if path == "signed" and n % 2:
        category = "urgent"
    enterprise = rng.random() < 0.25
    body: Body = {
        "category": category,
        "caller_kind": "enterprise" if enterprise else "citizen",
        "caller_id_number": None
        if enterprise
        else synthesize_resident_id(
            "500103" if from_city == "cq" else "510104",
            date(1980 + n % 20, 1 + n % 12, 1 + n % 28),
            n % 500,
            "male",
        ),
        "caller_credit_code": credit_code("500103" if from_city == "cq" else "510104", f"MA{n:06d}")
        if enterprise
        else None,
        "caller_phone": f"137{rng.randrange(10**8):08d}",
        "summary": rng.choice(_SUMMARIES[category]),
        "received_at": received,
    }
    return PlannedRequest(f"h{n:03d}", from_city, other_city(from_city), path, body)


def jobs_plan(
    seed: int,
    *,
    now: datetime,
    postings: int = 300,
    seekers: int = 200,
    requests_per_path: int = 1,
    files: int = 2,
) -> JobsPlan:
    """The workload at ``now`` (its day in China is the plan's ``today``): ``postings`` and
    ``seekers`` split between the cities, ``requests_per_path`` 12333 requests per path and
    direction, and ``files`` personnel-file transfers per direction (the first of each
    incomplete)."""
    today = now.astimezone(CHINA).date()
    rng = random.Random(seed)
    # The occupations the plan has words for; without any, the table's own (not 1-, 7-, 8-).
    codes = sorted(set(_WORDS) & set(occupations())) or sorted(
        c for c in occupations() if c[0] not in "178"
    )
    planned_postings = tuple(
        _posting(rng, CITIES[i % 2], i // 2, codes[rng.randrange(len(codes))], today)
        for i in range(postings)
    )
    planned_seekers = [_seeker(rng, CITIES[i % 2], i // 2, codes, today) for i in range(seekers)]
    # In each city the first consenting seeker who wants the other city withdraws consent.
    for city in CITIES:
        index = next(
            i
            for i, s in enumerate(planned_seekers)
            if s.city == city and s.body["consent_other_city"]
        )
        s = planned_seekers[index]
        planned_seekers[index] = PlannedSeeker(s.key, s.city, s.body, s.intended, withdraws=True)
    paths: tuple[HotlinePath, ...] = (
        "closed",
        "reopened",
        "returned",
        "extended",
        "unsigned",
        "signed",
    )
    requests: list[PlannedRequest] = []
    for from_city in CITIES:
        for path in paths:
            for _ in range(requests_per_path):
                received = (now - timedelta(minutes=rng.randint(1, 30))).isoformat()
                requests.append(_request(rng, len(requests), from_city, path, received))
    planned_files = []
    for holder in CITIES:
        for i in range(files):
            born = date(1985 + i, 3, 8)
            region = "510104" if holder == "cd" else "500103"
            planned_files.append(
                PlannedFile(
                    key=f"{holder}-f{i}",
                    holder=holder,
                    to_city=other_city(holder),
                    id_number=synthesize_resident_id(region, born, 400 + seed % 50 + i, "female"),
                    centre=_CENTRES[holder][i % 2],
                    to_centre=_CENTRES[other_city(holder)][0],
                    held_since=date(2015 + i, 7, 1),
                    incomplete=i == 0,
                    missing_parts=("入党材料", "职称评审表") if i == 0 else (),
                )
            )
    fair_city: City = "cq"
    fair_postings = tuple(
        p.key for city in CITIES for p in [x for x in planned_postings if x.city == city][:8]
    )
    fair_start = today + timedelta(days=21)
    fair: Body = {
        "title": "川渝数字经济人才联合专场招聘会",
        "venue": "重庆国际博览中心N1馆",
        "starts_on": fair_start.isoformat(),
        "ends_on": (fair_start + timedelta(days=1)).isoformat(),
    }
    return JobsPlan(
        seed=seed,
        today=today,
        postings=planned_postings,
        seekers=tuple(planned_seekers),
        fair=fair,
        fair_city=fair_city,
        fair_postings=fair_postings,
        requests=tuple(requests),
        files=tuple(planned_files),
    )
