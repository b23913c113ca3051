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
    server: "http://127.0.0.1:5005", title: "两融智能助手", primaryColor: null, fullPage: false,
    getToken: function () { return sessionStorage.getItem("lr_token"); }, socketTimeoutMs: 4000,
    hotQuestions: null  // [{title, question}]: overrides the chips the server suggests
  };
  var cfg = Object.assign({}, defaults, window.LR_CONFIG || {});
  var MAX_CHARS = 2000, COUNTER_FROM = 1800, MAX_LINES = 5;
  var KEY_SESSION = "lr_session_id", KEY_HISTORY = "lr_history", KEY_OPEN = "lr_open";
  function newSessionId() {
    return (window.crypto && crypto.randomUUID ? crypto.randomUUID().replace(/-/g, "")
            : Math.random().toString(36).slice(2) + Date.now().toString(36));
  }
  var sessionId = localStorage.getItem(KEY_SESSION);
  if (!sessionId) {
    sessionId = newSessionId();
    localStorage.setItem(KEY_SESSION, sessionId);
  }

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
    if (open) refreshSession();
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
      var note = el("a", "lr-privacy", "隐私说明：我们保存什么、保存多久");
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
  try { history = JSON.parse(localStorage.getItem(KEY_HISTORY) || "[]"); } catch (e) { history = []; }
  function saveHistory() { localStorage.setItem(KEY_HISTORY, JSON.stringify(history.slice(-200))); }
  function add(item) {
    item.ts = item.ts || Date.now(); history.push(item); saveHistory(); render(item); showLatest();
    return item;
  }

  function botMessage(m) {
    var custom = m.custom || {};
    var buttons = (m.quick_replies || m.buttons || []).map(function (b) { return { title: b.title, payload: b.payload }; });
    if (!m.text && !buttons.length) return;
    add({ from: custom.from === "agent" ? "agent" : (custom.alert ? "alert" : "bot"), text: m.text || "", buttons: buttons,
          topic: custom.topic || null, label: custom.from === "agent" ? t("agent") : (custom.alert ? t("alert") : null),
          faqId: custom.faq_id || null, version: custom.version || null,
          personal: custom.personal ? { kind: custom.personal, zone: custom.zone || null, margin_call: !!custom.margin_call } : null });
    emit("message", { from: custom.from === "agent" ? "agent" : "bot", text: m.text || "", custom: custom });
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
    typing.hidden = pending === 0;
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
    if (!window.io) { root.dataset.transport = "rest"; probeConnection(); return; }  // no socket.io: REST only
    socket = window.io(cfg.server, { path: "/socket.io", transports: ["websocket"], reconnectionDelayMax: 5000,
                                     timeout: cfg.socketTimeoutMs });
    socket.on("connect", requestSession);
    socket.on("session_confirm", function () {
      socketReady = true; root.dataset.transport = "socket"; status.textContent = ""; setConnection(true);
    });
    socket.on("disconnect", function () {
      socketReady = false; root.dataset.transport = "rest"; status.textContent = t("reconnecting"); probeConnection();
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

  function sendRest(message, shown) {
    return fetch(cfg.server + "/webhooks/rest/webhook", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sessionId, message: message, metadata: metadata(shown, message),
                             message_id: sessionId.slice(0, 16) + "-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8) })
    }).then(function (r) {
      if (r.status >= 500) throw new Error("server " + r.status);
      return r.json();
    }).then(function (data) {
      showTyping(false);
      setConnection(true);
      if (Array.isArray(data)) data.forEach(botMessage);
      else botMessage({ text: t("sendFailed", { error: data.error || "请稍后再试" }) });
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
    var item = retrying || add({ from: "user", text: shown || message, payload: shown ? message : undefined });
    if (retrying) markUnsent(item, false);
    emit("message", { from: "user", text: shown || message });
    showTyping(true);
    if (socket && socketReady) {
      refreshSession();
      socket.emit("user_uttered", { message: message, session_id: sessionId, metadata: metadata(shown, message) });
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
    confirmBar.appendChild(button("lr-confirm-no", "取消", function () { confirmBar.hidden = true; endButton.focus(); }));
    confirmBar.hidden = false;
    confirmBar.querySelector(".lr-confirm-yes").focus();
  }
  function endConversation() {
    confirmBar.hidden = true;
    history = [];
    saveHistory();
    rowOf.clear();
    log.textContent = "";
    sessionId = newSessionId();  // a new conversation on the server too
    localStorage.setItem(KEY_SESSION, sessionId);
    if (socket && socketReady) requestSession();
    status.textContent = t("ended");
    greet();
    input.focus();
  }
  endButton.addEventListener("click", askEnd);

  // ---- start ---------------------------------------------------------------------
  if (history.length) history.forEach(render);
  else greet();
  if (!cfg.fullPage && sessionStorage.getItem(KEY_OPEN)) root.classList.add("lr-open");
  showLatest();
  autoGrow();
  if (window.io) connectSocket();
  else loadAsset("script", { src: base + "vendor/socket.io.min.js" }, connectSocket);
  window.LRWidget = {
    open: function () { setOpen(true); }, close: function () { setOpen(false); },
    get sessionId() { return sessionId; },
    reconnect: function () { if (socket) socket.connect(); },
    endConversation: endConversation,
    on: function (name, fn) {
      var h = function (e) { fn(e.detail); };
      window.addEventListener("lr:" + name, h);
      return function () { window.removeEventListener("lr:" + name, h); };
    },
    emit: emit  // for the identity code's logout(): LRWidget.emit("logout")
  };
  emit("ready");
  }
})();
