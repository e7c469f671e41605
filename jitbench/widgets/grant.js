// The grant countdown, rendered by anywidget in JupyterLab / Notebook.
// The countdown ticks here, in the browser, from the synced `expires`
// (epoch milliseconds): the kernel may be busy for minutes with a query and
// the user must still see how long their access lasts.

function pad(n) {
  return String(n).padStart(2, "0");
}

// "1:02:03", "12:34", "0:05" - a countdown, never negative.
function formatRemaining(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

function formatUtc(ms) {
  if (ms === null || ms === undefined || ms <= 0) return "no expiry";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ok | near | expired | revoked: what colour the grant is right now.
function levelOf(state, remainingMs, nearMs) {
  if (state === "revoked") return "revoked";
  if (state === "expired" || remainingMs <= 0) return "expired";
  if (remainingMs <= nearMs) return "near";
  return "ok";
}

// Mirrors the access layer: a static KV read is not just-in-time, and a
// credential Vault cannot revoke (identity JWT) lives until its own expiry.
function leaseMark(lease) {
  if (lease.static) return "static secret, not just-in-time";
  return lease.revocable_early ? "" : "cannot be revoked early";
}

function render({ model, el: host }) {
  const root = el("div", "jitbench-grant");
  const head = el("div", "jitbench-grant-head");
  const incident = el("span", "jitbench-grant-incident");
  const countdown = el("span", "jitbench-countdown");
  countdown.setAttribute("role", "timer");
  head.append(incident, countdown);

  const reason = el("div", "jitbench-grant-reason");
  const expiry = el("div", "jitbench-grant-expiry");
  const leases = el("table", "jitbench-grant-leases");

  const actions = el("div", "jitbench-grant-actions");
  const renew = el("button", "jitbench-renew", "Renew");
  const revoke = el("button", "jitbench-revoke", "Revoke");
  renew.type = "button";
  revoke.type = "button";
  actions.append(renew, revoke);
  const status = el("div", "jitbench-grant-status");
  status.setAttribute("role", "status"); // screen readers announce renew/revoke outcomes

  root.append(head, reason, expiry, leases, actions, status);
  host.appendChild(root);

  // The expiry is on the kernel's clock; the browser's may be off (a laptop
  // against a remote JupyterHub). One round trip to the kernel gives the
  // offset, as NTP does; a sample slower than 2 s (busy kernel) is not trusted.
  let offset = 0;
  let synced = false;
  let asked = 0;
  function askClock() {
    asked = Date.now();
    model.send({ action: "clock" });
  }
  function onMessage(msg) {
    if (!msg || msg.type !== "clock" || !asked) return;
    const now = Date.now();
    const rtt = now - asked;
    if (rtt >= 0 && rtt < 2000) {
      offset = msg.now + rtt / 2 - now;
      synced = true;
      tick();
    }
  }

  // Updated on every tick: only what depends on the clock.
  let ticks = 0;
  function tick() {
    if (!synced && ++ticks % 30 === 0) askClock();
    const state = model.get("state");
    const remaining = model.get("expires") - (Date.now() + offset);
    const level = levelOf(state, remaining, model.get("near_expiry_seconds") * 1000);
    root.dataset.level = level;
    if (level === "revoked") countdown.textContent = "revoked";
    else if (level === "expired") countdown.textContent = "expired";
    else countdown.textContent = formatRemaining(remaining) + " left";
    const live = level === "ok" || level === "near";
    const pending = model.get("pending");
    renew.disabled = !live || !model.get("renewable") || pending !== "";
    renew.title = model.get("renewable")
      ? "Extend the grant, within its maximum window"
      : "This grant's window cannot be extended: request a new grant";
    revoke.title = "Revoke the grant and all its leases now";
    revoke.disabled = !live || pending !== "";
  }

  // Updated when the kernel changes the model.
  function redraw() {
    const state = model.get("state");
    root.dataset.state = state;
    incident.textContent = model.get("incident");
    reason.textContent = model.get("reason");
    expiry.textContent = "expires " + formatUtc(model.get("expires"));
    leases.replaceChildren();
    for (const lease of model.get("leases")) {
      const row = el("tr", "jitbench-lease");
      row.dataset.state = lease.state;
      row.append(
        el("td", "jitbench-lease-kind", lease.kind),
        el("td", "jitbench-lease-role", lease.role || lease.path || ""),
        el("td", "jitbench-lease-expiry",
           lease.expires ? "until " + formatUtc(lease.expires) : "no expiry"),
        el("td", "jitbench-lease-state", lease.state),
        el("td", "jitbench-lease-mark", leaseMark(lease)),
      );
      leases.appendChild(row);
    }
    const pending = model.get("pending");
    status.textContent = pending ? pending + "\u2026" : model.get("status");
    tick();
  }

  renew.addEventListener("click", () => model.send({ action: "renew" }));
  revoke.addEventListener("click", () => model.send({ action: "revoke" }));

  const traits = ["incident", "reason", "expires", "state", "leases", "status", "pending",
                  "renewable", "near_expiry_seconds"];
  for (const name of traits) model.on(`change:${name}`, redraw);
  model.on("msg:custom", onMessage);
  redraw();
  askClock();
  const timer = setInterval(tick, 1000);

  return () => {
    clearInterval(timer);
    for (const name of traits) model.off(`change:${name}`, redraw);
    model.off("msg:custom", onMessage);
  };
}

export default { render };
