/* Agents' console: a live inbox (server-sent events, patched row by row so focus and
   scroll stay put), the open conversation, client figures, suggestions, canned replies. */
(function () {
  "use strict";
  var server = (window.LR_CONFIG && window.LR_CONFIG.server) || "http://127.0.0.1:5005";
  var $ = LR.$, el = LR.el, say = LR.say;
  var session = LR.staffSession("lr_agent", show), api = session.api;
  var TITLE = "两融客服工作台";
  var ROLE_NAMES = { client: "客户", bot: "机器人", agent: "客服", agent_event: "客服", system: "系统" };
  var PRIORITY_CLASS = { 0: "p-urgent", 1: "p-vip", 2: "p-verified", 3: "p-anon" };
  var state = { view: "all", q: "", page: 1, pageSize: 20, total: 0, current: null, detail: null,
                known: null, stream: null, lastClientText: null, suggestFor: "", me: null, typingSent: 0 };

  // ---- login ----------------------------------------------------------------------
  function show() {
    var on = !!session.token;
    $("login").hidden = on; $("app").hidden = !on; $("logout").hidden = !on;
    $("sound-label").hidden = !on;
    $("notify").hidden = !on || !("Notification" in window) || Notification.permission !== "default";
    $("who").textContent = session.me ? session.me.name : "";
    if (on) { connect(); loadCanned(); loadAgents(); } else { disconnect(); document.title = TITLE; }
  }
  $("logout").addEventListener("click", session.logout);
  $("login").addEventListener("submit", function (e) {
    e.preventDefault();
    api("POST", "/api/staff/login", { username: $("username").value, password: $("password").value }).then(function (d) {
      if (d.role !== "agent") { $("login-error").textContent = "该账号没有客服工作台权限。"; return; }
      $("login-error").textContent = ""; session.login(d);
    }).catch(function (err) { $("login-error").textContent = err.message; });
  });
  function meUser() {
    try { return JSON.parse(atob(session.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub; }
    catch (e) { return null; }
  }

  // ---- live updates: one EventSource for the inbox page and the open conversation ----
  function connect() {
    disconnect();
    state.me = meUser();
    var params = new URLSearchParams({ token: session.token, view: state.view, q: state.q, page: String(state.page),
                                       page_size: String(state.pageSize) });
    if (state.current) params.set("handoff", String(state.current));
    var es = state.stream = new EventSource("/api/agent/stream?" + params.toString());
    es.addEventListener("inbox", function (e) { renderInbox(JSON.parse(e.data)); });
    es.addEventListener("conversation", function (e) { renderConversation(JSON.parse(e.data)); });
    es.onerror = function () {
      // a 401 (expired login) ends the stream for good; anything else reconnects by itself
      if (es.readyState === EventSource.CLOSED) api("GET", "/api/agent/inbox?page_size=1").then(function () {
        setTimeout(function () { if (session.token && state.stream === es) connect(); }, 2000);
      }).catch(function () {});
    };
  }
  function disconnect() { if (state.stream) { state.stream.close(); state.stream = null; } }

  // ---- inbox ------------------------------------------------------------------------
  function waitText(s) {
    if (s < 60) return "刚刚";
    if (s < 3600) return Math.floor(s / 60) + " 分钟";
    return Math.floor(s / 3600) + " 小时 " + Math.floor((s % 3600) / 60) + " 分";
  }
  function rowLabel(h) {
    return (h.client_id || "未登录客户") + "，" + h.priority_label + "，" + h.state_label +
      (h.agent_name ? "（" + h.agent_name + "）" : "") + "，" + h.reason + "，等待 " + waitText(h.waiting_s);
  }
  function fillRow(btn, h) {
    btn.textContent = "";
    var top = el("span", null, "row-top");
    top.appendChild(el("span", h.priority_label, "tag " + PRIORITY_CLASS[h.priority]));
    top.appendChild(el("strong", h.client_id || "未登录客户"));
    top.appendChild(el("span", "#" + h.sender_id.slice(0, 6), "muted sid"));
    top.appendChild(el("span", h.state_label + (h.agent_name ? " · " + h.agent_name : ""), "state s-" + h.state));
    btn.appendChild(top);
    var mid = el("span", null, "row-mid");
    mid.appendChild(el("span", (h.kind === "message" ? "【留言】" : "") + h.reason, "reason"));
    mid.appendChild(el("span", "等待 " + waitText(h.waiting_s), "wait"));
    btn.appendChild(mid);
    btn.appendChild(el("span", h.last_message ? "“" + h.last_message.text + "”" : "（暂无客户消息）", "last"));
    btn.setAttribute("aria-label", rowLabel(h) + (h.last_message ? "，最后消息：" + h.last_message.text : ""));
  }
  function renderInbox(d) {
    var ul = $("inbox"), byId = {};
    Array.prototype.forEach.call(ul.children, function (li) { byId[li.dataset.id] = li; });
    var active = document.activeElement, keep = {};
    d.items.forEach(function (h, i) {
      var li = byId[h.id], sig = JSON.stringify(h);
      if (!li) {
        li = el("li"); li.dataset.id = h.id;
        var b = el("button", null, "row"); b.type = "button"; b.dataset.handoff = h.id;
        b.addEventListener("click", function () { open(h.id); });
        li.appendChild(b);
      }
      var btn = li.firstChild;
      if (li.dataset.sig !== sig) { li.dataset.sig = sig; fillRow(btn, h); }
      btn.classList.toggle("current", String(h.id) === String(state.current));
      li.className = "pri-" + h.priority + " st-" + h.state;
      if (ul.children[i] !== li) ul.insertBefore(li, ul.children[i] || null);
      keep[h.id] = true;
    });
    Object.keys(byId).forEach(function (id) { if (!keep[id]) ul.removeChild(byId[id]); });
    if (active && active !== document.activeElement && document.body.contains(active)) active.focus();  // a moved row
    $("inbox-empty").hidden = d.items.length > 0;
    Object.keys(d.counts).forEach(function (k) {
      var c = document.querySelector("[data-count='" + k + "']"); if (c) c.textContent = d.counts[k];
    });
    state.total = d.total;
    var pages = Math.max(1, Math.ceil(d.total / d.page_size));
    $("page-info").textContent = "第 " + d.page + " / " + pages + " 页，共 " + d.total + " 条";
    $("prev").disabled = d.page <= 1; $("next").disabled = d.page >= pages;
    notifyQueue(d);
  }

  // ---- notifications: title count, badge, optional sound, desktop notification -------
  var knownQueued = null;
  function notifyQueue(d) {
    var waiting = d.counts.queued;
    document.title = waiting ? "(" + waiting + ") " + TITLE : TITLE;
    $("badge").hidden = !waiting; $("badge").textContent = waiting ? waiting + " 位待接入" : "";
    var queuedNow = d.items.filter(function (h) { return h.state === "queued"; });
    if (knownQueued === null) { knownQueued = {}; queuedNow.forEach(function (h) { knownQueued[h.id] = 1; }); return; }
    var fresh = queuedNow.filter(function (h) { return !knownQueued[h.id]; });
    queuedNow.forEach(function (h) { knownQueued[h.id] = 1; });
    if (!fresh.length) return;
    var text = "新的转人工：" + fresh.map(function (h) { return (h.client_id || "未登录客户") + "（" + h.priority_label + "）" + h.reason; }).join("；");
    $("announce").appendChild(el("p", text));  // only the new item is announced
    while ($("announce").children.length > 3) $("announce").removeChild($("announce").firstChild);
    if ($("sound").checked) beep();
    if ("Notification" in window && Notification.permission === "granted" && document.visibilityState !== "visible") {
      try { new Notification(TITLE, { body: text, tag: "lr-handoff" }); } catch (e) { /* not allowed here */ }
    }
    window.LR_LAST_NOTICE = text;  // read by the browser tests
  }
  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext, ctx = new Ctx(), osc = ctx.createOscillator();
      var gain = ctx.createGain(); gain.gain.value = 0.08; osc.frequency.value = 880;
      osc.connect(gain); gain.connect(ctx.destination); osc.start(); osc.stop(ctx.currentTime + 0.25);
    } catch (e) { /* no audio */ }
  }
  $("sound").checked = localStorage.getItem("lr_agent_sound") === "1";
  $("sound").addEventListener("change", function () { localStorage.setItem("lr_agent_sound", $("sound").checked ? "1" : ""); });
  $("notify").addEventListener("click", function () {
    Notification.requestPermission().then(function () { $("notify").hidden = Notification.permission !== "default"; });
  });

  // ---- views, search, paging, keyboard ------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (b) {
    b.addEventListener("click", function () {
      state.view = b.dataset.view; state.page = 1;
      Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (x) {
        x.setAttribute("aria-pressed", String(x === b));
      });
      connect();
    });
  });
  var searchTimer = null;
  $("search").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { state.q = $("search").value.trim(); state.page = 1; connect(); }, 300);
  });
  $("prev").addEventListener("click", function () { if (state.page > 1) { state.page -= 1; connect(); } });
  $("next").addEventListener("click", function () { state.page += 1; connect(); });
  $("inbox").addEventListener("keydown", function (e) {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    var rows = Array.prototype.slice.call($("inbox").querySelectorAll("button.row"));
    var i = rows.indexOf(document.activeElement);
    var next = rows[e.key === "ArrowDown" ? Math.min(rows.length - 1, i + 1) : Math.max(0, i - 1)];
    if (next) { e.preventDefault(); next.focus(); }
  });

  // ---- the open conversation ----------------------------------------------------------
  function open(id) {
    state.current = id; state.lastClientText = null; state.detail = null;
    $("conversation").hidden = false; $("transcript").textContent = ""; $("notes").textContent = ""; say("");
    api("GET", "/api/agent/handoffs/" + id).then(function (d) { renderClient(d.client); renderConversation(d); })
      .catch(function (err) { say(err.message, true); });
    connect();  // the stream now carries this conversation too
    Array.prototype.forEach.call($("inbox").querySelectorAll("button.row"), function (b) {
      b.classList.toggle("current", b.dataset.handoff === String(id));
    });
  }
  function mineHeld(d) { return d && d.state === "held" && d.agent === state.me; }
  function renderConversation(d) {
    if (String(d.id) !== String(state.current)) return;
    state.detail = d;
    $("conv-title").textContent = (d.client_id ? "客户 " + d.client_id : "未登录客户") + " · 会话 #" + d.sender_id.slice(0, 8);
    $("conv-state").textContent = d.state_label + (d.agent_name ? "（" + d.agent_name + "）" : "");
    $("conv-state").className = "state s-" + d.state;
    $("conv-reason").textContent = "转人工原因：" + d.reason + " · " + d.priority_label + " · 等待 " + waitText(d.waiting_s);
    // actions only where they apply
    var mine = mineHeld(d);
    $("take").disabled = d.state !== "queued";
    $("take").title = d.state === "queued" ? "" : (d.state === "held" ? "已由 " + (d.agent_name || d.agent) + " 接待" : "会话已结束");
    $("close").disabled = !(mine || d.state === "queued");
    $("transfer").disabled = !mine || !$("transfer-to").options.length;
    $("transfer-to").disabled = !mine;
    $("send").disabled = !mine; $("reply-text").disabled = !mine;
    $("reply-text").placeholder = mine ? "" : (d.state === "queued" ? "请先接入该会话" : (d.state === "closed" ? "会话已结束" : "该会话由其他客服接待"));
    // transcript: append only the messages not shown yet (the log announces just those)
    var box = $("transcript"), atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    var shown = box.dataset.last ? Number(box.dataset.last) : 0;
    d.transcript.forEach(function (m) {
      if (m.id <= shown) return;
      var p = el("p", null, m.role);
      p.appendChild(el("span", "[" + new Date(m.at).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }) + "] ", "muted"));
      p.appendChild(el("strong", (ROLE_NAMES[m.role] || m.role) + (m.role === "agent" && m.author ? "（" + m.author + "）" : "") + "："));
      p.appendChild(document.createTextNode(m.text));
      box.appendChild(p); box.dataset.last = m.id;
    });
    if (atBottom) box.scrollTop = box.scrollHeight;
    var notes = $("notes");
    d.notes.slice(notes.children.length).forEach(function (n) {
      notes.appendChild(el("li", n.agent_name + " · " + new Date(n.at).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }) + "：" + n.text));
    });
    var clientMsgs = d.transcript.filter(function (m) { return m.role === "client"; });
    var latest = clientMsgs.length ? clientMsgs[clientMsgs.length - 1].text : null;
    if (latest && latest !== state.lastClientText) { state.lastClientText = latest; suggest(latest, d); }
  }
  var FACTS = { client_id: "客户号", name: "姓名", tier: "风险等级", assessment_expires: "测评到期", credit_line: "授信额度",
                available: "可用额度", ratio: "维持担保比例", zone: "状态", margin_call_deadline: "追保截止", cash_to_restore: "恢复150%需追加现金" };
  function renderClient(c) {
    var facts = $("client"); facts.textContent = ""; state.client = c;
    if (!c) { facts.appendChild(el("dd", "未登录客户，无法查看账户信息", "muted")); return; }
    Object.keys(FACTS).forEach(function (k) {
      if (c[k] == null) return;
      facts.appendChild(el("dt", FACTS[k]));
      var dd = el("dd", c[k]);
      if (k === "margin_call_deadline" && c.margin_call_overdue) { dd.className = "overdue"; dd.textContent = c[k] + "（已逾期）"; }
      facts.appendChild(dd);
    });
  }

  // ---- suggestions for the conversation ---------------------------------------------------
  function conversationTurns(d) {
    return d.transcript.filter(function (m) { return m.role === "client" || m.role === "bot" || m.role === "agent"; })
      .slice(-10).map(function (m) { return { role: m.role, text: m.text.slice(0, 2000) }; });
  }
  function suggest(text, d) {
    state.suggestFor = text; $("suggest-for").textContent = "针对：" + text;
    var body = { text: text, top_k: 3 };
    if (d) {
      body.conversation = conversationTurns(d);
      body.reason = d.reason;
      if (state.client) body.client = { verified: true, margin_call: !!state.client.margin_call_deadline,
                                        vip: !!state.client.vip, zone: state.client.zone || null };
    }
    fetch(server + "/webhooks/assist/suggest", { method: "POST", headers: { "Content-Type": "application/json" },
                                                 body: JSON.stringify(body) })
      .then(function (r) { return r.json(); }).then(function (res) {
        var ol = $("suggestions"); ol.textContent = "";
        (res.suggestions || []).forEach(function (s) {
          var li = el("li");
          li.appendChild(el("strong", s.question));
          li.appendChild(el("div", s.faq_id + " · v" + s.version + " · 相关度 " + Number(s.score).toFixed(3) + (s.cites && s.cites.length ? " · 依据 " + s.cites.join("、") : ""), "muted"));
          li.appendChild(el("div", s.answer, "answer"));
          var use = el("button", "插入回复框"); use.type = "button"; use.className = "use";
          use.setAttribute("aria-label", "插入回复框：" + s.question);
          use.addEventListener("click", function () { insert(s.answer); });
          var wrong = el("button", "标记有误"); wrong.type = "button";
          wrong.setAttribute("aria-label", "标记有误：" + s.question);
          wrong.addEventListener("click", function () {
            api("POST", "/api/agent/flags", { kind: "wrong", faq_id: s.faq_id, text: state.suggestFor }).then(function () { wrong.disabled = true; wrong.textContent = "已标记"; });
          });
          li.appendChild(use); li.appendChild(wrong); ol.appendChild(li);
        });
      }).catch(function () { $("suggest-for").textContent = "建议服务暂不可用"; });
  }
  function insert(text) {
    var box = $("reply-text");
    if (box.disabled) { say("请先接入该会话", true); return; }
    box.value = box.value ? box.value + "\n" + text : text; box.focus();
  }
  $("suggest").addEventListener("click", function () { if ($("paste").value.trim()) suggest($("paste").value.trim(), null); });
  $("flag-missing").addEventListener("click", function () {
    if (!state.suggestFor) return;
    api("POST", "/api/agent/flags", { kind: "missing", text: state.suggestFor }).then(function () { $("suggest-for").textContent = "已标记缺少答案：" + state.suggestFor; });
  });

  // ---- canned replies (shared library) ---------------------------------------------------
  function loadCanned() {
    api("GET", "/api/agent/canned").then(function (list) {
      var ul = $("canned"); ul.textContent = "";
      list.forEach(function (c) {
        var li = el("li");
        var use = el("button", c.title, "use-canned"); use.type = "button"; use.title = c.text;
        use.setAttribute("aria-label", "插入常用回复：" + c.title);
        use.addEventListener("click", function () { insert(c.text); });
        var edit = el("button", "编辑", "small"); edit.type = "button"; edit.setAttribute("aria-label", "编辑常用回复：" + c.title);
        edit.addEventListener("click", function () {
          $("canned-edit").open = true; $("canned-id").value = c.id; $("canned-title").value = c.title;
          $("canned-body").value = c.body; $("canned-title").focus();
        });
        var del = el("button", "删除", "small"); del.type = "button"; del.setAttribute("aria-label", "删除常用回复：" + c.title);
        del.addEventListener("click", function () {
          if (!window.confirm("删除常用回复“" + c.title + "”？")) return;
          api("DELETE", "/api/agent/canned/" + c.id).then(loadCanned);
        });
        li.appendChild(use); li.appendChild(edit); li.appendChild(del); ul.appendChild(li);
      });
    }).catch(function () {});
  }
  $("canned-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = $("canned-id").value, body = { title: $("canned-title").value, body: $("canned-body").value };
    api(id ? "PUT" : "POST", "/api/agent/canned" + (id ? "/" + id : ""), body).then(function () {
      $("canned-msg").textContent = "已保存"; $("canned-msg").className = ""; clearCanned(); loadCanned();
    }).catch(function (err) { $("canned-msg").textContent = err.message; $("canned-msg").className = "error"; });
  });
  function clearCanned() { $("canned-id").value = ""; $("canned-title").value = ""; $("canned-body").value = ""; }
  $("canned-new").addEventListener("click", clearCanned);

  // ---- take, transfer, close, reply, notes, typing -----------------------------------------
  function loadAgents() {
    api("GET", "/api/agent/agents").then(function (list) {
      var sel = $("transfer-to"); sel.textContent = "";
      list.forEach(function (a) { var o = el("option", a.name); o.value = a.username; sel.appendChild(o); });
    }).catch(function () {});
  }
  function act(path, body, done) {
    return api("POST", "/api/agent/handoffs/" + state.current + path, body).then(done).catch(function (err) { say(err.message, true); });
  }
  $("take").addEventListener("click", function () {
    $("take").disabled = true;
    act("/take", undefined, function () { say("已接入，机器人暂停回复"); $("reply-text").disabled = false; $("reply-text").focus(); })
      .then(function () { if (state.detail && state.detail.state === "queued") $("take").disabled = false; });
  });
  $("transfer").addEventListener("click", function () {
    var to = $("transfer-to").value; if (!to) return;
    act("/transfer", { to: to }, function (d) { say("已转接给 " + d.to_name); });
  });
  var dialog = $("confirm-close");
  $("close").addEventListener("click", function () {
    if (dialog.showModal) { dialog.showModal(); $("confirm-no").focus(); }
    else if (window.confirm("结束本次人工服务？")) closeConversation();
  });
  $("confirm-no").addEventListener("click", function () { dialog.close(); $("close").focus(); });
  $("confirm-yes").addEventListener("click", function () { dialog.close(); closeConversation(); });
  function closeConversation() { act("/close", undefined, function () { say("已结束，机器人继续服务"); }); }
  function sendReply() {
    var text = $("reply-text").value.trim(); if (!text || $("send").disabled) return;
    act("/send", { text: text }, function () { $("reply-text").value = ""; say("已发送"); });
  }
  $("reply").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
  $("reply-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendReply(); }
    else if (e.key === "Escape") { e.preventDefault(); $("reply-text").value = ""; say("已取消"); }
  });
  $("cancel-reply").addEventListener("click", function () { $("reply-text").value = ""; say("已取消"); $("reply-text").focus(); });
  $("reply-text").addEventListener("input", function () {
    var now = Date.now();
    if (!mineHeld(state.detail) || now - state.typingSent < 2000) return;
    state.typingSent = now; api("POST", "/api/agent/handoffs/" + state.current + "/typing").catch(function () {});
  });
  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("note-text").value.trim(); if (!text) return;
    act("/notes", { text: text }, function () { $("note-text").value = ""; say("备注已添加"); });
  });

  show();
})();
