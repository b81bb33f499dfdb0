/**
 * The Baton inspector (issue 10): a plain ES module, no build step. Every data call goes to the
 * service's operator endpoints with `Authorization: Bearer <operator token>`; the token lives in
 * this tab's sessionStorage. A link may carry it once as `#token=…`: it is moved to
 * sessionStorage and removed from the address bar at once (a fragment never reaches the server
 * or its logs, and it is never a query parameter).
 */
import cytoscape from "/inspect/vendor/cytoscape.esm.min.mjs";

const TOKEN_KEY = "baton.operatorToken";
const STATE_LABELS = {
  live: "live",
  revalidation_due: "revalidation due",
  expired: "expired",
  revoked: "revoked",
};
const STATE_COLOURS = {
  live: "#2e7d32",
  revalidation_due: "#e0a100",
  expired: "#757575",
  revoked: "#c62828",
};

const $ = (selector) => document.querySelector(selector);

/** Builds an element; children are nodes or text (always set as text, never parsed as HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const badge = (value, label = value) => h("span", { class: `badge ${value}` }, label);
const iso = (at) =>
  at === null || at === undefined ? "" : `${new Date(at * 1000).toISOString().slice(0, 19)}Z`;
const short = (id) => (id.length <= 10 ? id : `${id.slice(0, 8)}…`);

function duration(seconds) {
  const s = Math.abs(Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 === 0 ? "" : ` ${s % 60}s`}`;
  const m = Math.floor((s % 3600) / 60);
  return `${Math.floor(s / 3600)}h${m === 0 ? "" : ` ${m}m`}`;
}

function relative(at, now) {
  return at >= now ? `in ${duration(at - now)}` : `${duration(now - at)} ago`;
}

const capText = (cap) => `${cap.act} on ${cap.res}${cap.lim ? ` limited by ${JSON.stringify(cap.lim)}` : ""}`;

// ---------------------------------------------------------------------------------------------
// The operator token and the API

function takeTokenFromFragment() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match === null) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);
}

class Unauthorized extends Error {}

/** An operator call; a problem response becomes an Error with its code. */
async function api(method, path, body) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token === null) throw new Unauthorized("no operator token");
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: "no-store",
  });
  const payload = await response.json().catch(() => ({}));
  if (response.status === 401 && payload.code === "unauthorized") throw new Unauthorized(payload.detail);
  if (!response.ok) {
    const error = new Error(`${payload.code ?? response.status}: ${payload.detail ?? response.statusText}`);
    error.code = payload.code;
    throw error;
  }
  return payload;
}

// ---------------------------------------------------------------------------------------------
// Page state

const state = {
  task: undefined,
  now: 0,
  nodes: [],
  selected: undefined,
  decisions: [],
  cy: undefined,
};

/** Exposed for tests and the browser console: the graph and the loaded task (read it, do not write). */
window.batonInspector = state;

function toast(message) {
  const element = $("#toast");
  element.textContent = message;
  setTimeout(() => {
    if (element.textContent === message) element.textContent = "";
  }, 4000);
}

function showLogin(message = "") {
  $("#app").hidden = true;
  $("#sign-out").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  $("#token-input").focus();
}

async function guarded(action) {
  try {
    await action();
  } catch (error) {
    if (error instanceof Unauthorized) {
      sessionStorage.removeItem(TOKEN_KEY);
      showLogin("The service refused the token: enter the operator token.");
    } else {
      toast(error.message);
      throw error;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Tasks

async function loadTasks() {
  const { items } = await api("GET", "/v1/tasks?limit=200");
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#sign-out").hidden = false;
  const body = $("#tasks tbody");
  body.replaceChildren(
    ...items.map((task) =>
      h(
        "tr",
        {
          class: `clickable${task.id === state.task?.id ? " selected" : ""}`,
          "data-task": task.id,
          "data-status": task.status,
          onclick: () => guarded(() => openTask(task.id)),
        },
        h("td", { class: "mono" }, task.id),
        h("td", {}, badge(task.status)),
        h("td", {}, task.rootAgent),
        h("td", { "data-col": "live" }, task.liveDelegations),
        h("td", { "data-col": "revoked" }, task.revokedDelegations),
        h(
          "td",
          {},
          task.lastDecision === null
            ? ""
            : [
                badge(task.lastDecision.decision),
                ` ${task.lastDecision.kind} `,
                h("span", { class: "muted" }, iso(task.lastDecision.at)),
              ],
        ),
        h("td", {}, task.intent),
      ),
    ),
  );
  if (items.length === 0) body.append(h("tr", {}, h("td", { colspan: 7 }, "No tasks yet.")));
}

function narrowingSummary(changes) {
  if (changes === null) return "root grant";
  const parts = [];
  const removed = changes.filter((c) => c.what === "cap" && c.change === "removed").length;
  const narrowed = changes.filter((c) => c.what === "cap" && c.change === "narrowed").length;
  const widened = changes.filter((c) => c.what === "cap" && c.change === "not_covered").length;
  if (removed > 0) parts.push(`−${removed} cap`);
  if (narrowed > 0) parts.push(`${narrowed} cap narrowed`);
  if (widened > 0) parts.push(`${widened} cap WIDENED`);
  for (const change of changes) {
    if (change.what === "aud")
      parts.push(`aud ${change.change === "removed" ? "−" : "+"}${change.audiences.join(",")}`);
    if (change.what === "exp" && change.change !== "unchanged")
      parts.push(`exp ${change.change === "earlier" ? "−" : "+"}${duration(change.seconds)}`);
    if (change.what === "mdp") parts.push(`depth ${change.parent}→${change.child}`);
  }
  return parts.join(" · ") || "nothing narrowed";
}

async function openTask(id) {
  const detail = await api("GET", `/v1/tasks/${encodeURIComponent(id)}`);
  state.task = detail.task;
  state.now = detail.now;
  state.nodes = detail.nodes;
  history.replaceState(null, "", `#task=${encodeURIComponent(id)}`);
  $("#task-view").hidden = false;
  $("#service-now").textContent = `service time ${iso(detail.now)}`;
  for (const row of document.querySelectorAll("#tasks tbody tr"))
    row.classList.toggle("selected", row.dataset.task === id);
  $("#task-title").replaceChildren(`Task `, h("code", {}, id), " ", badge(detail.task.status));
  $("#task-meta").textContent =
    `${detail.task.intent} · root holder ${detail.task.rootAgent} · opened ${iso(detail.task.openedAt)}` +
    (detail.task.closedAt === null ? "" : ` · closed ${iso(detail.task.closedAt)}`);
  renderHops();
  renderGraph();
  await Promise.all([loadTimeline(), loadApprovals()]);
  const still = state.nodes.find((node) => node.did === state.selected);
  if (still === undefined) {
    state.selected = undefined;
    $("#hop").hidden = true;
  } else {
    await selectHop(still.did);
  }
}

function renderHops() {
  $("#hops tbody").replaceChildren(
    ...state.nodes.map((node) =>
      h(
        "tr",
        {
          class: `clickable${node.did === state.selected ? " selected" : ""}`,
          "data-did": node.did,
          "data-state": node.state,
          onclick: () => guarded(() => selectHop(node.did)),
        },
        h("td", {}, node.depth),
        h("td", {}, node.to),
        h("td", {}, node.from ?? "operator"),
        h("td", {}, badge(node.state, STATE_LABELS[node.state])),
        h(
          "td",
          {},
          `${iso(node.token?.exp ?? node.exp)} (${relative(node.token?.exp ?? node.exp, state.now)})`,
        ),
        h(
          "td",
          {},
          node.token === null ? "" : `${iso(node.token.rvl)} (${relative(node.token.rvl, state.now)})`,
        ),
        h("td", {}, narrowingSummary(node.narrowing)),
      ),
    ),
  );
}

function renderGraph() {
  state.cy?.destroy();
  const elements = [];
  for (const node of state.nodes) {
    elements.push({
      group: "nodes",
      data: {
        id: node.did,
        label: `${node.to}\n${STATE_LABELS[node.state]}`,
        state: node.state,
        colour: STATE_COLOURS[node.state],
      },
    });
    if (node.parent !== null)
      elements.push({
        group: "edges",
        data: {
          id: `${node.parent}->${node.did}`,
          source: node.parent,
          target: node.did,
          label: narrowingSummary(node.narrowing).split(" · ").join("\n"),
        },
      });
  }
  state.cy = cytoscape({
    container: $("#graph"),
    elements,
    autoungrabify: true,
    boxSelectionEnabled: false,
    wheelSensitivity: 0.3,
    style: [
      {
        selector: "node",
        style: {
          shape: "round-rectangle",
          width: 150,
          height: 44,
          "background-color": "data(colour)",
          label: "data(label)",
          color: "#fff",
          "font-size": 11,
          "text-wrap": "wrap",
          "text-valign": "center",
          "text-halign": "center",
        },
      },
      { selector: "node:selected", style: { "border-width": 4, "border-color": "#1d232b" } },
      {
        selector: "edge",
        style: {
          width: 2,
          "line-color": "#9aa5b1",
          "target-arrow-color": "#9aa5b1",
          "target-arrow-shape": "triangle",
          "curve-style": "bezier",
          label: "data(label)",
          "font-size": 9,
          "text-wrap": "wrap",
          "text-max-width": 180,
          "text-background-color": "#fcfcfd",
          "text-background-opacity": 1,
          "text-background-padding": 2,
        },
      },
    ],
  });
  // A did may start with "-" or a digit, which a selector string would misread: pass the roots as a collection.
  const roots = state.cy.nodes().filter((node) => node.indegree() === 0);
  state.cy.layout({ name: "breadthfirst", directed: true, roots, spacingFactor: 1.3, padding: 30 }).run();
  state.cy.on("tap", "node", (event) => guarded(() => selectHop(event.target.id())));
}

// ---------------------------------------------------------------------------------------------
// One hop

function capabilityDiff(node) {
  if (node.narrowing === null)
    return h(
      "ul",
      {},
      ...node.cap.map((cap) => h("li", {}, capText(cap), h("span", { class: "muted" }, " (granted)"))),
    );
  const items = node.cap.map((cap) => {
    const narrowed = node.narrowing.find(
      (c) => c.what === "cap" && c.change === "narrowed" && JSON.stringify(c.child) === JSON.stringify(cap),
    );
    const widened = node.narrowing.find(
      (c) =>
        c.what === "cap" && c.change === "not_covered" && JSON.stringify(c.child) === JSON.stringify(cap),
    );
    if (widened) return h("li", { class: "cap-widened" }, capText(cap), " — NOT covered by the parent");
    if (narrowed)
      return h(
        "li",
        { class: "cap-narrowed", "data-diff": "narrowed" },
        capText(cap),
        ` — narrowed from ${capText(narrowed.parent)}`,
      );
    return h("li", { "data-diff": "same" }, capText(cap), h("span", { class: "muted" }, " — as the parent"));
  });
  for (const change of node.narrowing)
    if (change.what === "cap" && change.change === "removed")
      items.push(h("li", { class: "cap-removed", "data-diff": "removed" }, capText(change.parent)));
  return h("ul", {}, ...items);
}

function otherChanges(node) {
  if (node.narrowing === null) return [];
  return node.narrowing
    .filter((c) => c.what !== "cap")
    .map((c) => {
      if (c.what === "aud") return `audiences ${c.change}: ${c.audiences.join(", ")}`;
      if (c.what === "mdp") return `may delegate ${c.parent} → ${c.child} more`;
      return c.change === "unchanged"
        ? `${c.what} unchanged`
        : `${c.what} ${duration(c.seconds)} ${c.change}`;
    });
}

/** Who acted: the presenting agent (marked when no valid proof showed it), or the operator. */
function actorOf(decision) {
  if (decision.agent !== null) {
    if (decision.format === 1) return `${decision.agent} (legacy row)`;
    return decision.actorProven === true ? decision.agent : `${decision.agent} (unproven)`;
  }
  return decision.detail?.by === "operator" ? "operator" : "";
}

function decisionRow(decision) {
  return h(
    "tr",
    {
      "data-decision": decision.decision,
      "data-agent": decision.agent ?? "",
      "data-reporter": decision.reporter ?? "service",
      "data-codes": decision.reasons.map((r) => r.code).join(" "),
    },
    h("td", {}, iso(decision.at)),
    h("td", {}, decision.kind),
    h("td", {}, badge(decision.decision)),
    h("td", { "data-testid": "actor" }, actorOf(decision)),
    h("td", { "data-testid": "reporter" }, decision.reporter ?? "service"),
    h("td", {}, decision.audience ?? ""),
    h("td", {}, decision.action === null ? "" : `${decision.action} on ${decision.resource ?? ""}`),
    h(
      "td",
      {},
      decision.reasons.map((r) =>
        h("div", {}, h("code", {}, r.code), r.hop === null || r.hop === undefined ? "" : ` (hop ${r.hop})`),
      ),
    ),
  );
}

async function selectHop(did) {
  const node = state.nodes.find((n) => n.did === did);
  if (node === undefined) return;
  state.selected = did;
  for (const row of document.querySelectorAll("#hops tbody tr"))
    row.classList.toggle("selected", row.dataset.did === did);
  state.cy?.$(":selected").unselect();
  state.cy?.getElementById(did).select();
  const [trace, decisions, radius] = await Promise.all([
    api("GET", `/v1/delegations/${encodeURIComponent(did)}`),
    api("GET", `/v1/decisions?did=${encodeURIComponent(did)}&order=oldest&limit=500`),
    api("GET", `/v1/agents/${encodeURIComponent(node.to)}/blast-radius`),
  ]);
  if (state.selected !== did) return;
  const below = trace.descendants.filter((d) => d.status === "live");
  const panel = $("#hop");
  panel.hidden = false;
  panel.dataset.did = did;
  panel.dataset.state = node.state;
  panel.replaceChildren(
    h("h2", {}, node.to, " ", badge(node.state, STATE_LABELS[node.state])),
    h(
      "p",
      { class: "muted" },
      `from ${node.from ?? "the operator (root grant)"} · depth ${node.depth} · did `,
      h("code", {}, did),
    ),
    node.intent === null ? "" : h("p", {}, `intent: ${node.intent}`),
    node.status === "revoked"
      ? h(
          "p",
          { class: "error" },
          `revoked ${iso(node.revokedAt)}: ${node.revokeReason ?? ""} (${node.revokeCause ?? ""})`,
        )
      : "",
    h(
      "p",
      {},
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "revoke-hop",
          disabled: node.status === "revoked",
          onclick: () => guarded(() => confirmRevoke(node)),
        },
        "Revoke this hop…",
      ),
    ),
    h("h3", {}, "Capabilities against the parent"),
    capabilityDiff(node),
    h("p", {}, `audiences: ${node.aud.join(", ")}`),
    h("ul", {}, ...otherChanges(node).map((text) => h("li", {}, text))),
    h("h3", {}, `Versions (${trace.versions.length})`),
    h(
      "table",
      { "data-testid": "versions" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "v"),
          h("th", {}, "jti"),
          h("th", {}, "issued"),
          h("th", {}, "revalidate by"),
          h("th", {}, "expires"),
        ),
      ),
      h(
        "tbody",
        {},
        ...trace.versions.map((v) =>
          h(
            "tr",
            {},
            h("td", {}, v.version),
            h("td", { class: "mono" }, short(v.jti)),
            h("td", {}, iso(v.iat)),
            h("td", {}, iso(v.rvl)),
            h("td", {}, iso(v.exp)),
          ),
        ),
      ),
    ),
    h("h3", {}, `Decisions (${decisions.items.length}, oldest first)`),
    h("table", { "data-testid": "hop-decisions" }, h("tbody", {}, ...decisions.items.map(decisionRow))),
    h("h3", {}, "Blast radius"),
    h(
      "p",
      { "data-testid": "blast-radius" },
      `Revoking this hop cuts off ${below.length} live hop(s) below it`,
      below.length === 0 ? "." : `: ${below.map((d) => d.to).join(", ")}.`,
    ),
    h(
      "p",
      {},
      `${node.to} holds ${radius.held.length} live delegation(s) and reaches ${radius.reachable.length} more` +
        ` (agents: ${radius.agents.join(", ") || "none"}; tasks: ${radius.tasks.join(", ") || "none"}).`,
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Confirmation, revocation and approvals

/** Asks for confirmation (and optionally a reason); resolves to the reason, or undefined if cancelled. */
function confirmDialog({ title, text, action, askReason }) {
  const dialog = $("#confirm");
  $("#confirm-title").textContent = title;
  $("#confirm-text").textContent = text;
  $("#confirm-ok").textContent = action;
  $("#confirm-reason-label").hidden = !askReason;
  $("#confirm-reason").required = askReason;
  $("#confirm-reason").value = "";
  $("#confirm-error").textContent = "";
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () =>
        resolve(
          dialog.returnValue === "ok" ? $("#confirm-reason").value || "decided in the inspector" : undefined,
        ),
      { once: true },
    );
    dialog.showModal();
  });
}

async function confirmRevoke(node) {
  const below = state.nodes.filter(
    (n) => n.status === "live" && n.did !== node.did && isBelow(n, node.did),
  ).length;
  const reason = await confirmDialog({
    title: `Revoke ${node.to}'s hop?`,
    text: `This revokes delegation ${node.did} and the ${below} live hop(s) below it, for good. Verifiers following the revocation feed will refuse them.`,
    action: "Revoke",
    askReason: true,
  });
  if (reason === undefined) return;
  const result = await api("POST", "/v1/revocations", { did: node.did, reason });
  toast(`revoked ${result.revoked.length} delegation(s)`);
  await loadTasks();
  await openTask(state.task.id);
}

function isBelow(candidate, ancestor) {
  let parent = candidate.parent;
  while (parent !== null) {
    if (parent === ancestor) return true;
    parent = state.nodes.find((n) => n.did === parent)?.parent ?? null;
  }
  return false;
}

async function loadApprovals() {
  const { items } = await api("GET", "/v1/approvals?status=pending&limit=1000");
  const mine = items.filter((a) => a.task === state.task.id);
  const body = $("#approvals tbody");
  body.replaceChildren(
    ...mine.map((approval) =>
      h(
        "tr",
        { "data-approval": approval.id },
        h("td", {}, iso(approval.createdAt)),
        h("td", {}, approval.agent),
        h("td", {}, approval.action),
        h("td", {}, approval.resource),
        h("td", {}, approval.reason),
        h(
          "td",
          {},
          h(
            "button",
            { type: "button", onclick: () => guarded(() => decide(approval, "approve")) },
            "Approve…",
          ),
          " ",
          h("button", { type: "button", onclick: () => guarded(() => decide(approval, "deny")) }, "Deny…"),
        ),
      ),
    ),
  );
  if (mine.length === 0) body.append(h("tr", {}, h("td", { colspan: 6, class: "muted" }, "None pending.")));
}

async function decide(approval, decision) {
  const ok = await confirmDialog({
    title: `${decision === "approve" ? "Approve" : "Deny"} this step-up?`,
    text: `${approval.agent} asks to ${approval.action} on ${approval.resource} (${approval.reason}).`,
    action: decision === "approve" ? "Approve" : "Deny",
    askReason: false,
  });
  if (ok === undefined) return;
  await api("POST", `/v1/approvals/${encodeURIComponent(approval.id)}/${decision}`);
  toast(`${decision === "approve" ? "approved" : "denied"} ${approval.id}`);
  await openTask(state.task.id);
}

// ---------------------------------------------------------------------------------------------
// The decision timeline

async function loadTimeline() {
  const page = await api(
    "GET",
    `/v1/decisions?task=${encodeURIComponent(state.task.id)}&order=oldest&limit=1000`,
  );
  state.decisions = page.items;
  const fill = (select, values) => {
    const current = select.value;
    select.replaceChildren(
      h("option", { value: "" }, "any"),
      ...values.map((v) => h("option", { value: v }, v)),
    );
    select.value = values.includes(current) ? current : "";
  };
  const distinct = (values) => [...new Set(values)].sort();
  fill($("#filter-agent"), distinct(page.items.map((d) => d.agent).filter((a) => a !== null)));
  fill($("#filter-decision"), distinct(page.items.map((d) => d.decision)));
  fill($("#filter-reason"), distinct(page.items.flatMap((d) => d.reasons.map((r) => r.code))));
  renderTimeline();
}

function renderTimeline() {
  const agent = $("#filter-agent").value;
  const decision = $("#filter-decision").value;
  const reason = $("#filter-reason").value;
  const shown = state.decisions.filter(
    (d) =>
      (agent === "" || d.agent === agent) &&
      (decision === "" || d.decision === decision) &&
      (reason === "" || d.reasons.some((r) => r.code === reason)),
  );
  $("#timeline tbody").replaceChildren(...shown.map(decisionRow));
  $("#timeline-count").textContent = `${shown.length} of ${state.decisions.length}`;
}

// ---------------------------------------------------------------------------------------------
// Start

function start() {
  takeTokenFromFragment();
  for (const id of ["#filter-agent", "#filter-decision", "#filter-reason"])
    $(id).addEventListener("change", renderTimeline);
  $("#login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token-input").value.trim());
    $("#token-input").value = "";
    void guarded(loadTasks);
  });
  $("#sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    state.cy?.destroy();
    state.cy = undefined;
    showLogin();
  });
  if (sessionStorage.getItem(TOKEN_KEY) === null) {
    showLogin();
    return;
  }
  const task = /^#task=([^&]+)/.exec(location.hash);
  void guarded(async () => {
    await loadTasks();
    if (task !== null) await openTask(decodeURIComponent(task[1]));
  });
}

start();
