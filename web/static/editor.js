/* The education team's publishing page. All text from the server is inserted as text. */
(function () {
  "use strict";
  var $ = LR.$, el = LR.el, say = LR.say, T = LR.T.editor, t = function (k, v) { return LR.t("editor." + k, v); };
  var session = LR.staffSession("lr_staff", showApp), logout = session.logout;
  var current = null;  // {faq_id, lock, isNew, detail}
  var dirty = false, busy = 0;
  var POLL_MS = 3000;
  function api(method, path, body) { return session.api(method, "/api" + path, body); }
  function statusName(s) { return T.status[s] || s; }
  function me() { return session.me || {}; }

  // -- login ----------------------------------------------------------------------
  function showApp() {
    var who = session.me;
    $("login").hidden = !!session.token; $("app").hidden = !session.token; $("logout").hidden = !session.token;
    $("who").textContent = who ? who.name + "（" + (LR.T.common.roles[who.role] || who.role) + "）" : "";
    if (session.token) { loadEntries(); loadPolicyPaths(); }
  }
  $("logout").addEventListener("click", logout);
  $("login").addEventListener("submit", function (e) {
    e.preventDefault();
    var username = $("username").value;
    api("POST", "/staff/login", { username: username, password: $("password").value }).then(function (d) {
      $("login-error").textContent = ""; session.login(Object.assign({ username: username }, d));
    }).catch(function (err) { $("login-error").textContent = err.message; });
  });

  // -- tabs (the hidden attribute decides; [hidden] always wins in the CSS) ---------------
  function showTab(name) {
    Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (x) {
      var on = x.dataset.tab === name;
      x.classList.toggle("active", on); x.setAttribute("aria-selected", String(on));
    });
    ["entries", "insights", "lectures"].forEach(function (tab) { $("tab-" + tab).hidden = tab !== name; });
    if (name === "insights") loadInsights();
    if (name === "lectures") loadLectures();
  }
  Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (b) {
    b.addEventListener("click", function () { showTab(b.dataset.tab); });
  });

  // -- entries ------------------------------------------------------------------------
  function loadEntries() {
    api("GET", "/editor/entries?q=" + encodeURIComponent($("search").value)).then(function (list) {
      var ul = $("entries"); ul.textContent = "";
      list.forEach(function (item) {
        var li = el("li"), b = el("button", item.faq_id + " · " + item.question + "［" + statusName(item.status) + " v" + item.latest_version + "］");
        b.type = "button"; b.dataset.faqId = item.faq_id;
        b.addEventListener("click", function () { openEntry(item.faq_id); });
        li.appendChild(b); ul.appendChild(li);
      });
    });
  }
  var searchTimer;
  $("search").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(loadEntries, 250); });

  function formContent() {
    var lines = function (v) { return v.split("\n").map(function (s) { return s.trim(); }).filter(Boolean); };
    var list = function (v) { return v.split(/[,，]/).map(function (s) { return s.trim(); }).filter(Boolean); };
    return { category: $("f-category").value, question: $("f-question").value, paraphrases: lines($("f-paraphrases").value),
             answer: $("f-answer").value, tags: list($("f-tags").value), cites: list($("f-cites").value), money_topic: $("f-money").checked };
  }
  function fill(c) {
    $("f-category").value = c.category || ""; $("f-question").value = c.question || "";
    $("f-paraphrases").value = (c.paraphrases || []).join("\n"); $("f-answer").value = c.answer || "";
    $("f-tags").value = (c.tags || []).join(", "); $("f-cites").value = (c.cites || []).join(", "); $("f-money").checked = !!c.money_topic;
    dirty = false;
  }

  // -- validation: each message at its field; the offending text highlighted in the preview --
  var FIELD_INPUT = { id: "f-id", category: "f-category", question: "f-question", paraphrases: "f-paraphrases", answer: "f-answer",
                      tags: "f-tags", cites: "f-cites", money_topic: "f-money" };
  var lastProblems = [];
  function showProblems(problems) {
    lastProblems = problems;
    Array.prototype.forEach.call(document.querySelectorAll(".field-problems"), function (box) { box.textContent = ""; });
    Object.keys(FIELD_INPUT).forEach(function (f) { $(FIELD_INPUT[f]).removeAttribute("aria-invalid"); });
    var general = $("problems"); general.textContent = "";
    if (!problems.length) { general.appendChild(el("p", T.valid, "ok")); return; }
    problems.forEach(function (p) {
      var box = $("p-" + p.field) || general;
      var line = el("p", null, p.level);
      line.appendChild(el("strong", T.level[p.level] + " · " + (T.fields[p.field] || p.field) + "："));
      line.appendChild(document.createTextNode(p.message));
      if (p.span && FIELD_INPUT[p.field]) {  // jump to the text in the field
        var go = el("button", T.locate, "locate"); go.type = "button";
        go.addEventListener("click", function () { selectSpan(FIELD_INPUT[p.field], p.span); });
        line.appendChild(go);
      }
      box.appendChild(line);
      if (p.level === "error" && FIELD_INPUT[p.field]) $(FIELD_INPUT[p.field]).setAttribute("aria-invalid", "true");
    });
  }
  function selectSpan(inputId, span) {
    var box = $(inputId), at = box.value.indexOf(span);
    box.focus();
    if (at >= 0 && box.setSelectionRange) box.setSelectionRange(at, at + span.length);
  }
  /* The preview as text nodes, with each answer problem's offending text in a <mark>. */
  function showPreview(text) {
    var box = $("preview"); box.textContent = "";
    var raw = text || $("f-answer").value;
    var spans = lastProblems.filter(function (p) { return p.field === "answer" && p.span; }).map(function (p) {
      return { text: p.span, level: p.level, message: p.message };
    });
    var pos = 0;
    while (pos < raw.length) {
      var best = null;
      spans.forEach(function (s) {
        var at = raw.indexOf(s.text, pos);
        if (at >= 0 && (!best || at < best.at)) best = { at: at, s: s };
      });
      if (!best) { box.appendChild(document.createTextNode(raw.slice(pos))); break; }
      box.appendChild(document.createTextNode(raw.slice(pos, best.at)));
      var mark = el("mark", best.s.text, best.s.level); mark.title = best.s.message;
      box.appendChild(mark);
      pos = best.at + best.s.text.length;
    }
  }

  // -- policy picker: inserts {{ path | fmt }} at the cursor and cites the path ------------
  function loadPolicyPaths() {
    api("GET", "/editor/policy-paths").then(function (paths) {
      var sel = $("policy-picker");
      while (sel.options.length > 1) sel.remove(1);
      paths.forEach(function (p) {
        var o = el("option", p.path + " · " + p.shown); o.value = p.placeholder; o.dataset.path = p.path;
        sel.appendChild(o);
      });
    }).catch(function () {});
  }
  $("policy-picker").addEventListener("change", function () {
    var sel = $("policy-picker"), opt = sel.options[sel.selectedIndex];
    if (!sel.value) return;
    var box = $("f-answer"), start = box.selectionStart, end = box.selectionEnd;
    box.setRangeText(sel.value, start, end, "end");
    var cites = $("f-cites").value.split(/[,，]/).map(function (s) { return s.trim(); }).filter(Boolean);
    if (cites.indexOf(opt.dataset.path) < 0) { cites.push(opt.dataset.path); $("f-cites").value = cites.join(", "); }
    sel.value = "";
    box.focus();
    dirty = true;
    scheduleValidate();
  });

  // -- workflow buttons by role and state (an editor never sees 通过 or 发布) -----------------
  function allowedSteps(d) {
    var role = me().role, status = d ? d.latest.status : null, mine = d && d.latest.author === me().username;
    var allowed = {};
    if (!d) return allowed;
    if (status === "draft") allowed.submit = true;  // a returned version is saved again, as a new draft
    if (role === "reviewer" && status === "review" && !mine) { allowed.approve = true; allowed.reject = true; }
    if (role === "reviewer" && status === "approved") allowed.publish = true;
    if (role === "reviewer" && d.published_version && !d.retired) allowed.retire = true;
    return allowed;
  }
  function updateActions(d) {
    var allowed = allowedSteps(d);
    Array.prototype.forEach.call(document.querySelectorAll("[data-step]"), function (b) { b.hidden = !allowed[b.dataset.step]; });
    $("reject-box").hidden = true;
  }

  function openEntry(faqId, keepMessage) {
    busy++;
    return api("GET", "/editor/entries/" + encodeURIComponent(faqId)).then(function (d) {
      current = { faq_id: d.faq_id, lock: d.lock, stamp: d.stamp, isNew: false, detail: d };
      $("editor").hidden = false; $("f-id").value = d.faq_id; $("f-id").readOnly = true;
      $("editor-title").textContent = d.faq_id;
      $("entry-state").textContent = t("latest", { version: d.latest.version, status: statusName(d.latest.status), author: d.latest.author,
        live: d.published_version ? "v" + d.published_version : T.noLive }) + (d.retired ? T.retiredMark : "");
      var rejected = d.latest.status === "rejected" && d.versions.length && d.versions[0].note;
      $("reject-shown").hidden = !rejected;
      $("reject-shown").textContent = rejected ? t("rejectedBecause", { note: d.versions[0].note }) : "";
      fill(d.latest.content); if (!keepMessage) say(""); validateNow(); updateActions(d);
      showChanges(d.changes || {});
      var vs = $("versions"); vs.textContent = "";
      d.versions.forEach(function (v) {
        var li = el("li", t("version", { version: v.version, status: statusName(v.status), author: v.author,
                                         reviewer: v.reviewer ? t("reviewedBy", { name: v.reviewer }) : "",
                                         at: shanghai(v.created_at), note: v.note ? " · " + v.note : "" }));
        if ((v.status === "superseded") && me().role === "reviewer") {
          var b = el("button", T.rollback); b.type = "button"; b.dataset.rollback = v.version;
          b.addEventListener("click", function () { step("rollback", { version: v.version }); });
          li.appendChild(b);
        }
        vs.appendChild(li);
      });
      (d.requests || []).forEach(function (r) {  // changes waiting for a second person
        var li = el("li", t("pendingRequest", { action: T.changeActions[r.action] || r.action, version: r.version, by: r.requested_by,
                                                reason: r.reason ? " · " + r.reason : "" }));
        ["approve", "reject"].forEach(function (decision) {
          var b = el("button", decision === "approve" ? T.approve : T.decline); b.type = "button"; b.dataset.request = r.id; b.dataset.decision = decision;
          b.addEventListener("click", function () { decide(r.id, decision); });
          li.appendChild(b);
        });
        vs.insertBefore(li, vs.firstChild);
      });
      var hs = $("history"); hs.textContent = "";
      d.history.forEach(function (h) {
        hs.appendChild(el("li", (h.flagged ? "⚠ " : "") + shanghai(h.at) + " " + h.actor + " " + (T.steps[h.action] || T.historyActions[h.action] || h.action) + (h.version ? " v" + h.version : "") +
          (h.action === "reject" && h.diff ? "：" + h.diff : "")));
      });
      return true;
    }).catch(function (err) { say(err.message, true); return false; }).then(function (ok) { busy--; return ok; });
  }
  /* After a change: the list and the entry read back, then the message, so that the message
     never shows before the buttons and versions it speaks of. */
  function reopenSaying(faqId, message) {
    loadEntries();
    return openEntry(faqId, true).then(function (ok) { if (ok) say(message); });
  }
  /* Server times (UTC ISO) as Beijing time. */
  function shanghai(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return iso;
    return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit", day: "2-digit",
                                       hour: "2-digit", minute: "2-digit" });
  }
  /* Word diffs against the live version: placeholders are whole tokens. */
  function showChanges(changes) {
    var box = $("changes"); box.textContent = "";
    var keys = Object.keys(changes);
    if (!keys.length) { box.appendChild(el("p", T.sameAsLive, "muted")); return; }
    keys.forEach(function (k) {
      var p = el("p", null, "diff"); p.dataset.field = k;
      p.appendChild(el("strong", (T.fields[k] || k) + "："));
      changes[k].forEach(function (part) {
        p.appendChild(part.op === "eq" ? document.createTextNode(part.text) : el(part.op === "ins" ? "ins" : "del", part.text));
      });
      box.appendChild(p);
    });
  }
  function newEntry(content, message) {
    current = { faq_id: null, lock: null, isNew: true, detail: null };
    $("editor").hidden = false; $("f-id").readOnly = false; $("f-id").value = ""; $("editor-title").textContent = T.newEntry;
    $("entry-state").textContent = ""; $("reject-shown").hidden = true; fill(content || {});
    $("versions").textContent = ""; $("history").textContent = ""; showChanges({}); say(message || "");
    updateActions(null);
    if (content) { dirty = true; validateNow(); }
  }
  $("new-entry").addEventListener("click", function () { newEntry(); });

  var validateTimer;
  function validateNow() {
    api("POST", "/editor/validate", { faq_id: $("f-id").value, content: formContent() }).then(function (d) {
      showProblems(d.problems); showPreview(d.preview);
    }).catch(function () {});
  }
  function scheduleValidate() { clearTimeout(validateTimer); validateTimer = setTimeout(validateNow, 400); }
  $("editor").addEventListener("input", function (e) {
    if (e.target.id === "reject-note") return;
    dirty = true; scheduleValidate();
  });

  $("editor").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = $("f-id").value.trim();
    busy++;
    api("PUT", "/editor/entries/" + encodeURIComponent(id), { content: formContent(), lock: current && !current.isNew ? current.lock : null })
      .then(function (d) {
        showProblems(d.problems);
        current = { faq_id: id, lock: d.lock, isNew: false };
        return reopenSaying(id, t("saved", { version: d.version }) + (d.problems.some(function (p) { return p.level === "error"; }) ? T.savedWithErrors : ""));
      }).catch(function (err) { say(err.message, true); }).then(function () { busy--; });
  });
  function decide(id, decision) {
    api("POST", "/editor/requests/" + id + "/" + decision, {}).then(function (d) {
      return reopenSaying(current.faq_id, decision === "approve" ? t("approved", { version: d.version ? t("approvedVersion", { version: d.version }) : "" }) : T.declined);
    }).catch(function (err) { say(err.message, true); });
  }
  function step(name, body) {
    if (!current || !current.faq_id) return;
    if (name === "publish" || name === "retire" || name === "rollback") {  // needs another reviewer's approval
      api("POST", "/editor/entries/" + encodeURIComponent(current.faq_id) + "/request", Object.assign({ action: name }, body || {})).then(function () {
        return reopenSaying(current.faq_id, t("requested", { action: T.changeActions[name] }));
      }).catch(function (err) { say(err.message, true); });
      return;
    }
    busy++;
    api("POST", "/editor/entries/" + encodeURIComponent(current.faq_id) + "/" + name, body || {}).then(function (d) {
      return reopenSaying(current.faq_id, T.done[name] + (d.version ? "（v" + d.version + "）" : ""));
    }).catch(function (err) { say(err.message, true); }).then(function () { busy--; });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-step]"), function (b) {
    b.addEventListener("click", function () {
      if (b.dataset.step === "reject") { $("reject-box").hidden = false; $("reject-error").textContent = ""; $("reject-note").focus(); return; }
      step(b.dataset.step);
    });
  });
  $("reject-confirm").addEventListener("click", function () {
    var note = $("reject-note").value.trim();
    if (!note) { $("reject-error").textContent = T.rejectNeedsReason; $("reject-note").focus(); return; }
    $("reject-note").value = "";
    step("reject", { note: note });
  });
  $("reject-cancel").addEventListener("click", function () { $("reject-box").hidden = true; });

  // -- someone else changed the entry: refresh (or say so, when there are unsaved edits) ------
  setInterval(function () {
    if (!session.token || !current || current.isNew || !current.faq_id || busy || $("tab-entries").hidden) return;
    var openId = current.faq_id, stamp = current.stamp;
    api("GET", "/editor/entries/" + encodeURIComponent(openId) + "/state").then(function (s) {
      if (busy || !current || current.faq_id !== openId || current.stamp !== stamp || s.stamp === stamp) return;
      var note = t("changedElsewhere", { who: s.by || "", status: statusName(s.status), version: s.version });
      if (dirty) { say(note + T.unsavedConflict, true); current.stamp = s.stamp; return; }
      openEntry(openId, true).then(function () { say(note); });
      loadEntries();
    }).catch(function () {});
  }, POLL_MS);

  $("try").addEventListener("click", function () {
    api("POST", "/editor/try", { text: $("try-text").value, faq_id: $("f-id").value, content: formContent() }).then(function (d) {
      showRanked($("try-before"), d.before); showRanked($("try-after"), d.after);
    }).catch(function (err) { say(err.message, true); });
  });
  function showRanked(list, items) {
    list.textContent = "";
    items.forEach(function (h) { list.appendChild(el("li", h.faq_id + " · " + h.question + " · " + h.score.toFixed(3))); });
  }

  // -- insights: charts (ECharts), clusters, 起草条目 ------------------------------------------
  var charts = {};
  function chart(id) {
    if (!window.echarts) return null;
    if (!charts[id]) charts[id] = echarts.init($(id), null, { renderer: "canvas" });
    return charts[id];
  }
  window.addEventListener("resize", function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); });
  function rangeQuery() {
    var q = [];
    if ($("r-from").value) q.push("from=" + $("r-from").value);
    if ($("r-to").value) q.push("to=" + $("r-to").value);
    return q.length ? "?" + q.join("&") : "";
  }
  var BAR = { animation: false, color: ["#a8071a", "#fa8c16", "#1d39c4", "#389e0d"], textStyle: { fontSize: 13 } };
  function drawCharts(c) {
    var days = c.days.map(function (d) { return d.slice(5); });
    var trend = chart("chart-trend");
    if (!trend) return;
    trend.setOption(Object.assign({}, BAR, {
      tooltip: { trigger: "axis" }, legend: { data: [T.series.unanswered, T.series.unhelpful] },
      xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 }, grid: { left: 40, right: 16, bottom: 30 },
      series: [{ name: T.series.unanswered, type: "line", data: c.unanswered },
               { name: T.series.unhelpful, type: "line", data: c.unhelpful }]
    }), true);
    var topics = c.top_topics.slice().reverse();
    chart("chart-topics").setOption(Object.assign({}, BAR, {
      title: empty(topics.length), tooltip: {}, grid: { left: 150, right: 24, bottom: 24 }, xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: topics.map(function (x) { return short(x.topic, 12); }) },
      series: [{ name: T.series.asked, type: "bar", data: topics.map(function (x) { return x.count; }) }]
    }), true);
    var rates = c.unhelpful_rate.slice().reverse();
    chart("chart-unhelpful").setOption(Object.assign({}, BAR, {
      tooltip: { formatter: function (p) { var r = rates[p.dataIndex]; return r.topic + "：" + r.unhelpful + "/" + r.total; } },
      title: empty(rates.length), grid: { left: 150, right: 24, bottom: 24 }, xAxis: { type: "value", max: 1, axisLabel: { formatter: pct } },
      yAxis: { type: "category", data: rates.map(function (x) { return short(x.topic, 12); }) },
      series: [{ name: T.series.rate, type: "bar", data: rates.map(function (x) { return x.rate; }), itemStyle: { color: "#fa8c16" } }]
    }), true);
    chart("chart-rates").setOption(Object.assign({}, BAR, {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : pct(v); } },
      legend: { data: [T.series.clarify, T.series.handoff] }, grid: { left: 48, right: 16, bottom: 30 },
      xAxis: { type: "category", data: days }, yAxis: { type: "value", axisLabel: { formatter: pct } },
      series: [{ name: T.series.clarify, type: "line", data: c.clarify_rate, connectNulls: true },
               { name: T.series.handoff, type: "line", data: c.handoff_rate, connectNulls: true }]
    }), true);
  }
  function empty(has) {  // an empty chart says so
    return has ? { show: false } : { show: true, text: T.noData, left: "center", top: "middle", textStyle: { fontSize: 14, color: "#8c8c8c" } };
  }
  function pct(v) { return Math.round(v * 1000) / 10 + "%"; }
  function short(s, n) { return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  /* Satisfaction ratings: drawn once the hand-off side exposes them; a 404 just hides the chart. */
  function loadRatings() {
    var q = rangeQuery();
    fetch("/api/editor/insights/ratings" + q, { headers: { Authorization: "Bearer " + session.token } }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (data) {
      var pairs = ratingPairs(data);
      $("ratings-none").hidden = pairs.length > 0; $("chart-ratings").hidden = !pairs.length;
      if (!pairs.length) return;
      var c = chart("chart-ratings");
      if (c) {
        c.resize();
        c.setOption(Object.assign({}, BAR, {
          tooltip: {}, grid: { left: 40, right: 16, bottom: 30 }, xAxis: { type: "category", data: pairs.map(function (p) { return p[0]; }) },
          yAxis: { type: "value", minInterval: 1 }, series: [{ type: "bar", data: pairs.map(function (p) { return p[1]; }), itemStyle: { color: "#389e0d" } }]
        }), true);
      }
    }).catch(function () { $("ratings-none").hidden = false; $("chart-ratings").hidden = true; });
  }
  function ratingPairs(data) {  // {"5": 3, ...} | [{score|rating|label, count}] | {ratings|counts: either}
    var d = data && (data.ratings || data.counts || data.distribution) || data;
    if (Array.isArray(d)) return d.map(function (x) { return [String(x.label || x.score || x.rating), Number(x.count || x.n || 0)]; });
    if (d && typeof d === "object") return Object.keys(d).filter(function (k) { return typeof d[k] === "number"; }).map(function (k) { return [k, d[k]]; });
    return [];
  }
  function loadInsights() {
    var q = rangeQuery();
    $("range-error").textContent = "";
    api("GET", "/editor/insights/charts" + q).then(function (c) {
      if (!$("r-from").value) $("r-from").value = c.from;
      if (!$("r-to").value) $("r-to").value = c.to;
      drawCharts(c);
    }).catch(function (err) { $("range-error").textContent = err.message; });
    loadRatings();
    api("GET", "/editor/insights" + q).then(function (groups) {
      var box = $("insights"); box.textContent = "";
      if (!groups.length) box.appendChild(el("p", T.noData, "muted"));
      groups.forEach(function (g) {
        var d = el("div", null, "card cluster"); d.dataset.faqId = g.faq_id || "";
        var h = el("h4", g.topic + " · " + t("clusterCount", { n: g.count }));
        d.appendChild(h);
        d.appendChild(el("p", Object.keys(g.sources).map(function (k) { return k + " " + g.sources[k]; }).join("，") + t("latestAt", { at: g.latest }), "muted"));
        var ul = el("ul"); g.examples.forEach(function (x) { ul.appendChild(el("li", x.at + " ［" + x.source + "］ " + x.text)); });
        d.appendChild(ul);
        if (g.questions.length) {
          var b = el("button", T.draftFromCluster, "draft"); b.type = "button";
          b.addEventListener("click", function () { draftFromCluster(g); });
          d.appendChild(b);
        }
        box.appendChild(d);
      });
    }).catch(function (err) { $("range-error").textContent = err.message; });
    api("GET", "/editor/hot-questions").then(function (list) {
      $("hot-lines").value = list.map(function (h) { return h.title + "|" + h.question; }).join("\n");
    }).catch(function () {});
  }
  $("range").addEventListener("submit", function (e) { e.preventDefault(); loadInsights(); });
  function draftFromCluster(g) {
    showTab("entries");
    var qs = g.questions.slice();
    newEntry({ question: qs[0] || "", paraphrases: qs.slice(1), tags: [], cites: [], answer: "", category: "" }, T.draftNote);
    $("f-id").focus();
  }
  $("hot-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var items = $("hot-lines").value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean).map(function (l) {
      var parts = l.split(/[|｜]/); return { title: parts[0].trim(), question: (parts[1] || parts[0]).trim() };
    });
    api("PUT", "/editor/hot-questions", { items: items }).then(function () { $("hot-message").textContent = T.hotSaved; })
      .catch(function (err) { $("hot-message").textContent = err.message; });
  });
  $("csv").addEventListener("click", function (e) {
    e.preventDefault();
    fetch("/api/editor/insights.csv", { headers: { Authorization: "Bearer " + session.token } }).then(function (r) { return r.blob(); }).then(function (b) {
      var a = document.createElement("a"); a.href = URL.createObjectURL(b); a.download = "insights.csv"; a.click();
    });
  });
  function loadLectures() {
    api("GET", "/editor/lectures").then(function (list) {
      var ul = $("lectures"); ul.textContent = "";
      list.forEach(function (l) { ul.appendChild(el("li", l.day + " " + l.title + "（" + l.place + "）")); });
    });
  }
  $("lecture-form").addEventListener("submit", function (e) {
    e.preventDefault();
    api("POST", "/editor/lectures", { title: $("l-title").value, day: $("l-day").value, place: $("l-place").value })
      .then(function () { $("lecture-form").reset(); loadLectures(); }).catch(function (err) { alert(err.message); });
  });

  showApp();
})();
