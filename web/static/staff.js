/* What the agents' console and the publishing page share: DOM helpers, the staff
   session (login, logout, token) and API calls with it. Loaded after strings.js (the
   Chinese string table, LR.T / LR.t) and before each page's script. */
(function () {
  "use strict";
  var LR = window.LR = window.LR || {};
  LR.$ = function (id) { return document.getElementById(id); };
  LR.el = function (tag, text, cls) {
    var e = document.createElement(tag);
    if (text != null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  LR.say = function (text, isError) {
    var box = LR.$("message");
    box.textContent = text; box.className = isError ? "error" : "";
  };
  /* A staff session kept in sessionStorage under `key`; `onChange` runs after login and logout. */
  LR.staffSession = function (key, onChange) {
    var session = {
      token: sessionStorage.getItem(key + "_token"),
      me: JSON.parse(sessionStorage.getItem(key) || "null"),
      logout: function () {
        if (session.token) fetch("/api/staff/logout", { method: "POST", headers: { Authorization: "Bearer " + session.token } }).catch(function () {});
        session.token = null; session.me = null;
        sessionStorage.removeItem(key + "_token"); sessionStorage.removeItem(key);
        onChange();
      },
      login: function (d) {
        session.token = d.token; session.me = { name: d.name, role: d.role, username: d.username || null };
        sessionStorage.setItem(key + "_token", d.token); sessionStorage.setItem(key, JSON.stringify(session.me));
        onChange();
      },
      /* JSON API call with the staff token; a 401 logs out; errors carry the server's message. */
      api: function (method, path, body) {
        var headers = { "Content-Type": "application/json" };
        if (session.token) headers.Authorization = "Bearer " + session.token;
        return fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body) })
          .then(function (r) {
            return r.json().catch(function () { return {}; }).then(function (data) {
              if (r.status === 401 && path !== "/api/staff/login") session.logout();
              if (!r.ok) { var e = new Error(data.error || LR.t("common.requestFailed", { status: r.status })); e.status = r.status; throw e; }
              return data;
            });
          });
      }
    };
    return session;
  };
})();
