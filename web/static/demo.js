/* Demo-only login: asks the pages server for a client token (demo mode only). */
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("demo-login");
  var select = document.getElementById("demo-client");
  var status = document.getElementById("demo-status");
  var current = sessionStorage.getItem("lr_client");
  if (current) { select.value = current; status.textContent = "已登录：" + current; }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var id = select.value;
    if (!id) {
      sessionStorage.removeItem("lr_token"); sessionStorage.removeItem("lr_client");
      if (window.LRWidget) window.LRWidget.logout();  // the documented hook: drop the conversation now
      status.textContent = "未登录"; return;
    }
    fetch("/demo/token", { method: "POST", headers: { "Content-Type": "application/json" },
                           body: JSON.stringify({ client_id: id }) })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (!d.token) { status.textContent = "登录失败"; return; }
        sessionStorage.setItem("lr_token", d.token); sessionStorage.setItem("lr_client", id);
        status.textContent = "已登录：" + id;
      });
  });
});
