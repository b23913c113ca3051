/* Agents' console: a live inbox (server-sent events, patched row by row so focus and
   scroll stay put), the open conversation, client figures, suggestions, canned replies. */
(function () {
  "use strict";
  var server = (window.LR_CONFIG && window.LR_CONFIG.server) || "http://127.0.0.1:5005";
  var $ = LR.$, el = LR.el, say = LR.say, T = LR.T.agent, t = function (k, v) { return LR.t("agent." + k, v); };
  var session = LR.staffSession("lr_agent", show), api = session.api;
  var TITLE = T.title;
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
      if (d.role !== "agent") { $("login-error").textContent = T.notAgent; return; }
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
    if (s < 60) return T.justNow;
    if (s < 3600) return t("minutes", { m: Math.floor(s / 60) });
    return t("hours", { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }
  function named(name) { return name ? t("named", { name: name }) : ""; }
  function rowLabel(h) {
    return t("rowLabel", { client: h.client_id || T.anonymous, priority: h.priority_label, state: h.state_label,
                           agent: named(h.agent_name), reason: h.reason, wait: waitText(h.waiting_s) });
  }
  function fillRow(btn, h) {
    btn.textContent = "";
    var top = el("span", null, "row-top");
    top.appendChild(el("span", h.priority_label, "tag " + PRIORITY_CLASS[h.priority]));
    top.appendChild(el("strong", h.client_id || T.anonymous));
    top.appendChild(el("span", "#" + h.sender_id.slice(0, 6), "muted sid"));
    top.appendChild(el("span", h.state_label + (h.agent_name ? " · " + h.agent_name : ""), "state s-" + h.state));
    btn.appendChild(top);
    var mid = el("span", null, "row-mid");
    mid.appendChild(el("span", (h.kind === "message" ? T.messageMark : "") + h.reason, "reason"));
    mid.appendChild(el("span", t("waiting", { wait: waitText(h.waiting_s) }), "wait"));
    btn.appendChild(mid);
    btn.appendChild(el("span", h.last_message ? t("quoted", { text: h.last_message.text }) : T.noClientMessage, "last"));
    btn.setAttribute("aria-label", rowLabel(h) + (h.last_message ? t("rowLastMessage", { text: h.last_message.text }) : ""));
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
    $("page-info").textContent = t("pageInfo", { page: d.page, pages: pages, total: d.total });
    $("prev").disabled = d.page <= 1; $("next").disabled = d.page >= pages;
    notifyQueue(d);
  }

  // ---- notifications: title count, badge, optional sound, desktop notification -------
  var knownQueued = null;
  function notifyQueue(d) {
    var waiting = d.counts.queued;
    document.title = waiting ? "(" + waiting + ") " + TITLE : TITLE;
    $("badge").hidden = !waiting; $("badge").textContent = waiting ? t("badge", { n: waiting }) : "";
    var queuedNow = d.items.filter(function (h) { return h.state === "queued"; });
    if (knownQueued === null) { knownQueued = {}; queuedNow.forEach(function (h) { knownQueued[h.id] = 1; }); return; }
    var fresh = queuedNow.filter(function (h) { return !knownQueued[h.id]; });
    queuedNow.forEach(function (h) { knownQueued[h.id] = 1; });
    if (!fresh.length) return;
    var text = t("newHandoffs", { items: fresh.map(function (h) {
      return t("newHandoff", { client: h.client_id || T.anonymous, priority: h.priority_label, reason: h.reason });
    }).join("；") });
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
    $("conv-title").textContent = t("convTitle", { client: d.client_id ? t("client", { id: d.client_id }) : T.anonymous,
                                                    sid: d.sender_id.slice(0, 8) });
    $("conv-state").textContent = d.state_label + named(d.agent_name);
    $("conv-state").className = "state s-" + d.state;
    $("conv-reason").textContent = t("convReason", { reason: d.reason, priority: d.priority_label, wait: waitText(d.waiting_s) });
    // actions only where they apply
    var mine = mineHeld(d);
    $("take").disabled = d.state !== "queued";
    $("take").title = d.state === "queued" ? "" : (d.state === "held" ? t("takenBy", { name: d.agent_name || d.agent }) : T.ended);
    $("close").disabled = !(mine || d.state === "queued");
    $("transfer").disabled = !mine || !$("transfer-to").options.length;
    $("transfer-to").disabled = !mine;
    $("send").disabled = !mine; $("reply-text").disabled = !mine;
    $("reply-text").placeholder = mine ? "" : (d.state === "queued" ? T.takeFirst : (d.state === "closed" ? T.ended : T.heldByOther));
    // transcript: append only the messages not shown yet (the log announces just those)
    var box = $("transcript"), atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    var shown = box.dataset.last ? Number(box.dataset.last) : 0;
    d.transcript.forEach(function (m) {
      if (m.id <= shown) return;
      var p = el("p", null, m.role);
      p.appendChild(el("span", "[" + new Date(m.at).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }) + "] ", "muted"));
      p.appendChild(el("strong", t("speaker", { role: T.roles[m.role] || m.role, author: m.role === "agent" ? named(m.author) : "" })));
      p.appendChild(document.createTextNode(m.text));
      box.appendChild(p); box.dataset.last = m.id;
    });
    if (atBottom) box.scrollTop = box.scrollHeight;
    var notes = $("notes");
    d.notes.slice(notes.children.length).forEach(function (n) {
      notes.appendChild(el("li", t("note", { name: n.agent_name, time: new Date(n.at).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" }), text: n.text })));
    });
    var clientMsgs = d.transcript.filter(function (m) { return m.role === "client"; });
    var latest = clientMsgs.length ? clientMsgs[clientMsgs.length - 1].text : null;
    if (latest && latest !== state.lastClientText) { state.lastClientText = latest; suggest(latest, d); }
  }
  function renderClient(c) {
    var facts = $("client"); facts.textContent = ""; state.client = c;
    if (!c) { facts.appendChild(el("dd", T.noFacts, "muted")); return; }
    Object.keys(T.facts).forEach(function (k) {  // the restore line in a label comes from the API (policy.yml)
      if (c[k] == null) return;
      facts.appendChild(el("dt", t("facts." + k, { restore_to: c.restore_to })));
      var dd = el("dd", k === "zone" ? (T.zones[c[k]] || c[k]) : c[k]);
      if (k === "margin_call_deadline" && c.margin_call_overdue) { dd.className = "overdue"; dd.textContent = t("overdue", { value: c[k] }); }
      facts.appendChild(dd);
    });
  }

  // ---- suggestions for the conversation ---------------------------------------------------
  function conversationTurns(d) {
    return d.transcript.filter(function (m) { return m.role === "client" || m.role === "bot" || m.role === "agent"; })
      .slice(-10).map(function (m) { return { role: m.role, text: m.text.slice(0, 2000) }; });
  }
  function suggest(text, d) {
    state.suggestFor = text; $("suggest-for").textContent = t("suggestFor", { text: text });
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
          li.appendChild(el("div", t("suggestionMeta", { faq_id: s.faq_id, version: s.version, score: Number(s.score).toFixed(3),
            cites: s.cites && s.cites.length ? t("suggestionCites", { cites: s.cites.join("、") }) : "" }), "muted"));
          li.appendChild(el("div", s.answer, "answer"));
          var use = el("button", T.insert); use.type = "button"; use.className = "use";
          use.setAttribute("aria-label", t("insertLabel", { question: s.question }));
          use.addEventListener("click", function () { insert(s.answer); });
          var wrong = el("button", T.flagWrong); wrong.type = "button";
          wrong.setAttribute("aria-label", t("flagWrongLabel", { question: s.question }));
          wrong.addEventListener("click", function () {
            api("POST", "/api/agent/flags", { kind: "wrong", faq_id: s.faq_id, text: state.suggestFor }).then(function () { wrong.disabled = true; wrong.textContent = T.flagged; });
          });
          li.appendChild(use); li.appendChild(wrong); ol.appendChild(li);
        });
      }).catch(function () { $("suggest-for").textContent = T.suggestUnavailable; });
  }
  function insert(text) {
    var box = $("reply-text");
    if (box.disabled) { say(T.takeFirst, true); return; }
    box.value = box.value ? box.value + "\n" + text : text; box.focus();
  }
  $("suggest").addEventListener("click", function () { if ($("paste").value.trim()) suggest($("paste").value.trim(), null); });
  $("flag-missing").addEventListener("click", function () {
    if (!state.suggestFor) return;
    api("POST", "/api/agent/flags", { kind: "missing", text: state.suggestFor }).then(function () { $("suggest-for").textContent = t("flaggedMissing", { text: state.suggestFor }); });
  });

  // ---- canned replies (shared library) ---------------------------------------------------
  function loadCanned() {
    api("GET", "/api/agent/canned").then(function (list) {
      var ul = $("canned"); ul.textContent = "";
      list.forEach(function (c) {
        var li = el("li");
        var use = el("button", c.title, "use-canned"); use.type = "button"; use.title = c.text;
        use.setAttribute("aria-label", t("insertCanned", { title: c.title }));
        use.addEventListener("click", function () { insert(c.text); });
        var edit = el("button", T.edit, "small"); edit.type = "button"; edit.setAttribute("aria-label", t("editCanned", { title: c.title }));
        edit.addEventListener("click", function () {
          $("canned-edit").open = true; $("canned-id").value = c.id; $("canned-title").value = c.title;
          $("canned-body").value = c.body; $("canned-title").focus();
        });
        var del = el("button", T.remove, "small"); del.type = "button"; del.setAttribute("aria-label", t("removeCanned", { title: c.title }));
        del.addEventListener("click", function () {
          if (!window.confirm(t("removeConfirm", { title: c.title }))) return;
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
      $("canned-msg").textContent = T.saved; $("canned-msg").className = ""; clearCanned(); loadCanned();
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
    act("/take", undefined, function () { say(T.taken); $("reply-text").disabled = false; $("reply-text").focus(); })
      .then(function () { if (state.detail && state.detail.state === "queued") $("take").disabled = false; });
  });
  $("transfer").addEventListener("click", function () {
    var to = $("transfer-to").value; if (!to) return;
    act("/transfer", { to: to }, function (d) { say(t("transferred", { name: d.to_name })); });
  });
  var dialog = $("confirm-close");
  $("close").addEventListener("click", function () {
    if (dialog.showModal) { dialog.showModal(); $("confirm-no").focus(); }
    else if (window.confirm(T.closeConfirm)) closeConversation();
  });
  $("confirm-no").addEventListener("click", function () { dialog.close(); $("close").focus(); });
  $("confirm-yes").addEventListener("click", function () { dialog.close(); closeConversation(); });
  function closeConversation() { act("/close", undefined, function () { say(T.closed); }); }
  function sendReply() {
    var text = $("reply-text").value.trim(); if (!text || $("send").disabled) return;
    act("/send", { text: text }, function () { $("reply-text").value = ""; say(T.sent); });
  }
  $("reply").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
  $("reply-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendReply(); }
    else if (e.key === "Escape") { e.preventDefault(); $("reply-text").value = ""; say(T.cancelled); }
  });
  $("cancel-reply").addEventListener("click", function () { $("reply-text").value = ""; say(T.cancelled); $("reply-text").focus(); });
  $("reply-text").addEventListener("input", function () {
    var now = Date.now();
    if (!mineHeld(state.detail) || now - state.typingSent < 2000) return;
    state.typingSent = now; api("POST", "/api/agent/handoffs/" + state.current + "/typing").catch(function () {});
  });
  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("note-text").value.trim(); if (!text) return;
    act("/notes", { text: text }, function () { $("note-text").value = ""; say(T.noteAdded); });
  });

  show();
})();
