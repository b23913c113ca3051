"""What staff read from the server: staff login, the agents' console (hand-offs, notes,
canned replies), hand-off reasons, and the compliance team's records reports.
(The console's own labels are in web/static/strings.js, LR.T.agent.)"""

from __future__ import annotations

# -- staff login and page access (services/staff.py, web/*_api.py) -----------------------
LOGIN_LOCKED = "登录失败次数过多，账号已临时锁定，请{minutes}分钟后再试或联系管理员。"
LOGIN_IP_BLOCKED = "登录失败次数过多，请稍后再试。"
LOGIN_WRONG = "用户名或密码错误。"
LOGIN_NEEDED = "请先登录。"
LOGIN_EDITOR = "请先登录（投教/合规人员账号）。"
LOGIN_AGENT = "请先用客服账号登录。"
LOGIN_COMPLIANCE = "请先用合规部账号登录。"
NO_PERMISSION = "该账号没有此页面的权限。"

# -- why a conversation came to a person (shown in the inbox; stored with the hand-off) ---
HANDOFF_REASON_REQUESTED = "客户要求人工服务"
HANDOFF_REASON_LIQUIDATION = "追保期间询问强制平仓"
HANDOFF_REASON_MESSAGE = "客户留言"
HANDOFF_REASON_UNANSWERED = "连续两次未能回答"  # the second knowledge turn in a row without an answer
HANDOFF_REASON_DENIED = "客户否认了给出的答案"  # the client said no to every topic offered
MESSAGE_MARK = "【留言】"  # before a message left outside service hours, in the transcript

# -- inbox labels --------------------------------------------------------------------
STATE_QUEUED = "待接入"
STATE_HELD = "接待中"
STATE_CLOSED = "已结束"
PRIORITY_URGENT = "追保/平仓"
PRIORITY_VIP = "VIP"
PRIORITY_VERIFIED = "已登录"
PRIORITY_ANONYMOUS = "未登录"

# -- hand-off workflow (services/handoff.py) ---------------------------------------------
HANDOFF_NOT_FOUND = "没有这个转人工记录。"
HANDOFF_ENDED = "该会话已结束。"
HANDOFF_TAKEN = "该会话已由 {name} 接待。"
OTHER_AGENT = "其他客服"
PAUSE_FAILED = "暂时无法暂停机器人，请稍后再试。"
TAKE_FIRST = "请先接入该会话。"
TRANSFER_CHOOSE = "请选择要转给的客服。"
TRANSFER_SELF = "不能转给自己。"
CLOSE_NOT_YOURS = "该会话由 {name} 接待，只有接待人可以结束。"
RESUME_FAILED = "暂时无法恢复机器人，请稍后再试。"
NOTE_EMPTY = "请输入备注内容（{max}字以内）。"
REPLY_EMPTY = "请输入回复内容（{max}字以内）。"
CANNED_PLACEHOLDER = "占位符无法解析：{error}"
CANNED_TITLE = "请填写标题（{max}字以内）。"
CANNED_BODY = "请填写内容（{max}字以内）。"
CANNED_NOT_FOUND = "没有这条常用回复。"
FLAG_INVALID = "请说明是“建议有误”还是“缺少答案”，并附上客户的问题。"

# -- records: export and erasure reports (services/records/subject.py) --------------------
NO_SUCH_CLIENT = "没有这个客户。"
EXPORT_WITHHELD = "这些会话中也有其他已验证客户发言（同一设备），无法只导出本人的部分，请合规部人工处理。"
KEPT_AUDIT_WHAT = "审计日志中关于该客户的记录（仅客户号、操作类型和时间，不含姓名、电话或金额），包括本次删除请求"
KEPT_AUDIT_WHY = "证券法要求业务记录至少保存20年；审计日志是防篡改哈希链，删改任何一行都会被发现"
KEPT_ACCOUNT_WHAT = "客户资料（姓名、出生日期、联系电话）、信用账户、持仓、负债、追保与授信变更记录"
KEPT_ACCOUNT_WHY = "证券法：业务记录至少保存20年；持有信用账户期间须能通知追保与平仓（电话）"
KEPT_SUITABILITY_WHAT = "风险测评结果、风险提示与合规拒答记录"
KEPT_SUITABILITY_WHY = "证券期货投资者适当性管理办法：适当性资料与风险揭示至少保存20年"
KEPT_SERVICE_WHAT = "已验证身份的对话记录、转人工记录与风险提醒"
KEPT_SERVICE_WHY = "客户服务记录至少保存20年；投诉处理资料至少保存3年"
KEPT_OUTBOX_WHAT = "短信/App推送发件记录"
KEPT_OUTBOX_WHY = "投诉处理资料至少保存3年"
