"""What the chat client reads: replies of the actions and channels, alerts, hand-off
messages. Templates use str.format placeholders; `{{ path | fmt }}` is filled by
Policy.render from knowledge/policy.yml. No policy figure is written here."""

from __future__ import annotations

# -- channels (bot/channels) ------------------------------------------------------------
CHAT_BUSY = "系统繁忙，请稍后再试，或联系人工客服。"
TOO_LONG = "您的消息太长了（超过{max}字），请精简后再发，或分几次发送。"
EMPTY_MESSAGE = "您好，请输入您想咨询的融资融券问题，例如：融资利率是多少？"
NOT_YOURS = "该会话属于另一位已登录的客户，无法在此继续。请重新登录，或开始新的会话。"
SESSION_EXPIRED = "会话已失效，请刷新页面后重新开始对话。"
RATE_LIMITED = "您发送消息太频繁了，请稍等片刻再试。"
# The action server did not answer (policy.yml broker.hotline and broker.agent_hours).
HANDOFF_UNAVAILABLE = (
    "抱歉，暂时无法为您转接人工客服。请直接拨打客服热线{{ broker.hotline | raw }}，"
    "人工客服服务时间为交易日{{ broker.agent_hours.start | raw }}–{{ broker.agent_hours.end | raw }}。"
)
ACTIONS_UNAVAILABLE = "系统繁忙，暂时无法查询，请稍后再试，或拨打客服热线{{ broker.hotline | raw }}。"

# -- answer feedback (the widget's 有帮助 / 没帮助) ---------------------------------------
FEEDBACK_REASONS = ("答非所问", "看不懂", "信息过时", "其他")
FEEDBACK_NOT_GIVEN = "该会话没有收到过这个回答，无法评价。"
FEEDBACK_ALREADY = "这个回答已经评价过了。"

# -- service replies (actions/service.py) --------------------------------------------------
ADVICE_REFUSAL = (
    "抱歉，按照监管要求，我不能推荐或评价具体股票、预测行情，也不能承诺任何收益。"
    "买卖哪只证券、何时融资或融券，需要您结合自身风险承受能力独立决策。"
    "我可以为您解释相关规则，例如标的证券范围、折算率、保证金比例和维持担保比例。"
)
HANDOFF_OPEN = (
    "好的，正在为您转接人工客服，请稍候，客服接入后会在这里直接回复您。您也可以拨打热线{{ broker.hotline | raw }}。"
)
HANDOFF_FAILED = "抱歉，暂时无法为您转接人工客服，请稍后再试，或直接拨打热线{{ broker.hotline | raw }}。"
# rendered by the policy first; {opening} is then replaced (str.format would undo the {{ }})
HANDOFF_CLOSED = (
    "人工客服的服务时间为交易日{{ broker.agent_hours.start | raw }}–{{ broker.agent_hours.end | raw }}，"
    "现在不在服务时间。您的请求已记录，人工客服将于{opening}起尽快回复您；"
    "我可以先为您解答两融问题。营业部柜台服务时间为{{ broker.counter_hours.start | raw }}–"
    "{{ broker.counter_hours.end | raw }}，热线{{ broker.hotline | raw }}。"
)

# -- every action (actions/common.py) ----------------------------------------------------
ACTION_BUSY = "系统繁忙，请稍后再试，或联系人工客服（热线{{ broker.hotline | raw }}）。"
PERSONAL_LOGIN_NEEDED = (
    "查询个人信息需要先登录。请在示例证券App或网上营业厅登录后，从“智能客服”进入对话，"
    "我就能为您查询授信额度、风险等级和维持担保比例。"
)
PERSONAL_LOGIN_EXPIRED = "您的登录已过期，为保护您的账户安全，请重新登录后再查询。"
PERSONAL_NOT_FOUND = "暂未查到您的客户资料，请联系人工客服核实（热线{{ broker.hotline | raw }}）。"

# -- knowledge answers (actions/knowledge.py) --------------------------------------------
OUT_OF_SCOPE = (
    "抱歉，这个问题超出了我的服务范围。我是示例证券两融助手，可以解答：开户条件与流程、风险等级、"
    "授信额度、融资利率与融券费率、担保品与折算率、维持担保比例与追保平仓、合约展期和服务时间；"
    "登录后还可查询您本人的额度、风险等级和维持担保比例。其他业务请咨询人工客服："
    "热线{{ broker.hotline | raw }}（交易日{{ broker.agent_hours.start | raw }}–{{ broker.agent_hours.end | raw }}）。"
)
CLARIFY = "您是想了解以下哪个问题？请点选，或换个说法再问我："
NEXT_TOPICS = "那您可能想问的是以下哪个问题？也可以输入“人工”联系人工客服："
NO_LOSS_GUARANTEE = "两融的盈亏取决于市场，示例证券不保证收益，也无法保证不亏损，亏损可能超过本金，请量力而行。"
NOTHING_LEFT = "抱歉没能答到您想问的。为您转接人工客服，您也可以换个说法再问我。"
LECTURES_HEAD = "近期投教讲座："
LECTURE_LINE = "· {day} {title}（{place}）"

# -- stated-figure estimates (actions/estimate.py) ---------------------------------------
# Every figure is a format argument from core/policy or the client's own numbers; each
# reply starts with ESTIMATE_LABEL and most end with the risk reminder ({reminder}).
# a request to calculate ("帮我算下利息") without the figures: the rule, then what to tell us
EST_ASK_INTEREST = "如需估算，请告诉我借款（或融券）金额和使用天数，我按上面的规则帮您算。"
EST_ASK_PENALTY = "如需估算，请告诉我逾期未还的金额和逾期天数，我按上面的规则帮您算。"
EST_ASK_LINE = "如需估算，请告诉我您的净资产和风险等级（如稳健型、平衡型），我按上面的规则帮您算。"
EST_ASK_ELIGIBILITY = "如需对照，请告诉我您的年龄、交易经验年限、近20个交易日日均资产和知识测试得分。"
EST_ASK_CAPACITY = "如需估算，请告诉我担保品的市值或现金金额，我按上面的规则帮您算能融多少。"
EST_ASK_ACCOUNT = (
    "如需估算，请告诉我现金、证券市值和负债各是多少，我按上面的规则帮您算；登录后也可以直接问我“我的维持担保比例”。"
)
EST_ASK_ACCOUNT_FALL = (
    "可以按您提供的数字估算：请告诉我账户里的现金、证券市值和负债各是多少，我帮您算出维持担保比例，"
    "以及持仓下跌多少会触及警戒线{warning}、追保线{call}和即时平仓线{liq}；登录后也可以直接按您的账户测算。"
)
EST_ASK_ACCOUNT_MOVE = (
    "想算证券市值下跌{move}%后的维持担保比例，请告诉我账户里的现金、证券市值和负债各是多少，我按规则帮您估算；"
    "登录后也可以直接问我，按您的账户测算。"
)
EST_ASK_RESTORE = (
    "要算回到{restore}需要补多少，请告诉我账户里的现金、证券市值和负债各是多少，我按规则帮您估算；"
    "登录后也可以直接问我“我要补多少才能回到{restore}”，按您的账户计算。"
)
# an interest or penalty estimate with one figure of two: the other, please
EST_NEED_DAYS = "好的，金额记下了。请问大概使用多少天？告诉我天数，我帮您估算。"
EST_NEED_DAYS_LATE = "好的，金额记下了。请问逾期多少天？告诉我天数，我帮您估算。"
EST_NEED_AMOUNT = "好的，天数记下了。请问金额是多少？告诉我金额，我帮您估算。"
# a credit-line or maintenance-ratio estimate with part of its figures ({have}: what was said)
EST_NEED_NET_ASSETS = "好的，按{have}。请问您的净资产大概是多少？告诉我金额，我帮您估算授信额度。"
EST_NEED_TIER = "好的，净资产{have}记下了。请问您的风险等级是哪一级（稳健型、平衡型、成长型或积极型）？"
EST_NAME_CASH = "现金"
EST_NAME_STOCKS = "证券市值"
EST_NAME_TOTAL = "总资产"
EST_NEED_DEBT = "好的，{have}记下了。请问负债（融资欠款和融券市值）一共是多少？告诉我金额，我帮您算维持担保比例。"
EST_NEED_ASSETS = "好的，负债{have}记下了。请问账户里的现金和证券市值各是多少？告诉我金额，我帮您算维持担保比例。"
ESTIMATE_LABEL = "按您提供的数字估算（不是您账户的实际数据，以营业部审核和交易系统为准）："
EST_LIST_SEP = "、"
EST_CLAUSE_SEP = "，"
EST_PART_SEP = "；"
EST_SENTENCE_SEP = "。"
SIDE_FINANCING = "融资"
SIDE_LENDING = "融券"
EST_COST_INTEREST = "利息"
EST_COST_FEE = "费用"
EST_RATE_INTEREST = "年利率"
EST_RATE_FEE = "年费率"
EST_INTEREST = (
    "{side}{amount}使用{days}天，{cost}约{due}（{amount} × {rate_name}{rate} ÷ {basis} × {days}天）。"
    "按规定利息按日计提，只对实际使用的金额计算，提前还款次日起停止计息。\n{reminder}"
)
EST_MONTH = "{month}月"
EST_PENALTY = (
    "未按时偿还的利息{unpaid}逾期{days}天，罚息约{due}（{unpaid} × 日{rate} × {days}天）。"
    "按规定，每季度结息（{months}的{day}日）后仍未偿还的利息，按每日{rate}收取罚息。"
    "建议尽快还清，避免罚息累积。\n{reminder}"
)
# eligibility: one check per stated figure, then the rules not checked
EST_ELIG_ASSETS = "开通两融要求前{window}个交易日日均证券类资产不低于{need}；{verdict}"
EST_ELIG_ADDED = "再转入{added}后合计{assets}"
EST_ELIG_ASSETS_MET = "{stated}达到资产门槛，资产这一条满足"
EST_ELIG_ASSETS_SHORT = "{stated}低于门槛，还差{short}，暂不满足资产条件"
EST_ELIG_ADDED_NOTE = "；新转入的资金按日均计算，要在前{window}个交易日的日均资产达标才算，临时转入不一定马上满足"
EST_ELIG_AGE = "开通两融要求年龄{min_age}至{max_age}周岁、具有完全民事行为能力；{age}岁{verdict}"
EST_ELIG_AGE_MET = "符合年龄要求"
EST_ELIG_AGE_OUT = "不在这个范围内，按规定不能开通"
EST_ELIG_EXPERIENCE = "开通两融要求证券交易经验满{min_months}个月；您的交易经验{months}个月{verdict}"
EST_ELIG_EXPERIENCE_MET = "，这一条满足"
EST_ELIG_EXPERIENCE_SHORT = "，还差{short}个月，暂不满足"
EST_ELIG_TEST = "两融知识测试{pass_mark}分及格；{score}分{verdict}"
EST_ELIG_TEST_MET = "已达到及格线"
EST_ELIG_TEST_FAILED = "未达到及格线，需要重新测试并达到及格分"
EST_ELIG_OTHER_ASSETS = "前{window}个交易日日均证券类资产不低于{need}"
EST_ELIG_OTHER_EXPERIENCE = "交易经验满{min_months}个月"
EST_ELIG_OTHER_TIER = "风险等级不是保守型"
EST_ELIG_OTHER_AGE = "年龄{min_age}至{max_age}岁"
EST_ELIG = "{checks}。此外还需{rest}等条件。登录后我可以按您的实际资料逐条核对。\n{reminder}"
# credit line by tier: {multiple} and {cap} from policy.yml risk_tiers
EST_LINE_MAY_NOT_OPEN = "按规定，{name}（{code}）客户不能开通融资融券，因此没有授信额度。\n{reminder}"
EST_LINE = (
    "按授信策略，{name}（{code}）客户授信上限为净资产×{multiple}倍、最高{cap}；"
    "净资产{assets}，估算授信额度最高约{line}{capped}。实际额度以审批为准。\n{reminder}"
)
EST_LINE_CAPPED = "（已到该等级的绝对上限）"
# what is left of a stated line after what the client says is used
EST_LINE_LEFT = (
    "授信额度{line}，已用{used}，剩余可用额度约{left}（可用额度 = 授信额度 − 已用融资 − 已用融券）。"
    "实际可用额度以交易系统为准，新的融资还受维持担保比例等条件约束。\n{reminder}"
)
# financing capacity: the collateral's names (rendered by the policy) and the reply
HAIRCUT_CASH = "现金"
HAIRCUT_GOVERNMENT_BOND = "国债"
HAIRCUT_ETF = "ETF"
HAIRCUT_CSI300 = "{{ margin.haircut_index_name | raw }}成分股"
HAIRCUT_ST_OR_BAD_PE = "ST股或市盈率为负/高于{{ margin.bad_pe_above | raw }}倍的股票"
HAIRCUT_OTHER_STOCK = "其他股票"
EST_CAP_MINIMUM = "注意：保证金比例不得低于{minimum}，按{minimum}计算。"
EST_CAP_CASH_BASIS = "以{collateral}现金作保证金（现金折算率{rate}）"
EST_CAP_CASH_FORMULA = "保证金 ÷ 保证金比例"
EST_CAP_CASH_TAIL = "用股票作担保时先按折算率打折，"
EST_CAP_UP_TO = "最高"
EST_CAP_BASIS = "以市值{collateral}的{name}作担保（折算率{up_to}{rate}，折算后保证金{value}）"
EST_CAP_FORMULA = "市值 × 折算率 ÷ 保证金比例"
EST_CAP_TAIL = "单只证券的实际折算率以示例证券公布为准，"
EST_CAP_PART = "市值{collateral}的{name}（折算率{up_to}{rate}，折算后{value}）"
EST_CAP_PART_CASH = "{collateral}现金（折算率{rate}）"
EST_CAP_PARTS_BASIS = "以{parts}作担保（折算后保证金合计{value}）"
EST_CAP_PARTS_FORMULA = "各项市值 × 折算率之和 ÷ 保证金比例"
EST_CAPACITY = (
    "{note}{basis}，按保证金比例{used}，最多可融资买入约{amount}（{formula}）；"
    "{tail}同时不能超过您的可用授信额度。\n{reminder}"
)
# the maintenance ratio from stated figures: zones; {liq} {call} {warning} {withdraw}
# {restore} {days} are the policy's lines and deadline
EST_ZONE_LIQUIDATION = "已低于即时平仓线{liq}，可能被立即强制平仓"
EST_ZONE_CALL = "已低于追保线{call}，需在T+{days}日收盘前补足到{restore}以上"
EST_ZONE_WARNING = "已低于警戒线{warning}，请关注风险"
EST_ZONE_SAFE = "处于正常区间"
EST_ZONE_WITHDRAWABLE = "高于提取线{withdraw}"
EST_ACCOUNT_NO_DEBT = "没有负债时不计算维持担保比例，也不会追保。"
EST_ACCOUNT_PARTS = "（现金{cash} + 证券市值{stocks}）"
EST_ACCOUNT_TOTAL = "总资产{total}"
EST_ACCOUNT_RATIO = (
    "维持担保比例 = {assets} ÷ 负债{debt} = {ratio}，{zone}"
    "（警戒线{warning}、追保线{call}、即时平仓线{liq}、提取线{withdraw}）"
)
# a ratio the client states ("比例掉到120%了怎么办"): where it stands against the lines
EST_STATED_RATIO = (
    "维持担保比例{ratio}：{zone}（警戒线{warning}、追保线{call}、即时平仓线{liq}、提取线{withdraw}）。"
    "登录后问我“我的维持担保比例”，可查看您账户的实际数值。\n{reminder}"
)
EST_ACCOUNT_MOVE = "若证券市值下跌{move}%，比例变为{ratio}，{zone}"
EST_ASK_FALL = "想看具体跌幅下的比例，请告诉我按下跌多少测算（例如“跌{fall}”）"
EST_FALL_TO = "证券市值下跌约{fall}%触及{name}{line}"
EST_BELOW_LINE = "已在{name}{line}以下"
EST_FALL_ALL_STOCKS = "（按总资产全部为证券、负债不变计算）"
EST_FALL_DEBT_SAME = "（负债不变）"
EST_FALLS = "{falls}{note}。T日收盘低于追保线{call}即触发追保"
EST_TAKE = "取出{take}后比例为{ratio}（{left} ÷ {debt}），{verdict}；最多可提取约{most}"
EST_TAKE_OK = "不低于提取线{withdraw}，可以提取"
EST_TAKE_TOO_MUCH = "低于提取线{withdraw}，不能这样提取"
EST_NO_WITHDRAWAL = "比例未高于提取线{withdraw}，暂不能提取现金或证券"
EST_MOST = "按提取线{withdraw}，最多可提取现金或证券约{most}（{total} − {withdraw} × {debt}）"
EST_AFTER = "取完以后比例为{ratio}（{left} ÷ {debt}），正好在提取线上"
EST_RESTORE = (
    "要回到{restore}，约需追加现金{cash}（{restore} × {debt} − {assets}），"
    "或用账户外的资金直接还款约{repay}（{debt} − {assets} ÷ {restore}）"
)
EST_RESTORE_SALE = "或卖券还款约{sale}（卖出证券、所得偿还融资：（资产 − 卖出额）÷（负债 − 卖出额）= {restore}）"
EST_RESTORE_ALREADY = "比例已在{restore}以上，不需要追加担保品"
EST_ACCOUNT = "{parts}。按规定，维持担保比例 =（现金 + 证券市值）÷（融资负债 + 融券市值 + 应付利息费用）。\n{reminder}"

# -- personal lookups: shared ------------------------------------------------------------
DATA_AS_OF = "（数据截至{at}，以交易系统为准）"
LINE_CUT = "下调"
LINE_CHANGED = "调整"
NEW_FINANCING_HOLDING = "新融资买入"  # the securities a what-if financing buy adds

# -- credit line (actions/quota.py) ------------------------------------------------------
QUOTA_NO_ACCOUNT = "您目前还没有开通信用账户，因此没有两融授信额度。想了解能否开通，可以问我“我能开两融吗”。"
QUOTA_LINE = "您的授信额度为{line}{approved_by}；"
QUOTA_APPROVED_BY = "（{name}）"
QUOTA_USED = "已用：融资{financing}，融券{short}；"
QUOTA_AVAILABLE = "可用额度：{available}。"
QUOTA_CHANGE = "{reason}，您的额度于{at}由{old}{verb}至{new}。"
QUOTA_NOTE = "注意：{blocks}。"

# -- why new financing is blocked (services/restrictions.py) -----------------------------
BLOCK_OPEN_CALL = "您有未了结的追保通知（截止{deadline}），期间暂停新的融资买入和融券卖出"
BLOCK_ASSESSMENT_EXPIRED = "您的风险测评已于{day}过期，重新测评前不能新增融资买入"

# -- risk tier (actions/risk_tier.py) ----------------------------------------------------
RETAKE_ASSESSMENT = "您可以在示例证券App“我的—风险测评”重新完成测评，或携身份证到营业部柜台办理。"
TIER_NONE = "暂未查到您的风险测评记录。"
TIER = "您的风险等级为{name}（{code}），测评日期{assessed}，有效期{months}个月，到期日{expiry}。"
TIER_EXPIRED = "您的测评已过期。过期后不能新增融资买入，需重新测评后才能恢复。{retake}"
TIER_EXPIRING = "您的测评将在{days}天内到期，建议提前重新测评。{retake}"
TIER_MAY_NOT_OPEN = "按规定，{name}客户不能开通融资融券。"
TIER_LINE_POLICY = "按授信策略，{name}客户的授信上限为净资产×{multiple}倍，最高{cap}。"

# -- eligibility (actions/eligibility.py): rule names, details, heads --------------------
RULE_ASSETS = "资产"
RULE_EXPERIENCE = "交易经验"
RULE_RECORD = "合规记录"
RULE_TIER = "风险等级"
RULE_AGE = "年龄"
RULE_RELATED_PARTY = "关联关系"
RULE_CREDIT_ACCOUNT = "信用账户"
ELIG_ASSETS = "前{days}个交易日日均证券类资产{assets}，要求不低于{minimum}"
ELIG_ASSETS_SHORT = "，还差{short}"
ELIG_EXPERIENCE = "证券交易经验约{months}个月，要求满{required}个月"
ELIG_RECORD_CLEAN = "最近{years}年无重大违法违规记录"
ELIG_RECORD_VIOLATION = "最近{years}年有重大违法违规记录"
ELIG_NO_ASSESSMENT = "暂无风险测评记录，请先完成测评"
ELIG_TIER = "风险等级{name}（{code}）"
ELIG_TIER_EXCLUDED = "，该等级不能开通两融"
ELIG_TIER_EXPIRED = "，但测评已过期，需重新测评"
ELIG_AGE = "年龄{age}岁，要求{min_age}至{max_age}岁"
ELIG_NOT_RELATED = "非示例证券股东或关联人"
ELIG_RELATED = "为示例证券股东或关联人，不能开通"
ELIG_ACCOUNT_HERE = "已在示例证券开通信用账户，无需重复开户"
ELIG_ACCOUNT_ELSEWHERE = "已在其他券商开有信用账户（每人限一个）"
ELIG_NO_OTHER_ACCOUNT = "未持有其他信用账户"
ELIG_HEAD_HAS_ACCOUNT = "您已经开通了示例证券的信用账户，可直接使用两融业务。逐条核对如下："
ELIG_HEAD_ELIGIBLE = "根据您的资料，您符合开通融资融券的各项条件，可在App通过视频见证或到营业部办理。逐条核对如下："
ELIG_HEAD_NOT_ELIGIBLE = "根据您的资料，您暂不符合以下开通条件（✗），逐条核对如下："
ELIG_RULE_LINE = "{mark} {rule}：{detail}"
ELIG_PASSED = "✓"
ELIG_FAILED = "✗"
ELIG_AS_OF = "（资料截至{day}，最终以营业部审核为准）"

# -- maintenance ratio (actions/margin_status.py) ----------------------------------------
MARGIN_NO_ACCOUNT = "您目前没有信用账户，因此没有维持担保比例。"
MARGIN_NO_DEBT = "您的信用账户目前没有融资或融券负债，维持担保比例不适用，也不会触发追保。"
LINE_WARNING = "警戒线"
LINE_CALL = "追保线"
LINE_LIQUIDATION = "即时平仓线"
LINE_WITHDRAWAL = "提取线"
# zone texts: {withdraw} {warning} {call} {liq} are the policy's lines
ZONE_WITHDRAWABLE = "高于提取线，可以提取部分资金或证券（提取后仍需不低于{withdraw}）。"
ZONE_SAFE = "处于正常区间（未高于提取线{withdraw}，暂不能提取资金或证券）。"
ZONE_WARNING = "已低于警戒线{warning}，请关注风险，考虑追加担保物或减少负债。"
ZONE_CALL = "已低于追保线{call}。"
ZONE_LIQUIDATION = "已低于即时平仓线{liq}，示例证券可能随时强制平仓。"
MARGIN_RATIO = "您当前的维持担保比例为{ratio}（资产{assets} ÷ 负债{debt}{parts}），"
MARGIN_DEBT_PARTS = "：{parts}"  # the debt's parts, when it has more than one
MARGIN_DEBT_FINANCING = "融资负债{amount}"
MARGIN_DEBT_SHORT = "融券卖出证券市值{amount}"
MARGIN_DEBT_ACCRUED = "应付利息及费用{amount}"
MARGIN_FALLS = "按当前持仓估算，持仓市值{parts}。"
MARGIN_FALL = "下跌约{pct}%（约{amount}）到{name}{line}"
MARGIN_ABOVE = "高于"
MARGIN_BELOW = "低于"
MARGIN_DISTANCE = "{name}{line}：{where}{points}"
MARGIN_DISTANCES = "距各条线：{parts}。"
MARGIN_OPEN_CALL = (
    "您有一笔追保通知：{since}收盘比例低于{call}，"
    "须在{deadline}（收盘）前将比例恢复到{restore}以上；"
    "按当前数据需追加现金约{cash}，或直接还款约"
    "{repay}。逾期未补足，将从下一交易日起被强制平仓；"
    "追保期间暂停新的融资买入和融券卖出。"
)
MARGIN_RESTORE = "恢复到{restore}约需追加现金{cash}。"
MARGIN_WITHDRAWABLE = "按当前数据，最多可提取现金约{cash}。"

# -- buttons and chips: what the client taps (a chip's text is sent as the message) -------
FOLLOW_UP_ADD_COLLATERAL = "追加担保物"
FOLLOW_UP_REPAY = "还款"
FOLLOW_UP_HUMAN = "联系人工"
ASK_HOW_MUCH = "我要补多少钱"
ASK_HOW_TO_ADD = "怎么追加担保物"
ASK_RATIO = "我的维持担保比例多少"
ASK_AVAILABLE = "我还能融多少"
ASK_WHY_CUT = "为什么下调额度"

# -- proactive alerts (services/alerts.py; also sent by SMS / app push) -------------------
ALERT_MARGIN_CALL = (
    "【追保通知】您的信用账户维持担保比例为{ratio}，已低于追保线"
    "{call}。请在{deadline}（收盘）前将比例恢复到"
    "{restore}以上{cash}，否则将被强制平仓。追保期间暂停新的融资买入和融券卖出。\n{reminder}"
)
ALERT_MARGIN_CALL_CASH = "，按当前数据约需追加现金{cash}"
ALERT_LINE_CHANGE = "【额度变动】{reason}，您的授信额度已于{at}由{old}{verb}至{new}。可问我“我还能融多少”查看可用额度。"
ALERT_WARNING = (
    "【风险预警】您的维持担保比例已降至{ratio}，低于警戒线{warning}{below_call}。"
    "恢复到{restore}约需追加现金{cash}。\n{reminder}"
)
ALERT_WARNING_BELOW_CALL = "，并已低于追保线，若收盘仍低于追保线将触发追保"
# a market-wide cut's reason, as the client reads it: {index} and {fall} from policy.yml quota
MARKET_CUT_REASON = "因市场波动（{index}单日下跌超过{fall}）"

# -- a person in the conversation (services/handoff.py) ----------------------------------
HUMAN_AGENT = "人工客服"  # the role the widget shows, and the name when none is known
AGENT_JOINED = "{name}已接入，正在为您服务。"
AGENT_TRANSFERRED = "已为您转接给{name}，请稍候。"
AGENT_LEFT = "{name}已结束本次服务。"
BOT_BACK = "人工客服已结束本次服务，接下来由智能助手继续为您解答。如需人工帮助，随时输入“人工”。"
RATING_SATISFIED = "满意"
RATING_NEUTRAL = "一般"
RATING_UNSATISFIED = "不满意"
RATING_INVALID = "请选择 1–5 分，或 满意 / 一般 / 不满意。"
RATING_NO_HANDOFF = "没有这次人工服务记录。"
RATING_NOT_CLOSED = "人工服务结束后才能评价。"
RATING_ALREADY = "您已经评价过本次服务，谢谢！"
LEAVE_MESSAGE_EMPTY = "请填写留言内容。"
LEAVE_MESSAGE_TOO_LONG = "留言不能超过{max}字。"

# -- what-if simulations (actions/simulate.py) -------------------------------------------
# example figures ({fall}, {amount} …) are format arguments; {line}s come from policy.yml
SIM_ASK = "请告诉我要测算的情形，例如“如果持仓下跌{fall}会怎样”或“再融资{amount}后维持担保比例是多少”。"
SIM_WAN = "{count}万"
SIM_YI = "{count}亿元"
SIM_RANGE_CHANGE = "涨跌幅需在0到{most}之间（跌幅）"
SIM_RANGE_SELL = "卖出比例需在0到{most}之间"
SIM_RANGE_AMOUNT = "金额需大于0且不超过{most}"
SIM_RANGE_TARGET = "目标比例需高于{least}，例如“回到{example}”"
SIM_NEEDS_FIGURE = "这个情形需要一个具体的幅度或金额，例如“跌{fall}”或“{amount}”"
SIM_NEEDS_AMOUNT = "这个情形需要一个金额，例如“{amount}”"
SIM_BAD_NUMBER = "没有读懂这个数字"
SIM_LABEL = "以上为按当前价格的简化测算，不构成投资建议。"
SIM_ZONE_NO_DEBT = "没有负债，不涉及维持担保比例"
SIM_ZONE_WITHDRAWABLE = "高于提取线{withdraw}"
SIM_ZONE_SAFE = "处于正常区间"
SIM_ZONE_WARNING = "低于警戒线{warning}，会收到预警通知"
SIM_ZONE_CALL = "低于追保线{call}，将触发追保"
SIM_ZONE_LIQUIDATION = "低于即时平仓线{liq}，可能被立即强制平仓"
SIM_KIND_FALL = "持仓市值下跌"
SIM_LEVEL_FALL = "资产总值跌到{level}（{change}，负债不变）"
SIM_LEVEL_RISE = "资产总值涨到{level}（{change}，负债不变）"
SIM_HOLDINGS_FALL = "持仓市值跌到{level}（{change}，现金和负债不变）"
SIM_HOLDINGS_RISE = "持仓市值涨到{level}（{change}，现金和负债不变）"
SIM_KIND_RISE = "持仓市值上涨"
SIM_KIND_FINANCE = "再融资买入"
SIM_KIND_CASH = "追加现金"
SIM_KIND_COLLATERAL = "转入担保证券"
SIM_KIND_REPAY = "用信用账户内的现金直接还款"
SIM_KIND_REPAY_NEW = "从账户外转入资金直接还款"
SIM_KIND_WITHDRAW = "提取现金"
SIM_KIND_SELL_REPAY = "卖出持仓并用所得偿还融资"
SIM_KIND_GOAL_SELL = "卖券还款"
SIM_COLLATERAL_HOLDING = "转入担保证券"  # the securities a what-if transfer adds
SIM_DESCRIBE = "{ratio}，{zone}"
SIM_CLAUSE_SEP = "，"
SIM_LIST_SEP = "、"
SIM_PART_SEP = "；"
SIM_AGAINST_LINE = "{name}{line}{where}"
SIM_AGAINST = "对照各条线：{parts}。"
SIM_SELL_ALL = "全部持仓"
SIM_SELL_SHARE = "{pct}%的持仓"
SIM_SELL_HOLDINGS = "持仓"
SIM_SELL_REPAY = "卖出{share}（约{amount}）并用所得偿还融资负债"
SIM_ALL_FINANCE = "（用完可用额度）"
SIM_ALL_WITHDRAW = "（取出全部现金）"
SIM_ALL_REPAY = "（还清融资负债）"
SIM_GOAL_MOVE = "{move}使比例回到{target}%"
SIM_CALL_FIRST = (
    "请先注意：您目前有一笔未了结的追保通知，维持担保比例{ratio}已低于追保线{call}，"
    "须在{deadline}前恢复到{restore}以上；期间暂停新的融资买入和融券卖出。"
)
SIM_NO_DEBT = "您的信用账户目前没有负债，不涉及维持担保比例。"
SIM_GOAL_MET = "您当前的维持担保比例{ratio}，已不低于{goal}，无需追加担保物或还款。"
SIM_WAY_CASH = "追加现金"
SIM_WAY_REPAY = "直接还款（用账户外的资金）"
SIM_WAY_SELL = "卖券还款（卖出持仓、所得偿还融资）"
SIM_GOAL_SALE_SHORT = "按当前数据，仅靠卖券还款无法使维持担保比例达到{goal}。"
SIM_GOAL_NEED = "按当前持仓测算，要使维持担保比例由{ratio}回到{goal}，需{name}约{amount}。"
SIM_GOAL_NEED_AFTER = "按刚才的测算（{move}），维持担保比例将为{ratio}；要回到{goal}，需{name}约{amount}。"
SIM_GOAL_MET_AFTER = "按刚才的测算（{move}），维持担保比例将为{ratio}，仍不低于{goal}，无需追加担保物或还款。"
SIM_GOAL_OTHER = "{name}约{amount}"
SIM_GOAL_OR = "，或"
SIM_GOAL_OTHERS = "也可以改为：{others}。"
SIM_GOAL_REPAY_OVER_DEBT = "注意：您的融资负债为{debt}，还款不能超过负债，需同时追加担保物。"
SIM_PROBLEM = "抱歉，{problem}。"
SIM_FALL_OVER_HOLDINGS = "您的持仓市值约{value}，下跌的金额不能超过持仓市值，可以告诉我下跌的比例或较小的金额"
SIM_IF = "按当前持仓测算，若{move}："
SIM_RATIO_CHANGE = "维持担保比例由{before}，变为{after}。"
SIM_FALL_TO_CALL = "在此基础上，持仓市值再下跌约{fall}%将触及追保线{call}。"
SIM_QUOTA_SHORT = "注意：您的可用额度为{available}，不足以再融资{amount}。"
SIM_NOTE = "注意：{blocks}。"
SIM_WITHDRAW_OVER = "注意：提取后比例须不低于提取线{line}，按当前数据最多可提取约{most}，{amount}不能全部取出。"
SIM_WITHDRAW_OK = "按当前数据最多可提取约{most}（提取后比例须不低于提取线{line}），这笔提取在范围内。"
SIM_REPAY_OVER_DEBT = "注意：您的融资负债为{debt}，超出部分不减少负债。"
FOLLOW_WHY_LINE = (
    "您的授信额度按风险等级对应的授信策略核定：额度上限 = 净资产 × 等级倍数，且不超过该等级的绝对上限。"
    "您的风险等级为{name}（{code}），倍数{multiple}倍、上限{cap}；市场大幅波动时额度最多可下调{cut}。"
    "具体额度以示例证券审批为准。\n{reminder}"
)
FOLLOW_WHY_LINE_NO_TIER = "您的授信额度按风险等级对应的授信策略核定，目前查不到您的风险测评记录，请先完成风险测评。"
SIM_ASK_FIGURE = (
    "好的，帮您测算。请告诉我变动的幅度或金额，例如“跌{fall}”“15个点”“一半”，或“再融资{finance}”“追加现金{cash}”"
    "“还款{small}”“取出{small}”；说“算了”可退出测算。"
)
_SIM_ASK_END = "说“算了”可退出测算。"
# the figure asked for, by the move the client named ({fall} … are filled with example figures)
SIM_ASK_FALL = "好的，帮您测算。请问按持仓下跌多少算？例如“跌{fall}”“15个点”“一半”；" + _SIM_ASK_END
SIM_ASK_RISE = "好的，帮您测算。请问按持仓上涨多少算？例如“涨{rise}”“20个点”；" + _SIM_ASK_END
SIM_ASK_FINANCE = "好的，帮您测算。请问打算再融资多少？例如“再融资{finance}”“额度全用完”；" + _SIM_ASK_END
SIM_ASK_CASH = "好的，帮您测算。请问打算转入多少现金？例如“{cash}”；" + _SIM_ASK_END
SIM_ASK_COLLATERAL = "好的，帮您测算。请问打算转入多少市值的证券作担保？例如“{finance}”；" + _SIM_ASK_END
SIM_ASK_REPAY = "好的，帮您测算。请问打算还款多少？例如“还款{small}”；" + _SIM_ASK_END
SIM_ASK_REPAY_NEW = "好的，帮您测算。请问打算从账户外转入多少来还款？例如“{finance}”；" + _SIM_ASK_END
SIM_ASK_WITHDRAW = "好的，帮您测算。请问打算取出多少？例如“取出{small}”；" + _SIM_ASK_END
SIM_ASK_SELL_REPAY = "好的，帮您测算。请问打算卖出多少持仓来还款？例如“卖一半”“卖{sell}”；" + _SIM_ASK_END
SIM_ASK_WITHDRAW_MOST = "按当前数据，最多可提取约{most}（提取后比例须不低于提取线{line}）。"
SIM_LEFT = "好的，已退出测算。还有其他融资融券问题可以继续问我。"
SIM_NO_ACCOUNT = "您目前没有信用账户，无法测算维持担保比例。"
SIM_STEP_FINANCE = "再融资买入{amount}"
SIM_STEP_MOVE = "持仓市值{direction}{pct}%"
SIM_UP = "上涨"
SIM_DOWN = "下跌"

# -- personal follow-ups (actions/followup.py) -------------------------------------------
FOLLOW_NO_CREDIT_ACCOUNT = "您目前没有信用账户，因此没有维持担保比例和可提取的担保资产。"
FOLLOW_NOT_UNDERSTOOD = "请告诉我您想了解的情形，例如“我还能融资吗”“最多能取多少”或“再跌{fall}会怎样”。"
FOLLOW_CALL_OPEN = (
    "目前不能。您有一笔未了结的追保通知（截止{deadline}），"
    "追保期间暂停新的融资买入和融券卖出；需先将维持担保比例从{ratio}恢复到{restore}以上："
    "按当前数据需追加现金约{cash}，或直接还款约{repay}。"
)
FOLLOW_NO_ASSESSMENT = "暂未查到您的风险测评记录，完成风险测评后才能新增融资买入。"
FOLLOW_EXPIRED = "您的风险测评已于{expiry}过期，重新测评前不能新增融资买入；请先重新完成风险测评。{retake}"
FOLLOW_NOT_NOW = "目前不能。"
FOLLOW_AFTER_RESTORE = "恢复后，可用额度按当前数据为{available}。"
FOLLOW_QUOTA_USED = "您的可用额度目前为{available}，授信额度{line}已用完，暂不能新增融资。"
FOLLOW_CAN_FINANCE = (
    "可以。您的可用额度为{available}（授信额度{line}，"
    "已用融资{financing}、融券{short}），可用于融资买入或融券卖出，"
    "保证金比例不低于{margin}。"
)
FOLLOW_ALL_USED = "按当前价格测算，若全部用于融资买入，维持担保比例约为{ratio}。"
FOLLOW_FALL_TO = (
    "按您当前的数据，维持担保比例{ratio}；持仓市值下跌约{fall}%（约{amount}，降到约{left}）时，比例将降到{line}。"
)
FOLLOW_FALL_TO_BELOW = "按您当前的数据，维持担保比例{ratio}，已不高于{line}。"
FOLLOW_FALL_TO_NO_DEBT = "您的信用账户目前没有负债或持仓，维持担保比例不受持仓涨跌影响。"
FOLLOW_AFTER_MOVE = "按刚才的测算，若{move}："
FOLLOW_NO_DEBT_WITHDRAW = "您的信用账户目前没有负债，不受提取线限制，可提取现金约{most}。"
FOLLOW_BASIS_NOW = "按您当前的数据，"
FOLLOW_BASIS_AFTER = "测算后，"
FOLLOW_CANNOT_WITHDRAW = (
    "{basis}维持担保比例{ratio}，未高于提取线{line}，"
    "暂不能提取现金或证券；比例高于{line}时，超出部分才可提取（提取后比例须不低于{line}）。"
)
FOLLOW_INTEREST_AVAILABLE = (
    "按您当前的可用额度{available}全部用于融资、使用{days}天估算，利息约{due}"
    "（{available} × 年利率{rate} ÷ {basis} × {days}天）；利息只按实际使用的金额和天数计算。"
)
OWN_CALL_NOTE = (
    "您目前有一笔未了结的追保通知：当前维持担保比例{ratio}，低于追保线{call}，"
    "须在{deadline}前将比例恢复到{restore}以上。"
)
# the opening rules as if the client were re-assessed with another tier
RETIER_EXCLUDED = "按规定，{name}（{code}）客户不能开通融资融券。"
RETIER_STILL_SHORT = "若重新测评为{name}（{code}），风险等级这一条满足，但仍有以下条件未满足："
RETIER_ANY_STILL_SHORT = "重新测评后，若等级不是{excluded}，风险等级这一条可以满足，但仍有以下条件未满足："
RETIER_ANY_ELIGIBLE = "重新测评后，若等级不是{excluded}，按您目前的资料，其余开通条件均已满足。"
RETIER_ELIGIBLE = "若重新测评为{name}（{code}），按您目前的资料，其余开通条件均已满足。"
RETIER_RULE = "· {rule}：{detail}"
RETIER_NOTE = "风险测评须如实作答，等级以测评结果为准，不能为开通两融而选择等级。"
FOLLOW_INTEREST_DEBT = (
    "按您当前的融资负债{available}再使用{days}天估算，利息约{due}"
    "（{available} × 年利率{rate} ÷ {basis} × {days}天）；提前还款次日起停止计息。"
)
FOLLOW_TIER_LINE = "按您账户当前的净资产{net}测算（假设风险等级变为所问等级，需重新测评确认）："
FOLLOW_INTEREST_TOTAL = "两项合计约{due}（{days}天）。"
FOLLOW_INTEREST_SHORT = (
    "按您当前的融券负债{available}再使用{days}天估算，融券费用约{due}"
    "（{available} × 年费率{rate} ÷ {basis} × {days}天）；实际按每日融券市值计算，提前还券次日起停止计费。"
)
FOLLOW_INTEREST_MOVE = (
    "按刚才测算的融资{available}、使用{days}天估算，利息约{due}"
    "（{available} × 年利率{rate} ÷ {basis} × {days}天）；利息只按实际使用的金额和天数计算。"
)
FOLLOW_INTEREST_SAVED = (
    "按刚才测算的还款{available}估算，{days}天可少付利息约{due}"
    "（{available} × 年利率{rate} ÷ {basis} × {days}天）；提前还款次日起停止计息。"
)
FOLLOW_LINE_CUT = (
    "按规定，{index}单日下跌超过{fall}等市场剧烈波动时，授信额度最多可下调{cut}："
    "您的授信额度{line}最多下调至约{after}；按已用额度{used}计，届时可用额度约{left}。实际调整以公司通知为准。"
)
FOLLOW_IF_NOT_CALL = (
    "如果在{deadline}前未能把维持担保比例恢复到{restore}以上，示例证券将从下一个交易日起对您的账户强制平仓；"
    "比例一旦低于{liq}，可能立即强制平仓。平仓后仍不足以清偿的部分，您仍需偿还。"
)
FOLLOW_IF_NOT = (
    "维持担保比例收盘低于{call}时需追保，须在T+{days}日收盘前恢复到{restore}以上；逾期未恢复将被强制平仓，"
    "比例低于{liq}时可能立即强制平仓。"
)
FOLLOW_CALL_STILL_OPEN = "您目前还有一笔未了结的追保通知，须在{deadline}前将比例恢复到{restore}以上。"
FOLLOW_CAN_WITHDRAW = (
    "{basis}维持担保比例{ratio}，高于提取线{line}，最多可提取现金约{most}（提取后比例须不低于{line}）。"
)
FOLLOW_AS_OF = "（数据截至{at}，以交易系统为准）"
FOLLOW_NO_ASSESSMENT_RECORD = "暂未查到您的风险测评记录。"
FOLLOW_ASSESSMENT = "您的风险测评结果为{name}（{code}），测评日期{on}，有效期{months}个月，到期日{expiry}。"
FOLLOW_ASSESSMENT_EXPIRED = "您的测评已于{expiry}过期：过期后不能新增融资买入，需重新测评后才能恢复。{retake}"
FOLLOW_ASSESSMENT_VALID = "到期后需重新测评；测评过期期间不能新增融资买入。{retake}"
FOLLOW_VIP = (
    "有。您是示例证券的高净值客户，配有专属服务经理：{manager}。"
    "按规定，净资产达到{threshold}的客户配有专属VIP服务经理，"
    "并可申请超过等级上限的授信额度（个案审批）。"
)
FOLLOW_NO_VIP = (
    "您目前没有专属服务经理。按规定，净资产达到{threshold}的高净值客户配有专属VIP服务经理，"
    "并可申请超过等级上限的授信额度（个案审批）。需要帮助可以随时问我，"
    "或输入“人工”联系人工客服。"
)
FOLLOW_CONFIRM_NO_DEBT = "按测算，您的信用账户没有负债，不涉及维持担保比例。"
FOLLOW_YES = "是的，"
FOLLOW_NO = "不是，"
FOLLOW_CONFIRM_BASIS_SIM = "按刚才的测算（{move}）"
FOLLOW_CONFIRM_BASIS_NOW = "按您当前的数据"
FOLLOW_CONFIRM = "{verdict}{basis}，维持担保比例为{ratio}，{side}{line}。"
