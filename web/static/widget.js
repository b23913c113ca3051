/* 示例证券 两融助手 — embeddable chat widget.
 *
 *   <script>window.LR_CONFIG = {server: "https://bot.example.com", title: "两融智能助手",
 *            primaryColor: "#a8071a", getToken: () => hostApp.currentToken()};</script>
 *   <script src="https://pages.example.com/static/widget.js"></script>
 *
 * or, as an ES module (see widget.mjs): import { mountWidget } from ".../static/widget.mjs".
 *
 * The one script tag loads its stylesheet, the Chinese string table (strings.js) and the
 * vendored socket.io client from beside itself (static/widget.css, static/vendor/...).
 *
 * Talks to Rasa's socket.io channel (token in the session and message metadata) and
 * falls back to the REST channel when the socket cannot connect. Everything the bot
 * says is inserted as text (textContent), never as HTML.
 *
 * Events, on window as CustomEvents "lr:open", "lr:close", "lr:message" (detail {from, text,
 * custom}), "lr:logout" and "lr:ready" (and through LRWidget.on(name, fn)). */
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
  if (window.LR && window.LR.T && window.LR.t) start();
  else loadAsset("script", { src: base + "strings.js" }, start);

  function start() {
  var LR = window.LR || {};
  function t(key, vars) { return LR.t ? LR.t("widget." + key, vars) : key; }
  var T = (LR.T && LR.T.widget) || {};
  var defaults = {
    server: "http://127.0.0.1:5005", title: t("title"), primaryColor: null, fullPage: false,
    getToken: function () { return sessionStorage.getItem("lr_token"); }, socketTimeoutMs: 4000,
    hotQuestions: null  // [{title, question}]: overrides the chips the server suggests
  };
  var cfg = Object.assign({}, defaults, window.LR_CONFIG || {});
  var MAX_CHARS = 2000, COUNTER_FROM = 1800, MAX_LINES = 5;
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

  // ---- events (open / close / message / logout) ----------------------------------
  function emit(name, detail) {
    window.dispatchEvent(new CustomEvent("lr:" + name, { detail: detail || {} }));
  }

  // ---- DOM -------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function button(cls, text, onClick) {
    var b = el("button", cls, text);
    b.type = "button";
    if (onClick) b.addEventListener("click", onClick);
    return b;
  }
  var root = el("div", "lr-root" + (cfg.fullPage ? " lr-full lr-open" : ""));
  if (cfg.primaryColor) root.style.setProperty("--lr-primary", cfg.primaryColor);
  var launcher = button("lr-launcher", t("launcher"));
  launcher.setAttribute("aria-label", t("open", { title: cfg.title }));
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
  var endButton = button("lr-end", t("end"));
  header.appendChild(endButton);
  var close = button("lr-close", "×");
  close.setAttribute("aria-label", t("close"));
  if (!cfg.fullPage) header.appendChild(close);
  var banner = el("div", "lr-banner", t("offline"));
  banner.setAttribute("role", "alert");
  banner.hidden = true;
  var confirmBar = el("div", "lr-confirm");
  confirmBar.setAttribute("role", "group");
  confirmBar.setAttribute("aria-label", t("end"));
  confirmBar.hidden = true;
  var log = el("div", "lr-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", t("log"));
  log.tabIndex = 0;
  var typing = el("div", "lr-typing", t("typing"));
  typing.setAttribute("role", "status");
  typing.hidden = true;
  var form = el("form", "lr-form");
  var note = el("div", "lr-compose-note");
  note.setAttribute("aria-live", "polite");
  note.hidden = true;
  var input = el("textarea", "lr-input");
  input.rows = 1;
  input.maxLength = MAX_CHARS;
  input.placeholder = t("placeholder");
  input.setAttribute("aria-label", t("inputLabel"));
  var send = el("button", "lr-send", t("send"));
  send.type = "submit";
  var row = el("div", "lr-form-row");
  row.appendChild(input);
  row.appendChild(send);
  form.appendChild(note);
  form.appendChild(row);
  panel.appendChild(header);
  panel.appendChild(banner);
  panel.appendChild(confirmBar);
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
    if (open) { showLatest(); input.focus(); } else launcher.focus();
    emit(open ? "open" : "close");
  }
  launcher.addEventListener("click", function () { setOpen(true); });
  close.addEventListener("click", function () { setOpen(false); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape" && !cfg.fullPage) setOpen(false); });

  // ---- rendering ---------------------------------------------------------------
  // http(s) links and phone numbers (hotline 400-000-0000, 95xxx short numbers) become links
  var LINK_RE = /(https?:\/\/[^\s，。；）)]+)|((?:400|800)-?\d{3}-?\d{4}|(?<!\d)95\d{3,4}(?!\d))/g;
  function appendText(p, line) {            // text nodes, plus safe links
    var last = 0, m;
    LINK_RE.lastIndex = 0;
    while ((m = LINK_RE.exec(line)) !== null) {
      p.appendChild(document.createTextNode(line.slice(last, m.index)));
      var a = el("a", m[1] ? null : "lr-tel", m[0]);
      if (m[1]) {
        a.href = m[0];
        a.target = "_blank";
        a.rel = "noopener noreferrer nofollow";
      } else {
        a.href = "tel:" + m[0].replace(/-/g, "");
      }
      p.appendChild(a);
      last = m.index + m[0].length;
    }
    p.appendChild(document.createTextNode(line.slice(last)));
  }
  function clock(ts) {
    return new Date(ts).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
  }
  var rowOf = new Map();  // history item → its element (items are saved as JSON, rows are not)
  function isMarginCall(item) {
    var p = item.personal;
    return !!p && (p.margin_call || p.zone === "call" || p.zone === "liquidation");
  }
  function render(item) {
    var row = el("div", "lr-msg lr-" + item.from);
    if (item.personal) row.classList.add("lr-personal");
    if (isMarginCall(item)) {
      row.classList.add("lr-warn");
      row.appendChild(el("div", "lr-topic lr-warn-label", "⚠ " + t("marginCall")));
    }
    if (item.topic) row.appendChild(el("div", "lr-topic", t("topic", { topic: item.topic })));
    if (item.label) row.appendChild(el("div", "lr-topic", item.label));
    String(item.text || "").split("\n").forEach(function (line, i) {
      var p = el("p", item.personal && i === 0 ? "lr-key" : null);
      appendText(p, line);
      row.appendChild(p);
    });
    var time = el("time", "lr-time", clock(item.ts));
    time.dateTime = new Date(item.ts).toISOString();
    row.appendChild(time);
    if (item.from === "user" && item.unsent) { row.classList.add("lr-unsent"); row.appendChild(unsentMark(item)); }
    if (item.buttons && item.buttons.length) row.appendChild(quickReplies(item));
    if (item.faqId) row.appendChild(feedbackBar(item));
    if (item.privacy) {                     // the greeting links to the privacy note
      var note = el("a", "lr-privacy", t("privacyLink"));
      note.href = cfg.privacyUrl || base + "../privacy";
      note.target = "_blank";
      note.rel = "noopener noreferrer";
      row.appendChild(note);
    }
    var old = rowOf.get(item);
    if (old && old.parentNode === log) log.replaceChild(row, old);
    else log.appendChild(row);
    rowOf.set(item, row);
    return row;
  }
  /* The latest message in view: a long answer from its first line (its key line stays
     visible under the header), anything else scrolled to the end. */
  function showLatest() {
    var last = log.lastElementChild;
    if (!last || !log.clientHeight) return;  // hidden (closed): again when opened
    if (!last.classList.contains("lr-user") && last.offsetHeight > log.clientHeight - 24) {
      log.scrollTop = Math.max(0, last.offsetTop - 8);
    } else {
      log.scrollTop = log.scrollHeight;
    }
  }
  // Quick replies: one tap; then disabled, the chosen one marked (aria-pressed).
  function quickReplies(item) {
    var bar = el("div", "lr-buttons");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", item.hot ? t("hotLabel") : t("quickLabel"));
    if (item.hot) bar.appendChild(el("span", "lr-hot-label", t("hotLabel")));
    item.buttons.forEach(function (b) {
      var btn = button("lr-quick", b.title, function () {
        if (item.used) return;
        item.used = b.title;
        saveHistory();
        render(item);
        sendMessage(b.payload, b.title);
      });
      btn.disabled = !!item.used;
      btn.setAttribute("aria-pressed", String(item.used === b.title));
      if (item.used === b.title) btn.classList.add("lr-chosen");
      bar.appendChild(btn);
    });
    return bar;
  }
  function postFeedback(item, helpful, reason) {
    var body = { sender: sessionId, faq_id: item.faqId, version: item.version, helpful: helpful };
    if (reason) body.reason = reason;
    fetch(cfg.server + "/webhooks/feedback/", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body)
    }).catch(function () {});
  }
  // 有帮助 / 没帮助, then for 没帮助 the reasons (答非所问 / 看不懂 / 信息过时 / 其他).
  function feedbackBar(item) {
    var box = el("div", "lr-feedback-box");
    var bar = el("div", "lr-feedback");
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", t("feedbackLabel"));
    [[t("helpful"), true], [t("unhelpful"), false]].forEach(function (pair) {
      var b = button("lr-fb", pair[0], function () {
        if (item.feedback) return;
        item.feedback = pair[0];
        saveHistory();
        postFeedback(item, pair[1]);
        status.textContent = t("thanks");
        render(item);
        var again = rowOf.get(item).querySelector(pair[1] ? ".lr-fb" : ".lr-reason");
        if (again) again.focus();
      });
      b.disabled = !!item.feedback;
      b.setAttribute("aria-pressed", String(item.feedback === pair[0]));
      if (item.feedback === pair[0]) b.classList.add("lr-chosen");
      bar.appendChild(b);
    });
    box.appendChild(bar);
    if (item.feedback === t("unhelpful")) {
      var reasons = el("div", "lr-reasons");
      reasons.setAttribute("role", "group");
      reasons.setAttribute("aria-label", t("reasonLabel"));
      reasons.appendChild(el("span", "lr-reason-label", t("reasonLabel")));
      (T.reasons || []).forEach(function (r) {
        var rb = button("lr-reason", r, function () {
          if (item.reason) return;
          item.reason = r;
          saveHistory();
          postFeedback(item, false, r);
          render(item);
        });
        rb.disabled = !!item.reason;
        rb.setAttribute("aria-pressed", String(item.reason === r));
        if (item.reason === r) rb.classList.add("lr-chosen");
        reasons.appendChild(rb);
      });
      box.appendChild(reasons);
    }
    if (item.feedback) {
      box.appendChild(el("p", "lr-thanks", item.reason ? t("reasonThanks", { reason: item.reason }) : t("thanks")));
    }
    return box;
  }

  var history = [];
  try { history = JSON.parse(store.getItem(KEY_HISTORY) || "[]"); } catch (e) { history = []; }
  function saveHistory() { store.setItem(KEY_HISTORY, JSON.stringify(history.slice(-200))); }
  function startOver(id) {  // a new conversation: new session id, nothing of the old one kept or shown
    sessionId = id || newSessionId();
    history = [];
    store.removeItem(KEY_HISTORY);
    store.setItem(KEY_SESSION, sessionId);
    store.setItem(KEY_LOGIN, loginOf(currentToken()));
    rowOf.clear();
    log.textContent = "";
    greet();
  }
  function add(item) {
    item.ts = item.ts || Date.now(); history.push(item); saveHistory(); render(item); showLatest();
    return item;
  }

  function botMessage(m) {
    var custom = m.custom || {};
    var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return { title: b.title, payload: b.payload }; });
    if (!m.text && !buttons.length) return;
    var person = handoffPerson(custom);  // an agent's message or joining/leaving: shown as a person
    add({ from: person ? person.from : (custom.alert ? "alert" : "bot"), text: m.text || "", buttons: buttons,
          topic: custom.topic || null, label: person ? person.label : (custom.alert ? t("alert") : null),
          faqId: custom.faq_id || null, version: custom.version || null,
          personal: custom.personal ? { kind: custom.personal, zone: custom.zone || null, margin_call: !!custom.margin_call } : null });
    handoffSeen(custom);
    emit("message", { from: person ? "agent" : "bot", text: m.text || "", custom: custom });
  }

  // ---- greeting with hot-question chips --------------------------------------------
  function greet() {
    var fallback = (T.hot || []).map(function (h) { return { title: h.title, payload: h.payload }; });
    function chips(list) { return list.map(function (h) { return { title: h.title, payload: h.question }; }); }
    var item = add({ from: "bot", privacy: true, text: cfg.notice || t("greeting"), hot: true, buttons: cfg.hotQuestions ? chips(cfg.hotQuestions) : fallback });
    if (cfg.hotQuestions) return;
    fetch(cfg.server + "/webhooks/feedback/hot", { cache: "no-store" }).then(function (r) { return r.json(); })
      .then(function (list) {
        if (!Array.isArray(list) || !list.length || item.used || history.indexOf(item) < 0) return;
        item.buttons = chips(list.filter(function (h) { return h && h.title && h.question; }));
        saveHistory();
        render(item);
      }).catch(function () {});  // the table's chips stay
  }

  // ---- transport: socket.io first, REST as fallback ------------------------------
  var socket = null, socketReady = false, pending = 0;
  function metadata(shown, message) {
    var token = cfg.getToken && cfg.getToken();
    var meta = { client: cfg.fullPage ? "mobile" : "web" };
    if (token) meta.token = token;
    if (shown && message && message.charAt(0) === "/") meta.button_title = shown;  // the transcript shows the title
    return meta;
  }
  function showTyping(on) {
    pending = Math.max(0, pending + (on ? 1 : -1));
    typing.hidden = pending === 0 || handoffActive();  // the bot does not answer while a person is awaited
  }
  var sessionToken = null;
  var requested = 0, confirmed = 0;  // session requests sent / answered: only the latest answer counts
  function requestSession() {  // (again) whenever the host app's login changes
    sessionToken = currentToken();
    if (!socket) return;
    requested++;
    socket.emit("session_request", { session_id: sessionId, metadata: metadata() });
  }
  function refreshSession() {
    var token = currentToken();
    var changed = loginOf(token) !== store.getItem(KEY_LOGIN);
    if (changed) startOver();  // another login (or none): new conversation
    // the new conversation is asked for even when the token is the one the socket already
    // sent (a login between page load and connecting): else the next message names a session
    // this socket does not hold, and the server refuses it
    if (socket && socket.connected && (changed || token !== sessionToken)) requestSession();
  }
  // Messages typed while a session request is unanswered (a login change just started a new
  // conversation) wait for its answer: the server handles a socket's events concurrently, and
  // a message for a conversation it has not yet given this socket would be refused.
  var waiting = [];
  function flushWaiting() {
    while (socket && socketReady && confirmed >= requested && waiting.length) {
      var w = waiting.shift();
      socket.emit("user_uttered", { message: w.message, session_id: sessionId, metadata: metadata(w.shown, w.message) });
    }
  }
  function connectSocket() {
    if (!window.io) { root.dataset.transport = "rest"; probeConnection(); return; }  // no socket.io: REST only
    socket = window.io(cfg.server, { path: "/socket.io", transports: ["websocket"], reconnectionDelayMax: 5000,
                                     timeout: cfg.socketTimeoutMs });
    socket.on("connect", function () { requested = confirmed = 0; requestSession(); });  // a new connection: no answer pending
    socket.on("session_confirm", function (id) {
      // the server gives a new conversation when this one is not ours to continue; an answer to
      // an older request (the widget has started over since) must not wipe what came after it
      confirmed++;
      if (typeof id === "string" && id !== sessionId && confirmed >= requested) startOver(id);
      socketReady = true; root.dataset.transport = "socket"; status.textContent = ""; setConnection(true);
      flushWaiting();
    });
    socket.on("session_error", function () { confirmed++; startOver(); requestSession(); });  // an answer too
    socket.on("disconnect", function () {
      socketReady = false; root.dataset.transport = "rest"; status.textContent = t("reconnecting"); probeConnection();
      waiting.splice(0).forEach(function (w) { sendRest(w.message, w.shown).catch(function () { markUnsent(w.item, true); }); });
    });
    socket.on("connect_error", function () { socketReady = false; root.dataset.transport = "rest"; probeConnection(); });
    socket.on("bot_uttered", function (m) {
      pending = 0; typing.hidden = true; botMessage(m);
      if (m.custom && m.custom.alert_id) socket.emit("alert_read", { alert_id: m.custom.alert_id });
    });
  }

  // ---- connection banner: shown before the first send when the server is unreachable ----
  var probing = false;
  function setConnection(online) {
    root.dataset.connection = online ? "online" : "offline";
    banner.hidden = online;
  }
  function probeConnection() {  // the socket failed: can REST still reach the server?
    if (probing) return;
    probing = true;
    var ctl = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (ctl) ctl.abort(); }, 3000);
    fetch(cfg.server + "/", { cache: "no-store", signal: ctl ? ctl.signal : undefined })
      .then(function (r) { setConnection(r.ok); })
      .catch(function () { setConnection(false); })
      .then(function () { clearTimeout(timer); probing = false; });
  }
  window.addEventListener("offline", function () { setConnection(false); });
  window.addEventListener("online", probeConnection);

  function sendRest(message, shown, messageId, attempt) {
    // One id per message: a retry after a busy reply (custom.retry) is processed once.
    messageId = messageId || sessionId.slice(0, 16) + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8);
    attempt = attempt || 0;
    return fetch(cfg.server + "/webhooks/rest/webhook", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sessionId, message: message, metadata: metadata(shown, message), message_id: messageId })
    }).then(function (r) {
      if (r.status >= 500) throw new Error("server " + r.status);
      return r.json();
    }).then(function (data) {
      var retry = Array.isArray(data) && data.some(function (m) { return m.custom && m.custom.retry; });
      if (retry && attempt < 3) {
        return new Promise(function (ok) { setTimeout(ok, 1000 * Math.pow(2, attempt)); }).then(function () {
          return sendRest(message, shown, messageId, attempt + 1);
        });
      }
      showTyping(false);
      setConnection(true);
      if (data && data.code === "not_owner") { startOver(); data = { error: t("restarted") }; }
      if (Array.isArray(data)) data.forEach(botMessage);
      else botMessage({ text: t("sendFailed", { error: data.error || t("tryLater") }) });
    });
  }

  // ---- unsent messages: marked, with a retry ------------------------------------------
  function unsentMark(item) {
    var mark = el("div", "lr-unsent-mark");
    mark.appendChild(el("span", "lr-unsent-label", "⚠ " + t("unsent")));
    var retry = button("lr-retry", t("retry"), function () { sendMessage(item.payload || item.text, item.text, item); });
    retry.setAttribute("aria-label", t("retryLabel"));
    mark.appendChild(retry);
    return mark;
  }
  function markUnsent(item, unsent) {
    item.unsent = unsent;
    saveHistory();
    render(item);
  }
  function sendMessage(message, shown, retrying) {
    refreshSession();  // another login (or none) since the last message: a new conversation first
    var item = retrying || add({ from: "user", text: shown || message, payload: shown ? message : undefined });
    if (retrying) markUnsent(item, false);
    emit("message", { from: "user", text: shown || message });
    showTyping(true);
    if (socket && socketReady) {
      waiting.push({ message: message, shown: shown, item: item });
      flushWaiting();
      return;
    }
    sendRest(message, shown).catch(function () {
      showTyping(false);
      setConnection(false);
      markUnsent(item, true);
      rowOf.get(item).querySelector(".lr-retry").focus();
    });
  }

  // ---- composer: grows up to 5 lines; counter near the limit; long pastes cut with a note --
  function autoGrow() {
    var css = getComputedStyle(input);
    var line = parseFloat(css.lineHeight) || 24;
    var extra = parseFloat(css.paddingTop) + parseFloat(css.paddingBottom) + parseFloat(css.borderTopWidth) + parseFloat(css.borderBottomWidth);
    input.style.height = "auto";
    var max = line * MAX_LINES + extra;
    var want = input.scrollHeight + parseFloat(css.borderTopWidth) + parseFloat(css.borderBottomWidth);
    input.style.height = Math.min(want, max) + "px";
    input.style.overflowY = want > max ? "auto" : "hidden";
  }
  var cutNote = "";
  function updateCounter() {
    var n = input.value.length;
    var show = n >= COUNTER_FROM || !!cutNote;
    note.hidden = !show;
    note.textContent = show ? t("counter", { n: n, max: MAX_CHARS }) + (cutNote ? " · " + cutNote : "") : "";
    note.classList.toggle("lr-at-limit", n >= MAX_CHARS);
  }
  input.addEventListener("input", function () {
    if (input.value.length < MAX_CHARS) cutNote = "";
    autoGrow(); updateCounter();
  });
  input.addEventListener("paste", function (e) {
    var text = (e.clipboardData || window.clipboardData).getData("text");
    var start = input.selectionStart, end = input.selectionEnd;
    var room = MAX_CHARS - (input.value.length - (end - start));
    if (text.length <= room) return;  // fits: the browser pastes it
    e.preventDefault();
    input.setRangeText(text.slice(0, Math.max(0, room)), start, end, "end");
    cutNote = t("tooLong", { max: MAX_CHARS });
    autoGrow(); updateCounter();
  });

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
    cutNote = "";
    autoGrow(); updateCounter();
    sendMessage(text);
  });

  // ---- end conversation: clears the history and starts a fresh one -------------------
  function askEnd() {
    confirmBar.textContent = "";
    confirmBar.appendChild(el("span", "lr-confirm-text", t("endConfirm")));
    confirmBar.appendChild(button("lr-confirm-yes", t("end"), endConversation));
    confirmBar.appendChild(button("lr-confirm-no", t("cancel"), function () { confirmBar.hidden = true; endButton.focus(); }));
    confirmBar.hidden = false;
    confirmBar.querySelector(".lr-confirm-yes").focus();
  }
  function endConversation() {
    confirmBar.hidden = true;
    startOver();  // a new conversation on the server too
    if (socket && socketReady) requestSession();
    status.textContent = t("ended");
    input.focus();
  }
  endButton.addEventListener("click", askEnd);
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
  function personName(name) {  // "客服 刘洋" → "刘洋": the role is shown beside it
    return String(name || "").replace(new RegExp("^" + t("agentPrefix") + "\\s*"), "");
  }
  function handoffPerson(custom) {
    if (custom.from !== "agent" && custom.from !== "agent_event") return null;
    var who = personName(custom.agent_name || t("agent"));
    return { from: custom.from === "agent" ? "agent" : "agent-event", label: t("person", { role: custom.agent_role || t("agent"), name: who }) };
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
    launcher.setAttribute("aria-label", t("openUnread", { title: cfg.title, n: hand.unread }));
    document.title = "(" + hand.unread + ") " + hand.title;
  }
  function clearUnread() {
    if (!hand.unread) return;
    hand.unread = 0; unreadBadge.hidden = true;
    launcher.setAttribute("aria-label", t("open", { title: cfg.title }));
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
      setHandLine(st.on_duty === false ? t("queuedOffDuty") : t("queued", { ahead: st.ahead, minutes: st.wait_min }));
      if (st.on_duty === false) showLeaveMessage();
      typing.hidden = true;
    } else if (st.state === "held") {
      setHandLine(t("serving", { name: personName(st.agent_name) }));
      typing.textContent = st.typing ? t("agentTyping", { name: personName(st.agent_name) }) : t("typing");
      typing.hidden = !st.typing;
    } else {
      setHandLine(""); typing.textContent = t("typing");
      if (st.state === "closed" && st.rate && hand.ratedFor !== st.handoff_id) showRating(st);
    }
    if (handoffActive()) hand.timer = setTimeout(pollHandoff, 1500);
  }
  function showRating(st) {
    if (hand.ratingShown === st.handoff_id) return;
    hand.ratingShown = st.handoff_id;
    var card = el("div", "lr-msg lr-bot lr-rating");
    card.setAttribute("role", "group");
    card.setAttribute("aria-label", t("rateLabel"));
    card.appendChild(el("p", null, t("ratePrompt", { name: st.agent_name || t("agent") })));
    var bar = el("div", "lr-buttons"), extra = el("div", "lr-rating-extra"), chosen = {};
    (T.ratings || []).forEach(function (label) {  // sent as the label (services/handoff.py RATING_LABELS)
      var b = el("button", "lr-quick", label);
      b.type = "button";
      b.addEventListener("click", function () {
        chosen = { label: label };
        Array.prototype.forEach.call(card.querySelectorAll(".lr-quick"), function (x) { x.disabled = true; });
        b.classList.add("lr-chosen");
        submitRating(st.handoff_id, chosen, null, extra);
      });
      bar.appendChild(b);
    });
    var stars = el("div", "lr-buttons lr-stars");
    stars.setAttribute("aria-label", t("starsLabel"));
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", "lr-quick lr-star", String(n));
      b.type = "button";
      b.setAttribute("aria-label", t("star", { n: n }));
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
    var body = Object.assign({ sender: sessionId, handoff_id: handoffId, metadata: metadata() }, chosen, comment ? { comment: comment } : {});
    return fetch(cfg.server + "/webhooks/handoff/rate", { method: "POST", headers: { "Content-Type": "application/json" },
                                                          body: JSON.stringify(body) })
      .then(function (r) { return r.json(); }).then(function () {
        hand.ratedFor = handoffId;
        if (comment !== null) { extra.textContent = ""; extra.appendChild(el("p", null, t("rateThanks"))); return; }
        extra.textContent = "";
        var label = el("label", "lr-comment-label", t("commentLabel"));
        var box = el("textarea", "lr-input lr-comment");
        box.maxLength = 500; box.rows = 2; label.appendChild(box);
        var ok = el("button", "lr-send", t("submit")); ok.type = "button";
        var skip = el("button", "lr-fb", t("skip")); skip.type = "button";
        ok.addEventListener("click", function () { if (box.value.trim()) submitRating(handoffId, chosen, box.value.trim(), extra); else skip.click(); });
        skip.addEventListener("click", function () { extra.textContent = ""; extra.appendChild(el("p", null, t("rateThanks"))); });
        extra.appendChild(label); extra.appendChild(ok); extra.appendChild(skip);
        box.focus();
      }).catch(function () { extra.textContent = t("rateFailed"); });
  }
  function showLeaveMessage() {
    if (hand.formShown) return;
    hand.formShown = true;
    var box = el("form", "lr-msg lr-bot lr-leave");
    box.setAttribute("aria-label", t("leaveLabel"));
    box.appendChild(el("p", null, t("leaveIntro")));
    var label = el("label", "lr-comment-label", t("leaveText"));
    var text = el("textarea", "lr-input lr-leave-text");
    text.maxLength = 2000; text.rows = 3; label.appendChild(text);
    var ok = el("button", "lr-send", t("leaveSubmit")); ok.type = "submit";
    var note = el("p", "lr-leave-note");
    note.setAttribute("role", "status");
    box.appendChild(label); box.appendChild(ok); box.appendChild(note);
    box.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!text.value.trim()) { note.textContent = t("leaveEmpty"); return; }
      fetch(cfg.server + "/webhooks/handoff/message", { method: "POST", headers: { "Content-Type": "application/json" },
                                                         body: JSON.stringify({ sender: sessionId, text: text.value.trim(), metadata: metadata() }) })
        .then(function (r) { return r.json().then(function (d) { if (!r.ok) throw new Error(d.error); return d; }); })
        .then(function () { note.textContent = t("leaveDone"); text.disabled = true; ok.disabled = true; pollHandoff(); })
        .catch(function (err) { note.textContent = (err && err.message) || t("leaveFailed"); });
    });
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  // ---- start ---------------------------------------------------------------------
  if (history.length) history.forEach(render);
  else greet();
  if (!cfg.fullPage && sessionStorage.getItem(KEY_OPEN)) root.classList.add("lr-open");
  showLatest();
  autoGrow();
  pollHandoff();  // a hand-off in progress (or a rating to ask for) survives a reload
  if (window.io) connectSocket();
  else loadAsset("script", { src: base + "vendor/socket.io.min.js" }, connectSocket);
  // LRWidget.logout(): the host app logged its user out — the conversation and its
  // history are dropped at once and the next message starts a new, anonymous one.
  window.LRWidget = {
    open: function () { setOpen(true); }, close: function () { setOpen(false); },
    get sessionId() { return sessionId; },
    reconnect: function () { if (socket) socket.connect(); },
    endConversation: endConversation,
    logout: function () { startOver(); if (socket && socketReady) requestSession(); emit("logout"); },
    on: function (name, fn) {
      var h = function (e) { fn(e.detail); };
      window.addEventListener("lr:" + name, h);
      return function () { window.removeEventListener("lr:" + name, h); };
    },
    emit: emit
  };
  emit("ready");
  }
})();
