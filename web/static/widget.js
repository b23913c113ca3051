/* 示例证券 两融助手 chat widget (no dependencies).
 * Embed: <script src="/config.js"></script><script src="/static/widget.js"></script>
 * Optional window.LR_CONFIG = {server, title, getToken: () => token|null, fullPage: bool}.
 * Bot text is always rendered as text (textContent), never as HTML. */
(function () {
  "use strict";
  var cfg = Object.assign({ server: "http://127.0.0.1:5005", title: "两融智能助手", fullPage: false,
                            getToken: function () { return sessionStorage.getItem("lr_token"); } },
                          window.LR_CONFIG || {});
  var senderKey = "lr_sender", historyKey = "lr_history";
  var sender = localStorage.getItem(senderKey);
  if (!sender) {
    sender = "web-" + Math.random().toString(36).slice(2) + Date.now().toString(36);
    localStorage.setItem(senderKey, sender);
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  var root = el("div", "lr-root" + (cfg.fullPage ? " lr-full" : ""));
  var launcher = el("button", "lr-launcher", "💬 两融助手");
  launcher.setAttribute("aria-label", "打开两融智能助手");
  var panel = el("section", "lr-panel");
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", cfg.title);
  var header = el("header", "lr-header");
  header.appendChild(el("span", "lr-title", cfg.title));
  var close = el("button", "lr-close", "×");
  close.setAttribute("aria-label", "关闭");
  header.appendChild(close);
  var log = el("div", "lr-log");
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  var form = el("form", "lr-form");
  var input = el("textarea", "lr-input");
  input.rows = 1;
  input.maxLength = 2000;
  input.placeholder = "请输入您的问题，例如：融资利率是多少？";
  input.setAttribute("aria-label", "输入消息");
  var send = el("button", "lr-send", "发送");
  send.type = "submit";
  form.appendChild(input);
  form.appendChild(send);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(form);
  if (!cfg.fullPage) root.appendChild(launcher);
  root.appendChild(panel);
  document.body.appendChild(root);

  function open(state) {
    root.classList.toggle("lr-open", state);
    if (state) input.focus();
  }
  launcher.addEventListener("click", function () { open(true); });
  close.addEventListener("click", function () { open(false); launcher.focus(); });
  if (cfg.fullPage) root.classList.add("lr-open");

  function saveHistory(item) {
    var h = JSON.parse(sessionStorage.getItem(historyKey) || "[]");
    h.push(item);
    sessionStorage.setItem(historyKey, JSON.stringify(h.slice(-100)));
  }

  function render(item) {
    var row = el("div", "lr-msg lr-" + item.from);
    if (item.topic) row.appendChild(el("div", "lr-topic", "📖 " + item.topic));
    item.text.split("\n").forEach(function (line) { row.appendChild(el("p", null, line)); });
    row.appendChild(el("time", "lr-time", item.time));
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
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  function add(item) { render(item); saveHistory(item); }
  function now() { return new Date().toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" }); }

  function sendMessage(message, shown) {
    add({ from: "user", text: shown || message, time: now() });
    var typing = el("div", "lr-typing", "助手正在输入…");
    log.appendChild(typing);
    var token = cfg.getToken && cfg.getToken();
    fetch(cfg.server + "/webhooks/rest/webhook", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ sender: sender, message: message, metadata: token ? { token: token, client: "web" } : { client: "web" } })
    }).then(function (r) { return r.json(); }).then(function (msgs) {
      typing.remove();
      (Array.isArray(msgs) ? msgs : [{ text: msgs.error || "系统繁忙，请稍后再试。" }]).forEach(function (m) {
        add({ from: "bot", text: m.text || "", time: now(), buttons: m.buttons || [],
              topic: m.custom && m.custom.topic, faq_id: m.custom && m.custom.faq_id });
      });
    }).catch(function () {
      typing.remove();
      add({ from: "bot", text: "网络连接失败，请稍后再试。", time: now() });
    });
  }

  var composing = false;
  input.addEventListener("compositionstart", function () { composing = true; });
  input.addEventListener("compositionend", function () { composing = false; });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      if (composing || e.isComposing || e.keyCode === 229) return;  // IME still open: Enter picks a candidate
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendMessage(text);
  });

  var history = JSON.parse(sessionStorage.getItem(historyKey) || "[]");
  if (history.length) history.forEach(render);
  else render({ from: "bot", text: "您好！我是示例证券两融智能助手，可以解答开户条件、利率、额度、追保平仓等问题。", time: now() });
})();
