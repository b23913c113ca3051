/* 示例证券 两融助手 — embeddable chat widget.
 *
 *   <script>window.LR_CONFIG = {server: "https://bot.example.com", title: "两融智能助手",
 *            primaryColor: "#a8071a", getToken: () => hostApp.currentToken()};</script>
 *   <script src="https://pages.example.com/static/widget.js"></script>
 *
 * The one script tag loads its stylesheet and the vendored socket.io client from
 * beside itself (static/widget.css, static/vendor/socket.io.min.js).
 *
 * Talks to Rasa's socket.io channel (token in the session and message metadata) and
 * falls back to the REST channel when the socket cannot connect. Everything the bot
 * says is inserted as text (textContent), never as HTML. */
(function () {
  "use strict";
  var here = (document.currentScript && document.currentScript.src) || "/static/widget.js";
  var base = here.slice(0, here.lastIndexOf("/") + 1);
  function loadAsset(tag, attrs, done) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (k) { node[k] = attrs[k]; });
    if (done) { node.onload = done; node.onerror = done; }
    document.head.appendChild(node);
  }
  if (!document.querySelector("link[data-lr-widget]")) {
    loadAsset("link", { rel: "stylesheet", href: base + "widget.css" });
    document.querySelector("link[href='" + base + "widget.css']").setAttribute("data-lr-widget", "");
  }
  var defaults = {
    server: "http://127.0.0.1:5005", title: "两融智能助手", primaryColor: null, fullPage: false,
    getToken: function () { return sessionStorage.getItem("lr_token"); }, socketTimeoutMs: 4000
  };
  var cfg = Object.assign({}, defaults, window.LR_CONFIG || {});
  var KEY_SESSION = "lr_session_id", KEY_HISTORY = "lr_history", KEY_OPEN = "lr_open";
  var sessionId = localStorage.getItem(KEY_SESSION);
  if (!sessionId) {
    sessionId = (window.crypto && crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "")
                 : Math.random().toString(36).slice(2) + Date.now().toString(36));
    localStorage.setItem(KEY_SESSION, sessionId);
  }

  // ---- DOM -------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  var root = el("div", "lr-root" + (cfg.fullPage ? " lr-full lr-open" : ""));
  if (cfg.primaryColor) root.style.setProperty("--lr-primary", cfg.primaryColor);
  var launcher = el("button", "lr-launcher", "两融助手");
  launcher.type = "button";
  launcher.setAttribute("aria-label", "打开" + cfg.title);
  launcher.setAttribute("aria-expanded", "false");
  var panel = el("section", "lr-panel");
  panel.setAttribute("aria-label", cfg.title);
  panel.id = "lr-panel";
  launcher.setAttribute("aria-controls", panel.id);
  var header = el("header", "lr-header");
  header.appendChild(el("h2", "lr-title", cfg.title));
  var status = el("span", "lr-status", "");
  status.setAttribute("role", "status");
  header.appendChild(status);
  var close = el("button", "lr-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "关闭对话");
  if (!cfg.fullPage) header.appendChild(close);
  var log = el("div", "lr-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "对话记录");
  log.tabIndex = 0;
  var typing = el("div", "lr-typing", "助手正在输入…");
  typing.hidden = true;
  var form = el("form", "lr-form");
  var input = el("textarea", "lr-input");
  input.rows = 1;
  input.maxLength = 2000;
  input.placeholder = "请输入您的问题，例如：融资利率是多少？";
  input.setAttribute("aria-label", "输入您的问题");
  var send = el("button", "lr-send", "发送");
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(typing);
  panel.appendChild(form);
  if (!cfg.fullPage) root.appendChild(launcher);
  root.appendChild(panel);
  document.body.appendChild(root);

  function setOpen(open) {
    if (open) { refreshSession(); clearUnread(); }
    root.classList.toggle("lr-open", open);
    launcher.setAttribute("aria-expanded", String(open));
    sessionStorage.setItem(KEY_OPEN, open ? "1" : "");
    if (open) input.focus(); else launcher.focus();
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape" && !cfg.fullPage) setOpen(false); });

  // ---- rendering ---------------------------------------------------------------
  var URL_RE = /(https?:\/\/[^\s，。；）)]+)/g;
  function appendText(p, line) {            // text nodes, plus safe links for http(s) URLs
    var last = 0, m;
    URL_RE.lastIndex = 0;
    while ((m = URL_RE.exec(line)) !== null) {
      p.appendChild(document.createTextNode(line.slice(last, m.index)));
      var a = el("a", null, m[0]);
      a.href = m[0];
      a.target = "_blank";
      a.rel = "noopener noreferrer nofollow";
      p.appendChild(a);
      last = m.index + m[0].length;
    }
    p.appendChild(document.createTextNode(line.slice(last)));
  }
  function clock(ts) {
    return new Date(ts).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  }
  function render(item) {
    var row = el("div", "lr-msg lr-" + item.from);
    if (item.topic) row.appendChild(el("div", "lr-topic", "主题：" + item.topic));
    if (item.label) row.appendChild(el("div", "lr-topic", item.label));
    String(item.text || "").split("\n").forEach(function (line) {
      var p = el("p");
      appendText(p, line);
      row.appendChild(p);
    });
    var time = el("time", "lr-time", clock(item.ts));
    time.dateTime = new Date(item.ts).toISOString();
    row.appendChild(time);
    if (item.buttons && item.buttons.length) {
      var bar = el("div", "lr-buttons");
      item.buttons.forEach(function (b) {
        var btn = el("button", "lr-quick", b.title);
        btn.type = "button";
        btn.addEventListener("click", function () { sendMessage(b.payload, b.title); });
        bar.appendChild(btn);
      });
      row.appendChild(bar);
    }
    if (item.faqId) row.appendChild(feedbackBar(item));
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }
  function feedbackBar(item) {
    var bar = el("div", "lr-feedback");
    bar.setAttribute("aria-label", "这个回答有帮助吗？");
    [["有帮助", true], ["没帮助", false]].forEach(function (pair) {
      var b = el("button", "lr-fb", pair[0]);
      b.type = "button";
      b.disabled = !!item.feedback;
      if (item.feedback === pair[0]) b.classList.add("lr-chosen");
      b.addEventListener("click", function () {
        item.feedback = pair[0];
        saveHistory();
        Array.prototype.forEach.call(bar.querySelectorAll("button"), function (x) { x.disabled = true; });
        b.classList.add("lr-chosen");
        fetch(cfg.server + "/webhooks/feedback/", {
          method: "POST", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ sender: sessionId, faq_id: item.faqId, version: item.version, helpful: pair[1] })
        }).catch(function () {});
        status.textContent = "感谢您的反馈";
      });
      bar.appendChild(b);
    });
    return bar;
  }

  var history = [];
  try { history = JSON.parse(localStorage.getItem(KEY_HISTORY) || "[]"); } catch (e) { history = []; }
  function saveHistory() { localStorage.setItem(KEY_HISTORY, JSON.stringify(history.slice(-200))); }
  function add(item) { item.ts = item.ts || Date.now(); history.push(item); saveHistory(); render(item); }

  function botMessage(m) {
    var custom = m.custom || {};
    var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return { title: b.title, payload: b.payload }; });
    if (!m.text && !buttons.length) return;
    var person = handoffPerson(custom);  // an agent's message or joining/leaving: shown as a person
    add({ from: person ? person.from : (custom.alert ? "alert" : "bot"), text: m.text || "", buttons: buttons,
          topic: custom.topic || null, label: person ? person.label : (custom.alert ? "风险提醒" : null),
          faqId: custom.faq_id || null, version: custom.version || null });
    handoffSeen(custom);
  }

  // ---- transport: socket.io first, REST as fallback ------------------------------
  var socket = null, socketReady = false, pending = 0;
  function metadata() {
    var token = cfg.getToken && cfg.getToken();
    return token ? { token: token, client: cfg.fullPage ? "mobile" : "web" } : { client: cfg.fullPage ? "mobile" : "web" };
  }
  function showTyping(on) {
    pending = Math.max(0, pending + (on ? 1 : -1));
    typing.hidden = pending === 0 || handoffActive();  // the bot does not answer while a person is awaited
  }
  var sessionToken = null;
  function requestSession() {  // (again) whenever the host app's login changes
    sessionToken = (cfg.getToken && cfg.getToken()) || null;
    socket.emit("session_request", { session_id: sessionId, metadata: metadata() });
  }
  function refreshSession() {
    if (socket && socketReady && ((cfg.getToken && cfg.getToken()) || null) !== sessionToken) requestSession();
  }
  function connectSocket() {
    if (!window.io) { root.dataset.transport = "rest"; return; }  // no socket.io: REST only
    socket = window.io(cfg.server, { path: "/socket.io", transports: ["websocket"], reconnectionDelayMax: 5000,
                                     timeout: cfg.socketTimeoutMs });
    socket.on("connect", requestSession);
    socket.on("session_confirm", function () { socketReady = true; root.dataset.transport = "socket"; status.textContent = ""; });
    socket.on("disconnect", function () { socketReady = false; root.dataset.transport = "rest"; status.textContent = "连接中断，正在重连…"; });
    socket.on("connect_error", function () { socketReady = false; root.dataset.transport = "rest"; });
    socket.on("bot_uttered", function (m) {
      pending = 0; typing.hidden = true; botMessage(m);
      if (m.custom && m.custom.alert_id) socket.emit("alert_read", { alert_id: m.custom.alert_id });
    });
  }
  function sendRest(message) {
    return fetch(cfg.server + "/webhooks/rest/webhook", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sessionId, message: message, metadata: metadata(),
                             message_id: sessionId.slice(0, 16) + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8) })
    }).then(function (r) { return r.json(); }).then(function (data) {
      showTyping(false);
      if (Array.isArray(data)) data.forEach(botMessage);
      else botMessage({ text: "抱歉，消息未能发送：" + (data.error || "请稍后再试") });
    });
  }
  function sendMessage(message, shown) {
    add({ from: "user", text: shown || message });
    showTyping(true);
    if (socket && socketReady) {
      refreshSession();
      socket.emit("user_uttered", { message: message, session_id: sessionId, metadata: metadata() });
      return;
    }
    sendRest(message).catch(function () {
      showTyping(false);
      add({ from: "bot", text: "网络连接失败，请检查网络后重试。" });
    });
  }

  // ---- input: Enter sends, except while an IME composition is open ----------------
  var composing = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; });
  input.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.shiftKey) return;
    if (composing || e.isComposing || e.keyCode === 229) return;  // Enter picks an IME candidate
    e.preventDefault();
    form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || composing) return;
    input.value = "";
    sendMessage(text);
  });

  // ---- hand-off to a person: queue position, agent as a person, unread badge, -------
  // ---- leave a message outside hours, rating (GET/POST {server}/webhooks/handoff/…) --
  var hand = { state: "none", timer: null, lastLine: "", ratedFor: null, ratingShown: null, formShown: false,
               unread: 0, title: document.title };
  var handLine = el("div", "lr-handoff");   // queue position / expected wait, updated live
  handLine.setAttribute("role", "status");
  handLine.hidden = true;
  panel.insertBefore(handLine, typing);
  var unreadBadge = el("span", "lr-unread");
  unreadBadge.hidden = true;
  launcher.appendChild(unreadBadge);
  function handoffActive() { return hand.state === "queued" || hand.state === "held" || hand.state === "requested"; }
  function handoffPerson(custom) {
    if (custom.from !== "agent" && custom.from !== "agent_event") return null;
    var who = (custom.agent_name || "人工客服").replace(/^客服\s*/, "");
    return { from: custom.from === "agent" ? "agent" : "agent-event", label: (custom.agent_role || "人工客服") + " · " + who };
  }
  function handoffSeen(custom) {
    if (custom.handoff === "requested" || custom.handoff === "queued") {
      hand.state = "requested";
      pending = 0; typing.hidden = true;
      if (custom.handoff === "queued") showLeaveMessage();
      pollHandoff();
    } else if (custom.from === "agent_event" || custom.from === "agent") {
      pollHandoff();
    }
    if (!root.classList.contains("lr-open") || document.visibilityState === "hidden") bumpUnread();
  }
  function bumpUnread() {
    hand.unread += 1;
    unreadBadge.textContent = String(hand.unread);
    unreadBadge.hidden = false;
    launcher.setAttribute("aria-label", "打开" + cfg.title + "（" + hand.unread + " 条未读）");
    document.title = "(" + hand.unread + ") " + hand.title;
  }
  function clearUnread() {
    if (!hand.unread) return;
    hand.unread = 0; unreadBadge.hidden = true;
    launcher.setAttribute("aria-label", "打开" + cfg.title);
    document.title = hand.title;
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && root.classList.contains("lr-open")) clearUnread();
  });
  function setHandLine(text) {
    if (text === hand.lastLine) return;  // the status region speaks only when its text changes
    hand.lastLine = text; handLine.textContent = text; handLine.hidden = !text;
  }
  function pollHandoff() {
    clearTimeout(hand.timer);
    fetch(cfg.server + "/webhooks/handoff/status?sender=" + encodeURIComponent(sessionId))
      .then(function (r) { return r.json(); }).then(handoffStatus)
      .catch(function () { if (handoffActive()) hand.timer = setTimeout(pollHandoff, 3000); });
  }
  function handoffStatus(st) {
    hand.state = st.state || "none";
    if (st.state === "queued") {
      setHandLine(st.on_duty === false ? "已为您排队，人工客服将于下一个交易日上班后尽快回复您"
        : "已为您排队，前面还有 " + st.ahead + " 位，预计等待约 " + st.wait_min + " 分钟");
      if (st.on_duty === false) showLeaveMessage();
      typing.hidden = true;
    } else if (st.state === "held") {
      setHandLine("人工客服 " + String(st.agent_name || "").replace(/^客服\s*/, "") + " 正在为您服务");
      typing.textContent = st.typing ? "客服 " + String(st.agent_name || "").replace(/^客服\s*/, "") + " 正在输入…" : "助手正在输入…";
      typing.hidden = !st.typing;
    } else {
      setHandLine(""); typing.textContent = "助手正在输入…";
      if (st.state === "closed" && st.rate && hand.ratedFor !== st.handoff_id) showRating(st);
    }
    if (handoffActive()) hand.timer = setTimeout(pollHandoff, 1500);
  }
  function showRating(st) {
    if (hand.ratingShown === st.handoff_id) return;
    hand.ratingShown = st.handoff_id;
    var card = el("div", "lr-msg lr-bot lr-rating");
    card.setAttribute("role", "group");
    card.setAttribute("aria-label", "评价本次人工服务");
    card.appendChild(el("p", null, "请为" + (st.agent_name || "人工客服") + "本次的服务打分："));
    var bar = el("div", "lr-buttons"), extra = el("div", "lr-rating-extra"), chosen = {};
    [["满意", 5], ["一般", 3], ["不满意", 1]].forEach(function (pair) {
      var b = el("button", "lr-quick", pair[0]);
      b.type = "button";
      b.addEventListener("click", function () {
        chosen = { label: pair[0] };
        Array.prototype.forEach.call(card.querySelectorAll(".lr-quick"), function (x) { x.disabled = true; });
        b.classList.add("lr-chosen");
        submitRating(st.handoff_id, chosen, null, extra);
      });
      bar.appendChild(b);
    });
    var stars = el("div", "lr-buttons lr-stars");
    stars.setAttribute("aria-label", "或打 1–5 分");
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", "lr-quick lr-star", String(n));
      b.type = "button";
      b.setAttribute("aria-label", n + " 分");
      b.addEventListener("click", function () {
        chosen = { score: n };
        Array.prototype.forEach.call(card.querySelectorAll(".lr-quick"), function (x) { x.disabled = true; });
        b.classList.add("lr-chosen");
        submitRating(st.handoff_id, chosen, null, extra);
      });
      stars.appendChild(b);
    });
    card.appendChild(bar);
    card.appendChild(stars);
    card.appendChild(extra);
    log.appendChild(card);
    log.scrollTop = log.scrollHeight;
  }
  function submitRating(handoffId, chosen, comment, extra) {
    var body = Object.assign({ sender: sessionId, handoff_id: handoffId }, chosen, comment ? { comment: comment } : {});
    return fetch(cfg.server + "/webhooks/handoff/rate", { method: "POST", headers: { "Content-Type": "application/json" },
                                                          body: JSON.stringify(body) })
      .then(function (r) { return r.json(); }).then(function () {
        hand.ratedFor = handoffId;
        if (comment !== null) { extra.textContent = ""; extra.appendChild(el("p", null, "感谢您的评价！")); return; }
        extra.textContent = "";
        var label = el("label", "lr-comment-label", "还想说点什么吗？（选填）");
        var box = el("textarea", "lr-input lr-comment");
        box.maxLength = 500; box.rows = 2; label.appendChild(box);
        var ok = el("button", "lr-send", "提交"); ok.type = "button";
        var skip = el("button", "lr-fb", "跳过"); skip.type = "button";
        ok.addEventListener("click", function () { if (box.value.trim()) submitRating(handoffId, chosen, box.value.trim(), extra); else skip.click(); });
        skip.addEventListener("click", function () { extra.textContent = ""; extra.appendChild(el("p", null, "感谢您的评价！")); });
        extra.appendChild(label); extra.appendChild(ok); extra.appendChild(skip);
        box.focus();
      }).catch(function () { extra.textContent = "评价未能提交，请稍后再试。"; });
  }
  function showLeaveMessage() {
    if (hand.formShown) return;
    hand.formShown = true;
    var box = el("form", "lr-msg lr-bot lr-leave");
    box.setAttribute("aria-label", "给人工客服留言");
    box.appendChild(el("p", null, "现在不在人工服务时间。您可以留言，客服会在下一个交易日上班后第一时间处理："));
    var label = el("label", "lr-comment-label", "留言内容");
    var text = el("textarea", "lr-input lr-leave-text");
    text.maxLength = 2000; text.rows = 3; label.appendChild(text);
    var ok = el("button", "lr-send", "提交留言"); ok.type = "submit";
    var note = el("p", "lr-leave-note");
    note.setAttribute("role", "status");
    box.appendChild(label); box.appendChild(ok); box.appendChild(note);
    box.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!text.value.trim()) { note.textContent = "请填写留言内容。"; return; }
      fetch(cfg.server + "/webhooks/handoff/message", { method: "POST", headers: { "Content-Type": "application/json" },
                                                         body: JSON.stringify({ sender: sessionId, text: text.value.trim() }) })
        .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.error); return d; }); })
        .then(function () { note.textContent = "留言已提交，客服会在下一个交易日尽快回复您。"; text.disabled = true; ok.disabled = true; pollHandoff(); })
        .catch(function (err) { note.textContent = (err && err.message) || "留言未能提交，请稍后再试。"; });
    });
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  // ---- start ---------------------------------------------------------------------
  if (history.length) history.forEach(render);
  else add({ from: "bot", text: "您好！我是示例证券两融智能助手，可以解答开户条件、利率、额度、追保平仓等问题；登录后还能查询您本人的额度和维持担保比例。" });
  if (!cfg.fullPage && sessionStorage.getItem(KEY_OPEN)) root.classList.add("lr-open");
  pollHandoff();  // a hand-off in progress (or a rating to ask for) survives a reload
  if (window.io) connectSocket();
  else loadAsset("script", { src: base + "vendor/socket.io.min.js" }, connectSocket);
  window.LRWidget = { open: function () { setOpen(true); }, sessionId: sessionId,
                      reconnect: function () { if (socket) socket.connect(); } };
})();
