/* The education team's publishing page. All text from the server is inserted as text. */
(function () {
  "use strict";
  var $ = LR.$, el = LR.el, say = LR.say;
  var session = LR.staffSession("lr_staff", showApp), logout = session.logout;
  var current = null;  // {faq_id, lock, isNew}
  function api(method, path, body) { return session.api(method, "/api" + path, body); }

  // -- login ----------------------------------------------------------------------
  function showApp() {
    var me = session.me;
    $("login").hidden = !!session.token; $("app").hidden = !session.token; $("logout").hidden = !session.token;
    $("who").textContent = me ? me.name + "（" + (me.role === "reviewer" ? "审核人" : "编辑") + "）" : "";
    if (session.token) loadEntries();
  }
  $("logout").addEventListener("click", logout);
  $("login").addEventListener("submit", function (e) {
    e.preventDefault();
    api("POST", "/staff/login", { username: $("username").value, password: $("password").value }).then(function (d) {
      $("login-error").textContent = ""; session.login(d);
    }).catch(function (err) { $("login-error").textContent = err.message; });
  });

  // -- tabs -------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (b) {
    b.addEventListener("click", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".tabs button"), function (x) { x.classList.toggle("active", x === b); });
      ["entries", "insights", "lectures"].forEach(function (t) { $("tab-" + t).hidden = t !== b.dataset.tab; });
      if (b.dataset.tab === "insights") loadInsights();
      if (b.dataset.tab === "lectures") loadLectures();
    });
  });

  // -- entries ------------------------------------------------------------------------
  function loadEntries() {
    api("GET", "/editor/entries?q=" + encodeURIComponent($("search").value)).then(function (list) {
      var ul = $("entries"); ul.textContent = "";
      list.forEach(function (item) {
        var li = el("li"), b = el("button", item.faq_id + " · " + item.question + " [" + item.status + " v" + item.latest_version + "]");
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
  }
  function showProblems(problems) {
    var box = $("problems"); box.textContent = "";
    if (!problems.length) { box.appendChild(el("p", "✓ 校验通过")); return; }
    problems.forEach(function (p) { box.appendChild(el("p", (p.level === "error" ? "错误 " : "提示 ") + p.field + "：" + p.message, p.level)); });
  }
  function openEntry(faqId, keepMessage) {
    api("GET", "/editor/entries/" + encodeURIComponent(faqId)).then(function (d) {
      current = { faq_id: d.faq_id, lock: d.lock, isNew: false };
      $("editor").hidden = false; $("f-id").value = d.faq_id; $("f-id").readOnly = true;
      $("editor-title").textContent = d.faq_id;
      $("entry-state").textContent = "最新版本 v" + d.latest.version + "（" + d.latest.status + "，作者 " + d.latest.author + "）；线上版本 " +
        (d.published_version ? "v" + d.published_version : "无") + (d.retired ? "（已下线）" : "");
      fill(d.latest.content); if (!keepMessage) say(""); validateNow();
      var vs = $("versions"); vs.textContent = "";
      d.versions.forEach(function (v) {
        var li = el("li", "v" + v.version + " " + v.status + " · " + v.author + (v.reviewer ? " / 审核 " + v.reviewer : "") + " · " + v.created_at.slice(0, 16) + (v.note ? " · " + v.note : ""));
        if ((v.status === "superseded") && session.me && session.me.role === "reviewer") {
          var b = el("button", "回滚到此版本"); b.type = "button"; b.dataset.rollback = v.version;
          b.addEventListener("click", function () { step("rollback", { version: v.version }); });
          li.appendChild(b);
        }
        vs.appendChild(li);
      });
      (d.requests || []).forEach(function (r) {  // changes waiting for a second person
        var li = el("li", "待批准：" + ({ publish: "发布", retire: "下线", rollback: "回滚" }[r.action] || r.action) + " v" + r.version + " · " + r.requested_by + " 提出" + (r.reason ? " · " + r.reason : ""));
        ["approve", "reject"].forEach(function (decision) {
          var b = el("button", decision === "approve" ? "批准" : "退回"); b.type = "button"; b.dataset.request = r.id; b.dataset.decision = decision;
          b.addEventListener("click", function () { decide(r.id, decision); });
          li.appendChild(b);
        });
        vs.insertBefore(li, vs.firstChild);
      });
      var hs = $("history"); hs.textContent = "";
      d.history.forEach(function (h) {
        var li = el("li", (h.flagged ? "⚠ " : "") + h.at.slice(0, 19) + " " + h.actor + " " + h.action + (h.version ? " v" + h.version : ""));
        if (h.diff) li.appendChild(el("pre", h.diff));
        hs.appendChild(li);
      });
    }).catch(function (err) { say(err.message, true); });
  }
  $("new-entry").addEventListener("click", function () {
    current = { faq_id: null, lock: null, isNew: true };
    $("editor").hidden = false; $("f-id").readOnly = false; $("f-id").value = ""; $("editor-title").textContent = "新建条目";
    $("entry-state").textContent = ""; fill({}); $("versions").textContent = ""; $("history").textContent = ""; say("");
  });

  var validateTimer;
  function validateNow() {
    api("POST", "/editor/validate", { faq_id: $("f-id").value, content: formContent() }).then(function (d) {
      showProblems(d.problems); $("preview").textContent = d.preview || "";
    }).catch(function () {});
  }
  $("editor").addEventListener("input", function () { clearTimeout(validateTimer); validateTimer = setTimeout(validateNow, 400); });

  $("editor").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = $("f-id").value.trim();
    api("PUT", "/editor/entries/" + encodeURIComponent(id), { content: formContent(), lock: current && !current.isNew ? current.lock : null })
      .then(function (d) {
        showProblems(d.problems); say("已保存为草稿 v" + d.version + (d.problems.some(function (p) { return p.level === "error"; }) ? "（有错误，修正后才能提交审核）" : ""));
        current = { faq_id: id, lock: d.lock, isNew: false }; loadEntries(); openEntry(id, true);
      }).catch(function (err) { say(err.message, true); });
  });
  function decide(id, decision) {
    api("POST", "/editor/requests/" + id + "/" + decision, {}).then(function (d) {
      say(decision === "approve" ? "已批准并生效" + (d.version ? "（v" + d.version + "）" : "") : "已退回请求");
      loadEntries(); openEntry(current.faq_id, true);
    }).catch(function (err) { say(err.message, true); });
  }
  function step(name, body) {
    if (!current || !current.faq_id) return;
    if (name === "publish" || name === "retire" || name === "rollback") {  // needs another reviewer's approval
      api("POST", "/editor/entries/" + encodeURIComponent(current.faq_id) + "/request", Object.assign({ action: name }, body || {})).then(function () {
        say("已提交" + { publish: "发布", retire: "下线", rollback: "回滚" }[name] + "请求，待另一位审核人批准");
        openEntry(current.faq_id, true);
      }).catch(function (err) { say(err.message, true); });
      return;
    }
    api("POST", "/editor/entries/" + encodeURIComponent(current.faq_id) + "/" + name, body || {}).then(function (d) {
      say({ submit: "已提交审核", approve: "已审核通过", reject: "已退回", publish: "已发布，几秒内对客户生效", retire: "已下线", rollback: "已回滚并发布" }[name] + (d.version ? "（v" + d.version + "）" : ""));
      loadEntries(); openEntry(current.faq_id, true);
    }).catch(function (err) { say(err.message, true); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-step]"), function (b) {
    b.addEventListener("click", function () { step(b.dataset.step); });
  });

  function showRanked(list, items) {
    list.textContent = "";
    items.forEach(function (h) { list.appendChild(el("li", h.faq_id + " · " + h.question + " · " + h.score.toFixed(3))); });
  }
  $("try").addEventListener("click", function () {
    api("POST", "/editor/try", { text: $("try-text").value, faq_id: $("f-id").value, content: formContent() }).then(function (d) {
      showRanked($("try-before"), d.before); showRanked($("try-after"), d.after);
    }).catch(function (err) { say(err.message, true); });
  });

  // -- insights and lectures ---------------------------------------------------------------
  function loadInsights() {
    api("GET", "/editor/insights").then(function (groups) {
      var box = $("insights"); box.textContent = "";
      if (!groups.length) box.appendChild(el("p", "暂无数据", "muted"));
      groups.forEach(function (g) {
        var d = el("div", null, "card");
        d.appendChild(el("h3", g.topic + " · " + g.count + " 条"));
        d.appendChild(el("p", Object.keys(g.sources).map(function (k) { return k + " " + g.sources[k]; }).join("，"), "muted"));
        var ul = el("ul"); g.examples.forEach(function (x) { ul.appendChild(el("li", x.at.slice(0, 16) + " [" + x.source + "] " + x.text)); });
        d.appendChild(ul); box.appendChild(d);
      });
    });
  }
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
