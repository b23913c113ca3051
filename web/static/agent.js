/* Agents' console: inbox, held conversation, client figures, reply suggestions. */
(function () {
  "use strict";
  var server = (window.LR_CONFIG && window.LR_CONFIG.server) || "http://127.0.0.1:5005";
  var $ = LR.$, el = LR.el, say = LR.say;
  var session = LR.staffSession("lr_agent", show), api = session.api, logout = session.logout;
  var current = null, lastClientText = null, suggestFor = "";
  function show() {
    $("login").hidden = !!session.token; $("app").hidden = !session.token; $("logout").hidden = !session.token;
    $("who").textContent = session.me ? session.me.name : "";
  }
  $("logout").addEventListener("click", logout);
  $("login").addEventListener("submit", function (e) {
    e.preventDefault();
    api("POST", "/api/staff/login", { username: $("username").value, password: $("password").value }).then(function (d) {
      if (d.role !== "agent") { $("login-error").textContent = "该账号没有客服工作台权限。"; return; }
      $("login-error").textContent = ""; session.login(d); refreshInbox();
    }).catch(function (err) { $("login-error").textContent = err.message; });
  });

  function refreshInbox() {
    if (!session.token) return;
    api("GET", "/api/agent/inbox").then(function (list) {
      var ul = $("inbox"); ul.textContent = "";
      if (!list.length) ul.appendChild(el("li", "暂无待接入会话", "muted"));
      list.forEach(function (h) {
        var b = el("button", (h.state === "held" ? "【接待中 " + h.agent + "】" : "【待接入】") + (h.client_id || "未登录客户") + " · " + h.reason);
        b.type = "button"; b.dataset.handoff = h.id;
        b.addEventListener("click", function () { open(h.id); });
        var li = el("li"); li.appendChild(b); ul.appendChild(li);
      });
    }).catch(function () {});
  }
  function open(id) { current = id; lastClientText = null; $("conversation").hidden = false; say(""); refreshConversation(); }
  function refreshConversation() {
    if (!session.token || current === null) return;
    api("GET", "/api/agent/handoffs/" + current).then(function (d) {
      $("conv-title").textContent = "会话 " + d.sender_id.slice(0, 12) + (d.client_id ? " · 客户 " + d.client_id : " · 未登录");
      $("conv-reason").textContent = "转人工原因：" + d.reason + "；状态：" + d.state + (d.agent ? "（" + d.agent + "）" : "");
      var box = $("transcript"), atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
      box.textContent = "";
      var names = { client: "客户", bot: "机器人", agent: "客服", system: "系统" };
      d.transcript.forEach(function (m) { box.appendChild(el("p", "[" + new Date(m.at).toLocaleTimeString("zh-CN", { hour12: false }) + "] " + names[m.role] + "：" + m.text, m.role)); });
      if (atBottom) box.scrollTop = box.scrollHeight;
      var facts = $("client"); facts.textContent = "";
      var labels = { client_id: "客户号", name: "姓名", tier: "风险等级", assessment_expires: "测评到期", credit_line: "授信额度",
                     available: "可用额度", ratio: "维持担保比例", zone: "状态", margin_call_deadline: "追保截止", cash_to_restore: "恢复150%需追加现金" };
      Object.keys(labels).forEach(function (k) {
        if (d.client && d.client[k] != null) { facts.appendChild(el("dt", labels[k])); facts.appendChild(el("dd", d.client[k])); }
      });
      var clientMsgs = d.transcript.filter(function (m) { return m.role === "client"; });
      var latest = clientMsgs.length ? clientMsgs[clientMsgs.length - 1].text : null;
      if (latest && latest !== lastClientText) { lastClientText = latest; suggest(latest); }
    }).catch(function (err) { say(err.message, true); });
  }
  function suggest(text) {
    suggestFor = text; $("suggest-for").textContent = "针对：" + text;
    fetch(server + "/webhooks/assist/suggest", { method: "POST", headers: { "Content-Type": "application/json" },
                                                 body: JSON.stringify({ text: text, top_k: 3 }) })
      .then(function (r) { return r.json(); }).then(function (d) {
        var ol = $("suggestions"); ol.textContent = "";
        (d.suggestions || []).forEach(function (s) {
          var li = el("li");
          li.appendChild(el("strong", s.question));
          li.appendChild(el("div", s.faq_id + " · v" + s.version + " · 相关度 " + Number(s.score).toFixed(3) + (s.cites && s.cites.length ? " · 依据 " + s.cites.join("、") : ""), "muted"));
          li.appendChild(el("div", s.answer, "answer"));
          var use = el("button", "插入回复框"); use.type = "button"; use.className = "use";
          use.addEventListener("click", function () { $("reply-text").value = s.answer; $("reply-text").focus(); });
          var wrong = el("button", "标记有误"); wrong.type = "button";
          wrong.addEventListener("click", function () {
            api("POST", "/api/agent/flags", { kind: "wrong", faq_id: s.faq_id, text: suggestFor }).then(function () { wrong.disabled = true; wrong.textContent = "已标记"; });
          });
          li.appendChild(use); li.appendChild(wrong); ol.appendChild(li);
        });
      }).catch(function () { $("suggest-for").textContent = "建议服务暂不可用"; });
  }
  $("suggest").addEventListener("click", function () { if ($("paste").value.trim()) suggest($("paste").value.trim()); });
  $("flag-missing").addEventListener("click", function () {
    if (!suggestFor) return;
    api("POST", "/api/agent/flags", { kind: "missing", text: suggestFor }).then(function () { $("suggest-for").textContent = "已标记缺少答案：" + suggestFor; });
  });
  $("take").addEventListener("click", function () {
    api("POST", "/api/agent/handoffs/" + current + "/take").then(function () { say("已接入，机器人暂停回复"); refreshConversation(); refreshInbox(); })
      .catch(function (err) { say(err.message, true); });
  });
  $("close").addEventListener("click", function () {
    api("POST", "/api/agent/handoffs/" + current + "/close").then(function () { say("已结束，机器人继续服务"); refreshConversation(); refreshInbox(); })
      .catch(function (err) { say(err.message, true); });
  });
  $("reply").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("reply-text").value.trim(); if (!text) return;
    api("POST", "/api/agent/handoffs/" + current + "/send", { text: text }).then(function () { $("reply-text").value = ""; say("已发送"); refreshConversation(); })
      .catch(function (err) { say(err.message, true); });
  });
  show();
  setInterval(refreshInbox, 2000);
  setInterval(refreshConversation, 1500);
  refreshInbox();
})();
