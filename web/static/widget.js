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
  // The conversation (session id) and its history belong to ONE login: kept in
  // sessionStorage (gone with the tab) under the login they were made with, and
  // wiped, with a new session id, whenever the login changes or the host app calls
  // LRWidget.logout(). Personal replies never outlive the login that asked for them.
  var KEY_SESSION = "lr_session_id", KEY_HISTORY = "lr_history", KEY_OPEN = "lr_open", KEY_LOGIN = "lr_login";
  var store = window.sessionStorage;
  [KEY_SESSION, KEY_HISTORY].forEach(function (k) { localStorage.removeItem(k); });  // what older versions kept
  function newSessionId() {
    return (window.crypto && crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "")
            : Math.random().toString(36).slice(2) + Date.now().toString(36));
  }
  function currentToken() { return (cfg.getToken && cfg.getToken()) || null; }
  function loginOf(token) {  // who the token is for (its `sub`), "" when logged out
    if (!token) return "";
    try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).sub || "?"; }
    catch (e) { return "?"; }
  }
  var sessionId = store.getItem(KEY_SESSION);
  if (!sessionId || store.getItem(KEY_LOGIN) !== loginOf(currentToken())) {
    sessionId = newSessionId();
    store.removeItem(KEY_HISTORY);
  }
  store.setItem(KEY_SESSION, sessionId);
  store.setItem(KEY_LOGIN, loginOf(currentToken()));

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
    if (open) refreshSession();
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
  try { history = JSON.parse(store.getItem(KEY_HISTORY) || "[]"); } catch (e) { history = []; }
  function saveHistory() { store.setItem(KEY_HISTORY, JSON.stringify(history.slice(-200))); }
  var GREETING = "您好！我是示例证券两融智能助手，可以解答开户条件、利率、额度、追保平仓等问题；登录后还能查询您本人的额度和维持担保比例。";
  function startOver(id) {  // a new conversation: new session id, nothing of the old one kept or shown
    sessionId = id || newSessionId();
    history = [];
    store.removeItem(KEY_HISTORY);
    store.setItem(KEY_SESSION, sessionId);
    store.setItem(KEY_LOGIN, loginOf(currentToken()));
    while (log.firstChild) log.removeChild(log.firstChild);
    add({ from: "bot", text: GREETING });
    if (window.LRWidget) window.LRWidget.sessionId = sessionId;
  }
  function add(item) { item.ts = item.ts || Date.now(); history.push(item); saveHistory(); render(item); }

  function botMessage(m) {
    var custom = m.custom || {};
    var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return { title: b.title, payload: b.payload }; });
    if (!m.text && !buttons.length) return;
    add({ from: custom.from === "agent" ? "agent" : (custom.alert ? "alert" : "bot"), text: m.text || "", buttons: buttons,
          topic: custom.topic || null, label: custom.from === "agent" ? "人工客服" : (custom.alert ? "风险提醒" : null),
          faqId: custom.faq_id || null, version: custom.version || null });
  }

  // ---- transport: socket.io first, REST as fallback ------------------------------
  var socket = null, socketReady = false, pending = 0;
  function metadata() {
    var token = cfg.getToken && cfg.getToken();
    return token ? { token: token, client: cfg.fullPage ? "mobile" : "web" } : { client: cfg.fullPage ? "mobile" : "web" };
  }
  function showTyping(on) {
    pending = Math.max(0, pending + (on ? 1 : -1));
    typing.hidden = pending === 0;
  }
  var sessionToken = null;
  function requestSession() {  // (again) whenever the host app's login changes
    sessionToken = currentToken();
    if (socket) socket.emit("session_request", { session_id: sessionId, metadata: metadata() });
  }
  function refreshSession() {
    var token = currentToken();
    if (loginOf(token) !== store.getItem(KEY_LOGIN)) startOver();  // another login (or none): new conversation
    if (socket && socketReady && token !== sessionToken) requestSession();
  }
  function connectSocket() {
    if (!window.io) { root.dataset.transport = "rest"; return; }  // no socket.io: REST only
    socket = window.io(cfg.server, { path: "/socket.io", transports: ["websocket"], reconnectionDelayMax: 5000,
                                     timeout: cfg.socketTimeoutMs });
    socket.on("connect", requestSession);
    socket.on("session_confirm", function (id) {
      // the server gives a new conversation when this one is not ours to continue
      if (typeof id === "string" && id !== sessionId) startOver(id);
      socketReady = true; root.dataset.transport = "socket"; status.textContent = "";
    });
    socket.on("session_error", function () { startOver(); requestSession(); });
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
      if (data && data.code === "not_owner") { startOver(); data = { error: "会话已重新开始，请再发送一次。" }; }
      if (Array.isArray(data)) data.forEach(botMessage);
      else botMessage({ text: "抱歉，消息未能发送：" + (data.error || "请稍后再试") });
    });
  }
  function sendMessage(message, shown) {
    refreshSession();
    add({ from: "user", text: shown || message });
    showTyping(true);
    if (socket && socketReady) {
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

  // ---- start ---------------------------------------------------------------------
  if (history.length) history.forEach(render);
  else add({ from: "bot", text: GREETING });
  if (!cfg.fullPage && sessionStorage.getItem(KEY_OPEN)) root.classList.add("lr-open");
  if (window.io) connectSocket();
  else loadAsset("script", { src: base + "vendor/socket.io.min.js" }, connectSocket);
  // LRWidget.logout(): the host app logged its user out — the conversation and its
  // history are dropped at once and the next message starts a new, anonymous one.
  window.LRWidget = { open: function () { setOpen(true); }, sessionId: sessionId,
                      reconnect: function () { if (socket) socket.connect(); },
                      logout: function () { startOver(); if (socket && socketReady) requestSession(); } };
})();
