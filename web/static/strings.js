/* One Chinese string table for the three pages: the chat widget (LR.T.widget), the
 * agents' console (LR.T.agent) and the publishing page (LR.T.editor), plus what they
 * share (LR.T.common). Load it before the page's script; LR.t("editor.tabs.insights")
 * looks a string up by path and fills {name} placeholders from its second argument. */
(function () {
  "use strict";
  var LR = window.LR = window.LR || {};
  LR.T = {
    common: {
      busy: "系统繁忙，请稍后再试。",
      logout: "退出",
      roles: { editor: "编辑", reviewer: "审核人", agent: "客服" }
    },
    widget: {
      launcher: "两融助手",
      open: "打开{title}",
      close: "收起对话",
      end: "结束对话",
      endConfirm: "结束本次对话？聊天记录将被清除，并开始新的对话。",
      ended: "对话已结束，已为您开始新的对话。",
      log: "对话记录",
      typing: "助手正在输入…",
      placeholder: "请输入您的问题，例如：融资利率是多少？",
      inputLabel: "输入您的问题",
      send: "发送",
      counter: "{n}/{max}",
      tooLong: "最多{max}字，超出部分未粘贴。",
      greeting: "您好！我是示例证券的AI智能助手（不是真人），可以解答开户条件、利率、额度、追保平仓等问题；登录后还能查询您本人的额度和维持担保比例。",
      hotLabel: "大家常问",
      hot: [
        { title: "融资利率是多少", payload: "融资利率是多少" },
        { title: "开通两融的条件", payload: "开通两融需要什么条件" },
        { title: "追保后几天内补足", payload: "追保以后几天内要补足" },
        { title: "我的维持担保比例", payload: "我的维持担保比例是多少" }
      ],
      offline: "网络连接不可用，消息将无法发送。",
      reconnecting: "连接中断，正在重连…",
      unsent: "未发送",
      retry: "重试",
      retryLabel: "重新发送这条消息",
      quickLabel: "可选操作",
      feedbackLabel: "这个回答有帮助吗？",
      helpful: "有帮助",
      unhelpful: "没帮助",
      thanks: "感谢您的反馈",
      reasonLabel: "哪里没帮到您？",
      reasons: ["答非所问", "看不懂", "信息过时", "其他"],
      reasonThanks: "已记录：{reason}，我们会改进这个回答。",
      topic: "主题：{topic}",
      agent: "人工客服",
      alert: "风险提醒",
      marginCall: "追保提醒",
      sendFailed: "抱歉，消息未能发送：{error}"
    },
    editor: {
      tabs: { entries: "条目", insights: "问题洞察", lectures: "投教讲座" },
      status: { draft: "草稿", review: "待审核", approved: "已通过", published: "已发布", superseded: "已被替换",
                rejected: "已退回", retired: "已下线" },
      latest: "最新版本 v{version}（{status}，作者 {author}）；线上版本 {live}",
      noLive: "无",
      retiredMark: "（已下线）",
      steps: { submit: "提交审核", approve: "审核通过", reject: "退回", publish: "发布", retire: "下线" },
      done: { submit: "已提交审核", approve: "已审核通过", reject: "已退回", publish: "已发布，几秒内对客户生效",
              retire: "已下线", rollback: "已回滚并发布" },
      rejectReason: "退回原因（作者会看到）",
      rejectNeedsReason: "请填写退回原因。",
      rejectedBecause: "审核人退回：{note}",
      changedElsewhere: "{who} 刚刚更新了此条目（{status} v{version}），已刷新。",
      valid: "✓ 校验通过",
      level: { error: "错误", warning: "提示" },
      fields: { id: "主题 ID", category: "分类", question: "标准问题", paraphrases: "相似问法", answer: "答案",
                tags: "标签", cites: "引用的政策条目", money_topic: "涉及资金" },
      picker: "插入政策数字",
      pickerHint: "选择一项，插入占位符并自动填写引用",
      saved: "已保存为草稿 v{version}",
      savedWithErrors: "（有错误，修正后才能提交审核）",
      newEntry: "新建条目",
      draftFromCluster: "起草条目",
      draftNote: "已按这组提问起草：请补充主题 ID、分类和答案。",
      noData: "暂无数据",
      from: "从", to: "到", apply: "筛选",
      charts: { trend: "每日未答出与“没帮助”", topics: "提问最多的主题", unhelpfulRate: "各条目“没帮助”比例",
                rates: "澄清率与转人工率（每日）", ratings: "满意度评分" },
      series: { unanswered: "未答出", unhelpful: "没帮助", clarify: "澄清率", handoff: "转人工率", rate: "没帮助比例",
                asked: "提问次数" },
      clusterCount: "{n} 条",
      unknownTopic: "（无相近主题）",
      revision: "修改记录",
      rollback: "回滚到此版本"
    },
    agent: {}
  };
  /* LR.t("widget.counter", {n: 3, max: 2000}) → "3/2000"; a missing key returns the path. */
  LR.t = function (path, vars) {
    var node = path.split(".").reduce(function (o, k) { return o == null ? o : o[k]; }, LR.T);
    if (typeof node !== "string") return node == null ? path : node;
    return node.replace(/\{(\w+)\}/g, function (m, k) { return vars && vars[k] != null ? String(vars[k]) : m; });
  };
})();
